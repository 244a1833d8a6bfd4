"""A decision's reasons sorted for the people who read them (pure).

The engine lists every reason that fired, including the ones the combination overrode:
"PAR-Q+ cleared" beside ACSM's clearance (SYS-4), or a routine physical-therapist
referral beside an urgent physician clearance (SYS-2: the target follows the highest
urgency). Shown as a flat list they contradict the decision. ``explain`` sorts them:

- ``finding``: what the decision rests on; never names a clinician other than the
  decision's target;
- ``superseded``: overridden by the combination, with the rule that overrode it
  (``SYS-4`` when PAR-Q+ and ACSM disagree, else ``SYS-2``) and why, in words;
- ``note``: context that neither decides nor is overridden (an assumption made for a
  missing answer, the movement screen's priorities).

Each item's ``text`` is the reason's person-facing ``summary``; the reviewers' ``note``
on a reason (a design choice, an unconfirmed variant) is never part of it.
"""

from __future__ import annotations

from typing import Any

TARGET_WORDS = {
    "physician": "physician",
    "physical_therapist": "physical therapist",
    "emergency_services": "emergency services",
}

# In-scope reasons that are context, not a verdict the combination could override.
CONTEXT_RULES = frozenset({"SYS-4", "SYS-6", "SYS-8", "FMS-7", "PAIN-5"})
# PAR-Q+ verdicts that SYS-4 overrides when ACSM asks for clearance.
PARQ_SOURCES = frozenset({"PARQ"})


def target_words(target: str | None) -> str | None:
    return TARGET_WORDS.get(target or "")


def explain(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """Every reason of ``decision`` once, in engine order, as ``{rule, tag, text, kind,
    by, why}`` (``by``/``why`` only for superseded reasons)."""
    outcome = decision.get("outcome")
    target = decision.get("target")
    reasons = decision.get("reasons") or []
    acsm_clearance = any(
        r.get("rule") == "ACSM-3" and r.get("outcome") != "in_scope" for r in reasons
    )
    items = []
    for r in reasons:
        kind, by, why = _classify(r, outcome, target, decision, acsm_clearance)
        items.append(
            {
                "rule": r.get("rule"),
                "tag": r.get("tag"),
                "text": str(r.get("summary") or "").strip(),
                "kind": kind,
                "by": by,
                "why": why,
            }
        )
    return items


def deciding_reasons(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The reasons behind a referral or clearance that name its clinician (or none):
    what a letter or email about this decision may cite. Empty for an in-scope one."""
    if decision.get("outcome") == "in_scope":
        return []
    acsm = any(r.get("rule") == "ACSM-3" and r.get("outcome") != "in_scope"
               for r in decision.get("reasons") or [])
    return [
        r
        for r in decision.get("reasons") or []
        if r.get("outcome") != "in_scope"
        and _classify(r, decision.get("outcome"), decision.get("target"), decision, acsm)[0]
        == "finding"
    ]


def _classify(
    r: dict[str, Any],
    outcome: str | None,
    target: str | None,
    decision: dict[str, Any],
    acsm_clearance: bool,
) -> tuple[str, str | None, str | None]:
    if outcome == "in_scope":
        return "finding", None, None
    if r.get("outcome") != "in_scope":
        if r.get("target") in (None, target):
            return "finding", None, None
        headline = _headline_words(decision)
        return (
            "superseded",
            "SYS-2",
            f"Set aside by the combination: the {headline} decides first.",
        )
    if r.get("rule") in CONTEXT_RULES or str(r.get("rule")).startswith("DEC-"):
        # The DEC-* reasons that decide nothing say what follows (e.g. DEC-6: the
        # assessment waits for the clinician): context, not an overridden verdict.
        return "note", None, None
    if r.get("source") in PARQ_SOURCES and acsm_clearance:
        return (
            "superseded",
            "SYS-4",
            "PAR-Q+ and ACSM disagree: the more conservative result (ACSM's clearance) wins.",
        )
    return (
        "superseded",
        "SYS-2",
        f"Overridden: the {_headline_words(decision)} decides (the most serious result wins).",
    )


def _headline_words(decision: dict[str, Any]) -> str:
    urgency = decision.get("urgency")
    words = target_words(decision.get("target"))
    if decision.get("urgency") == "emergency":
        return "emergency"
    if words is None:
        return "hold" if decision.get("outcome") == "hold" else "decision"
    grade = f"{urgency} " if urgency in ("urgent", "routine") else ""
    kind = "referral to a" if decision.get("outcome") == "refer" else "clearance by a"
    return f"{grade}{kind} {words}"
