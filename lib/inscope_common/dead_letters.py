"""Operator view of dead letters: list them, and replay one or all onto the queue."""

from __future__ import annotations

from typing import Any

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from inscope_common.config import queue_for
from inscope_common.db import PlatformModels, read_only, utcnow
from inscope_common.events import consume_task_name


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
    session_factory: sessionmaker, models: PlatformModels, celery_app: Celery, letter_id: int
) -> bool:
    """Send the stored envelope to its consumer again. False if already replayed/absent."""
    DeadLetter = models.DeadLetter
    with session_factory() as session, session.begin():
        row = session.get(DeadLetter, letter_id)
        if row is None or row.replayed_at is not None:
            return False
        celery_app.send_task(
            consume_task_name(row.consumer),
            args=[row.envelope],
            queue=queue_for(row.consumer),
            retry=False,
        )
        row.replayed_at = utcnow()
    return True
