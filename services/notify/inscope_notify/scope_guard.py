"""The scope guard: no client email or letter names a pathology, a cause or a cure.

Pure (no I/O beyond reading its own term list once). ``check`` reads every part of a
message (subject, text, HTML, the PDF's text) against ``scope_terms.json``, the
maintained list of diagnostic terms and phrasings (SCOPE-2, SCOPE-3). A violation
blocks the send; the caller records why.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # pathology | phrasing
    pattern: re.Pattern[str]
    why: str
    example: str


@dataclass(frozen=True)
class TermList:
    version: str
    entries: tuple[Entry, ...]
    safe_wording: tuple[str, ...]

    @property
    def any_entry(self) -> re.Pattern[str]:
        """All entries as one pattern: one pass finds whether a text is clean (the
        usual case); only a hit pays for naming every entry that matched."""
        return _union(tuple(e.pattern.pattern for e in self.entries))


@lru_cache(maxsize=8)
def _union(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@lru_cache(maxsize=64)
def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    ordered = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(re.escape(p) for p in ordered), re.IGNORECASE)


@dataclass(frozen=True)
class Violation:
    part: str
    entry_id: str
    kind: str
    found: str
    why: str

    def describe(self) -> str:
        return f'{self.part}: {self.kind} "{self.found}" ({self.entry_id}: {self.why})'


def parse_terms(document: Mapping[str, object]) -> TermList:
    entries = [
        Entry(
            item["id"],
            kind,
            re.compile(item["pattern"], re.IGNORECASE),
            item["why"],
            item.get("example", ""),
        )
        for kind, key in (("pathology", "pathologies"), ("phrasing", "phrasings"))
        for item in document[key]  # type: ignore[attr-defined]
    ]
    safe = tuple(normalise(s) for s in document.get("safe_wording", []))  # type: ignore[attr-defined]
    return TermList(str(document.get("version", "")), tuple(entries), safe)


@lru_cache(maxsize=1)
def default_terms() -> TermList:
    raw = resources.files("inscope_notify").joinpath("scope_terms.json").read_text("utf-8")
    return parse_terms(json.loads(raw))


def normalise(text: str) -> str:
    """One space between words, straight quotes: wrapped lines and typography never
    hide a phrase."""
    return " ".join(text.translate(_QUOTES).split())


def visible_text(markup: str) -> str:
    """What a reader of the HTML part sees: tags dropped, entities decoded."""
    return html.unescape(_TAGS.sub(" ", markup))


def _mask(text: str, phrases: Iterable[str]) -> str:
    """Blank out wording we vouch for, keeping the positions and word boundaries."""
    pattern = _phrases(tuple(phrases))
    if pattern is None:
        return text
    return pattern.sub(lambda m: "\u00b7" * len(m.group(0)), text)


def check(
    parts: Mapping[str, str],
    *,
    allowed: Iterable[str] = (),
    terms: TermList | None = None,
) -> list[Violation]:
    """Every violation in every part. ``allowed`` is quoted questionnaire wording (our
    own constants, never event data): the client's answer to a question that names a
    condition is reported, not diagnosed."""
    terms = terms or default_terms()
    vouched = list(terms.safe_wording) + [normalise(a) for a in allowed]
    found: list[Violation] = []
    any_entry = terms.any_entry
    for part, raw in parts.items():
        text = normalise(raw)
        # Masking only ever removes matches: a text clean before it is clean after it,
        # and most texts are clean, so most never pay for the masking.
        if not any_entry.search(text):
            continue
        text = _mask(text, vouched)
        for entry in terms.entries:
            for match in entry.pattern.finditer(text):
                found.append(Violation(part, entry.id, entry.kind, match.group(0), entry.why))
    return found


def summary(violations: list[Violation], limit: int = 3) -> str:
    """The reason recorded on a blocked delivery."""
    shown = "; ".join(v.describe() for v in violations[:limit])
    more = f" (+{len(violations) - limit} more)" if len(violations) > limit else ""
    return f"scope guard: {shown}{more}"
