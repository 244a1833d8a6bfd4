"""The physician's answer form: what was typed, checked field by field (pure).

A form that fails comes back with a message per field and everything the physician
typed, so nothing has to be typed twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inscope_clinical.journey import Text
from inscope_clinical.restrictions import MOVEMENT_LABELS
from inscope_clinical.vocab import INTENSITIES


def N_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks the page's words for the referral's staff catalog (babel-staff.cfg); the
    page translates them where it shows them (labels with ``_()``, errors with
    ``staff_say``): the answer page speaks the facility's language."""
    return text


ANSWERS = {
    "cleared": N_("Cleared for the requested exercise"),
    "cleared_with_restrictions": N_("Cleared with restrictions"),
    "not_cleared": N_("Not cleared for exercise at this time"),
    "needs_visit": N_("I need to see the patient first"),
}
# The movements to avoid are the engine's tags (restrictions.MOVEMENT_TAGS), offered as
# checkboxes named ``avoid_movements.<tag>``: the program leaves out every exercise
# tagged with one. Anything else the clinician wants goes in the notes.
MOVEMENTS = MOVEMENT_LABELS
# Who answers (issue 9 item 3): a clinician's profession and registration or licence
# number are asked with the name, so staff can check them with the register and call.
PROFESSIONS = {
    "physician": N_("Physician"),
    "physical_therapist": N_("Physical therapist / physiotherapist"),
    "nurse_practitioner": N_("Nurse practitioner"),
    "physician_assistant": N_("Physician assistant"),
    "other_licensed_clinician": N_("Other licensed clinician"),
}
MAX_NAME = 200
MAX_REGISTRATION = 60
MAX_NOTES = 5000


@dataclass
class AnswerForm:
    values: dict[str, str]  # as typed, for re-rendering
    errors: dict[str, Text] = field(default_factory=dict)  # str(): the English
    answer: dict[str, Any] | None = None  # set when valid

    @property
    def valid(self) -> bool:
        return not self.errors


def read_answer_form(form: Mapping[str, str]) -> AnswerForm:
    """Check a submitted form; on success ``answer`` holds {answer, restrictions,
    answered_by, profession, registration}."""
    values = {
        name: (form.get(name) or "")
        for name in (
            "answer",
            "max_intensity",
            "notes",
            "answered_by",
            "profession",
            "registration",
        )
    }
    movements = [tag for tag in MOVEMENTS if form.get(f"avoid_movements.{tag}")]
    values["avoid_movements"] = ",".join(movements)  # checked tags, for re-rendering
    unknown = sorted(
        key.split(".", 1)[1]
        for key in form
        if key.startswith("avoid_movements.") and key.split(".", 1)[1] not in MOVEMENTS
    )
    result = AnswerForm(values)
    errors = result.errors
    answer = values["answer"]
    if answer not in ANSWERS:
        errors["answer"] = Text(N_("Choose one of the four answers."))
    name = values["answered_by"].strip()
    if not name:
        errors["answered_by"] = Text(N_("Give your name, so the trainer knows who answered."))
    elif len(name) > MAX_NAME or any(c in name for c in "\r\n"):
        errors["answered_by"] = Text(
            N_("Your name must be one line of at most %(max)s characters."), max=str(MAX_NAME))
    if values["profession"] not in PROFESSIONS:
        errors["profession"] = Text(N_("Choose your profession."))
    registration = values["registration"].strip()
    if not registration:
        errors["registration"] = Text(N_("Give your registration or licence number."))
    elif len(registration) > MAX_REGISTRATION or any(c in registration for c in "\r\n"):
        errors["registration"] = Text(
            N_("The registration or licence number must be one line of at most %(max)s "
               "characters."), max=str(MAX_REGISTRATION))
    intensity = values["max_intensity"]
    if intensity and intensity not in INTENSITIES:
        errors["max_intensity"] = Text(N_("Choose light, moderate or vigorous."))
    if unknown:
        errors["avoid_movements"] = Text(
            N_("Choose movements from the list; describe anything else in the notes."))
    notes = values["notes"].strip()
    if len(notes) > MAX_NOTES:
        errors["notes"] = Text(N_("Notes are limited to %(max)s characters."),
                               max=str(MAX_NOTES))
    restricted = bool(intensity or movements)
    if answer == "cleared_with_restrictions" and not (restricted or notes):
        errors["restrictions"] = Text(N_(
            "Give at least one restriction: a maximum intensity, movements to avoid, or notes."))
    elif answer in ANSWERS and answer != "cleared_with_restrictions" and restricted:
        errors["restrictions"] = Text(N_(
            "You gave a maximum intensity or movements to avoid: choose "
            "\u201ccleared with restrictions\u201d, or empty those fields."))
    if result.valid:
        result.answer = {
            "answer": answer,
            "restrictions": _restrictions(intensity, movements, notes),
            "answered_by": name,
            "profession": values["profession"],
            "registration": registration,
        }
    return result


def _restrictions(intensity: str, movements: list[str], notes: str) -> dict[str, Any] | None:
    if not (intensity or movements or notes):
        return None
    return {
        "max_intensity": intensity or None,
        "avoid_movements": movements,
        "notes": notes or None,
    }
