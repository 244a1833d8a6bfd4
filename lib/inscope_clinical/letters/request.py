"""What a referral asks of the clinician, built from the decision that opened it (pure).
The referral service stores it on the referral; the letter (``letters.letter``) words it.

REF-1 item 6: evaluation; medical clearance for a stated intensity; restrictions and
contraindications; exercise guidelines (for a physical therapist: evaluation and
treatment, plus guidelines for the return to training). Item 7: what training does in
the meantime.
"""

from __future__ import annotations

from typing import Any

INTENSITIES = ("light", "moderate", "vigorous")

# What training does meanwhile, by the engine's program_state (REF-1 item 7).
MEANWHILE = {
    "none_emergency": "no_training_emergency_care_first",
    "hold_pending_clearance": "no_training_until_cleared",
    "build_moderate_only_until_clearance": "moderate_intensity_only_until_cleared",
    "hold_pending_missing_data": "no_training_until_information_complete",
    "hold_pending_unread_text": "no_training_until_information_complete",
    "delay_until_recovered": "no_training_until_recovered",
    "build": "training_continues",
}
LIMITED_MEANWHILE = "moderate_intensity_only_until_cleared"


def build_request(decision: dict[str, Any], desired_intensity: str | None = None) -> dict[str, Any]:
    """The request a referral carries, from a decision whose outcome is refer/clearance.

    ``desired_intensity`` is the client's stated goal (ACSM input), used when the engine
    set no intensity of its own.
    """
    state = decision.get("program_state")
    meanwhile = MEANWHILE.get(state or "", "no_training_until_cleared")
    request = {
        "kind": _kind(decision),
        "evaluation": decision["outcome"] == "refer",
        # REF-1: a physical therapist is asked for evaluation and treatment.
        "treatment": decision.get("target") == "physical_therapist",
        "clearance_for_intensity": clearance_intensity(decision, desired_intensity),
        "restrictions": True,
        "exercise_guidelines": True,
        "meanwhile": meanwhile,
        "meanwhile_intensity": (
            decision.get("intensity_cap") if meanwhile == LIMITED_MEANWHILE else None
        ),
        "rules": rules_behind(decision),
    }
    request["summary"] = request_summary(request)
    return request


def _kind(decision: dict[str, Any]) -> str:
    if decision["urgency"] == "emergency":
        return "emergency_follow_up"
    return "clearance" if decision["outcome"] == "clearance" else "evaluation"


def clearance_intensity(decision: dict[str, Any], desired_intensity: str | None) -> str:
    """The intensity the clinician is asked to clear the client for."""
    # SYS-5: training goes on at moderate while vigorous waits for clearance.
    if decision.get("program_state") == "build_moderate_only_until_clearance":
        return "vigorous"
    if desired_intensity in INTENSITIES:
        return desired_intensity
    return decision.get("intensity_cap") or "moderate"


def rules_behind(decision: dict[str, Any]) -> list[str]:
    """The rules behind the outcome, in the order they fired (a cleared screen is not
    a reason to refer)."""
    seen: list[str] = []
    for reason in decision.get("reasons", []):
        if reason.get("outcome", decision["outcome"]) != "in_scope" and reason["rule"] not in seen:
            seen.append(reason["rule"])
    return seen


def request_summary(request: dict[str, Any]) -> str:
    intensity = request["clearance_for_intensity"]
    if request["kind"] == "emergency_follow_up":
        return (
            "The client was directed to emergency care. Once you have seen the client, "
            f"please tell us whether training may resume, up to {intensity} intensity, "
            "with any restrictions and exercise guidelines."
        )
    if request["treatment"]:
        return (
            "Please evaluate the findings below and treat as you see fit, then send us "
            f"guidelines for the client's return to training at {intensity} intensity, "
            "with any restrictions."
        )
    if request["evaluation"]:
        return (
            "Please evaluate the findings below and tell us whether the client may exercise "
            f"at {intensity} intensity, with any restrictions or contraindications and any "
            "exercise guidelines."
        )
    return (
        f"Please tell us whether the client is medically cleared for {intensity}-intensity "
        "exercise, with any restrictions or contraindications and any exercise guidelines."
    )


def equivalence_key(target: str | None, urgency: str, request: dict[str, Any]) -> tuple[Any, ...]:
    """Two referrals with the same key ask the same clinician the same thing."""
    return (target, urgency, request.get("kind"), request.get("clearance_for_intensity"))
