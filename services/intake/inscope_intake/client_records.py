"""What the intake service holds about a client, for export and erasure (issue 12
item 8; inscope_common.client_rights). Intake owns the direct identifiers: the client's
name, date of birth, email and phone, the physician's contact details in the intake
document, the consent's typed name and the signature, and a pre-visit link's name,
email and draft once it became an intake. Erasure replaces them (the date
of birth keeps its year, stored as 1 January, because screening reads the age band),
keeps the clinical answers, and marks the client ``erased_at``."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_common.client_rights import ERASED, ClientRecords, audit_rows
from inscope_common.db import utcnow
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

PHYSICIAN_CONTACT = ("name", "email", "phone")


def _intake_ids(client_id: str) -> Any:
    return select(Intake.id).where(Intake.client_id == client_id)


RECORDS_TABLES = {
    "clients": lambda cid: select(Client).where(Client.id == cid),
    "intakes": lambda cid: select(Intake).where(Intake.client_id == cid),
    "intake_versions": lambda cid: select(IntakeVersion).where(
        IntakeVersion.intake_id.in_(_intake_ids(cid))
    ),
    "consent_signatures": lambda cid: select(ConsentSignature).where(
        ConsentSignature.intake_id.in_(_intake_ids(cid))
    ),
    # A pre-visit link the client answered, once it became one of their intakes.
    "previsit_links": lambda cid: select(PrevisitLink).where(
        PrevisitLink.intake_id.in_(_intake_ids(cid))
    ),
    "screening_status": lambda cid: select(ScreeningStatus).where(
        ScreeningStatus.client_id == cid
    ),
    "audit_log": audit_rows(AuditEntry),
}


def _birth_year(value: Any) -> Any:
    """A date of birth reduced to its year (1 January), as a date or ISO text."""
    if isinstance(value, date):
        return date(value.year, 1, 1)
    if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
        return f"{value[:4]}-01-01"
    return None


def _identity(client: dict[str, Any]) -> dict[str, Any]:
    """An identity block (an old version's ``client``) without its identifiers."""
    return {**client, "first_name": ERASED, "last_name": ERASED, "email": None,
            "phone": None, "date_of_birth": _birth_year(client.get("date_of_birth"))}  # fmt: skip


def _document(document: dict[str, Any]) -> dict[str, Any]:
    """An intake document without the physician's contact or the consent's name."""
    scrubbed = dict(document)
    physician = scrubbed.get("physician")
    if isinstance(physician, dict):
        scrubbed["physician"] = {
            **physician, **{k: ERASED if k == "name" else None for k in PHYSICIAN_CONTACT}
        }
    consent = scrubbed.get("consent")
    if isinstance(consent, dict) and consent.get("signed_by"):
        scrubbed["consent"] = {**consent, "signed_by": ERASED}
    if isinstance(scrubbed.get("client"), dict):
        scrubbed["client"] = _identity(scrubbed["client"])
    return scrubbed


def erase(session: Session, client_id: str) -> dict[str, int]:
    client = session.get(Client, client_id)
    if client is None:
        return {}
    client.first_name = client.last_name = ERASED
    client.first_key = client.last_key = name_key(ERASED)
    client.date_of_birth = _birth_year(client.date_of_birth)
    client.email = client.phone = None
    client.erased_at = utcnow()
    done = {"clients": 1}
    intakes = session.scalars(select(Intake).where(Intake.client_id == client_id)).all()
    for intake in intakes:
        intake.document = _document(intake.document)
    done["intakes"] = len(intakes)
    ids = [intake.id for intake in intakes]
    versions = session.scalars(select(IntakeVersion).where(IntakeVersion.intake_id.in_(ids)))
    done["intake_versions"] = 0
    for version in versions:
        version.client = _identity(version.client)
        version.document = _document(version.document)
        done["intake_versions"] += 1
    signatures = session.scalars(
        select(ConsentSignature).where(ConsentSignature.intake_id.in_(ids))
    ).all()
    for signature in signatures:
        signature.kind, signature.value = "typed", ERASED
    done["consent_signatures"] = len(signatures)
    links = session.scalars(select(PrevisitLink).where(PrevisitLink.intake_id.in_(ids))).all()
    for link in links:
        # The draft held the client's own answers, identity included: the intake has them.
        link.first_name = link.last_name = link.email = ERASED
        link.draft = None
    done["previsit_links"] = len(links)
    return done


RECORDS = ClientRecords(tables=RECORDS_TABLES, erase=erase)
