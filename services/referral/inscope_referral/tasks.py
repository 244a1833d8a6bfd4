"""The referral service's scheduled tasks and their Celery beat schedule.

Beat only puts a sweep message on the referral queue at each interval; the referral
worker runs it. Run exactly one beat process for the whole deployment:

    celery -A inscope_referral.worker beat --schedule <data dir>/referral-beat-schedule
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from inscope_common.db import utcnow
from inscope_common.runtime import Runtime
from inscope_referral import sweeps

FOLLOW_UP_TASK = "referral.sweep_follow_ups"
PROGRESS_TASK = "referral.sweep_progress_reports"


def register_sweeps(celery_app: Celery, rt: Runtime) -> None:
    """Register the sweep tasks on this app only (shared=False) and schedule them."""

    @celery_app.task(name=FOLLOW_UP_TASK, shared=False)
    def sweep_follow_ups() -> dict[str, int]:
        return sweeps.send_due_follow_ups(rt, utcnow())

    @celery_app.task(name=PROGRESS_TASK, shared=False)
    def sweep_progress_reports() -> int:
        return sweeps.send_due_progress_reports(rt, utcnow())

    celery_app.conf.beat_schedule = beat_schedule(rt.settings.sweep_interval_s, rt.settings.queue)


def beat_schedule(interval_s: float, queue: str) -> dict[str, dict[str, Any]]:
    # A sweep left in the queue longer than one interval (worker down) is dropped: the
    # next one does the same work, so a backlog of identical sweeps is pointless.
    options = {"queue": queue, "expires": interval_s}
    return {
        "referral-follow-ups": {
            "task": FOLLOW_UP_TASK,
            "schedule": interval_s,
            "options": options,
        },
        "referral-progress-reports": {
            "task": PROGRESS_TASK,
            "schedule": interval_s,
            "options": options,
        },
    }
