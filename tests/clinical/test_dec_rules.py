"""Rule tables for the product decisions of clinical-rules.md section 11 (DEC-*).

Each table row would fail if its DEC rule broke. DEC-2 (free text) and DEC-7 (the
clinician's answer) belong to other pieces of work.
"""

from __future__ import annotations

import dataclasses

import pytest
from clinical_builders import (
    all_sections_no,
    raw_assessment,
    raw_intake,
    rules_of,
    run,
    with_acsm,
    with_parq,
)

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


def test_dec1_collector_refuses_exactly_what_check_reason_refuses() -> None:
    """Collector.add checks a reason by one look-up in the triples check_reason lets
    through: the two agree on every combination, unknown values included."""
    from inscope_clinical.reasons import OUTCOMES, TARGETS, URGENCIES, check_reason

    for outcome in (*OUTCOMES, "maybe"):
        for urgency in (*URGENCIES, "soon"):
            for target in (*TARGETS, "chiropractor"):
                try:
                    check_reason(outcome, urgency, target)
                    allowed = True
                except ReasonError:
                    allowed = False
                if allowed:
                    Collector().add("PARQ-3", {}, "x", outcome=outcome, urgency=urgency,
                                    target=target)
                else:
                    with pytest.raises(ReasonError):
                        Collector().add("PARQ-3", {}, "x", outcome=outcome, urgency=urgency,
                                        target=target)


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
    physician, therapist = result["referrals"]
    assert physician["target"] == "physician" and "DEC-4" in physician["rules"]
    # DEC-3: the chest row also contradicts the ACSM "no ischaemic discomfort" answer.
    assert {"ACSM-3", "RF-3"} <= set(physician["rules"])
    assert (therapist["target"], therapist["rules"]) == ("physical_therapist", ["RF-4"])


def test_dec4_grade_follows_the_acsm_sign_grade() -> None:
    cfg = dataclasses.replace(DEFAULT_CONFIG, acsm_sign_urgency="emergency")
    assert run(raw_intake(pain=[pain("chest")]), config=cfg)["urgency"] == "emergency"


# ------------------------------------------------------------------ DEC-6


def consistent(**intake: object) -> dict:
    """An intake with a bone/joint problem answered consistently: PAR-Q+ G6 YES and
    every follow-up section answered NO (else DEC-3 raises G6 and PARQ-8 holds)."""
    doc = with_parq(general={"g6": True}, followups=all_sections_no())
    doc.update(intake)
    return doc


