"""The referral letter to a physician or physical therapist (REF-1), and the progress
report, as one structure that notify's email body (text and HTML) and PDF and the
referral service's answer page all render, so the physician reads the same sentences
everywhere. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from inscope_clinical.letters import vocabulary as v
from inscope_clinical.letters.findings import Finding, behind_outcome, findings_of


class Locale(Protocol):
    """How dates read (inscope_common.localtime.Locale, the facility's zone and format;
    passed in, so this module stays pure)."""

    def date(self, value: Any) -> str: ...


class IsoDates:
    """ISO 8601 dates (YYYY-MM-DD), an instant's date taken in UTC: the default."""

    def date(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return text[:10]


@dataclass(frozen=True)
class Sender:
    """Who signs and where to reach them (REF-1 point 1); set in config.py."""

    facility: str
    address: str
    phone: str
    email: str
    trainer: str
    credential: str
    emergency_number: str = "911"
    # URGENT_WITHIN_DAYS: how soon an urgent referral should be seen, in days, as the
    # clinic sets it; the letter and the client's email say the same number.
    urgent_days: int = 14


# Demo values, plainly fake (555 numbers, example domains), so nothing real is written
# to by accident; every deployment sets its own.
SENDER_DEFAULTS = {
    "FACILITY_PHONE": "+1 555 0100",
    "FACILITY_EMAIL": "coaching@inscope-studio.example",
    "FACILITY_ADDRESS": "100 Example Street, Springfield",
    "TRAINER_NAME": "Alex Morgan",
    "TRAINER_CREDENTIAL": "NASM Certified Personal Trainer, Corrective Exercise Specialist (CES)",
    "EMERGENCY_NUMBER": "911",
}


def signed_sender(sender: Sender, signer: Mapping[str, Any] | None) -> Sender:
    """The sender with a decision's signer (``referral.decided``'s ``signed_by``: the
    assessing trainer, the staff member responsible or the facility's lead) in place of
    the configured trainer; unchanged without one."""
    if not signer or not signer.get("name"):
        return sender
    credential = signer.get("credential") or ""
    if signer.get("registration"):
        credential = f"{credential} (registration {signer['registration']})".strip()
    return replace(sender, trainer=signer["name"], credential=credential)


def sender_from(facility: str, env: Mapping[str, str]) -> Sender:
    """The letter's signature from settings (FACILITY_*, TRAINER_*, EMERGENCY_NUMBER),
    read by each service's config from its environment."""

    def get(name: str) -> str:
        return (env.get(name) or SENDER_DEFAULTS[name]).strip()

    return Sender(
        facility=facility,
        address=get("FACILITY_ADDRESS"),
        phone=get("FACILITY_PHONE"),
        email=get("FACILITY_EMAIL"),
        trainer=get("TRAINER_NAME"),
        credential=get("TRAINER_CREDENTIAL"),
        emergency_number=get("EMERGENCY_NUMBER"),
        urgent_days=urgent_days(env),
    )


def urgent_days(env: Mapping[str, str]) -> int:
    """URGENT_WITHIN_DAYS, a whole number of days from 1 to 90 (default 14)."""
    raw = (env.get("URGENT_WITHIN_DAYS") or "").strip()
    if not raw:
        return 14
    if not raw.isdigit() or not 1 <= int(raw) <= 90:
        raise ValueError(f"URGENT_WITHIN_DAYS must be a whole number of days, 1-90, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Block:
    heading: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    link: str | None = None
    after: tuple[str, ...] = ()  # paragraphs printed after the link


@dataclass(frozen=True)
class Letter:
    title: str
    date: str
    sender_lines: tuple[str, ...]
    recipient_lines: tuple[str, ...]
    regarding: str
    salutation: str
    blocks: tuple[Block, ...]
    closing: tuple[str, ...]
    banner: str | None = None
    urgent: bool = False  # "URGENT" in the title and the PDF's header
    footer: str = (
        "Confidential: this letter contains health information shared with the client's "
        "written consent. If you are not the intended recipient, please tell us and delete it."
    )

    def texts(self) -> list[str]:
        """Every string printed, for the scope guard (the PDF's text is exactly these)."""
        found = [self.title, self.date, self.regarding, self.salutation, self.footer]
        found += list(self.sender_lines) + list(self.recipient_lines) + list(self.closing)
        found += [self.banner] if self.banner else []
        for block in self.blocks:
            found += [block.heading, *block.paragraphs, *block.bullets]
            found += [block.link] if block.link else []
            found += list(block.after)
        return found

    def plain(self) -> str:
        return "\n".join(self.texts())


URGENCY_LETTER = {
    "emergency": "Emergency (same day). The client was directed to emergency care in person "
    "at the time of screening; this letter is a record, not the emergency request.",
    "urgent": "Urgent: we would be grateful if the client could be seen within {days} days.",
    "routine": "Routine: at the client's next available appointment.",
    "none": "Not time-critical.",
}
TITLES = {
    "physical_therapist": "Referral for physical therapy evaluation",
    "physician": "Referral for medical evaluation",
    "emergency_services": "Record of an emergency referral",
}
MEANWHILE = {
    "none_emergency": "No training. The client was told to seek emergency care now and will "
    "not train until a physician has seen them and we have your answer.",
    "hold_pending_clearance": "Training is on hold: no exercise sessions until we receive "
    "your answer.",
    "build_moderate_only_until_clearance": "Training continues at moderate intensity at most "
    "until you clear the client for vigorous exercise.",
    "delay_until_recovered": "Training is postponed until the client feels well again.",
    "hold_pending_missing_data": "Training is on hold until the screening is complete.",
    "hold_pending_unread_text": "Training is on hold until our staff have read the notes "
    "the client wrote in another language.",
    "build": "Training continues within the screened limits.",
}
_REASONS = (
    (
        {"PARQ-6"},
        "the client answered YES to PAR-Q+ follow-up questions, for which the PAR-Q+ "
        "asks for further information or physician clearance before becoming more active",
    ),
    (
        {"ACSM-3", "SYS-4"},
        "ACSM preparticipation health screening recommends medical "
        "clearance before {intensity}exercise",
    ),
    (
        {"RF-2", "RF-3", "PAIN-6:rest"},
        "the client reports symptoms that require medical evaluation before exercise",
    ),
    ({"FMS-8", "PAIN-6:assessment"}, "pain was reproduced during the movement screen"),
    (
        {"RF-4", "PAIN-5"},
        "the client reports current musculoskeletal pain, an injury or rehabilitation needs",
    ),
    ({"SCOPE-4"}, "the client's physical-therapy history calls for your guidance before training"),
    (
        {"PARQ-3"},
        "the PAR-Q+ advises talking to a health-care practitioner before becoming more active",
    ),
    (
        {"SYS-7"},
        "the client's own notes mention symptoms that need a health professional's evaluation",
    ),
)


def _rule_key(reason: dict[str, Any]) -> str:
    if reason.get("rule") == "PAIN-6":
        facts = reason.get("facts") or {}
        return "PAIN-6:assessment" if "assessment.pain_during" in facts else "PAIN-6:rest"
    return str(reason.get("rule"))


def reason_sentence(decision: dict[str, Any]) -> str:
    """REF-1 point 4: why we refer, in one sentence built from the rules that fired."""
    reasons = behind_outcome(decision)
    keys = {_rule_key(r) for r in reasons}
    vigorous = decision.get("program_state") == "build_moderate_only_until_clearance"
    clauses = [
        text.replace("{intensity}", "vigorous-intensity " if vigorous else "")
        for rules, text in _REASONS
        if rules & keys
    ]
    if not clauses:
        clauses = [str(r.get("summary")).rstrip(".") for r in reasons if r.get("summary")] or [
            "our screening found items that need a health professional's evaluation"
        ]
    text = " and ".join(clauses) if len(clauses) < 3 else "; ".join(clauses)
    return f"We are writing because {text}."


def request_items(decision: dict[str, Any], referral: dict[str, Any] | None) -> list[str]:
    """REF-1 point 6: what we ask, from the referral's request (``request.build_request``,
    typed on the bus by ClinicianRequestSchema) or, for a letter without a referral, the
    decision."""
    request = (referral or {}).get("request") or {}
    target = (referral or {}).get("target") or decision.get("target")
    kind = request.get("kind") or (
        "clearance" if decision.get("outcome") == "clearance" else "evaluation"
    )
    treatment = request.get("treatment", target == "physical_therapist")
    raw = request.get("clearance_for_intensity")
    if raw is None and kind == "clearance":
        raw = _desired_intensity(decision) or "moderate"
    words = v.INTENSITY.get(str(raw), str(raw)) if raw else None
    items = []
    if treatment:
        items.append(
            "Evaluation by a physical therapist, with treatment as appropriate "
            "(or your own evaluation, if you prefer to see the client first)."
        )
    elif request.get("evaluation", kind != "clearance"):
        items.append("Evaluation of the findings above.")  # the Findings block comes first
    if words and kind == "emergency_follow_up":
        items.append(
            f"Once you have seen the client: whether training may resume, up to {words} intensity."
        )
    elif words and kind == "clearance":
        items.append(
            f"Medical clearance for exercise at {words} intensity, or the highest "
            "intensity you consider safe."
        )
    elif words:
        items.append(
            f"Whether the client may train at {words} intensity, or the highest "
            "intensity you consider safe."
        )
    if request.get("restrictions", True):
        items.append(
            "Any restrictions or contraindications: movements, loads or intensities to avoid."
        )
    if request.get("exercise_guidelines", True):
        items.append("Exercise guidelines we should follow, and when training may progress.")
    return items


def _desired_intensity(decision: dict[str, Any]) -> str | None:
    if decision.get("program_state") == "build_moderate_only_until_clearance":
        return "vigorous"
    for reason in decision.get("reasons") or []:
        facts = reason.get("facts") or {}
        if isinstance(facts, dict) and facts.get("acsm.desired_intensity"):
            return str(facts["acsm.desired_intensity"])
    return None


def meanwhile(decision: dict[str, Any]) -> str:
    """REF-1 point 7, from the program state and the intensity cap."""
    state = decision.get("program_state") or "hold_pending_clearance"
    text = MEANWHILE.get(state, MEANWHILE["hold_pending_clearance"])
    cap = decision.get("intensity_cap")
    if state == "build" and cap:
        text = f"Training continues at {v.INTENSITY.get(cap, cap)} intensity at most."
    return text


def consent_sentence(
    client_name: str, consent: dict[str, Any], locale: Locale | None = None
) -> str:
    """REF-1 point 3: which consent text, when and by whom (REF-4); or that the client
    carries the letter themselves, not having authorised us to send it. The date is the
    facility's calendar date of the signature, in its format."""
    if consent.get("share_with_physician") is False:
        return (
            f"{client_name} did not authorise us to send this information to you directly "
            "and chose to bring this letter to you themselves."
        )
    version = consent.get("version") or "version not recorded"
    signed_at = _day(locale, consent.get("signed_at")) or "date not recorded"
    signer = consent.get("signed_by") or client_name
    return (
        f"{client_name} authorised us in writing to share this information with you "
        f"(consent form {version}, signed by {signer} on {signed_at})."
    )


def _day(locale: Locale | None, value: Any) -> str:
    """A date (or an instant's date in the facility's zone) in the facility's format."""
    if value is None or value == "":
        return ""
    try:
        return (locale or IsoDates()).date(value)
    except (TypeError, ValueError):
        return str(value)


def _regarding(name: str, client: dict[str, Any], locale: Locale | None) -> str:
    born = _day(locale, client.get("date_of_birth")) or "not recorded"
    return f"Re: {name}, date of birth {born}"


def _closing(sender: Sender) -> tuple[str, ...]:
    lines = ("Yours sincerely,", sender.trainer, sender.credential, sender.facility)
    return tuple(line for line in lines if line)


def _sender_lines(sender: Sender) -> tuple[str, ...]:
    return (
        ", ".join(x for x in (sender.trainer, sender.credential) if x),
        sender.facility,
        sender.address,
        f"Phone {sender.phone} | Email {sender.email}",
    )


def _recipient(physician: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    name = physician.get("name") or "The treating clinician"
    lines = tuple(x for x in (name, physician.get("clinic"), physician.get("email")) if x)
    salutation = f"Dear {physician['name']}," if physician.get("name") else "Dear Clinician,"
    return lines, salutation


def _client_name(client: dict[str, Any]) -> str:
    return f"{client.get('first_name', '')} {client.get('last_name', '')}".strip()


def _answer_block(sender: Sender, answer_url: str | None) -> Block:
    discuss = (
        f"I would be glad to discuss the client with you: please call me on {sender.phone} "
        f"or write to {sender.email}.",
    )
    if answer_url:
        return Block(
            "Your answer",
            (
                "Please answer through this secure link; no account is needed. It offers four "
                "answers: cleared, cleared with restrictions, not cleared, or you need to see "
                "the patient.",
            ),
            link=answer_url,
            after=discuss,
        )
    return Block(
        "Your answer",
        (
            "Please reply to this email with your answer: cleared, cleared with restrictions, "
            "not cleared, or you need to see the patient. An ePARmed-X+ Physician Clearance "
            "Follow-Up form is equally welcome.",
            *discuss,
        ),
    )


def referral_letter(
    *,
    sender: Sender,
    today: date,
    contact: dict[str, Any],
    decision: dict[str, Any],
    referral: dict[str, Any] | None,
    answer_url: str | None = None,
    reminder: tuple[int, str] | None = None,
    version: int = 1,
    with_answer_block: bool = True,
    locale: Locale | None = None,
) -> Letter:
    """REF-1: the ten points, from the decision, the referral and the intake's contact.
    ``reminder`` is (number, date of the first letter). ``version`` above 1: the letter
    replaces an earlier one to the same clinician (a newer decision for the client).
    The answer page, which carries the form itself, leaves out the answer block."""
    client = contact["client"]
    name = _client_name(client)
    findings: list[Finding] = findings_of(behind_outcome(decision))
    recipient_lines, salutation = _recipient(contact.get("physician") or {})
    emergency = decision.get("urgency") == "emergency"
    urgency = (referral or {}).get("urgency") or decision.get("urgency") or "routine"
    banner = None
    if emergency:
        banner = (
            "DOCUMENTATION ONLY. This is a record of an emergency referral: the client was "
            "told in person to seek emergency care at once. Email was not used to handle it."
        )
    if version > 1:
        banner = (
            f"UPDATED LETTER (version {version}): this letter replaces our earlier letter about "
            "this client, after a newer screening or assessment. Please answer this version."
        ) + (f" {banner}" if banner else "")
    if reminder:
        banner = (
            f"REMINDER {reminder[0]}: we have not yet received your answer to our letter of "
            f"{_day(locale, reminder[1])}. The letter is repeated below."
        ) + (f" {banner}" if banner else "")
    blocks = (
        Block("Consent", (consent_sentence(name, contact.get("consent") or {}, locale),)),
        Block("Reason for referral", (reason_sentence(decision),)),
        Block(
            "Findings",
            (
                "Observations from our screening and the client's own answers. These are not "
                "a diagnosis: we do not diagnose.",
            ),
            tuple(f.letter for f in findings) or ("No further findings were recorded.",),
        ),
        Block("What we ask of you", bullets=tuple(request_items(decision, referral))),
        Block("Training meanwhile", (meanwhile(decision),)),
        Block(
            "Urgency",
            (
                URGENCY_LETTER.get(urgency, URGENCY_LETTER["routine"]).format(
                    days=sender.urgent_days
                ),
            ),
        ),
    )
    if with_answer_block:
        blocks += (_answer_block(sender, answer_url or (referral or {}).get("answer_url")),)
    target = (referral or {}).get("target") or decision.get("target")
    title = (
        "Request for medical clearance"
        if decision.get("outcome") == "clearance"
        else TITLES.get(str(target), "Referral for evaluation")
    )
    if urgency == "urgent":
        title = f"URGENT: {title}"
    return Letter(
        title=title,
        date=_day(locale, today),
        sender_lines=_sender_lines(sender),
        recipient_lines=recipient_lines,
        regarding=_regarding(name, client, locale),
        salutation=salutation,
        blocks=blocks,
        closing=_closing(sender),
        banner=banner,
        urgent=urgency == "urgent",
    )


def progress_letter(
    *,
    sender: Sender,
    today: date,
    contact: dict[str, Any],
    progress: dict[str, Any],
    locale: Locale | None = None,
) -> Letter:
    """A progress report for a client under an answered referral: attendance, changes
    between assessments, the current phase. Facts only."""
    client = contact["client"]
    name = _client_name(client)
    recipient_lines, salutation = _recipient(contact.get("physician") or {})
    changes = tuple(_change(c) for c in progress.get("reassessment_changes") or [])
    phase = progress.get("current_phase")
    blocks = (
        Block("Consent", (consent_sentence(name, contact.get("consent") or {}, locale),)),
        Block(
            "Period",
            (
                f"From {_day(locale, progress['period_start'])} "
                f"to {_day(locale, progress['period_end'])}.",
            ),
        ),
        Block("Attendance", (_attendance(progress.get("attendance")),)),
        Block(
            "Changes between assessments",
            () if changes else ("No re-assessment was recorded in this period.",),
            changes,
        ),
        Block(
            "Current program phase",
            (
                f"{v.PHASES.get(str(phase), str(phase)).capitalize()}, within the limits you set."
                if phase
                else "Not recorded.",
            ),
        ),
        Block(
            "Questions",
            (
                "These are observations from training, not a diagnosis. If anything here "
                "changes your guidance, or you would like to discuss the client, please call me "
                f"on {sender.phone} or write to {sender.email}.",
            ),
        ),
    )
    return Letter(
        title="Progress report",
        date=_day(locale, today),
        sender_lines=_sender_lines(sender),
        recipient_lines=recipient_lines,
        regarding=_regarding(name, client, locale),
        salutation=salutation,
        blocks=blocks,
        closing=_closing(sender),
    )


def _attendance(attendance: dict[str, Any] | None) -> str:
    if not attendance:
        return "Not recorded for this period."
    attended = attendance.get("attended")
    planned = attendance.get("planned", attendance.get("scheduled"))
    if attended is not None and planned:
        return f"Attended {attended} of {planned} planned sessions."
    return "; ".join(f"{v.words(str(k))}: {val}" for k, val in attendance.items()) + "."


def _change(change: dict[str, Any]) -> str:
    what = change.get("test") or change.get("measure") or change.get("item")
    before = change.get("before", change.get("from"))
    after = change.get("after", change.get("to"))
    if what is not None and (before is not None or after is not None):
        return f"{v.words(str(what)).capitalize()}: {before} then {after}."
    return "; ".join(f"{v.words(str(k))}: {val}" for k, val in change.items()) + "."
