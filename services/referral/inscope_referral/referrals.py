"""Referral use cases: open one when a decision needs a clinician, follow what became of
the letter, take the physician's answer, and list or close referrals for staff.

Every status change goes through :mod:`inscope_referral.lifecycle`; the row is read
with ``FOR UPDATE`` (PostgreSQL) or inside SQLite's ``BEGIN IMMEDIATE``, so two
workers never both move the same referral.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_clinical import program_after_answer, trends
from inscope_clinical.free_text import compiled_lexicon
from inscope_clinical.journey import Text
from inscope_clinical.letters.request import build_request, equivalence_key
from inscope_clinical.reasons import CLINICIAN_OUTCOMES
from inscope_common.audit import Actor, add_entry
from inscope_common.consumer import HandlerContext, PermanentError
from inscope_common.db import new_id, utcnow
from inscope_common.events import make_event
from inscope_common.runtime import Runtime
from inscope_common.web import N_
from inscope_referral import board_index, journeys, lifecycle
from inscope_referral.assessment_trend import progression_step
from inscope_referral.config import ReferralSettings
from inscope_referral.models import AuditEntry, ClientCase, Decision, Referral
from inscope_referral.tokens import (
    CARRIED,
    EMAILED,
    AnswerClaim,
    AnswerTokens,
    TokenExpired,
    TokenInvalid,
    is_short,
    new_nonce,
)

SOURCE = "/inscope/referral"
# DEC-1: every outcome that names a clinician opens a tracked referral; the engine
# guarantees that no other outcome names one (inscope_clinical.reasons.check_reason).
REFERRING_OUTCOMES = CLINICIAN_OUTCOMES


def tokens_for(settings: ReferralSettings) -> AnswerTokens:
    return AnswerTokens(settings.token_secret, settings.token_max_age_s)


def answer_url(settings: ReferralSettings, referral: Referral, channel: str = EMAILED) -> str:
    """The short answer link (about 45 characters after the host); a referral whose id is
    not a UUID gets the long signed form."""
    tokens = tokens_for(settings)
    try:
        token = tokens.issue_short(referral.id, referral.token_nonce, channel=channel)
    except ValueError:
        token = tokens.issue(referral.id, referral.token_nonce, channel=channel)
    return f"{settings.public_url}/answer/{token}"


def take_step(referral: Referral, step: str, actor: str, at: datetime) -> lifecycle.Move:
    """Apply one lifecycle step to the row, filling its timestamp when still empty."""
    move = lifecycle.apply(referral.status, step, actor)
    referral.status = move.status
    if move.stamp and getattr(referral, move.stamp) is None:
        setattr(referral, move.stamp, at)
    return move


# --- opening -------------------------------------------------------------------------


def open_for_decision(
    session: Session,
    case: ClientCase,
    decision: Decision,
    result: dict[str, Any],
    correlation_id: str,
    client_referrals: list[Referral] | None = None,
) -> Referral | None:
    """The referral a decision calls for: an equivalent open one if there is one,
    otherwise a new one (superseding an open one to the same clinician).
    ``client_referrals``: every referral of the client, already read (and locked) by the
    caller in this transaction; otherwise the open ones are read here."""
    if decision.outcome not in REFERRING_OUTCOMES:
        return None
    desired = ((case.screening or {}).get("acsm") or {}).get("desired_intensity")
    request = build_request(result, desired)
    key = equivalence_key(decision.target, decision.urgency, request)
    if client_referrals is None:
        still_open = session.scalars(
            select(Referral)
            .where(Referral.client_id == case.client_id, Referral.status.in_(lifecycle.OPEN))
            .order_by(Referral.needed_at)
            .with_for_update()
        ).all()
    else:
        still_open = sorted(
            (r for r in client_referrals if r.status in lifecycle.OPEN), key=lambda r: r.needed_at
        )
    for row in still_open:
        if equivalence_key(row.target, row.urgency, row.request) == key:
            if row.decision_id != decision.id:
                # One current letter per clinician: the same referral (and link) now
                # carries the newer decision's letter, as a new version.
                row.decision_id = decision.id
                row.request = request
                row.letter_version = (row.letter_version or 1) + 1
                row.letter_updated_at = utcnow()
            return row
    referral = Referral(
        id=new_id(),
        client_id=case.client_id,
        intake_id=case.intake_id,
        decision_id=decision.id,
        correlation_id=correlation_id,
        outcome=decision.outcome,
        target=decision.target,
        urgency=decision.urgency,
        request=request,
        status=lifecycle.NEEDED,
        token_nonce=new_nonce(),
        reminders_sent=0,
        needed_at=utcnow(),
    )
    for row in still_open:
        if row.target == decision.target:  # one open question per clinician at a time
            take_step(row, lifecycle.SUPERSEDE, lifecycle.REFERRAL_ENGINE, referral.needed_at)
            row.closed_reason = f"superseded by referral {referral.id} (the decision changed)"
    if client_referrals is None:
        session.add(referral)
        session.flush()
    # else the caller writes it with the decision and the board row (service._record,
    # rows.insert): a new referral is the one not among ``client_referrals``
    return referral


URGENCY_ORDER = ("routine", "urgent", "emergency")


def answer_covering(
    session: Session,
    case: ClientCase,
    result: dict[str, Any],
    answered: list[Referral] | None = None,
) -> Referral | None:
    """DEC-7: a clinician's clearing answer, given before this decision, that already
    answers what this decision would ask (the same clinician, every rule behind it was
    in the question they answered, no higher urgency, the same intake version). A
    physician who cleared the client before the assessment is not asked the same
    question again after it: the answer carries over and the program is built within
    it. A new finding for them (a rule they were not asked about) opens a new referral.
    ``answered``: the client's answered referrals, when the caller has read them."""
    if result.get("outcome") not in REFERRING_OUTCOMES or result.get("urgency") == "emergency":
        return None
    desired = ((case.screening or {}).get("acsm") or {}).get("desired_intensity")
    asked = build_request(result, desired)
    since = case.version_at
    if answered is None:  # the caller has not read the client's answered referrals
        answered = list(
            session.scalars(
                select(Referral).where(
                    Referral.client_id == case.client_id, Referral.answered_at.is_not(None)
                )
            )
        )
    rows = sorted(
        (r for r in answered if r.target == result.get("target") and r.answered_at),
        key=lambda r: r.answered_at,
        reverse=True,
    )
    for row in rows:
        answer = row.answer or {}
        if answer.get("answer") not in CLEARING_ANSWERS or not answer.get("verified", True):
            return None  # the latest answer to this clinician did not clear the client
        if since is not None and row.needed_at < since:
            return None  # answered about an older version of the intake
        covered = set(asked["rules"]) <= set((row.request or {}).get("rules") or [])
        rank = URGENCY_ORDER.index
        same_or_lower = (result.get("urgency") in URGENCY_ORDER and row.urgency in URGENCY_ORDER
                         and rank(result["urgency"]) <= rank(row.urgency))
        return row if covered and same_or_lower else None
    return None


