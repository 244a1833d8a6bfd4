"""Which emails an event calls for, to whom, and what goes in them (pure; no I/O).

Consent and missing contact details are decided here (REF-4): an email that must not go
out is still planned, with the reason it is blocked, so that it is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from gettext import NullTranslations
from typing import Any

from inscope_clinical import program_sheet as sheet
from inscope_clinical.letters import vocabulary as v
from inscope_clinical.letters.findings import behind_outcome, findings_of
from inscope_clinical.letters.letter import (
    IsoDates,
    Letter,
    Locale,
    Sender,
    progress_letter,
    referral_letter,
    signed_sender,
)
from inscope_clinical.library import client_words
from inscope_clinical.program_sheet import ProgramSheet, program_sheet
from inscope_clinical.reasons import CLINICIAN_OUTCOMES
from inscope_clinical.restrictions import MOVEMENT_LABELS


def N_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks the words below for the client catalog (inscope_notify/translations,
    ``make messages``); they are translated where an email is planned, into the client's
    language (``Setup.translations``)."""
    return text


NO_SHARE_CONSENT = "no consent to share"
NO_PHYSICIAN_CONTACT = "no physician contact"
NO_EMAIL_CONSENT = "no consent to email"
NO_CLIENT_EMAIL = "no client email address"
LETTER_OUTCOMES = CLINICIAN_OUTCOMES  # DEC-1: every outcome naming a clinician

HOW_SOON = {
    "emergency": N_("right now. Call emergency services ({number}) or go to the nearest "
    "emergency department"),
    "urgent": N_("within {days} days. Please book an appointment soon"),
    "routine": N_("at your next convenient appointment"),
    "none": N_("when convenient"),
}
TRAINING = {
    "none_emergency": N_("Please do not train until a doctor has seen you."),
    "hold_pending_clearance": N_("We will pause your training until we hear back."),
    "build_moderate_only_until_clearance": N_("You can keep training, at moderate intensity at "
    "most, until your doctor clears you for vigorous exercise."),
    "delay_until_recovered": N_("Please rest until you feel well again; we will start then."),
    "hold_pending_missing_data": N_("We will start as soon as we have the missing "
                                    "information."),
    "hold_pending_unread_text": N_("We will start as soon as our staff have read your "
                                   "notes."),
    "build": N_("You can train as planned."),
}
WHAT_NEXT = {
    "hold_pending_missing_data": N_("Please complete the missing health questions at the front "
    "desk, or reply to this email and we will send them to you."),
    "delay_until_recovered": N_("Tell us when you feel better and we will book your session."),
}
ANSWER_WORDS = {
    "cleared": N_("has cleared you for exercise"),
    "cleared_with_restrictions": N_("has cleared you for exercise, with some limits"),
    "not_cleared": N_("has not cleared you for exercise for now"),
    "needs_visit": N_("would like to see you before giving an answer"),
}
ANSWER_NEXT = {
    "cleared": N_("Your trainer will now build or resume your corrective exercise program."),
    "cleared_with_restrictions": N_("Your trainer will build your program within these "
                                    "limits."),
    "not_cleared": N_("Your training stays paused. Please follow your clinician's advice; when "
    "they clear you, we will start again."),
    "needs_visit": N_("Please book an appointment with them. Your training stays paused until "
    "they have seen you and answered."),
}
# An answer given before the movement assessment, told again once the program is built
# within it (DEC-7 carry-over: ``after_assessment``).
ANSWER_NEXT_AFTER_ASSESSMENT = {
    "cleared": N_("Your movement assessment is done and your trainer has built your corrective "
    "exercise program."),
    "cleared_with_restrictions": N_("Your movement assessment is done and your trainer has "
    "built your corrective exercise program within these limits."),
}


