"""One unit of work: a transaction whose outbox events are published after it commits.

After cosmicpython's ``UnitOfWork`` (chapter 6) and warehouse's ``db.py``: the caller
gets a session inside a transaction, stages events with ``uow.add_event`` (or
``outbox.add_event(session, models, event)`` from code that only holds the session),
and leaving the block commits, then publishes what it staged (the fast path). If the
publish fails, or the process dies between the commit and the publish, the events are
still in the outbox table and the relay publishes them; if the block raises, the
transaction rolls back and nothing is published.

    with unit_of_work(rt.session_factory, rt.relay, rt.models) as uow:
        uow.session.add(row)
        uow.add_event(make_event(...))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from inscope_common.db import PlatformModels
from inscope_common.outbox import (
    PENDING_KEY,
    REDIS_WRITES_KEY,
    OutboxRelay,
    RedisWrite,
    add_event,
    after_commit_in_redis,
    forget_staged,
    run_redis_writes,
    staged_envelopes,
    staged_event_ids,
)


@dataclass
class UnitOfWork:
    session: Session
    models: PlatformModels | None = None

    def add_event(self, event: dict[str, Any]) -> None:
        """Stage an event in this transaction; it is published after the commit."""
        if self.models is None:
            raise TypeError("this unit of work was opened without the platform models")
        add_event(self.session, self.models, event)

    def after_commit_in_redis(self, redis_write: RedisWrite) -> None:
        """Redis commands for once this transaction has committed: sent with the events
        it publishes, in the same round trip, where that is the same Redis; else by
        themselves right after the commit. Nothing if it rolls back."""
        after_commit_in_redis(self.session, redis_write)

    @property
    def staged(self) -> list[str]:
        return list(self.session.info.get(PENDING_KEY, []))


@contextmanager
def unit_of_work(
    session_factory: sessionmaker,
    relay: OutboxRelay | None = None,
    models: PlatformModels | None = None,
) -> Iterator[UnitOfWork]:
    """Open a session and a transaction; commit on leaving, then publish the events
    staged in it (``relay.publish_now``: a broker failure is logged, never raised, and
    the row waits for the relay). An exception rolls back and publishes nothing."""
    with session_factory() as session:
        # The commit's own Redis writes (after_commit_in_redis) wait for the publish.
        session.info[REDIS_WRITES_KEY] = writes = []
        try:
            with session.begin():
                yield UnitOfWork(session, models)
        except BaseException:
            forget_staged(session)
            raise
        finally:
            session.info.pop(REDIS_WRITES_KEY, None)
        staged, envelopes = staged_event_ids(session), staged_envelopes(session)
    if staged and relay is not None:
        relay.publish_now(staged, envelopes, writes)
    else:
        run_redis_writes(writes)
