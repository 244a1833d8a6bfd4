"""Rule tables for the product decisions of clinical-rules.md section 11 (DEC-*).

Each table row would fail if its DEC rule broke. DEC-2 (free text) and DEC-7 (the
clinician's answer) belong to other pieces of work.
"""

from __future__ import annotations

import dataclasses

import pytest
from clinical_builders import raw_assessment, raw_intake, rules_of, run, with_acsm, with_parq

from inscope_clinical import DEFAULT_CONFIG
from inscope_clinical.reasons import CLINICIAN_OUTCOMES, Collector, ReasonError


def expect(result: dict, outcome: str, urgency: str, target: str | None) -> None:
    got = (result["outcome"], result["urgency"], result["target"])
    assert got == (outcome, urgency, target), result["reasons"]


def fired(result: dict, rule: str) -> list[dict]:
    return [r for r in result["reasons"] if r["rule"] == rule]


def pain(region: str, **entry: object) -> dict:
    base = {"region": region, "side": "none", "nprs_rest": 0, "nprs_activity": 3,
            "night_pain": False}
    return base | entry


# ------------------------------------------------------------------ DEC-1

def test_dec1_pregnancy_is_a_routine_physician_clearance() -> None:
    result = run(with_parq(delay={"pregnant": True}), assessment=None)
    expect(result, "clearance", "routine", "physician")
    assert result["program_state"] == "hold_pending_clearance"
    assert result["referrals"] == [{"target": "physician", "urgency": "routine",
                                    "outcome": "clearance", "rules": ["PARQ-3"]}]


def test_dec1_pregnancy_in_free_text_is_a_clearance_too() -> None:
    result = run(raw_intake(notes="pregnant, 14 weeks"))
    assert (result["outcome"], result["target"]) == ("clearance", "physician")


@pytest.mark.parametrize("outcome, urgency, target", [
    ("hold", "routine", "physician"),         # the pre-DEC-1 pregnancy reason
    ("hold", "none", "physical_therapist"),
    ("in_scope", "routine", "physician"),
    ("clearance", "none", "physician"),        # a referral always has an urgency
    ("refer", "urgent", None),                 # and always a target
    ("hold", "urgent", None),                  # urgency only with a referral
])
def test_dec1_no_reason_names_a_clinician_without_opening_a_referral(
        outcome: str, urgency: str, target: str | None) -> None:
    with pytest.raises(ReasonError):
        Collector().add("PARQ-3", {}, "x", outcome=outcome, urgency=urgency, target=target)


def test_dec1_the_services_act_on_every_outcome_that_names_a_clinician() -> None:
    from inscope_notify.messages import LETTER_OUTCOMES
    from inscope_referral.referrals import REFERRING_OUTCOMES

    assert set(REFERRING_OUTCOMES) == set(LETTER_OUTCOMES) == set(CLINICIAN_OUTCOMES)


def test_dec1_a_config_that_would_break_the_invariant_is_refused() -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(DEFAULT_CONFIG, parq6_outcome="hold")
    with pytest.raises(ValueError):
        dataclasses.replace(DEFAULT_CONFIG, acsm_disease_urgency="none")


# ------------------------------------------------------------------ DEC-4

@pytest.mark.parametrize("region, maps_to", [
    ("chest", "ACSM-3"),
    ("left side of chest", "ACSM-3"),
    ("breastbone", "ACSM-3"),
    ("upper abdomen", "RF-3"),
    ("stomach", "RF-3"),
    ("head", "RF-3"),
    ("headaches", "RF-3"),
    ("jaw", "ACSM-3"),             # with exertion (nprs_activity 3)
])
def test_dec4_non_msk_region_goes_to_the_physician_never_pt(region: str, maps_to: str) -> None:
    result = run(raw_intake(pain=[pain(region)]), assessment=None)
    expect(result, "clearance", "urgent", "physician")
    assert "RF-4" not in rules_of(result)
    assert all(r["target"] != "physical_therapist" for r in result["referrals"])
    assert fired(result, "DEC-4")[0]["facts"]["maps_to"] == maps_to
    assert "blocked:assessment" in result["flags"]


def test_dec4_jaw_pain_at_rest_only_stays_musculoskeletal() -> None:
    result = run(raw_intake(pain=[pain("jaw", nprs_rest=3, nprs_activity=0)]))
    expect(result, "refer", "routine", "physical_therapist")
    assert not fired(result, "DEC-4")