# The safety net (REF-2), written for what the client reported: each entry is the facts
# that call for it and what to do, in the client's words. "{number}" is the facility's
# emergency number. Only a client whose decision sends them to a clinician gets one; a
# "program ready" email carries none.
_CHEST = (
    "red_flags.chest_pain_now",
    "red_flags.chest_pain_last_12h",
    "red_flags.chest_pain_12_to_72h",
    "red_flags.exertional_chest_discomfort_relieved_by_rest",
    "acsm.signs_symptoms.ischaemic_discomfort",
    "parq.general.g2",
)
_FAINT = (
    "acsm.signs_symptoms.dizziness_or_syncope",
    "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion",
    "acsm.signs_symptoms.palpitations_or_tachycardia",
    "parq.general.g3",
)
# Known heart disease and no cardiac symptom (ACSM: clearance before vigorous exercise):
# nothing reported to "get worse", so the warning signs to stop for. A client with a
# cardiac symptom gets that symptom's entry above instead.
KNOWN_HEART_DISEASE = ("acsm.known_cv_disease",)
HEART_WARNING_SIGNS = N_(
    "If chest pain or pressure, unusual shortness of breath, dizziness or a racing heart "
    "comes on while you exercise or go about your day, stop and rest. Call {number} if it "
    "comes at rest, lasts more than 5 minutes or does not settle with rest."
)
SAFETY_NETS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        _CHEST,
        N_("If chest pain, pressure or discomfort comes on while you exercise, stop exercising "
        "now. Call {number} if it comes at rest, lasts more than 5 minutes or is worse than "
        "usual."),
    ),
    (
        _FAINT,
        N_("If you feel faint, dizzy, very short of breath or your heart races while you "
        "exercise, stop and sit or lie down. Call {number} if you faint, or if it comes with "
        "chest pain or does not settle within a few minutes of rest."),
    ),
    (
        (
            "red_flags.bladder_dysfunction",
            "red_flags.bowel_dysfunction",
            "red_flags.saddle_numbness",
            "red_flags.sexual_dysfunction",
            "red_flags.bilateral_leg_neuro_symptoms",
            "red_flags.bilateral_leg_weakness_progressive",
        ),
        N_("Go to an emergency department at once, or call {number}, if you cannot pass urine "
        "or lose control of your bladder or bowel, or if numbness between your legs or "
        "weakness in your legs spreads or gets worse."),
    ),
    (
        (
            "red_flags.sudden_stroke_signs",
            "red_flags.neck_pain_or_trauma_with_neuro_symptoms",
        ),
        N_("Call {number} at once if your face droops, an arm or leg becomes weak, or speaking, "
        "seeing or swallowing becomes difficult."),
    ),
    (
        ("red_flags.unilateral_calf_pain_swelling",),
        N_("Call {number} at once if you become short of breath, have chest pain or cough "
           "up blood."),
    ),
)


def safety_net(decision: dict[str, Any], number: str,
               gettext: Callable[[str], str] = str) -> list[str]:
    """What to do if it gets worse, only for what this client reported, and only when the
    decision sends them to a clinician (emergency, refer or clearance)."""
    if decision.get("outcome") not in LETTER_OUTCOMES and decision.get("urgency") != "emergency":
        return []
    reported: set[str] = set()
    for reason in decision.get("reasons") or []:
        facts = reason.get("facts")
        if isinstance(facts, dict):
            reported |= {k for k, value in facts.items() if value is True}
            for path in facts.get("general_yes") or []:
                reported.add(str(path))
    said = [gettext(text).format(number=number)
            for keys, text in SAFETY_NETS if reported & set(keys)]
    if reported & set(KNOWN_HEART_DISEASE) and not reported & {*_CHEST, *_FAINT}:
        said.append(gettext(HEART_WARNING_SIGNS).format(number=number))
    if not said:
        said = [gettext(SAFETY_NET_OTHERWISE).format(number=number)]
    return said


SAFETY_NET_OTHERWISE = N_(
    "If your symptoms suddenly get much worse, or something new and severe starts, do not "
    "wait for the appointment: see a doctor the same day, or call {number} in an emergency."
)


@dataclass(frozen=True)
class Setup:
    sender: Sender
    staff_email: str
    # The facility's time zone, date format and paper (FACILITY_TIME_ZONE, FACILITY_LOCALE).
    locale: Locale = field(default_factory=IsoDates)
    # The facility's language (FACILITY_LANGUAGE): a client who named none is written to
    # in it. ``translations`` gives a language's catalog (the service loads them from
    # inscope_notify/translations); none: the English source text.
    language: str = "en"
    translations: Callable[[str], NullTranslations] = field(
        default=lambda _language: NullTranslations(), compare=False, repr=False
    )

    def client_language(self, contact: dict[str, Any]) -> str:
        """The language to write to this client in: theirs, else the facility's."""
        return (contact.get("language")
                or (contact.get("client") or {}).get("preferred_language")
                or self.language)

    def gettext(self, language: str) -> Callable[[str], str]:
        return self.translations(language).gettext


