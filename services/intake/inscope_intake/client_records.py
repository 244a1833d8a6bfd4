"""What the intake service holds about a client, for export and erasure (issue 12
item 8; inscope_common.client_rights). Intake owns the direct identifiers: the client's
name, date of birth, email and phone, the physician's contact details in the intake
document, the consent's typed name and the signature, and a pre-visit link's name,
email and draft once it became an intake (or any link sent to the client's address).
Erasure replaces them (the date of birth keeps its year, stored as 1 January, because
screening reads the age band), keeps the clinical answers, and marks the client
``erased_at``. The client's own words (notes, guidelines, any text of the intake and its
versions) and the correction reasons are pseudonymised: every identifier intake knows
(the client's and the physician's names, emails, phones, the date of birth in the usual
spellings) and any email address or phone number in prose becomes ``(erased)``; copies
of staff free text (an emergency's note, a clinician's answer notes) are deleted.

It then names, in ``client.identity_erased.v1``, what the others hold under other ids:
the pre-visit links (notify's delivery row of the invitation email is keyed by the
link's id), the inbound referral each intake was started from (referral service), and
each intake's pseudonymised screening (the referral service keeps a copy)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_common.client_rights import (
    ERASED,
    STAFF_FREE_TEXT,
    ClientRecords,
    audit_rows,
    identifiers,
    scrub,
    scrub_events,
    scrub_text,
)
from inscope_common.db import utcnow
from inscope_intake.models import (
    AuditEntry,
    Client,
    ConsentSignature,
    IdempotencyKey,
    Intake,
    IntakeVersion,
    PrevisitLink,
    ScreeningStatus,
    name_key,
    platform,
)
from inscope_intake.service import PRIVATE_SECTIONS

PHYSICIAN_CONTACT = ("name", "email", "phone")
# Not names: the words before one, kept when a full name is split into its parts.
TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "prof", "md", "phd", "do", "rn", "pt"})


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
    "screening_status": lambda cid: select(ScreeningStatus).where(ScreeningStatus.client_id == cid),
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
            **physician,
            **{k: ERASED if k == "name" else None for k in PHYSICIAN_CONTACT},
        }
    consent = scrubbed.get("consent")
    if isinstance(consent, dict) and consent.get("signed_by"):
        scrubbed["consent"] = {**consent, "signed_by": ERASED}
    if isinstance(scrubbed.get("client"), dict):
        scrubbed["client"] = _identity(scrubbed["client"])
    return scrubbed


def _links(session: Session, client: Client, intake_ids: list[str]) -> list[PrevisitLink]:
    """The client's pre-visit links: the ones that became their intakes, and any sent
    to their address (answered or not)."""
    found = PrevisitLink.intake_id.in_(intake_ids)
    if client.email:
        found = found | (PrevisitLink.email == client.email)
    return list(session.scalars(select(PrevisitLink).where(found)))


def _known(session: Session, client: Client, intakes: list[Intake]) -> list[str]:
    """Every identifier intake holds for the client, in every version and link."""
    names, emails, phones, dobs = (
        [client.first_name, client.last_name],
        [client.email],
        [client.phone],
        [client.date_of_birth and client.date_of_birth.isoformat()],
    )
    people = []
    for intake in intakes:
        people.append((intake.document or {}).get("physician") or {})
        for version in session.scalars(select(IntakeVersion).where(
                IntakeVersion.intake_id == intake.id)):  # fmt: skip
            people.append(version.client or {})
            people.append((version.document or {}).get("physician") or {})
    for person in people:
        names += [person.get(k) for k in ("first_name", "last_name", "name")]
        emails.append(person.get("email"))
        phones.append(person.get("phone"))
        dobs.append(person.get("date_of_birth"))
    for link in _links(session, client, [i.id for i in intakes]):
        names += [link.first_name, link.last_name]
        emails.append(link.email)
    # A full name as written ("Dana Rivera") goes before its parts.
    names.append(f"{client.first_name} {client.last_name}")
    names += [part.strip(".,") for name in names if name for part in name.split()
              if part.strip(".,").lower() not in TITLES]  # fmt: skip
    return identifiers(names, emails, phones, [d for d in dobs if d])


def identity_erased(session: Session, client_id: str) -> dict[str, Any]:
    """Before ``erase``: what the other services hold under other ids, and the
    screening each intake will have once pseudonymised."""
    client = session.get(Client, client_id)
    if client is None:
        return {"previsit_link_ids": [], "inbound_referral_ids": [], "screenings": []}
    intakes = list(session.scalars(select(Intake).where(Intake.client_id == client_id)))
    known = _known(session, client, intakes)
    return {
        "previsit_link_ids": sorted(link.id for link in _links(session, client,
                                                               [i.id for i in intakes])),
        "inbound_referral_ids": sorted({i.inbound_referral_id for i in intakes
                                        if i.inbound_referral_id}),
        "screenings": [
            {"intake_id": i.id, "screening": scrub(
                {k: v for k, v in (i.document or {}).items() if k not in PRIVATE_SECTIONS},
                known)}
            for i in intakes
        ],
    }  # fmt: skip


def erase(session: Session, client_id: str) -> dict[str, int]:
    client = session.get(Client, client_id)
    if client is None:
        return {}
    intakes = list(session.scalars(select(Intake).where(Intake.client_id == client_id)))
    ids = [intake.id for intake in intakes]
    known = _known(session, client, intakes)
    links = _links(session, client, ids)
    client.first_name = client.last_name = ERASED
    client.first_key = client.last_key = name_key(ERASED)
    client.date_of_birth = _birth_year(client.date_of_birth)
    client.email = client.phone = None
    client.erased_at = utcnow()
    done = {"clients": 1}
    for intake in intakes:
        intake.document = scrub(_document(intake.document), known)
    done["intakes"] = len(intakes)
    versions = session.scalars(select(IntakeVersion).where(IntakeVersion.intake_id.in_(ids)))
    done["intake_versions"] = 0
    for version in versions:
        version.client = _identity(version.client)
        version.document = scrub(_document(version.document), known)
        version.reason = scrub_text(version.reason, known)
        done["intake_versions"] += 1
    signatures = session.scalars(
        select(ConsentSignature).where(ConsentSignature.intake_id.in_(ids))
    ).all()
    for signature in signatures:
        signature.kind, signature.value = "typed", ERASED
    done["consent_signatures"] = len(signatures)
    for link in links:
        # The draft held the client's own answers, identity included: the intake has them.
        link.first_name = link.last_name = link.email = ERASED
        link.draft = None
    done["previsit_links"] = len(links)
    statuses = session.scalars(
        select(ScreeningStatus).where(ScreeningStatus.client_id == client_id)
    )
    done["screening_status"] = 0
    for status in statuses:
        status.answer = scrub(status.answer, known, STAFF_FREE_TEXT)
        status.emergency = scrub(status.emergency, known, STAFF_FREE_TEXT)
        status.decision = scrub(status.decision, known)
        done["screening_status"] += 1
    # A stored answer to a repeated request (24 hours) may echo the client's details.
    for key in session.scalars(select(IdempotencyKey)):
        cleaned = scrub(key.response, known)
        if cleaned != key.response:
            key.response = cleaned
            done["idempotency_keys"] = done.get("idempotency_keys", 0) + 1
    event_ids = {client_id, *ids, *(link.id for link in links)}
    done.update(scrub_events(session, platform, event_ids, known))
    return done


RECORDS = ClientRecords(
    tables=RECORDS_TABLES, erase=erase, identity_erased=identity_erased, platform=platform
)
