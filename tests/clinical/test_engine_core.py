"""First engine subset: ACSM-3, RF-2/RF-3 emergencies, PARQ-8, FMS scoring, FMS-8/PAIN-6."""

from __future__ import annotations

import pytest
from clinical_builders import (
    loaded_assessment,
    raw_assessment,
    raw_fms,
    raw_intake,
    rules_of,
    run,
    with_acsm,
    with_parq,
    with_red_flags,
)

from inscope_clinical import score_assessment


def test_in_scope_without_assessment_awaits_assessment() -> None:
    result = run()
    assert (result["outcome"], result["urgency"], result["target"]) == ("in_scope", "none", None)
    assert result["program_state"] == "build"
    assert result["program"] is None
    assert "awaiting:assessment" in result["flags"]
    assert {"PARQ-2", "ACSM-3"} <= set(rules_of(result))


# ACSM-3: every branch of the decision table (+ SYS-8 for an unknown activity level).
@pytest.mark.parametrize(
    "acsm, outcome, urgency, program_state",
    [
        ({"regular_exercise_3_months": False}, "in_scope", "none", "build"),
        ({"regular_exercise_3_months": False, "known_cv_disease": True},
         "clearance", "routine", "hold_pending_clearance"),
        ({"regular_exercise_3_months": False, "signs": ["ankle_oedema"]},
         "clearance", "urgent", "hold_pending_clearance"),
        ({"regular_exercise_3_months": True}, "in_scope", "none", "build"),
        ({"regular_exercise_3_months": True, "known_renal_disease": True},
         "in_scope", "none", "build"),
        ({"regular_exercise_3_months": True, "known_metabolic_disease": True,
          "desired_intensity": "vigorous"},
         "clearance", "routine", "build_moderate_only_until_clearance"),
        ({"regular_exercise_3_months": True, "signs": ["palpitations_or_tachycardia"]},
         "clearance", "urgent", "hold_pending_clearance"),
        ({"regular_exercise_3_months": None, "known_cv_disease": True},
         "clearance", "routine", "hold_pending_clearance"),
    ],
    ids=["inactive-healthy", "inactive-disease", "inactive-symptoms", "active-healthy",
         "active-disease-moderate", "active-disease-vigorous", "active-symptoms",
         "unknown-activity-disease"],
)
def test_acsm3_branches(acsm: dict, outcome: str, urgency: str, program_state: str) -> None:
    result = run(with_acsm(**acsm))
    assert (result["outcome"], result["urgency"], result["program_state"]) == (
        outcome, urgency, program_state)
    assert "ACSM-3" in rules_of(result)
    if outcome != "in_scope":
        assert result["target"] == "physician"


def test_sys8_unknown_activity_is_not_regularly_active() -> None:
    result = run(with_acsm(regular_exercise_3_months=None))
    assert "missing:acsm.regular_exercise_3_months" in result["flags"]
    assert "SYS-8" in rules_of(result)
    assert result["intensity_cap"] == "light_to_moderate"


@pytest.mark.parametrize(
    "flag, rule",
    [
        ("saddle_numbness", "RF-2"),
        ("bladder_dysfunction", "RF-2"),
        ("bilateral_leg_neuro_symptoms", "RF-2"),
        ("acute_foot_drop", "RF-2"),
        ("gait_disturbance", "RF-2"),
        ("fever_or_unwell_with_spinal_pain", "RF-2"),
        ("major_trauma_with_spinal_pain", "RF-2"),
        ("chest_pain_now", "RF-3"),
        ("chest_pain_last_12h", "RF-3"),
        ("neck_pain_or_trauma_with_neuro_symptoms", "RF-3"),
        ("sudden_stroke_signs", "RF-3"),
        ("hot_swollen_joint_with_fever", "RF-3"),
        ("suspected_fracture_or_dislocation", "RF-3"),
        ("neurovascular_compromise_after_injury", "RF-3"),
        ("unilateral_calf_pain_swelling", "RF-3"),
    ],
)
def test_emergency_red_flags(flag: str, rule: str) -> None:
    result = run(with_red_flags(flag))
    assert result["outcome"] == "refer"
    assert result["urgency"] == "emergency"
    assert result["target"] == "emergency_services"
    assert result["program_state"] == "none_emergency"
    fired = [r for r in result["reasons"] if r["urgency"] == "emergency"]
    assert fired and fired[0]["rule"] == rule
    assert fired[0]["facts"] == {f"red_flags.{flag}": True}
    assert "action:call_emergency_services" in result["flags"]


def test_emergency_is_listed_first_sys1() -> None:
    result = run(with_red_flags("chest_pain_now"))
    assert result["reasons"][0]["rule"] == "RF-3"


