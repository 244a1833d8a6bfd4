"""The scheduled sweeps: reminders and overdue flags for unanswered letters, progress
reports for cleared clients. What is due comes from :mod:`inscope_referral.schedule`;
each referral is then re-checked under its row lock, so overlapping sweeps (two beat
ticks, a slow worker) still publish each reminder and report once.

A sweep reads the referrals it considers a batch at a time (keyset on the id, only the
columns the clock needs), so its memory stays bounded at any number of referrals: at
100,000 it never holds more than ``BATCH`` clocks (``make bench-scale`` times it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select

from inscope_clinical import trends
from inscope_common.events import make_event
from inscope_common.runtime import Runtime
from inscope_referral import lifecycle
from inscope_referral.assessment_trend import trend_points
from inscope_referral.models import Decision, Referral
from inscope_referral.referrals import SOURCE, answer_url, take_step
from inscope_referral.schedule import (
    FollowUpClock,
    ProgressClock,
    ProgressReport,
    Reminder,
    current_phase,
    due_follow_ups,
    due_progress_reports,
    reassessment_changes,
)

# Referrals read per query by a sweep: its memory bound.
BATCH = 1000
Clock = TypeVar("Clock", FollowUpClock, ProgressClock)

_FOLLOW_UP_COLUMNS = (Referral.id, Referral.status, Referral.sent_at, Referral.delivered_at,
                      Referral.reminders_sent, Referral.last_reminder_at)  # fmt: skip
_PROGRESS_COLUMNS = (Referral.id, Referral.status, Referral.answer, Referral.answered_at,
                     Referral.last_progress_at)  # fmt: skip


def _follow_up_clock(referral: Any) -> FollowUpClock:
    """The follow-up clock of a Referral or of a row of ``_FOLLOW_UP_COLUMNS``."""
    out = [t for t in (referral.sent_at, referral.delivered_at) if t is not None]
    return FollowUpClock(
        referral.id,
        referral.status,
        min(out) if out else None,
        referral.reminders_sent,
        referral.last_reminder_at,
    )


def _progress_clock(referral: Any) -> ProgressClock:
    """The progress clock of a Referral or of a row of ``_PROGRESS_COLUMNS``."""
    return ProgressClock(
        referral.id,
        referral.status,
        (referral.answer or {}).get("answer"),
        referral.answered_at,
        referral.last_progress_at,
    )


def clock_batches(
    rt: Runtime,
    columns: tuple[Any, ...],
    where: ColumnElement[bool],
    clock: Callable[[Any], Clock],
    batch: int = BATCH,
) -> Iterator[list[Clock]]:
    """The clocks of the referrals matching ``where``, ``batch`` at a time in id order.
    Each batch is its own short read (no transaction held while the due ones are
    handled), and the next one starts after the last id seen, so a referral the sweep
    changed meanwhile is neither skipped nor read twice."""
    last = ""
    while True:
        stmt = select(*columns).where(where, Referral.id > last)
        with rt.session_factory() as session:
            rows = session.execute(stmt.order_by(Referral.id).limit(batch)).all()
        if not rows:
            return
        yield [clock(r) for r in rows]
        if len(rows) < batch:
            return
        last = rows[-1].id


def send_due_follow_ups(rt: Runtime, now: datetime, batch: int = BATCH) -> dict[str, int]:
    """Publish due reminders and flag overdue referrals; returns how many of each."""
    settings = rt.settings
    every = timedelta(days=settings.reminder_days)
    counts = {"reminders": 0, "overdue": 0}
    awaiting = Referral.status.in_(lifecycle.AWAITING_ANSWER)
    for clocks in clock_batches(rt, _FOLLOW_UP_COLUMNS, awaiting, _follow_up_clock, batch):
        due = due_follow_ups(clocks, now, every=every, max_reminders=settings.max_reminders)
        for item in due:
            done = _follow_up(rt, item.referral_id, now, every)
            if done:
                counts[done] += 1
    return counts


def _follow_up(rt: Runtime, referral_id: str, now: datetime, every: timedelta) -> str | None:
    settings = rt.settings
    with rt.unit_of_work() as uow:
        referral = uow.session.get(Referral, referral_id, with_for_update=True)
        still_due = due_follow_ups(
            [_follow_up_clock(referral)], now, every=every, max_reminders=settings.max_reminders
        )
        if not still_due:
            return None  # another sweep got there first, or an answer arrived
        if isinstance(still_due[0], Reminder):
            referral.reminders_sent = still_due[0].number
            referral.last_reminder_at = now
            uow.add_event(_reminder_event(rt, referral))
            done = "reminders"
        else:
            take_step(referral, lifecycle.REMINDERS_EXHAUSTED, lifecycle.SCHEDULER, now)
            done = "overdue"
    return done


def _reminder_event(rt: Runtime, referral: Referral) -> dict[str, Any]:
    return make_event(
        "referral.reminder_due.v1",
        source=SOURCE,
        subject=referral.client_id,
        correlation_id=referral.correlation_id,
        data={
            "intake_id": referral.intake_id,
            "client_id": referral.client_id,
            "referral_id": referral.id,
            "decision_id": referral.decision_id,
            "reminder_number": referral.reminders_sent,
            # A fresh token: the link in a reminder is good for a full expiry period.
            "answer_url": answer_url(rt.settings, referral),
            "target": referral.target,
            "urgency": referral.urgency,
        },
    )


def send_due_progress_reports(rt: Runtime, now: datetime, batch: int = BATCH) -> int:
    """Publish the progress reports due for clients cleared by an answered referral."""
    every = timedelta(weeks=rt.settings.progress_weeks)
    answered = Referral.status == lifecycle.ANSWERED
    sent = 0
    for clocks in clock_batches(rt, _PROGRESS_COLUMNS, answered, _progress_clock, batch):
        due = due_progress_reports(clocks, now, every=every)
        sent += sum(_progress_report(rt, report.referral_id, now, every) for report in due)
    return sent


def _progress_report(rt: Runtime, referral_id: str, now: datetime, every: timedelta) -> int:
    with rt.unit_of_work() as uow:
        referral = uow.session.get(Referral, referral_id, with_for_update=True)
        still_due = due_progress_reports([_progress_clock(referral)], now, every=every)
        if not still_due:
            return 0
        report = still_due[0]
        decisions = uow.session.scalars(
            select(Decision)
            .where(Decision.client_id == referral.client_id)
            .order_by(Decision.decided_at)
        ).all()
        referral.last_progress_at = now
        trend = trends.trend_rows(trend_points(uow.session, referral.client_id))
        uow.add_event(_progress_event(referral, report, decisions, trend))
    return 1


def _progress_event(
    referral: Referral,
    report: ProgressReport,
    decisions: list[Decision],
    trend: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    assessed = [
        {"assessment_id": d.assessment_id, "decided_at": d.decided_at, "reasons": d.reasons}
        for d in decisions
        if d.stage == "assessment" and d.assessment_id
    ]
    with_program = [d for d in decisions if d.program]
    latest = with_program[-1] if with_program else None
    return make_event(
        "referral.progress_due.v1",
        source=SOURCE,
        subject=referral.client_id,
        correlation_id=referral.correlation_id,
        data={
            "intake_id": referral.intake_id,
            "client_id": referral.client_id,
            "referral_id": referral.id,
            "period_start": report.period_start.isoformat(),
            "period_end": report.period_end.isoformat(),
            # Attendance is not recorded anywhere yet: unknown, not zero.
            "attendance": None,
            # The changes of this period, then the whole re-assessment trend (every
            # scored assessment in figures, inscope_clinical.trends), facts only.
            "reassessment_changes": reassessment_changes(assessed, report.period_start)
            + trends.trend_changes(trend or []),
            "current_phase": current_phase(
                latest.program if latest else None, latest.decided_at if latest else None
            ),
        },
    )
