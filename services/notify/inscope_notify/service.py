"""Notify use cases: turn a ``referral.decided`` event into emails, each on record
before it is sent and never sent twice."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from inscope_common.config import ServiceSettings
from inscope_common.consumer import HandlerContext, PermanentError
from inscope_common.db import utcnow
from inscope_notify.mail import (
    EmailSender,
    PermanentSendError,
    TransientSendError,
    build_message,
    render,
)
from inscope_notify.messages import PlannedEmail, plan_emails
from inscope_notify.models import Delivery

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120


class DeliveryInFlight(RuntimeError):
    """Another worker holds this delivery right now: check again later."""


def message_id_for(event_id: str, kind: str) -> str:
    """Derived from the event, so a resend after a crash carries the same Message-ID.
    Kept under 78 characters with its header name so it is never folded."""
    return f"<{event_id}.{kind.split('_')[0]}@inscope.local>"


class Notifier:
    def __init__(
        self, settings: ServiceSettings, session_factory: sessionmaker, sender: EmailSender
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.sender = sender

    def on_referral_decided(self, ctx: HandlerContext, event: dict[str, Any]) -> None:
        decision = event["data"]
        contact = self.fetch_contact(decision["intake_id"])
        for email in plan_emails(decision, contact, self.settings.facility_name):
            delivery_id = self._ensure_delivery(event["id"], decision, email)
            self._send(delivery_id, email)

    def fetch_contact(self, intake_id: str) -> dict[str, Any]:
        """Contact details live only in the intake service; read them at send time."""
        url = f"{self.settings.urls['intake']}/internal/intakes/{intake_id}/contact"
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {self.settings.internal_token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 401, 403):
                raise PermanentError(f"intake contact {intake_id}: HTTP {exc.code}") from exc
            raise  # 5xx: retried with backoff

    def _ensure_delivery(self, event_id: str, decision: dict[str, Any], email: PlannedEmail) -> str:
        """Write the delivery row (committed) before any attempt to send."""
        existing = select(Delivery.id).where(
            Delivery.event_id == event_id, Delivery.kind == email.kind
        )
        try:
            with self.session_factory() as session, session.begin():
                found = session.scalar(existing)
                if found:
                    return found
                row = Delivery(
                    event_id=event_id,
                    kind=email.kind,
                    client_id=decision["client_id"],
                    decision_id=decision["decision_id"],
                    recipient=email.recipient,
                    message_id=message_id_for(event_id, email.kind),
                )
                session.add(row)
            return row.id
        except IntegrityError:  # a concurrent delivery of the same event got there first
            with self.session_factory() as session:
                return session.scalar(existing)

    def _claim(self, delivery_id: str) -> Delivery | None:
        now = utcnow()
        with self.session_factory() as session, session.begin():
            claimed = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    or_(
                        Delivery.status == "pending",
                        (Delivery.status == "sending") & (Delivery.claimed_until < now),
                    ),
                )
                .values(
                    status="sending",
                    claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=Delivery.attempts + 1,
                )
            ).rowcount
            return session.get(Delivery, delivery_id) if claimed else None

    def _send(self, delivery_id: str, email: PlannedEmail) -> None:
        row = self._claim(delivery_id)
        if row is None:
            with self.session_factory() as session:
                status = session.get(Delivery, delivery_id).status
            if status == "sending":
                raise DeliveryInFlight(f"delivery {delivery_id} is being sent elsewhere")
            return  # sent or failed for good already: never send twice
        rendered = render(email.template, email.context)
        message = build_message(
            rendered,
            sender=self.settings.mail_from,
            recipient=row.recipient,
            message_id=row.message_id,
        )
        try:
            self.sender.send(message)
        except PermanentSendError as exc:
            self._finish(delivery_id, status="failed", error=str(exc), subject=rendered.subject)
            log.error("delivery %s failed permanently: %s", delivery_id, exc)
            return
        except TransientSendError as exc:
            self._finish(delivery_id, status="pending", error=str(exc), subject=rendered.subject)
            raise
        self._finish(delivery_id, status="sent", error=None, subject=rendered.subject)

    def _finish(self, delivery_id: str, *, status: str, error: str | None, subject: str) -> None:
        values: dict[str, Any] = {
            "status": status,
            "last_error": error,
            "subject": subject,
            "claimed_until": None,
        }
        if status == "sent":
            values["sent_at"] = utcnow()
        with self.session_factory() as session, session.begin():
            session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


def deliveries_of(session_factory: sessionmaker, client_id: str) -> list[Delivery]:
    with session_factory() as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(Delivery.client_id == client_id)
                .order_by(Delivery.created_at)
            )
        )
