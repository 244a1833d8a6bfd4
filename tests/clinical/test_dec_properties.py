"""Hypothesis properties for DEC-1 and DEC-6 over generated intakes and assessments.

DEC-1: no outcome names a clinician without opening a referral. The engine refuses
such a reason (reasons.check_reason); these properties check the combined decision.
"""

from __future__ import annotations

from typing import Any

from clinical_builders import AS_OF, raw_fms, raw_intake
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inscope_clinical import AssessmentSchema, IntakeSchema, decide
from inscope_clinical.reasons import CLINICIAN_OUTCOMES
from inscope_clinical.vocab import ACSM_SIGNS, PAIN_TESTS, PARQ_SECTIONS, RED_FLAG_QUESTIONS

SETTINGS = settings(max_examples=120, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
ANSWER = st.sampled_from([True, False, False, False, None])
REGIONS = ["right knee", "lower back", "shoulder", "chest", "jaw", "stomach", "head",
           "ankle", "all over", "neck"]
NOTES = ["", "feels great", "knee hurts on stairs", "pregnant", "no chest pain",
         "chest tightness when running", "had chemo in 2015", "flu last week"]


@st.composite
def pain_rows(draw: Any) -> dict[str, Any]:
    return {"region": draw(st.sampled_from(REGIONS)),
            "side": draw(st.sampled_from(["left", "right", "bilateral", "midline", "none"])),
            "nprs_rest": draw(st.integers(0, 10)), "nprs_activity": draw(st.integers(0, 10)),
            "night_pain": draw(st.booleans()), "doms": draw(st.booleans()),
            "assessed_by_clinician": draw(st.booleans())}


@st.composite
def intakes(draw: Any) -> dict[str, Any]:
    doc = raw_intake()
    doc["parq"]["general"] = {f"g{i}": draw(ANSWER) for i in range(1, 8)}
    doc["parq"]["followups"] = {
        key: {"gate": draw(ANSWER), **{s: draw(ANSWER) for s in subs}}
        for key, subs in PARQ_SECTIONS.items()}
    doc["parq"]["delay"] = {k: draw(st.booleans()) for k in
                            ("temporary_illness", "pregnant", "health_change")}
    acsm = doc["acsm"]
    acsm["regular_exercise_3_months"] = draw(st.sampled_from([True, False, None]))
    for key in ("known_cv_disease", "known_metabolic_disease", "known_renal_disease"):
        acsm[key] = draw(st.booleans())
    signs = draw(st.sets(st.sampled_from(ACSM_SIGNS), max_size=2))
    acsm["signs_symptoms"] = {s: s in signs for s in ACSM_SIGNS}
    acsm["desired_intensity"] = draw(st.sampled_from(["light", "moderate", "vigorous"]))
    flags = draw(st.sets(st.sampled_from(RED_FLAG_QUESTIONS), max_size=2))
    doc["red_flags"] = {q: True for q in flags}
    doc["pain"] = draw(st.lists(pain_rows(), max_size=2))
    doc["notes"] = draw(st.sampled_from(NOTES))
    return doc


@st.composite
def assessments(draw: Any) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    fms = raw_fms()
    fms["clearing"]["spinal_flexion"] = draw(st.booleans())
    during = draw(st.lists(st.sampled_from(PAIN_TESTS), max_size=1))
    return {"fms": fms, "pain_during": [{"test": t, "region": "knee", "side": "left",
                                         "nprs": 3} for t in during]}


def decide_raw(intake: dict[str, Any], assessment: dict[str, Any] | None) -> dict[str, Any]:
    loaded = AssessmentSchema().load(assessment) if assessment is not None else None
    return decide(IntakeSchema().load(intake), age_years=40, assessment=loaded, as_of=AS_OF)


@SETTINGS
@given(intakes(), assessments())
def test_dec1_no_outcome_names_a_clinician_without_a_referral(
        intake: dict[str, Any], assessment: dict[str, Any] | None) -> None:
    result = decide_raw(intake, assessment)
    if result["outcome"] in CLINICIAN_OUTCOMES:
        assert result["target"] is not None and result["urgency"] != "none"
        assert result["referrals"]
    else:  # hold or in_scope: nobody is named, nobody would be written to
        assert result["target"] is None
        assert result["referrals"] == []
        assert result["urgency"] == "none"
    for reason in result["reasons"]:
        assert (reason["target"] is not None) is (reason["outcome"] in CLINICIAN_OUTCOMES)


@SETTINGS
@given(intakes(), assessments())
def test_dec6_assessment_only_when_screening_allows_it(
        intake: dict[str, Any], assessment: dict[str, Any] | None) -> None:
    result = decide_raw(intake, assessment)
    gate = result["assessment_gate"]
    assert ("blocked:assessment" in result["flags"]) is (not gate["allowed"])
    deferring = [r for r in result["reasons"] if r["outcome"] != "in_scope"]
    for reason in deferring:
        sys5 = reason["program_state"] == "build_moderate_only_until_clearance"
        pt = (reason["target"], reason["urgency"]) == ("physical_therapist", "routine")
        if not (sys5 or pt):
            assert gate["allowed"] is False, reason
    if result["outcome"] == "hold" or result["urgency"] in ("urgent", "emergency"):
        assert gate["allowed"] is False
    if gate["allowed"] and gate["leave_out"] is None:
        assert all(r["target"] != "physical_therapist" for r in deferring)
