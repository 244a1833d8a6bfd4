"""Notify use cases: turn referral events into emails, each on record before it is sent,
checked by the scope guard, never sent twice, and reported as ``notification.sent``."""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from inscope_clinical.letters.letter import Letter
from inscope_clinical.letters.vocabulary import questionnaire_wording
from inscope_common.config import ServiceSettings
from inscope_common.consumer import HandlerContext, PermanentError
from inscope_common.db import new_id, read_only, utcnow
from inscope_common.events import make_event
from inscope_common.intake_contact import (
    ContactUnavailable,
    fetch_contact,
    fetch_previsit_contact,
)
from inscope_common.logs import get_logger
from inscope_common.metrics import EMAILS
from inscope_common.outbox import OutboxRelay
from inscope_common.stuck_work import StuckItem
from inscope_common.unit_of_work import unit_of_work
from inscope_notify import scope_guard
from inscope_notify.accepts import AcceptMarks
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
    Setup,
    plan_answer,
    plan_decision,
    plan_previsit,
    plan_progress,
    plan_reminder,
    signed,
)
from inscope_notify.models import Delivery, ReferralLetter, platform
from inscope_notify.pdf import render_pdf
from inscope_notify.program_pdf import render_program_pdf

log = get_logger(__name__)
SOURCE = "/inscope/notify"
DELIVERIES = Delivery.__table__
LETTERS = ReferralLetter.__table__
# INSERT ... ON CONFLICT DO NOTHING, per engine (_insert_if_absent).
_INSERT_IGNORING_CONFLICTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _insert_if_absent(session: Session, table: Any, values: dict[str, Any], key: Any) -> bool:
    """Insert the row unless one with its ``key`` is there; whether it was inserted.
    One statement where the engine has ``ON CONFLICT DO NOTHING``; a query first
    elsewhere."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name not in _INSERT_IGNORING_CONFLICTS:
        if session.execute(select(key).where(key == values[key.name])).first() is not None:
            return False
        session.execute(insert(table), values)
        return True
    statement = _insert_ignoring(dialect.name, table, key, bool(dialect.insert_returning))
    if dialect.insert_returning:
        # psycopg reports no rowcount here: the row returned says it was written.
        return session.execute(statement, values).first() is not None
    return session.execute(statement, values).rowcount == 1


@lru_cache(maxsize=16)
def _insert_ignoring(dialect: str, table: Any, key: Any, returning: bool) -> Any:
    """``INSERT ... ON CONFLICT (key) DO NOTHING [RETURNING key]`` for ``table``, built
    once (issue 13): the row's values are bound at execution."""
    statement = _INSERT_IGNORING_CONFLICTS[dialect](table).on_conflict_do_nothing(
        index_elements=[key]
    )
    return statement.returning(key) if returning else statement


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


