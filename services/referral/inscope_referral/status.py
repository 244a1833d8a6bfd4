"""Where a client stands, derived from their latest decision (pure; no I/O)."""

from __future__ import annotations

from typing import Any

# REF-3: emergency-grade findings are handled by people, now; not by email.
EMERGENCY_INSTRUCTION = (
    "Call emergency services now (your local emergency number) and follow the facility "
    "emergency plan. Do not start or continue any exercise. Emails to the client and the "
    "physician are documentation only, not how this emergency is handled."
)

OUTCOME_STATUS = {
    "refer": "referred",
    "clearance": "clearance_needed",
    "hold": "on_hold",
}


def client_status(decision: dict[str, Any] | None) -> str:
    """One of: screening_pending, awaiting_assessment, referred, clearance_needed,
    on_hold, program_ready."""
    if decision is None:
        return "screening_pending"
    if decision["outcome"] in OUTCOME_STATUS:
        return OUTCOME_STATUS[decision["outcome"]]
    if decision.get("program") is not None:
        return "program_ready"
    return "awaiting_assessment"


def decision_signature(decision: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two decisions the same for the client and physician: outcome,
    urgency, target, program state and the set of rules that fired."""
    rules = tuple(sorted({r["rule"] for r in decision.get("reasons", [])}))
    return (
        decision["outcome"],
        decision["urgency"],
        decision.get("target"),
        decision.get("program_state"),
        rules,
    )
