"""PAR-Q+ rules: delay conditions (PARQ-3), validity (PARQ-7), completeness
(PARQ-8) and the outcome (PARQ-2, PARQ-5, PARQ-6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .clearances import ClearanceBook
from .config import EngineConfig
from .reasons import Collector
from .vocab import PARQ_GENERAL, PARQ_SECTIONS

HOLD_MISSING = {"outcome": "hold", "program_state": "hold_pending_missing_data"}


def _cleared_on_file(book: ClearanceBook | None, conditions: list[str]) -> Any:
    return book.covers(conditions) if book is not None else None


def evaluate_delay(parq: dict[str, Any], out: Collector,
                   book: ClearanceBook | None = None) -> None:
    """PARQ-3: delay conditions apply regardless of the answers."""
    delay = parq.get("delay") or {}
    if delay.get("temporary_illness"):
        out.add(
            "PARQ-3", {"parq.delay.temporary_illness": True},
            "Temporary illness: wait until feeling better before becoming more active.",
            outcome="hold", program_state="delay_until_recovered",
        )
    cleared = _cleared_on_file(book, ["pregnancy"]) if delay.get("pregnant") else None
    if cleared and book is not None:
        out.add("PARQ-3", {"parq.delay.pregnant": True,
                           "written_clearance": book.facts(cleared)},
                "Pregnant, with a written clearance on file from the client's clinician: "
                "training follows its restrictions.",
                note="DEC-9: a valid written clearance naming pregnancy satisfies PARQ-3.")
        out.flag("follow:clearance_restrictions")
    elif delay.get("pregnant"):
        # DEC-1: a clearance (physician, routine), so that a referral is opened and a
        # letter sent; the program waits for the clinician's answer.
        out.add(
            "PARQ-3", {"parq.delay.pregnant": True},
            "Pregnant: talk to a health-care practitioner and/or complete the ePARmed-X+ "
            "before becoming more active; the physician is asked to clear the client.",
            outcome="clearance", urgency="routine", target="physician",
            program_state="hold_pending_clearance",
            note="DEC-1: pregnancy is a clearance (physician, routine) so that a referral "
                 "is opened and a letter sent.",
        )
    if delay.get("health_change"):
        out.add(
            "PARQ-3", {"parq.delay.health_change": True},
            "Health has changed: re-answer the follow-up questions and/or talk to a "
            "doctor before continuing.",
            **HOLD_MISSING,
        )
        out.flag("action:reanswer_parq_followups")


def evaluate_validity(
    parq: dict[str, Any], as_of: dt.date, cfg: EngineConfig, out: Collector
) -> None:
    """PARQ-7: a PAR-Q+ completed more than 12 months ago must be redone."""
    completed = parq.get("completed_on")
    if not completed:
        return
    age_days = (as_of - dt.date.fromisoformat(str(completed))).days
    if age_days > cfg.parq_validity_days:
        out.add(
            "PARQ-7", {"parq.completed_on": str(completed), "days_since": age_days},
            "The PAR-Q+ is older than 12 months and no longer valid; it must be completed again.",
            **HOLD_MISSING,
        )
        out.flag("expired:parq")


def _bp_unknown(section: dict[str, Any]) -> bool:
    return section.get("resting_bp_known") is False


def followup_answers(parq: dict[str, Any]) -> tuple[list[str], dict[str, bool]]:
    """Walk the ten sections: (missing field paths, answered sub-questions)."""
    missing: list[str] = []
    answers: dict[str, bool] = {}
    followups = parq.get("followups") or {}
    for key, subs in PARQ_SECTIONS.items():
        section = followups.get(key) or {}
        prefix = f"parq.followups.{key}"
        if section.get("gate") is None:
            missing.append(f"{prefix}.gate")
            continue
        if not section["gate"]:
            continue
        for sub in subs:
            value = section.get(sub)
            if key == "s4_blood_pressure" and sub == "b" and _bp_unknown(section):
                value = True  # PARQ-4 note / SYS-8: BP not known -> answer YES
            if value is None:
                missing.append(f"{prefix}.{sub}")
            else:
                answers[f"{prefix}.{sub}"] = bool(value)
    return missing, answers


def opened_sections(parq: dict[str, Any]) -> dict[str, bool]:
    """The sub-answers of sections whose gate is YES (nothing is missing here)."""
    answers: dict[str, bool] = {}
    for key, subs in PARQ_SECTIONS.items():
        section = (parq.get("followups") or {}).get(key) or {}
        if section.get("gate") is not True:
            continue
        for sub in subs:
            value = section.get(sub)
            if key == "s4_blood_pressure" and sub == "b" and _bp_unknown(section):
                value = True
            if value is not None:
                answers[f"parq.followups.{key}.{sub}"] = bool(value)
    return answers


def _report_missing(missing: list[str], out: Collector) -> None:
    for path in missing:
        out.flag(f"missing:{path}")
    out.flag("blocked:assessment")
    out.add(
        "PARQ-8", {"unanswered": missing},
        "PAR-Q+ incomplete: the outcome cannot be computed; request completion "
        "(no clearance, no assessment).",
        **HOLD_MISSING,
    )


def evaluate_outcome(parq: dict[str, Any], cfg: EngineConfig, out: Collector,
                     book: ClearanceBook | None = None) -> str | None:
    """PARQ-2/5/6 with PARQ-8 completeness. Returns 'cleared', 'further_info' or None."""
    general = parq.get("general") or {}
    missing = [f"parq.general.{g}" for g in PARQ_GENERAL if general.get(g) is None]
    yes = [g for g in PARQ_GENERAL if general.get(g) is True]
    answers: dict[str, bool] = {}
    if yes:
        more_missing, answers = followup_answers(parq)
        missing += more_missing
    else:
        # A section answered YES without a general YES (e.g. DEC-10: a resting blood
        # pressure of 160/90 or more answers 4b): its YES answers still count.
        answers = opened_sections(parq)
    positives = {path: True for path, value in answers.items() if value}
    if positives:
        positives = _cleared_sections(positives, book, out)
    if positives:
        _further_information(parq, positives, cfg, out)
    if missing:
        _report_missing(missing, out)
        return "further_info" if positives else None
    if positives:
        return "further_info"
    if not yes:
        out.add("PARQ-2", {f"parq.general.{g}": False for g in PARQ_GENERAL},
                "All seven general PAR-Q+ answers are NO: cleared for physical activity.")
    else:
        out.add("PARQ-5", {"general_yes": [f"parq.general.{g}" for g in yes],
                           "followup_yes": []},
                "General YES but every follow-up answer NO: ready to become more active.")
    return "cleared"


def _cleared_sections(positives: dict[str, bool], book: ClearanceBook | None,
                      out: Collector) -> dict[str, bool]:
    """DEC-9: follow-up YES answers in a section that a valid written clearance on file
    names are satisfied; the rest still need further information (PARQ-6)."""
    if book is None or not book.entries:
        return positives
    left: dict[str, bool] = {}
    for path in positives:
        section = path.split(".")[2]
        cleared = book.covers([section])
        if cleared:
            out.add("PARQ-6", {path: True, "written_clearance": book.facts(cleared)},
                    "PAR-Q+ follow-up answer YES, with a written clearance on file for this "
                    "condition: training follows its restrictions.",
                    note="DEC-9: a valid written clearance naming the section satisfies "
                         "PARQ-6 for it.")
            out.flag("follow:clearance_restrictions")
        else:
            left[path] = True
    return left


def _further_information(
    parq: dict[str, Any], positives: dict[str, bool], cfg: EngineConfig, out: Collector
) -> None:
    facts: dict[str, Any] = dict(positives)
    bp = ((parq.get("followups") or {}).get("s4_blood_pressure") or {})
    if "parq.followups.s4_blood_pressure.b" in positives and _bp_unknown(bp):
        facts["parq.followups.s4_blood_pressure.resting_bp_known"] = False
        out.add("SYS-8", {"parq.followups.s4_blood_pressure.resting_bp_known": False},
                "Resting blood pressure not known: follow-up 4b is answered YES "
                "(published PAR-Q+ note).", tag="C", source="PARQ")
    out.flag("blocked:assessment")
    out.add(
        "PARQ-6", facts,
        "PAR-Q+ follow-up answer YES: further information (ePARmed-X+ / physician "
        "clearance) is needed before becoming more active or a fitness appraisal.",
        outcome=cfg.parq6_outcome, urgency=cfg.parq6_urgency, target="physician",
        program_state="hold_pending_clearance",
    )
