"""What the staff pages read from other services over HTTP, as the signed-in person
(a short-lived token with their own claims: the other service checks the role and
audits the read under their name). The referral service keeps no names (PHI boundary)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode

from inscope_common.auth import Credentials, Principal

TOKEN_TTL_S = 60
MAX_LOOKUPS = 200


class Reader:
    def __init__(self, urls: dict[str, str], credentials: Credentials, principal: Principal):
        self.urls = urls
        self.token = credentials.api_token(principal, ttl_s=TOKEN_TTL_S)

    def get(self, service: str, path: str) -> Any | None:
        request = urllib.request.Request(
            f"{self.urls[service]}{path}",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                return json.load(response)
        except (OSError, ValueError, urllib.error.HTTPError):
            return None

    def client_names(self, intake_ids: list[str]) -> dict[str, str]:
        """{intake id: "First Last"}; missing when the intake service could not say."""
        names = {}
        for intake_id in intake_ids[:MAX_LOOKUPS]:
            body = self.get("intake", f"/intakes/{quote(intake_id, safe='')}")
            client = (body or {}).get("client") or {}
            if client:
                names[intake_id] = f"{client.get('first_name', '')} {client.get('last_name', '')}"
        return names

    def deliveries(self, client_id: str) -> list[dict[str, Any]] | None:
        """The emails the notify service sent about the client (None: unreachable)."""
        body = self.get("notify", f"/deliveries?{urlencode({'client': client_id})}")
        return body if isinstance(body, list) else None