class LetterPDFs:
    """Each letter's PDF, drawn once per worker process (issue 13: drawing is most of a
    letter email's CPU). Kept by referral and letter: a Letter is a frozen record of
    every word printed (version, date, link, reminder number), so a retry or a second
    recipient of the same letter reuses its PDF, and a new letter version, or any
    change to what is printed, draws a new one. Bounded: the least recently used go."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.drawn = 0  # PDFs drawn so far (tests count them)
        self._pdfs: OrderedDict[tuple[str | None, Letter, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, referral_id: str | None, letter: Letter, paper: str) -> bytes:
        key = (referral_id, letter, paper)
        with self._lock:
            if key in self._pdfs:
                self._pdfs.move_to_end(key)
                return self._pdfs[key]
        pdf = render_pdf(letter, paper)
        with self._lock:
            self.drawn += 1
            self._pdfs[key] = pdf
            while len(self._pdfs) > self.size:
                self._pdfs.popitem(last=False)
        return pdf


class Notifier:
    def __init__(
        self,
        settings: ServiceSettings,
        notify: NotifySettings,
        session_factory: sessionmaker,
        sender: EmailSender,
        relay: OutboxRelay | None = None,
        accepts: AcceptMarks | None = None,
    ) -> None:
        self.settings = settings
        # The server's 250 on record in Redis before the row's commit (accepts.py).
        self.accepts = accepts
        self.notify = notify
        self.session_factory = session_factory
        self.sender = sender
        self.relay = relay
        # What time it is for claims, due times and budgets (tests move it forward).
        self.clock: Callable[[], datetime] = utcnow
        self.pdfs = LetterPDFs()

    # -- event handlers ---------------------------------------------------------------

    def on_referral_decided(self, ctx: HandlerContext | None, event: dict[str, Any]) -> None:
        decision = event["data"]
        contact = self.fetch_contact(decision["intake_id"])
        today = self.settings.locale.today()
        planned = plan_decision(decision, contact, self.notify.setup, today)

        # Written in the transaction of the event's delivery rows (issue 13: one
        # transaction before the sends, not three).
        first: list[Callable[[Session], dict[str, str] | None]] = []
        if decision.get("referral"):
            first.append(lambda session: self._keep_letter(session, event, decision))
        if decision.get("referral") or decision.get("corrected"):
            first.append(lambda session: self._supersede_unsent_letters(session, event, decision))
        self._deliver_all(event, planned, decision_id=decision["decision_id"], first=first, ctx=ctx)

    def on_referral_answered(self, ctx: HandlerContext | None, event: dict[str, Any]) -> None:
        answer = event["data"]
        contact = self.fetch_contact(answer["intake_id"])
        setup = self._signed_as_letter(answer.get("referral_id"))
        self._deliver_all(event, plan_answer(answer, contact, setup), ctx=ctx)

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
            self.settings.locale.today(kept.created_at),
            self.settings.locale.today(),
        )
        self._deliver_all(event, planned, decision_id=reminder["decision_id"], ctx=ctx)

    def on_progress_due(self, ctx: HandlerContext | None, event: dict[str, Any]) -> None:
        progress = event["data"]
        contact = self.fetch_contact(progress["intake_id"])
        setup = self._signed_as_letter(progress.get("referral_id"))
        planned = plan_progress(progress, contact, setup, self.settings.locale.today())
        self._deliver_all(event, planned, ctx=ctx)

    def on_previsit_invited(self, ctx: HandlerContext | None, event: dict[str, Any]) -> None:
        """The front desk sent a client a pre-visit link: email it to them."""
        invited = event["data"]
        try:
            contact = fetch_previsit_contact(self.settings, invited["invitation_id"])
        except ContactUnavailable as exc:
            if exc.permanent:
                raise PermanentError(str(exc)) from exc
            raise
        self._deliver_all(event, plan_previsit(invited, contact, self.notify.setup), ctx=ctx)

    def _signed_as_letter(self, referral_id: str | None) -> Setup:
        """The setup signed by whoever signed the referral's letter (its kept decision's
        ``signed_by``), so the answer relayed to the client and the progress report come
        from the same trainer; the configured trainer when there is none."""
        if not referral_id:
            return self.notify.setup
        with self.session_factory() as session:
            kept = session.get(ReferralLetter, referral_id)
        return signed(self.notify.setup, kept.decision) if kept else self.notify.setup

    def handlers(self) -> dict[str, Any]:
        return {
            "referral.decided.v1": self.on_referral_decided,
            "referral.answered.v1": self.on_referral_answered,
            "referral.reminder_due.v1": self.on_reminder_due,
            "referral.progress_due.v1": self.on_progress_due,
            "intake.previsit_invited.v1": self.on_previsit_invited,
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

    def _keep_letter(
        self, session: Session, event: dict[str, Any], decision: dict[str, Any]
    ) -> None:
        """Keep the referral's current letter for reminders: a newer version (a newer
        decision asking the same clinician the same thing) replaces the kept one.

        Core statements (issue 13): the first letter of a referral, nearly every one, is
        one ``INSERT ... ON CONFLICT DO NOTHING``; only a referral kept already (a newer
        version, a redelivery, or a concurrent delivery that kept it first) is read,
        locked, and replaced when this version is newer."""
        referral_id = decision["referral"]["referral_id"]
        version = decision["referral"].get("letter_version") or 1
        values = {
            "referral_id": referral_id,
            "event_id": event["id"],
            "client_id": decision["client_id"],
            "decision": decision,
        }
        if _insert_if_absent(session, LETTERS, values, LETTERS.c.referral_id):
            return
        kept = session.execute(
            select(LETTERS.c.decision).where(LETTERS.c.referral_id == referral_id).with_for_update()
        ).scalar_one()
        if version > (((kept or {}).get("referral") or {}).get("letter_version") or 1):
            session.execute(
                update(LETTERS)
                .where(LETTERS.c.referral_id == referral_id)
                .values(event_id=event["id"], decision=decision)
            )

    def _supersede_unsent_letters(
        self, session: Session, event: dict[str, Any], decision: dict[str, Any]
    ) -> dict[str, str]:
        """One current letter per clinician: a letter to this client's clinician that
        has not gone out yet (waiting for a retry, or failed and resendable) is replaced
        by this newer one, which goes out now; nothing waits for anything. An emergency
        letter is a record of what happened and is never replaced.

        The first decision on a corrected intake (``corrected``, issue 8 item 5) withdraws
        every unsent letter and client update of the older version, whatever it decides
        itself (a correction to "no referral" leaves no letter to replace them).

        Returns the event's own delivery rows (kind -> id), found by the same query
        (issue 13: one statement fewer per decision): the client's rows that could be
        superseded, and this event's, are read together, without their events; only
        the few that could be superseded are read again with theirs."""
        corrected = bool(decision.get("corrected"))
        kinds = ("physician_referral", "physician_reminder")
        why = f"superseded by a newer letter (event {event['id']})"
        if corrected:
            kinds += ("client_update",)
            why = (
                f"superseded: intake corrected (version {decision.get('intake_version')}, "
                f"event {event['id']})"
            )
        found = session.execute(
            _client_rows_statement(kinds),
            {"c_client": decision["client_id"], "c_event": event["id"]},
        ).all()
        own = {row.kind: row.id for row in found if row.event_id == event["id"]}
        others = [row.id for row in found if row.event_id != event["id"]]
        if not others:
            return own
        rows = session.execute(
            select(DELIVERIES.c.id, DELIVERIES.c.kind, DELIVERIES.c.envelope).where(
                DELIVERIES.c.id.in_(others)
            )
        ).all()
        superseded = []
        for row in rows:
            data = (row.envelope or {}).get("data") or {}
            urgency = (data.get("referral") or {}).get("urgency") or data.get("urgency")
            if urgency == "emergency" or not _older(row.envelope, event):
                continue
            superseded.append(row.id)
            log.info("email superseded before sending", delivery_id=row.id, kind=row.kind)
        if superseded:
            session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id.in_(superseded))
                .values(status="superseded", next_attempt_at=None, blocked_reason=why)
            )
        return own

    # -- delivering -------------------------------------------------------------------
    # One event's emails are written together before any send and claimed together.
    # Their results are recorded together, in one transaction after the event's last
    # send (issue 13: one transaction per event, not three per email): a send the server
    # accepted is first marked in Redis (accepts.py) the moment the server says 250, so
    # a worker that dies before that transaction leaves rows that the sweep takes back
    # after their claim and records as sent without sending again. When Redis does not
    # take the mark, that accept is recorded on its own at once, as before. A transient
    # failure does not fail the event: the row waits, with its next attempt due at a
    # time in the database, for retry_due (run by the notify relay) to send it again,
    # until the retry budget is spent. Nothing waits in the broker.

    def _deliver_all(
        self,
        event: dict[str, Any],
        planned: list[PlannedEmail],
        decision_id: str | None = None,
        first: Sequence[Callable[[Session], dict[str, str] | None]] = (),
        ctx: HandlerContext | None = None,
    ) -> None:
        """``first``: what the event records besides its emails, written in the same
        transaction as their rows (before them). ``ctx``: the consumer's, whose inbox
        row goes in the outcomes' transaction when every send is done (issue 13: one
        transaction fewer per event); never when a send raised, so that the event is
        retried."""
        if not planned:
            if first:
                with self.session_factory() as session, session.begin():
                    for step in first:
                        step(session)
            return
        ids, claimed = self._ensure_deliveries(event, planned, decision_id, first)
        outcomes = [
            Outcome(
                ids[email.kind], "blocked", blocked_reason=email.blocked, claimed_from="pending"
            )
            for email in planned
            if email.blocked
        ]
        try:
            sendable = [email for email in planned if not email.blocked]
            # Rows written by this delivery are claimed already; rows found (a redelivery,
            # a retry) are claimed now if they are ready.
            claimed |= self._claim([ids[e.kind] for e in sendable if ids[e.kind] not in claimed])
            for email in sendable:
                row = claimed.get(ids[email.kind])
                if row is None:
                    continue  # sent, failed, blocked, not due yet or held elsewhere
                self._send(event, row, email, outcomes)
        except BaseException:
            # What is known is recorded even when a later email of the event raised.
            self._settle_all(event, outcomes, held=claimed)
            raise
        self._settle_all(event, outcomes, held=claimed, ctx=ctx)

    def _ensure_deliveries(
        self,
        event: dict[str, Any],
        planned: list[PlannedEmail],
        decision_id: str | None,
        first: Sequence[Callable[[Session], dict[str, str] | None]] = (),
    ) -> tuple[dict[str, str], dict[str, Delivery]]:
        """Write the delivery rows (committed) before any attempt to send: the ids by
        kind, and the rows written here to be sent, which are written claimed (``sending``,
        attempt 1, as ``_claim`` would leave them: issue 13, one transaction fewer per
        event). A row left so (the worker died first) is taken back by retry_due once
        its claim has run out, as a claimed row is; a blocked one is written pending.

        ``first`` runs in the same transaction, before the rows are written; a step
        that returns the event's rows (kind -> id, as ``_supersede_unsent_letters``
        does, which reads the client's rows anyway) spares reading them again. When a
        concurrent delivery of the same event wrote first (a unique key refused), each
        step runs again in a transaction of its own (one refused is what that delivery
        wrote already), and the rows are read as that delivery wrote them."""
        existing = (_EVENT_ROWS, {"e_event": event["id"]})
        data = event["data"]
        now = self.clock()
        due = now + timedelta(seconds=self.notify.send_claim_s)
        token = new_id()
        claimed: dict[str, Delivery] = {}
        rows: list[dict[str, Any]] = []
        try:
            with self.session_factory() as session, session.begin():
                ids = None
                for step in first:
                    found = step(session)
                    if found is not None:
                        ids = found
                if ids is None:
                    ids = dict(session.execute(*existing).all())
                for email in planned:
                    if email.kind in ids:
                        continue
                    values = {
                        "id": new_id(),
                        "event_id": event["id"],
                        "kind": email.kind,
                        "role": email.role,
                        "client_id": data["client_id"],
                        "intake_id": data["intake_id"],
                        "decision_id": decision_id,
                        "referral_id": email.referral_id,
                        "recipient": email.recipient,
                        "message_id": message_id_for(event["id"], email.role),
                        "envelope": event,
                        "next_attempt_at": due,
                        "status": "pending",
                        "attempts": 0,
                        "claimed_until": None,
                        "retry_started_at": None,
                        "claim_token": None,
                    }
                    if not email.blocked:
                        values.update(
                            status="sending",
                            claimed_until=due,
                            attempts=1,
                            retry_started_at=now,
                            claim_token=token,
                        )
                        # What the sends read of the row (never added to a session).
                        claimed[values["id"]] = Delivery(**values)
                    rows.append(values)
                    ids[email.kind] = values["id"]
                if rows:
                    # One Core INSERT of the event's rows (issue 13): no ORM objects for
                    # a unit-of-work flush; created_at takes its column default.
                    session.execute(_INSERT_DELIVERIES, rows)
            return ids, claimed
        except IntegrityError:  # a concurrent delivery of the same event got there first
            if first:
                for step in first:
                    try:
                        with self.session_factory() as session, session.begin():
                            step(session)
                    except IntegrityError:
                        pass  # kept by that delivery
                return self._ensure_deliveries(event, planned, decision_id)
            with self.session_factory() as session:
                return dict(session.execute(*existing).all()), {}

    def _claim(self, delivery_ids: list[str]) -> dict[str, Delivery]:
        """Claim what is ready: never tried, due for a retry, or abandoned mid-send
        (``sending`` past its claim: the worker died before the server answered)."""
        if not delivery_ids:
            return {}
        now = self.clock()
        with self.session_factory() as session, session.begin():
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(delivery_ids), claimable(now))
                .values(
                    status="sending",
                    claimed_until=now + timedelta(seconds=self.notify.send_claim_s),
                    attempts=Delivery.attempts + 1,
                    retry_started_at=func.coalesce(Delivery.retry_started_at, now),
                    claim_token=(token := new_id()),
                )
            )
            rows = session.scalars(select(Delivery).where(Delivery.id.in_(delivery_ids))).all()
        return {row.id: row for row in rows if row.claim_token == token}

    def _send(
        self, event: dict[str, Any], row: Delivery, email: PlannedEmail, outcomes: list[Outcome]
    ) -> None:
        """Send one claimed email; its outcome goes to ``outcomes`` (recorded by the
        caller with the event's others), an accept Redis did not mark is recorded now."""
        rendered = render(email.template, email.context, self.settings.locale)
        if email.guarded:
            violations = guard(rendered, email)
            if violations:
                reason = scope_guard.summary(violations)
                EMAILS.labels("notify", "blocked").inc()
                log.error(
                    "email given up: blocked by the scope guard",
                    delivery_id=row.id,
                    kind=row.kind,
                    reason=reason[:300],
                )
                outcomes.append(
                    Outcome(
                        row.id,
                        "blocked",
                        subject=rendered.subject,
                        blocked_reason=reason,
                        claim_token=row.claim_token,
                    )
                )
                return
        today = self.clock().date().isoformat()
        paper = self.settings.locale.paper
        pdf = self.pdfs.get(email.referral_id, email.letter, paper) if email.letter else None
        attachments = (Attachment(pdf_filename(email, today), pdf),) if pdf else ()
        if email.program is not None:  # the client's program (issue 9 item 5)
            program_pdf = render_program_pdf(
                email.program, self.notify.setup.sender.facility, paper
            )
            attachments += (Attachment(f"inscope-program-{today}.pdf", program_pdf),)
        message = build_message(
            rendered,
            sender=self.settings.mail_from,
            recipient=row.recipient,
            message_id=row.message_id,
            reply_to=self.notify.setup.sender.email,
            attachments=attachments,
        )
        accepted = False

        def record_accept() -> None:
            # Runs on the server's reply to DATA, before QUIT: the Redis mark is what a
            # row taken back is checked against; the row itself is recorded with the
            # event's other outcomes (at once when Redis did not take the mark).
            nonlocal accepted
            accepted = True
            marked = armed is not None and armed.fire()
            EMAILS.labels("notify", "sent").inc()
            log.info(
                "email sent",
                delivery_id=row.id,
                kind=row.kind,
                recipient_role=row.role,
                event_id=row.event_id,
                attempts=row.attempts,
            )
            sent = Outcome(row.id, "sent", subject=rendered.subject, claim_token=row.claim_token)
            if marked:
                outcomes.append(sent)  # recorded with the event's other outcomes
            else:
                self._settle(event, sent, row)  # no mark to fall back on: record it now

        if not self._claim_still_fresh(row) and not self._renew_claim(row):
            log.warning(
                "email not sent: its claim was taken back meanwhile",
                delivery_id=row.id,
                kind=row.kind,
            )
            return
        accepted_before = (
            self.accepts.was_accepted(row.id)
            if row.attempts > 1 and self.accepts is not None
            else False
        )
        if accepted_before is None:
            # Taken back or retried, and whether an earlier attempt was accepted cannot
            # be read now (Redis away): a later attempt looks again, rather than risk
            # sending an accepted message twice.
            unknown = TransientSendError("accept mark unreadable: sent before? asked again later")
            outcomes.append(self._transient_outcome(row, rendered.subject, unknown))
            return
        if accepted_before:
            # Taken back from a worker that died after the server's 250 and before the
            # row's commit: the message went; record it, do not send it again.
            log.info(
                "email accepted before its worker stopped: recorded, not sent again",
                delivery_id=row.id,
                kind=row.kind,
                event_id=row.event_id,
            )
            outcomes.append(
                Outcome(row.id, "sent", subject=rendered.subject, claim_token=row.claim_token)
            )
            return
        lost = False

        def holding() -> bool:
            # Right before the message's data goes out, and every second while the
            # server's reply to its final dot is awaited (up to RFC 5321's 10
            # minutes, mail.FINAL_REPLY_WAIT_S): the claim is still ours, started again
            # once less than half of it is left, so a slow server (or a busy machine)
            # neither outlives it nor makes us give up on a message it then takes.
            nonlocal lost
            lost = not (self._claim_still_fresh(row) or self._renew_claim(row))
            return not lost

        # The mark's connection and command made ready now, not after the 250 (accepts.py).
        with self.accepts.arm(row.id) if self.accepts is not None else nullcontext() as armed:
            try:
                self.sender.send(message, on_accepted=record_accept, holding=holding)
            except PermanentSendError as exc:
                # The SMTP reply may quote the address: it stays on the delivery row only.
                EMAILS.labels("notify", "failed").inc()
                log.error(
                    "email given up: the SMTP server refused it",
                    delivery_id=row.id,
                    kind=row.kind,
                    error_type=type(exc).__name__,
                )
                outcomes.append(
                    Outcome(
                        row.id,
                        "failed",
                        subject=rendered.subject,
                        error=str(exc),
                        claim_token=row.claim_token,
                    )
                )
                return
            except TransientSendError as exc:
                if lost:  # taken back meanwhile: the row is its new holder's
                    log.warning(
                        "email attempt dropped: its claim was taken back meanwhile",
                        delivery_id=row.id,
                        kind=row.kind,
                        error=str(exc)[:300],
                    )
                    return
                outcomes.append(self._transient_outcome(row, rendered.subject, exc))
                return
            if not accepted:  # a sender that does not call back: the send returned: it went
                record_accept()

    def _claim_still_fresh(self, row: Delivery) -> bool:
        """More than half the claim period left: nobody can have taken the row back
        (every take-back needs the claim expired), and the SMTP transaction has at least
        that half to finish, so no renewal (one transaction fewer per email)."""
        until = row.claimed_until
        if until is None:
            return False
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return until - self.clock() > timedelta(seconds=self.notify.send_claim_s / 2)

    def _renew_claim(self, row: Delivery) -> bool:
        """Right before its SMTP transaction, a row's claim starts again: the claim
        covers one transaction, not the event's earlier sends and renders, so it can be
        short (NOTIFY_SEND_CLAIM) and a row left by a dead worker comes back soon. False
        if the row was taken back meanwhile (then it must not be sent here)."""
        until = self.clock() + timedelta(seconds=self.notify.send_claim_s)
        with self.session_factory() as session, session.begin():
            renewed = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == row.id,
                    Delivery.status == "sending",
                    Delivery.claim_token == row.claim_token,
                )
                .values(claimed_until=until)
            ).rowcount
        if renewed:
            row.claimed_until = until  # what _claim_still_fresh reads next
        return bool(renewed)

    def _transient_outcome(self, row: Delivery, subject: str, exc: TransientSendError) -> Outcome:
        """Retry later, or give up (failed, resendable) once the retry budget is spent."""
        now = self.clock()
        started = row.retry_started_at or now
        give_up_at = started + timedelta(seconds=self.notify.retry_budget_s)
        if now >= give_up_at:
            error = f"gave up after {row.attempts} attempts over {_duration(now - started)}: {exc}"
            EMAILS.labels("notify", "failed").inc()
            log.error(
                f"email given up: gave up after {row.attempts} attempts over "
                f"{_duration(now - started)}",
                delivery_id=row.id,
                kind=row.kind,
                attempts=row.attempts,
                error_type=type(exc).__name__,
            )
            return Outcome(
                row.id, "failed", subject=subject, error=error, claim_token=row.claim_token
            )
        delay = retry_delay(row.attempts, self.notify.retry_base_s, self.notify.retry_max_s)
        due = min(now + timedelta(seconds=delay), give_up_at)
        EMAILS.labels("notify", "deferred").inc()
        log.warning(
            "email attempt failed: retrying",
            delivery_id=row.id,
            kind=row.kind,
            attempts=row.attempts,
            error_type=type(exc).__name__,
            next_attempt_at=due.isoformat(timespec="seconds"),
        )
        return Outcome(
            row.id,
            "pending",
            subject=subject,
            error=str(exc),
            next_attempt_at=due,
            claim_token=row.claim_token,
        )

    def _settle(self, event: dict[str, Any], outcome: Outcome, row: Delivery | None = None) -> bool:
        """Move one row on from the state we hold it in; a final state of a physician's
        email about a referral is reported as ``notification.sent`` in the same
        transaction (outbox), published after commit (``moves_a_referral``)."""
        return self._settle_all(event, [outcome], {row.id: row} if row is not None else {}) == 1

    def _settle_all(
        self,
        event: dict[str, Any],
        outcomes: list[Outcome],
        held: dict[str, Delivery] | None = None,
        ctx: HandlerContext | None = None,
    ) -> int:
        """``_settle`` for several rows of one event, in one transaction. Returns how
        many rows moved (a row taken back meanwhile stays as its new holder left it).

        ``held``: the rows as claimed here, by id. A row held is reported from what it
        was and what the outcome sets (issue 13: no read back of every row; nobody else
        writes a row while its claim is ours, and the update only moves it if it is);
        any other is read."""
        if not outcomes:
            return 0
        rows_held = held or {}
        moved_rows = 0
        with unit_of_work(self.session_factory, self.relay, platform) as uow:
            for outcome in outcomes:
                # Core statements on the table (issue 13): the ORM's bulk UPDATE (with
                # its session synchronisation) cost more than twice as much, and no
                # Delivery object lives in this session to be kept in step.
                values = outcome.values()
                params = {f"v_{name}": value for name, value in values.items()}
                params["w_id"], params["w_from"] = outcome.delivery_id, outcome.claimed_from
                if outcome.claim_token is not None:
                    params["w_token"] = outcome.claim_token
                statement = _settle_statement(tuple(values), outcome.claim_token is not None)
                moved = uow.session.execute(statement, params).rowcount
                moved_rows += bool(moved)
                if moved and outcome.status in FINAL:
                    row = rows_held.get(outcome.delivery_id)
                    settled = (
                        uow.session.get(Delivery, outcome.delivery_id)
                        if row is None
                        else _Settled.of(row, outcome)
                    )
                    if moves_a_referral(settled):
                        uow.add_event(_sent_event(settled, event))
            if ctx is not None:
                ctx.record_inbox_in(uow.session)  # the event handled: with its outcomes
        return moved_rows

    # -- retries, reclaims and resends (run by the notify relay, the CLI, the page) ----

    def retry_due(self, now: datetime | None = None, batch: int = 20) -> int:
        """Send again what is due: pending deliveries whose next attempt has come, and
        deliveries left ``sending`` past their claim (the worker died mid-send; the
        accept is recorded before anything else, so such a row was not accepted, bar
        the window described in docs/notifications.md). Returns the events handled."""
        now = now or self.clock()
        with read_only(self.session_factory)() as session:
            rows = session.execute(
                select(Delivery.event_id, Delivery.envelope)
                .where(due_for_sweep(now))
                .order_by(Delivery.next_attempt_at)
                .limit(batch)
            ).all()
        handlers = self.handlers()
        events = {}
        for event_id, envelope in rows:
            if envelope and envelope.get("type") in handlers:
                events[event_id] = envelope
            else:
                self._fail_unbuildable(event_id, now)
        for event_id, envelope in events.items():
            try:
                handlers[envelope["type"]](None, envelope)
            except Exception as exc:
                # Contact look-up down, say: look again after a pause, not every round.
                log.warning("retrying the emails of event %s failed: %s", event_id, exc)
                self._postpone(event_id, now, f"{type(exc).__name__}: {exc}")
        return len(events)

    def _fail_unbuildable(self, event_id: str, now: datetime) -> None:
        """Deliveries whose row does not keep its event (written before deliveries
        stored it, issue 11) cannot be built again: they become ``failed`` with the
        reason, at once, instead of being retried for ever; a resend refuses them."""
        with self.session_factory() as session, session.begin():
            rows = session.scalars(
                select(Delivery).where(Delivery.event_id == event_id, due_for_sweep(now))
            ).all()
            for row in rows:
                if row.envelope and row.envelope.get("type") in self.handlers():
                    continue
                row.status = "failed"
                row.claimed_until = None
                row.next_attempt_at = None
                row.last_error = UNBUILDABLE
        for row in rows:
            log.error(
                "email given up: its delivery row keeps no event to build it again from",
                delivery_id=row.id,
                kind=row.kind,
                event_id=event_id,
            )

    def resend_refusal(self, delivery_id: str) -> str | None:
        """Why ``resend`` would refuse this delivery; None when it may be resent."""
        with read_only(self.session_factory)() as session:
            row = session.get(Delivery, delivery_id)
            if row is None:
                return "unknown"
            if row.status != "failed":
                return f"not failed ({row.status})"
            if not row.envelope:
                return UNBUILDABLE
        return None

    def _postpone(self, event_id: str, now: datetime, error: str) -> None:
        later = now + timedelta(seconds=self.notify.retry_base_s)
        with self.session_factory() as session, session.begin():
            session.execute(
                update(Delivery)
                .where(Delivery.event_id == event_id, due_for_sweep(now))
                .values(
                    status="pending",
                    claimed_until=None,
                    next_attempt_at=later,
                    last_error=error[:4000],
                )
            )

    def take_back(self, delivery_id: str) -> bool:
        """A delivery left ``sending`` past its claim goes back to pending, due now (the
        stuck-work page's action; retry_due does the same on its own)."""
        now = self.clock()
        with self.session_factory() as session, session.begin():
            moved = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.status == "sending",
                    Delivery.claimed_until < now,
                )
                .values(status="pending", claimed_until=None, next_attempt_at=now)
            ).rowcount
        return bool(moved)

    def stuck(self, _rt: Any = None) -> list[StuckItem]:
        """Deliveries left ``sending`` past their claim, and failed ones, for the
        stuck-work page."""
        now = self.clock()
        with read_only(self.session_factory)() as session:
            rows = session.scalars(
                select(Delivery)
                .where(
                    or_(
                        (Delivery.status == "sending") & (Delivery.claimed_until < now),
                        Delivery.status == "failed",
                    )
                )
                .order_by(Delivery.created_at)
                .limit(500)
            ).all()
        items = []
        for row in rows:
            if not row.envelope:
                items.append(
                    StuckItem(
                        "delivery_failed" if row.status == "failed" else "delivery_sending",
                        row.id,
                        row.created_at,
                        f"{row.kind} email {row.id} ({row.status}) was recorded before "
                        "deliveries kept their event: it cannot be built again",
                        "Nothing to press: send this email by hand (the client's page and "
                        "the referral give its content), or replay its event's dead letter "
                        "if there is one.",
                    )
                )
            elif row.status == "sending":
                items.append(
                    StuckItem(
                        "delivery_sending",
                        row.id,
                        row.claimed_until,
                        f"{row.kind} email {row.id} left sending by a worker that stopped "
                        f"(attempt {row.attempts})",
                        "Send it again (the relay also does this on its own within seconds; "
                        "if it does not, check that `inscope-notify relay` runs).",
                        "Send again",
                    )
                )
            else:
                items.append(
                    StuckItem(
                        "delivery_failed",
                        row.id,
                        row.created_at,
                        f"{row.kind} email {row.id} failed after {row.attempts} attempt(s): "
                        f"{(row.last_error or '')[:300]}",
                        "Fix the cause (the mail server, the address), then resend it with a "
                        "fresh retry budget.",
                        "Resend",
                    )
                )
        return items

    def resend(self, delivery_id: str) -> bool:
        """A failed delivery (the server refused it, or the retry budget ran out) goes
        back to pending, due now, with a fresh retry budget. False if it is not failed,
        or if its row keeps no event to build the email from (``resend_refusal``)."""
        if self.resend_refusal(delivery_id) is not None:
            return False
        with self.session_factory() as session, session.begin():
            moved = session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == "failed")
                .values(
                    status="pending",
                    next_attempt_at=self.clock(),
                    retry_started_at=None,
                    claimed_until=None,
                )
            ).rowcount
        if moved:
            log.info("delivery %s queued for resending", delivery_id)
        return bool(moved)


