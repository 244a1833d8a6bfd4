"""Notify use cases: turn referral events into emails, each on record before it is sent,
checked by the scope guard, never sent twice, and reported as ``notification.sent``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from inscope_common.config import ServiceSettings
from inscope_common.consumer import HandlerContext, PermanentError
from inscope_common.db import new_id, read_only, utcnow
from inscope_common.events import make_event
from inscope_common.intake_contact import ContactUnavailable, fetch_contact
from inscope_common.outbox import OutboxRelay
from inscope_common.unit_of_work import unit_of_work
from inscope_notify import scope_guard
from inscope_notify.config import NotifySettings
from inscope_notify.mail import (
    Attachment,
    EmailSender,
    PermanentSendError,
    RenderedEmail,
    TransientSendError,
    build_message,
    render,
)
from inscope_notify.messages import (
    PlannedEmail,
    plan_answer,
    plan_decision,
    plan_progress,
    plan_reminder,
)
from inscope_notify.models import Delivery, ReferralLetter, platform
from inscope_notify.pdf import render_pdf
from inscope_notify.vocabulary import questionnaire_wording

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120
SOURCE = "/inscope/notify"


class DeliveryInFlight(RuntimeError):
    """Another worker holds this delivery right now: check again later."""


class ReferralNotYetKnown(RuntimeError):
    """A reminder arrived before the decision that opened its referral: retried."""


def message_id_for(event_id: str, role: str) -> str:
    """Derived from the event, so a resend after a crash carries the same Message-ID.
    One email per role per event; kept under 78 characters with its header name so it
    is never folded."""
    return f"<{event_id}.{role}@inscope.local>"


def pdf_filename(planned: PlannedEmail, today: str) -> str:
    """No name in the file name: it shows in every mail client's list."""
    what = "progress-report" if planned.kind == "physician_progress" else "referral-letter"
    return f"inscope-{what}-{today}.pdf"


