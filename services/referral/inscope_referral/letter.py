"""The referral letter as the answer page shows it (REF-1), from what the referral
service holds plus the contact details read from intake at page time (pure).

Objective findings only (SCOPE-3): answers, reported pain with its NPRS values and
where it occurred, tests and observations, measured values. No diagnosis.
"""

from __future__ import annotations

from typing import Any

from inscope_referral.clinician_request import MEANWHILE_WORDS, URGENCY_WORDS

TARGET_WORDS = {
    "emergency_services": "emergency services, then a physician",
    "physician": "a physician",
    "physical_therapist": "a physical therapist",
}
REASON_WORDS = {
    "refer": "Findings in our screening need evaluation by a health professional before training.",
    "clearance": "Preparticipation screening recommends medical clearance before exercise.",
}


def letter_sections(
    referral: dict[str, Any],
    facts: dict[str, Any],
    contact: dict[str, Any],
    facility: str,
) -> dict[str, Any]:
    """Everything the page's letter shows, in REF-1 order."""
    decision = facts["decision"]
    client = contact.get("client") or {}
    return {
        "facility": facility,
        "recipient": contact.get("physician") or {},
        "client_name": f"{client.get('first_name', '')} {client.get('last_name', '')}".strip(),
        "date_of_birth": client.get("date_of_birth"),
        "consent": consent_statement(contact.get("consent") or {}),
        "date": referral["needed_at"].date().isoformat(),
        "target": TARGET_WORDS.get(referral.get("target") or "", "a health professional"),
        "reason": REASON_WORDS.get(decision["outcome"], ""),
        "reasons": reasons_behind(decision),
        "findings": findings(facts.get("screening") or {}, facts.get("assessment")),
        "request": referral["request"].get("summary", ""),
        "meanwhile": MEANWHILE_WORDS.get(referral["request"].get("meanwhile", ""), ""),
        "urgency": URGENCY_WORDS.get(referral["urgency"], ""),
        "emergency": referral["urgency"] == "emergency",
    }


def consent_statement(consent: dict[str, Any]) -> str:
    if not consent.get("share_with_physician"):
        return (
            "The client did not authorise us to send this information to you directly; "
            "they chose to bring this letter to you themselves."
        )
    signed = str(consent.get("signed_at") or "")[:10] or "an unrecorded date"
    version = consent.get("version") or "unrecorded"
    return (
        f"The client authorised us to share this information with you on {signed} "
        f"(consent text {version})."
    )


def reasons_behind(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The reasons behind the outcome, with their facts as readable lines."""
    return [
        {
            "rule": r["rule"],
            "summary": r.get("summary") or r["rule"],
            "facts": fact_lines(r.get("facts")),
        }
        for r in decision.get("reasons", [])
        if r.get("outcome", decision["outcome"]) != "in_scope"
    ]


def fact_lines(facts: Any) -> list[str]:
    if isinstance(facts, dict):
        return [f"{key}: {_value(value)}" for key, value in facts.items()]
    if facts in (None, "", [], {}):
        return []
    return [_value(facts)]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "not recorded"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items()) or "none"
    return str(value)


def findings(screening: dict[str, Any], assessment: dict[str, Any] | None) -> list[str]:
    """What was reported and observed, one sentence each."""
    lines = _parq_yes(screening.get("parq") or {})
    for pain in screening.get("pain") or []:
        lines.append(
            f"Client reported pain: {pain['region']} ({pain['side']}), NPRS "
            f"{pain['nprs_rest']}/10 at rest and {pain['nprs_activity']}/10 with activity"
            + (", with night pain" if pain.get("night_pain") else "")
            + "."
        )
    if assessment:
        lines += _assessment_lines(assessment.get("findings") or {}, assessment.get("scoring"))
    return lines


def _parq_yes(parq: dict[str, Any]) -> list[str]:
    lines = [
        f"PAR-Q+ ({parq.get('version', 'version not recorded')}) general question "
        f"{key.upper()}: YES."
        for key, value in (parq.get("general") or {}).items()
        if value is True
    ]
    for section, answers in (parq.get("followups") or {}).items():
        yes = [k for k, v in (answers or {}).items() if v is True]
        if yes:
            lines.append(f"PAR-Q+ follow-up {section}: YES to {', '.join(yes)}.")
    return lines


def _assessment_lines(found: dict[str, Any], scoring: dict[str, Any] | None) -> list[str]:
    lines = [
        f"Pain during {p['test'].replace('_', ' ')}: {p['region']} ({p['side']}), "
        f"NPRS {p['nprs']}/10."
        for p in found.get("pain_during") or []
    ]
    fms = (scoring or {}).get("fms") or {}
    if fms.get("scores"):
        scores = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in fms["scores"].items())
        lines.append(f"Functional Movement Screen: total {fms.get('total')}/21 ({scores}).")
    compensations = [
        f"{c['compensation'].replace('_', ' ')} ({c.get('side', 'bilateral')})"
        for c in (found.get("ohsa") or {}).get("compensations") or []
    ]
    if compensations:
        lines.append("Overhead squat observations: " + "; ".join(compensations) + ".")
    return lines