@dataclass(frozen=True)
class PlannedEmail:
    kind: str
    role: str  # client | physician | trainer
    template: str
    recipient: str | None
    context: dict[str, Any]
    letter: Letter | None = None  # attached as a PDF
    blocked: str | None = None  # why it must not be sent; recorded instead
    guarded: bool = True  # client-facing or a letter: the scope guard reads every word
    referral_id: str | None = None
    program: ProgramSheet | None = None  # the client's program, attached as a PDF


def client_program(program: dict[str, Any] | None, contact: dict[str, Any],
                   setup: Setup) -> ProgramSheet | None:
    """The program-ready email's attachment (issue 9 item 5): the program in plain words,
    in the client's language."""
    if not program or not program.get("phases"):
        return None
    client = contact.get("client") or {}
    name = " ".join(p for p in (client.get("first_name"), client.get("last_name")) if p)
    return program_sheet(program, client_name=name, facility=setup.sender.facility,
                         gettext=setup.gettext(setup.client_language(contact)),
                         date_text=setup.locale.date)


def _client_block(contact: dict[str, Any]) -> str | None:
    if not (contact.get("consent") or {}).get("email"):
        return NO_EMAIL_CONSENT
    if not contact["client"].get("email"):
        return NO_CLIENT_EMAIL
    return None


def _physician_block(contact: dict[str, Any]) -> str | None:
    if not (contact.get("consent") or {}).get("share_with_physician"):
        return NO_SHARE_CONSENT
    if not (contact.get("physician") or {}).get("email"):
        return NO_PHYSICIAN_CONTACT
    return None


def signed(setup: Setup, decision: dict[str, Any]) -> Setup:
    """The setup with the decision's signer (``signed_by``: the assessing trainer's staff
    profile; at screening, the staff member responsible or the facility's lead) in place
    of the configured trainer."""
    return replace(setup, sender=signed_sender(setup.sender, decision.get("signed_by")))


def plan_decision(
    decision: dict[str, Any], contact: dict[str, Any], setup: Setup, today: date
) -> list[PlannedEmail]:
    """``referral.decided``: the client's email and, for a referral, the letter, signed by
    the decision's signer."""
    setup = signed(setup, decision)
    referral = decision.get("referral")
    referral_id = (referral or {}).get("referral_id")
    wants_letter = referral is not None or decision["outcome"] in LETTER_OUTCOMES
    letter = None
    physician_block = None
    if wants_letter:
        letter = referral_letter(
            sender=setup.sender,
            today=today,
            contact=contact,
            decision=decision,
            referral=referral,
            locale=setup.locale,
            version=(referral or {}).get("letter_version") or 1,
        )
        physician_block = _physician_block(contact)
        if physician_block:
            # The letter the client carries: its link is the carried one, so an answer
            # through it waits for staff to verify it with the clinician (DEC-7).
            carried = {**(referral or {}), "answer_url": (referral or {}).get("carried_answer_url")}
            letter = referral_letter(
                sender=setup.sender,
                today=today,
                contact=contact,
                decision=decision,
                referral=carried,
                locale=setup.locale,
                version=(referral or {}).get("letter_version") or 1,
            )
    base = _base(setup, contact)
    language = setup.client_language(contact)
    _ = setup.gettext(language)
    client_context = {
        **base,
        "language": language,
        **_decision_words(decision, setup, _),
        "program_attached": bool(client_program(decision.get("program"), contact, setup)),
        "letter_to": None if physician_block or not wants_letter else _physician_name(contact),
        "take_letter": bool(wants_letter and physician_block),
        "ask_physician_contact": physician_block == NO_PHYSICIAN_CONTACT,
    }
    if client_context["take_letter"] and decision.get("program_state") == "hold_pending_clearance":
        client_context["training"] = _(TRAINING_LETTER_CARRIED)
    planned = [
        PlannedEmail(
            "client_update",
            "client",
            "client_update",
            contact["client"].get("email"),
            client_context,
            letter=letter if physician_block else None,
            blocked=_client_block(contact),
            referral_id=referral_id,
            program=client_program(decision.get("program"), contact, setup),
        )
    ]
    if wants_letter:
        planned.append(
            PlannedEmail(
                "physician_referral",
                "physician",
                "physician_referral",
                (contact.get("physician") or {}).get("email"),
                {
                    **base,
                    "letter": letter,
                    "emergency": decision["urgency"] == "emergency",
                    "urgency": (referral or {}).get("urgency") or decision["urgency"],
                },
                letter=letter,
                blocked=physician_block,
                referral_id=referral_id,
            )
        )
    return planned