class Notifier:
    def __init__(
        self,
        settings: ServiceSettings,
        notify: NotifySettings,
        session_factory: sessionmaker,
        sender: EmailSender,
        relay: OutboxRelay | None = None,
    ) -> None:
        self.settings = settings
        self.notify = notify
        self.session_factory = session_factory
        self.sender = sender
        self.relay = relay

    # -- event handlers ---------------------------------------------------------------

    def on_referral_decided(self, ctx: HandlerContext | None, event: dict[str, Any]) -> None:
        decision = event["data"]
        contact = self.fetch_contact(decision["intake_id"])
        if decision.get("referral"):
            self._keep_letter(event, decision)
        today = utcnow().date()
        planned = plan_decision(decision, contact, self.notify.setup, today)
        self._deliver_all(event, planned, decision_id=decision["decision_id"])

    def on_referral_answered(self, ctx: HandlerContext | None, event: dict[str, Any]) -> None:
        answer = event["data"]
        contact = self.fetch_contact(answer["intake_id"])
        self._deliver_all(event, plan_answer(answer, contact, self.notify.setup))

    def on_reminder_due(self, ctx: HandlerContext | None, event: dict[str, Any]) -> None:
        reminder = event["data"]
        with self.session_factory() as session:
            kept = session.get(ReferralLetter, reminder["referral_id"])
        if kept is None:
            raise ReferralNotYetKnown(f"referral {reminder['referral_id']} not seen yet")
        contact = self.fetch_contact(reminder["intake_id"])
        planned = plan_reminder(
            reminder,
            contact,
            self.notify.setup,
            kept.decision,
            kept.created_at.date(),
            utcnow().date(),
        )
        self._deliver_all(event, planned, decision_id=reminder["decision_id"])

    def on_progress_due(self, ctx: HandlerContext | None, event: dict[str, Any]) -> None:
        progress = event["data"]
        contact = self.fetch_contact(progress["intake_id"])
        planned = plan_progress(progress, contact, self.notify.setup, utcnow().date())
        self._deliver_all(event, planned)

    def handlers(self) -> dict[str, Any]:
        return {
            "referral.decided.v1": self.on_referral_decided,
            "referral.answered.v1": self.on_referral_answered,
            "referral.reminder_due.v1": self.on_reminder_due,
            "referral.progress_due.v1": self.on_progress_due,
        }

    # -- reading ----------------------------------------------------------------------

    def fetch_contact(self, intake_id: str) -> dict[str, Any]:
        """Contact details live only in the intake service; read them at send time.
        An unknown intake or a refused token dead-letters; anything else is retried."""
        try:
            return fetch_contact(self.settings, intake_id)
        except ContactUnavailable as exc:
            if exc.permanent:
                raise PermanentError(str(exc)) from exc
            raise

    def _keep_letter(self, event: dict[str, Any], decision: dict[str, Any]) -> None:
        referral_id = decision["referral"]["referral_id"]
        try:
            with self.session_factory() as session, session.begin():
                if session.get(ReferralLetter, referral_id) is None:
                    session.add(
                        ReferralLetter(
                            referral_id=referral_id,
                            event_id=event["id"],
                            client_id=decision["client_id"],
                            decision=decision,
                        )
                    )
        except IntegrityError:
            pass  # a concurrent delivery of the same event kept it first

    # -- delivering -------------------------------------------------------------------
    # One event's emails share their transactions: the rows are written together
    # before any send, claimed together, and their results recorded together with the
    # notification.sent events (outbox), so the cost per email stays small.

    def _deliver_all(
        self, event: dict[str, Any], planned: list[PlannedEmail], decision_id: str | None = None
    ) -> None:
        if not planned:
            return
        ids = self._ensure_deliveries(event, planned, decision_id)
        outcomes = [
            Outcome(
                ids[email.kind], "blocked", blocked_reason=email.blocked, claimed_from="pending"
            )
            for email in planned
            if email.blocked
        ]
        sendable = [email for email in planned if not email.blocked]
        claimed, in_flight = self._claim([ids[email.kind] for email in sendable])
        transient: TransientSendError | None = None
        for email in sendable:
            row = claimed.get(ids[email.kind])
            if row is None:
                continue  # sent, failed or blocked for good already: never send twice
            outcome = self._send(row, email)
            outcomes.append(outcome)
            if outcome.transient is not None:
                transient = outcome.transient
        self._settle(event, outcomes)
        if transient is not None:
            raise transient  # the consumer retries the event with backoff; sent rows skip
        if in_flight:
            raise DeliveryInFlight(f"deliveries {in_flight} are being sent elsewhere")

    def _ensure_deliveries(
        self, event: dict[str, Any], planned: list[PlannedEmail], decision_id: str | None
    ) -> dict[str, str]:
        """Write the delivery rows (committed) before any attempt to send."""
        existing = select(Delivery.kind, Delivery.id).where(Delivery.event_id == event["id"])
        data = event["data"]
        try:
            with self.session_factory() as session, session.begin():
                ids = dict(session.execute(existing).all())
                for email in planned:
                    if email.kind in ids:
                        continue
                    row = Delivery(
                        event_id=event["id"],
                        kind=email.kind,
                        role=email.role,
                        client_id=data["client_id"],
                        intake_id=data["intake_id"],
                        decision_id=decision_id,
                        referral_id=email.referral_id,
                        recipient=email.recipient,
                        message_id=message_id_for(event["id"], email.role),
                    )
                    session.add(row)
                    session.flush()
                    ids[email.kind] = row.id
            return ids
        except IntegrityError:  # a concurrent delivery of the same event got there first
            with self.session_factory() as session:
                return dict(session.execute(existing).all())

    def _claim(self, delivery_ids: list[str]) -> tuple[dict[str, Delivery], list[str]]:
        """Claim what is pending (or abandoned mid-send); report what someone else holds."""
        if not delivery_ids:
            return {}, []
        now = utcnow()
        with self.session_factory() as session, session.begin():
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(delivery_ids),
                    or_(
                        Delivery.status == "pending",
                        (Delivery.status == "sending") & (Delivery.claimed_until < now),
                    ),
                )
                .values(
                    status="sending",
                    claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=Delivery.attempts + 1,
                    claim_token=(token := new_id()),
                )
            )
            rows = session.scalars(select(Delivery).where(Delivery.id.in_(delivery_ids))).all()
        claimed = {row.id: row for row in rows if row.claim_token == token}
        in_flight = [row.id for row in rows if row.id not in claimed and row.status == "sending"]
        return claimed, in_flight

    def _send(self, row: Delivery, email: PlannedEmail) -> Outcome:
        rendered = render(email.template, email.context)
        if email.guarded:
            violations = guard(rendered, email)
            if violations:
                reason = scope_guard.summary(violations)
                log.error("delivery %s blocked: %s", row.id, reason)
                return Outcome(row.id, "blocked", subject=rendered.subject, blocked_reason=reason)
        pdf = render_pdf(email.letter) if email.letter else None
        attachments = (
            (Attachment(pdf_filename(email, utcnow().date().isoformat()), pdf),) if pdf else ()
        )
        message = build_message(
            rendered,
            sender=self.settings.mail_from,
            recipient=row.recipient,
            message_id=row.message_id,
            reply_to=self.notify.setup.sender.email,
            attachments=attachments,
        )
        try:
            self.sender.send(message)
        except PermanentSendError as exc:
            log.error("delivery %s failed permanently: %s", row.id, exc)
            return Outcome(row.id, "failed", subject=rendered.subject, error=str(exc))
        except TransientSendError as exc:
            if row.attempts > self.settings.max_retries:
                error = f"gave up after {row.attempts} attempts: {exc}"
                return Outcome(row.id, "failed", subject=rendered.subject, error=error)
            return Outcome(
                row.id, "pending", subject=rendered.subject, error=str(exc), transient=exc
            )
        return Outcome(row.id, "sent", subject=rendered.subject)

    def _settle(self, event: dict[str, Any], outcomes: list[Outcome]) -> None:
        """Move each row on from the state we hold it in; a final state is reported as
        ``notification.sent`` in the same transaction (outbox), published after commit."""
        if not outcomes:
            return
        with unit_of_work(self.session_factory, self.relay, platform) as uow:
            for outcome in outcomes:
                moved = uow.session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id == outcome.delivery_id,
                        Delivery.status == outcome.claimed_from,
                    )
                    .values(**outcome.values())
                ).rowcount
                if moved and outcome.status in FINAL:
                    row = uow.session.get(Delivery, outcome.delivery_id)
                    uow.add_event(_sent_event(row, event))


