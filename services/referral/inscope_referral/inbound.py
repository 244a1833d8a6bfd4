"""Inbound referrals: a clinic refers a patient to the gym.

The record keeps the referring clinician's and the patient's contact details until the
front desk turns it into an intake; they never go on the bus.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from inscope_common.runtime import Runtime
from inscope_referral.models import InboundReferral


def intake_link(rt: Runtime, inbound_id: str) -> str:
    """Where the front desk starts the intake (the page comes with the web-pages issue)."""
    return f"{rt.settings.urls['intake']}/intakes/new?{urlencode({'inbound': inbound_id})}"


def receive_inbound(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    with rt.session_factory() as session, session.begin():
        row = InboundReferral(
            referrer=body["referrer"],
            patient=body["patient"],
            prescription=body["prescription"],
            restrictions=body["restrictions"],
            referral_date=body["referral_date"],
        )
        session.add(row)
        session.flush()
        return _as_dict(rt, row)


def get_inbound(rt: Runtime, inbound_id: str) -> dict[str, Any] | None:
    with rt.session_factory() as session:
        row = session.get(InboundReferral, inbound_id)
        return _as_dict(rt, row) if row else None


def _as_dict(rt: Runtime, row: InboundReferral) -> dict[str, Any]:
    return {
        "id": row.id,
        "intake_link": intake_link(rt, row.id),
        "received_at": row.received_at,
        "referrer": row.referrer,
        "patient": row.patient,
        "prescription": row.prescription,
        "restrictions": row.restrictions,
        "referral_date": row.referral_date,
    }