GATE_CASES = [
    # (intake, allowed, basis)
    (raw_intake(), True, "in_scope"),
    (consistent(pain=[pain("right knee")]), True, "routine_pt_musculoskeletal"),
    (consistent(history={"injuries": [{"description": "sprain", "region": "left ankle",
                                       "current": True}]}), True, "routine_pt_musculoskeletal"),
    # G6 "no bone or joint problem" beside a knee pain row: DEC-3 takes G6 YES (flagged
    # for review); the pain acts through RF-4, so the PT case still applies.
    (with_parq() | {"pain": [pain("right knee")]}, True, "routine_pt_musculoskeletal"),
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
    result = run(consistent(pain=[pain("right knee", side="right")]))
    leave_out = result["assessment_gate"]["leave_out"]
    assert {"deep_squat", "in_line_lunge", "hurdle_step", "overhead_squat"} <= set(
        leave_out["tests"])
    assert "shoulder_mobility" not in leave_out["tests"]
    assert leave_out["regions"][0]["region"] == "right knee"
    assert "assessment:leave_out_painful_movements" in result["flags"]
    assert fired(result, "DEC-6")[0]["facts"]["assessment.leave_out"] == leave_out["tests"]


def test_dec6_unrecognised_region_is_named_for_the_trainer() -> None:
    result = run(consistent(pain=[pain("all over")]))
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


# ------------------------------------------------------------------ DEC-3

def contradictions(result: dict) -> dict[str, list[str]]:
    return {c["answer"]: [e["field"] for e in c["against"]] for c in result["contradictions"]}


@pytest.mark.parametrize("change, answer, against", [
    ({"red_flags": {"chest_pain_12_to_72h": True}}, "parq.general.g2",
     "red_flags.chest_pain_12_to_72h"),
    ({"red_flags": {"chest_pain_12_to_72h": True}}, "acsm.signs_symptoms.ischaemic_discomfort",
     "red_flags.chest_pain_12_to_72h"),
    ({"acsm.signs_symptoms.ischaemic_discomfort": True}, "parq.general.g2",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ({"acsm.signs_symptoms.dizziness_or_syncope": True}, "parq.general.g3",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ({"acsm.known_cv_disease": True}, "parq.general.g1", "acsm.known_cv_disease"),
    ({"acsm.known_metabolic_disease": True}, "parq.general.g4", "acsm.known_metabolic_disease"),
    ({"pain": [pain("right knee")]}, "parq.general.g6", "pain[0].region"),
    ({"pain": [pain("chest")]}, "parq.general.g2", "pain[0].region"),
    ({"history": {"injuries": [{"description": "sprain", "current": True}]}},
     "parq.general.g6", "history.injuries[0].current"),
])
def test_dec3_contradicted_no_is_taken_as_yes_and_flagged(change: dict, answer: str,
                                                          against: str) -> None:
    doc = with_parq()  # every PAR-Q+ answer NO, explicitly
    for key, value in change.items():
        if key.startswith("acsm."):
            *path, leaf = key.split(".")[1:]
            node = doc["acsm"]
            for p in path:
                node = node[p]
            node[leaf] = value
        else:
            doc[key] = value
    result = run(doc)
    assert against in contradictions(result)[answer]
    assert "review:contradiction" in result["flags"]
    listed = fired(result, "DEC-3")[0]["facts"]["contradictions"]
    assert any(c["answer"] == answer and c["answered"] is False and c["taken"] is True
               for c in listed)


def test_dec3_takes_the_more_serious_answer() -> None:
    """PAR-Q+ "no chest pain" beside an ACSM chest sign: the chest sign decides."""
    doc = with_parq()
    doc["acsm"]["signs_symptoms"]["ischaemic_discomfort"] = True
    result = run(doc)
    expect(result, "clearance", "urgent", "physician")
    assert "action:complete_parq_followups" in result["flags"]  # G2 taken as YES


def test_dec3_consistent_answers_are_not_flagged() -> None:
    result = run(with_acsm(known_cv_disease=True, signs=["ischaemic_discomfort"]))
    assert result["contradictions"] == []
    assert "review:contradiction" not in result["flags"]


def test_dec3_a_yes_is_never_lowered() -> None:
    result = run(with_parq(general={"g2": True}))
    assert "parq.general.g2" not in contradictions(result)  # the YES stands
    assert all(c["taken"] is True for c in run(raw_intake(
        red_flags={"chest_pain_now": True}))["contradictions"])


# ------------------------------------------------------------------ DEC-10

def bp(systolic: int, diastolic: int, measured_on: str = "2025-02-20",
       on_medication: bool = False) -> dict:
    return {"resting_bp": {"systolic": systolic, "diastolic": diastolic,
                           "measured_on": measured_on, "on_medication": on_medication}}


@pytest.mark.parametrize("values, raised", [
    ((165, 85), True), ((150, 92), True), ((160, 90), True), ((159, 89), False),
])
def test_dec10_resting_bp_decides_parq_4b(values: tuple[int, int], raised: bool) -> None:
    result = run(raw_intake(vitals=bp(*values)))
    assert (result["outcome"] == "clearance") is raised
    if raised:
        assert fired(result, "PARQ-6")[0]["facts"]["parq.followups.s4_blood_pressure.b"]
        assert contradictions(result)["parq.general.g1"] == ["vitals.resting_bp"]
        assert "review:contradiction" in result["flags"]
        derived = fired(result, "DEC-10")[0]["facts"]["derived_answers"]
        assert {"parq.followups.s4_blood_pressure.b", "parq.followups.s4_blood_pressure.gate"
                } <= {d["answer"] for d in derived}


def test_dec10_stale_bp_decides_nothing_and_is_flagged() -> None:
    result = run(raw_intake(vitals=bp(180, 100, measured_on="2024-01-10")))
    assert result["outcome"] == "in_scope"
    assert "stale:vitals.resting_bp" in result["flags"]


def test_dec10_bp_fills_a_blank_4b_and_never_lowers_a_yes() -> None:
    followups = all_sections_no()
    followups["s4_blood_pressure"] = {"gate": True, "a": False, "b": None}
    result = run(with_parq(general={"g1": True}, followups=followups) | {"vitals": bp(130, 80)})
    assert result["outcome"] == "in_scope"
    assert fired(result, "DEC-10")[0]["facts"]["derived_answers"][0]["taken"] is False
    followups["s4_blood_pressure"]["b"] = True
    result = run(with_parq(general={"g1": True}, followups=followups) | {"vitals": bp(130, 80)})
    assert result["outcome"] == "clearance"
    assert "parq.followups.s4_blood_pressure.b" in contradictions(result)


def test_dec10_bp_medication_contradicts_g5_no() -> None:
    result = run(raw_intake(vitals=bp(130, 80, on_medication=True)))
    assert "parq.general.g5" in contradictions(result)


@pytest.mark.parametrize("bpm, raised", [(101, True), (100, False)])
def test_dec10_resting_heart_rate_decides_tachycardia(bpm: int, raised: bool) -> None:
    vitals = {"resting_heart_rate": {"bpm": bpm, "measured_on": "2025-02-25"}}
    result = run(raw_intake(vitals=vitals))
    assert (result["urgency"] == "urgent") is raised


@pytest.mark.parametrize("weight, raised", [
    ({"change_kg": -6, "over_weeks": 12, "intentional": False}, True),
    ({"change_kg": -6, "over_weeks": 12, "intentional": True}, False),
    ({"change_kg": -4, "over_weeks": 12, "intentional": False, "body_weight_kg": 70}, True),
    ({"change_kg": -3, "over_weeks": 12, "intentional": False, "body_weight_kg": 70}, False),
    ({"change_kg": -8, "over_weeks": 40, "intentional": False}, False),
    ({"change_kg": 5, "over_weeks": 4, "intentional": False}, False),
])
def test_dec10_weight_change_decides_unexplained_weight_loss(weight: dict, raised: bool) -> None:
    result = run(raw_intake(vitals={"weight_change": weight}))
    assert (result["urgency"] == "urgent") is raised
    if raised:
        assert "red_flags.unexplained_weight_loss" in contradictions(result)


# ------------------------------------------------------------------ DEC-5

GUIDED_PAIN = {"region": "right knee", "side": "right", "nprs_rest": 0, "nprs_activity": 3,
               "night_pain": False, "assessed_by_clinician": True}


@pytest.mark.parametrize("profession", ["physician", "physical_therapist", "chiropractor",
                                        "sports_medicine_physician"])
def test_dec5_guidelines_from_any_clinician_satisfy_pain6(profession: str) -> None:
    guidelines = [{"profession": profession, "clinician_name": "Dr Rivera",
                   "guidelines": "Avoid deep knee flexion under load for 6 weeks."}]
    result = run(consistent(pain=[GUIDED_PAIN], history={"clinician_guidelines": guidelines}),
                 assessment=raw_assessment())
    expect(result, "in_scope", "none", None)
    assert "follow:clinician_guidelines" in result["flags"]
    assert any("Avoid deep knee flexion" in g for g in
               result["program"]["restrictions"]["clinician_guidelines"])


def test_dec5_without_guidelines_the_same_pain_refers() -> None:
    result = run(consistent(pain=[GUIDED_PAIN]))
    expect(result, "refer", "routine", "physical_therapist")


def test_dec5_other_clinician_guidelines_serve_a_pt_discharge_without_them() -> None:
    history = {"physical_therapy": [{"region": "knee", "discharged": True,
                                     "discharge_status": "symptom_free",
                                     "cleared_for_activity": True}],
               "clinician_guidelines": [{"profession": "physician", "guidelines": "Walk daily."}]}
    flags = run(raw_intake(history=history))["flags"]
    assert "follow:clinician_guidelines" in flags and "request:pt_guidelines" not in flags


def test_dec5_guideline_restrictions_shape_the_program() -> None:
    guidelines = [{"profession": "chiropractor", "guidelines": "No loaded squats.",
                   "restrictions": {"max_intensity": "light", "avoid_movements": ["squatting"]}}]
    result = run(raw_intake(history={"clinician_guidelines": guidelines}),
                 assessment=raw_assessment())
    program = result["program"]
    assert program["intensity_cap"] == "light"
    assert "deep_squat" in program["restrictions"]["avoid_loading"]
    ids = [e["id"] for phase in program["phases"] for e in phase["exercises"]]
    assert "int_ball_wall_squat" not in ids


@pytest.mark.parametrize("notes, re_triggers", [
    ("knee pain on stairs", False),       # the structured knee row covers it
    ("it hurts when I run", False),        # no body part named: the row covers it
    ("shoulder pain when lifting", True),  # a body part no row records
])
def test_dec5_structured_pain_covers_its_own_free_text(notes: str, re_triggers: bool) -> None:
    result = run(consistent(pain=[GUIDED_PAIN],
                            history={"clinician_guidelines": [
                                {"profession": "physician", "guidelines": "Walk daily."}]},
                            notes=notes))
    free_text_pt = [r for r in fired(result, "SYS-7") if r["facts"].get("maps_to") == "RF-4"]
    assert bool(free_text_pt) is re_triggers
    assert (result["outcome"] == "refer") is re_triggers
    if not re_triggers:
        assert fired(result, "DEC-5")[0]["facts"]["covered_mentions"][0]["covered_by"] == \
            "pain[0]"


# ------------------------------------------------------------------ DEC-9

def clearance(**entry: object) -> dict:
    base = {"clinician_name": "Dr Rivera", "profession": "physician", "date": "2024-11-01",
            "conditions": ["known_cv_disease"], "document_seen": True}
    return {"written_clearances": [base | entry]}


def cv_inactive(**extra: object) -> dict:
    doc = with_acsm(known_cv_disease=True, regular_exercise_3_months=False)
    doc.update(extra)
    return doc


@pytest.mark.parametrize("entry, satisfied, why", [
    ({}, True, None),
    ({"conditions": []}, False, "names no condition"),
    ({"conditions": ["known_metabolic_disease"]}, False, None),
    ({"date": "2023-12-01"}, False, "not within 365 days"),
    ({"document_seen": False}, False, "document was not seen"),
    ({"profession": "chiropractor"}, False, "not from a physician"),
])
def test_dec9_written_clearance_satisfies_acsm3(entry: dict, satisfied: bool,
                                                why: str | None) -> None:
    result = run(cv_inactive(history=clearance(**entry)))
    assert (result["outcome"] == "in_scope") is satisfied, result["reasons"]
    summary = result["clearances_on_file"][0]
    assert bool(summary["satisfies"]) is satisfied
    if why:
        assert any(why in problem for problem in summary["not_valid_because"])
        assert "shown:clearance_on_file" in result["flags"]


def test_dec9_new_symptom_voids_the_clearance() -> None:
    doc = cv_inactive(history=clearance())
    doc["acsm"]["signs_symptoms"]["ankle_oedema"] = True
    result = run(doc)
    assert result["outcome"] == "clearance"
    assert "voided" in result["clearances_on_file"][0]["not_valid_because"][0]
    doc = cv_inactive(history=clearance())
    doc["parq"]["delay"] = {"health_change": True}
    assert not run(doc)["clearances_on_file"][0]["satisfies"]


def test_dec9_validity_window_is_configurable() -> None:
    cfg = dataclasses.replace(DEFAULT_CONFIG, written_clearance_validity_days=90)
    assert run(cv_inactive(history=clearance()), config=cfg)["outcome"] == "clearance"


def test_dec9_pregnancy_cleared_by_the_obstetric_clinician() -> None:
    doc = with_parq(delay={"pregnant": True})
    doc["history"] = clearance(profession="obstetric_clinician", conditions=["pregnancy"])
    result = run(doc, assessment=raw_assessment())
    expect(result, "in_scope", "none", None)
    assert result["program"] is not None


def test_dec9_parq6_section_cleared_and_restrictions_followed() -> None:
    followups = all_sections_no()
    followups["s3_heart"] = {"gate": True, "a": False, "b": True, "c": False, "d": False}
    doc = with_parq(general={"g1": True}, followups=followups)
    doc["history"] = clearance(conditions=["s3_heart"], restrictions={
        "max_intensity": "moderate", "avoid_movements": ["overhead_arm_work"],
        "notes": "Keep heart rate under 140."})
    result = run(doc, assessment=raw_assessment())
    expect(result, "in_scope", "none", None)
    assert "follow:clearance_restrictions" in result["flags"]
    assert result["restrictions"]["notes"] == ["Keep heart rate under 140."]
    assert result["program"]["intensity_cap"] == "moderate"
    assert "shoulder_mobility" in result["program"]["restrictions"]["avoid_loading"]


def test_dec9_a_clearance_for_one_section_leaves_another_section_referred() -> None:
    followups = all_sections_no()
    followups["s3_heart"] = {"gate": True, "a": False, "b": True, "c": False, "d": False}
    followups["s7_respiratory"] = {"gate": True, "a": True, "b": False, "c": False, "d": False}
    doc = with_parq(general={"g1": True, "g4": True}, followups=followups)
    doc["history"] = clearance(conditions=["s3_heart"])
    result = run(doc)
    assert result["outcome"] == "clearance"
    still = [r for r in fired(result, "PARQ-6") if r["outcome"] == "clearance"]
    assert list(still[0]["facts"]) == ["parq.followups.s7_respiratory.a"]


# ------------------------------------------------------------------ DEC-8

def dec8_assessment(**extra: object) -> dict:
    return raw_assessment(**extra)


def test_dec8_single_leg_squat_knee_valgus_per_side_uses_ohsa_t2() -> None:
    assessment = dec8_assessment(single_leg_squat={"left": ["knees_move_inward"], "right": []})
    result = run(assessment=assessment)
    expect(result, "in_scope", "none", None)  # never a referral by itself (SYS-6)
    from inscope_clinical import AssessmentSchema, score_assessment
    scored = score_assessment(AssessmentSchema().load(assessment))
    over = {m["muscle"]: m for m in scored["imbalances"]["overactive"]}
    assert over["tfl"]["side"] == "left"
    assert "OHSA-T2:single_leg_squat:knees_move_inward" in over["adductor_complex"]["sources"]
    assert scored["movement_assessments"]["single_leg_squat"]["asymmetry"] is True
    program = result["program"]
    assert program["movement_priorities"] == ["single_leg_squat:left:knees_move_inward"]
    integrate = [e["id"] for e in program["phases"][3]["exercises"]]
    assert "int_step_up_balance" in integrate


@pytest.mark.parametrize("test", ["pushing", "pulling"])
def test_dec8_push_pull_findings_use_ohsa_t2_without_lats(test: str) -> None:
    assessment = dec8_assessment(**{test: {"compensations": ["low_back_arches",
                                                             "shoulders_elevate",
                                                             "head_forward"]}})
    from inscope_clinical import AssessmentSchema, score_assessment
    scored = score_assessment(AssessmentSchema().load(assessment))
    over = {m["muscle"] for m in scored["imbalances"]["overactive"]}
    assert {"lumbar_extensors", "levator_scapulae", "upper_trapezius",
            "sternocleidomastoid"} <= over
    assert "latissimus_dorsi" not in over  # T2: lats only for the overhead squat
    result = run(assessment=assessment)
    expect(result, "in_scope", "none", None)
    integrate = [e["id"] for e in result["program"]["phases"][3]["exercises"]]
    assert {"int_incline_push_up", "int_standing_row"} & set(integrate)
    assert f"{test}:shoulders_elevate" in result["program"]["movement_priorities"]


@pytest.mark.parametrize("test", ["single_leg_squat", "pushing_assessment",
                                  "pulling_assessment"])
def test_dec8_pain_during_them_is_handled_like_a_screen_test(test: str) -> None:
    during = [{"test": test, "region": "knee", "side": "left", "nprs": 1}]
    result = run(consistent(), assessment=dec8_assessment(pain_during=during))
    expect(result, "refer", "routine", "physical_therapist")
    reason = [r for r in fired(result, "PAIN-6") if r["outcome"] == "refer"][0]
    assert reason["facts"]["dec8_tests"] == [test]
    assert test in result["assessment_gate"]["leave_out"]["tests"]


def test_dec8_unknown_compensation_is_refused() -> None:
    from marshmallow import ValidationError

    from inscope_clinical import AssessmentSchema
    with pytest.raises(ValidationError):
        AssessmentSchema().load(dec8_assessment(pushing={"compensations": ["feet_turn_out"]}))
