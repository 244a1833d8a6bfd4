"""SYS-7 safety net: red-flag language in free text.

A match never lowers a decision: it adds a reason at the grade the mapped rule
gives (the SYS-2 combination keeps the highest) and flags the record for staff
review. Negated mentions ("no chest pain", "denies dizziness", "pain-free") only
flag the record for review.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from .config import EngineConfig
from .pain_cover import covering_row
from .reasons import Collector


class Phrase(NamedTuple):
    pattern: str
    maps_to: str
    source: str
    grade: str  # emergency | urgent | routine | hold | chest (configurable)
    label: str


PHRASES = (
    Phrase(r"saddle (numb|ana?esth)\w*|numb\w* (in|around) (the )?(groin|genitals|saddle)",
           "RF-2", "NHS-RF", "emergency", "possible cauda equina feature"),
    Phrase(r"(loss of|lost|can'?t control|cannot control|difficulty controlling) (my )?"
           r"(bladder|bowel)|incontinen\w*|urinary retention", "RF-2", "NHS-RF", "emergency",
           "bladder or bowel dysfunction"),
    Phrase(r"cauda equina|foot drop", "RF-2", "NHS-RF", "emergency",
           "possible cauda equina / deteriorating neurology"),
    Phrase(r"(face|facial) droop\w*|slurred speech|double vision|difficulty (speaking|"
           r"swallowing)|drop attack", "RF-3", "IFOMPT-C", "emergency",
           "stroke or cervical arterial warning sign"),
    Phrase(r"\bdvt\b|deep vein|blood clot", "RF-3", "SYS", "emergency", "possible DVT"),
    Phrase(r"chest (pain|tightness|pressure|discomfort)|angina", "RF-3", "CG95", "chest",
           "chest pain/discomfort, timing unknown"),
    Phrase(r"(unexplained|unintentional|unintended) weight loss|losing weight without",
           "RF-2", "NHS-RF", "urgent", "unexplained weight loss"),
    Phrase(r"night pain|pain at night|wakes? me (up )?at night|worse at night", "RF-2",
           "NHS-RF", "urgent", "night pain"),
    Phrase(r"faint(ed|ing)?\b|passed out|black(ed)?[ -]?out|syncope|dizz(y|iness)|"
           r"light[ -]?headed", "ACSM-3", "ACSM", "urgent", "dizziness or syncope (ACSM-2 sign)"),
    Phrase(r"palpitation\w*|racing heart|heart racing|irregular heart ?beat|skipped beats",
           "ACSM-3", "ACSM", "urgent", "palpitations (ACSM-2 sign)"),
    Phrase(r"short(ness)? of breath", "ACSM-3", "ACSM", "urgent",
           "shortness of breath (ACSM-2 sign)"),
    Phrase(r"claudication", "ACSM-3", "ACSM", "urgent", "claudication (ACSM-2 sign)"),
    Phrase(r"heart (attack|condition|disease|failure)|\bstent\b|bypass surgery|"
           r"\bdiabet\w*|kidney disease|renal disease", "ACSM-3", "ACSM", "routine",
           "known CV, metabolic or renal disease"),
    Phrase(r"\bcancer\b|tumou?r|chemo\w*|radiotherapy|metasta\w*|concussion|head injury|"
           r"seizure|epilep\w*|\bstroke\b|osteoporo\w*", "PARQ-6", "PARQ", "routine",
           "condition covered by a PAR-Q+ follow-up section"),
    Phrase(r"pregnan\w*", "PARQ-3", "PARQ", "hold_physician", "pregnancy"),
    Phrase(r"\bfever\b|\bflu\b|\bchills\b", "PARQ-3", "PARQ", "hold", "temporary illness"),
    Phrase(r"\b(pain|painful|hurts?|aching)\b", "RF-4", "SYS", "pt", "pain"),
)

NEGATION = re.compile(r"\b(no|not|denies|denied|without|never|nil|negative for|free of)\b"
                      r"(\W+\w+){0,3}\W*$", re.IGNORECASE)
PAIN_FREE = re.compile(r"^[- ]?free\b")
HOLD = {"outcome": "hold", "program_state": "delay_until_recovered"}
EFFECTS: dict[str, dict[str, Any]] = {
    "emergency": {"outcome": "refer", "urgency": "emergency", "target": "emergency_services",
                  "program_state": "none_emergency"},
    "urgent": {"outcome": "refer", "urgency": "urgent", "target": "physician",
               "program_state": "hold_pending_clearance"},
    "routine": {"outcome": "clearance", "urgency": "routine", "target": "physician",
                "program_state": "hold_pending_clearance"},
    "hold": HOLD,
    # DEC-1: pregnancy is a clearance (a clinician is named, so a referral is opened).
    "hold_physician": {"outcome": "clearance", "urgency": "routine", "target": "physician",
                       "program_state": "hold_pending_clearance"},
    "pt": {"outcome": "refer", "urgency": "routine", "target": "physical_therapist",
           "program_state": "hold_pending_clearance", "msk": True},
}


def texts(intake: dict[str, Any], assessment: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The free-text fields scanned: (field path, text)."""
    found = [("intake.notes", intake.get("notes") or "")]
    history = intake.get("history") or {}
    for i, injury in enumerate(history.get("injuries") or []):
        found.append((f"intake.history.injuries[{i}].description", injury.get("description", "")))
    for i, surgery in enumerate(history.get("surgeries") or []):
        found.append((f"intake.history.surgeries[{i}].procedure", surgery.get("procedure", "")))
    if assessment:
        found.append(("assessment.notes", assessment.get("notes") or ""))
    return [(path, text) for path, text in found if text.strip()]


