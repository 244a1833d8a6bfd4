"""Retention sweeps (issue 12 item 8): what the platform keeps only for a while.

Each service's relay deletes, at most every ``every_s`` seconds (it runs its sweeps about
once a second), the rows past their retention period
(``INSCOPE_RETENTION_<KIND>_DAYS``; 0 keeps them for ever):

- ``events``: outbox events **published** that long ago (unpublished ones are work);
- ``inbox``: processed-event rows (the consumer's duplicate check) that old; a broker
  redelivers within minutes, so days are ample;
- ``dead_letters``: dead letters that old, replayed or not (an operator had that long);
- ``failed_logins``: failed sign-ins that old (referral; they count for 24 hours; the
  audit log keeps each sign-in's facts);
- ``delivery_bodies``: the event a notify delivery row keeps to build its email again,
  cleared (the row stays) once the email was sent, blocked or superseded that long ago.

Scheduled retries are never swept: each is an event still to be handled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, true, update
from sqlalchemy.orm import sessionmaker

from inscope_common.db import PlatformModels, utcnow

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 300.0
DAY_S = 86400.0
# INSCOPE_RETENTION_<KIND>_DAYS and its default (days).
DEFAULT_DAYS: Mapping[str, float] = {
    "events": 30.0,
    "inbox": 30.0,
    "dead_letters": 90.0,
    "failed_logins": 30.0,
    "delivery_bodies": 30.0,
}


def retention_variable(kind: str) -> str:
    return f"INSCOPE_RETENTION_{kind.upper()}_DAYS"


@dataclass(frozen=True)
class Rule:
    """Delete ``model`` rows whose ``column`` is older than ``keep_s`` (and ``only``);
    with ``clear``, set those columns to NULL instead and keep the rows."""

    kind: str
    model: type
    column: str
    keep_s: float
    only: Callable[[type], ColumnElement[bool]] | None = None
    clear: tuple[str, ...] = ()


def platform_rules(models: PlatformModels, retention_s: Mapping[str, float]) -> list[Rule]:
    """The rules every service has: its outbox, inbox and dead letters."""
    return [
        Rule(
            "events",
            models.OutboxEvent,
            "published_at",
            retention_s["events"],
            lambda m: m.published_at.is_not(None),
        ),
        Rule("inbox", models.ProcessedEvent, "processed_at", retention_s["inbox"]),
        Rule("dead_letters", models.DeadLetter, "failed_at", retention_s["dead_letters"]),
    ]


def sweep(
    session_factory: sessionmaker, rules: list[Rule], now: datetime | None = None
) -> dict[str, int]:
    """Delete what each rule no longer keeps; how many rows went, by kind."""
    now = now or utcnow()
    gone: dict[str, int] = {}
    for rule in rules:
        if rule.keep_s <= 0:
            continue  # kept for ever
        column = getattr(rule.model, rule.column)
        condition: Any = rule.only(rule.model) if rule.only else true()
        past = (column < now - timedelta(seconds=rule.keep_s), condition)
        if rule.clear:
            cleared = [getattr(rule.model, name).is_not(None) for name in rule.clear]
            statement: Any = (
                update(rule.model)
                .where(*past, or_(*cleared))
                .values({name: None for name in rule.clear})
            )
        else:
            statement = delete(rule.model).where(*past)
        with session_factory() as session, session.begin():
            count = session.execute(statement).rowcount
        if count:
            gone[rule.kind] = gone.get(rule.kind, 0) + count
            log.info("retention: %d %s row(s) past %.0f days %s", count, rule.kind,
                     rule.keep_s / DAY_S, "cleared" if rule.clear else "deleted")
    return gone


def retention_sweep(
    session_factory: sessionmaker,
    rules: list[Rule],
    every_s: float = SWEEP_EVERY_S,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[], int]:
    """A relay sweep (OutboxRelay.sweeps) running :func:`sweep` at most every ``every_s``."""
    last: list[float] = []

    def retention_sweep_round() -> int:
        now = clock()
        if last and now - last[0] < every_s:
            return 0
        last[:] = [now]
        return sum(sweep(session_factory, rules).values())

    return retention_sweep_round
