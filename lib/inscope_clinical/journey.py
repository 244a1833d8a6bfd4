"""Where a client stands: the one place that turns a decision (and, when known, the
clinician's answer and the referral's progress) into the status, urgency, labels, next
action and whether the movement assessment may happen.

The contract is ``shared/domain/client-journey.md``; the assessment gate is DEC-6 of
``shared/domain/clinical-rules.md``. Every page, API and email reads this module, so the
front desk, the trainer, the board and the client page say the same thing.

Pure: standard library only. Inputs are plain dicts as the engine and the services
produce them:

- ``decision``: the engine's decision (``outcome``, ``urgency``, ``target``,
  ``program_state``, ``reasons``, ``flags``, ``program``, ``intensity_cap``) plus, where a
  service stored it, ``stage`` (``screening`` or ``assessment``); ``None`` while screening.
- ``answer``: the clinician's answer to the referral opened for *this* decision
  (``answer`` one of cleared, cleared_with_restrictions, not_cleared, needs_visit;
  ``restrictions``; ``answered_at``; ``answered_by``; ``verified`` - False when it came
  by a route other than the clinician's own emailed link, DEC-7).
- ``referral``: the open referral (``status``, ``recipient`` name, ``since`` ISO date or
  datetime, ``problem``: why its letter was not sent, if it was not) for the "waiting for
  Dr ... since N days" next action, or the task a blocked letter leaves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .letters.vocabulary import N_
from .regions import movements_loading
from .review import items as review_items


def S_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks a staff text: only the staff catalogs extract ``S_`` (the client catalogs
    read this file for CLIENT_TEXTS, marked ``N_``)."""
    return text


STATUSES = (
    "screening_pending",
    "emergency",
    "on_hold",
    "clearance_needed",
    "referred",
    "answer_to_verify",
    "awaiting_assessment",
    "program_ready",
)

STATUS_LABELS = {
    "screening_pending": N_("Screening in progress"),
    "emergency": N_("Emergency"),
    "on_hold": N_("On hold"),
    "clearance_needed": N_("Medical clearance needed"),
    "referred": N_("Referred to a physical therapist"),
    "answer_to_verify": N_("Clinician's answer to verify"),
    "awaiting_assessment": N_("Ready for the movement assessment"),
    "program_ready": N_("Program ready"),
}

URGENCY_LABELS = {"emergency": N_("Emergency"), "urgent": N_("Urgent"), "routine": N_("Routine")}
# The other badges (a status's colour word); a page translates a badge where it shows
# it (the staff catalogs read this file), the API gives the English.
BADGE_SCREENING = N_("Screening")
BADGE_DO_NOT_TRAIN = N_("Do not train")
BADGE_CLEARED = N_("Cleared")
BADGE_CLEARED_WITH_LIMITS = N_("Cleared with limits")
# Board order: the most serious first.
URGENCY_RANK = {"emergency": 0, "urgent": 1, "routine": 2, None: 3}

# Who a staff text names (the decision's target), inside a sentence: "Refer to a
# %(clinician)s", "The %(clinician)s sees the painful area".
TARGET_WORDS = {
    "physician": S_("physician"),
    "physical_therapist": S_("physical therapist"),
    "emergency_services": S_("emergency services"),
}
TARGET_DEFAULT = S_("clinician")
# An urgency inside a sentence ("Do not train — %(grade)s medical clearance").
GRADE_WORDS = {"emergency": S_("emergency"), "urgent": S_("urgent"), "routine": S_("routine")}

# Reasons whose program state keeps the client on hold (SYS-8 words the screening does
# not read or an incomplete PAR-Q+, PARQ-3 temporary illness or changed health), in the
# order they are explained: unread words first, since they may hide anything.
HOLD_STATES = ("hold_pending_unread_text", "hold_pending_missing_data", "delay_until_recovered")

# DEC-6 / RF-4: the musculoskeletal referrals (physical therapist, routine) that let the
# movement assessment go on without the painful movements.
MSK_RULES = ("RF-4", "FMS-8", "PAIN-6", "SCOPE-4")

# Movements of the assessment form (FMS tests, clearing tests, overhead squat and the
# other NASM assessments, vocab.PAIN_TESTS) in words. Which ones load a painful region is
# decided by the engine (regions.movements_loading, DEC-6).
MOVEMENT_WORDS = {
    "deep_squat": S_("deep squat"),
    "hurdle_step": S_("hurdle step"),
    "in_line_lunge": S_("in-line lunge"),
    "shoulder_mobility": S_("shoulder mobility"),
    "active_straight_leg_raise": S_("active straight-leg raise"),
    "trunk_stability_push_up": S_("trunk stability push-up"),
    "rotary_stability": S_("rotary stability"),
    "shoulder_clearing": S_("shoulder clearing test"),
    "spinal_extension_clearing": S_("spinal extension clearing test"),
    "spinal_flexion_clearing": S_("spinal flexion clearing test"),
    "overhead_squat": S_("overhead squat"),
    "single_leg_squat": S_("single-leg squat"),
    "pushing_assessment": S_("pushing assessment"),
    "pulling_assessment": S_("pulling assessment"),
}

