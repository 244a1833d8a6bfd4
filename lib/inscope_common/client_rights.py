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

Free text (the policy, docs/accounts-and-security.md): the client's own words in the
intake are *pseudonymised*: intake knows the identifiers, so it replaces them (names,
email, phone, date of birth in the usual spellings) and any email address or phone
number (:func:`scrub`), and hands the cleaned screening to the services that keep a copy.
Staff and physician free text elsewhere (an emergency's note, an answer's notes and the
physician's name) is *deleted* (:data:`ERASED`): those services do not hold the
identifiers, so they cannot find them in it. Events about the client kept in a service
(outbox, dead letters) are scrubbed the same way; its scheduled retries are dropped.

Intake alone knows the other ids under which the client's rows are kept elsewhere (the
pre-visit link the client was invited with: notify's delivery row of that email is keyed
by the link's id; the inbound referral the intake was started from, in the referral
service). After erasing, intake publishes ``client.identity_erased.v1`` with those ids and
the pseudonymised screening; the other services finish with :attr:`ClientRecords.erase_linked`.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from inscope_common.audit import Actor, add_entry
from inscope_common.db import EVENT_KEYS_INFO, PlatformModels, read_only, utcnow
from inscope_common.events import make_event
from inscope_common.outbox import add_event, staged_event_ids

ERASURE_REQUESTED = "client.erasure_requested.v1"
IDENTITY_ERASED = "client.identity_erased.v1"
ERASED = "(erased)"
# Keys of staff or physician free text in the JSON the services keep (an emergency's
# note, a clinician's answer: its notes and who answered): deleted on erasure.
STAFF_FREE_TEXT = frozenset({"note", "notes", "answered_by"})
_EMAIL = re.compile(r"[^\s@<>(),;:\"']+@[^\s@<>(),;:\"']+\.[A-Za-z]{2,}")
# A phone number: at least 7 digits, allowing + ( ) spaces dots and dashes between them.
_PHONE = re.compile(r"\+?\(?\d(?:[\s().-]{0,3}\d){6,}")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
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
    # Intake only: after ``erase``, what the others need to finish (the ids under which
    # they keep the client's rows, the pseudonymised screening): published as
    # ``client.identity_erased.v1`` in the same transaction.
    identity_erased: Callable[[Session, str], dict[str, Any]] | None = None
    # The others: erase what ``client.identity_erased.v1`` names (its ``data``).
    erase_linked: Callable[[Session, dict[str, Any]], dict[str, int]] | None = None
    # The service's platform models (outbox, dead letters, retries): events about the
    # client kept there are scrubbed too.
    platform: PlatformModels | None = None


def _date_spellings(value: str) -> list[str]:
    """A date of birth (ISO) as people write it: 1980-05-17, 17/05/1980, 17.05.1980,
    05/17/1980, 17 May 1980, May 17, 1980."""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return [value]
    month = day.strftime("%B")
    return [day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%d.%m.%Y"),
            day.strftime("%m/%d/%Y"), f"{day.day} {month} {day.year}",
            f"{day.day:02d} {month} {day.year}", f"{month} {day.day}, {day.year}",
            f"{day.day}/{day.month}/{day.year}"]  # fmt: skip


def identifiers(
    names: Iterable[str | None] = (),
    emails: Iterable[str | None] = (),
    phones: Iterable[str | None] = (),
    dates_of_birth: Iterable[str | None] = (),
) -> list[str]:
    """The strings :func:`scrub` removes from free text, longest first."""
    found = {n.strip() for n in names if n and len(n.strip()) >= 2 and n.strip() != ERASED}
    found |= {e.strip() for e in emails if e and e.strip()}
    found |= {p.strip() for p in phones if p and p.strip()}
    for dob in dates_of_birth:
        if dob:
            found.update(_date_spellings(str(dob)))
    return sorted(found, key=len, reverse=True)


def _not_a_date(match: re.Match[str]) -> str:
    return match.group(0) if _DATE.fullmatch(match.group(0).strip()) else ERASED