def referral_ref(settings: ReferralSettings, referral: Referral) -> dict[str, Any]:
    """What ``referral.decided`` carries about the referral (ReferralRefSchema)."""
    return {
        "referral_id": referral.id,
        "answer_url": answer_url(settings, referral),
        # The link printed on the letter the client carries: answers through it wait for
        # staff to verify them with the clinician.
        "carried_answer_url": answer_url(settings, referral, CARRIED),
        "status": referral.status,
        "target": referral.target,
        "urgency": referral.urgency,
        "request": referral.request,
        "letter_version": referral.letter_version or 1,
    }


# --- what became of the letter (notification.sent) -----------------------------------


def on_notification_sent(ctx: HandlerContext, event: dict[str, Any]) -> None:
    """Physician emails move the referral: accepted by the SMTP server -> delivered;
    blocked or failed -> it stays needed, with the reason (REF-4)."""
    if _moves_no_referral(event):
        return
    data = event["data"]
    # The client's board inputs, their referrals locked: the one moved is among them, and
    # the board row is stored from them (issue 13: the commit's hook read them again
    # after a look-up of the referral alone). A referral not among the client's is
    # looked up alone, as before.
    inputs = board_index.read_for_step(ctx.session, data["client_id"])
    referral = next(
        (r for r in inputs.referrals if r.id == data["referral_id"]) if inputs else (), None
    )
    if referral is None:
        inputs = None
        referral = ctx.session.get(Referral, data["referral_id"], with_for_update=True)
    if referral is None:
        raise PermanentError(f"notification about unknown referral {data['referral_id']}")
    at = datetime.fromisoformat(event["time"])
    if data["status"] == "sent":
        # Notify reports once, after the SMTP server accepted the message: the letter
        # left (sent) and was accepted (delivered) at that moment.
        take_step(referral, lifecycle.LETTER_QUEUED, lifecycle.NOTIFY, at)
        take_step(referral, lifecycle.LETTER_ACCEPTED, lifecycle.NOTIFY, at)
        referral.status_reason = None
    else:
        take_step(referral, lifecycle.LETTER_NOT_SENT, lifecycle.NOTIFY, at)
        if referral.status == lifecycle.NEEDED:
            detail = data.get("detail") or "no detail given"
            referral.status_reason = f"{data['kind']} {data['status']}: {detail}"
    if inputs is not None:
        # A letter's steps close no referral: the current one is the one read.
        board_index.stored_plain(ctx.session, inputs, ctx.settings.emergency_number)


