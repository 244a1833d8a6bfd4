"""What the assessment service holds about a client, for export and erasure (issue 12
item 8; inscope_common.client_rights): the intakes it knows of and the assessments,
keyed by client id. No names or contact details live here (they stay in intake): the
assessments are the clinical record and stay. Erasure deletes the free text staff wrote
(an assessment's notes, the copies of an emergency's note and a clinician's answer
notes and name), which this service cannot search for names, and scrubs events about
the client kept here (inscope_common.client_rights)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_assessment.models import Assessment, AuditEntry, KnownIntake, platform
from inscope_common.client_rights import STAFF_FREE_TEXT, ClientRecords, audit_rows, scrub


def erase(session: Session, client_id: str) -> dict[str, int]:
    done: dict[str, int] = {}
    for row in session.scalars(select(Assessment).where(Assessment.client_id == client_id)):
        row.document = scrub(row.document, (), STAFF_FREE_TEXT)
        done["assessments"] = done.get("assessments", 0) + 1
    for known in session.scalars(select(KnownIntake).where(KnownIntake.client_id == client_id)):
        known.answer = scrub(known.answer, (), STAFF_FREE_TEXT)
        known.emergency = scrub(known.emergency, (), STAFF_FREE_TEXT)
        done["known_intakes"] = done.get("known_intakes", 0) + 1
    return done


RECORDS = ClientRecords(
    tables={
        "known_intakes": lambda cid: select(KnownIntake).where(KnownIntake.client_id == cid),
        "assessments": lambda cid: select(Assessment).where(Assessment.client_id == cid),
        "audit_log": audit_rows(AuditEntry),
    },
    erase=erase,
    platform=platform,
)
