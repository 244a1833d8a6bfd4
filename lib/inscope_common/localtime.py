"""The facility's time zone, date format and paper size: every time a person reads (pages,
emails, letters) is shown in the facility's zone, never in UTC.

Settings (the same in every service, read by ``Locale.from_env``):

- ``FACILITY_TIME_ZONE``: an IANA zone name (``Europe/Warsaw``, ``America/Chicago``);
  default ``UTC``. Stored times stay UTC; only what is shown moves.
- ``FACILITY_LOCALE``: ``en-US`` (MM/DD/YYYY, US Letter), ``en-GB`` (DD/MM/YYYY, A4),
  ``en-CA``/``en-AU``/``en-IE`` and the European locales below (day first, A4). Unset: ISO
  8601 dates (YYYY-MM-DD, read the same everywhere) on US Letter, as before.
- ``FACILITY_PAPER``: ``A4`` or ``Letter``, overriding the locale's paper.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inscope_common.config import ConfigError

ISO = "iso"
# locale -> (date format, paper). strftime codes without platform-specific flags.
LOCALES: dict[str, tuple[str, str]] = {
    ISO: ("%Y-%m-%d", "Letter"),
    "en-US": ("%m/%d/%Y", "Letter"),
    "en-CA": ("%Y-%m-%d", "Letter"),
    "en-GB": ("%d/%m/%Y", "A4"),
    "en-IE": ("%d/%m/%Y", "A4"),
    "en-AU": ("%d/%m/%Y", "A4"),
    "de-DE": ("%d.%m.%Y", "A4"),
    "pl-PL": ("%d.%m.%Y", "A4"),
    "fr-FR": ("%d/%m/%Y", "A4"),
    "el-GR": ("%d/%m/%Y", "A4"),
    "vi-VN": ("%d/%m/%Y", "A4"),
}
PAPERS = ("A4", "Letter")


@dataclass(frozen=True)
class Locale:
    time_zone: str = "UTC"
    locale: str = ISO
    paper: str = "Letter"
    # UTC needs no time-zone database (a slim image may lack one); other zones use the
    # system's or the tzdata package's.
    zone: tzinfo = field(default=UTC, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Locale:
        env = os.environ if env is None else env
        name = (env.get("FACILITY_TIME_ZONE") or "UTC").strip()
        try:
            zone: tzinfo = UTC if name in ("UTC", "Etc/UTC") else ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"FACILITY_TIME_ZONE must be an IANA time zone such as Europe/Warsaw, got {name!r}"
            ) from exc
        locale = (env.get("FACILITY_LOCALE") or ISO).strip()
        match = {k.lower(): k for k in LOCALES}.get(locale.lower().replace("_", "-"))
        if match is None:
            raise ConfigError(
                f"FACILITY_LOCALE must be one of {', '.join(sorted(LOCALES))}, got {locale!r}"
            )
        paper = (env.get("FACILITY_PAPER") or LOCALES[match][1]).strip()
        papers = {p.lower(): p for p in PAPERS}
        if paper.lower() not in papers:
            raise ConfigError(f"FACILITY_PAPER must be A4 or Letter, got {paper!r}")
        return cls(time_zone=name, locale=match, paper=papers[paper.lower()], zone=zone)

    @property
    def date_format(self) -> str:
        return LOCALES[self.locale][0]

    def local(self, value: datetime | str) -> datetime:
        """An aware (or naive UTC, or ISO text) instant in the facility's zone."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.zone)

    def today(self, now: datetime | None = None) -> date:
        """The facility's calendar date now (a letter written at 23:30 in Chicago is
        dated that day, not tomorrow's UTC date)."""
        return self.local(now or datetime.now(UTC)).date()

    def date(self, value: date | datetime | str | None) -> str:
        """A calendar date in the locale's format; an instant is first moved to the zone."""
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            if "T" in value or " " in value.strip():
                value = self.local(value)
            else:
                value = date.fromisoformat(value[:10])
        if isinstance(value, datetime):
            value = self.local(value).date()
        return value.strftime(self.date_format)

    def datetime(self, value: datetime | str | None) -> str:
        """``03/12/2026 14:05 CET``: date, 24-hour time and the zone's abbreviation."""
        if value is None or value == "":
            return ""
        moment = self.local(value)
        return (
            f"{moment.strftime(self.date_format)} {moment.strftime('%H:%M')} {self._abbr(moment)}"
        )

    def time(self, value: datetime | str | None, seconds: bool = False) -> str:
        if value is None or value == "":
            return ""
        moment = self.local(value)
        return f"{moment.strftime('%H:%M:%S' if seconds else '%H:%M')} {self._abbr(moment)}"

    @staticmethod
    def _abbr(moment: datetime) -> str:
        name = moment.tzname() or ""
        # Zones without an abbreviation print "+03"; make it read as an offset.
        return f"UTC{name}" if name[:1] in "+-" else name


def install_filters(jinja_env, locale: Locale) -> None:  # noqa: ANN001 - a jinja2 Environment
    """``{{ at | local_datetime }}``, ``| local_date``, ``| local_time`` in templates."""
    jinja_env.filters["local_datetime"] = locale.datetime
    jinja_env.filters["local_date"] = locale.date
    jinja_env.filters["local_time"] = locale.time
    jinja_env.globals["facility_locale"] = locale
