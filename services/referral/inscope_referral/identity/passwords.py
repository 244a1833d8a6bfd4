"""The staff password policy (issue 12, item 5): at least 12 characters, and not a
common password, checked offline against a small list shipped with the package
(``data/common_passwords.txt``, written for this project) plus the obvious families a
list cannot hold (one repeated character, a run of digits or keyboard keys, a common
word padded with digits and punctuation, the account's own email)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from inscope_clinical.journey import Text
from inscope_common.web import N_

MIN_PASSWORD = 12
_PADDING = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$")
_RUNS = (
    "01234567890123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("inscope_referral").joinpath("data/common_passwords.txt").read_text()
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, email: str = "") -> Text | None:
    """Why this password is refused (``str()``: the English), or None when it is
    acceptable."""
    if len(password) < MIN_PASSWORD:
        return Text(N_("the password needs at least %(min)s characters"), min=str(MIN_PASSWORD))
    lowered = password.lower()
    core = _PADDING.match(lowered).group(1)  # type: ignore[union-attr]
    common = common_passwords()
    if lowered in common or core in common or core.replace(" ", "") in common:
        return Text(N_("the password is a common one: choose another (a few unrelated words "
                       "work)"))
    if len(set(lowered)) <= 2:
        return Text(N_("the password repeats one or two characters: choose another"))
    if any(lowered in run or lowered in run[::-1] for run in _RUNS):
        return Text(N_("the password is a run of keys or digits: choose another"))
    email = email.strip().lower()
    local = email.split("@")[0]
    near = len(local) >= 4 and local in lowered and len(lowered) - len(local) < 6
    own = core in (email, local) or near
    if email and own:
        return Text(N_("the password is too close to the account's email: choose another"))
    return None
