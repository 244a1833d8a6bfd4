"""Intake use cases: accept an intake, publish ``intake.submitted``; correct it (a new
version, ``intake.corrected``); keep the referral service's word on the client for the
confirmation page."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import make_transient_to_detached

from inscope_clinical import review
from inscope_clinical.dates import age_on as _age_on
from inscope_clinical.dates import date_problems
from inscope_clinical.journey import Journey, journey
from inscope_common.audit import Actor, add_entry
from inscope_common.consumer import HandlerContext
from inscope_common.db import new_id, utcnow
from inscope_common.events import make_event
from inscope_common.idempotency import IdempotencyClaim
from inscope_common.latest_status import keep_newest
from inscope_common.runtime import Runtime
from inscope_common.unit_of_work import UnitOfWork
from inscope_intake.models import (
    AuditEntry,
    Client,
    ConsentSignature,
    Intake,
    IntakeVersion,
    PrevisitLink,
    ScreeningStatus,
    name_key,
)

STAFF_ROLES = ("front_desk", "trainer", "admin")


@dataclass(frozen=True)
class Responsible:
    """The staff member responsible for a client (their account and name)."""

    account_id: str
    name: str


# Sections of the intake that identify the client or record the signed consent; they
# stay in this service. The rest is what the referral engine needs to screen.
PRIVATE_SECTIONS = ("physician", "consent")


def age_on(date_of_birth: date, today: date) -> int:
    return _age_on(date_of_birth, today)


def check_dates(rt: Runtime, client: dict[str, Any], intake: dict[str, Any]) -> dict[Any, Any]:
    """Dates that make no sense (a future or implausible date of birth, a date in the
    future or before birth), as per-field messages; {} when every date is fine."""
    settings = rt.settings
    return date_problems(
        client,
        intake,
        date.today(),
        now=utcnow(),
        min_age=getattr(settings, "min_age_years", 14),
        max_age=getattr(settings, "max_age_years", 100),
    )


def submit_intake(
    rt: Runtime,
    client: dict[str, Any],
    intake: dict[str, Any],
    actor: Actor,
    signature: dict[str, str] | None = None,
    claim: IdempotencyClaim | None = None,
    previsit_id: str | None = None,
    inbound_id: str | None = None,
    responsible: Responsible | None = None,
) -> Intake:
    """Store the client and the intake, its audit row, the event and the idempotency
    key's response (when the request sent a key) in one transaction; an intake completed
    from a client's pre-visit draft marks that link completed in it too; one started from
    an inbound referral keeps its id (erasure reaches the referral through it)."""
    # Published right after the commit; if the broker is down the relay sends it later.
    with rt.unit_of_work() as uow:
        row = store_intake(uow, client, intake, actor, signature, responsible, inbound_id)
        if previsit_id:
            link = uow.session.get(PrevisitLink, previsit_id, with_for_update=True)
            if link is not None and link.status == "submitted" and link.intake_id is None:
                link.status = "completed"
                link.intake_id = row.id
        if claim is not None:
            claim.record(uow.session, row)
    return row


def store_intake(
    uow: UnitOfWork,
    client: dict[str, Any],
    intake: dict[str, Any],
    actor: Actor,
    signature: dict[str, str] | None,
    responsible: Responsible | None = None,
    inbound_id: str | None = None,
) -> Intake:
    """The client, the intake, its signature, audit row and ``intake.submitted`` inside
    the caller's unit of work. The staff member responsible for the client: the one
    given, else the staff member submitting it. ``inbound_id``: the inbound referral
    the intake was started from.

    The ids are drawn here and the two rows written by Core INSERTs built once (issue
    13: the ORM's flush of the two was a sixth of POST /intakes' CPU), then put in the
    session as the persistent rows they are, every column set: the caller gets the same
    objects as before, and the session's identity map knows them (no second INSERT, no
    read back)."""
    dob = date.fromisoformat(client["date_of_birth"])
    session = uow.session
    now = utcnow()
    client_values = {
        "id": new_id(),
        "first_name": client["first_name"],
        "last_name": client["last_name"],
        "first_key": name_key(client["first_name"]),
        "last_key": name_key(client["last_name"]),
        "date_of_birth": dob,
        "email": client.get("email"),
        "phone": client.get("phone"),
        "preferred_language": client.get("preferred_language"),
        "created_at": now,
        "erased_at": None,
    }
    if responsible is None and actor.role in STAFF_ROLES:
        responsible = Responsible(actor.account_id, actor.name)
    intake_values = {
        "id": new_id(),
        "client_id": client_values["id"],
        "document": intake,
        "submitted_at": now,
        "version": 1,
        "corrected_at": None,
        "inbound_referral_id": inbound_id,
        "responsible_id": responsible.account_id if responsible else None,
        "responsible_name": responsible.name if responsible else None,
    }
    session.execute(_insert(Client.__table__), client_values)
    session.execute(_insert(Intake.__table__), intake_values)
    row_client = _persistent(session, Client(**client_values))
    row = Intake(**intake_values)
    row.client = row_client
    row = _persistent(session, row)
    if signature is not None:
        session.add(ConsentSignature(intake_id=row.id, **signature))
    add_entry(session, AuditEntry, actor, "create", "intake", row.id, row.client_id)
    uow.add_event(_submitted_event(row, dob))
    return row


@functools.cache
def _insert(table: Any) -> Any:
    return insert(table)


def _persistent(session: Any, row: Any) -> Any:
    """A row just INSERTed by a Core statement, every column given, as the session's
    persistent object (as if the ORM had inserted it)."""
    make_transient_to_detached(row)
    session.add(row)
    return row


def _submitted_event(row: Intake, dob: date) -> dict[str, Any]:
    return make_event(
        "intake.submitted.v1",
        source="/inscope/intake",
        subject=row.client_id,
        data=_screening_data(row, dob),
    )


def _screening_data(row: Intake, dob: date) -> dict[str, Any]:
    document = row.document
    consent = document.get("consent") or {}
    physician = document.get("physician") or {}
    screening = {k: v for k, v in document.items() if k not in PRIVATE_SECTIONS}
    return {
        "intake_id": row.id,
        "client_id": row.client_id,
        "screening": screening,
        "age_years": age_on(dob, date.today()),
        "consent": {
            "assessment": bool(consent.get("assessment")),
            "share_with_physician": bool(consent.get("share_with_physician")),
            "email": bool(consent.get("email")),
        },
        "has_physician_contact": bool(physician.get("email")),
        "responsible_id": row.responsible_id,
        "version": row.version or 1,
    }


# --- corrections -------------------------------------------------------------------


class IntakeNotFound(LookupError):
    pass


class VersionChanged(RuntimeError):
    """Someone corrected the intake since it was read (the review was of an older one)."""


def correct_intake(
    rt: Runtime,
    intake_id: str,
    client: dict[str, Any],
    intake: dict[str, Any],
    actor: Actor,
    reason: str,
    claim: IdempotencyClaim | None = None,
    review_key: str | None = None,
    expected_version: int | None = None,
) -> Intake:
    """A correction: the current version is kept as it was (who/when/why), the intake
    becomes the next version, and ``intake.corrected`` has the client screened again
    (the referral service supersedes what it decided and sent on the old version)."""
    dob = date.fromisoformat(client["date_of_birth"])
    with rt.unit_of_work() as uow:
        session = uow.session
        row = session.get(Intake, intake_id, with_for_update=True)
        if row is None:
            raise IntakeNotFound(intake_id)
        if expected_version is not None and (row.version or 1) != expected_version:
            raise VersionChanged(intake_id)
        old = row.client
        now = utcnow()
        session.add(
            IntakeVersion(
                intake_id=row.id,
                version=row.version or 1,
                client={
                    "first_name": old.first_name,
                    "last_name": old.last_name,
                    "date_of_birth": old.date_of_birth.isoformat(),
                    "email": old.email,
                    "phone": old.phone,
                    "preferred_language": old.preferred_language,
                },
                document=row.document,
                valid_from=row.corrected_at or row.submitted_at,
                replaced_at=now,
                corrected_by=actor.account_id,
                corrected_by_name=actor.name,
                corrected_by_role=actor.role,
                reason=reason,
            )
        )
        old.first_name = client["first_name"]
        old.last_name = client["last_name"]
        old.first_key = name_key(client["first_name"])
        old.last_key = name_key(client["last_name"])
        old.date_of_birth = dob
        old.email = client.get("email")
        old.phone = client.get("phone")
        old.preferred_language = client.get("preferred_language")
        if "review" not in intake and row.document.get("review"):
            # What staff confirmed or dismissed stays on record through any correction.
            intake = {**intake, "review": row.document["review"]}
        row.document = intake
        row.version = (row.version or 1) + 1
        row.corrected_at = now
        add_entry(session, AuditEntry, actor, "correct", "intake", row.id, row.client_id)
        if review_key is not None:  # a flag confirmed or dismissed (review_flag)
            add_entry(session, AuditEntry, actor, "update", "review", review_key, row.client_id)
        data = {**_screening_data(row, dob), "corrected_at": now.isoformat()}
        uow.add_event(
            make_event(
                "intake.corrected.v1",
                source="/inscope/intake",
                subject=row.client_id,
                data=data,
            )
        )
        session.flush()
        if claim is not None:
            claim.record(session, row)
        _ = row.client
    return row


def versions_of(rt: Runtime, intake_id: str) -> list[IntakeVersion]:
    """The versions corrections replaced, oldest first."""
    with rt.session_factory() as session:
        return list(
            session.scalars(
                select(IntakeVersion)
                .where(IntakeVersion.intake_id == intake_id)
                .order_by(IntakeVersion.version)
            )
        )


# --- where the client stands (referral.status_changed) ------------------------------


def on_status_changed(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """The referral service's latest word on the client: keep the newest (one
    statement: inscope_common.latest_status, issue 13)."""
    keep_newest(ctx.session, ScreeningStatus, event["data"])


def screening_status(rt: Runtime, intake_id: str) -> tuple[Intake, Journey] | None:
    """The intake and where its client stands; a status about an older version of the
    intake does not count (the correction is being screened)."""
    with rt.session_factory() as session:
        row = session.get(Intake, intake_id)
        if row is None:
            return None
        status = session.get(ScreeningStatus, intake_id)
    current = status is not None and status.intake_version == (row.version or 1)
    decision = status.decision if current and status is not None else None
    answer = status.answer if current and status is not None else None
    emergency = status.emergency if current and status is not None else None
    return row, journey(
        decision,
        answer=answer,
        emergency=emergency,
        emergency_number=rt.settings.emergency_number,
    )


HANDLERS = {"referral.status_changed.v1": on_status_changed}


def get_intake(rt: Runtime, intake_id: str, actor: Actor) -> Intake | None:
    """Read an intake back, with its client; every read that finds one is audited, in
    the read's transaction (one session and one query for both rows: issue 13, the
    contact read notify makes for every client's emails took two of each)."""
    with rt.session_factory() as session, session.begin():
        row = _read_intake(session, intake_id)
        if row is not None:
            add_entry(session, AuditEntry, actor, "view", "intake", row.id, row.client_id)
    return row