def _negated(text: str, match: re.Match[str]) -> bool:
    clause_start = max(text.rfind(c, 0, match.start()) for c in ".,;:!?\n") + 1
    before = re.split(r"\bbut\b", text[clause_start:match.start()], flags=re.IGNORECASE)[-1]
    return bool(NEGATION.search(before)) or bool(PAIN_FREE.match(text[match.end():]))


def _effect(phrase: Phrase, cfg: EngineConfig) -> dict[str, Any]:
    if phrase.grade == "chest":
        return EFFECTS[cfg.free_text_chest_pain_urgency]
    effect = dict(EFFECTS[phrase.grade])
    if phrase.grade == "pt" and cfg.pt_referral_via_physician:
        effect["target"] = "physician"
    return effect


def _matches(text: str) -> list[tuple[Phrase, re.Match[str]]]:
    """Matches in phrase order (most serious first); a span is used only once, so
    "chest pain" is not also counted as plain "pain"."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[Phrase, re.Match[str]]] = []
    for phrase in PHRASES:
        for match in re.finditer(phrase.pattern, text, flags=re.IGNORECASE):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append(match.span())
            found.append((phrase, match))
    return found


def scan(intake: dict[str, Any], assessment: dict[str, Any] | None, cfg: EngineConfig,
         out: Collector) -> None:
    if not cfg.scan_free_text:
        return
    negated: list[dict[str, str]] = []
    covered: list[dict[str, str]] = []
    for path, text in texts(intake, assessment):
        for phrase, match in _matches(text):
            hit = {"field": path, "phrase": match.group(0), "maps_to": phrase.maps_to}
            if _negated(text, match):
                negated.append(hit)
                continue
            row = covering_row(intake, text, *match.span()) if phrase.grade == "pt" else None
            if row is not None:  # DEC-5: the structured row already covers this pain
                covered.append({**hit, "covered_by": f"pain[{row}]"})
                continue
            out.add("SYS-7", {**hit, "maps_to_source": phrase.source},
                    f"Free text mentions '{match.group(0)}' ({phrase.label}): taking the "
                    f"more serious interpretation ({phrase.maps_to}) and flagging the "
                    "record for staff review.", **_effect(phrase, cfg))
            out.flag("review:free_text")
    if covered:
        out.add("DEC-5", {"covered_mentions": covered}, "Free text mentions pain that a "
                "structured pain entry already records: no second referral.")
    if negated:
        out.add("SYS-7", {"negated_mentions": negated}, "Free text mentions red-flag terms "
                "in a negated form: no change to the decision; flagged for staff review.")
        out.flag("review:free_text")