# The movements a clinician can ask to avoid (restrictions.MOVEMENT_TAGS), in words.
AVOID_WORDS = {
    "squatting": S_("squatting"),
    "lunging_or_stepping": S_("lunging or stepping"),
    "single_leg_loading": S_("single-leg loading"),
    "overhead_arm_work": S_("overhead arm work"),
    "overhead_pressing": S_("overhead pressing"),
    "pushing": S_("pushing"),
    "pulling": S_("pulling"),
    "spinal_flexion": S_("spinal flexion"),
    "spinal_extension": S_("spinal extension"),
    "trunk_rotation": S_("trunk rotation"),
    "straight_leg_raising": S_("straight-leg raising"),
    "impact_or_jumping": S_("impact or jumping"),
    "running": S_("running"),
    "heavy_lifting": S_("heavy lifting"),
}
# Intensity ceilings (restrictions.INTENSITY_ORDER) inside a sentence.
INTENSITY_WORDS = {
    "light": S_("light"),
    "light_to_moderate": S_("light-to-moderate"),
    "moderate": S_("moderate"),
    "vigorous": S_("vigorous"),
}

HOLD_CODES = {
    "hold_pending_unread_text": "on_hold.unread_text",
    "hold_pending_missing_data": "on_hold.missing_data",
    "delay_until_recovered": "on_hold.unwell",
}

HOLD_WHY = {
    "hold_pending_unread_text": S_("the client's words are in a language the screening "
                                   "does not read"),
    "hold_pending_missing_data": S_("the PAR-Q+ questionnaire is incomplete"),
    "delay_until_recovered": S_("the client is unwell today: wait until they feel better"),
}
HEALTH_CHANGED_WHY = S_(
    "the client's health has changed: re-answer the PAR-Q+ follow-up questions")


@dataclass(frozen=True)
class Journey:
    """Where one client stands. ``as_dict()`` is what APIs return."""

    status: str
    status_label: str
    urgency: str | None  # emergency | urgent | routine | None
    urgency_label: str | None
    badge: str  # Emergency, Urgent, Routine, Cleared, Cleared with limits, Do not train, ...
    headline: str  # the result in words, full width on the intake's confirmation
    reason: str  # why, in plain words
    next_action: str
    do_not_train: bool
    assessment_allowed: bool
    assessment_block_reason: str | None
    assessment_note: str | None
    excluded_movements: list[str] = field(default_factory=list)
    intensity_cap: str | None = None
    restrictions: dict[str, Any] | None = None
    needs_review: list[dict[str, Any]] = field(default_factory=list)
    emergency_instruction: str | None = None
    target: str | None = None
    # Which of the journey's texts this is (a CLIENT_TEXTS key): the client's pages
    # translate by it, never the English above (which names people and dates).
    text_code: str = ""
    # The staff texts above as msgids and values (Text): a staff page says them in its
    # catalog's language (staff_texts, in_language); not in as_dict (the API's English).
    texts: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        found = asdict(replace(self, texts={}))
        del found["texts"]
        return found


EMERGENCY_INSTRUCTION = N_(
    "Call emergency services now (%(number)s) and follow the facility emergency plan. Do "
    "not start or continue any exercise. Emails to the client and the physician are "
    "documentation only, not how this emergency is handled."
)


def emergency_instruction(emergency_number: str) -> str:
    """REF-3: emergency-grade findings are handled by people, now; not by email."""
    return EMERGENCY_INSTRUCTION % {"number": emergency_number}


def journey(
    decision: dict[str, Any] | None,
    *,
    answer: dict[str, Any] | None = None,
    referral: dict[str, Any] | None = None,
    emergency_number: str = "911",
    today: dt.date | None = None,
    emergency: dict[str, Any] | None = None,
) -> Journey:
    """Compute where the client stands (client-journey.md) from their latest decision.

    ``emergency``: what staff did about this decision's emergency, when anything
    (``acknowledged_at``, ``acknowledged_by``, ``resolved_at``, ``resolved_by``,
    ``note``); see ``_emergency_handled``."""
    if decision is None:
        return _journey(
            "screening_pending", None, badge=BADGE_SCREENING,
            headline=Text(S_("Screening in progress — this page updates by itself")),
            reason=Text(S_("The answers are being screened (a few seconds).")),
            next_action=Text(S_("Wait for the screening (seconds)")),
            block=Text(S_("Screening not finished — do not assess yet")),
            code="screening_pending",
        )
    reasons = decision.get("reasons") or []
    urgency = _urgency(decision)
    review = needs_review(decision)
    target = decision.get("target")
    if decision.get("urgency") == "emergency" and emergency:
        return _emergency_handled(decision, review, emergency, emergency_number)
    if decision.get("urgency") == "emergency":
        return _journey(
            "emergency", "emergency", badge=URGENCY_LABELS["emergency"], target=target,
            review=review,
            headline=Text(S_("Emergency — call %(number)s now, do not exercise"),
                          number=emergency_number),
            reason=_why(decision),
            next_action=Text(S_("Call %(number)s now; then acknowledge and resolve with a "
                                "note"), number=emergency_number),
            block=Text(S_("Emergency — do not assess")),
            instruction=Text(EMERGENCY_INSTRUCTION, number=emergency_number),
        )
    holds = [s for s in HOLD_STATES if any(r.get("program_state") == s for r in reasons)]
    if holds:
        why = Text(HOLD_WHY[holds[0]])
        code = HOLD_CODES[holds[0]]
        if _health_changed(reasons) and holds[0] == "hold_pending_missing_data":
            why = Text(HEALTH_CHANGED_WHY)
            code = "on_hold.health_changed"
        return _journey(
            "on_hold", urgency, badge=BADGE_DO_NOT_TRAIN, target=target, review=review,
            headline=Text(S_("On hold — %(why)s"), why=why),
            reason=Words(why, sentence=True),
            next_action=_hold_action(holds[0], reasons),
            block=Text(S_("On hold (%(why)s) — do not assess"), why=why), code=code,
        )
    if answer is not None and target is not None:
        return _answered(decision, answer, urgency, review, referral, today)
    if target is None:
        return _in_scope(decision, review)
    return _outstanding(decision, urgency, review, referral, today)


