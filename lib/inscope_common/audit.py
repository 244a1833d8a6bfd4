"""The audit log: who viewed or changed a client's health data, what, when, which client.

Each service declares the table on its own metadata (like the outbox) and writes a row in
the same transaction as the change it records, or in its own small transaction for a
view. Rows are only ever added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from inscope_common.db import UTCDateTime, utcnow

Action = Literal["view", "create", "update"]


@dataclass(frozen=True)
class Actor:
    """Who acted, and through what: a page (a person) or the API (a program)."""

    account_id: str
    name: str
    role: str
    channel: str = "api"


# Who acted when no staff account did: another service with the internal token.
INTERNAL_ACTOR = Actor("internal", "service-to-service", "internal", "internal")


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

    return AuditEntry


def add_entry(
    session: Session,
    model: type,
    actor: Actor,
    action: Action,
    record: str,
    record_id: str | None,
    client_id: str | None,
) -> None:
    """Add one row inside the caller's transaction (changes: the same one)."""
    session.add(
        model(
            account_id=actor.account_id,
            account_name=actor.name,
            role=actor.role,
            action=action,
            record=record,
            record_id=record_id,
            client_id=client_id,
            channel=actor.channel,
        )
    )


def record_view(
    session_factory: sessionmaker,
    model: type,
    actor: Actor,
    record: str,
    record_id: str | None,
    client_id: str | None,
) -> None:
    """A read of health data, in its own transaction."""
    with session_factory() as session, session.begin():
        add_entry(session, model, actor, "view", record, record_id, client_id)


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
            }
            for r in rows
        ]