# The statements writing an event's rows (issue 13: built once, values bound at
# execution; building them per event cost about as much as running them).
_INSERT_DELIVERIES = insert(DELIVERIES)
_EVENT_ROWS = select(DELIVERIES.c.kind, DELIVERIES.c.id).where(
    DELIVERIES.c.event_id == bindparam("e_event")
)


@lru_cache(maxsize=8)
def _client_rows_statement(kinds: tuple[str, ...]) -> Any:
    """A client's rows of ``kinds`` not sent yet, and an event's own rows (locked):
    what ``_supersede_unsent_letters`` reads, bound by ``c_client`` and ``c_event``."""
    return (
        select(DELIVERIES.c.id, DELIVERIES.c.kind, DELIVERIES.c.event_id)
        .where(
            DELIVERIES.c.client_id == bindparam("c_client"),
            or_(
                DELIVERIES.c.event_id == bindparam("c_event"),
                DELIVERIES.c.kind.in_(kinds) & DELIVERIES.c.status.in_(("pending", "failed")),
            ),
        )
        .with_for_update()
    )


@lru_cache(maxsize=64)
def _settle_statement(columns: tuple[str, ...], with_token: bool) -> Any:
    """The UPDATE that records an outcome, built once per shape (which columns it sets,
    whether a claim token must match; issue 13: building it per outcome cost more than
    running it): ``w_id``, ``w_from``, ``w_token`` for the row as held, ``v_<column>``
    for what it becomes, each bound with its column's type."""
    held = [
        DELIVERIES.c.id == bindparam("w_id"),
        DELIVERIES.c.status == bindparam("w_from"),
    ]
    if with_token:
        held.append(DELIVERIES.c.claim_token == bindparam("w_token"))
    return (
        update(DELIVERIES)
        .where(*held)
        .values(
            {
                DELIVERIES.c[name]: bindparam(f"v_{name}", type_=DELIVERIES.c[name].type)
                for name in columns
            }
        )
    )