# -- the pieces --------------------------------------------------------------------


def _journey(
    status: str,
    urgency: str | None,
    *,
    badge: str,
    headline: Text | Words,
    reason: Text | Words,
    next_action: Text | Words,
    block: Text | Words | None,
    note: Text | Words | None = None,
    excluded: list[str] | None = None,
    intensity_cap: str | None = None,
    restrictions: dict[str, Any] | None = None,
    review: list[dict[str, Any]] | None = None,
    instruction: Text | None = None,
    target: str | None = None,
    train: bool = False,
    code: str | None = None,
) -> Journey:
    texts = {"headline": headline, "reason": reason, "next_action": next_action,
             "assessment_block_reason": block, "assessment_note": note,
             "emergency_instruction": instruction}
    return Journey(
        status=status,
        status_label=STATUS_LABELS[status],
        urgency=urgency,
        urgency_label=URGENCY_LABELS.get(urgency or ""),
        badge=badge,
        headline=str(headline),
        reason=str(reason),
        next_action=str(next_action),
        do_not_train=not train,
        assessment_allowed=block is None,
        assessment_block_reason=None if block is None else str(block),
        assessment_note=None if note is None else str(note),
        excluded_movements=excluded or [],
        intensity_cap=intensity_cap,
        restrictions=restrictions,
        needs_review=review or [],
        emergency_instruction=None if instruction is None else str(instruction),
        target=target,
        text_code=code or status,
        texts={k: v for k, v in texts.items() if v is not None},
    )


def _urgency(decision: dict[str, Any]) -> str | None:
    value = decision.get("urgency")
    return value if value in URGENCY_LABELS else None


def _assessed(decision: dict[str, Any]) -> bool:
    return decision.get("stage") == "assessment" or decision.get("program") is not None


def _words(target: str | None) -> Text:
    """The clinician a decision names, inside a sentence ("physical therapist")."""
    return Text(TARGET_WORDS.get(target or "", TARGET_DEFAULT))


def _grade(urgency: str | None) -> Text:
    return Text(GRADE_WORDS.get(urgency or "routine", GRADE_WORDS["routine"]))


def _in_scope(decision: dict[str, Any], review: list[dict[str, Any]]) -> Journey:
    cap = decision.get("intensity_cap")
    if decision.get("program") is not None:
        return _journey(
            "program_ready", None, badge=BADGE_CLEARED, review=review, train=True,
            headline=Text(S_("Program ready — train")),
            reason=Text(S_("In scope: the corrective program is built.")),
            next_action=_reassess_action(decision),
            block=None, intensity_cap=cap,
        )
    return _journey(
        "awaiting_assessment", None, badge=BADGE_CLEARED, review=review,
        headline=Text(S_("Ready for the movement assessment")),
        reason=Text(S_("Screening found nothing that needs a clinician first.")),
        next_action=Text(S_("Assess")), block=None, intensity_cap=cap,
    )