def _moves_no_referral(event: dict[str, Any]) -> bool:
    """Client and trainer emails do not move a referral: the consumer settles their
    notification.sent without a transaction (inscope_common.consumer.IGNORES)."""
    data = event["data"]
    return data["recipient_role"] != "physician" or not data.get("referral_id")


on_notification_sent.ignores = _moves_no_referral  # type: ignore[attr-defined]


# --- the physician's answer page ------------------------------------------------------


class TokenProblem(Exception):
    """Why an answer link cannot be used; ``kind`` picks the page, ``status`` the code."""

    def __init__(self, kind: str, status: int) -> None:
        super().__init__(kind)
        self.kind = kind  # invalid | expired | withdrawn | answered | closed
        self.status = status


def referral_for_token(rt: Runtime, token: str) -> Referral:
    """The open referral a token names, or a TokenProblem."""
    claim = _read_token(rt, token)
    with rt.session_factory() as session:
        referral = session.get(Referral, claim.referral_id)
    _check_claim(referral, claim)
    return referral


def claim_of(rt: Runtime, token: str) -> AnswerClaim:
    """What a link (short or long) names, checked; raises TokenProblem."""
    return _read_token(rt, token)


def _read_token(rt: Runtime, token: str) -> AnswerClaim:
    tokens = tokens_for(rt.settings)
    if is_short(token):
        try:
            link = tokens.open_short(token)
        except TokenInvalid as exc:
            raise TokenProblem("invalid", 400) from exc
        with rt.session_factory() as session:
            nonce = session.scalar(
                select(Referral.token_nonce).where(Referral.id == link.referral_id)
            )
        if nonce is None:
            raise TokenProblem("withdrawn", 403)
        try:
            return tokens.check_short(link, nonce)
        except TokenExpired as exc:
            raise TokenProblem("expired", 410) from exc
        except TokenInvalid as exc:  # tampered, or the nonce was rotated
            raise TokenProblem("invalid", 400) from exc
    try:
        return tokens.read(token)
    except TokenExpired as exc:
        raise TokenProblem("expired", 410) from exc
    except TokenInvalid as exc:
        raise TokenProblem("invalid", 400) from exc