TRAINING_LETTER_CARRIED = N_(
    "We will pause your training until we have the clinician's answer. They can answer "
    "through the link in the letter, or call us."
)


def plan_answer(
    answer: dict[str, Any], contact: dict[str, Any], setup: Setup
) -> list[PlannedEmail]:
    """``referral.answered``: the client in plain words, the trainer the structured answer.
    An answer given before the assessment comes again once the program is built within it
    (``after_assessment``): the same emails, worded for the program now ready."""
    restrictions = answer.get("restrictions") or {}
    after = bool(answer.get("after_assessment"))
    words_next = ANSWER_NEXT_AFTER_ASSESSMENT if after else ANSWER_NEXT

    def worded(language: str) -> dict[str, Any]:
        _ = setup.gettext(language)
        intensity = v.INTENSITY.get(restrictions.get("max_intensity") or "")
        return {
            **_base(setup, contact),
            "language": language,
            "answer": answer,
            "who": answer.get("answered_by") or _physician_name(contact) or _(YOUR_CLINICIAN),
            "after_assessment": after,
            "answer_words": _(ANSWER_WORDS[answer["answer"]]),
            "answer_next": _(words_next.get(answer["answer"], ANSWER_NEXT[answer["answer"]])),
            "max_intensity": _(intensity) if intensity else None,
            # The engine's movement tags in words (DEC-7); anything else as given.
            "avoid": [_(MOVEMENT_LABELS[m]) if m in MOVEMENT_LABELS else m
                      for m in restrictions.get("avoid_movements") or []],
            "notes": restrictions.get("notes"),
            "program_attached": bool(client_program(answer.get("program"), contact, setup)),
        }

    # The client reads it in their language; the trainer in the facility's.
    context = worded(setup.client_language(contact))
    staff_context = worded(setup.language)
    referral_id = answer["referral_id"]
    return [
        PlannedEmail(
            "client_answer",
            "client",
            "client_answer",
            contact["client"].get("email"),
            context,
            blocked=_client_block(contact),
            referral_id=referral_id,
            program=client_program(answer.get("program"), contact, setup),
        ),
        PlannedEmail(
            "trainer_answer",
            "trainer",
            "trainer_answer",
            setup.staff_email,
            staff_context,
            guarded=False,
            referral_id=referral_id,
        ),
    ]


def plan_previsit(invited: dict[str, Any], contact: dict[str, Any], setup: Setup
                  ) -> list[PlannedEmail]:
    """``intake.previsit_invited``: the client's pre-visit link (issue 15 item 2). The
    client asked the desk for it, so no consent record exists yet; a link the client
    already used or that was withdrawn is not emailed (nothing is planned)."""
    if contact.get("status") != "sent":
        return []
    context = {
        "language": setup.client_language(contact),
        "facility": setup.sender.facility,
        "sender": setup.sender,
        "client": {"first_name": contact.get("first_name") or ""},
        "link_url": invited["link_url"],
        "expires_at": invited["expires_at"],
    }
    return [PlannedEmail("client_previsit", "client", "client_previsit",
                         contact.get("email") or None, context,
                         blocked=None if contact.get("email") else NO_CLIENT_EMAIL)]


def plan_reminder(
    reminder: dict[str, Any],
    contact: dict[str, Any],
    setup: Setup,
    decision: dict[str, Any],
    first_sent: date,
    today: date,
) -> list[PlannedEmail]:
    """``referral.reminder_due``: the same letter, marked as reminder N, with the link,
    signed as the first letter was."""
    setup = signed(setup, decision)
    referral = {
        **(decision.get("referral") or {}),
        "urgency": reminder["urgency"],
        "target": reminder["target"],
        "answer_url": reminder["answer_url"],
    }
    letter = referral_letter(
        sender=setup.sender,
        today=today,
        contact=contact,
        decision=decision,
        referral=referral,
        reminder=(reminder["reminder_number"], first_sent.isoformat()),
        locale=setup.locale,
        version=referral.get("letter_version") or 1,
    )
    context = {
        **_base(setup, contact),
        "letter": letter,
        "reminder": reminder,
        "emergency": decision.get("urgency") == "emergency",
    }
    return [
        PlannedEmail(
            "physician_reminder",
            "physician",
            "physician_reminder",
            (contact.get("physician") or {}).get("email"),
            context,
            letter=letter,
            blocked=_physician_block(contact),
            referral_id=reminder["referral_id"],
        )
    ]