def _outstanding(decision: dict[str, Any], urgency: str | None, review: list[dict[str, Any]],
                 referral: dict[str, Any] | None, today: dt.date | None) -> Journey:
    target = decision.get("target")
    words = _words(target)
    badge = URGENCY_LABELS.get(urgency or "", BADGE_DO_NOT_TRAIN)
    grade = _grade(urgency)
    waiting = _waiting(referral, target, today)
    if decision.get("program_state") == "build_moderate_only_until_clearance":
        # SYS-5: assessed and trained at <= moderate while clearance for vigorous is pending.
        program = decision.get("program") is not None
        return _journey(
            "clearance_needed", urgency, badge=badge, target=target, review=review, train=True,
            headline=Text(S_("Moderate intensity only — medical clearance (physician) before "
                             "vigorous exercise")),
            reason=Text(S_("Known condition, no symptoms, wants vigorous exercise: moderate "
                           "intensity is fine; vigorous waits for the physician.")),
            next_action=(Text(S_("Train at moderate intensity; %(waiting)s"), waiting=waiting)
                         if program else
                         Text(S_("Assess (moderate intensity only); %(waiting)s"),
                              waiting=waiting)),
            block=None, intensity_cap="moderate", code="clearance_needed.moderate",
            note=Text(S_("Moderate intensity only until a physician clears vigorous "
                         "exercise.")),
        )
    excluded, unmatched = painful_movements(decision)
    if _msk_only(decision):
        note = _msk_note(excluded, unmatched, words)
        status = "referred" if target == "physical_therapist" else "clearance_needed"
        return _journey(
            status, urgency, badge=badge, target=target, review=review,
            headline=Text(S_("Refer to a %(clinician)s — do not train the painful area"),
                          clinician=words),
            reason=Text(S_("Pain or injury in muscles or joints: a routine referral.")),
            next_action=Text(S_("%(waiting)s; assess without the painful movements"),
                             waiting=waiting),
            block=None, note=note, excluded=excluded, code="msk",
        )
    if target == "physical_therapist":
        return _journey(
            "referred", urgency, badge=badge, target=target, review=review,
            headline=Text(S_("Refer to a physical therapist — do not train until they "
                             "answer")),
            reason=_why(decision), next_action=waiting,
            block=Words(Text(S_("%(grade)s physical therapist referral pending — do not "
                                "assess"), grade=grade), start=True),
        )
    return _journey(
        "clearance_needed", urgency, badge=badge, target=target, review=review,
        headline=Text(S_("Do not train — %(grade)s medical clearance (%(clinician)s)"),
                      grade=grade, clinician=words),
        reason=_why(decision), next_action=waiting,
        block=Words(Text(S_("%(grade)s %(clinician)s clearance pending — do not assess"),
                         grade=grade, clinician=words), start=True),
    )


def _answered(decision: dict[str, Any], answer: dict[str, Any], urgency: str | None,
              review: list[dict[str, Any]], referral: dict[str, Any] | None,
              today: dt.date | None) -> Journey:
    target = decision.get("target")
    words = _words(target)
    kind = answer.get("answer")
    if not answer.get("verified", True):
        return _journey(
            "answer_to_verify", urgency, badge=BADGE_DO_NOT_TRAIN, target=target, review=review,
            headline=Text(S_("Do not train — verify the clinician's answer with the "
                             "clinician first")),
            reason=Text(S_("The %(clinician)s's answer did not come through their own link."),
                        clinician=words),
            next_action=Text(S_("Verify clinician's answer (who, how, when)")),
            block=Text(S_("Clinician's answer not yet verified — do not assess")),
            code="answer_to_verify",
        )
    restrictions = answer.get("restrictions") or None
    if kind in ("cleared", "cleared_with_restrictions"):
        limited = kind == "cleared_with_restrictions" or bool(restrictions)
        cap = (restrictions or {}).get("max_intensity") or decision.get("intensity_cap")
        badge = BADGE_CLEARED_WITH_LIMITS if limited else BADGE_CLEARED
        cleared = Text(S_("The %(clinician)s cleared the client within the clinician's "
                          "limits.") if limited else
                       S_("The %(clinician)s cleared the client."), clinician=words)
        if _assessed(decision):
            return _journey(
                "program_ready", urgency, badge=badge, target=target, review=review, train=True,
                headline=Text(S_("Cleared by the %(clinician)s — train within the "
                                 "clinician's limits") if limited else
                              S_("Cleared by the %(clinician)s — train"), clinician=words),
                reason=cleared,
                next_action=Text(S_("Build program within limits") if limited
                                 else S_("Build the program")),
                block=None, intensity_cap=cap, restrictions=restrictions,
                code="program_ready.cleared" + ("_limits" if limited else ""),
            )
        return _journey(
            "awaiting_assessment", urgency, badge=badge, target=target, review=review,
            headline=Text(S_("Cleared by the %(clinician)s — ready for the movement "
                             "assessment"), clinician=words),
            reason=cleared,
            next_action=Text(S_("Assess within the clinician's limits") if limited
                             else S_("Assess")),
            block=None, intensity_cap=cap, restrictions=restrictions,
            note=(Text(S_("Cleared with limits: %(limits)s"),
                       limits=_limits_words(restrictions)) if limited else None),
            code="awaiting_assessment.cleared" + ("_limits" if limited else ""),
        )
    if kind == "not_cleared":
        named = answer.get("answered_by")
        who = named or Text(S_("the %(clinician)s"), clinician=words)
        return _journey(
            "on_hold", urgency, badge=BADGE_DO_NOT_TRAIN, target=target, review=review,
            headline=Text(S_("On hold — not cleared by %(who)s"), who=who),
            reason=Text(S_("Not cleared by %(who)s."), who=who),
            next_action=Text(S_("No training: not cleared by the clinician")),
            block=Text(S_("Not cleared by %(who)s — do not assess"), who=who),
            code="on_hold.not_cleared",
        )
    # needs_visit: unchanged, the appointment is pending.
    base = _outstanding(decision, urgency, review, referral, today)
    pending = Text(S_("Appointment pending with the %(clinician)s"), clinician=words)
    return replace(base, next_action=str(pending), text_code=base.text_code + VISIT,
                   texts={**base.texts, "next_action": pending})