def _older(envelope: dict[str, Any] | None, event: dict[str, Any]) -> bool:
    """Whether a delivery's event came before ``event``: an older event's emails sent
    again by retry_due must not withdraw what a newer one asked for."""
    if not envelope or not envelope.get("time"):
        return True  # kept no event: older than any that does
    return datetime.fromisoformat(envelope["time"]) < datetime.fromisoformat(event["time"])


def claimable(now: datetime) -> Any:
    return or_(
        (Delivery.status == "pending")
        & or_(Delivery.attempts == 0, Delivery.next_attempt_at <= now),
        (Delivery.status == "sending") & (Delivery.claimed_until < now),
    )


def due_for_sweep(now: datetime) -> Any:
    return or_(
        (Delivery.status == "pending") & (Delivery.next_attempt_at <= now),
        (Delivery.status == "sending") & (Delivery.claimed_until < now),
    )


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with equal jitter: base, 2x base, 4x base ... up to cap."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return random.uniform(ceiling / 2, ceiling)


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


FINAL = ("sent", "failed", "blocked")
# last_error of a delivery that cannot be built again (its row keeps no event).
UNBUILDABLE = "cannot be built again: recorded before deliveries kept their event; send it by hand"


@dataclass
class Outcome:
    """What became of one claimed delivery, recorded by Notifier._settle."""

    delivery_id: str
    status: str  # sent | failed | blocked | pending (transient failure: retried later)
    subject: str | None = None
    error: str | None = None
    blocked_reason: str | None = None
    claimed_from: str = "sending"
    next_attempt_at: datetime | None = None
    claim_token: str | None = None  # the claim we hold (rows we claimed for sending)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "status": self.status,
            "claimed_until": None,
            "blocked_reason": self.blocked_reason,
            "next_attempt_at": self.next_attempt_at,
        }
        if self.error is not None:  # a send that succeeds on retry keeps the error it overcame
            values["last_error"] = self.error[:4000]
        if self.subject is not None:
            values["subject"] = self.subject
        if self.status == "sent":
            values["sent_at"] = utcnow()
        return values


