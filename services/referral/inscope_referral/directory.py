"""What the staff pages read from other services over HTTP, as the signed-in person,
with their own credential (inscope_common.auth.forwarded_credential: the other service
checks the role and audits the read under their name; no token is minted for them). The
referral service keeps no names (PHI boundary)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

MAX_NAMES = 200


class Reader:
    def __init__(self, urls: Mapping[str, str], caller: dict[str, str]):
        self.urls = urls
        self.caller = caller

    def _call(self, service: str, path: str, body: Any | None = None) -> Any | None:
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.caller, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            f"{self.urls[service]}{path}", data=data, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                return json.load(response)
        except (OSError, ValueError, urllib.error.HTTPError):
            return None

    def get(self, service: str, path: str) -> Any | None:
        return self._call(service, path)

    def client_names(self, client_ids: list[str]) -> dict[str, dict[str, Any]] | None:
        """{client id: {first_name, last_name, physician}} for one page of clients, in
        one call to the intake service; None when it could not say."""
        if not client_ids:
            return {}
        body = self._call("intake", "/clients/names", {"client_ids": client_ids[:MAX_NAMES]})
        if not isinstance(body, dict):
            return None
        return {c["client_id"]: c for c in body.get("clients") or []}

    def search_clients(self, query: str) -> tuple[list[str], bool] | None:
        """Client ids whose name matches ``query`` (the intake service owns names), and
        whether there were more than it returns; None when it could not say."""
        body = self._call("intake", f"/clients/search?{urlencode({'q': query})}")
        if not isinstance(body, dict):
            return None
        return list(body.get("client_ids") or []), bool(body.get("truncated"))

    def deliveries(self, client_id: str) -> list[dict[str, Any]] | None:
        """The emails the notify service sent about the client (None: unreachable)."""
        body = self.get("notify", f"/deliveries?{urlencode({'client': client_id})}")
        return body if isinstance(body, list) else None

    def review(self, intake_id: str, body: dict[str, Any]) -> tuple[int | None, Any]:
        """POST a review choice to the intake service: (status, JSON body); (None,
        None) when it could not be reached."""
        request = urllib.request.Request(
            f"{self.urls['intake']}/intakes/{quote(intake_id, safe='')}/review",
            data=json.dumps(body).encode(),
            headers={**self.caller, "Accept": "application/json",
                     "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.load(exc)
            except ValueError:
                return exc.code, None
        except (OSError, ValueError):
            return None, None
