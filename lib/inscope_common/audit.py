"""The audit log: who viewed or changed a client's health data, what, when, which client;
and, in the staff hub, every sign-in (success or failure) and admin action.

Each service declares the table on its own metadata (like the outbox) and writes a row in
the same transaction as the change it records, or in its own small transaction for a
view. Rows are only ever added, and each is **hash-chained** to the one before it:
``row_hash = sha256(prev_hash + the row's content)``, so changing, removing or inserting
a row breaks the chain from there on; ``inscope-<service> audit verify`` (and the admin
audit page) recompute it. Writers serialise on the chain's end (SQLite's write lock, a
PostgreSQL advisory lock).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import String, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from inscope_common.db import UTCDateTime, utcnow

Action = Literal[
    "view", "create", "update", "correct", "sign_in", "sign_in_failed", "sign_out", "admin",
    "export", "erase",
]
GENESIS = "0" * 64
# Any constant: the PostgreSQL advisory lock that serialises writers of the chain.
_CHAIN_LOCK = 0x1A0D17


@dataclass(frozen=True)
class Actor:
    """Who acted, and through what: a page (a person) or the API (a program)."""

    account_id: str
    name: str
    role: str
    channel: str = "api"


# Who acted when no staff account did: another service with the internal token.
INTERNAL_ACTOR = Actor("internal", "service-to-service", "internal", "internal")
# An operator at the service's command line (inscope-<service> ...).
COMMAND_LINE_ACTOR = Actor("command-line", "command line", "operator", "cli")


def declare_audit_model(base: type[DeclarativeBase]) -> type:
    """Declare the ``audit_log`` table on a service's own metadata."""

    class AuditEntry(base):  # type: ignore[valid-type,misc]
        __tablename__ = "audit_log"
        id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
        at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
        account_id: Mapped[str] = mapped_column(String(64), index=True)
        account_name: Mapped[str] = mapped_column(String(200))
        role: Mapped[str] = mapped_column(String(40))
        action: Mapped[str] = mapped_column(String(20))
        # What was touched: a record kind ("intake", "assessment"...) and its id.
        record: Mapped[str] = mapped_column(String(60))
        record_id: Mapped[str | None] = mapped_column(String(64))
        client_id: Mapped[str | None] = mapped_column(String(64), index=True)
        # Page or API, so a reviewer can tell a person from an integration.
        channel: Mapped[str] = mapped_column(String(20))
        # A few words more (a sign-in's address, what an admin changed); no health data.
        detail: Mapped[str | None] = mapped_column(String(300))
        # The hash chain (module docstring); NULL only on rows from before it existed.
        prev_hash: Mapped[str | None] = mapped_column(String(64))
        row_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    return AuditEntry


def _content(row: Any) -> str:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return json.dumps(
        [
            at.astimezone(UTC).isoformat(),
            row.account_id,
            row.account_name,
            row.role,
            row.action,
            row.record,
            row.record_id,
            row.client_id,
            row.channel,
            row.detail,
        ],
        separators=(",", ":"),
    )


def chain_hash(prev_hash: str, row: Any) -> str:
    return hashlib.sha256((prev_hash + _content(row)).encode()).hexdigest()


def add_entry(
    session: Session,
    model: type,
    actor: Actor,
    action: Action,
    record: str,
    record_id: str | None,
    client_id: str | None,
    detail: str | None = None,
) -> None:
    """Add one row inside the caller's transaction (changes: the same one), chained to
    the last row."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    session.flush()  # rows this transaction added already are part of the chain
    table = model.__table__
    last = session.scalar(_last_hash(table))
    row = _Row(
        at=utcnow(),
        account_id=actor.account_id[:64],
        account_name=actor.name[:200],
        role=actor.role[:40],
        action=action,
        record=record,
        record_id=record_id,
        client_id=client_id,
        channel=actor.channel,
        detail=detail[:300] if detail else None,
    )
    prev_hash = last or GENESIS
    # A Core INSERT built once (issue 13: every audited view writes one row; nothing
    # reads it back in this session, so the ORM's unit of work adds nothing).
    session.execute(
        _insert(table),
        {**row.__dict__, "prev_hash": prev_hash, "row_hash": chain_hash(prev_hash, row)},
    )


@dataclass
class _Row:
    """An audit row's content, as ``chain_hash`` reads it."""

    at: datetime
    account_id: str
    account_name: str
    role: str
    action: str
    record: str
    record_id: str | None
    client_id: str | None
    channel: str
    detail: str | None