def current_letter_url(rt: Runtime, token: str) -> str | None:
    """For a link whose referral was superseded, the link (same channel) to the latest
    referral to the same clinician for the same client, if one is still open."""
    claim = _read_token(rt, token)
    with rt.session_factory() as session:
        referral = session.get(Referral, claim.referral_id)
        if referral is None or not hmac.compare_digest(referral.token_nonce, claim.nonce):
            return None
        if referral.status != lifecycle.CLOSED or not (referral.closed_reason or "").startswith(
            "superseded"
        ):
            return None
        latest = session.scalars(
            select(Referral)
            .where(
                Referral.client_id == referral.client_id,
                Referral.target == referral.target,
                Referral.id != referral.id,
                Referral.needed_at >= referral.needed_at,
                Referral.status.in_(lifecycle.OPEN),
            )
            .order_by(Referral.needed_at.desc())
            .limit(1)
        ).first()
        return answer_url(rt.settings, latest, claim.channel) if latest else None


def _check_claim(referral: Referral | None, claim: AnswerClaim) -> None:
    if referral is None or not hmac.compare_digest(referral.token_nonce, claim.nonce):
        # Signed by us but not (or no longer) this referral's: revoked or stale.
        raise TokenProblem("withdrawn", 403)
    if referral.status == lifecycle.ANSWERED:
        raise TokenProblem("answered", 410)
    if referral.status == lifecycle.CLOSED:
        raise TokenProblem("closed", 410)


def letter_decision(rt: Runtime, referral: Referral) -> dict[str, Any]:
    """The decision behind a referral's current letter, in the shape the letter reads
    (the ``referral.decided`` event's), so the answer page words it as notify does."""
    with rt.session_factory() as session:
        decision = session.get(Decision, referral.decision_id)
        return {
            "decision_id": decision.id,
            "stage": decision.stage,
            "outcome": decision.outcome,
            "urgency": decision.urgency,
            "target": decision.target,
            "program_state": decision.program_state,
            "reasons": decision.reasons,
            "intensity_cap": decision.intensity_cap,
            "program": decision.program,
            "decided_at": decision.decided_at,
            "signed_by": decision.signed_by,
        }


def mark_viewed(rt: Runtime, token: str) -> Referral:
    """Opening the page marks the referral viewed (the token is checked again inside
    the transaction: the referral may have been answered meanwhile)."""
    claim = _read_token(rt, token)
    with rt.session_factory() as session, session.begin():
        referral = session.get(Referral, claim.referral_id, with_for_update=True)
        _check_claim(referral, claim)
        take_step(referral, lifecycle.PAGE_OPENED, lifecycle.PHYSICIAN, utcnow())
    return referral


def link_channel(rt: Runtime, token: str) -> str | None:
    try:
        return _read_token(rt, token).channel
    except TokenProblem:
        return None


def record_answer(
    rt: Runtime, token: str, answer: dict[str, Any], client_address: str | None = None
) -> Referral:
    """Store the clinician's structured answer with how it came (the link's channel),
    when and from which address. Through the clinician's own emailed link it applies at
    once and ``referral.answered`` is published; through the letter the client carried
    it is ``unverified`` (journey: answer_to_verify) and changes nothing until staff
    record its verification with the clinician (:func:`verify_answer`)."""
    claim = _read_token(rt, token)
    compiled_lexicon()  # before the write lock: rebuild_program reads free text
    with rt.unit_of_work() as uow:
        referral = uow.session.get(Referral, claim.referral_id, with_for_update=True)
        _check_claim(referral, claim)
        now = utcnow()
        take_step(referral, lifecycle.ANSWER_GIVEN, lifecycle.PHYSICIAN, now)
        answer = {
            **answer,
            "channel": claim.channel,
            "answered_at": now.isoformat(),
            "client_address": client_address,
            "verified": claim.channel == EMAILED,
        }
        referral.answer = answer
        rebuild_program(uow.session, referral)
        if answer["verified"]:
            uow.add_event(_answered_event(referral, answer, now))
        uow.session.flush()
        # The clinician's answer moves the client (DEC-7): tell intake and assessment.
        journeys.stage_status_changed(
            uow.session,
            referral.client_id,
            rt.settings.emergency_number,
            correlation_id=referral.correlation_id,
            at=now,
        )
    return referral


VERIFICATION_METHODS = {
    "phone": N_("By phone"),
    "in_person": N_("In person"),
    "fax": N_("By fax"),
    "secure_message": N_("By secure message or email from the clinician"),
}