FINAL = ("sent", "failed", "blocked")


@dataclass
class Outcome:
    """What became of one claimed delivery, recorded by Notifier._settle."""

    delivery_id: str
    status: str  # sent | failed | blocked | pending (transient failure: retried)
    subject: str | None = None
    error: str | None = None
    blocked_reason: str | None = None
    claimed_from: str = "sending"
    transient: TransientSendError | None = None

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "status": self.status,
            "claimed_until": None,
            "blocked_reason": self.blocked_reason,
        }
        if self.error is not None:  # a send that succeeds on retry keeps the error it overcame
            values["last_error"] = self.error[:4000]
        if self.subject is not None:
            values["subject"] = self.subject
        if self.status == "sent":
            values["sent_at"] = utcnow()
        return values


def guard(rendered: RenderedEmail, email: PlannedEmail) -> list[scope_guard.Violation]:
    """Every word a client or clinician will read: subject, text, HTML and the PDF."""
    parts = {
        "subject": rendered.subject,
        "text": rendered.text,
        "html": scope_guard.visible_text(rendered.html),
    }
    if email.letter:
        parts["pdf"] = email.letter.plain()
    return scope_guard.check(parts, allowed=questionnaire_wording())


def _sent_event(row: Delivery, cause: dict[str, Any]) -> dict[str, Any]:
    detail = row.blocked_reason or row.last_error
    return make_event(
        "notification.sent.v1",
        source=SOURCE,
        subject=row.client_id,
        correlation_id=cause["correlationid"],
        causation_id=cause["id"],
        data={
            "intake_id": row.intake_id,
            "client_id": row.client_id,
            "delivery_id": row.id,
            "kind": row.kind,
            "referral_id": row.referral_id,
            "recipient_role": row.role,
            "status": row.status,
            "detail": detail[:2000] if detail else None,
        },
    )


def deliveries_of(session_factory: sessionmaker, client_id: str) -> list[Delivery]:
    with read_only(session_factory)() as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(Delivery.client_id == client_id)
                .order_by(Delivery.created_at, Delivery.kind)
            )
        )
