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
    if _bone_or_joint_problem(doc):
        # DEC-3: a client reporting current musculoskeletal pain or injury answers
        # PAR-Q+ G6 YES (and the follow-ups); pass parq= to test the contradiction.
        consistent_parq(doc, ["bone_or_joint_problem"]) if "parq" not in overrides else None
    return doc


def _bone_or_joint_problem(doc: dict[str, Any]) -> bool:
    from inscope_clinical.contradictions import _current_msk_pain

    return bool(_current_msk_pain(doc))


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


# DEC-3: the PAR-Q+ answers a consistent client gives alongside an ACSM answer or a
# red flag (general question, and the follow-up section whose gate it opens).
CONSISTENT_PARQ = {
    "known_cv_disease": ("g1", "s3_heart"),
    "known_metabolic_disease": ("g4", "s5_metabolic"),
    "known_renal_disease": ("g4", "s10_other"),
    "bone_or_joint_problem": ("g6", None),
    "ischaemic_discomfort": ("g2", None),
    "dizziness_or_syncope": ("g3", None),
    "chest_pain_now": ("g2", None),
    "chest_pain_last_12h": ("g2", None),
    "chest_pain_12_to_72h": ("g2", None),
    "exertional_chest_discomfort_relieved_by_rest": ("g2", None),
}


def consistent_parq(doc: dict[str, Any], answers: list[str]) -> dict[str, Any]:
    """Answer the PAR-Q+ as a client with these ACSM answers/red flags would (general
    YES, its section's gate YES with every sub-question NO, other gates NO), so that
    a rule test is not also a DEC-3 contradiction test."""
    from inscope_clinical.vocab import PARQ_SECTIONS

    hits = [CONSISTENT_PARQ[a] for a in answers if a in CONSISTENT_PARQ]
    if not hits:
        return doc
    followups = doc["parq"].setdefault("followups", {})
    for key in PARQ_SECTIONS:
        followups.setdefault(key, {"gate": False})
    for general, section in hits:
        doc["parq"]["general"][general] = True
        if section:
            followups[section] = {"gate": True, **{s: False for s in PARQ_SECTIONS[section]}}
    return doc


def with_acsm(**acsm: Any) -> dict[str, Any]:
    doc = raw_intake()
    signs = acsm.pop("signs", [])
    doc["acsm"].update(acsm)
    for sign in signs:
        doc["acsm"]["signs_symptoms"][sign] = True
    return consistent_parq(doc, [k for k, v in acsm.items() if v is True] + list(signs))


def with_red_flags(*names: str) -> dict[str, Any]:
    return consistent_parq(raw_intake(red_flags={name: True for name in names}), list(names))
