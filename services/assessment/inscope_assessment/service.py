"""Assessment use cases: record a trainer's assessment, score it in the worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from inscope_assessment.models import Assessment, AuditEntry, KnownIntake, platform
from inscope_clinical import score_assessment
from inscope_common.audit import Actor, add_entry, record_view
from inscope_common.consumer import HandlerContext
from inscope_common.db import utcnow
from inscope_common.events import make_event
from inscope_common.idempotency import IdempotencyClaim
from inscope_common.outbox import add_event
from inscope_common.runtime import Runtime

SOURCE = "/inscope/assessment"


class ClientMismatch(ValueError):
    """The intake is known to belong to another client."""


def record_assessment(
    rt: Runtime,
    intake_id: str,
    client_id: str,
    document: dict[str, Any],
    actor: Actor,
    claim: IdempotencyClaim | None = None,
) -> Assessment:
    """Store the assessment and its audit row, stage ``assessment.recorded`` for the
    scoring worker and store the idempotency key's response (when the request sent a
    key), in one transaction."""
    with rt.unit_of_work() as uow:
        session = uow.session
        known = session.get(KnownIntake, intake_id)
        if known is not None and known.client_id != client_id:
            raise ClientMismatch(f"intake {intake_id} belongs to another client")
        row = Assessment(intake_id=intake_id, client_id=client_id, document=document)
        session.add(row)
        session.flush()
        add_entry(session, AuditEntry, actor, "create", "assessment", row.id, client_id)
        uow.add_event(
            make_event(
                "assessment.recorded.v1",
                source=SOURCE,
                subject=client_id,
                data={"intake_id": intake_id, "client_id": client_id, "assessment_id": row.id},
            )
        )
        if claim is not None:
            claim.record(session, row)
    return row


def get_assessment(rt: Runtime, assessment_id: str, actor: Actor) -> Assessment | None:
    """Read an assessment; every read that finds one is audited."""
    with rt.session_factory() as session:
        row = session.get(Assessment, assessment_id)
    if row is not None:
        record_view(rt.session_factory, AuditEntry, actor, "assessment", row.id, row.client_id)
    return row


def awaiting_assessment(rt: Runtime) -> list[KnownIntake]:
    with rt.session_factory() as session:
        assessed = select(Assessment.intake_id)
        return list(
            session.scalars(
                select(KnownIntake)
                .where(KnownIntake.intake_id.not_in(assessed))
                .order_by(KnownIntake.received_at)
            )
        )


# --- event handlers (run in the worker) -------------------------------------------


def on_intake_submitted(ctx: HandlerContext, event: dict[str, Any]) -> None:
    data = event["data"]
    if ctx.session.get(KnownIntake, data["intake_id"]) is None:
        ctx.session.add(KnownIntake(intake_id=data["intake_id"], client_id=data["client_id"]))


def on_assessment_recorded(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """Score the assessment and publish ``assessment.scored``."""
    data = event["data"]
    row = ctx.session.get(Assessment, data["assessment_id"])
    if row is None:
        raise LookupError(f"assessment {data['assessment_id']} not found")
    row.scoring = score_assessment(row.document)
    row.status = "scored"
    row.scored_at = utcnow()
    add_event(
        ctx.session,
        platform,
        make_event(
            "assessment.scored.v1",
            source=SOURCE,
            subject=row.client_id,
            correlation_id=event["correlationid"],
            causation_id=event["id"],
            data={
                "intake_id": row.intake_id,
                "client_id": row.client_id,
                "assessment_id": row.id,
                "assessment": row.document,
                "scoring": row.scoring,
            },
        ),
    )


HANDLERS = {
    "intake.submitted.v1": on_intake_submitted,
    "assessment.recorded.v1": on_assessment_recorded,
}
