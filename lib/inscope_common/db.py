"""Database plumbing shared by the services: engines, sessions and the platform tables
(outbox, processed events, dead letters) every service declares on its own metadata."""

from __future__ import annotations

import logging
import sqlite3
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

# Constraint and index names every service's metadata uses, so that a later migration
# (inscope_common.migrations) can drop or alter a constraint by name on every engine
# (SQLite's batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every engine (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "commit", _sqlite_end)
        event.listen(engine, "rollback", _sqlite_end)
        return engine
    return create_engine(url, pool_pre_ping=True)


READ_ONLY = "inscope_read_only"
# A write transaction that waits for SQLite's write lock, or holds it, this long is
# logged: a writer that holds it delays every other writer of that database.
SLOW_LOCK_S = 2.0
_WRITE_SINCE = "inscope_write_since"
_log = logging.getLogger("inscope_common.db")


def _sqlite_begin(conn: Any) -> None:
    """pysqlite's own transaction handling defers BEGIN; take it over so that a write
    transaction takes the write lock up front instead of failing mid-way when it
    upgrades from reading. Read-only sessions (see read_only) begin deferred, so
    readers never queue behind writers (WAL)."""
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    if read_only:
        conn.exec_driver_sql("BEGIN")
        return
    asked = time.monotonic()
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    conn.info[_WRITE_SINCE] = took = time.monotonic()
    if took - asked >= SLOW_LOCK_S:
        # Another connection held the write lock this long (busy_timeout waits up to
        # 30 s): the line names the wait, the holder logs its own hold (_sqlite_end).
        _log.warning("sqlite write lock waited %.1f s", took - asked)


def _sqlite_end(conn: Any) -> None:
    since = conn.info.pop(_WRITE_SINCE, None)
    if since is not None and time.monotonic() - since >= SLOW_LOCK_S:
        # Every other writer of this database waited meanwhile: say where it was held.
        where = "".join(traceback.format_stack(limit=12)[:-3])
        _log.warning("sqlite write lock held %.1f s, until:\n%s", time.monotonic() - since,
                     where)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    # Switching a new file to WAL needs an exclusive lock, and SQLite may answer "locked"
    # at once (no busy wait) while a sibling process starting with us holds it.
    for attempt in range(50):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


# Session.info key of the event keys (the service's own private key) that sign the
# events a session stages
# (inscope_common.outbox.add_event).
EVENT_KEYS_INFO = "inscope.event_keys"


def make_session_factory(engine: Engine, event_keys: Any = None) -> sessionmaker:
    """Sessions on ``engine``; ``event_keys`` (an EventKeys) signs what they stage."""
    info = {EVENT_KEYS_INFO: event_keys} if event_keys is not None else {}
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


def read_only(session_factory: sessionmaker) -> sessionmaker:
    """Sessions for reading only: on SQLite they do not take the write lock."""
    cached = getattr(session_factory, "_inscope_read_only", None)
    if cached is None:
        bind = session_factory.kw["bind"].execution_options(**{READ_ONLY: True})
        cached = sessionmaker(bind=bind, expire_on_commit=False)
        session_factory._inscope_read_only = cached  # type: ignore[attr-defined]
    return cached


@dataclass(frozen=True)
class PlatformModels:
    OutboxEvent: type
    ProcessedEvent: type
    DeadLetter: type
    ScheduledRetry: type


def declare_platform_models(base: type[DeclarativeBase]) -> PlatformModels:
    """Declare the outbox, inbox and dead-letter tables on a service's own metadata."""

    class OutboxEvent(base):  # type: ignore[valid-type,misc]
        __tablename__ = "outbox_events"
        id: Mapped[str] = mapped_column(String(64), primary_key=True)
        type: Mapped[str] = mapped_column(String(100))
        envelope: Mapped[dict] = mapped_column(JSON)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
        published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
        # Conditional-UPDATE claim: whoever moves claimed_until forward publishes.
        claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
        attempts: Mapped[int] = mapped_column(Integer, default=0)
        last_error: Mapped[str | None] = mapped_column(Text)

    class ProcessedEvent(base):  # type: ignore[valid-type,misc]
        __tablename__ = "processed_events"
        __table_args__ = (UniqueConstraint("consumer", "event_id"),)
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
        consumer: Mapped[str] = mapped_column(String(100))
        event_id: Mapped[str] = mapped_column(String(64))
        event_type: Mapped[str] = mapped_column(String(100))
        processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    class DeadLetter(base):  # type: ignore[valid-type,misc]
        __tablename__ = "dead_letters"
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
        consumer: Mapped[str] = mapped_column(String(100))
        event_id: Mapped[str | None] = mapped_column(String(64), index=True)
        event_type: Mapped[str | None] = mapped_column(String(100))
        envelope: Mapped[Any] = mapped_column(JSON)
        error: Mapped[str] = mapped_column(Text)
        attempts: Mapped[int] = mapped_column(Integer, default=0)
        failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
        replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    class ScheduledRetry(base):  # type: ignore[valid-type,misc]
        """A failed delivery of an event waiting for its next attempt. The relay sends it
        back to its consumer when due: retries wait here, not as countdowns held
        unacknowledged by a worker, so the broker's visibility timeout can stay short."""

        __tablename__ = "scheduled_retries"
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
        consumer: Mapped[str] = mapped_column(String(100))
        event_id: Mapped[str | None] = mapped_column(String(64), index=True)
        envelope: Mapped[Any] = mapped_column(JSON)
        attempts: Mapped[int] = mapped_column(Integer, default=0)  # made so far
        due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
        last_error: Mapped[str | None] = mapped_column(Text)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    return PlatformModels(OutboxEvent, ProcessedEvent, DeadLetter, ScheduledRetry)