# The two reasons this service writes itself when it closes a referral; anything else
# in ``closed_reason`` was typed by staff and is shown as written.
_SUPERSEDED_BY = re.compile(r"superseded by referral \S+ \(the decision changed\)\Z")
_CORRECTED = re.compile(r"superseded: intake corrected \(version (\d+)\)\Z")


def closed_reason_text(reason: str | None) -> Text | str | None:
    """Why a referral closed, as the staff page says it: the service's own sentences
    through the staff catalog (the newer referral is listed beside it, so its id is not
    repeated), what staff typed as written."""
    if not reason:
        return reason
    if _SUPERSEDED_BY.match(reason):
        return Text(N_("Superseded by a newer referral: the decision changed"))
    corrected = _CORRECTED.match(reason)
    if corrected:
        return Text(N_("Superseded: the intake was corrected (version %(version)s)"),
                    version=corrected.group(1))
    return reason


class VerificationRefused(ValueError):
    """Why a verification cannot be recorded; ``status`` is the HTTP code."""

    def __init__(self, message: Text, status: int) -> None:
        super().__init__(str(message))  # the English (the API's message)
        self.text = message  # the page says it in its language (staff_say)
        self.status = status


def verify_answer(
    rt: Runtime,
    referral_id: str,
    actor: Actor,
    *,
    verified_with: str,
    method: str,
    verified_at: datetime | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Staff record who confirmed an unverified answer with the clinician, how and when
    (audited). Only then does the answer apply: the program is built within it, the
    client's status moves and ``referral.answered`` is published (DEC-7)."""
    verified_with = (verified_with or "").strip()
    if not verified_with or len(verified_with) > 200 or any(c in verified_with for c in "\r\n"):
        raise VerificationRefused(
            Text(N_("Say who confirmed the answer: the clinician's name, one line.")), 422
        )
    if method not in VERIFICATION_METHODS:
        raise VerificationRefused(Text(N_("Choose how: one of %(methods)s."),
                                       methods=", ".join(VERIFICATION_METHODS)), 422)
    now = utcnow()
    at = verified_at or now
    if at.tzinfo is None:
        raise VerificationRefused(Text(N_("Give the time with its time zone.")), 422)
    if at > now:
        raise VerificationRefused(Text(N_("The verification cannot be in the future.")), 422)
    compiled_lexicon()  # before the write lock: rebuild_program reads free text
    with rt.unit_of_work() as uow:
        referral = uow.session.get(Referral, referral_id, with_for_update=True)
        if referral is None:
            raise ReferralNotFound(referral_id)
        answer = referral.answer or {}
        if referral.status != lifecycle.ANSWERED or not answer:
            raise VerificationRefused(Text(N_("This referral has no answer to verify.")), 409)
        if answer.get("verified", True):
            raise VerificationRefused(Text(N_("This answer needs no verification, or has one.")),
                                      409)
        answer = {
            **answer,
            "verified": True,
            "verification": {
                "verified_with": verified_with,
                "method": method,
                "verified_at": at.isoformat(),
                "note": (note or "").strip()[:2000] or None,
                "recorded_by": actor.name,
                "recorded_by_account": actor.account_id,
                "recorded_at": now.isoformat(),
            },
        }
        referral.answer = answer
        rebuild_program(uow.session, referral)
        uow.add_event(_answered_event(referral, answer, now))
        add_entry(uow.session, AuditEntry, actor, "update", "answer_verification", referral.id,
                  referral.client_id)
        uow.session.flush()
        journeys.stage_status_changed(
            uow.session,
            referral.client_id,
            rt.settings.emergency_number,
            correlation_id=referral.correlation_id,
            at=now,
        )
        return as_dict(referral)


CLEARING_ANSWERS = ("cleared", "cleared_with_restrictions")


def rebuild_program(session: Session, referral: Referral) -> None:
    """DEC-7: a clinician's clearing answer for an assessed client builds the program
    within the answer's restrictions (kept on the referral); any other answer, or one
    not yet verified, carries none. Called when the answer arrives and again when an
    assessment is scored after it."""
    answer = referral.answer or {}
    if answer.get("answer") not in CLEARING_ANSWERS or not answer.get("verified", True):
        referral.program = None
        return
    case = session.get(ClientCase, referral.client_id)
    if case is None or case.screening is None or not case.assessment or not case.scoring:
        return  # not assessed yet: awaiting_assessment; built when the scoring arrives
    program = program_after_answer(
        case.screening,
        age_years=case.age_years,
        assessment=case.assessment,
        scoring=case.scoring,
        restrictions=answer.get("restrictions"),
    )
    referral.program = trends.progress_program(program, progression_step(session, case.client_id))


def carried_answer_event(referral: Referral, at: datetime) -> dict[str, Any]:
    """``referral.answered`` again for an answer given before the assessment, now that
    the program is built within it (DEC-7 carry-over): notify then sends the client the
    program (email and PDF) and the trainer the limits, as after a fresh answer."""
    return _answered_event(referral, referral.answer or {}, at, after_assessment=True)


def _answered_event(
    referral: Referral, answer: dict[str, Any], at: datetime, *, after_assessment: bool = False
) -> dict[str, Any]:
    return make_event(
        "referral.answered.v1",
        source=SOURCE,
        subject=referral.client_id,
        correlation_id=referral.correlation_id,
        data={
            "intake_id": referral.intake_id,
            "client_id": referral.client_id,
            "referral_id": referral.id,
            "answer": answer["answer"],
            "restrictions": answer["restrictions"],
            "answered_at": answer.get("answered_at") or at.isoformat(),
            "answered_by": answer["answered_by"],
            "program": referral.program,
            "channel": answer.get("channel", EMAILED),
            "verified_by": (answer.get("verification") or {}).get("recorded_by"),
            "after_assessment": after_assessment,
        },
    )


# --- staff ----------------------------------------------------------------------------


def as_dict(referral: Referral) -> dict[str, Any]:
    """A referral for staff. No answer link: it is a credential (see docs)."""
    return {
        "id": referral.id,
        "client_id": referral.client_id,
        "intake_id": referral.intake_id,
        "decision_id": referral.decision_id,
        "outcome": referral.outcome,
        "target": referral.target,
        "urgency": referral.urgency,
        "request": referral.request,
        "status": referral.status,
        "status_reason": referral.status_reason,
        "reminders_sent": referral.reminders_sent,
        "last_reminder_at": referral.last_reminder_at,
        "last_progress_at": referral.last_progress_at,
        "answer": referral.answer,
        "closed_reason": referral.closed_reason,
        "timestamps": {
            status: getattr(referral, f"{status}_at")
            for status in lifecycle.ORDER
            if getattr(referral, f"{status}_at") is not None
        },
    }


def list_referrals(
    rt: Runtime, *, status: str | None = None, client_id: str | None = None
) -> list[dict[str, Any]]:
    query = select(Referral).order_by(Referral.needed_at)
    if status:
        query = query.where(Referral.status == status)
    if client_id:
        query = query.where(Referral.client_id == client_id)
    with rt.session_factory() as session:
        return [as_dict(r) for r in session.scalars(query)]


def get_referral(rt: Runtime, referral_id: str) -> dict[str, Any] | None:
    with rt.session_factory() as session:
        row = session.get(Referral, referral_id)
        return as_dict(row) if row else None


class ReferralNotFound(LookupError):
    pass


def close_referral(rt: Runtime, referral_id: str, reason: str) -> dict[str, Any]:
    """Staff close a referral: the loop is complete, or it is withdrawn. Raises
    ReferralNotFound, or lifecycle.TransitionRefused."""
    with rt.session_factory() as session, session.begin():
        referral = session.get(Referral, referral_id, with_for_update=True)
        if referral is None:
            raise ReferralNotFound(referral_id)
        move = take_step(referral, lifecycle.CLOSE, lifecycle.STAFF, utcnow())
        if move.changed:
            referral.closed_reason = reason
        return as_dict(referral)
