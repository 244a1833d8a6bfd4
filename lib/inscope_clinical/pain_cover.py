"""DEC-5: a free-text mention of a pain that a structured pain row already covers does
not re-trigger RF-4.

Kept apart from the free-text matcher (free_text.py) on purpose: whichever matcher
finds a plain "pain" mention calls ``covering_row`` before grading it.
"""

from __future__ import annotations

import re
from typing import Any

from .regions import PARTS, non_msk_region

_CLAUSE = re.compile(r"[.;:!?\n]")


def _clause(text: str, start: int, end: int) -> str:
    before = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    after = _CLAUSE.search(text, end)
    return text[before:after.start() if after else len(text)]


def _parts(text: str) -> set[str]:
    return {p.name for p in PARTS if p.pattern.search(text)}


def covering_row(intake: dict[str, Any], text: str, start: int, end: int) -> int | None:
    """The index of the structured musculoskeletal pain row a plain pain mention at
    ``text[start:end]`` describes, or None. The mention is covered when its clause
    names a body part of that row, or names no body part at all while a row exists;
    a clause naming a body part no row has is not covered (it may be a new pain)."""
    rows = [(i, _parts(row.get("region") or "")) for i, row in enumerate(intake.get("pain") or [])
            if not non_msk_region(row.get("region"), exertional=True)]
    if not rows:
        return None
    clause = _clause(text, start, end)
    if non_msk_region(clause, exertional=True):
        return None
    named = _parts(clause)
    if not named:
        return rows[0][0]
    for i, parts in rows:
        if parts & named:
            return i
    return None
