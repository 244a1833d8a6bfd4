"""Reminders, overdue flags and progress reports, at frozen moments (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inscope_referral.schedule import (
    FollowUpClock,
    Overdue,
    ProgressClock,
    ProgressReport,
    Reminder,
    current_phase,
    due_follow_ups,
    due_progress_reports,
    reassessment_changes,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def due(clock: FollowUpClock, now: datetime, max_reminders: int = 2):
    return due_follow_ups([clock], now, every=WEEK, max_reminders=max_reminders)


def clock(status="delivered", sent=0, last=None, out=T0):
    return FollowUpClock("r1", status, out, sent, last)


def test_nothing_is_due_before_a_week_has_passed():
    assert due(clock(), T0 + WEEK - timedelta(seconds=1)) == []


def test_two_reminders_a_week_apart_then_overdue_a_week_after_the_last():
    assert due(clock(), T0 + WEEK) == [Reminder("r1", 1)]
    # The first reminder went out late (day 9): the second waits a full week after it.
    first_at = T0 + timedelta(days=9)
    assert due(clock(sent=1, last=first_at), T0 + timedelta(days=14)) == []
    assert due(clock(sent=1, last=first_at), first_at + WEEK) == [Reminder("r1", 2)]
    second_at = first_at + WEEK
    assert due(clock(sent=2, last=second_at), second_at + WEEK - timedelta(minutes=1)) == []
    assert due(clock(sent=2, last=second_at), second_at + WEEK) == [Overdue("r1")]


def test_never_a_third_reminder():
    late = T0 + timedelta(days=365)
    assert due(clock(sent=2, last=T0 + 2 * WEEK), late) == [Overdue("r1")]


def test_no_reminders_configured_goes_straight_to_overdue():
    assert due(clock(), T0 + WEEK, max_reminders=0) == [Overdue("r1")]


def test_only_letters_that_are_out_and_unanswered_are_chased():
    later = T0 + 4 * WEEK
    for status in ("needed", "answered", "closed", "overdue"):
        assert due(clock(status=status), later) == [], status
    assert due(clock(out=None, status="viewed"), later) == []  # carried by the client
    assert due(clock(status="viewed"), later) == [Reminder("r1", 1)]


def progress(status="answered", answer="cleared", answered=T0, last=None):
    return ProgressClock("r1", status, answer, answered, last)


def test_progress_reports_every_twelve_weeks_after_the_answer():
    every = timedelta(weeks=12)
    assert due_progress_reports([progress()], T0 + every - timedelta(hours=1), every=every) == []
    now = T0 + every
    assert due_progress_reports([progress()], now, every=every) == [ProgressReport("r1", T0, now)]
    # The next period starts where the last report ended.
    assert due_progress_reports([progress(last=now)], now + every / 2, every=every) == []
    then = now + every
    assert due_progress_reports([progress(last=now)], then, every=every) == [
        ProgressReport("r1", now, then)
    ]


def test_progress_only_for_clients_training_under_a_clearance():
    every = timedelta(weeks=12)
    later = T0 + 2 * every
    for clk in (
        progress(answer="not_cleared"),
        progress(answer="needs_visit"),
        progress(status="closed"),
        progress(status="delivered", answer=None, answered=None),
    ):
        assert due_progress_reports([clk], later, every=every) == []
    assert due_progress_reports([progress(answer="cleared_with_restrictions")], later, every=every)


def decision(assessment_id, day, total, asymmetries, pain=()):
    reasons = [
        {
            "rule": "SYS-6",
            "facts": {
                "fms.total": total,
                "fms.asymmetries": list(asymmetries),
                "imbalances.patterns": ["upper_crossed_syndrome"],
            },
        },
    ]
    if pain:
        reasons.append({"rule": "FMS-8", "facts": {"fms.pain_zero": list(pain)}})
    return {
        "assessment_id": assessment_id,
        "decided_at": T0 + timedelta(days=day),
        "reasons": reasons,
    }


def test_reassessment_changes_compare_consecutive_assessments_in_the_period():
    history = [
        decision("a1", 0, 12, ["shoulder_mobility", "hurdle_step"], pain=["shoulder_mobility"]),
        decision("a2", 40, 14, ["hurdle_step"]),
        decision("a2", 41, 15, ["hurdle_step"]),  # re-scored: the last score counts
        decision("a3", 80, 16, ["rotary_stability"]),
    ]
    changes = reassessment_changes(history, since=T0 + timedelta(days=10))
    assert [(c["from_assessment_id"], c["to_assessment_id"]) for c in changes] == [
        ("a1", "a2"),
        ("a2", "a3"),
    ]
    first = changes[0]
    assert first["fms_total"] == {"before": 12, "after": 15}
    assert first["asymmetries"]["no_longer_seen"] == ["shoulder_mobility"]
    assert first["painful_patterns"] == {
        "before": ["shoulder_mobility"],
        "after": [],
        "no_longer_seen": ["shoulder_mobility"],
        "newly_seen": [],
    }
    assert changes[1]["asymmetries"]["newly_seen"] == ["rotary_stability"]
    assert changes[1]["from_date"] == (T0 + timedelta(days=41)).date().isoformat()
    # Nothing new in the period: no change to report.
    assert reassessment_changes(history, since=T0 + timedelta(days=90)) == []


def test_current_phase_names_the_program_in_force():
    program = {
        "intensity_cap": "moderate",
        "phases": [
            {"order": 2, "phase": "lengthen", "exercises": [{"id": "x"}]},
            {"order": 1, "phase": "inhibit", "exercises": [{"id": "y"}]},
            {"order": 3, "phase": "activate", "exercises": []},
        ],
    }
    assert current_phase(program, T0) == (
        "corrective program of 2026-03-02: inhibit -> lengthen (up to moderate intensity)"
    )
    assert current_phase(None, T0) is None
