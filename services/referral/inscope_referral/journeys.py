"""Where a client stands, as the referral service knows it: the inputs of
``inscope_clinical.journey`` read from this service's tables (the latest decision, the
clinician's answer that applies to it, the referral waited for), and the
``referral.status_changed`` event that tells the intake and assessment services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inscope_clinical.journey import Journey, journey
from inscope_common.db import utcnow
from inscope_common.events import make_event
from inscope_common.outbox import add_event
from inscope_referral import lifecycle
from inscope_referral.models import ClientCase, Decision, Referral, platform

SOURCE = "/inscope/referral"


def decision_input(row: Decision) -> dict[str, Any]:
    """The decision as the journey reads it (no identifiers; what events may carry)."""
    return {
        "stage": row.stage,
        "outcome": row.outcome,
        "urgency": row.urgency,
        "target": row.target,
        "program_state": row.program_state,
        "reasons": row.reasons,
        "flags": row.flags,
        "program": row.program,
        "referrals": row.referrals,
        "intensity_cap": row.intensity_cap,
    }


def latest_decision(session: Session, client_id: str) -> Decision | None:
    return session.scalar(
        select(Decision)
        .where(Decision.client_id == client_id, Decision.superseded_at.is_(None))
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    )


def current_referral(session: Session, case: ClientCase, decision: Decision) -> Referral | None:
    """The referral to the decision's clinician that is still current: the newest one
    opened on this intake version that is open or was answered (an answered referral
    staff closed afterwards still carries the answer; a superseded one does not)."""
    if decision.target is None:
        return None
    query = select(Referral).where(
        Referral.client_id == case.client_id,
        Referral.target == decision.target,
        or_(Referral.status != lifecycle.CLOSED, Referral.answered_at.is_not(None)),
    )
    if case.version_at is not None:
        query = query.where(Referral.needed_at >= case.version_at)
    return session.scalar(query.order_by(Referral.needed_at.desc()).limit(1))


def answer_input(referral: Referral | None) -> dict[str, Any] | None:
    """The clinician's answer when the current referral has one. Answers come through
    the clinician's own emailed link (the only route today), so they count as verified
    (DEC-7)."""
    if referral is None or referral.answered_at is None or not referral.answer:
        return None
    answer = referral.answer
    return {
        "answer": answer.get("answer"),
        "restrictions": answer.get("restrictions"),
        "answered_by": answer.get("answered_by"),
        "answered_at": referral.answered_at.isoformat() if referral.answered_at else None,
        "verified": answer.get("verified", True),
    }


def referral_input(referral: Referral | None) -> dict[str, Any] | None:
    if referral is None:
        return None
    return {"status": referral.status, "since": referral.sent_at or referral.needed_at}


def inputs_of(
    session: Session, client_id: str
) -> tuple[ClientCase | None, Decision | None, dict[str, Any] | None, dict[str, Any] | None]:
    case = session.get(ClientCase, client_id)
    if case is None:
        return None, None, None, None
    decision = latest_decision(session, client_id)
    if decision is None:
        return case, None, None, None
    referral = current_referral(session, case, decision)
    return case, decision, answer_input(referral), referral_input(referral)


def journey_of(session: Session, client_id: str, emergency_number: str) -> Journey | None:
    case, decision, answer, referral = inputs_of(session, client_id)
    if case is None:
        return None
    return journey(
        decision_input(decision) if decision else None,
        answer=answer,
        referral=referral,
        emergency_number=emergency_number,
    )


def stage_status_changed(
    session: Session,
    client_id: str,
    emergency_number: str,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any] | None:
    """Add ``referral.status_changed`` to the outbox, in the caller's transaction."""
    case, decision, answer, referral = inputs_of(session, client_id)
    if case is None:
        return None
    decided = decision_input(decision) if decision else None
    status = journey(decided, answer=answer, referral=referral, emergency_number=emergency_number)
    event = make_event(
        "referral.status_changed.v1",
        source=SOURCE,
        subject=client_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        data={
            "intake_id": case.intake_id,
            "client_id": client_id,
            "intake_version": case.intake_version or 1,
            "decision_id": decision.id if decision else None,
            "decision": decided,
            "answer": answer,
            "status": status.status,
            "changed_at": (at or utcnow()).isoformat(),
        },
    )
    add_event(session, platform, event)
    return event
