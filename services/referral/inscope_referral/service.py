"""Referral use cases: screen each intake, decide after each scored assessment, and
publish ``referral.decided`` when there is something to tell."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session

from inscope_clinical import decide, trends
from inscope_common.consumer import HandlerContext
from inscope_common.db import new_id, read_only, utcnow
from inscope_common.events import make_event
from inscope_common.outbox import add_event
from inscope_common.runtime import Runtime
from inscope_referral import board_index, journeys, lifecycle, referrals, rows
from inscope_referral.assessment_trend import keep_record, trend_points
from inscope_referral.config import ReferralSettings
from inscope_referral.identity.accounts import signer_profile
from inscope_referral.models import ClientCase, Decision, Referral, platform
from inscope_referral.status import decision_signature

SOURCE = "/inscope/referral"


class CaseNotYetKnown(RuntimeError):
    """An assessment arrived before its intake's event: retried with backoff."""


def on_intake_submitted(ctx: HandlerContext, event: dict[str, Any]) -> None:
    data = event["data"]
    # Nearly every intake.submitted is a client new to this service: a Core probe of
    # the key says so in a fifth of the ORM's look-up (issue 13); a known client's case
    # is then read as an ORM object, as before.
    known = ctx.session.connection().execute(_CASE_KNOWN, {"client_id": data["client_id"]})
    case = ctx.session.get(ClientCase, data["client_id"]) if known.first() else None
    newer = case is not None and (case.intake_version or 1) > data.get("version", 1)
    if newer and case.intake_id == data["intake_id"]:
        return  # a late copy of a version already corrected
    _screen(ctx, event, case)


