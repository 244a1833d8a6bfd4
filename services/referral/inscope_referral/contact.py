"""Who the client and their physician are: read from the intake service when a page
needs them, never stored here (the PHI boundary, see README)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from inscope_common.config import ServiceSettings


class ContactUnavailable(RuntimeError):
    """Intake could not say who the client is right now."""


def fetch_contact(settings: ServiceSettings, intake_id: str) -> dict[str, Any]:
    """The intake's contact record (as notify's Notifier.fetch_contact reads it)."""
    quoted = urllib.parse.quote(intake_id, safe="")
    url = f"{settings.urls['intake']}/internal/intakes/{quoted}/contact"
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {settings.internal_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)
    except (OSError, ValueError) as exc:  # URLError/HTTPError are OSErrors
        raise ContactUnavailable(f"intake contact {intake_id}: {exc}") from exc
