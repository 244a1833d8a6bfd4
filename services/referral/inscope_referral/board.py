"""The client board: every client and where they stand, in the staff's words."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from inscope_common.audit import Actor, record_view
from inscope_common.runtime import Runtime
from inscope_referral import service
from inscope_referral.models import AuditEntry, ClientCase

CLIENT_STATUS_WORDS = {
    "screening_pending": "Screening pending",
    "awaiting_assessment": "Awaiting assessment",
    "referred": "Referred",
    "clearance_needed": "Clearance needed",
    "on_hold": "On hold",
    "program_ready": "Program ready",
}
REFERRAL_STATUS_WORDS = {
    "needed": "Needed",
    "sent": "Sent",
    "delivered": "Delivered",
    "viewed": "Viewed",
    "overdue": "Overdue",
    "answered": "Answered",
    "closed": "Closed",
}


def board_rows(rt: Runtime) -> list[dict[str, Any]]:
    """Every client, most recently changed first, with their status and latest referral."""
    with rt.session_factory() as session:
        client_ids = list(
            session.scalars(select(ClientCase.client_id).order_by(ClientCase.updated_at.desc()))
        )
    rows = []
    for client_id in client_ids:
        status = service.status_of(rt, client_id)
        if status is None:
            continue
        latest = status["referrals"][-1] if status["referrals"] else None
        decision = status["decision"] or {}
        rows.append(
            {
                "client_id": client_id,
                "intake_id": status["intake_id"],
                "status": status["status"],
                "emergency": status["emergency"],
                "referral_status": latest["status"] if latest else None,
                "target": decision.get("target"),
                "urgency": decision.get("urgency"),
                "decided_at": decision.get("decided_at"),
            }
        )
    return rows


def filtered(rows: list[dict[str, Any]], status: str, referral: str) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if (not status or r["status"] == status)
        and (not referral or r["referral_status"] == referral)
    ]


def client_detail(rt: Runtime, client_id: str, actor: Actor) -> dict[str, Any] | None:
    """A client's status, decision and referrals; the view is audited."""
    status = service.status_of(rt, client_id)
    if status is not None:
        record_view(rt.session_factory, AuditEntry, actor, "client", client_id, client_id)
    return status
