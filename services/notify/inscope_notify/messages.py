"""Which emails a decision calls for, and what goes in them (pure; no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

URGENCY_WORDS = {
    "emergency": "an emergency: seek emergency care now",
    "urgent": "urgent: please be seen within about two weeks",
    "routine": "routine: at the next convenient appointment",
    "none": "not urgent",
}
TARGET_WORDS = {
    "emergency_services": "emergency services",
    "physician": "a physician",
    "physical_therapist": "a physical therapist",
}
OUTCOME_WORDS = {
    "refer": "we would like a health professional to see you before we go on",
    "clearance": "we need medical clearance before you start or step up training",
    "hold": "we need a little more information before we can go on",
    "in_scope": "you can start your corrective exercise program",
}
LETTER_REASONS = {
    "refer": "findings in our screening need evaluation by a health professional before training",
    "clearance": "preparticipation screening recommends medical clearance before exercise",
}
LETTER_OUTCOMES = tuple(LETTER_REASONS)


@dataclass(frozen=True)
class PlannedEmail:
    kind: str  # client_update | physician_referral
    template: str
    recipient: str
    context: dict[str, Any]


def plan_emails(
    decision: dict[str, Any], contact: dict[str, Any], facility: str
) -> list[PlannedEmail]:
    """The emails one ``referral.decided`` event calls for, honouring consent."""
    consent = contact.get("consent") or {}
    client = contact["client"]
    physician = contact.get("physician") or {}
    context = _context(decision, client, physician, facility)
    planned = []
    if consent.get("email") and client.get("email"):
        planned.append(PlannedEmail("client_update", "client_update", client["email"], context))
    if (
        decision["outcome"] in LETTER_OUTCOMES
        and consent.get("share_with_physician")
        and physician.get("email")
    ):
        planned.append(
            PlannedEmail("physician_referral", "physician_referral", physician["email"], context)
        )
    return planned


def _context(
    decision: dict[str, Any], client: dict[str, Any], physician: dict[str, Any], facility: str
) -> dict[str, Any]:
    program = decision.get("program") or {}
    phases = program.get("phases") or []
    return {
        "facility": facility,
        "client": client,
        "physician": physician,
        "decision": decision,
        "emergency": decision["urgency"] == "emergency",
        "outcome_words": OUTCOME_WORDS[decision["outcome"]],
        "letter_reason": LETTER_REASONS.get(decision["outcome"], ""),
        "urgency_words": URGENCY_WORDS[decision["urgency"]],
        "target_words": TARGET_WORDS.get(decision.get("target") or "", "a health professional"),
        # Only the reasons behind the outcome; a cleared screen is no reason to refer.
        "reasons": [
            {
                "rule": r["rule"],
                "source": r.get("source", ""),
                "summary": r.get("summary") or r["rule"],
                "facts": r.get("facts"),
            }
            for r in decision["reasons"]
            if r.get("outcome", decision["outcome"]) != "in_scope"
        ],
        "first_phase": phases[0] if phases else None,
    }