def on_intake_corrected(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """A corrected intake: supersede what the older version decided and opened, then
    screen the client again on the new version."""
    data = event["data"]
    case = ctx.session.get(ClientCase, data["client_id"])
    if case is not None and (case.intake_version or 1) >= data["version"]:
        return  # this version (or a newer one) is already screened
    told = case is not None and _last_published(ctx.session, case.client_id) is not None
    if case is not None:
        supersede_version(ctx.session, case, data["version"])
    # Whoever was told something on the older version hears the corrected decision,
    # even "in scope so far" (it replaces an update that no longer stands).
    _screen(ctx, event, case, corrected=told)


def supersede_version(session: Session, case: ClientCase, version: int) -> None:
    """Mark the decisions of older versions superseded and close their open referrals
    (their letters no longer stand; a new decision opens new ones)."""
    now = utcnow()
    why = f"superseded: intake corrected (version {version})"
    for row in session.scalars(
        select(Decision).where(
            Decision.client_id == case.client_id, Decision.superseded_at.is_(None)
        )
    ):
        row.superseded_at = now
        row.superseded_reason = why
    for row in session.scalars(
        select(Referral)
        .where(Referral.client_id == case.client_id, Referral.status.in_(lifecycle.OPEN))
        .with_for_update()
    ):
        referrals.take_step(row, lifecycle.SUPERSEDE, lifecycle.REFERRAL_ENGINE, now)
        row.closed_reason = why


def _screen(
    ctx: HandlerContext, event: dict[str, Any], case: ClientCase | None, *, corrected: bool = False
) -> None:
    data = event["data"]
    # A client new to this service has no referrals yet: none to read back (issue 13).
    known: list[Referral] | None = None
    if case is None:
        # Written with its decision and board row by one Core INSERT (rows.insert).
        case = ClientCase(client_id=data["client_id"])
        known = []
    case.intake_id = data["intake_id"]
    case.intake_version = data.get("version", 1)
    case.version_at = utcnow()
    case.screening = data["screening"]
    case.age_years = data["age_years"]
    case.consent = data["consent"]
    case.has_physician_contact = data["has_physician_contact"]
    case.responsible_id = data.get("responsible_id")
    case.assessment_id = case.assessment = case.scoring = None
    result = decide(case.screening, age_years=case.age_years)
    # Before the assessment only an actionable outcome is news; "in scope so far" is not,
    # unless it corrects what the client was told on an older version.
    publish = result["outcome"] != "in_scope" or corrected
    with ctx.session.no_autoflush:  # a new case goes in once, with its board row (_record)
        _record(
            ctx.session,
            ctx.settings,
            case,
            result,
            "screening",
            event,
            publish=publish,
            corrected=corrected,
            client_referrals=known,
        )


def on_assessment_scored(ctx: HandlerContext, event: dict[str, Any]) -> None:
    data = event["data"]
    case = ctx.session.get(ClientCase, data["client_id"])
    if case is None or case.intake_id != data["intake_id"]:
        raise CaseNotYetKnown(f"intake {data['intake_id']} not screened yet")
    # Nothing is written before the board row is known (_record): the case's assessment
    # and its board columns go in one UPDATE, the rows in one flush (issue 13).
    with ctx.session.no_autoflush:
        _assessed(ctx, event, case)


def _assessed(ctx: HandlerContext, event: dict[str, Any], case: ClientCase) -> None:
    data = event["data"]
    case.assessment_id = data["assessment_id"]
    case.assessment = data["assessment"]
    case.scoring = data["scoring"]
    created: list[Any] = []  # rows this event creates, written with Core (rows.insert)
    step = keep_record(ctx.session, case, created=created)
    result = decide(
        case.screening, age_years=case.age_years, assessment=case.assessment, scoring=case.scoring
    )
    # CEC-2: a re-assessment progresses (or regresses) the acute variables.
    result["program"] = trends.progress_program(result.get("program"), step)
    # The client's referrals, read once (issue 13: it was three queries) and locked, as
    # open_for_decision locks the open ones it may take up.
    mine = ctx.session.scalars(
        select(Referral).where(Referral.client_id == case.client_id).with_for_update()
    ).all()
    # DEC-7: a clinician who already cleared the client: the program within the answer.
    answered = [row for row in mine if row.answered_at is not None]
    unbuilt = {row.id for row in answered if row.program is None}
    if answered:
        # The program's step reads the new assessment record back.
        rows.insert(ctx.session, created)
        created.clear()
        ctx.session.flush()
    for row in answered:
        referrals.rebuild_program(ctx.session, row)
    previous = _last_published(ctx.session, case.client_id)
    # An in-scope screening decision is published only after a correction, and carries
    # no program: the program after the assessment is news even if the rules match.
    no_program_yet = previous is not None and (previous["stage"], previous["outcome"]) == (
        "screening",
        "in_scope",
    )
    unchanged = (
        previous is not None
        and not no_program_yet
        and decision_signature(previous) == decision_signature(result)
    )
    # DEC-7: the clinician already answered this very question (before the assessment):
    # no new referral, no second letter; the journey reads that answer for this decision.
    carried = referrals.answer_covering(ctx.session, case, result, answered)
    _record(
        ctx.session,
        ctx.settings,
        case,
        result,
        "assessment",
        event,
        publish=not (unchanged or carried),
        client_referrals=mine,
        created=created,
    )
    if carried is not None and carried.id in unbuilt and carried.program:
        # The program exists only now: the client and trainer get it as a fresh answer
        # gives it (email and PDF). Once: a re-assessment finds the program built.
        add_event(ctx.session, platform, referrals.carried_answer_event(carried, utcnow()))


def _record(
    session: Session,
    settings: ReferralSettings,
    case: ClientCase,
    result: dict[str, Any],
    stage: str,
    cause: dict[str, Any],
    *,
    publish: bool,
    corrected: bool = False,
    client_referrals: list[Referral] | None = None,
    created: list[Any] | None = None,
) -> Decision:
    """Write the decision (and its referral, when published) and stage the events.
    ``client_referrals``: every referral of the client, already read (and locked) in
    this transaction, or None to have them read. With them, the caller holds autoflush
    off: the case, decision and referral rows are written once their board row is
    stored (journeys.stage_status_changed), so a case is inserted or updated once per
    event, not again for its board columns; the new rows (a new case, the decision, a
    new referral, and ``created``: the assessment's record) with prebuilt Core INSERTs
    (``rows.insert``), what changed in rows read by the ORM's flush (issue 13)."""
    # Who signs is known before the row is written (one UPDATE fewer per decision).
    signer = _signer(session, settings, stage, cause, case) if publish else None
    referral = None
    in_hand = client_referrals is not None
    row = Decision(
        # Set here, not at the flush: the journey's inputs read them before it.
        id=new_id(),
        decided_at=utcnow(),
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
        intake_version=case.intake_version or 1,
        signed_by=signer,
    )
    new_rows = list(created or ())
    if in_hand:
        if inspect(case).transient:  # a client new to the service (_screen)
            new_rows.append(case)
        new_rows.append(row)
    else:
        session.add(row)
        session.flush()
    if publish:
        referral = referrals.open_for_decision(
            session, case, row, result, cause["correlationid"], client_referrals
        )
        ref = referrals.referral_ref(settings, referral) if referral else None
        event = _decided_event(case, row, cause, ref, signer, corrected=corrected)
        add_event(session, platform, event)
    if not in_hand:
        session.flush()
    # The journey's inputs are in hand when the caller read all the client's referrals:
    # this decision is the latest, none has emergency actions yet, and the referrals are
    # those read plus the one opened (issue 13: three queries fewer per decision).
    inputs = None
    if client_referrals is not None:
        mine = list(client_referrals)
        if referral is not None and referral not in mine:
            mine.append(referral)  # opened by this decision (open_for_decision)
            new_rows.append(referral)
        inputs = board_index.Inputs.of(case, row, mine)
    journeys.stage_status_changed(
        session,
        case.client_id,
        settings.emergency_number,
        correlation_id=cause["correlationid"],
        causation_id=cause["id"],
        inputs=inputs,
        new_rows=new_rows,
    )
    return row


def _signer(
    session: Session,
    settings: ReferralSettings,
    stage: str,
    cause: dict[str, Any],
    case: ClientCase,
) -> dict[str, Any] | None:
    """Who signs this decision's letter and client email (issue 15 item 5): after an
    assessment, the trainer who assessed (their staff profile); before one (screening
    only), the staff member responsible for the client or the facility's lead, as
    FACILITY_SCREENING_SIGNER says (the other when the one is unknown). None: the
    deployment's TRAINER_* settings."""
    if stage == "assessment":
        assessed_by = (cause.get("data") or {}).get("assessed_by")
        profile = signer_profile(session, account_id=assessed_by) if assessed_by else None
        if profile:
            return {**profile, "basis": "assessed"}
    order = (
        (_responsible, _lead)
        if settings.screening_signer == "responsible"
        else (_lead, _responsible)
    )
    for find in order:
        found = find(session, settings, case)
        if found:
            return found
    return None


def _responsible(
    session: Session, settings: ReferralSettings, case: ClientCase
) -> dict[str, Any] | None:
    profile = (
        signer_profile(session, account_id=case.responsible_id) if (case.responsible_id) else None
    )
    return {**profile, "basis": "responsible"} if profile else None


def _lead(session: Session, settings: ReferralSettings, case: ClientCase) -> dict[str, Any] | None:
    if settings.lead_email:
        profile = signer_profile(session, email=settings.lead_email)
        if profile:
            return {**profile, "basis": "lead"}
    if settings.lead_name:
        return {
            "account_id": None,
            "name": settings.lead_name,
            "credential": settings.lead_credential,
            "registration": settings.lead_registration,
            "basis": "lead",
        }
    return None


def _decided_event(
    case: ClientCase,
    row: Decision,
    cause: dict[str, Any],
    ref: dict[str, Any] | None,
    signer: dict[str, Any] | None = None,
    *,
    corrected: bool = False,
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
            "signed_by": signer,
            "intake_version": case.intake_version or 1,
            "corrected": corrected,
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
        "intake_version": row.intake_version,
        "superseded_at": row.superseded_at,
        "superseded_reason": row.superseded_reason,
    }


_DECISIONS = Decision.__table__
_CASE_KNOWN = select(ClientCase.__table__.c.client_id).where(
    ClientCase.__table__.c.client_id == bindparam("client_id")
)
# The client's last published decision, as far as a new one is compared with it
# (decision_signature, and its stage): a Core statement built once, which leaves the
# program and the rest of the row unread (issue 13).
_LAST_PUBLISHED = (
    select(
        _DECISIONS.c.stage,
        _DECISIONS.c.outcome,
        _DECISIONS.c.urgency,
        _DECISIONS.c.target,
        _DECISIONS.c.program_state,
        _DECISIONS.c.reasons,
    )
    .where(
        _DECISIONS.c.client_id == bindparam("client_id"),
        _DECISIONS.c.published.is_(True),
        _DECISIONS.c.superseded_at.is_(None),
    )
    .order_by(_DECISIONS.c.decided_at.desc())
    .limit(1)
)


def _last_published(session: Session, client_id: str) -> dict[str, Any] | None:
    """The client's last published decision that still stands: its stage and what
    ``decision_signature`` compares."""
    row = session.connection().execute(_LAST_PUBLISHED, {"client_id": client_id}).first()
    return dict(row._mapping) if row else None


def status_of(rt: Runtime, client_id: str, *, with_inputs: bool = False) -> dict[str, Any] | None:
    """Where the client stands (inscope_clinical.journey) with the latest decision and
    every referral. Polled while a screening is pending (issue 13), so it reads without
    the write lock (``read_only``) and takes the latest decision the board row names
    (kept in each decision's transaction): the case with that decision, the referrals
    and the trend, three queries, as plain rows (``board_index.read_plain``).
    ``with_inputs``: the journey's inputs too, under ``journey_inputs`` (the client
    page), read as ORM objects (``board_index.read_one``)."""
    with read_only(rt.session_factory)() as session:
        # The API's answer reads plain rows; the client page keeps the ORM's objects.
        read = board_index.read_one if with_inputs else board_index.read_plain
        inputs = read(session, client_id)
        if inputs is None:
            return None
        case = inputs.case
        decision = _as_dict(inputs.decision) if inputs.decision else None
        journey = inputs.journey(rt.settings.emergency_number)
        # The program in effect: the decision's, or the one built within the current
        # referral's clearing answer (DEC-7) while the journey says program_ready.
        program = (decision or {}).get("program")
        if program is None and journey.status == "program_ready" and inputs.referral:
            program = inputs.referral.program
        rows = sorted(inputs.referrals, key=lambda r: r.needed_at)
        status = {
            "client_id": client_id,
            "trend": trends.trend_rows(trend_points(session, client_id)),
            "intake_id": case.intake_id,
            "intake_version": case.intake_version or 1,
            "assessment_id": case.assessment_id,
            "status": journey.status,
            "emergency": journey.status == "emergency",
            # REF-3: staff act now; email is documentation only.
            "emergency_instruction": journey.emergency_instruction,
            "journey": journey.as_dict(),
            "decision": decision,
            "program": program,
            "referrals": [referrals.as_dict(r) for r in rows],
        }
        if with_inputs:
            status["journey_inputs"] = inputs
        return status


def decisions_of(rt: Runtime, client_id: str) -> list[dict[str, Any]]:
    with rt.session_factory() as session:
        rows = session.scalars(
            select(Decision).where(Decision.client_id == client_id).order_by(Decision.decided_at)
        )
        return [_as_dict(r) for r in rows]


HANDLERS = {
    "intake.submitted.v1": on_intake_submitted,
    "intake.corrected.v1": on_intake_corrected,
    "assessment.scored.v1": on_assessment_scored,
    "notification.sent.v1": referrals.on_notification_sent,
}
