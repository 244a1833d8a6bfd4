"""Reasons, flags and the SYS-2 combination of reasons into one decision."""

from __future__ import annotations

from typing import Any

from .catalog import RULES

OUTCOMES = ("in_scope", "hold", "clearance", "refer")
URGENCIES = ("none", "routine", "urgent", "emergency")
TARGETS = (None, "physical_therapist", "physician", "emergency_services")
PROGRAM_STATES = (
    "build",
    "build_moderate_only_until_clearance",
    "delay_until_recovered",
    "hold_pending_missing_data",
    "hold_pending_clearance",
    "none_emergency",
)


class Collector:
    """Accumulates reasons and flags while the rules run (in SYS-1 order)."""

    def __init__(self) -> None:
        self.reasons: list[dict[str, Any]] = []
        self.flags: list[str] = []

    def add(
        self,
        rule: str,
        facts: dict[str, Any],
        summary: str,
        *,
        outcome: str = "in_scope",
        urgency: str = "none",
        target: str | None = None,
        program_state: str = "build",
        tag: str | None = None,
        source: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Record one reason. ``summary`` is what people read (staff pages, the client's
        email, the clinician's letter); ``note`` is for reviewers of the rules only (a
        design choice, an unconfirmed variant, a guideline's cut-off) and is never shown
        to a client or a clinician."""
        known = RULES[rule]
        entry = {
            "rule": rule,
            "source": source or known.source,
            "tag": tag or known.tag,
            "facts": facts,
            "summary": summary,
            "outcome": outcome,
            "urgency": urgency,
            "target": target,
            "program_state": program_state,
        }
        if note:
            entry["note"] = note
        self.reasons.append(entry)
        return entry

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)


def _highest(values: list[Any], order: tuple[Any, ...]) -> Any:
    return max(values, key=order.index, default=order[0])


def combine(reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """SYS-2: outcome and urgency are the highest found; target follows urgency."""
    urgency = _highest([r["urgency"] for r in reasons], URGENCIES)
    top = [r["target"] for r in reasons if r["urgency"] == urgency]
    return {
        "outcome": _highest([r["outcome"] for r in reasons], OUTCOMES),
        "urgency": urgency,
        "target": _highest(top, TARGETS),
        "program_state": _highest([r["program_state"] for r in reasons], PROGRAM_STATES),
    }


def referrals(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every professional the client must see (SYS-2 keeps one headline target;
    this lists all of them, highest urgency first)."""
    found: dict[str, dict[str, Any]] = {}
    for r in reasons:
        if r["target"] is None:
            continue
        entry = found.setdefault(r["target"], {"target": r["target"], "urgency": "none",
                                               "outcome": "in_scope", "rules": []})
        entry["urgency"] = _highest([entry["urgency"], r["urgency"]], URGENCIES)
        entry["outcome"] = _highest([entry["outcome"], r["outcome"]], OUTCOMES)
        if r["rule"] not in entry["rules"]:
            entry["rules"].append(r["rule"])
    return sorted(found.values(), key=lambda e: (-URGENCIES.index(e["urgency"]),
                                                 -TARGETS.index(e["target"])))
