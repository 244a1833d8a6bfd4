"""Dates that make sense: a date of birth giving a plausible age, and no date on an
intake in the future or before the client was born (pure; the caller passes today).

Problems come back as marshmallow-style nested messages (``{"client": {"date_of_birth":
[...]}}``, list rows keyed by index), so the API and the pages report them exactly like
the schema's own per-field errors, each message naming its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

MIN_AGE_YEARS = 14
MAX_AGE_YEARS = 100
# A consent signed a little "in the future" is a clock skew between the desk's tablet
# and the server, not an error.
CLOCK_SKEW = dt.timedelta(hours=1)


def age_on(date_of_birth: dt.date, today: dt.date) -> int:
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _put(errors: dict[Any, Any], path: tuple[Any, ...], message: str) -> None:
    node = errors
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node.setdefault(path[-1], []).append(message)


def date_problems(
    client: dict[str, Any],
    intake: dict[str, Any],
    today: dt.date,
    *,
    now: dt.datetime | None = None,
    min_age: int = MIN_AGE_YEARS,
    max_age: int = MAX_AGE_YEARS,
) -> dict[Any, Any]:
    """Every date of a loaded intake request checked for sense; {} when all are fine."""
    errors: dict[Any, Any] = {}
    dob = _date(client.get("date_of_birth"))
    if dob is not None:
        if dob > today:
            _put(errors, ("client", "date_of_birth"),
                 f"Date of birth {dob.isoformat()} is in the future.")
        else:
            age = age_on(dob, today)
            if not min_age <= age <= max_age:
                _put(errors, ("client", "date_of_birth"),
                     f"Date of birth {dob.isoformat()} gives an age of {age}; clients must be "
                     f"{min_age} to {max_age} years old. Check the year.")
    plausible_dob = dob if dob is not None and dob <= today else None

    def check(path: tuple[Any, ...], label: str, value: Any) -> None:
        day = _date(value)
        if day is None:
            return
        if day > today:
            _put(errors, path, f"{label} {day.isoformat()} is in the future.")
        elif plausible_dob is not None and day < plausible_dob:
            _put(errors, path, f"{label} {day.isoformat()} is before the date of birth "
                               f"({plausible_dob.isoformat()}).")

    parq = intake.get("parq") or {}
    check(("intake", "parq", "completed_on"), "PAR-Q+ completed on", parq.get("completed_on"))
    history = intake.get("history") or {}
    for i, row in enumerate(history.get("surgeries") or []):
        check(("intake", "history", "surgeries", i, "date"), "Surgery date", row.get("date"))
    for i, row in enumerate(history.get("injuries") or []):
        check(("intake", "history", "injuries", i, "date"), "Injury date", row.get("date"))
    for i, row in enumerate(history.get("physical_therapy") or []):
        check(("intake", "history", "physical_therapy", i, "discharge_date"),
              "Discharge date", row.get("discharge_date"))
    signed = (intake.get("consent") or {}).get("signed_at")
    if isinstance(signed, str) and signed:
        try:
            at = dt.datetime.fromisoformat(signed)
        except ValueError:
            at = None
        if at is not None:
            if at.tzinfo is None:
                at = at.replace(tzinfo=dt.UTC)
            current = now or dt.datetime.combine(today, dt.time.max, tzinfo=dt.UTC)
            if at > current + CLOCK_SKEW:
                _put(errors, ("intake", "consent", "signed_at"),
                     f"Consent signed at {signed} is in the future.")
            elif plausible_dob is not None and at.date() < plausible_dob:
                _put(errors, ("intake", "consent", "signed_at"),
                     f"Consent signed at {signed} is before the date of birth.")
    return errors