def _emergency_handled(decision: dict[str, Any], review: list[dict[str, Any]],
                       emergency: dict[str, Any], emergency_number: str) -> Journey:
    """Staff acknowledged the emergency (still an emergency: resolve it with a note), or
    resolved it. Resolving never unlocks training: the client then waits for a
    physician's clearance, urgent, before any exercise or assessment."""
    target = decision.get("target")
    if not emergency.get("resolved_at"):
        who = emergency.get("acknowledged_by") or Text(S_("staff"))
        return _journey(
            "emergency", "emergency", badge=URGENCY_LABELS["emergency"], target=target,
            review=review,
            headline=Text(S_("Emergency — call %(number)s now, do not exercise"),
                          number=emergency_number),
            reason=_why(decision),
            next_action=Text(S_("Acknowledged by %(who)s; resolve with a note once handled"),
                             who=who),
            block=Text(S_("Emergency — do not assess")),
            instruction=Text(EMERGENCY_INSTRUCTION, number=emergency_number),
        )
    note = str(emergency.get("note") or "").strip()
    who = emergency.get("resolved_by") or Text(S_("staff"))
    resolved = (Text(S_("Emergency resolved by %(who)s: %(note)s"), who=who, note=note)
                if note else Text(S_("Emergency resolved by %(who)s"), who=who))
    return _journey(
        "clearance_needed", "urgent", badge=URGENCY_LABELS["urgent"], target="physician",
        review=review,
        headline=Text(S_("Do not train — emergency handled; urgent medical clearance "
                         "(physician) before any exercise")),
        reason=Words(resolved, sentence=True),
        next_action=Text(S_("Get a physician's clearance before any exercise or assessment")),
        block=Text(S_("Emergency resolved — urgent physician clearance pending, do not "
                      "assess")),
        code="emergency.resolved",
    )


# -- helpers -----------------------------------------------------------------------


def _msk_only(decision: dict[str, Any]) -> bool:
    """DEC-6: the only referral is a routine physical-therapist referral for
    musculoskeletal pain (and nothing blocks the assessment)."""
    if "blocked:assessment" in (decision.get("flags") or []):
        return False
    outstanding = [r for r in decision.get("reasons") or [] if r.get("outcome") != "in_scope"]
    if not outstanding:
        return False
    for r in outstanding:
        if r.get("urgency") != "routine" or r.get("program_state") != "hold_pending_clearance":
            return False
        if r.get("target") != "physical_therapist" and r.get("rule") not in MSK_RULES:
            return False
    return True