def read_contact(rt: Runtime, intake_id: str, actor: Actor) -> SimpleNamespace | None:
    """get_intake for the contact read (GET /internal/intakes/<id>/contact: notify's for
    every client's emails, the referral service's): the same SELECT and audit row in
    one transaction, but the intake and its client as plain rows of their columns (same
    names and values) instead of the session's persistent objects, which the answer
    never needed: making them was about a third of the read's CPU (issue 13)."""
    with rt.session_factory() as session, session.begin():
        found = _intake_and_client_columns(session, intake_id)
        if found is None:
            return None
        intake, client = found
        row = SimpleNamespace(**intake, client=SimpleNamespace(**client) if client else None)
        add_entry(session, AuditEntry, actor, "view", "intake", row.id, row.client_id)
    return row


def _read_intake(session: Any, intake_id: str) -> Intake | None:
    """The intake and its client in one Core SELECT built once (the same LEFT OUTER JOIN
    the ORM's joined load ran), as the session's persistent objects with every column
    loaded (issue 13: the ORM's get with a joined load was a quarter of the contact
    read's CPU)."""
    found = _intake_and_client_columns(session, intake_id)
    if found is None:
        return None
    intake, columns = found
    client = _persistent(session, Client(**columns)) if columns else None
    row = Intake(**intake)
    row.client = client
    return _persistent(session, row)  # type: ignore[no-any-return]


