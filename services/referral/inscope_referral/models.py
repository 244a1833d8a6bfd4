"""Referral records: each client's case, and every decision with its reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inscope_common.db import UTCDateTime, declare_platform_models, new_id, utcnow


class Base(DeclarativeBase):
    pass


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
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scoring: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


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


platform = declare_platform_models(Base)
