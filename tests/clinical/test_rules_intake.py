"""Rule-by-rule cases for the intake side (PARQ-*, ACSM-*, RF-*, PAIN-*, SCOPE-4, SYS-*).

Each case names the rule ID it exercises; expectations come from
/shared/domain/clinical-rules.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from clinical_builders import (
    AS_OF,
    all_sections_no,
    raw_assessment,
    raw_fms,
    raw_intake,
    rules_of,
    run,
    with_acsm,
    with_parq,
    with_red_flags,
)

from inscope_clinical import DEFAULT_CONFIG, IntakeSchema, decide
from inscope_clinical.vocab import ACSM_SIGNS, PARQ_SECTIONS


def expect(result: dict, outcome: str, urgency: str, target: str | None, state: str) -> None:
    got = (result["outcome"], result["urgency"], result["target"], result["program_state"])
    assert got == (outcome, urgency, target, state), result["reasons"]


def fired(result: dict, rule: str) -> list[dict]:
    return [r for r in result["reasons"] if r["rule"] == rule]


# ------------------------------------------------------------------ PAR-Q+

def test_parq0_version_is_kept_and_its_absence_flagged() -> None:
    loaded = IntakeSchema().load(raw_intake())
    assert loaded["parq"]["version"] == "2024"
    del loaded["parq"]["version"]
    assert "missing:parq.version" in decide(loaded, age_years=30)["flags"]


def test_parq1_any_general_yes_requires_followups() -> None:
    for g in ("g1", "g2", "g3", "g4", "g5", "g6", "g7"):
        result = run(with_parq(general={g: True}))
        # G2 (chest pain) YES also contradicts ACSM "no ischaemic discomfort" (DEC-3).
        assert result["outcome"] == ("clearance" if g == "g2" else "hold"), g
        assert "PARQ-8" in rules_of(result)


def test_parq2_all_no_cleared() -> None:
    result = run()
    expect(result, "in_scope", "none", None, "build")
    assert fired(result, "PARQ-2")[0]["facts"]["parq.general.g7"] is False


@pytest.mark.parametrize("age, used, intensity, advised", [
    (50, None, "vigorous", True), (50, True, "vigorous", False),
    (45, None, "vigorous", False), (50, None, "moderate", False),
])
def test_parq2_over_45_not_used_to_vigorous_gets_qep_advice(
        age: int, used: bool | None, intensity: str, advised: bool) -> None:
    doc = with_parq(used_to_vigorous_exercise=used)
    doc["acsm"]["desired_intensity"] = intensity
    result = run(doc, age=age)
    assert ("advice:qep_before_vigorous" in result["flags"]) is advised
    assert result["outcome"] == "in_scope"


@pytest.mark.parametrize("condition, outcome, urgency, target, state", [
    ("temporary_illness", "hold", "none", None, "delay_until_recovered"),
    ("pregnant", "clearance", "routine", "physician", "hold_pending_clearance"),  # DEC-1
    ("health_change", "hold", "none", None, "hold_pending_missing_data"),
])
def test_parq3_delay_conditions(condition: str, outcome: str, urgency: str,
                                target: str | None, state: str) -> None:
    result = run(with_parq(delay={condition: True}))
    expect(result, outcome, urgency, target, state)
    assert fired(result, "PARQ-3")[0]["facts"] == {f"parq.delay.{condition}": True}


def test_parq3_delay_applies_regardless_of_answers_and_emergency_still_wins() -> None:
    doc = with_parq(delay={"temporary_illness": True})
    doc["red_flags"] = {"chest_pain_now": True}
    expect(run(doc), "refer", "emergency", "emergency_services", "none_emergency")


SUB_QUESTIONS = [(key, sub) for key, subs in PARQ_SECTIONS.items() for sub in subs]


def _followups_with(key: str, sub: str, value: bool | None) -> dict:
    followups = all_sections_no()
    followups[key] = {"gate": True, **{s: False for s in PARQ_SECTIONS[key]}, sub: value}
    return followups


@pytest.mark.parametrize("key, sub", SUB_QUESTIONS)
def test_parq4_parq6_every_followup_yes_needs_clearance(key: str, sub: str) -> None:
    result = run(with_parq(general={"g4": True}, followups=_followups_with(key, sub, True)))
    expect(result, "clearance", "routine", "physician", "hold_pending_clearance")
    assert fired(result, "PARQ-6")[0]["facts"] == {f"parq.followups.{key}.{sub}": True}
    assert "blocked:assessment" in result["flags"]


@pytest.mark.parametrize("key, sub", SUB_QUESTIONS)
def test_parq8_yes_gate_with_blank_subquestion_holds(key: str, sub: str) -> None:
    result = run(with_parq(general={"g4": True}, followups=_followups_with(key, sub, None)))
    expect(result, "hold", "none", None, "hold_pending_missing_data")
    assert f"missing:parq.followups.{key}.{sub}" in result["flags"]


@pytest.mark.parametrize("key", list(PARQ_SECTIONS))
def test_parq5_yes_gate_all_subquestions_no_is_ready(key: str) -> None:
    followups = all_sections_no()
    followups[key] = {"gate": True, **{s: False for s in PARQ_SECTIONS[key]}}
    result = run(with_parq(general={"g1": True}, followups=followups))
    expect(result, "in_scope", "none", None, "build")
    assert fired(result, "PARQ-5")


def test_parq4_unknown_resting_bp_counts_as_yes() -> None:
    followups = all_sections_no()
    followups["s4_blood_pressure"] = {"gate": True, "a": False, "b": None,
                                      "resting_bp_known": False}
    result = run(with_parq(general={"g1": True}, followups=followups))
    expect(result, "clearance", "routine", "physician", "hold_pending_clearance")
    assert {"SYS-8", "PARQ-6"} <= set(rules_of(result))
    assert "missing:parq.followups.s4_blood_pressure.b" not in result["flags"]


def test_parq6_known_yes_still_clears_while_other_answers_missing() -> None:
    followups = _followups_with("s3_heart", "b", True)
    del followups["s7_respiratory"]
    result = run(with_parq(general={"g1": True}, followups=followups))
    assert result["outcome"] == "clearance"
    assert {"PARQ-6", "PARQ-8"} <= set(rules_of(result))
    assert "missing:parq.followups.s7_respiratory.gate" in result["flags"]


@pytest.mark.parametrize("days, expired", [(366, True), (365, False), (30, False)])
def test_parq7_validity_is_12_months(days: int, expired: bool) -> None:
    completed = (AS_OF - dt.timedelta(days=days)).isoformat()
    result = run(with_parq(completed_on=completed))
    assert ("expired:parq" in result["flags"]) is expired
    assert result["outcome"] == ("hold" if expired else "in_scope")


def test_parq7_minor_needs_guardian_signature_flag_only() -> None:
    result = run(age=16)
    assert "declaration:guardian_signature_required" in result["flags"]
    assert result["outcome"] == "in_scope"


@pytest.mark.parametrize("blank", ["g2", "g6"])
def test_parq8_blank_answers_hold(blank: str) -> None:
    result = run(with_parq(general={blank: None}))
    expect(result, "hold", "none", None, "hold_pending_missing_data")


# ------------------------------------------------------------------ ACSM

def test_acsm1_risk_factors_do_not_refer() -> None:
    """Age alone (70, inactive, no disease or symptoms) is not a clearance reason."""
    result = run(with_acsm(regular_exercise_3_months=False), age=70)
    expect(result, "in_scope", "none", None, "build")


@pytest.mark.parametrize("sign", ACSM_SIGNS)
@pytest.mark.parametrize("active", [True, False])
def test_acsm2_each_sign_needs_urgent_clearance(sign: str, active: bool) -> None:
    result = run(with_acsm(regular_exercise_3_months=active, signs=[sign]))
    expect(result, "clearance", "urgent", "physician", "hold_pending_clearance")
    assert f"acsm.signs_symptoms.{sign}" in fired(result, "ACSM-3")[0]["facts"]
    assert fired(result, "RF-3")


@pytest.mark.parametrize("disease", ["known_cv_disease", "known_metabolic_disease",
                                     "known_renal_disease"])
def test_acsm2_each_disease_inactive_needs_clearance(disease: str) -> None:
    result = run(with_acsm(regular_exercise_3_months=False, **{disease: True}))
    expect(result, "clearance", "routine", "physician", "hold_pending_clearance")


def test_acsm3_unverified_recent_clearance_variant_is_off_by_default() -> None:
    doc = with_acsm(known_cv_disease=True)
    assert run(doc)["outcome"] == "in_scope"
    cfg = dataclasses.replace(DEFAULT_CONFIG, acsm_require_recent_clearance=True)
    result = run(doc, config=cfg)
    assert result["outcome"] == "clearance"
    assert fired(result, "ACSM-3")[0]["tag"] == "U"
    doc["acsm"]["medical_clearance_last_12_months"] = True
    assert run(doc, config=cfg)["outcome"] == "in_scope"


def test_sys4_parq_cleared_but_acsm_not() -> None:
    result = run(with_acsm(regular_exercise_3_months=False, known_metabolic_disease=True))
    # PAR-Q+ answered consistently (G4 YES, metabolic section all NO): PARQ-5, cleared.
    assert {"PARQ-5", "ACSM-3", "SYS-4"} <= set(rules_of(result))
    expect(result, "clearance", "routine", "physician", "hold_pending_clearance")


def test_sys5_active_disease_vigorous_builds_moderate_program() -> None:
    doc = with_acsm(known_cv_disease=True, desired_intensity="vigorous")
    result = run(doc, assessment=raw_assessment())
    expect(result, "clearance", "routine", "physician", "build_moderate_only_until_clearance")
    assert result["program"] is not None
    assert result["program"]["intensity_cap"] == "moderate"


# ------------------------------------------------------------------ red flags

RF_CASES = [
    # RF-2
    ("sexual_dysfunction", "RF-2", "emergency"),
    ("bowel_dysfunction", "RF-2", "emergency"),
    ("bilateral_leg_weakness_progressive", "RF-2", "emergency"),
    ("multilevel_limb_weakness", "RF-2", "emergency"),
    ("progressive_motor_deficit", "RF-2", "emergency"),
    ("unexplained_weight_loss", "RF-2", "urgent"),
    ("non_mechanical_or_thoracic_spinal_pain_unwell", "RF-2", "urgent"),
    ("unremitting_night_pain", "RF-2", "urgent"),
    ("immunosuppression_with_new_spinal_pain", "RF-2", "urgent"),
    ("prolonged_corticosteroids_with_new_back_pain", "RF-2", "urgent"),
    ("osteoporosis_with_new_severe_spinal_pain", "RF-2", "urgent"),
    ("sudden_central_pain_after_minor_trauma", "RF-2", "urgent"),
    ("inflammatory_back_pain_features", "RF-2", "urgent"),
    ("major_motor_loss", "RF-2", "urgent"),
    ("radicular_pain_over_6_weeks", "RF-2", "routine"),
    # RF-3
    ("chest_pain_12_to_72h", "RF-3", "urgent"),
    ("exertional_chest_discomfort_relieved_by_rest", "RF-3", "urgent"),
    ("ankle_injury_cannot_bear_weight", "RF-3", "urgent"),
    ("ankle_or_midfoot_bone_tenderness", "RF-3", "urgent"),
]


@pytest.mark.parametrize("flag, rule, grade", RF_CASES)
def test_rf_each_red_flag_question(flag: str, rule: str, grade: str) -> None:
    result = run(with_red_flags(flag))
    if grade == "emergency":
        expect(result, "refer", grade, "emergency_services", "none_emergency")
    else:
        expect(result, "refer", grade, "physician", "hold_pending_clearance")
    assert any(r["facts"].get(f"red_flags.{flag}") is True for r in fired(result, rule))


def test_rf2_flags_that_only_count_in_combination() -> None:
    for flag in ("cancer_history", "new_onset_spinal_pain", "infection_risk_factor",
                 "severe_progressive_spinal_pain"):
        assert run(with_red_flags(flag))["outcome"] == "in_scope", flag


def test_rf2_cancer_history_with_new_spinal_pain_is_urgent() -> None:
    result = run(with_red_flags("cancer_history", "new_onset_spinal_pain"))
    expect(result, "refer", "urgent", "physician", "hold_pending_clearance")


def test_rf2_cancer_history_with_severe_progressive_pain_is_emergency() -> None:
    result = run(with_red_flags("cancer_history", "severe_progressive_spinal_pain"))
    expect(result, "refer", "emergency", "emergency_services", "none_emergency")


@pytest.mark.parametrize("age, grade", [(14, "urgent"), (15, None), (60, None),
                                        (61, "urgent"), (40, None)])
def test_rf2_first_episode_back_pain_age_band(age: int, grade: str | None) -> None:
    result = run(with_red_flags("first_episode_axial_back_pain"), age=age)
    assert result["urgency"] == (grade or "none")


def test_rf2_first_episode_age_unknown_is_flagged() -> None:
    result = run(with_red_flags("first_episode_axial_back_pain"), age=None)
    assert "missing:age_years" in result["flags"]


def test_rf2_age_band_and_motor_loss_grade_are_configurable() -> None:
    cfg = dataclasses.replace(DEFAULT_CONFIG, first_episode_max_age=50,
                              major_motor_loss_urgency="emergency")
    assert run(with_red_flags("first_episode_axial_back_pain"), age=55,
               config=cfg)["urgency"] == "urgent"
    assert run(with_red_flags("major_motor_loss"), config=cfg)["urgency"] == "emergency"


def test_rf3_calf_dvt_rule_is_tagged_unconfirmed() -> None:
    result = run(with_red_flags("unilateral_calf_pain_swelling"))
    assert fired(result, "RF-3")[0]["tag"] == "U"


def test_rf1_sys2_highest_grade_wins_and_sets_target() -> None:
    doc = with_red_flags("radicular_pain_over_6_weeks", "chest_pain_12_to_72h")
    doc["pain"] = [{"region": "knee", "side": "left", "nprs_rest": 0, "nprs_activity": 3,
                    "night_pain": False}]
    result = run(doc)
    expect(result, "refer", "urgent", "physician", "hold_pending_clearance")
    assert {"RF-2", "RF-3", "RF-4"} <= set(rules_of(result))


def test_sys2_all_referrals_listed_with_one_headline_target() -> None:
    doc = with_red_flags("radicular_pain_over_6_weeks")
    doc["pain"] = [{"region": "knee", "side": "left", "nprs_rest": 0, "nprs_activity": 3,
                    "night_pain": False}]
    result = run(doc)
    assert result["target"] == "physician"
    assert [(r["target"], r["urgency"], r["rules"]) for r in result["referrals"]] == [
        ("physician", "routine", ["RF-2"]), ("physical_therapist", "routine", ["RF-4"])]


def test_sys1_reasons_follow_the_evaluation_order() -> None:
    doc = with_red_flags("chest_pain_now", "unexplained_weight_loss")
    doc["parq"]["delay"] = {"temporary_illness": True}
    order = rules_of(run(doc))
    assert order.index("RF-3") < order.index("PARQ-3") < order.index("ACSM-3")
    assert order.index("ACSM-3") < order.index("RF-2")


# ------------------------------------------------------------------ pain and history

def pain(**entry: object) -> dict:
    base = {"region": "knee", "side": "right", "nprs_rest": 0, "nprs_activity": 3,
            "night_pain": False}
    return base | entry


@pytest.mark.parametrize("nprs", [1, 2, 6])
def test_rf4_pain2_pain4_current_pain_refers_pt_whatever_the_intensity(nprs: int) -> None:
    result = run(raw_intake(pain=[pain(nprs_activity=nprs)]))
    expect(result, "refer", "routine", "physical_therapist", "hold_pending_clearance")
    assert fired(result, "RF-4")


def test_rf4_pt_referral_via_physician_is_configurable() -> None:
    cfg = dataclasses.replace(DEFAULT_CONFIG, pt_referral_via_physician=True)
    result = run(raw_intake(pain=[pain()]), config=cfg)
    assert result["target"] == "physician"


def test_rf4_current_injury_and_post_surgical_rehab() -> None:
    injury = {"description": "sprained ankle", "region": "ankle", "current": True}
    surgery = {"procedure": "ACL reconstruction", "region": "knee",
               "ongoing_rehabilitation": True}
    for history in ({"injuries": [injury]}, {"surgeries": [surgery]}):
        result = run(raw_intake(history=history))
        assert (result["outcome"], result["target"]) == ("refer", "physical_therapist")
    old = {"injuries": [injury | {"current": False}],
           "surgeries": [surgery | {"ongoing_rehabilitation": False}]}
    assert run(raw_intake(history=old))["outcome"] == "in_scope"


@pytest.mark.parametrize("entry", [pain(nprs_rest=7), pain(night_pain=True)])
def test_pain6_rest_7_or_night_pain_is_urgent(entry: dict) -> None:
    result = run(raw_intake(pain=[entry]))
    expect(result, "refer", "urgent", "physician", "hold_pending_clearance")
    assert fired(result, "PAIN-6")


def test_pain6_rest_6_is_routine_pt() -> None:
    assert run(raw_intake(pain=[pain(nprs_rest=6)]))["urgency"] == "routine"


def test_pain5_doms_not_reproduced_is_in_scope() -> None:
    doc = raw_intake(pain=[pain(doms=True, nprs_activity=4)])
    result = run(doc, assessment=raw_assessment())
    expect(result, "in_scope", "none", None, "build")
    assert fired(result, "PAIN-5")


def test_pain5_doms_reproduced_by_a_test_refers() -> None:
    doc = raw_intake(pain=[pain(doms=True, nprs_activity=4)])
    during = [{"test": "overhead_squat", "region": "thigh", "side": "bilateral", "nprs": 3}]
    result = run(doc, assessment=raw_assessment(pain_during=during))
    assert (result["outcome"], result["target"]) == ("refer", "physical_therapist")


def discharged(status: str = "symptom_free", cleared: bool | None = True,
               guidelines: str = "No deep squats under load for 4 weeks.") -> dict:
    return {"physical_therapy": [{"region": "knee", "discharged": True,
                                  "discharge_date": "2025-01-10", "discharge_status": status,
                                  "cleared_for_activity": cleared, "guidelines": guidelines}]}


def test_scope4_pt_discharge_symptom_free_is_in_scope() -> None:
    result = run(raw_intake(history=discharged()), assessment=raw_assessment())
    expect(result, "in_scope", "none", None, "build")
    assert fired(result, "SCOPE-4")[0]["tag"] == "C"
    assert "follow:clinician_guidelines" in result["flags"]
    assert result["program"]["restrictions"]["clinician_guidelines"] == [
        "No deep squats under load for 4 weeks."]


def test_scope4_pt_discharge_without_guidelines_requests_them() -> None:
    result = run(raw_intake(history=discharged(guidelines="")))
    assert "request:pt_guidelines" in result["flags"]


@pytest.mark.parametrize("status", ["ongoing_symptoms", "new_symptoms"])
def test_scope4_pt_discharge_with_symptoms_goes_back_to_pt(status: str) -> None:
    result = run(raw_intake(history=discharged(status=status)))
    expect(result, "refer", "routine", "physical_therapist", "hold_pending_clearance")


def test_scope4_still_under_pt_care() -> None:
    history = {"physical_therapy": [{"discharged": False}]}
    assert run(raw_intake(history=history))["target"] == "physical_therapist"


def test_scope4_symptom_free_but_reproduced_in_assessment() -> None:
    during = [{"test": "in_line_lunge", "region": "knee", "side": "right", "nprs": 2}]
    result = run(raw_intake(history=discharged()),
                 assessment=raw_assessment(pain_during=during))
    assert result["target"] == "physical_therapist"
    assert any("reproduced" in r["summary"] for r in fired(result, "SCOPE-4"))


def test_scope4_clearance_for_activity_not_recorded() -> None:
    result = run(raw_intake(history=discharged(cleared=None)))
    expect(result, "clearance", "routine", "physical_therapist", "hold_pending_clearance")
    cfg = dataclasses.replace(DEFAULT_CONFIG, pt_discharge_needs_clearance=False)
    assert run(raw_intake(history=discharged(cleared=None)), config=cfg)["outcome"] == "in_scope"


def test_pain6_clinician_guided_pain_not_reproduced_is_in_scope() -> None:
    doc = raw_intake(pain=[pain(assessed_by_clinician=True)], history=discharged())
    result = run(doc, assessment=raw_assessment())
    expect(result, "in_scope", "none", None, "build")
    assert "follow:clinician_guidelines" in result["flags"]


def test_pain6_clinician_guided_pain_reproduced_refers() -> None:
    doc = raw_intake(pain=[pain(assessed_by_clinician=True)], history=discharged())
    fms = raw_fms()
    fms["clearing"]["spinal_flexion"] = True
    assert run(doc, assessment=raw_assessment(fms=fms))["outcome"] == "refer"


def test_pain6_clinician_assessed_but_no_guidelines_refers() -> None:
    doc = raw_intake(pain=[pain(assessed_by_clinician=True)])
    assert run(doc)["target"] == "physical_therapist"


# ------------------------------------------------------------------ SYS-7 / SYS-8

@pytest.mark.parametrize("notes, urgency, maps_to", [
    ("I get chest tightness when I run", "urgent", "RF-3"),
    ("Some saddle numbness since Tuesday", "emergency", "RF-2"),
    ("lost bladder control last week", "emergency", "RF-2"),
    ("fainted at work in May", "urgent", "ACSM-3"),
    ("unexplained weight loss this winter", "urgent", "RF-2"),
    ("my knee hurts on stairs", "routine", "RF-4"),
    ("on chemo at the moment", "routine", "PARQ-6"),
    ("had chemo in 2019", "none", None),  # a past cancer is history: RF-2 modifier only
])
def test_sys7_free_text_raises_and_flags(notes: str, urgency: str, maps_to: str) -> None:
    result = run(raw_intake(notes=notes))
    assert result["urgency"] == urgency
    assert "review:free_text" in result["flags"]
    assert maps_to in {r["facts"].get("maps_to") for r in fired(result, "SYS-7")}


def test_sys7_structured_no_chest_pain_but_free_text_chest_tightness() -> None:
    doc = raw_intake(notes="No chest pain. But chest tightness climbing stairs.")
    result = run(doc)
    expect(result, "refer", "urgent", "physician", "hold_pending_clearance")


def test_sys7_negated_mentions_do_not_fire() -> None:
    """DEC-2: negated or resolved mentions do not fire (listed, not flagged)."""
    result = run(raw_intake(notes="No chest pain, denies dizziness. Pain-free since 2020."))
    expect(result, "in_scope", "none", None, "build")
    assert "review:free_text" not in result["flags"]
    aside = [r for r in fired(result, "SYS-7") if "negated_mentions" in r["facts"]]
    assert {m["why"] for m in aside[0]["facts"]["negated_mentions"]} == {"negated"}


def test_sys7_never_lowers_an_emergency() -> None:
    doc = with_red_flags("chest_pain_now")
    doc["notes"] = "my knee hurts a bit"
    assert run(doc)["urgency"] == "emergency"


def test_sys7_chest_pain_is_graded_by_its_time_and_the_scan_is_configurable() -> None:
    """DEC-2: no cap at urgent; the words' time decides as the RF-3 questions would."""
    assert run(raw_intake(notes="chest pressure yesterday"))["urgency"] == "urgent"
    doc = raw_intake(notes="chest pressure this morning")
    assert run(doc)["urgency"] == "emergency"
    off = dataclasses.replace(DEFAULT_CONFIG, scan_free_text=False)
    assert run(doc, config=off)["outcome"] == "in_scope"


def test_sys7_assessment_notes_are_scanned() -> None:
    result = run(assessment=raw_assessment(notes="client reported foot drop on the left"))
    assert result["urgency"] == "emergency"


def test_sys8_missing_activity_level_treated_as_inactive() -> None:
    result = run(with_acsm(regular_exercise_3_months=None))
    assert fired(result, "SYS-8")
    assert result["intensity_cap"] == "light_to_moderate"


def test_decide_does_not_need_physician_or_consent() -> None:
    loaded = IntakeSchema().load(raw_intake())
    stripped = {k: v for k, v in loaded.items() if k not in ("consent", "physician")}
    assert decide(stripped, age_years=30, as_of=None)["outcome"] == "in_scope"
