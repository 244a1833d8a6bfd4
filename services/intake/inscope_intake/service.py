"""Intake use cases: accept an intake, publish ``intake.submitted``."""

from __future__ import annotations

from datetime import date
from typing import Any

from inscope_common.audit import Actor, add_entry, record_view
from inscope_common.events import make_event
from inscope_common.idempotency import IdempotencyClaim
from inscope_common.runtime import Runtime
from inscope_intake.models import AuditEntry, Client, ConsentSignature, Intake, name_key

# Sections of the intake that identify the client or record the signed consent; they
# stay in this service. The rest is what the referral engine needs to screen.
PRIVATE_SECTIONS = ("physician", "consent")


def age_on(date_of_birth: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def submit_intake(
    rt: Runtime,
    client: dict[str, Any],
    intake: dict[str, Any],
    actor: Actor,
    signature: dict[str, str] | None = None,
    claim: IdempotencyClaim | None = None,
) -> Intake:
    """Store the client and the intake, its audit row, the event and the idempotency
    key's response (when the request sent a key) in one transaction."""
    dob = date.fromisoformat(client["date_of_birth"])
    # Published right after the commit; if the broker is down the relay sends it later.
    with rt.unit_of_work() as uow:
        session = uow.session
        row_client = Client(
            first_name=client["first_name"],
            last_name=client["last_name"],
            first_key=name_key(client["first_name"]),
            last_key=name_key(client["last_name"]),
            date_of_birth=dob,
            email=client.get("email"),
            phone=client.get("phone"),
        )
        session.add(row_client)
        session.flush()
        row = Intake(client_id=row_client.id, document=intake)
        session.add(row)
        session.flush()
        if signature is not None:
            session.add(ConsentSignature(intake_id=row.id, **signature))
        add_entry(session, AuditEntry, actor, "create", "intake", row.id, row.client_id)
        uow.add_event(_submitted_event(row, dob))
        if claim is not None:
            claim.record(session, row)
    return row


def _submitted_event(row: Intake, dob: date) -> dict[str, Any]:
    document = row.document
    consent = document.get("consent") or {}
    physician = document.get("physician") or {}
    screening = {k: v for k, v in document.items() if k not in PRIVATE_SECTIONS}
    return make_event(
        "intake.submitted.v1",
        source="/inscope/intake",
        subject=row.client_id,
        data={
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
        },
    )


def get_intake(rt: Runtime, intake_id: str, actor: Actor) -> Intake | None:
    """Read an intake back; every read that finds one is audited."""
    with rt.session_factory() as session:
        row = session.get(Intake, intake_id)
        if row is not None:
            _ = row.client  # load before the session closes
    if row is not None:
        record_view(rt.session_factory, AuditEntry, actor, "intake", row.id, row.client_id)
    return row


def get_signature(rt: Runtime, intake_id: str) -> ConsentSignature | None:
    with rt.session_factory() as session:
        return session.get(ConsentSignature, intake_id)
