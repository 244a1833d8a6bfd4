"""The staff password policy (issue 12, item 5): at least 12 characters, and not a
common password, checked offline against a small list shipped with the package
(``data/common_passwords.txt``, written for this project) plus the obvious families a
list cannot hold (one repeated character, a run of digits or keyboard keys, a common
word padded with digits and punctuation, the account's own email)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

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


def password_problem(password: str, email: str = "") -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return f"the password needs at least {MIN_PASSWORD} characters"
    lowered = password.lower()
    core = _PADDING.match(lowered).group(1)  # type: ignore[union-attr]
    common = common_passwords()
    if lowered in common or core in common or core.replace(" ", "") in common:
        return "the password is a common one: choose another (a few unrelated words work)"
    if len(set(lowered)) <= 2:
        return "the password repeats one or two characters: choose another"
    if any(lowered in run or lowered in run[::-1] for run in _RUNS):
        return "the password is a run of keys or digits: choose another"
    email = email.strip().lower()
    local = email.split("@")[0]
    near = len(local) >= 4 and local in lowered and len(lowered) - len(local) < 6
    own = core in (email, local) or near
    if email and own:
        return "the password is too close to the account's email: choose another"
    return None
