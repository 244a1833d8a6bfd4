"""The referral service's latest word on a client (``referral.status_changed``), kept
by the services that show it (intake's confirmation page, assessment's gate, DEC-6) in a
row per intake: the newest word wins, whatever order the events arrive in.

One ``INSERT ... ON CONFLICT (intake_id) DO UPDATE ... WHERE <newer>`` per event, built
once per table and engine, instead of an ORM read, then an insert or update and the
flush's bookkeeping (issue 13: a third of the intake and assessment workers' CPU per
event was that read and flush). The rule, as the handlers had it: a word about a newer
intake version wins; about the same version, a later ``changed_at`` wins (an equal or
older one, arriving late, changes nothing); about an older version, nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# The columns the word sets; a new row also gets intake_id and client_id (and the
# table's own defaults, e.g. known_intakes.received_at).
WORD_COLUMNS = ("intake_version", "decision_id", "decision", "answer", "emergency", "status_at")
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_STATEMENTS: dict[tuple[Any, str], Any] = {}


def changed_at(data: dict[str, Any]) -> dt.datetime:
    at = dt.datetime.fromisoformat(data["changed_at"])
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at


def word_values(data: dict[str, Any]) -> dict[str, Any]:
    """The row's values from a ``referral.status_changed`` event's data."""
    return {
        "intake_id": data["intake_id"],
        "client_id": data["client_id"],
        "intake_version": data.get("intake_version", 1),
        "decision_id": data["decision_id"],
        "decision": data["decision"],
        "answer": data.get("answer"),
        "emergency": data.get("emergency"),
        "status_at": changed_at(data),
    }


def keep_newest(session: Session, model: Any, data: dict[str, Any]) -> None:
    """Store the word in ``model``'s row for the intake (created if none) unless the
    row already holds a newer one, in the session's transaction."""
    values = word_values(data)
    connection = session.connection()
    dialect = connection.dialect.name
    statement = _statement(model.__table__, dialect)
    if statement is None:  # an engine without INSERT ... ON CONFLICT: read, then write
        _keep_newest_orm(session, model, values)
        return
    connection.execute(statement, values)


def _statement(table: Any, dialect: str) -> Any:
    key = (table, dialect)
    if key not in _STATEMENTS:
        insert = _INSERTS.get(dialect)
        if insert is None:
            _STATEMENTS[key] = None
        else:
            statement = insert(table)
            new, old = statement.excluded, table.c
            current = func.coalesce(old.intake_version, 1)
            _STATEMENTS[key] = statement.on_conflict_do_update(
                index_elements=[old.intake_id],
                set_={name: new[name] for name in WORD_COLUMNS},
                where=or_(
                    new.intake_version > current,
                    and_(
                        new.intake_version == current,
                        or_(old.status_at.is_(None), new.status_at > old.status_at),
                    ),
                ),
            )
    return _STATEMENTS[key]


def _keep_newest_orm(session: Session, model: Any, values: dict[str, Any]) -> None:
    row = session.get(model, values["intake_id"])
    if row is None:
        row = model(intake_id=values["intake_id"], client_id=values["client_id"])
        session.add(row)
    else:
        version, current = values["intake_version"], row.intake_version or 1
        if version < current:
            return  # about a version already corrected
        at, stored = values["status_at"], row.status_at
        if version == current and stored is not None and at <= stored:
            return  # an older word arriving late
    for name in WORD_COLUMNS:
        setattr(row, name, values[name])
