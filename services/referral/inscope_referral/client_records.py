"""What the referral service holds about a client, for export and erasure (issue 12
item 8; inscope_common.client_rights): the client's case, assessments as scored,
emergencies, decisions and referrals, keyed by client id. The service keeps no names or
contact details of the client (they stay in intake): decisions and referrals are the
clinical record and stay. Erasure deletes the staff and physician free text it cannot
search for names (an emergency's note, a clinician's answer notes and name) and scrubs
email addresses and phone numbers from the reasons typed by staff. Intake's
``client.identity_erased.v1`` then names the inbound referrals the client's intakes were
started from (a clinic's letter with the patient's and clinician's contact details:
erased, the clinic and the prescription's clinical content kept) and carries the
screening as pseudonymised, which replaces this service's copy."""

from __future__ import annotations

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
    scrub_text,
)
from inscope_referral.models import (
    AssessmentRecord,
    AuditEntry,
    ClientCase,
    Decision,
    EmergencyAction,
    InboundReferral,
    Referral,
    platform,
)


def erase(session: Session, client_id: str) -> dict[str, int]:
    done: dict[str, int] = {}
    noted = select(EmergencyAction).where(
        EmergencyAction.client_id == client_id, EmergencyAction.note.is_not(None)
    )
    for action in session.scalars(noted):
        action.note = ERASED
        done["emergency_actions"] = done.get("emergency_actions", 0) + 1
    for referral in session.scalars(select(Referral).where(Referral.client_id == client_id)):
        referral.answer = scrub(referral.answer, (), STAFF_FREE_TEXT)
        referral.request = scrub(referral.request, (), STAFF_FREE_TEXT)
        referral.closed_reason = referral.closed_reason and scrub_text(referral.closed_reason)
        referral.status_reason = referral.status_reason and scrub_text(referral.status_reason)
        done["referrals"] = done.get("referrals", 0) + 1
    for decision in session.scalars(select(Decision).where(Decision.client_id == client_id)):
        if decision.superseded_reason:
            decision.superseded_reason = scrub_text(decision.superseded_reason)
    case = session.get(ClientCase, client_id)
    if case is not None and case.assessment:
        case.assessment = scrub(case.assessment, (), STAFF_FREE_TEXT)
    return done


def erase_linked(session: Session, data: dict[str, Any]) -> dict[str, int]:
    """``client.identity_erased.v1``: the inbound referrals the client's intakes came
    from, and the screening copy replaced by intake's pseudonymised one."""
    done: dict[str, int] = {}
    ids = data.get("inbound_referral_ids") or []
    for inbound in session.scalars(select(InboundReferral).where(InboundReferral.id.in_(ids))):
        # The letter names the patient and the clinician: their details are what to
        # look for in its prescription.
        people = [inbound.patient or {}, inbound.referrer or {}]
        known = identifiers(
            [p.get(k) for p in people for k in ("first_name", "last_name", "name")]
            + [f"{inbound.patient.get('first_name')} {inbound.patient.get('last_name')}"],
            [p.get("email") for p in people],
            [p.get("phone") for p in people],
            [(inbound.patient or {}).get("date_of_birth")],
        )
        inbound.patient = {key: (ERASED if key in ("first_name", "last_name", "name") else None)
                           for key in (inbound.patient or {})}  # fmt: skip
        referrer = dict(inbound.referrer or {})
        inbound.referrer = {**referrer, **{k: (ERASED if k == "name" else None)
                                           for k in ("name", "email", "phone", "fax")
                                           if k in referrer}}  # fmt: skip
        inbound.prescription = inbound.prescription and scrub_text(inbound.prescription, known)
        inbound.restrictions = scrub(inbound.restrictions, known, STAFF_FREE_TEXT)
        done["inbound_referrals"] = done.get("inbound_referrals", 0) + 1
    case = session.get(ClientCase, data["client_id"])
    for copy in data.get("screenings") or []:
        if case is not None and case.intake_id == copy["intake_id"]:
            case.screening = copy["screening"]
            done["client_cases"] = 1
    return done


RECORDS = ClientRecords(
    tables={
        "client_cases": lambda cid: select(ClientCase).where(ClientCase.client_id == cid),
        "assessment_records": lambda cid: select(AssessmentRecord).where(
            AssessmentRecord.client_id == cid
        ),
        "emergency_actions": lambda cid: select(EmergencyAction).where(
            EmergencyAction.client_id == cid
        ),
        "decisions": lambda cid: select(Decision).where(Decision.client_id == cid),
        "referrals": lambda cid: select(Referral).where(Referral.client_id == cid),
        "audit_log": audit_rows(AuditEntry),
    },
    erase=erase,
    erase_linked=erase_linked,
    platform=platform,
)
