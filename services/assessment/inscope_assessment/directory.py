"""Client names for the trainer's pages, read from the intake service over HTTP.

The assessment service keeps no names (README, PHI boundary): the page asks the intake
service as the signed-in trainer, with the trainer's own credential
(inscope_common.auth.forwarded_credential: this service cannot mint one), so the intake
service checks the role and audits the read under the trainer's name.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote

MAX_LOOKUPS = 50


def client_names(
    intake_url: str, caller: dict[str, str], intake_ids: list[str]
) -> dict[str, str]:
    """{intake id: "First Last"} for the intakes the intake service could show; a missing
    entry means the page shows the client id instead."""
    names: dict[str, str] = {}
    for intake_id in intake_ids[:MAX_LOOKUPS]:
        request = urllib.request.Request(
            f"{intake_url}/intakes/{quote(intake_id, safe='')}",
            headers={**caller, "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                client = json.load(response).get("client") or {}
        except (OSError, ValueError, urllib.error.HTTPError):
            continue
        names[intake_id] = f"{client.get('first_name', '')} {client.get('last_name', '')}".strip()
    return names


def intake_exists(
    intake_url: str, caller: dict[str, str], intake_id: str
) -> bool | None:
    """Whether the intake service knows this intake (its screening status, no names),
    asked as the caller (``caller``: forwarded_credential()); None when it could not be
    asked."""
    request = urllib.request.Request(
        f"{intake_url}/intakes/{quote(intake_id, safe='')}/status",
        headers={**caller, "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=2):
            return True
    except urllib.error.HTTPError as exc:
        exc.close()
        return False if exc.code == 404 else None
    except (OSError, ValueError):
        return None