@dataclass(frozen=True)
class _Settled:
    """A held row as its outcome leaves it: what ``_sent_event`` reads of a row."""

    id: str
    kind: str
    role: str
    referral_id: str | None
    client_id: str
    intake_id: str
    status: str
    blocked_reason: str | None
    last_error: str | None

    @classmethod
    def of(cls, row: Delivery, outcome: Outcome) -> _Settled:
        values = outcome.values()
        return cls(
            id=row.id,
            kind=row.kind,
            role=row.role,
            referral_id=row.referral_id,
            client_id=row.client_id,
            intake_id=row.intake_id,
            status=values["status"],
            blocked_reason=values["blocked_reason"],
            last_error=values.get("last_error", row.last_error),
        )


def guard(rendered: RenderedEmail, email: PlannedEmail) -> list[scope_guard.Violation]:
    """Every word a client or clinician will read: subject, text, HTML and the PDF."""
    parts = {
        "subject": rendered.subject,
        "text": rendered.text,
        "html": scope_guard.visible_text(rendered.html),
    }
    if email.letter:
        parts["pdf"] = email.letter.plain()
    if email.program is not None:
        parts["program_pdf"] = email.program.plain()
    return scope_guard.check(parts, allowed=questionnaire_wording())


def moves_a_referral(row: Delivery | _Settled) -> bool:
    """Whether the email's fate is news to anyone: only a physician's email about a
    referral moves it (needed -> sent -> delivered, or the reason it stays needed); the
    referral service is the one reader of ``notification.sent`` and ignores the rest
    (inscope_referral.referrals). Client and trainer emails report nothing (issue 13:
    one event and one Celery task fewer per client); their rows keep their fate."""
    return row.role == "physician" and bool(row.referral_id)


def _sent_event(row: Delivery | _Settled, cause: dict[str, Any]) -> dict[str, Any]:
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


def failed_deliveries(session_factory: sessionmaker) -> list[dict[str, Any]]:
    """Failed deliveries for the operator (no address: the id, kind and why)."""
    with read_only(session_factory)() as session:
        rows = session.scalars(
            select(Delivery).where(Delivery.status == "failed").order_by(Delivery.created_at)
        ).all()
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "client_id": row.client_id,
            "event_id": row.event_id,
            "attempts": row.attempts,
            "error": row.last_error,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]
