"""What the assessment service holds about a client, for export and erasure (issue 12
item 8; inscope_common.client_rights): the intakes it knows of and the assessments,
keyed by client id. No names or contact details live here (they stay in intake), so
erasure has nothing to remove: the assessments are the clinical record and stay; the
handler records the request in this service's audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_assessment.models import Assessment, AuditEntry, KnownIntake
from inscope_common.client_rights import ClientRecords, audit_rows


def erase(session: Session, client_id: str) -> dict[str, int]:
    return {}  # no direct identifiers held (see the module docstring)


RECORDS = ClientRecords(
    tables={
        "known_intakes": lambda cid: select(KnownIntake).where(KnownIntake.client_id == cid),
        "assessments": lambda cid: select(Assessment).where(Assessment.client_id == cid),
        "audit_log": audit_rows(AuditEntry),
    },
    erase=erase,
)
