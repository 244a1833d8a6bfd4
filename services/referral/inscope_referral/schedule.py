"""What the beat sweeps owe each referral at a given moment (pure; ``now`` is passed in).

* Reminders: a letter that is out (sent, delivered or viewed) and unanswered gets a
  reminder every ``every`` (default 7 days), counted from the letter and then from the
  previous reminder, at most ``max_reminders`` (default 2).
* Overdue: once the last reminder has had its ``every`` too, the referral is flagged.
* Progress: a client cleared by an answered referral gets a progress report to the
  clinician every ``every`` (default 12 weeks) after the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from inscope_referral.lifecycle import ANSWERED, AWAITING_ANSWER

# A progress report is for a client who trains under the clinician's clearance.
CLEARED_ANSWERS = frozenset({"cleared", "cleared_with_restrictions"})


@dataclass(frozen=True)
class FollowUpClock:
    referral_id: str
    status: str
    letter_out_at: datetime | None  # when the letter left (sent or delivered)
    reminders_sent: int
    last_reminder_at: datetime | None


@dataclass(frozen=True)
class Reminder:
    referral_id: str
    number: int  # 1-based


@dataclass(frozen=True)
class Overdue:
    referral_id: str


def due_follow_ups(
    clocks: Iterable[FollowUpClock], now: datetime, *, every: timedelta, max_reminders: int
) -> list[Reminder | Overdue]:
    """The reminders and overdue flags due at ``now``."""
    due: list[Reminder | Overdue] = []
    for clock in clocks:
        if clock.status not in AWAITING_ANSWER or clock.letter_out_at is None:
            continue
        since = clock.last_reminder_at if clock.reminders_sent else clock.letter_out_at
        if since is None or now - since < every:
            continue
        if clock.reminders_sent < max_reminders:
            due.append(Reminder(clock.referral_id, clock.reminders_sent + 1))
        else:
            due.append(Overdue(clock.referral_id))
    return due


@dataclass(frozen=True)
class ProgressClock:
    referral_id: str
    status: str
    answer: str | None
    answered_at: datetime | None
    last_progress_at: datetime | None


@dataclass(frozen=True)
class ProgressReport:
    referral_id: str
    period_start: datetime
    period_end: datetime


def due_progress_reports(
    clocks: Iterable[ProgressClock], now: datetime, *, every: timedelta
) -> list[ProgressReport]:
    """The progress reports due at ``now``: one period since the answer or the last one."""
    due = []
    for clock in clocks:
        if clock.status != ANSWERED or clock.answer not in CLEARED_ANSWERS:
            continue
        start = clock.last_progress_at or clock.answered_at
        if start is not None and now - start >= every:
            due.append(ProgressReport(clock.referral_id, start, now))
    return due


def movement_snapshot(reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """FMS total, asymmetries, painful patterns and posture/movement patterns, as an
    assessment-stage decision recorded them in its SYS-6 and FMS-8 reasons."""
    facts: dict[str, Any] = {}
    for reason in reasons:
        if reason["rule"] in ("SYS-6", "FMS-8") and isinstance(reason.get("facts"), dict):
            facts.update(reason["facts"])
    return {
        "fms_total": facts.get("fms.total"),
        "asymmetries": sorted(facts.get("fms.asymmetries") or []),
        "painful_patterns": sorted(facts.get("fms.pain_zero") or []),
        "patterns": sorted(facts.get("imbalances.patterns") or []),
    }


def reassessment_changes(
    assessments: list[dict[str, Any]], since: datetime
) -> list[dict[str, Any]]:
    """Changes between consecutive assessments, for those recorded after ``since``.

    ``assessments``: assessment-stage decisions ({assessment_id, decided_at, reasons}),
    oldest first, including the last one before ``since`` as the baseline. Observations
    only: what was measured before and after, never what it means clinically.
    """
    latest: dict[str, dict[str, Any]] = {}
    for decision in assessments:  # a re-scored assessment counts once, as last scored
        latest.pop(decision["assessment_id"], None)
        latest[decision["assessment_id"]] = decision
    ordered = list(latest.values())
    changes = []
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after["decided_at"] <= since:
            continue
        changes.append(_change(before, after))
    return changes


def _change(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    old, new = movement_snapshot(before["reasons"]), movement_snapshot(after["reasons"])
    return {
        "from_assessment_id": before["assessment_id"],
        "to_assessment_id": after["assessment_id"],
        "from_date": before["decided_at"].date().isoformat(),
        "to_date": after["decided_at"].date().isoformat(),
        "fms_total": {"before": old["fms_total"], "after": new["fms_total"]},
        "asymmetries": _set_change(old["asymmetries"], new["asymmetries"]),
        "painful_patterns": _set_change(old["painful_patterns"], new["painful_patterns"]),
        "patterns": _set_change(old["patterns"], new["patterns"]),
    }


def _set_change(before: list[str], after: list[str]) -> dict[str, list[str]]:
    return {
        "before": before,
        "after": after,
        "no_longer_seen": [x for x in before if x not in after],
        "newly_seen": [x for x in after if x not in before],
    }


def current_phase(program: dict[str, Any] | None, built_on: datetime | None) -> str | None:
    """The corrective program in force, in words. Sessions are not recorded yet, so the
    phase reached is unknown: this names the program and its phases in order."""
    if not program:
        return None
    phases = sorted(program.get("phases") or [], key=lambda p: p.get("order", 0))
    names = [p["phase"] for p in phases if p.get("exercises")]
    if not names:
        return None
    text = "corrective program"
    if built_on is not None:
        text += f" of {built_on.date().isoformat()}"
    text += ": " + " -> ".join(names)
    if program.get("intensity_cap"):
        text += f" (up to {program['intensity_cap']} intensity)"
    return text