@pytest.mark.parametrize("blank", ["g1", "g5", "g7"])
def test_parq8_blank_general_answer_holds(blank: str) -> None:
    result = run(with_parq(general={blank: None}))
    assert (result["outcome"], result["urgency"], result["target"]) == ("hold", "none", None)
    assert result["program_state"] == "hold_pending_missing_data"
    assert f"missing:parq.general.{blank}" in result["flags"]
    assert "blocked:assessment" in result["flags"]
    assert "PARQ-8" in rules_of(result)
    assert "PARQ-2" not in rules_of(result)


def test_parq8_general_yes_without_followups_holds() -> None:
    result = run(with_parq(general={"g6": True}))
    assert result["outcome"] == "hold"
    assert "missing:parq.followups.s1_arthritis.gate" in result["flags"]


# FMS-2/4/5/6 scoring
def test_fms_lower_side_total_and_asymmetry() -> None:
    fms = raw_fms(hurdle_step={"left": 3, "right": 1}, deep_squat=3)
    scored = score_assessment(loaded_assessment(fms=fms))["fms"]
    assert scored["scores"]["hurdle_step"] == 1
    assert scored["asymmetries"] == ["hurdle_step"]
    assert scored["total"] == 3 + 1 + 2 + 2 + 2 + 2 + 2
    assert scored["le_14"] is True
    assert scored["pain_zero"] == []


@pytest.mark.parametrize(
    "clearing, zeroed",
    [
        ({"shoulder": {"left": True, "right": False}}, "shoulder_mobility"),
        ({"shoulder": {"left": False, "right": True}}, "shoulder_mobility"),
        ({"spinal_extension": True}, "trunk_stability_push_up"),
        ({"spinal_flexion": True}, "rotary_stability"),
    ],
)
def test_fms5_positive_clearing_test_scores_zero(clearing: dict, zeroed: str) -> None:
    fms = raw_fms(**{zeroed: 3 if zeroed == "trunk_stability_push_up" else
                     {"left": 3, "right": 3}})
    fms["clearing"].update(clearing)
    scored = score_assessment(loaded_assessment(fms=fms))["fms"]
    assert scored["scores"][zeroed] == 0
    assert scored["pain_zero"] == [zeroed]


def test_fms_total_exactly_14_is_flag_only_never_referral() -> None:
    fms = raw_fms(deep_squat=2, trunk_stability_push_up=2)  # 7 x 2 = 14
    result = run(assessment=raw_assessment(fms=fms))
    assert result["outcome"] == "in_scope"
    assert "FMS-7" in rules_of(result)
    assert "priority:fms_le_14" in result["flags"]


def test_fms_15_is_not_flagged() -> None:
    result = run(assessment=raw_assessment(fms=raw_fms(deep_squat=3)))
    assert "priority:fms_le_14" not in result["flags"]


def test_fms8_clearing_pain_two_of_ten_refers_to_pt_routine() -> None:
    fms = raw_fms(shoulder_mobility={"left": 3, "right": 3})
    fms["clearing"]["shoulder"]["right"] = True
    pain = [{"test": "shoulder_clearing", "region": "shoulder", "side": "right", "nprs": 2}]
    result = run(assessment=raw_assessment(fms=fms, pain_during=pain))
    assert (result["outcome"], result["urgency"], result["target"]) == (
        "refer", "routine", "physical_therapist")
    assert result["program_state"] == "hold_pending_clearance"
    fms8 = next(r for r in result["reasons"] if r["rule"] == "FMS-8")
    assert fms8["facts"]["fms.pain_zero"] == ["shoulder_mobility"]


def test_fms8_high_total_never_cancels_a_zero() -> None:
    three = {"left": 3, "right": 3}
    fms = raw_fms(deep_squat=3, hurdle_step=three, in_line_lunge=three,
                  shoulder_mobility=three, active_straight_leg_raise=three,
                  trunk_stability_push_up=0, rotary_stability=three)
    result = run(assessment=raw_assessment(fms=fms))
    assert result["outcome"] == "refer"
    assert "FMS-8" in rules_of(result)


def test_pain6_overhead_squat_pain_refers_to_pt() -> None:
    pain = [{"test": "overhead_squat", "region": "knee", "side": "left", "nprs": 1}]
    result = run(assessment=raw_assessment(pain_during=pain))
    assert (result["outcome"], result["target"]) == ("refer", "physical_therapist")
    assert "PAIN-6" in rules_of(result)


def test_every_reason_cites_rule_source_and_facts() -> None:
    intake = raw_intake(red_flags={"unexplained_weight_loss": True})
    result = run(intake, assessment=raw_assessment())
    for reason in result["reasons"]:
        assert reason["rule"] and reason["source"] and reason["tag"] in "CPUD"
        assert isinstance(reason["facts"], dict) and reason["facts"]
