"""Training restrictions from a clinician: one data type for the whole suite.

Used by a written clearance on file and written guidelines at intake (DEC-9, DEC-5)
and meant for a clinician's answer to a referral (DEC-7): an intensity cap, movements
to avoid (controlled tags, so that the program can really leave them out) and notes
(quoted to the trainer as given).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inscope_clinical.letters.vocabulary import N_

from .vocab import INTENSITIES

# Movement tags a clinician can ask to avoid, and the assessment tests (vocab.PAIN_TESTS)
# that load each one; the program leaves out every exercise tagged with one of them
# (library.Exercise.movements).
MOVEMENT_TAGS: dict[str, tuple[str, ...]] = {
    "squatting": ("overhead_squat", "deep_squat", "single_leg_squat"),
    "lunging_or_stepping": ("in_line_lunge", "hurdle_step"),
    "single_leg_loading": ("single_leg_squat", "hurdle_step", "in_line_lunge"),
    "overhead_arm_work": ("overhead_squat", "deep_squat", "shoulder_mobility",
                          "shoulder_clearing"),
    "overhead_pressing": ("shoulder_mobility", "shoulder_clearing"),
    "pushing": ("pushing_assessment", "trunk_stability_push_up"),
    "pulling": ("pulling_assessment",),
    "spinal_flexion": ("spinal_flexion_clearing", "rotary_stability"),
    "spinal_extension": ("spinal_extension_clearing", "trunk_stability_push_up"),
    "trunk_rotation": ("rotary_stability",),
    "straight_leg_raising": ("active_straight_leg_raise",),
    "impact_or_jumping": (),
    "running": (),
    "heavy_lifting": (),
}
# Engine intensity ceilings, lowest first ("light_to_moderate" is ACSM-3's wording).
INTENSITY_ORDER = ("light", "light_to_moderate", "moderate", "vigorous")


class RestrictionsSchema(Schema):
    max_intensity = fields.String(load_default=None, allow_none=True,
                                  validate=validate.OneOf(INTENSITIES))
    avoid_movements = fields.List(fields.String(validate=validate.OneOf(tuple(MOVEMENT_TAGS))),
                                  load_default=list)
    notes = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(max=2000))


def lower_cap(current: str | None, cap: str | None) -> str | None:
    """The lower of two intensity ceilings (None means no ceiling)."""
    if cap is None:
        return current
    if current is None:
        return cap
    return min(current, cap, key=INTENSITY_ORDER.index)


def merge(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Several clinicians' restrictions together: the lowest cap, every movement,
    every note."""
    cap: str | None = None
    movements: list[str] = []
    notes: list[str] = []
    for item in items:
        cap = lower_cap(cap, item.get("max_intensity"))
        movements += [m for m in item.get("avoid_movements") or [] if m not in movements]
        given = item.get("notes")
        notes += [given] if isinstance(given, str) and given else list(given or [])
    return {"max_intensity": cap, "avoid_movements": movements, "notes": notes}


def avoided_tests(restrictions: dict[str, Any] | None) -> list[str]:
    """Assessment tests (and so library exercises) loading an avoided movement."""
    tags = (restrictions or {}).get("avoid_movements") or []
    return sorted({t for tag in tags for t in MOVEMENT_TAGS.get(tag, ())})


# N_: in the notify service's client catalog (the client's email names them).
MOVEMENT_LABELS: dict[str, str] = {
    "squatting": N_("Squatting"),
    "lunging_or_stepping": N_("Lunging or stepping"),
    "single_leg_loading": N_("Single-leg loading"),
    "overhead_arm_work": N_("Overhead arm work"),
    "overhead_pressing": N_("Overhead pressing"),
    "pushing": N_("Pushing"),
    "pulling": N_("Pulling"),
    "spinal_flexion": N_("Bending the spine forward"),
    "spinal_extension": N_("Arching the spine backward"),
    "trunk_rotation": N_("Twisting the trunk"),
    "straight_leg_raising": N_("Straight-leg raising"),
    "impact_or_jumping": N_("Impact or jumping"),
    "running": N_("Running"),
    "heavy_lifting": N_("Heavy lifting"),
}


def above_cap(intensity: str, cap: str | None) -> bool:
    """True when an exercise's intensity is above a ceiling (None: no ceiling)."""
    if cap is None or cap not in INTENSITY_ORDER:
        return False
    return INTENSITY_ORDER.index(intensity) > INTENSITY_ORDER.index(cap)