def painful_movements(decision: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The assessment movements to leave out for a musculoskeletal referral: those the
    engine's DEC-6 gate lists, those that hurt in an assessment, and those loading a
    painful region named at intake (regions.movements_loading). Also returns the
    regions that match no body part (the trainer must ask)."""
    excluded: set[str] = set()
    regions: list[str] = []
    for r in decision.get("reasons") or []:
        facts = r.get("facts") or {}
        if not isinstance(facts, dict):
            continue
        if r.get("rule") == "DEC-6" and isinstance(facts.get("assessment.leave_out"), list):
            excluded.update(str(t) for t in facts["assessment.leave_out"])
        if r.get("outcome") == "in_scope":
            continue
        for key, value in facts.items():
            if key.endswith(".region") and isinstance(value, str) and value.strip():
                regions.append(value.strip())
            if key == "assessment.pain_during" and isinstance(value, list):
                excluded.update(p.get("test") for p in value if isinstance(p, dict))
        zero = facts.get("fms.pain_zero")
        if isinstance(zero, list):
            excluded.update(str(test) for test in zero)
    unmatched: list[str] = []
    for region in regions:
        parts, tests = movements_loading(region)
        if not parts and region not in unmatched:
            unmatched.append(region)
        excluded.update(tests)
    order = list(MOVEMENT_WORDS)
    known = sorted((m for m in excluded if m in MOVEMENT_WORDS), key=order.index)
    return known, unmatched


def _msk_note(excluded: list[str], unmatched: list[str], words: Text) -> Words:
    parts: list[Any] = []
    if excluded:
        names = Words(*(Text(MOVEMENT_WORDS[m]) for m in excluded), sep=", ")
        parts.append(Text(S_("Painful movements left out: %(movements)s."), movements=names))
    if unmatched:
        parts.append(Text(S_("Ask which movements hurt in: %(regions)s; leave out any "
                             "movement that hurts."), regions=", ".join(unmatched)))
    if not parts:
        parts.append(Text(S_("Leave out any movement that hurts.")))
    # The clinician the decision names (a physician where PT referrals go through one).
    parts.append(Text(S_("The %(clinician)s sees the painful area."), clinician=words))
    return Words(*parts, sep=" ")


def _health_changed(reasons: list[dict[str, Any]]) -> bool:
    return any((r.get("facts") or {}).get("parq.delay.health_change") for r in reasons
               if isinstance(r.get("facts"), dict))


def _hold_action(state: str, reasons: list[dict[str, Any]]) -> Text:
    if state == "hold_pending_unread_text":
        return Text(S_("Have someone who reads the language read the client's words today; "
                       "correct the intake if they describe a symptom, then dismiss the flag "
                       "saying what they say"))
    if state == "delay_until_recovered":
        return Text(S_("No training today: wait until the client is well"))
    if _health_changed(reasons):
        return Text(S_("Have the client re-answer the PAR-Q+ follow-up questions"))
    return Text(S_("Complete the PAR-Q+ questionnaire"))


def _why(decision: dict[str, Any]) -> Text | Words:
    """Why the headline reason fired, in plain words (no rule ids, no design notes)."""
    urgency = decision.get("urgency")
    target = decision.get("target")
    top = [r for r in decision.get("reasons") or []
           if r.get("urgency") == urgency and r.get("target") == target
           and r.get("outcome") != "in_scope"]
    found: list[Text] = []
    for r in top:
        words = _rule_words(r)
        if str(words) not in map(str, found):
            found.append(words)
    if not found:
        return Text(S_("Screening needs a clinician first."))
    return Words(*found, sep="; ", sentence=True)


def _rule_words(reason: dict[str, Any]) -> Text:
    rule = reason.get("rule") or ""
    facts = reason.get("facts") if isinstance(reason.get("facts"), dict) else {}
    if rule == "PARQ-3" and facts.get("parq.delay.pregnant"):
        return Text(S_("pregnancy"))
    if rule == "SYS-7":
        phrase = facts.get("phrase")
        return Text(S_("notes mention \u201c%(phrase)s\u201d"),
                    phrase=phrase if phrase is not None else Text(S_("a warning sign")))
    if rule.startswith("PARQ") or rule == "SYS-8":
        return Text(S_("PAR-Q+ answers need a physician's advice"))
    if rule.startswith("ACSM") or rule == "SYS-4":
        return Text(S_("heart, metabolic or kidney condition or symptoms"))
    if rule in ("RF-2", "RF-3", "RF-1"):
        return Text(S_("warning signs on the intake"))
    if rule in MSK_RULES:
        return Text(S_("pain or injury"))
    return Text(S_("screening answers"))


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


# The notify service's reason for a letter it did not send because the client did not
# consent to sharing (its NO_SHARE_CONSENT); the board turns it into the clerk's task.
LETTER_NO_SHARE_CONSENT = "no consent to share"
ASK_CONSENT_OR_PRINT = S_("Ask the client to consent, or print the letter for them")


def _waiting(referral: dict[str, Any] | None, target: str | None,
             today: dt.date | None) -> Text:
    if LETTER_NO_SHARE_CONSENT in str((referral or {}).get("problem") or ""):
        return Text(ASK_CONSENT_OR_PRINT)  # nothing goes to the clinician until one is done
    recipient = (referral or {}).get("recipient")
    who = recipient or Text(S_("the %(clinician)s"), clinician=_words(target))
    since = _as_date((referral or {}).get("since"))
    if since is None:
        return Text(S_("Waiting for %(who)s"), who=who)
    days = max(((today or dt.date.today()) - since).days, 0)
    if days == 0:  # "since 0 days" read as a fault on the board
        return Text(S_("Waiting for %(who)s since today"), who=who)
    return Text(*Sn_("Waiting for %(who)s since %(num)d day",
                     "Waiting for %(who)s since %(num)d days"), days, who=who)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def _reassess_action(decision: dict[str, Any]) -> Text:
    program = decision.get("program") or {}
    when = program.get("reassess_on") if isinstance(program, dict) else None
    return (Text(S_("Train; re-assess on %(date)s"), date=Day(str(when))) if when
            else Text(S_("Train; re-assess on the program's date")))


def _limits_words(restrictions: dict[str, Any] | None) -> Text | Words:
    r = restrictions or {}
    parts: list[Any] = []
    if r.get("max_intensity"):
        cap = r["max_intensity"]
        parts.append(Text(S_("at most %(intensity)s intensity"),
                          intensity=Text(INTENSITY_WORDS[cap]) if cap in INTENSITY_WORDS
                          else str(cap)))
    if r.get("avoid_movements"):
        avoided = Words(*(Text(AVOID_WORDS[m]) if m in AVOID_WORDS else str(m)
                          for m in r["avoid_movements"]), sep=", ")
        parts.append(Text(S_("avoid %(movements)s"), movements=avoided))
    if r.get("notes"):
        parts.append(str(r["notes"]))
    return Words(*parts, sep="; ") if parts else Text(S_("see the clinician's answer"))


def needs_review(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """DEC-2 / DEC-3: what staff must confirm or dismiss, with the words that fired or
    both sides of a contradiction (inscope_clinical.review.items: each has a ``key``);
    what staff already confirmed or dismissed is not listed."""
    return review_items(decision)


def sort_key(j: Journey, waiting_since: dt.datetime | None = None) -> tuple[Any, ...]:
    """Board order: emergency, urgent, routine, then the rest; the longest waiting first."""
    since = waiting_since.timestamp() if waiting_since else float("inf")
    return (URGENCY_RANK.get(j.urgency, 3), since)


# -- what a client reads -----------------------------------------------------------

# A clinician's answer is awaited as an appointment: the text's code gains this ending.
VISIT = "+visit"
# Who a client waits for, as the client's texts name them (%(clinician)s).
CLINICIAN_WORDS = {
    "physician": N_("the physician"),
    "physical_therapist": N_("the physical therapist"),
    "emergency_services": N_("emergency services"),
}
CLINICIAN_DEFAULT = N_("the clinician")
NEXT_LABEL = N_("Next:")  # before the next action, in the status box
APPOINTMENT_PENDING = N_("Appointment pending with %(clinician)s")

# Each text code's headline, reason and next action for a client's page, translated by
# the client catalogs (the intake's): the same message as the staff's English, without
# names, dates or rule words, so one sentence per code can be translated.
CLIENT_TEXTS: dict[str, tuple[str, str, str]] = {
    "screening_pending": (
        N_("Screening in progress — this page updates by itself"),
        N_("The answers are being screened (a few seconds)."),
        N_("Wait for the screening (seconds)"),
    ),
    "emergency": (
        N_("Emergency — call %(number)s now, do not exercise"),
        N_("The answers show warning signs that need medical help now."),
        N_("Call %(number)s now"),
    ),
    "emergency.resolved": (
        N_("Do not train — urgent medical clearance (physician) before any exercise"),
        N_("The emergency has been handled."),
        N_("Get a physician's clearance before any exercise"),
    ),
    "on_hold.unread_text": (
        N_("On hold — our staff will read your notes"),
        N_("Your notes are in a language our screening does not read: a member of our "
           "staff who reads it will read them."),
        N_("Wait until our staff have read your notes"),
    ),
    "on_hold.missing_data": (
        N_("On hold — the PAR-Q+ questionnaire is incomplete"),
        N_("The PAR-Q+ questionnaire is incomplete."),
        N_("Complete the PAR-Q+ questionnaire"),
    ),
    "on_hold.health_changed": (
        N_("On hold — health has changed"),
        N_("Health has changed: the PAR-Q+ follow-up questions need new answers."),
        N_("Answer the PAR-Q+ follow-up questions again"),
    ),
    "on_hold.unwell": (
        N_("On hold — wait until you feel better"),
        N_("Feeling unwell today: no exercise until you feel better."),
        N_("No training today: wait until you are well"),
    ),
    "on_hold.not_cleared": (
        N_("On hold — not cleared by %(clinician)s"),
        N_("%(clinician)s did not clear exercise."),
        N_("No training: not cleared by the clinician"),
    ),
    "answer_to_verify": (
        N_("Do not train — the clinician's answer is being checked"),
        N_("Our staff check the answer with the clinician first."),
        N_("Wait until our staff have checked the answer"),
    ),
    "awaiting_assessment": (
        N_("Ready for the movement assessment"),
        N_("Screening found nothing that needs a clinician first."),
        N_("The movement assessment"),
    ),
    "awaiting_assessment.cleared": (
        N_("Cleared by %(clinician)s — ready for the movement assessment"),
        N_("%(clinician)s cleared exercise."),
        N_("The movement assessment"),
    ),
    "awaiting_assessment.cleared_limits": (
        N_("Cleared by %(clinician)s — ready for the movement assessment"),
        N_("%(clinician)s cleared exercise within limits."),
        N_("The movement assessment, within the clinician's limits"),
    ),
    "program_ready": (
        N_("Program ready — train"),
        N_("In scope: the corrective program is built."),
        N_("Train; re-assess on the program's date"),
    ),
    "program_ready.cleared": (
        N_("Cleared by %(clinician)s — train"),
        N_("%(clinician)s cleared exercise."),
        N_("Train with the program"),
    ),
    "program_ready.cleared_limits": (
        N_("Cleared by %(clinician)s — train within the clinician's limits"),
        N_("%(clinician)s cleared exercise within limits."),
        N_("Train with the program, within the clinician's limits"),
    ),
    "clearance_needed.moderate": (
        N_("Moderate intensity only — medical clearance (physician) before vigorous exercise"),
        N_("Moderate intensity is fine; vigorous exercise waits for the physician."),
        N_("Moderate intensity only, until the physician answers"),
    ),
    "msk": (
        N_("Referral to %(clinician)s — do not train the painful area"),
        N_("Pain or injury in muscles or joints: a routine referral."),
        N_("Waiting for %(clinician)s; the movement assessment leaves out painful movements"),
    ),
    "referred": (
        N_("Referral to %(clinician)s — do not train until they answer"),
        N_("The answers need %(clinician)s first."),
        N_("Waiting for %(clinician)s"),
    ),
    "clearance_needed": (
        N_("Do not train — medical clearance from %(clinician)s first"),
        N_("The answers need %(clinician)s first."),
        N_("Waiting for %(clinician)s"),
    ),
}


def client_texts(j: Journey, gettext: Callable[[str], str],
                 emergency_number: str) -> dict[str, str | None]:
    """The journey's texts a client may read (the status box on their pages), in the
    language ``gettext`` speaks, chosen by the journey's codes."""
    code, visit, _ = j.text_code.partition(VISIT)
    headline, reason, next_action = CLIENT_TEXTS[code]
    clinician = gettext(CLINICIAN_WORDS.get(j.target or "", CLINICIAN_DEFAULT))
    values = {"number": emergency_number, "clinician": clinician}

    def say(msgid: str) -> str:
        return _sentence_start(gettext(msgid) % values)

    return {
        "status_label": gettext(STATUS_LABELS[j.status]),
        "urgency_label": gettext(URGENCY_LABELS[j.urgency]) if j.urgency else None,
        "headline": say(headline),
        "reason": say(reason),
        "next_action": say(APPOINTMENT_PENDING if visit else next_action),
        "emergency_instruction": (say(EMERGENCY_INSTRUCTION) if j.emergency_instruction
                                  else None),
    }


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- staff texts by msgid ------------------------------------------------------------


def Sn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - gettext's marker
    """Marks a plural pair for the catalogs (``make messages`` extracts ``Sn_:1,2``)."""
    return singular, plural


class Day(str):
    """A calendar date in a staff text: the stored ISO date (what ``str()`` and the APIs
    give); a page says it in the facility's format (``say``'s ``day``, Locale.date)."""

    __slots__ = ()


# Writes a Day in the facility's format (inscope_common.localtime.Locale.date).
DayFormat = Callable[[str], str]


class Text:
    """A staff text as a catalog msgid and its values: English (the source) by
    ``str()``, another language by ``say(gettext, ngettext)`` (a service's staff
    catalog). A value that is a ``Text`` is translated too; a plain ``str`` value is
    data (a name, a date, what a person typed, a number) and is quoted as it is.
    ``plural`` with ``n``: ngettext's plural form (``%(num)d`` is ``n``)."""

    __slots__ = ("msgid", "plural", "n", "values")

    def __init__(self, msgid: str, plural: str | None = None, n: int | None = None,
                 **values: Any) -> None:
        self.msgid, self.plural, self.n, self.values = msgid, plural, n, values

    def say(self, gettext: Callable[[str], str] | None = None,
            ngettext: Callable[[str, str, int], str] | None = None,
            day: DayFormat | None = None) -> str:
        values = {k: say(v, gettext, ngettext, day) for k, v in self.values.items()}
        if self.plural is not None and self.n is not None:
            n = self.n
            if ngettext is None:
                text = self.msgid if n == 1 else self.plural
            else:
                text = ngettext(self.msgid, self.plural, n)
            return text % {**values, "num": n}
        text = gettext(self.msgid) if gettext is not None else self.msgid
        return text % values if values else text

    def __str__(self) -> str:
        return self.say()

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, {self.values!r})"


