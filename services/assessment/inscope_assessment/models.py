"""Assessment records: what the trainer observed and what the scoring made of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class KnownIntake(Base):
    """An intake this service heard of, so trainers can see who awaits assessment, and
    the referral service's latest word on the client (``referral.status_changed``):
    the decision and the clinician's answer that ``inscope_clinical.journey`` reads to
    say whether the client may be assessed (DEC-6). No decision yet: screening pending."""

    __tablename__ = "known_intakes"
    intake_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    intake_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    decision_id: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What staff did about the decision's emergency (acknowledged, resolved).
    emergency: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # When the referral service's status was computed (keeps the newest on reordering).
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Assessment(Base):
    __tablename__ = "assessments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    intake_id: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="recorded")  # recorded | scored
    scoring: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who assessed: the signed-in trainer's account id (the referral service's accounts),
    # carried in assessment.scored so letters and emails are signed by them.
    assessed_by: Mapped[str | None] = mapped_column(String(64))


platform = declare_platform_models(Base)
AuditEntry = declare_audit_model(Base)
IdempotencyKey = declare_idempotency_model(Base)
