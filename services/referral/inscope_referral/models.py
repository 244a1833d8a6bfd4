"""Referral records: each client's case, and every decision with its reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
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


class ClientCase(Base):
    """What the referral engine knows of one client: the screening answers from the
    intake (no identifiers) and the latest scored assessment."""

    __tablename__ = "client_cases"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    intake_id: Mapped[str] = mapped_column(String(64), index=True)
    screening: Mapped[dict[str, Any]] = mapped_column(JSON)
    age_years: Mapped[int | None] = mapped_column(Integer)
    consent: Mapped[dict[str, bool]] = mapped_column(JSON)
    has_physician_contact: Mapped[bool] = mapped_column(Boolean)
    assessment_id: Mapped[str | None] = mapped_column(String(64))
    # The staff account responsible for the client (the intake's; issue 15 item 5): it
    # may sign screening-only letters (FACILITY_SCREENING_SIGNER).
    responsible_id: Mapped[str | None] = mapped_column(String(64))
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scoring: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The intake's version screened (intake.corrected makes new ones) and when it arrived:
    # referrals opened before it belong to an older version.
    intake_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    version_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The board's row, kept by inscope_referral.board_index whenever a decision, a
    # referral or an emergency action of the client changes: the journey's status, the
    # sort key (urgency rank, then the longest waiting first) and the latest referral's
    # status, so the board sorts, filters and pages in SQL at any number of clients.
    board_status: Mapped[str] = mapped_column(String(30), default="screening_pending")
    board_rank: Mapped[int] = mapped_column(Integer, default=3)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decision_id: Mapped[str | None] = mapped_column(String(64))
    referral_status: Mapped[str | None] = mapped_column(String(20))
    # The latest decision has flags staff must confirm or dismiss (DEC-2 / DEC-3).
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        Index("ix_client_cases_board_order", "board_rank", "waiting_since", "client_id"),
        Index(
            "ix_client_cases_board_status_order",
            "board_status",
            "board_rank",
            "waiting_since",
            "client_id",
        ),
        Index(
            "ix_client_cases_board_review_order",
            "needs_review",
            "board_rank",
            "waiting_since",
            "client_id",
        ),
        Index(
            "ix_client_cases_board_referral_order",
            "referral_status",
            "board_rank",
            "waiting_since",
            "client_id",
        ),
    )


class AssessmentRecord(Base):
    """Each scored assessment of a client in figures (inscope_clinical.trends.summary):
    the re-assessment trend on the client page and in progress reports. One row per
    assessment; rows are only added (a redelivered event finds its row)."""

    __tablename__ = "assessment_records"
    assessment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("client_cases.client_id"), index=True)
    intake_id: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class EmergencyAction(Base):
    """Staff acknowledging, then resolving with a note, the emergency of one decision
    (who, role, when). Rows are only added. Resolving never unlocks training: the
    journey then waits for a physician's clearance."""

    __tablename__ = "emergency_actions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("client_cases.client_id"), index=True)
    decision_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(20))  # acknowledged | resolved
    note: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[str] = mapped_column(String(64))
    account_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("client_cases.client_id"), index=True)
    intake_id: Mapped[str] = mapped_column(String(64))
    assessment_id: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(20))  # screening | assessment
    outcome: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    target: Mapped[str | None] = mapped_column(String(40))
    program_state: Mapped[str | None] = mapped_column(String(60))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    flags: Mapped[list[str]] = mapped_column(JSON)
    program: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Every target the client needs (SYS-2 names one headline target) and the intensity
    # cap while clearance is pending.
    referrals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    intensity_cap: Mapped[str | None] = mapped_column(String(20))
    engine_version: Mapped[str | None] = mapped_column(String(40))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Who signs its letter and client email (``referral.decided``'s ``signed_by``): the
    # answer page's letter is signed as the emailed one.
    signed_by: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    intake_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Set when a corrected intake replaced the version this decision was made on.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_reason: Mapped[str | None] = mapped_column(Text)


class Referral(Base):
    """One referral to a clinician, tracked from needed to closed (see lifecycle)."""

    __tablename__ = "referrals"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("client_cases.client_id"), index=True)
    intake_id: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), index=True)
    # The client flow's correlation id, carried by every event about this referral.
    correlation_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))  # refer | clearance
    target: Mapped[str | None] = mapped_column(String(40))
    urgency: Mapped[str] = mapped_column(String(20))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Why the letter did not go out (REF-4: no consent, no contact; a failed send).
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The letter's version: a newer decision for the client that asks the same clinician
    # the same thing updates this referral's letter (same link) instead of opening a
    # second one; the answer page always shows the latest (issue 9 item 2).
    letter_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    letter_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of every answer token: rotating it revokes the tokens issued so far.
    token_nonce: Mapped[str] = mapped_column(String(64))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # DEC-7: the program built within the clinician's clearing answer, once the client
    # is assessed (the decision itself still names the referral, so carries none).
    program: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    needed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class InboundReferral(Base):
    """A clinic referring a patient to the gym, waiting for the front desk's intake.

    It holds direct identifiers (the patient's and clinician's contact details): they
    never leave this table on the bus."""

    __tablename__ = "inbound_referrals"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    referrer: Mapped[dict[str, Any]] = mapped_column(JSON)
    patient: Mapped[dict[str, Any]] = mapped_column(JSON)
    prescription: Mapped[str | None] = mapped_column(Text)
    restrictions: Mapped[dict[str, Any]] = mapped_column(JSON)
    referral_date: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Account(Base):
    """A staff member who signs in (docs/accounts-and-security.md)."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # front_desk | trainer | admin
    # argon2id, as argon2-cffi encodes it (parameters and salt included).
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The staff profile a letter or email is signed with (issue 15 item 5): the
    # professional credential and the registration number, as the person holds them.
    credential: Mapped[str | None] = mapped_column(String(300))
    registration: Mapped[str | None] = mapped_column(String(120))
    # Optional second factor (RFC 6238 TOTP, pyotp): the shared secret, and the last
    # time step a code was accepted for (a code is good once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)


class LoginFailure(Base):
    """A failed sign-in, kept to limit attempts per account and per address."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Revocation(Base):
    """An entry of the staff credentials' revocation list (inscope_common.revocation):
    one session or API token (``cred:<id>``), or every credential of an account issued
    before ``before`` (``account:<id>``). Kept until ``until``, when what it names has
    expired anyway."""

    __tablename__ = "revocations"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    before: Mapped[float | None] = mapped_column(Float)
    until: Mapped[float] = mapped_column(Float, index=True)
    reason: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    """An API token issued to an account: named, expiring, revocable (the token itself
    is never stored, only its id, which the signed token carries)."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))


platform = declare_platform_models(Base)
AuditEntry = declare_audit_model(Base)
