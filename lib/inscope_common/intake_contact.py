"""The one service-to-service read of directly identifying data: a client's contact
record, owned by the intake service and read at the moment it is needed (README, PHI
boundary). Notify reads it to send; the referral service to show the physician's page."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from inscope_common.config import ServiceSettings
from inscope_common.service_auth import signer_for

# The intake service answers these for an unknown intake or a refused token: retrying
# cannot help.
PERMANENT_STATUSES = (401, 403, 404)


class ContactUnavailable(RuntimeError):
    """The intake service could not say who the client is."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def permanent(self) -> bool:
        return self.status in PERMANENT_STATUSES


def fetch_contact(settings: ServiceSettings, intake_id: str, timeout: float = 5) -> dict[str, Any]:
    """``GET {INTAKE_URL}/internal/intakes/<id>/contact`` with this service's own
    credential (inscope_common.service_auth)."""
    return _internal_read(settings, "intakes", intake_id, "intake contact", timeout)


def fetch_previsit_contact(
    settings: ServiceSettings, link_id: str, timeout: float = 5
) -> dict[str, Any]:
    """``GET {INTAKE_URL}/internal/previsit/<id>/contact``: who a pre-visit link is for
    (name, address, whether it still waits for the client), with this service's own
    credential."""
    return _internal_read(settings, "previsit", link_id, "pre-visit link", timeout)


def _internal_read(
    settings: ServiceSettings, kind: str, key: str, what: str, timeout: float
) -> dict[str, Any]:
    quoted = urllib.parse.quote(key, safe="")
    request = urllib.request.Request(
        f"{settings.urls['intake']}/internal/{kind}/{quoted}/contact",
        headers=signer_for(settings).headers("intake"),
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ContactUnavailable(f"{what} {key}: HTTP {exc.code}", exc.code) from exc
    except (OSError, ValueError) as exc:  # URLError is an OSError
        raise ContactUnavailable(f"{what} {key}: {exc}") from exc
