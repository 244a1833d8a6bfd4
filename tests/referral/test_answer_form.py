"""The physician's form, field by field (pure)."""

from __future__ import annotations

import pytest

from inscope_referral.answer_form import read_answer_form


def form(**fields):
    return {"answered_by": "Dr. Priya Shah", "profession": "physician",
            "registration": "CPSO 12345", **fields}


def test_cleared_with_structured_restrictions():
    result = read_answer_form(
        form(
            answer="cleared_with_restrictions",
            max_intensity="moderate",
            notes="Review in 6 weeks.",
            **{"avoid_movements.overhead_pressing": "on", "avoid_movements.squatting": "on"},
        )
    )
    assert result.valid
    assert result.answer == {
        "answer": "cleared_with_restrictions",
        "restrictions": {
            "max_intensity": "moderate",
            "avoid_movements": ["squatting", "overhead_pressing"],
            "notes": "Review in 6 weeks.",
        },
        "answered_by": "Dr. Priya Shah",
        "profession": "physician",
        "registration": "CPSO 12345",
    }


@pytest.mark.parametrize("answer", ["cleared", "not_cleared", "needs_visit"])
def test_the_other_answers_take_notes_only(answer):
    assert read_answer_form(form(answer=answer)).answer["restrictions"] is None
    noted = read_answer_form(form(answer=answer, notes="Call me."))
    assert noted.answer["restrictions"] == {
        "max_intensity": None,
        "avoid_movements": [],
        "notes": "Call me.",
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "answer"),
        ({"answer": "maybe"}, "answer"),
        ({"answer": "cleared", "answered_by": "  "}, "answered_by"),
        ({"answer": "cleared", "answered_by": "Dr. X\r\nBcc: a@b.c"}, "answered_by"),
        ({"answer": "cleared_with_restrictions", "max_intensity": "extreme"}, "max_intensity"),
        ({"answer": "cleared_with_restrictions"}, "restrictions"),
        ({"answer": "cleared", "max_intensity": "light"}, "restrictions"),
        ({"answer": "not_cleared", "avoid_movements.running": "on"}, "restrictions"),
        ({"answer": "cleared", "notes": "x" * 5001}, "notes"),
        ({"answer": "cleared", "profession": ""}, "profession"),
        ({"answer": "cleared", "profession": "healer"}, "profession"),
        ({"answer": "cleared", "registration": " "}, "registration"),
        ({"answer": "cleared", "registration": "1\r\nBcc: a@b.c"}, "registration"),
        (
            {"answer": "cleared_with_restrictions", "avoid_movements.deep squat": "on"},
            "avoid_movements",
        ),
    ],
)
def test_each_problem_is_named_on_its_field(fields, field):
    result = read_answer_form(form(**fields))
    assert not result.valid and result.answer is None
    assert field in result.errors, result.errors


def test_what_was_typed_is_kept_for_the_form_again():
    typed = {"answer": "cleared_with_restrictions", "max_intensity": "fast", "notes": "<b>hi</b>"}
    result = read_answer_form(form(**typed))
    assert {k: result.values[k] for k in typed} == typed
    assert result.values["answered_by"] == "Dr. Priya Shah"


def test_the_offered_movements_are_the_engine_tags_and_load_as_restrictions():
    from inscope_clinical.restrictions import MOVEMENT_TAGS, RestrictionsSchema
    from inscope_referral.answer_form import MOVEMENTS

    assert set(MOVEMENTS) == set(MOVEMENT_TAGS)
    every = {f"avoid_movements.{tag}": "on" for tag in MOVEMENTS}
    result = read_answer_form(form(answer="cleared_with_restrictions", **every))
    restrictions = result.answer["restrictions"]
    assert RestrictionsSchema().load(restrictions) == restrictions


def test_checked_movements_are_kept_for_the_form_again():
    result = read_answer_form(
        form(answer="cleared_with_restrictions", max_intensity="fast",
             **{"avoid_movements.running": "on"})
    )
    assert not result.valid and result.values["avoid_movements"] == "running"
