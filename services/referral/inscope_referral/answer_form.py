"""The physician's answer form: what was typed, checked field by field (pure).

A form that fails comes back with a message per field and everything the physician
typed, so nothing has to be typed twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inscope_clinical.restrictions import MOVEMENT_LABELS
from inscope_clinical.vocab import INTENSITIES

ANSWERS = {
    "cleared": "Cleared for the requested exercise",
    "cleared_with_restrictions": "Cleared with restrictions",
    "not_cleared": "Not cleared for exercise at this time",
    "needs_visit": "I need to see the patient first",
}
# The movements to avoid are the engine's tags (restrictions.MOVEMENT_TAGS), offered as
# checkboxes named ``avoid_movements.<tag>``: the program leaves out every exercise
# tagged with one. Anything else the clinician wants goes in the notes.
MOVEMENTS = MOVEMENT_LABELS
# Who answers (issue 9 item 3): a clinician's profession and registration or licence
# number are asked with the name, so staff can check them with the register and call.
PROFESSIONS = {
    "physician": "Physician",
    "physical_therapist": "Physical therapist / physiotherapist",
    "nurse_practitioner": "Nurse practitioner",
    "physician_assistant": "Physician assistant",
    "other_licensed_clinician": "Other licensed clinician",
}
MAX_NAME = 200
MAX_REGISTRATION = 60
MAX_NOTES = 5000


@dataclass
class AnswerForm:
    values: dict[str, str]  # as typed, for re-rendering
    errors: dict[str, str] = field(default_factory=dict)
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
        errors["answer"] = "Choose one of the four answers."
    name = values["answered_by"].strip()
    if not name:
        errors["answered_by"] = "Give your name, so the trainer knows who answered."
    elif len(name) > MAX_NAME or any(c in name for c in "\r\n"):
        errors["answered_by"] = f"Your name must be one line of at most {MAX_NAME} characters."
    if values["profession"] not in PROFESSIONS:
        errors["profession"] = "Choose your profession."
    registration = values["registration"].strip()
    if not registration:
        errors["registration"] = "Give your registration or licence number."
    elif len(registration) > MAX_REGISTRATION or any(c in registration for c in "\r\n"):
        errors["registration"] = (
            f"The registration or licence number must be one line of at most "
            f"{MAX_REGISTRATION} characters."
        )
    intensity = values["max_intensity"]
    if intensity and intensity not in INTENSITIES:
        errors["max_intensity"] = "Choose light, moderate or vigorous."
    if unknown:
        errors["avoid_movements"] = (
            "Choose movements from the list; describe anything else in the notes."
        )
    notes = values["notes"].strip()
    if len(notes) > MAX_NOTES:
        errors["notes"] = f"Notes are limited to {MAX_NOTES} characters."
    restricted = bool(intensity or movements)
    if answer == "cleared_with_restrictions" and not (restricted or notes):
        errors["restrictions"] = (
            "Give at least one restriction: a maximum intensity, movements to avoid, or notes."
        )
    elif answer in ANSWERS and answer != "cleared_with_restrictions" and restricted:
        errors["restrictions"] = (
            "You gave a maximum intensity or movements to avoid: choose "
            "\u201ccleared with restrictions\u201d, or empty those fields."
        )
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
