"""An inbound referral (a clinic referring a patient to the gym) as the start of an
intake: the referral service keeps it; the intake page reads it as the signed-in front
desk, with their own credential (inscope_common.auth.forwarded_credential), to fill in
what the clinic sent."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

CLIENT_FIELDS = ("first_name", "last_name", "date_of_birth", "email", "phone")
PHYSICIAN_FIELDS = ("name", "clinic", "email", "phone")


def read_inbound(
    referral_url: str, caller: dict[str, str], inbound_id: str
) -> dict[str, Any] | None:
    """The inbound referral, or None when it cannot be read (unknown, unreachable)."""
    request = urllib.request.Request(
        f"{referral_url}/referrals/inbound/{quote(inbound_id, safe='')}",
        headers={**caller, "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            body = json.load(response)
    except (OSError, ValueError, urllib.error.HTTPError):
        return None
    return body if isinstance(body, dict) else None


def form_values(inbound: dict[str, Any]) -> dict[str, str]:
    """The intake form's fields the clinic's referral fills in."""
    patient = inbound.get("patient") or {}
    referrer = inbound.get("referrer") or {}
    values = {f"client.{k}": str(patient[k]) for k in CLIENT_FIELDS if patient.get(k)}
    values.update(
        {f"intake.physician.{k}": str(referrer[k]) for k in PHYSICIAN_FIELDS if referrer.get(k)}
    )
    return values
