"""Intake records. The intake service owns the client's identity and contact details;
no other service stores them."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from inscope_common.audit import declare_audit_model
from inscope_common.db import (
    NAMING_CONVENTION,
    UTCDateTime,
    declare_platform_models,
    new_id,
    utcnow,
)
from inscope_common.idempotency import declare_idempotency_model


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Name search keys compare byte-wise ("C" collation on PostgreSQL, SQLite's default
# BINARY), so a prefix is a plain index range whatever the database's locale.
NAME_KEY = String(100).with_variant(String(100, collation="C"), "postgresql")


def name_key(text: str) -> str:
    """How a name is searched: case and accents folded, spaces squeezed ("José" -> "jose")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # name_key(first_name) and name_key(last_name), indexed for the board's name search.
    first_key: Mapped[str] = mapped_column(NAME_KEY, index=True)
    last_key: Mapped[str] = mapped_column(NAME_KEY, index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    # The language the client reads (their emails; inscope_clinical.schemas
    # CLIENT_LANGUAGES). None: the facility's language (FACILITY_LANGUAGE).
    preferred_language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When an admin's erasure request removed the client's direct identifiers
    # (inscope_intake.client_records): the clinical record stays, marked by this.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Intake(Base):
    __tablename__ = "intakes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    # The validated intake document as the API accepted it (PAR-Q+, ACSM, red flags,
    # pain, history, physician, consent, notes).
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Corrections make new versions; the versions they replaced are in intake_versions.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The inbound referral (referral service) the desk started this intake from: erasure
    # reaches it through this id (inscope_intake.client_records).
    inbound_referral_id: Mapped[str | None] = mapped_column(String(64))
    # The staff member responsible for the client (issue 15 item 5): the clerk who
    # submitted the intake unless they chose another; may sign screening-only letters.
    responsible_id: Mapped[str | None] = mapped_column(String(64))
    responsible_name: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[Client] = relationship()


class IntakeVersion(Base):
    """A version of an intake that a correction replaced, kept as it was, with who
    corrected it, when and why."""

    __tablename__ = "intake_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    intake_id: Mapped[str] = mapped_column(ForeignKey("intakes.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the version replaced
    client: Mapped[dict[str, Any]] = mapped_column(JSON)  # identity as it was
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Who made the correction that replaced it, and why.
    corrected_by: Mapped[str] = mapped_column(String(64))
    corrected_by_name: Mapped[str] = mapped_column(String(200))
    corrected_by_role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)


class ScreeningStatus(Base):
    """The referral service's latest word on the client (``referral.status_changed``):
    the decision and the clinician's answer that ``inscope_clinical.journey`` reads for
    the confirmation page. No row, or an older version's: screening pending."""

    __tablename__ = "screening_status"
    intake_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    intake_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    decision_id: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What staff did about the decision's emergency (acknowledged, resolved).
    emergency: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentSignature(Base):
    """The client's signature under the consent, typed or drawn on the desk's tablet.
    Kept beside the intake (the API document has the typed name, time and version)."""

    __tablename__ = "consent_signatures"
    intake_id: Mapped[str] = mapped_column(ForeignKey("intakes.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # typed | drawn
    # The typed text, or the drawing as a PNG data URL.
    value: Mapped[str] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PrevisitLink(Base):
    """A pre-visit link the front desk sent a client (inscope_intake.previsit): who it
    was sent to, until when it opens, and what the client filled in with it (a draft
    the clerk reviews and completes at the desk; screening starts only then, or at once
    when the client reported an emergency-grade warning sign)."""

    __tablename__ = "previsit_links"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))
    # The language the link's email and page are in (the desk asks the client).
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    # Random per link: the link's signature covers it, so it cannot be guessed.
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_by: Mapped[str] = mapped_column(String(64))
    sent_by_name: Mapped[str] = mapped_column(String(200))
    # sent -> submitted (the client's draft is in) -> completed (the desk made the
    # intake); sent/submitted -> withdrawn.
    status: Mapped[str] = mapped_column(String(20), default="sent")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The client's answers as the form's fields (inscope_intake.intake_form), no
    # signature: the client signs at the desk.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    intake_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # "email": sent to the client's phone; "tablet": the desk handed its tablet to the
    # client (no email, no address; the same pages and the same draft).
    channel: Mapped[str] = mapped_column(String(10), default="email", server_default="email")


platform = declare_platform_models(Base)
AuditEntry = declare_audit_model(Base)
IdempotencyKey = declare_idempotency_model(Base)