def plan_progress(
    progress: dict[str, Any], contact: dict[str, Any], setup: Setup, today: date
) -> list[PlannedEmail]:
    """``referral.progress_due``: a progress report to the physician (facts only)."""
    letter = progress_letter(
        sender=setup.sender, today=today, contact=contact, progress=progress, locale=setup.locale
    )
    context = {**_base(setup, contact), "letter": letter, "progress": progress}
    return [
        PlannedEmail(
            "physician_progress",
            "physician",
            "physician_progress",
            (contact.get("physician") or {}).get("email"),
            context,
            letter=letter,
            blocked=_physician_block(contact),
            referral_id=progress["referral_id"],
        )
    ]


def _physician_name(contact: dict[str, Any]) -> str | None:
    return (contact.get("physician") or {}).get("name")


def _base(setup: Setup, contact: dict[str, Any]) -> dict[str, Any]:
    return {
        "facility": setup.sender.facility,
        "sender": setup.sender,
        "client": contact["client"],
        "physician": contact.get("physician") or {},
    }


YOUR_CLINICIAN = N_("Your clinician")
A_HEALTH_PROFESSIONAL = N_("a health professional")


def _decision_words(decision: dict[str, Any], setup: Setup,
                    _: Callable[[str], str] = str) -> dict[str, Any]:
    """What the client email says about a decision (REF-2), in plain language."""
    target = decision.get("target")
    urgency = decision.get("urgency") or "none"
    state = decision.get("program_state") or "hold_pending_clearance"
    program = decision.get("program") or {}
    phases = program.get("phases") or []
    reasons = behind_outcome(decision)
    return {
        "decision": decision,
        "emergency": urgency == "emergency",
        "emergency_number": setup.sender.emergency_number,
        "observations": [f.client_in(_) for f in findings_of(reasons)],
        "who": _(v.TARGET_CLIENT.get(str(target), A_HEALTH_PROFESSIONAL)),
        "how_soon": _(HOW_SOON[urgency]).format(
            number=setup.sender.emergency_number, days=setup.sender.urgent_days
        ),
        "safety": safety_net(decision, setup.sender.emergency_number, _),
        "training": _(TRAINING.get(state, TRAINING["hold_pending_clearance"])),
        "what_next": _(WHAT_NEXT[state]) if state in WHAT_NEXT else None,
        "first_phase": _phase(phases[0], _) if phases else None,
        "intensity": _(cap) if (cap := v.INTENSITY.get(program.get("intensity_cap") or ""))
        else None,
        "reassess_on": setup.locale.date(program.get("reassess_on")),
        "guidelines": list((program.get("restrictions") or {}).get("clinician_guidelines") or []),
        "rules": list(dict.fromkeys(str(r.get("rule")) for r in reasons)),
    }


def _phase(phase: dict[str, Any], _: Callable[[str], str] = str) -> dict[str, Any]:
    variables = phase.get("variables") or {}
    name = phase.get("phase", "")
    # The technique and the hold in the program sheet's words for the phase (by its code),
    # not the engine's stored English.
    technique = sheet.TECHNIQUE.get(name)
    hold = sheet.HOLD_WORDS.get(name)
    how = [
        _(technique) if technique else variables.get("technique"),
        _(N_("{sets} sets")).format(sets=variables["sets"]) if variables.get("sets") else None,
        _(N_("{reps} repetitions")).format(reps=variables["reps"]) if variables.get("reps")
        else None,
        _(N_("hold {hold}")).format(hold=_(hold) if hold else variables["hold"])
        if variables.get("hold") else None,
    ]
    return {
        "name": _(v.PHASES[name]) if name in v.PHASES else name,
        "how": ", ".join(h for h in how if h),
        "exercises": [_exercise(e, _) for e in phase.get("exercises") or []],
    }


def _exercise(exercise: dict[str, Any], _: Callable[[str], str]) -> dict[str, Any]:
    """An exercise's name and first cue from the library, by its id, in the client's
    language."""
    name, cues = client_words(exercise, _)
    return {"name": name, "cue": cues[0] if cues else None}
