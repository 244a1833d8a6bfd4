"""Reasons, flags and the SYS-2 combination of reasons into one decision."""

from __future__ import annotations

from typing import Any

from .catalog import RULES

OUTCOMES = ("in_scope", "hold", "clearance", "refer")
URGENCIES = ("none", "routine", "urgent", "emergency")
TARGETS = (None, "physical_therapist", "physician", "emergency_services")
# DEC-1: the outcomes that name a clinician, and so open a tracked referral in the
# referral service and a letter in the notify service. Every other outcome (hold,
# in_scope) names nobody: Collector.add refuses a reason that breaks this.
CLINICIAN_OUTCOMES = ("clearance", "refer")
PROGRAM_STATES = (
    "build",
    "build_moderate_only_until_clearance",
    "delay_until_recovered",
    "hold_pending_missing_data",
    "hold_pending_unread_text",
    "hold_pending_clearance",
    "none_emergency",
)


class ReasonError(ValueError):
    """A rule tried to add a reason that breaks the DEC-1 invariant."""


def check_reason(outcome: str, urgency: str, target: str | None) -> None:
    """DEC-1: a clinician is named exactly when the outcome opens a referral
    (refer/clearance), and such an outcome always has an urgency. A ``hold`` or
    ``in_scope`` reason with a target would name a clinician nobody writes to."""
    if outcome not in OUTCOMES or urgency not in URGENCIES or target not in TARGETS:
        raise ReasonError(f"unknown outcome/urgency/target {(outcome, urgency, target)!r}")
    names_clinician = target is not None
    if names_clinician != (outcome in CLINICIAN_OUTCOMES):
        raise ReasonError(f"outcome {outcome!r} with target {target!r}: a target is given "
                          f"exactly when the outcome is one of {CLINICIAN_OUTCOMES} (DEC-1)")
    if names_clinician == (urgency == "none"):
        raise ReasonError(f"outcome {outcome!r} with urgency {urgency!r}: a referral has an "
                          "urgency, and only a referral does (DEC-1)")


# every (outcome, urgency, target) check_reason lets through: a reason's check is one
# set look-up (screen() adds about six reasons)
_VALID = frozenset((o, u, t) for o in OUTCOMES for u in URGENCIES for t in TARGETS
                   if (t is not None) == (o in CLINICIAN_OUTCOMES)
                   and (t is not None) != (u == "none"))


class Collector:
    """Accumulates reasons and flags while the rules run (in SYS-1 order).

    ``msk`` remembers which reasons are routine physical-therapist referrals for
    musculoskeletal pain or injury (RF-4 family): DEC-6 lets the movement assessment
    go on when they are the only referrals (painful movements left out)."""

    def __init__(self) -> None:
        self.reasons: list[dict[str, Any]] = []
        self.flags: list[str] = []
        self.msk: list[int] = []  # id() of the RF-4-family reasons
        self.leave_out_regions: list[dict[str, Any]] = []  # DEC-6: painful regions

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
        msk: bool = False,
    ) -> dict[str, Any]:
        """Record one reason. ``summary`` is what people read (staff pages, the client's
        email, the clinician's letter); ``note`` is for reviewers of the rules only (a
        design choice, an unconfirmed variant, a guideline's cut-off) and is never shown
        to a client or a clinician."""
        known = RULES[rule]
        if (outcome, urgency, target) not in _VALID:
            check_reason(outcome, urgency, target)  # (raises: says what is wrong)
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
        if msk:
            self.msk.append(id(entry))
        return entry

    def is_msk(self, entry: dict[str, Any]) -> bool:
        return id(entry) in self.msk

    def leave_out(self, field: str, region: str | None, side: str | None) -> None:
        """DEC-6: a painful or injured region behind a physical-therapist referral."""
        self.leave_out_regions.append({"field": field, "region": region, "side": side})

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
