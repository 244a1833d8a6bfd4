"""What the notify service holds about a client, for export and erasure (issue 12
item 8; inscope_common.client_rights): one delivery row per email (with the address it
went to, its subject and any SMTP error, which may quote the address) and the decision
behind each referral letter (no identifiers). Erasure clears the addresses, subjects and
errors, deletes the staff and physician free text kept in the events the emails answer
(a clinician's answer notes and name); what was sent when, and its status, stay. The
email of the client's pre-visit link is keyed by the link's id: intake's
``client.identity_erased.v1`` names it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_common.client_rights import STAFF_FREE_TEXT, ClientRecords, audit_rows, scrub
from inscope_common.config import ServiceSettings
from inscope_common.retention import Rule
from inscope_notify.models import AuditEntry, Delivery, ReferralLetter, platform


def _clear(session: Session, client_ids: Iterable[str]) -> int:
    count = 0
    for row in session.scalars(select(Delivery).where(Delivery.client_id.in_(list(client_ids)))):
        row.recipient = row.subject = row.last_error = None
        row.envelope = scrub(row.envelope, (), STAFF_FREE_TEXT)
        count += 1
    return count


def erase(session: Session, client_id: str) -> dict[str, int]:
    done = {"deliveries": _clear(session, [client_id])}
    for letter in session.scalars(
        select(ReferralLetter).where(ReferralLetter.client_id == client_id)
    ):
        letter.decision = scrub(letter.decision, (), STAFF_FREE_TEXT)
    return done


def erase_linked(session: Session, data: dict[str, Any]) -> dict[str, int]:
    """The pre-visit link's email (its delivery row is keyed by the link's id)."""
    return {"previsit_deliveries": _clear(session, data.get("previsit_link_ids") or [])}


RECORDS = ClientRecords(
    tables={
        "deliveries": lambda cid: select(Delivery).where(Delivery.client_id == cid),
        "referral_letters": lambda cid: select(ReferralLetter).where(
            ReferralLetter.client_id == cid
        ),
        "audit_log": audit_rows(AuditEntry),
    },
    erase=erase,
    erase_linked=erase_linked,
    platform=platform,
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
