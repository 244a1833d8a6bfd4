"""Raw (pre-validation) documents for the clinical engine tests, plus small helpers."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from inscope_clinical import AssessmentSchema, IntakeSchema, decide, score_assessment
from inscope_clinical.vocab import ACSM_SIGNS

AS_OF = dt.date(2025, 3, 1)


def raw_intake(**overrides: Any) -> dict[str, Any]:
    """A complete intake: all PAR-Q+ NO, regularly active, no disease, no symptoms."""
    doc: dict[str, Any] = {
        "parq": {"version": "2024", "general": {f"g{i}": False for i in range(1, 8)}},
        "acsm": {
            "regular_exercise_3_months": True,
            "known_cv_disease": False,
            "known_metabolic_disease": False,
            "known_renal_disease": False,
            "signs_symptoms": {s: False for s in ACSM_SIGNS},
            "desired_intensity": "moderate",
        },
        "consent": {
            "version": "2025-01",
            "assessment": True,
            "share_with_physician": True,
            "email": True,
            "signed_by": "Alex Client",
            "signed_at": "2025-02-28T10:00:00+00:00",
        },
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def raw_fms(**tests: Any) -> dict[str, Any]:
    """FMS with every pattern scored 2 on both sides and clear clearing tests."""
    both = {"left": 2, "right": 2}
    base: dict[str, Any] = {
        "deep_squat": 2,
        "hurdle_step": dict(both),
        "in_line_lunge": dict(both),
        "shoulder_mobility": dict(both),
        "active_straight_leg_raise": dict(both),
        "trunk_stability_push_up": 2,
        "rotary_stability": dict(both),
    }
    base.update(tests)
    clearing = {"shoulder": {"left": False, "right": False},
                "spinal_extension": False, "spinal_flexion": False}
    return {"tests": base, "clearing": clearing}


def raw_assessment(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"fms": raw_fms(), "ohsa": {"compensations": []}}
    doc.update(copy.deepcopy(overrides))
    return doc


def raw_client() -> dict[str, Any]:
    return {"first_name": "Alex", "last_name": "Client", "date_of_birth": "1985-06-15"}


def loaded_intake(**overrides: Any) -> dict[str, Any]:
    return IntakeSchema().load(raw_intake(**overrides))


def loaded_assessment(**overrides: Any) -> dict[str, Any]:
    return AssessmentSchema().load(raw_assessment(**overrides))


def run(intake: dict[str, Any] | None = None, assessment: dict[str, Any] | None = None,
        age: int | None = 39, **kwargs: Any) -> dict[str, Any]:
    """Validate raw documents and decide, as the services do."""
    loaded = IntakeSchema().load(intake if intake is not None else raw_intake())
    scored = None
    if assessment is not None:
        assessment = AssessmentSchema().load(assessment)
        scored = score_assessment(assessment)
    return decide(loaded, age_years=age, assessment=assessment, scoring=scored,
                  as_of=kwargs.pop("as_of", AS_OF), **kwargs)


def rules_of(result: dict[str, Any]) -> list[str]:
    return [r["rule"] for r in result["reasons"]]


def with_parq(general: dict[str, Any] | None = None, followups: dict[str, Any] | None = None,
              **parq: Any) -> dict[str, Any]:
    """An intake whose PAR-Q+ general answers/follow-ups are overridden."""
    doc = raw_intake()
    doc["parq"]["general"].update(general or {})
    if followups is not None:
        doc["parq"]["followups"] = followups
    doc["parq"].update(parq)
    return doc


def all_sections_no() -> dict[str, Any]:
    from inscope_clinical.vocab import PARQ_SECTIONS

    return {key: {"gate": False} for key in PARQ_SECTIONS}


def with_acsm(**acsm: Any) -> dict[str, Any]:
    doc = raw_intake()
    signs = acsm.pop("signs", [])
    doc["acsm"].update(acsm)
    for sign in signs:
        doc["acsm"]["signs_symptoms"][sign] = True
    return doc


def with_red_flags(*names: str) -> dict[str, Any]:
    return raw_intake(red_flags={name: True for name in names})
