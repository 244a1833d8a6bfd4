"""DEC-7/DEC-9: a clinician's restrictions really leave exercises out of the program:
every library exercise carries movement tags and an intensity, and build_program
excludes those tagged with an avoided movement or above the intensity cap."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from clinical_builders import loaded_assessment

from inscope_clinical import score_assessment
from inscope_clinical.library import LIBRARY
from inscope_clinical.program import build_program
from inscope_clinical.restrictions import INTENSITY_ORDER, MOVEMENT_LABELS, MOVEMENT_TAGS

AS_OF = dt.date(2026, 3, 1)
LEVEL = {name: i for i, name in enumerate(INTENSITY_ORDER)}


def _program(restrictions: dict[str, Any] | None, cap: str | None = "vigorous") -> dict:
    assessment = loaded_assessment(ohsa={"compensations": [
        {"compensation": "arms_fall_forward", "view": "lateral", "side": "bilateral"}]})
    return build_program(score_assessment(assessment), as_of=AS_OF, intensity_cap=cap,
                         assessment=assessment, restrictions=restrictions)


def _chosen(program: dict) -> list[dict]:
    return [e for phase in program["phases"] for e in phase["exercises"]]


def test_every_exercise_is_tagged_with_known_movements_and_an_intensity() -> None:
    for exercise in LIBRARY:
        assert exercise.intensity in INTENSITY_ORDER, exercise.id
        assert set(exercise.movements) <= set(MOVEMENT_TAGS), exercise.id
    assert set(MOVEMENT_LABELS) == set(MOVEMENT_TAGS)
    assert any("overhead_pressing" in e.movements for e in LIBRARY)


def test_without_restrictions_the_program_has_overhead_pressing_above_moderate() -> None:
    chosen = _chosen(_program(None))
    assert any("overhead_pressing" in e["movements"] for e in chosen)
    assert any(LEVEL[e["intensity"]] > LEVEL["moderate"] for e in chosen)


def test_avoided_movement_and_cap_exclude_exercises() -> None:
    program = _program({"max_intensity": "moderate", "avoid_movements": ["overhead_pressing"],
                        "notes": "No overhead pressing."})
    chosen = _chosen(program)
    assert chosen  # still a program
    assert not [e["id"] for e in chosen if "overhead_pressing" in e["movements"]]
    assert not [e["id"] for e in chosen if LEVEL[e["intensity"]] > LEVEL["moderate"]]
    assert program["intensity_cap"] == "moderate"
    reasons = {x["id"]: x["reason"] for x in program["restrictions"]["excluded_exercises"]}
    assert reasons["int_squat_to_press"] == "clinician: avoid overhead_pressing"
    assert program["restrictions"]["avoid_movements"] == ["overhead_pressing"]


@pytest.mark.parametrize("cap, kept, left_out", [
    ("moderate", "int_squat_to_press", "int_lunge_to_press"),
    ("light", "int_squat_to_row", "int_squat_to_press"),
])
def test_intensity_cap_alone_excludes_harder_exercises(cap: str, kept: str,
                                                       left_out: str) -> None:
    program = _program({"max_intensity": cap, "avoid_movements": []})
    ids = [e["id"] for e in _chosen(program)]
    assert kept in ids and left_out not in ids
    assert {"id": left_out, "reason": f"above {cap} intensity"} in (
        program["restrictions"]["excluded_exercises"])


def test_program_cap_is_the_lower_of_decision_and_restriction() -> None:
    ids = [e["id"] for e in _chosen(_program(None, cap="light"))]
    assert "int_squat_to_press" not in ids and "int_squat_to_row" in ids


def test_an_avoided_movement_is_left_out_in_every_phase() -> None:
    ids = [e["id"] for e in _chosen(_program({"avoid_movements": ["overhead_arm_work"]}))]
    tagged = {e.id for e in LIBRARY if "overhead_arm_work" in e.movements}
    assert ids and not set(ids) & tagged