class Words:
    """Texts joined by ``sep`` (not a word: punctuation); ``sentence``: the first letter
    upper-case and a final full stop (``_sentence``), ``start``: the first letter only."""

    __slots__ = ("parts", "sep", "sentence", "start")

    def __init__(self, *parts: Any, sep: str = "", sentence: bool = False,
                 start: bool = False) -> None:
        self.parts, self.sep, self.sentence, self.start = parts, sep, sentence, start

    def say(self, gettext: Callable[[str], str] | None = None,
            ngettext: Callable[[str, str, int], str] | None = None,
            day: DayFormat | None = None) -> str:
        text = self.sep.join(say(p, gettext, ngettext, day) for p in self.parts)
        if self.sentence:
            return _sentence(text)
        return _sentence_start(text) if self.start else text

    def __str__(self) -> str:
        return self.say()


def say(value: Any, gettext: Callable[[str], str] | None = None,
        ngettext: Callable[[str, str, int], str] | None = None,
        day: DayFormat | None = None) -> str:
    """A staff text (``Text``, ``Words``) in the language the callables speak (none: the
    English source), its dates (``Day``) as ``day`` writes them (none: ISO); a plain
    string as it is."""
    if isinstance(value, (Text, Words)):
        return value.say(gettext, ngettext, day)
    if isinstance(value, Day) and day is not None:
        return day(value)
    return "" if value is None else str(value)


# The journey's texts a staff page shows, each rendered from its msgid (STAFF_TEXTS).
STAFF_FIELDS = ("headline", "reason", "next_action", "assessment_block_reason",
                "assessment_note", "emergency_instruction")


def staff_texts(j: Journey, gettext: Callable[[str], str],
                ngettext: Callable[[str, str, int], str],
                day: DayFormat | None = None) -> dict[str, str | None]:
    """The journey's staff texts (headline, reason, next action, why the assessment
    waits, the assessment's note, the emergency instruction) in the language of a
    service's staff catalog, dates as ``day`` writes them; the Journey's own fields are
    the English source."""
    found: dict[str, str | None] = {}
    for name in STAFF_FIELDS:
        text = j.texts.get(name, getattr(j, name))
        found[name] = None if text is None else say(text, gettext, ngettext, day)
    return found


def in_language(j: Journey, gettext: Callable[[str], str],
                ngettext: Callable[[str, str, int], str],
                day: DayFormat | None = None) -> Journey:
    """The same journey with its staff texts in the catalog's language (a page's) and
    its dates in the facility's format (``day``); codes, labels and badges unchanged
    (the pages translate those themselves)."""
    return replace(j, **staff_texts(j, gettext, ngettext, day))