@pytest.mark.parametrize("region", ["right knee", "lower back", "shoulder", "neck"])
def test_dec4_musculoskeletal_regions_still_go_to_pt(region: str) -> None:
    result = run(raw_intake(pain=[pain(region)]))
    expect(result, "refer", "routine", "physical_therapist")
    assert not fired(result, "DEC-4")


def test_dec4_chest_row_with_a_knee_row_refers_both() -> None:
    result = run(raw_intake(pain=[pain("chest"), pain("knee")]))
    assert [(r["target"], r["rules"]) for r in result["referrals"]] == [
        ("physician", ["DEC-4"]), ("physical_therapist", ["RF-4"])]


def test_dec4_grade_follows_the_acsm_sign_grade() -> None:
    cfg = dataclasses.replace(DEFAULT_CONFIG, acsm_sign_urgency="emergency")
    assert run(raw_intake(pain=[pain("chest")]), config=cfg)["urgency"] == "emergency"


# ------------------------------------------------------------------ DEC-6

GATE_CASES = [
    # (intake, allowed, basis)
    (raw_intake(), True, "in_scope"),
    (raw_intake(pain=[pain("right knee")]), True, "routine_pt_musculoskeletal"),
    (raw_intake(history={"injuries": [{"description": "sprain", "region": "left ankle",
                                       "current": True}]}), True, "routine_pt_musculoskeletal"),
    (with_acsm(known_cv_disease=True, desired_intensity="vigorous"), True,
     "sys5_moderate_until_clearance"),
    (with_acsm(known_cv_disease=True, regular_exercise_3_months=False), False,
     "deferred_until_clinician_answers"),
    (with_acsm(signs=["ankle_oedema"]), False, "deferred_until_clinician_answers"),
    (with_parq(delay={"pregnant": True}), False, "deferred_until_clinician_answers"),
    (with_parq(delay={"temporary_illness": True}), False, "deferred_until_clinician_answers"),
    (with_parq(delay={"health_change": True}), False, "deferred_until_clinician_answers"),
    (raw_intake(red_flags={"radicular_pain_over_6_weeks": True}), False,
     "deferred_until_clinician_answers"),
    (raw_intake(red_flags={"chest_pain_now": True}), False, "deferred_until_clinician_answers"),
    (raw_intake(pain=[pain("knee", nprs_rest=8)]), False, "deferred_until_clinician_answers"),
    (raw_intake(pain=[pain("chest")]), False, "deferred_until_clinician_answers"),
    (raw_intake(pain=[pain("knee")], red_flags={"radicular_pain_over_6_weeks": True}), False,
     "deferred_until_clinician_answers"),
]


@pytest.mark.parametrize("intake, allowed, basis", GATE_CASES)
def test_dec6_assessment_gate(intake: dict, allowed: bool, basis: str) -> None:
    result = run(intake)
    gate = result["assessment_gate"]
    assert (gate["allowed"], gate["basis"]) == (allowed, basis), result["reasons"]
    assert ("blocked:assessment" in result["flags"]) is (not allowed)
    if not allowed:
        assert fired(result, "DEC-6")[0]["facts"]["assessment.allowed"] is False


def test_dec6_pt_case_lists_the_movements_to_leave_out() -> None:
    result = run(raw_intake(pain=[pain("right knee", side="right")]))
    leave_out = result["assessment_gate"]["leave_out"]
    assert {"deep_squat", "in_line_lunge", "hurdle_step", "overhead_squat"} <= set(
        leave_out["tests"])
    assert "shoulder_mobility" not in leave_out["tests"]
    assert leave_out["regions"][0]["region"] == "right knee"
    assert "assessment:leave_out_painful_movements" in result["flags"]
    assert fired(result, "DEC-6")[0]["facts"]["assessment.leave_out"] == leave_out["tests"]


def test_dec6_unrecognised_region_is_named_for_the_trainer() -> None:
    result = run(raw_intake(pain=[pain("all over")]))
    assert result["assessment_gate"]["leave_out"]["unrecognised_regions"] == ["all over"]


def test_dec6_after_the_assessment_painful_tests_are_left_out_too() -> None:
    during = [{"test": "shoulder_clearing", "region": "shoulder", "side": "left", "nprs": 2}]
    result = run(assessment=raw_assessment(pain_during=during))
    gate = result["assessment_gate"]
    assert gate["allowed"] is True
    assert "shoulder_mobility" in gate["leave_out"]["tests"]


def test_dec6_sys5_case_is_assessed_at_moderate_at_most() -> None:
    result = run(with_acsm(known_cv_disease=True, desired_intensity="vigorous"))
    assert result["assessment_gate"]["intensity_cap"] == "moderate"
    assert "blocked:assessment" not in result["flags"]
