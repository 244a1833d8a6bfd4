"""The client's journey (shared/domain/client-journey.md) computed from real engine
decisions: every status, the DEC-6 assessment gate, labels and next actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from clinical_builders import (
    raw_assessment,
    raw_fms,
    raw_intake,
    run,
    with_acsm,
    with_parq,
    with_red_flags,
)

from inscope_clinical.journey import STATUSES, journey, painful_movements, sort_key

KNEE_PAIN = [{"region": "left knee", "side": "left", "nprs_rest": 0, "nprs_activity": 4,
              "night_pain": False}]


def screened(doc: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {**run(doc, **kw), "stage": "screening"}


def assessed(doc: dict[str, Any], assessment: dict[str, Any]) -> dict[str, Any]:
    return {**run(doc, assessment), "stage": "assessment"}


def test_screening_pending() -> None:
    j = journey(None)
    assert j.status == "screening_pending"
    assert not j.assessment_allowed and j.do_not_train
    assert "Screening" in j.assessment_block_reason


def test_emergency_names_the_configured_number_and_blocks_everything() -> None:
    j = journey(screened(with_red_flags("chest_pain_now")), emergency_number="112")
    assert j.status == "emergency" and j.urgency == "emergency" and j.badge == "Emergency"
    assert j.headline == "Emergency — call 112 now, do not exercise"
    assert "112" in j.emergency_instruction and "112" in j.next_action
    assert not j.assessment_allowed and j.do_not_train
    assert j.assessment_block_reason == "Emergency — do not assess"


def test_on_hold_incomplete_questionnaire_says_why() -> None:
    j = journey(screened(with_parq(general={"g1": True})))
    assert j.status == "on_hold" and j.badge == "Do not train"
    assert j.headline == "On hold — the PAR-Q+ questionnaire is incomplete"
    assert j.next_action == "Complete the PAR-Q+ questionnaire"
    assert not j.assessment_allowed and j.do_not_train


def test_on_hold_unwell_today_beats_a_clearance() -> None:
    doc = with_acsm(signs=["ankle_oedema"])
    doc["parq"]["delay"] = {"temporary_illness": True}
    j = journey(screened(doc))
    assert j.status == "on_hold"
    assert "unwell" in j.headline
    assert j.next_action.startswith("No training today")


def test_urgent_clearance_blocks_the_assessment_with_the_reason() -> None:
    j = journey(screened(with_acsm(signs=["ankle_oedema"])))
    assert j.status == "clearance_needed" and j.urgency == "urgent" and j.badge == "Urgent"
    assert j.headline == "Do not train — urgent medical clearance (physician)"
    assert j.assessment_block_reason == "Urgent physician clearance pending — do not assess"
    assert not j.assessment_allowed and j.do_not_train
    assert "design choice" not in j.reason and "RF-3" not in j.reason


def test_routine_clearance_waiting_for_named_doctor_since_days() -> None:
    doc = with_acsm(regular_exercise_3_months=False, known_cv_disease=True)
    j = journey(screened(doc), referral={"recipient": "Dr. Rivera", "since": "2026-11-30"},
                today=dt.date(2026, 12, 3))
    assert j.status == "clearance_needed"
    assert j.next_action == "Waiting for Dr. Rivera since 3 days"
    assert not j.assessment_allowed


def test_a_letter_blocked_for_want_of_consent_becomes_the_clerks_task() -> None:
    doc = with_acsm(regular_exercise_3_months=False, known_cv_disease=True)
    j = journey(screened(doc), today=dt.date(2026, 12, 3), referral={
        "recipient": "Dr. Rivera", "since": "2026-11-30",
        "problem": "letter blocked: no consent to share"})
    assert j.next_action == "Ask the client to consent, or print the letter for them"
    other = journey(screened(doc), today=dt.date(2026, 12, 3), referral={
        "recipient": "Dr. Rivera", "since": "2026-11-30",
        "problem": "letter failed: SMTP 451"})
    assert other.next_action == "Waiting for Dr. Rivera since 3 days"


def test_sys5_case_may_be_assessed_and_trained_at_moderate() -> None:
    doc = with_acsm(known_cv_disease=True, desired_intensity="vigorous")
    d = screened(doc)
    assert d["program_state"] == "build_moderate_only_until_clearance"
    j = journey(d)
    assert j.status == "clearance_needed"
    assert j.assessment_allowed and not j.do_not_train
    assert j.intensity_cap == "moderate"
    assert j.next_action.startswith("Assess (moderate intensity only)")


def test_routine_pt_referral_for_msk_pain_allows_assessment_without_painful_movements() -> None:
    j = journey(screened(raw_intake(pain=KNEE_PAIN)))
    assert j.status == "referred" and j.urgency == "routine" and j.badge == "Routine"
    assert j.assessment_allowed and j.do_not_train
    assert "in_line_lunge" in j.excluded_movements and "deep_squat" in j.excluded_movements
    assert "shoulder_mobility" not in j.excluded_movements
    assert j.assessment_note.startswith("Painful movements left out: deep squat")
    assert j.headline.startswith("Refer to a physical therapist")


def test_pain_during_assessment_leaves_that_test_out() -> None:
    fms = raw_fms()
    doc = raw_assessment(fms=fms, pain_during=[{"test": "shoulder_mobility", "side": "left",
                                                "region": "shoulder",
                                                "nprs": 5}])
    d = assessed(raw_intake(), doc)
    excluded, _ = painful_movements(d)
    assert "shoulder_mobility" in excluded
    assert journey(d).status == "referred"


def test_unknown_region_asks_the_trainer() -> None:
    pain = [{**KNEE_PAIN[0], "region": "left side"}]
    j = journey(screened(raw_intake(pain=pain)))
    assert j.assessment_allowed and j.excluded_movements == []
    assert "Ask which movements hurt in: left side" in j.assessment_note


def test_urgent_pain_is_not_the_msk_case() -> None:
    pain = [{**KNEE_PAIN[0], "night_pain": True}]
    j = journey(screened(raw_intake(pain=pain)))
    assert j.status == "clearance_needed" and j.urgency == "urgent"
    assert not j.assessment_allowed


def test_pregnancy_is_a_physician_clearance() -> None:
    doc = raw_intake()
    doc["parq"]["delay"] = {"pregnant": True}
    j = journey(screened(doc))
    assert j.status == "clearance_needed" and not j.assessment_allowed
    assert "Pregnancy" in j.reason


def test_answer_to_verify_unlocks_nothing() -> None:
    d = screened(with_acsm(signs=["ankle_oedema"]))
    j = journey(d, answer={"answer": "cleared", "verified": False})
    assert j.status == "answer_to_verify" and j.next_action.startswith("Verify clinician")
    assert not j.assessment_allowed and j.do_not_train


def test_cleared_before_assessment_reopens_it() -> None:
    d = screened(with_acsm(signs=["ankle_oedema"]))
    j = journey(d, answer={"answer": "cleared"})
    assert j.status == "awaiting_assessment" and j.assessment_allowed and j.badge == "Cleared"
    assert j.headline == "Cleared by the physician — ready for the movement assessment"


def test_cleared_with_limits_after_assessment_builds_within_limits() -> None:
    d = assessed(raw_intake(pain=KNEE_PAIN), raw_assessment())
    restrictions = {"max_intensity": "light", "avoid_movements": ["deep squat"], "notes": None}
    j = journey(d, answer={"answer": "cleared_with_restrictions", "restrictions": restrictions})
    assert j.status == "program_ready" and j.badge == "Cleared with limits"
    assert j.next_action == "Build program within limits"
    assert j.intensity_cap == "light" and j.restrictions == restrictions
    assert not j.do_not_train


def test_not_cleared_is_on_hold_naming_who() -> None:
    d = screened(with_acsm(signs=["ankle_oedema"]))
    j = journey(d, answer={"answer": "not_cleared", "answered_by": "Dr. Rivera"})
    assert j.status == "on_hold" and j.headline == "On hold — not cleared by Dr. Rivera"
    assert not j.assessment_allowed


def test_needs_visit_keeps_the_status_with_appointment_pending() -> None:
    d = screened(with_acsm(signs=["ankle_oedema"]))
    j = journey(d, answer={"answer": "needs_visit"})
    assert j.status == "clearance_needed"
    assert j.next_action == "Appointment pending with the physician"
    assert not j.assessment_allowed


def test_awaiting_assessment_and_program_ready() -> None:
    j = journey(screened(raw_intake()))
    assert j.status == "awaiting_assessment" and j.assessment_allowed and j.next_action == "Assess"
    assert j.do_not_train  # the assessment only, not training
    p = journey(assessed(raw_intake(), raw_assessment()))
    assert p.status == "program_ready" and not p.do_not_train and p.assessment_allowed
    assert p.next_action.startswith("Train; re-assess on 20")


def test_free_text_needs_review_with_the_words() -> None:
    j = journey(screened(raw_intake(notes="Gets chest tightness on stairs")))
    assert j.needs_review and j.needs_review[0]["kind"] == "free_text"
    assert "chest" in j.needs_review[0]["words"].lower()


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_has_a_label_and_is_reachable(status: str) -> None:
    cases = {
        "screening_pending": journey(None),
        "emergency": journey(screened(with_red_flags("chest_pain_now"))),
        "on_hold": journey(screened(with_parq(general={"g1": True}))),
        "clearance_needed": journey(screened(with_acsm(signs=["ankle_oedema"]))),
        "referred": journey(screened(raw_intake(pain=KNEE_PAIN))),
        "answer_to_verify": journey(screened(with_acsm(signs=["ankle_oedema"])),
                                    answer={"answer": "cleared", "verified": False}),
        "awaiting_assessment": journey(screened(raw_intake())),
        "program_ready": journey(assessed(raw_intake(), raw_assessment())),
    }
    j = cases[status]
    assert j.status == status
    assert j.status_label and j.headline and j.next_action and j.badge
    # Only these may train (DEC-6 / client-journey "do_not_train").
    assert j.do_not_train == (status not in ("program_ready",))


def test_board_order_urgency_then_waiting_time() -> None:
    t0 = dt.datetime(2026, 12, 1)
    routine = journey(screened(raw_intake(pain=KNEE_PAIN)))
    urgent = journey(screened(with_acsm(signs=["ankle_oedema"])))
    emergency = journey(screened(with_red_flags("chest_pain_now")))
    rows = [(routine, t0), (urgent, t0 + dt.timedelta(days=1)), (urgent, t0), (emergency, t0)]
    ordered = sorted(rows, key=lambda r: sort_key(*r))
    assert [r[0].status for r in ordered] == ["emergency", "clearance_needed",
                                              "clearance_needed", "referred"]
    assert ordered[1][1] == t0