def scrub_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every known identifier replaced by ``(erased)``; prose (text with a
    space in it: never an id, a timestamp or a code) also loses any email address and
    phone number."""
    for item in known:
        # Whole words only: "Ana" is erased, "Banana" is not.
        pattern = rf"(?<!\w){re.escape(item)}(?!\w)"
        text = re.sub(pattern, ERASED, text, flags=re.IGNORECASE)
    if any(ch.isspace() for ch in text):
        text = _PHONE.sub(_not_a_date, _EMAIL.sub(ERASED, text))
    return text


def scrub(value: Any, known: Iterable[str] = (), free_text: frozenset[str] = frozenset()) -> Any:
    """``value`` (text or JSON) through :func:`scrub_text`, with the non-empty text
    under ``free_text`` keys deleted (:data:`ERASED`)."""
    known = list(known)
    if isinstance(value, str):
        return scrub_text(value, known)
    if isinstance(value, dict):
        return {key: (ERASED if key in free_text and isinstance(item, str) and item
                      else scrub(item, known, free_text))
                for key, item in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [scrub(item, known, free_text) for item in value]
    return value


def _about(envelope: Any, ids: set[str]) -> bool:
    if not isinstance(envelope, dict):
        return False
    data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
    return bool(ids & {envelope.get("subject"), data.get("client_id"), data.get("intake_id")})


def scrub_events(session: Session, models: PlatformModels, ids: Iterable[str],
                 known: Iterable[str] = ()) -> dict[str, int]:  # fmt: skip
    """The events about the client (by client, intake or link id) kept in this
    service's database: outbox rows scrubbed and signed again (the service published
    them), dead letters scrubbed (their signature no longer matches: a replay refuses
    them), scheduled retries dropped (work for a client who is gone)."""
    wanted, known = set(ids), list(known)
    keys = session.info.get(EVENT_KEYS_INFO)
    done = {"outbox_events": 0, "dead_letters": 0, "scheduled_retries": 0}
    for row in session.scalars(select(models.OutboxEvent)).yield_per(500):
        if _about(row.envelope, wanted):
            cleaned = scrub(row.envelope, known, STAFF_FREE_TEXT)
            if cleaned != row.envelope:
                row.envelope = keys.sign(cleaned) if keys is not None else cleaned
                done["outbox_events"] += 1
    for row in session.scalars(select(models.DeadLetter)).yield_per(500):
        if _about(row.envelope, wanted):
            row.envelope = scrub(row.envelope, known, STAFF_FREE_TEXT)
            row.error = scrub(row.error, known)
            done["dead_letters"] += 1
    for row in session.scalars(select(models.ScheduledRetry)).yield_per(500):
        if _about(row.envelope, wanted):
            session.delete(row)
            done["scheduled_retries"] += 1
    return {table: count for table, count in done.items() if count}


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
        client_id = data["client_id"]
        # What the others hold under other ids is read before the erasure removes it.
        linked = records.identity_erased(ctx.session, client_id) if (
            records.identity_erased is not None) else None  # fmt: skip
        done = records.erase(ctx.session, client_id)
        if linked is not None:
            add_event(ctx.session, ctx.models, make_event(
                IDENTITY_ERASED, source=f"/inscope/{ctx.settings.service}", subject=client_id,
                data={**{k: data[k] for k in ("client_id", "requested_by",
                                             "requested_by_name", "reason")}, **linked},
                causation_id=event["id"], correlation_id=event.get("correlationid"),
            ))  # fmt: skip
        elif records.platform is not None:
            done.update(scrub_events(ctx.session, records.platform, {client_id}))
        _audit_erasure(ctx.session, audit_model, data, done, "erased")

    return erase_client


def _audit_erasure(
    session: Session, audit_model: type, data: dict[str, Any], done: dict[str, int], what: str
) -> None:
    actor = Actor(data["requested_by"], data["requested_by_name"], "admin", "event")
    summary = ", ".join(f"{table} {count}" for table, count in sorted(done.items()))
    detail = f"{data['reason']}; {what}: {summary or 'no direct identifiers held'}"
    client_id = data["client_id"]
    add_entry(session, audit_model, actor, "erase", "client", client_id, client_id,
              detail=detail[:300])  # fmt: skip


def linked_erasure_handler(
    records: ClientRecords, audit_model: type
) -> Callable[[Any, dict], None]:
    """The consumer handler for ``client.identity_erased.v1`` (from intake)."""

    def erase_linked(ctx: Any, event: dict[str, Any]) -> None:
        data = event["data"]
        assert records.erase_linked is not None
        done = records.erase_linked(ctx.session, data)
        if records.platform is not None:
            ids = {data["client_id"], *data.get("previsit_link_ids", ())}
            done.update(scrub_events(ctx.session, records.platform, ids))
        _audit_erasure(ctx.session, audit_model, data, done, "erased what intake linked")

    return erase_linked


def log_erasure(path: str, event: dict[str, Any]) -> None:
    """Append an erasure request to the erasure log (one JSON line, flushed to disk):
    kept apart from the database backups, it is what a restore re-applies."""
    entry = {**event["data"], "event_id": event["id"], "requested_at": event["time"]}
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry, sort_keys=True) + "\n")
        log.flush()
        os.fsync(log.fileno())


def read_erasure_log(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.strip()]


def reapply_erasures(app: Any, path: str) -> list[str]:
    """After a restore: run this service's erasure again for every client in the log
    (idempotent: erasing erased data changes nothing; intake publishes what it linked
    again, for the relay to send). Each in its own transaction, audited as
    ``re-applied after a restore``. Returns the client ids."""
    from inscope_common.consumer import HandlerContext

    rt = app.extensions["inscope"]
    handle = erasure_handler(app.extensions[RECORDS_EXTENSION], app.extensions["inscope_audit"])
    done = []
    for entry in read_erasure_log(path):
        data = {"client_id": entry["client_id"], "requested_by": entry["requested_by"],
                "requested_by_name": entry["requested_by_name"],
                "reason": f"re-applied after a restore: {entry['reason']}"[:300]}  # fmt: skip
        with rt.session_factory() as session, session.begin():
            ctx = HandlerContext(session, rt.session_factory, rt.settings, rt.models)
            handle(ctx, {"id": entry["event_id"], "correlationid": entry["event_id"],
                         "data": data})  # fmt: skip
            staged = staged_event_ids(session)
        if staged:
            rt.relay.publish_now(staged)  # what intake linked; the relay's job if this fails
        done.append(entry["client_id"])
    return done


def install_client_records(
    app: Any, records: ClientRecords, audit_model: type, handlers: Mapping[str, Any]
) -> dict[str, Any]:
    """Declare the service's records (the export endpoint reads them) and return its
    event handlers with the erasure handler added."""
    app.extensions[RECORDS_EXTENSION] = records
    added = {ERASURE_REQUESTED: erasure_handler(records, audit_model)}
    if records.erase_linked is not None:
        added[IDENTITY_ERASED] = linked_erasure_handler(records, audit_model)
    return {**handlers, **added}
