"""What the referral service holds about a client, for export and erasure (issue 12
item 8; inscope_common.client_rights): the client's case, assessments as scored,
emergencies, decisions and referrals, keyed by client id. The service keeps no names or
contact details of the client (they stay in intake), so erasure removes nothing here:
decisions and referrals are the clinical record. Not reached: an inbound referral (a
clinic's letter with the patient's details) is not linked to the client id it became."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_common.client_rights import ClientRecords, audit_rows
from inscope_referral.models import (
    AssessmentRecord,
    AuditEntry,
    ClientCase,
    Decision,
    EmergencyAction,
    Referral,
)


def erase(session: Session, client_id: str) -> dict[str, int]:
    return {}  # no direct identifiers held (see the module docstring)


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
)
