"""What makes two decisions the same news (pure; no I/O). Where a client stands is
computed by ``inscope_clinical.journey``."""

from __future__ import annotations

from typing import Any


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