def _intake_and_client_columns(
    session: Any, intake_id: str
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The intake's and its client's columns by name (None for a client the intake has
    not got), from the one SELECT of ``_intake_with_client``."""
    found = session.execute(_intake_with_client(), {"intake_id": intake_id}).first()
    if found is None:
        return None
    values = found._mapping
    client = None
    if values["c_id"] is not None:
        client = {key: values[f"c_{key}"] for key in _COLUMNS[Client]}
    return {key: values[f"i_{key}"] for key in _COLUMNS[Intake]}, client


_COLUMNS = {model: tuple(c.key for c in model.__table__.columns) for model in (Intake, Client)}


@functools.cache
def _intake_with_client() -> Any:
    intakes, clients = Intake.__table__, Client.__table__
    return (
        select(
            *(column.label(f"i_{column.key}") for column in intakes.columns),
            *(column.label(f"c_{column.key}") for column in clients.columns),
        )
        .select_from(intakes.outerjoin(clients, intakes.c.client_id == clients.c.id))
        .where(intakes.c.id == bindparam("intake_id"))
    )


def get_signature(rt: Runtime, intake_id: str) -> ConsentSignature | None:
    with rt.session_factory() as session:
        return session.get(ConsentSignature, intake_id)


# --- the staff review loop (DEC-2 / DEC-3) -------------------------------------------


class ReviewRefused(ValueError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def review_state(rt: Runtime, intake_id: str) -> tuple[Intake, list[dict[str, Any]], bool] | None:
    """The intake, the flagged items of its current decision (inscope_clinical.review)
    and whether that decision is about the current version (False: being screened)."""
    with rt.session_factory() as session:
        row = session.get(Intake, intake_id)
        if row is None:
            return None
        _ = row.client
        status = session.get(ScreeningStatus, intake_id)
    current = status is not None and status.intake_version == (row.version or 1)
    decision = status.decision if current and status is not None else None
    return row, review.items(decision), current


def review_flag(
    rt: Runtime, intake_id: str, key: str, action: str, reason: str, actor: Actor
) -> tuple[Intake, dict[str, Any]]:
    """Confirm or dismiss one flagged item: a corrected version of the intake that
    records it (who, when, why) and, for a confirmation, sets the structured answer;
    ``intake.corrected`` has the client screened again."""
    found = review_state(rt, intake_id)
    if found is None:
        raise IntakeNotFound(intake_id)
    row, _, current = found
    if not current:
        raise ReviewRefused("The intake is being screened; try again in a moment.", 409)
    with rt.session_factory() as session:
        status = session.get(ScreeningStatus, intake_id)
        decision = status.decision if status is not None else None
    who = {"account_id": actor.account_id, "name": actor.name, "role": actor.role}
    try:
        doc, entry = review.apply(
            row.document, decision, key, action, reason, who, utcnow().isoformat()
        )
    except review.ReviewProblem as exc:
        # A missing reason or unknown action is the request's fault (422); an item no
        # longer flagged on the current decision is a conflict (409).
        unflagged = str(exc).startswith("No such flagged item")
        raise ReviewRefused(str(exc), 409 if unflagged else 422) from exc
    verb = "Confirmed" if action == "confirm" else "Dismissed"
    why = f"Review: {verb} flag '{entry['words']}' ({entry['field']})"
    if action == "dismiss" or reason.strip():
        why += f": {reason.strip()}"
    client = {
        "first_name": row.client.first_name,
        "last_name": row.client.last_name,
        "date_of_birth": row.client.date_of_birth.isoformat(),
        "email": row.client.email,
        "phone": row.client.phone,
        "preferred_language": row.client.preferred_language,
    }
    client = {k: v for k, v in client.items() if v is not None}
    try:
        corrected = correct_intake(
            rt,
            intake_id,
            client,
            doc,
            actor,
            why[:1000],
            review_key=key,
            expected_version=row.version or 1,
        )
    except VersionChanged as exc:
        raise ReviewRefused("The intake was corrected meanwhile; look again.", 409) from exc
    return corrected, entry
