"""Operator view of dead letters: list them, and replay one or all onto the queue."""

from __future__ import annotations

from typing import Any

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from inscope_common.config import queue_for
from inscope_common.db import EVENT_KEYS_INFO, PlatformModels, read_only, utcnow
from inscope_common.events import consume_task_name
from inscope_common.events.signing import SignatureError
from inscope_common.outbox import Publisher, task_reprs


def list_dead_letters(
    session_factory: sessionmaker, models: PlatformModels, *, include_replayed: bool = False
) -> list[dict[str, Any]]:
    DeadLetter = models.DeadLetter
    query = select(DeadLetter).order_by(DeadLetter.id)
    if not include_replayed:
        query = query.where(DeadLetter.replayed_at.is_(None))
    with read_only(session_factory)() as session:
        return [
            {
                "id": row.id,
                "consumer": row.consumer,
                "event_id": row.event_id,
                "event_type": row.event_type,
                "error": row.error,
                "attempts": row.attempts,
                "failed_at": row.failed_at.isoformat(),
                "replayed_at": row.replayed_at.isoformat() if row.replayed_at else None,
            }
            for row in session.scalars(query)
        ]


def replay_dead_letter(
    session_factory: sessionmaker,
    models: PlatformModels,
    celery_app: Celery,
    letter_id: int,
    publisher: Publisher | None = None,
) -> bool:
    """Send the stored envelope to its consumer again, with a fresh retry budget. False
    if already replayed/absent.

    With ``publisher`` (the service relay's, which marks the delivery ledger before the
    push) the replay is marked as any publish is, so a replayed message the broker
    loses (a worker killed between its pop and kombu's unacked write) is sent again
    (the producer's relay from its outbox, or this service's from the dead letter).
    An envelope our keys did not sign goes unmarked: its consumer refuses it again, and
    a forged copy must not leave a mark on the genuine event's id."""
    DeadLetter = models.DeadLetter
    with session_factory() as session, session.begin():
        row = session.get(DeadLetter, letter_id)
        if row is None or row.replayed_at is not None:
            return False
        if publisher is not None and _ours(session, row.envelope):
            publisher.redeliver(row.consumer, row.envelope, 0)
        else:
            celery_app.send_task(
                consume_task_name(row.consumer),
                args=[row.envelope],
                queue=queue_for(row.consumer),
                retry=False,
                **task_reprs(row.envelope),
            )
        row.replayed_at = utcnow()
    return True


def _ours(session: Any, envelope: Any) -> bool:
    keys = session.info.get(EVENT_KEYS_INFO)
    if keys is None:
        return False
    try:
        keys.verify(envelope)
    except SignatureError:
        return False
    return True
