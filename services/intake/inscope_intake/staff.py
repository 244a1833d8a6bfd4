"""The staff members the front desk may name as responsible for a client (issue 15 item
5): accounts live in the referral service; the intake page reads their names and roles
as the signed-in clerk, with their own credential (inscope_common.auth.
forwarded_credential), as it reads an inbound referral."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from flask_babel import gettext

from inscope_common.auth import Principal
from inscope_common.web import code_words


def read_staff(referral_url: str, caller: dict[str, str]) -> list[dict[str, Any]] | None:
    """The active staff members (account id, name, role), or None when the referral
    service cannot be read: the form then offers only the clerk themself."""
    request = urllib.request.Request(
        f"{referral_url}/staff-members", headers={**caller, "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            body = json.load(response)
    except (OSError, ValueError, urllib.error.HTTPError):
        return None
    if not isinstance(body, list):
        return None
    return [m for m in body if isinstance(m, dict) and m.get("account_id") and m.get("name")]


def choices(principal: Principal, members: list[dict[str, Any]] | None) -> dict[str, str]:
    """The form's options: the clerk first (the default), then every other member."""
    options = {principal.account_id: gettext("You (%(name)s)", name=principal.name)}
    for member in members or []:
        if member["account_id"] != principal.account_id:
            role = code_words(member.get("role", ""))
            options[member["account_id"]] = f"{member['name']} ({role})" if role else member["name"]
    return options
