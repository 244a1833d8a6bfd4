"""Assessment use cases: record a trainer's assessment and score it in the same
transaction (scoring is milliseconds of pure code: no queue hop, issue 13)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.orm import make_transient_to_detached

from inscope_assessment.models import Assessment, AuditEntry, KnownIntake, platform
from inscope_assessment.screening_wait import note_stored
from inscope_clinical import score_assessment
from inscope_clinical.journey import MOVEMENT_WORDS, Journey, Text, Words, journey
from inscope_clinical.vocab import CLEARING_TESTS, FMS_TESTS
from inscope_common.audit import Actor, add_entry, record_view
from inscope_common.consumer import HandlerContext
from inscope_common.db import new_id, utcnow
from inscope_common.events import make_event
from inscope_common.idempotency import IdempotencyClaim
from inscope_common.latest_status import keep_newest
from inscope_common.outbox import add_event
from inscope_common.runtime import Runtime, runtime
from inscope_common.web import N_

SOURCE = "/inscope/assessment"


class ClientMismatch(ValueError):
    """The intake is known to belong to another client."""


class UnknownIntake(LookupError):
    """No intake with this id reached this service."""


class AssessmentRefused(Exception):
    """DEC-6: the client's screening does not allow this assessment (yet)."""

    def __init__(self, reason: Text | Words, status: Journey,
                 movements: list[str] | None = None) -> None:
        super().__init__(str(reason))
        self.reason = str(reason)  # the English (the API's message)
        self.text = reason  # the page says it in its language (staff_say)
        self.journey = status
        self.movements = movements or []


@dataclass(frozen=True)
class Waiting:
    """A client on the trainer's list: the intake and where the client stands."""

    intake_id: str
    client_id: str
    received_at: dt.datetime
    journey: Journey


def journey_of(known: KnownIntake | Row[Any], emergency_number: str) -> Journey:
    """Where the client stands, from the referral service's latest word (one computation
    for every service: inscope_clinical.journey). ``known``: the row, as an object or a
    Core row of its columns."""
    return journey(
        known.decision,
        answer=known.answer,
        emergency=known.emergency,
        emergency_number=emergency_number,
    )


def painful_parts(document: dict[str, Any], excluded: list[str]) -> list[str]:
    """The left-out (painful) movements an assessment document records anyway."""
    if not excluded:
        return []
    found: list[str] = []
    fms = document.get("fms")
    if fms:
        found += [t for t in (*FMS_TESTS, *CLEARING_TESTS) if t in excluded]
    if "overhead_squat" in excluded and (document.get("ohsa") or {}).get("compensations"):
        found.append("overhead_squat")
    for row in document.get("pain_during") or []:
        if row.get("test") in excluded and row["test"] not in found:
            found.append(row["test"])
    return found


def check_allowed(
    known: KnownIntake | Row[Any] | None, document: dict[str, Any] | None, emergency_number: str
) -> Journey:
    """Fail closed: unknown intake -> UnknownIntake; screening pending or deferring the
    assessment, or a document that records a left-out painful movement ->
    AssessmentRefused with the reason."""
    if known is None:
        raise UnknownIntake("no intake with this id")
    status = journey_of(known, emergency_number)
    if not status.assessment_allowed:
        texts = status.texts
        raise AssessmentRefused(
            texts.get("assessment_block_reason") or texts.get("headline")
            or Text(status.assessment_block_reason or status.headline), status)
    touched = painful_parts(document or {}, status.excluded_movements)
    if touched:
        names = Words(*(Text(MOVEMENT_WORDS[t]) if t in MOVEMENT_WORDS else t
                        for t in touched), sep=", ")
        if any(t in FMS_TESTS or t in CLEARING_TESTS for t in touched):
            # The FMS scores all seven tests or none (FMS-6) and is for people without
            # current pain (FMS-8): leaving one test out means leaving the FMS out.
            reason = Text(N_(
                "Painful movements must be left out (physical-therapist referral): "
                "%(movements)s. Record no FMS for this client: the FMS is for people "
                "without current pain and needs all seven tests; the other assessments "
                "can be recorded without the painful movements"), movements=names)
        else:
            reason = Text(N_("Painful movements must be left out (physical-therapist "
                             "referral): %(movements)s"), movements=names)
        raise AssessmentRefused(reason, status, touched)
    return status


def scored_event(row: Assessment, **causes: Any) -> dict[str, Any]:
    """``assessment.scored`` for a scored row (what the referral service decides from)."""
    return make_event(
        "assessment.scored.v1",
        source=SOURCE,
        subject=row.client_id,
        **causes,
        data={
            "intake_id": row.intake_id,
            "client_id": row.client_id,
            "assessment_id": row.id,
            "assessment": row.document,
            "scoring": row.scoring,
            "assessed_by": row.assessed_by,
        },
    )


def score(row: Assessment) -> None:
    row.scoring = score_assessment(row.document)
    row.status = "scored"
    row.scored_at = utcnow()


@functools.cache
def _insert(table: Any) -> Any:
    return insert(table)


@functools.cache
def _known_intake() -> Any:
    table = KnownIntake.__table__
    return select(table).where(table.c.intake_id == bindparam("intake_id"))


