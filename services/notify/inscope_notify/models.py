"""Delivery rows: one per email, written before the send (after healthchecks' Flip and
Notification rows), so every send is on record and none is sent twice. Referral letters
are kept so a reminder can repeat the letter the physician was sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inscope_common.audit import declare_audit_model
from inscope_common.db import (
    NAMING_CONVENTION,
    UTCDateTime,
    declare_platform_models,
    new_id,
    utcnow,
)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(String(64), index=True)
    # client_update | physician_referral | client_answer | trainer_answer |
    # physician_reminder | physician_progress
    kind: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))  # client | physician | trainer
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    intake_id: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[str | None] = mapped_column(String(64))
    referral_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # The address only (README, PHI boundary); none when there is nobody to write to.
    recipient: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(300))
    # pending -> sending -> sent | failed (permanent SMTP error, or the retry budget
    # spent; a resend puts it back to pending) | pending again (transient failure, due
    # at next_attempt_at); pending -> blocked (no consent, no contact, the scope guard);
    # a physician letter pending or failed -> superseded (a newer letter to the same
    # clinician replaced it before it went out).
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When retry_due (the notify relay) picks a pending row up; retries wait here, in
    # the database, not in the broker.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # When the current retry budget started (first attempt, or the last resend).
    retry_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The event the email answers (no direct identifiers: events carry none), so a
    # retry can build the same email again.
    envelope: Mapped[dict | None] = mapped_column(JSON)
    # Set by each claim, so a worker knows which of an event's rows it holds.
    claim_token: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReferralLetter(Base):
    """The decision behind a referral (no direct identifiers: events carry none), kept
    so a reminder can repeat the letter."""

    __tablename__ = "referral_letters"
    referral_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    decision: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


platform = declare_platform_models(Base)
AuditEntry = declare_audit_model(Base)
