"""Referral use cases: screen each intake, decide after each scored assessment, and
publish ``referral.decided`` when there is something to tell."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_clinical import decide
from inscope_common.consumer import HandlerContext
from inscope_common.events import make_event
from inscope_common.outbox import add_event
from inscope_common.runtime import Runtime
from inscope_referral import referrals
from inscope_referral.config import ReferralSettings
from inscope_referral.models import ClientCase, Decision, Referral, platform
from inscope_referral.status import EMERGENCY_INSTRUCTION, client_status, decision_signature

SOURCE = "/inscope/referral"


class CaseNotYetKnown(RuntimeError):
    """An assessment arrived before its intake's event: retried with backoff."""


def on_intake_submitted(ctx: HandlerContext, event: dict[str, Any]) -> None:
    data = event["data"]
    case = ctx.session.get(ClientCase, data["client_id"])
    if case is None:
        case = ClientCase(client_id=data["client_id"])
        ctx.session.add(case)
    case.intake_id = data["intake_id"]
    case.screening = data["screening"]
    case.age_years = data["age_years"]
    case.consent = data["consent"]
    case.has_physician_contact = data["has_physician_contact"]
    case.assessment_id = case.assessment = case.scoring = None
    result = decide(case.screening, age_years=case.age_years)
    # Before the assessment only an actionable outcome is news; "in scope so far" is not.
    publish = result["outcome"] != "in_scope"
    _record(ctx.session, ctx.settings, case, result, "screening", event, publish=publish)


def on_assessment_scored(ctx: HandlerContext, event: dict[str, Any]) -> None:
    data = event["data"]
    case = ctx.session.get(ClientCase, data["client_id"])
    if case is None or case.intake_id != data["intake_id"]:
        raise CaseNotYetKnown(f"intake {data['intake_id']} not screened yet")
    case.assessment_id = data["assessment_id"]
    case.assessment = data["assessment"]
    case.scoring = data["scoring"]
    result = decide(
        case.screening, age_years=case.age_years, assessment=case.assessment, scoring=case.scoring
    )
    previous = _last_published(ctx.session, case.client_id)
    unchanged = previous is not None and decision_signature(previous) == decision_signature(result)
    _record(ctx.session, ctx.settings, case, result, "assessment", event, publish=not unchanged)


def _record(
    session: Session,
    settings: ReferralSettings,
    case: ClientCase,
    result: dict[str, Any],
    stage: str,
    cause: dict[str, Any],
    *,
    publish: bool,
) -> Decision:
    row = Decision(
        client_id=case.client_id,
        intake_id=case.intake_id,
        assessment_id=case.assessment_id,
        stage=stage,
        outcome=result["outcome"],
        urgency=result["urgency"],
        target=result.get("target"),
        program_state=result.get("program_state"),
        reasons=result["reasons"],
        flags=result.get("flags", []),
        program=result.get("program"),
        referrals=result.get("referrals", []),
        intensity_cap=result.get("intensity_cap"),
        engine_version=result.get("engine_version"),
        published=publish,
    )
    session.add(row)
    session.flush()
    if publish:
        referral = referrals.open_for_decision(session, case, row, result, cause["correlationid"])
        ref = referrals.referral_ref(settings, referral) if referral else None
        add_event(session, platform, _decided_event(case, row, cause, ref))
    return row


def _decided_event(
    case: ClientCase, row: Decision, cause: dict[str, Any], ref: dict[str, Any] | None
) -> dict[str, Any]:
    return make_event(
        "referral.decided.v1",
        source=SOURCE,
        subject=case.client_id,
        correlation_id=cause["correlationid"],
        causation_id=cause["id"],
        data={
            "intake_id": case.intake_id,
            "client_id": case.client_id,
            "decision_id": row.id,
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
            "consent": case.consent,
            "has_physician_contact": case.has_physician_contact,
            "referral": ref,
        },
    )


def _as_dict(row: Decision) -> dict[str, Any]:
    return {
        "id": row.id,
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
        "engine_version": row.engine_version,
        "intake_id": row.intake_id,
        "assessment_id": row.assessment_id,
        "decided_at": row.decided_at,
    }


def _last_published(session: Session, client_id: str) -> dict[str, Any] | None:
    row = session.scalar(
        select(Decision)
        .where(Decision.client_id == client_id, Decision.published.is_(True))
        .order_by(Decision.decided_at.desc())
        .limit(1)
    )
    return _as_dict(row) if row else None


def status_of(rt: Runtime, client_id: str) -> dict[str, Any] | None:
    with rt.session_factory() as session:
        case = session.get(ClientCase, client_id)
        if case is None:
            return None
        latest = session.scalar(
            select(Decision)
            .where(Decision.client_id == client_id)
            .order_by(Decision.decided_at.desc())
            .limit(1)
        )
        decision = _as_dict(latest) if latest else None
        emergency = bool(decision and decision["urgency"] == "emergency")
        rows = session.scalars(
            select(Referral).where(Referral.client_id == client_id).order_by(Referral.needed_at)
        )
        return {
            "client_id": client_id,
            "intake_id": case.intake_id,
            "assessment_id": case.assessment_id,
            "status": client_status(decision),
            "emergency": emergency,
            # REF-3: staff act now; email is documentation only.
            "emergency_instruction": EMERGENCY_INSTRUCTION if emergency else None,
            "decision": decision,
            "referrals": [referrals.as_dict(r) for r in rows],
        }


def decisions_of(rt: Runtime, client_id: str) -> list[dict[str, Any]]:
    with rt.session_factory() as session:
        rows = session.scalars(
            select(Decision).where(Decision.client_id == client_id).order_by(Decision.decided_at)
        )
        return [_as_dict(r) for r in rows]


HANDLERS = {
    "intake.submitted.v1": on_intake_submitted,
    "assessment.scored.v1": on_assessment_scored,
    "notification.sent.v1": referrals.on_notification_sent,
}