def record_assessment(
    rt: Runtime,
    intake_id: str,
    client_id: str,
    document: dict[str, Any],
    actor: Actor,
    claim: IdempotencyClaim | None = None,
) -> Assessment:
    """Store the assessment, score it, store its audit row, stage ``assessment.scored``
    for the referral service and store the idempotency key's response (when the request
    sent a key), all in one transaction: either the assessment is recorded, scored and
    its event in the outbox, or nothing is."""
    with rt.unit_of_work() as uow:
        session = uow.session
        # The gate's row, read by a Core SELECT built once: its columns are all the gate
        # reads (an ORM get was a tenth of the request's CPU, issue 13).
        known = session.execute(_known_intake(), {"intake_id": intake_id}).first()
        if known is not None and known.client_id != client_id:
            raise ClientMismatch(f"intake {intake_id} belongs to another client")
        check_allowed(known, document, rt.settings.emergency_number)
        now = utcnow()
        values = {
            "id": new_id(),
            "intake_id": intake_id,
            "client_id": client_id,
            "document": document,
            "status": "scored",
            "scoring": score_assessment(document),
            "recorded_at": now,
            "scored_at": now,
            "assessed_by": actor.account_id,
        }
        # A Core INSERT built once, every column given, and the row put in the session
        # as the persistent row it is (issue 13: the ORM's flush of one row was a tenth
        # of the request's CPU); the caller gets the same object as before.
        session.execute(_insert(Assessment.__table__), values)
        row = Assessment(**values)
        make_transient_to_detached(row)
        session.add(row)
        add_entry(session, AuditEntry, actor, "create", "assessment", row.id, client_id)
        uow.add_event(scored_event(row))
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


def awaiting_assessment(rt: Runtime) -> list[Waiting]:
    """Every client heard of and not yet assessed, with where each stands: those who may
    not be assessed stay on the list, with the reason."""
    with rt.session_factory() as session:
        assessed = select(Assessment.intake_id)
        rows = session.scalars(
            select(KnownIntake)
            .where(KnownIntake.intake_id.not_in(assessed))
            .order_by(KnownIntake.received_at)
        )
        number = rt.settings.emergency_number
        return [
            Waiting(k.intake_id, k.client_id, k.received_at, journey_of(k, number)) for k in rows
        ]


def reassessable(rt: Runtime, intake_id: str) -> Waiting | None:
    """A client already assessed whom a trainer may assess again: one in a program
    (client-journey.md: re-assessment scored -> program progressed or regressed, or a
    referral when pain appears). The same gate as the first assessment applies."""
    with rt.session_factory() as session:
        known = session.get(KnownIntake, intake_id)
        assessed = session.scalar(
            select(Assessment.id).where(Assessment.intake_id == intake_id).limit(1)
        )
    if known is None or assessed is None:
        return None
    status = journey_of(known, rt.settings.emergency_number)
    if status.status != "program_ready":
        return None
    return Waiting(known.intake_id, known.client_id, known.received_at, status)


def known_intake(rt: Runtime, intake_id: str) -> KnownIntake | None:
    with rt.session_factory() as session:
        return session.get(KnownIntake, intake_id)


def standing_since(rt: Runtime, assessment: Assessment) -> Journey | None:
    """Where the client stands by the referral service's word after this assessment was
    recorded; None until that word arrives (the status before it would say "ready for
    the movement assessment" on the page of the assessment just recorded)."""
    known = known_intake(rt, assessment.intake_id)
    if known is None or known.status_at is None or known.status_at < assessment.recorded_at:
        return None
    return journey_of(known, rt.settings.emergency_number)


# --- event handlers (run in the worker) -------------------------------------------


def on_intake_submitted(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """An ``intake.submitted`` routed here by an earlier version of the suite (or sent
    again from a dead letter): the intake is known, screening pending. The events are
    no longer routed here: the screening's ``referral.status_changed`` creates the row
    (:func:`on_status_changed`), one Celery task fewer per client (issue 13)."""
    data = event["data"]
    if ctx.session.get(KnownIntake, data["intake_id"]) is None:
        ctx.session.add(KnownIntake(intake_id=data["intake_id"], client_id=data["client_id"]))


def on_intake_corrected(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """A new version of the intake is screened again: until its decision arrives, the
    client is back to screening pending (the old decision no longer counts)."""
    data = event["data"]
    known = ctx.session.get(KnownIntake, data["intake_id"])
    if known is None:
        ctx.session.add(
            KnownIntake(
                intake_id=data["intake_id"],
                client_id=data["client_id"],
                intake_version=data["version"],
            )
        )
        return
    if data["version"] > (known.intake_version or 1):
        known.intake_version = data["version"]
        known.decision_id = known.decision = known.answer = known.status_at = None
        known.emergency = None


def on_status_changed(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """The referral service's latest word on the client: keep the newest. The first
    word (the screening's) is how this service learns of the intake. One statement
    (inscope_common.latest_status, issue 13). A POST held for this intake's screening
    wakes once it has committed (inscope_assessment.screening_wait)."""
    keep_newest(ctx.session, KnownIntake, event["data"])
    note_stored(ctx.session, runtime().relay.ledger.client, event["data"]["intake_id"])


def on_assessment_recorded(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """An ``assessment.recorded`` staged by an earlier version of this service (which
    scored in the worker): score it and publish ``assessment.scored``, unless it is
    already scored. The web process now scores in the request and stages no such event."""
    data = event["data"]
    row = ctx.session.get(Assessment, data["assessment_id"])
    if row is None:
        raise LookupError(f"assessment {data['assessment_id']} not found")
    if row.status == "scored":
        return
    score(row)
    add_event(
        ctx.session,
        platform,
        scored_event(row, correlation_id=event["correlationid"], causation_id=event["id"]),
    )


HANDLERS = {
    "intake.submitted.v1": on_intake_submitted,
    "intake.corrected.v1": on_intake_corrected,
    "referral.status_changed.v1": on_status_changed,
    "assessment.recorded.v1": on_assessment_recorded,
}
