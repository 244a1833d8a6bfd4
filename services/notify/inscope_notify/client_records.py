"""What the notify service holds about a client, for export and erasure (issue 12
item 8; inscope_common.client_rights): one delivery row per email (with the address it
went to, its subject and any SMTP error, which may quote the address) and the decision
behind each referral letter (no identifiers). Erasure clears the addresses, subjects and
errors; what was sent when, and its status, stay."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inscope_common.client_rights import ClientRecords, audit_rows
from inscope_common.config import ServiceSettings
from inscope_common.retention import Rule
from inscope_notify.models import AuditEntry, Delivery, ReferralLetter


def erase(session: Session, client_id: str) -> dict[str, int]:
    cleared = session.execute(
        update(Delivery)
        .where(Delivery.client_id == client_id)
        .values(recipient=None, subject=None, last_error=None)
    ).rowcount
    return {"deliveries": cleared}


RECORDS = ClientRecords(
    tables={
        "deliveries": lambda cid: select(Delivery).where(Delivery.client_id == cid),
        "referral_letters": lambda cid: select(ReferralLetter).where(
            ReferralLetter.client_id == cid
        ),
        "audit_log": audit_rows(AuditEntry),
    },
    erase=erase,
)


# A delivery done with: its email will never be built again, so the event it kept for
# that is cleared after the retention (the row, its status and times stay).
DONE = ("sent", "blocked", "superseded")


def delivery_bodies_rule(settings: ServiceSettings) -> Rule:
    return Rule(
        "delivery_bodies",
        Delivery,
        "created_at",
        settings.retention_s["delivery_bodies"],
        lambda model: model.status.in_(DONE),
        clear=("envelope",),
    )
