"""The client's rights (issue 12 item 8): export of everything a service holds about a
client, and erasure.

Each service declares a :class:`ClientRecords`: per table, how to select the client's
rows, and how to erase them. The shared blueprint (``inscope_common.web.client_rights``)
serves ``GET /admin/clients/<client_id>/export`` on every service (admins only, audited
as ``export``); the staff hub gathers the four into one bundle. Erasure travels as the
event ``client.erasure_requested.v1`` (published by the hub through its outbox, so a
service that is down erases when it is back); every service handles it with
:func:`erasure_handler`: its own ``erase`` in the consumer's transaction plus an
``erase`` audit row under the admin who asked.

What erasure keeps: the clinical record (screening answers, decisions, assessments,
referrals and their answers) stays, without the direct identifiers, marked erased;
see docs/accounts-and-security.md, "The client's rights".
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from inscope_common.audit import Actor, add_entry
from inscope_common.db import read_only, utcnow

ERASURE_REQUESTED = "client.erasure_requested.v1"
ERASED = "(erased)"
# app.extensions key of the service's ClientRecords (read by the export endpoint).
RECORDS_EXTENSION = "inscope_client_records"


@dataclass(frozen=True)
class ClientRecords:
    """What one service holds about a client. ``tables``: table name -> the query for
    the client's rows (a ``select`` of one model); ``erase``: removes or pseudonymises
    the client's direct identifiers in the caller's transaction and says what it did
    (table -> rows touched)."""

    tables: Mapping[str, Callable[[str], Select[Any]]]
    erase: Callable[[Session, str], dict[str, int]]


def audit_rows(model: type) -> Callable[[str], Select[Any]]:
    """The audit log's rows about the client: who saw or changed their data, when."""
    return lambda client_id: select(model).where(model.client_id == client_id)


def jsonable(value: Any) -> Any:
    """A column's value as JSON can carry it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def row_dict(row: Any) -> dict[str, Any]:
    return {column.key: jsonable(getattr(row, column.key)) for column in row.__table__.columns}


def export_client(
    session_factory: sessionmaker, service: str, records: ClientRecords, client_id: str
) -> dict[str, Any]:
    """Every row this service holds about the client, by table."""
    with read_only(session_factory)() as session:
        tables = {
            name: [row_dict(row) for row in session.scalars(query(client_id))]
            for name, query in records.tables.items()
        }
    return {
        "service": service,
        "client_id": client_id,
        "exported_at": utcnow().isoformat(),
        "tables": tables,
    }


def erasure_handler(records: ClientRecords, audit_model: type) -> Callable[[Any, dict], None]:
    """The consumer handler for ``client.erasure_requested.v1``."""

    def erase_client(ctx: Any, event: dict[str, Any]) -> None:
        data = event["data"]
        done = records.erase(ctx.session, data["client_id"])
        actor = Actor(data["requested_by"], data["requested_by_name"], "admin", "event")
        summary = ", ".join(f"{table} {count}" for table, count in sorted(done.items()))
        detail = f"{data['reason']}; erased: {summary or 'no direct identifiers held'}"
        client_id = data["client_id"]
        add_entry(ctx.session, audit_model, actor, "erase", "client", client_id, client_id,
                  detail=detail[:300])  # fmt: skip

    return erase_client


def install_client_records(
    app: Any, records: ClientRecords, audit_model: type, handlers: Mapping[str, Any]
) -> dict[str, Any]:
    """Declare the service's records (the export endpoint reads them) and return its
    event handlers with the erasure handler added."""
    app.extensions[RECORDS_EXTENSION] = records
    return {**handlers, ERASURE_REQUESTED: erasure_handler(records, audit_model)}
