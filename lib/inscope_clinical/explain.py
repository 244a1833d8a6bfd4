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
on a reason (a design choice, an unconfirmed variant) is never part of it. ``summary_text``
is the same as a staff msgid and its values (``inscope_clinical.summaries``: the rule's
template the stored English matches, or the stored English when none does). A superseded
item's ``why`` is English; ``why_text`` is the same as a staff msgid and its values
(``inscope_clinical.journey.Text``, marked ``S_``: the staff catalogs), which the client
page says in the staff language (``staff_say``).
"""

from __future__ import annotations

from typing import Any


def S_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks a staff text (only the staff catalogs extract ``S_``)."""
    return text


TARGET_WORDS = {
    "physician": S_("physician"),
    "physical_therapist": S_("physical therapist"),
    "emergency_services": S_("emergency services"),
}
# What decides, in a superseded reason's note (by outcome and urgency).
HEADLINE_WORDS = {
    ("refer", "urgent"): S_("urgent referral to a %(clinician)s"),
    ("refer", "routine"): S_("routine referral to a %(clinician)s"),
    ("refer", None): S_("referral to a %(clinician)s"),
    ("clearance", "urgent"): S_("urgent clearance by a %(clinician)s"),
    ("clearance", "routine"): S_("routine clearance by a %(clinician)s"),
    ("clearance", None): S_("clearance by a %(clinician)s"),
}
SET_ASIDE = S_("Set aside by the combination: the %(headline)s decides first.")
PARQ_OVERRIDDEN = S_(
    "PAR-Q+ and ACSM disagree: the more conservative result (ACSM's clearance) wins.")
OVERRIDDEN = S_("Overridden: the %(headline)s decides (the most serious result wins).")

# In-scope reasons that are context, not a verdict the combination could override.
CONTEXT_RULES = frozenset({"SYS-4", "SYS-6", "SYS-8", "FMS-7", "PAIN-5"})
# PAR-Q+ verdicts that SYS-4 overrides when ACSM asks for clearance.
PARQ_SOURCES = frozenset({"PARQ"})


def target_words(target: str | None) -> str | None:
    return TARGET_WORDS.get(target or "")


def explain(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """Every reason of ``decision`` once, in engine order, as ``{rule, tag, text,
    summary_text, kind, by, why, why_text}`` (``by``/``why``/``why_text`` only for
    superseded reasons)."""
    from .summaries import summary_text

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
                "summary_text": summary_text(r.get("summary")),
                "kind": kind,
                "by": by,
                "why": None if why is None else str(why),
                "why_text": why,
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
) -> tuple[str, str | None, Any]:
    """(kind, by, why): ``why`` a staff text (``journey.Text``) or None."""
    from .journey import Text  # journey -> letters -> findings imports this module

    if outcome == "in_scope":
        return "finding", None, None
    if r.get("outcome") != "in_scope":
        if r.get("target") in (None, target):
            return "finding", None, None
        headline = _headline_words(decision)
        return (
            "superseded",
            "SYS-2",
            Text(SET_ASIDE, headline=headline),
        )
    if r.get("rule") in CONTEXT_RULES or str(r.get("rule")).startswith("DEC-"):
        # The DEC-* reasons that decide nothing say what follows (e.g. DEC-6: the
        # assessment waits for the clinician): context, not an overridden verdict.
        return "note", None, None
    if r.get("source") in PARQ_SOURCES and acsm_clearance:
        return (
            "superseded",
            "SYS-4",
            Text(PARQ_OVERRIDDEN),
        )
    return (
        "superseded",
        "SYS-2",
        Text(OVERRIDDEN, headline=_headline_words(decision)),
    )


def _headline_words(decision: dict[str, Any]) -> Any:
    from .journey import Text

    urgency = decision.get("urgency")
    words = target_words(decision.get("target"))
    if decision.get("urgency") == "emergency":
        return Text(S_("emergency"))
    if words is None:
        return Text(S_("hold") if decision.get("outcome") == "hold" else S_("decision"))
    grade = urgency if urgency in ("urgent", "routine") else None
    kind = "refer" if decision.get("outcome") == "refer" else "clearance"
    return Text(HEADLINE_WORDS[kind, grade], clinician=Text(words))