@functools.cache
def _last_hash(table: Any) -> Any:
    return select(table.c.row_hash).order_by(table.c.id.desc()).limit(1)


@functools.cache
def _insert(table: Any) -> Any:
    return insert(table)


def record_event(
    session_factory: sessionmaker,
    model: type,
    actor: Actor,
    action: Action,
    record: str,
    record_id: str | None = None,
    client_id: str | None = None,
    detail: str | None = None,
) -> None:
    """A sign-in, an admin action or a view, in its own transaction."""
    with session_factory() as session, session.begin():
        add_entry(session, model, actor, action, record, record_id, client_id, detail)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    legacy: int  # rows from before the chain (no hash), at its start
    broken_at: int | None = None  # the first row whose hash does not follow
    reason: str = ""


def verify_chain(session_factory: sessionmaker, model: type) -> ChainCheck:
    """Recompute every row's hash in order: a changed, removed or inserted row breaks
    the chain at the first row that no longer follows."""
    prev, checked, legacy, started = GENESIS, 0, 0, False
    with session_factory() as session:
        for row in session.scalars(select(model).order_by(model.id)).yield_per(500):
            if row.row_hash is None and not started:
                legacy += 1
                continue
            started = True
            checked += 1
            if row.prev_hash != prev:
                return ChainCheck(False, checked, legacy, row.id,
                                  "does not follow the row before it")
            if row.row_hash != chain_hash(prev, row):
                return ChainCheck(False, checked, legacy, row.id, "its content was changed")
            prev = row.row_hash
    return ChainCheck(True, checked, legacy)


def search(
    session_factory: sessionmaker,
    model: type,
    client_id: str = "",
    staff: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[Any]:
    """Rows, newest first, by client id, staff member (account id or name, part of
    it) and time."""
    query = select(model)
    if client_id:
        query = query.where(model.client_id == client_id)
    if staff:
        like = f"%{staff.lower()}%"
        query = query.where(
            (model.account_id == staff) | (model.account_name.ilike(like))
        )
    if since is not None:
        query = query.where(model.at >= since)
    if until is not None:
        query = query.where(model.at < until)
    with session_factory() as session:
        rows = session.scalars(query.order_by(model.id.desc()).limit(limit)).all()
        session.expunge_all()
        return list(rows)


def record_view(
    session_factory: sessionmaker,
    model: type,
    actor: Actor,
    record: str,
    record_id: str | None,
    client_id: str | None,
) -> None:
    """A read of health data, in its own transaction."""
    record_event(session_factory, model, actor, "view", record, record_id, client_id)


def record_change(
    session_factory: sessionmaker, model: type, actor: Actor, record: str, row: dict[str, Any]
) -> None:
    """A change made by another module's transaction (e.g. a referral closed), recorded
    right after it; ``row`` is the changed record as a dict with ``id`` and ``client_id``."""
    with session_factory() as session, session.begin():
        add_entry(session, model, actor, "update", record, row.get("id"), row.get("client_id"))


def entries(session_factory: sessionmaker, model: type) -> list[dict[str, Any]]:
    with session_factory() as session:
        rows = session.query(model).order_by(model.id).all()
        return [
            {
                "at": r.at,
                "account_id": r.account_id,
                "account_name": r.account_name,
                "role": r.role,
                "action": r.action,
                "record": r.record,
                "record_id": r.record_id,
                "client_id": r.client_id,
                "channel": r.channel,
                "detail": r.detail,
            }
            for r in rows
        ]
