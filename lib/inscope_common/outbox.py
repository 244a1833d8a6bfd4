"""The transactional outbox.

A service writes its business rows and the event row in one transaction. Right after the
commit it publishes the event itself (the fast path); the relay is the safety net that
publishes whatever that missed, for example while Redis was down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Protocol

from celery import Celery
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from inscope_common.config import queue_for
from inscope_common.db import PlatformModels, read_only, utcnow
from inscope_common.events import consume_task_name, subscribers_of

log = logging.getLogger(__name__)

PENDING_KEY = "inscope.outbox_pending"
CLAIM_SECONDS = 30


class Publisher(Protocol):
    def publish(self, event: dict[str, Any]) -> None: ...


class CeleryPublisher:
    """Push one copy of the event onto every subscriber's own queue."""

    def __init__(self, celery_app: Celery) -> None:
        self.celery_app = celery_app

    def publish(self, event: dict[str, Any]) -> None:
        for service in subscribers_of(event["type"]):
            self.celery_app.send_task(
                consume_task_name(service),
                args=[event],
                queue=queue_for(service),
                task_id=f"{event['id']}.{service}",
                retry=False,
            )


def add_event(session: Session, models: PlatformModels, event: dict[str, Any]) -> None:
    """Stage an event in the caller's transaction; it is published after the commit."""
    session.add(models.OutboxEvent(id=event["id"], type=event["type"], envelope=event))
    session.info.setdefault(PENDING_KEY, []).append(event["id"])


def staged_event_ids(session: Session) -> list[str]:
    return list(session.info.pop(PENDING_KEY, []))


class OutboxRelay:
    def __init__(
        self,
        session_factory: sessionmaker,
        models: PlatformModels,
        publisher: Publisher,
        *,
        grace_s: float = 2.0,
    ) -> None:
        self.session_factory = session_factory
        self.models = models
        self.publisher = publisher
        self.grace = timedelta(seconds=grace_s)

    def publish_now(self, event_ids: Iterable[str]) -> int:
        """Fast path right after the commit that staged these events.

        No claim is taken: the relay leaves rows younger than its grace period alone, so
        for those seconds the committing process is the only publisher. A failure is
        logged and the row left to the relay."""
        OutboxEvent = self.models.OutboxEvent
        ids = list(event_ids)
        if not ids:
            return 0
        with read_only(self.session_factory)() as session:
            rows = session.execute(
                select(OutboxEvent.id, OutboxEvent.envelope).where(
                    OutboxEvent.id.in_(ids), OutboxEvent.published_at.is_(None)
                )
            ).all()
        published: list[str] = []
        for event_id, envelope in rows:
            try:
                self.publisher.publish(envelope)
            except Exception as exc:  # broker down: the relay will retry
                log.warning("event %s left in the outbox for the relay: %s", event_id, exc)
                continue
            published.append(event_id)
        if published:
            with self.session_factory() as session, session.begin():
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(published), OutboxEvent.published_at.is_(None))
                    .values(published_at=utcnow())
                )
        return len(published)

    def run_once(self, batch: int = 100) -> int:
        """Publish outbox rows the fast path missed. Returns how many went out."""
        cutoff = utcnow() - self.grace
        OutboxEvent = self.models.OutboxEvent
        with read_only(self.session_factory)() as session:
            ids = session.scalars(
                select(OutboxEvent.id)
                .where(OutboxEvent.published_at.is_(None), OutboxEvent.created_at <= cutoff)
                .order_by(OutboxEvent.created_at)
                .limit(batch)
            ).all()
        published = 0
        for event_id in ids:
            try:
                published += self._publish_one(event_id)
            except Exception as exc:
                log.warning("relay could not publish %s: %s", event_id, exc)
                break  # the broker is likely down; try the rest next round
        return published

    def run_forever(self, interval_s: float, stop: Any = None) -> None:
        log.info("outbox relay started (every %.1fs)", interval_s)
        while stop is None or not stop.is_set():
            try:
                count = self.run_once()
                if count:
                    log.info("relay published %d event(s)", count)
            except Exception:
                log.exception("relay round failed")
            time.sleep(interval_s)

    def pending_count(self) -> int:
        OutboxEvent = self.models.OutboxEvent
        with read_only(self.session_factory)() as session:
            return session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            )

    def _claim(self, event_id: str) -> dict[str, Any] | None:
        OutboxEvent = self.models.OutboxEvent
        now = utcnow()
        with self.session_factory() as session, session.begin():
            claimed = session.execute(
                update(OutboxEvent)
                .where(
                    OutboxEvent.id == event_id,
                    OutboxEvent.published_at.is_(None),
                    or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
                )
                .values(
                    claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=OutboxEvent.attempts + 1,
                )
            ).rowcount
            if not claimed:
                return None
            return session.get(OutboxEvent, event_id).envelope

    def _publish_one(self, event_id: str) -> int:
        envelope = self._claim(event_id)
        if envelope is None:
            return 0  # published already, or someone else holds the claim
        OutboxEvent = self.models.OutboxEvent
        try:
            self.publisher.publish(envelope)
        except Exception as exc:
            with self.session_factory() as session, session.begin():
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id == event_id)
                    .values(claimed_until=None, last_error=str(exc)[:2000])
                )
            raise
        with self.session_factory() as session, session.begin():
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event_id)
                .values(published_at=utcnow(), last_error=None)
            )
        return 1
