"""Body regions named in free-text region fields: which are not musculoskeletal
(DEC-4), and which assessment movements load a painful region (DEC-6).

The intake's ``pain[].region`` (and the history rows' ``region``) is the client's own
word for a place ("right knee", "chest", "lower back"). This module reads it with
word patterns; it never diagnoses anything from it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# DEC-4: regions whose pain is not routed to a physical therapist as musculoskeletal
# pain. "Jaw" only counts with exertion (ACSM-2 sign 1: jaw discomfort possibly from
# ischaemia); jaw pain at rest alone stays a musculoskeletal complaint.
NON_MSK: dict[str, re.Pattern[str]] = {
    "chest": re.compile(r"\b(chest\w*|breast\w*|breastbone|sternum|sternal|heart|"
                        r"pectoral region|thora(x|cic cage))\b", re.IGNORECASE),
    "abdomen": re.compile(r"\b(abdom\w*|stomach|belly|tumm(y|ies)|gut|epigastr\w*|"
                          r"navel|umbilic\w*|bowel)\b", re.IGNORECASE),
    "head": re.compile(r"\b(head|heads|headache\w*|migraine\w*|forehead|temples?|skull|"
                       r"scalp|behind the eyes?)\b", re.IGNORECASE),
    "jaw": re.compile(r"\b(jaw\w*|mandib\w*|tmj|temporomandibular)\b", re.IGNORECASE),
}
EXERTION_ONLY = ("jaw",)


def non_msk_region(region: str | None, *, exertional: bool) -> str | None:
    """The DEC-4 region ("chest", "abdomen", "head", "jaw") a region text names, or
    None when it names none of them (jaw only when the pain comes with exertion)."""
    text = region or ""
    for name, pattern in NON_MSK.items():
        if pattern.search(text) and (exertional or name not in EXERTION_ONLY):
            return name
    return None


# DEC-6: which screened movements load a body part, so that a client whose only
# referral is a routine physical-therapist referral can be assessed with the painful
# movements left out. Test names are those of vocab.PAIN_TESTS.
LOWER = ("overhead_squat", "deep_squat", "hurdle_step", "in_line_lunge", "single_leg_squat")
SPINE = ("overhead_squat", "deep_squat", "in_line_lunge", "single_leg_squat",
         "active_straight_leg_raise", "trunk_stability_push_up", "rotary_stability",
         "spinal_extension_clearing", "spinal_flexion_clearing", "pushing_assessment",
         "pulling_assessment")
UPPER = ("overhead_squat", "deep_squat", "in_line_lunge", "shoulder_mobility",
         "shoulder_clearing", "trunk_stability_push_up", "rotary_stability",
         "pushing_assessment", "pulling_assessment")


class Part(NamedTuple):
    name: str
    pattern: re.Pattern[str]
    tests: tuple[str, ...]


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(words) + r")\b", re.IGNORECASE)


PARTS: tuple[Part, ...] = (
    Part("foot_ankle", _words(r"foot", r"feet", r"ankles?", r"heels?", r"toes?", r"achilles",
                              r"arch(es)?", r"plantar", r"calf", r"calves", r"shins?"), LOWER),
    Part("knee_thigh", _words(r"knees?", r"patell\w*", r"kneecaps?", r"thighs?", r"quads?",
                              r"quadriceps", r"hamstrings?", r"it ?band", r"legs?"),
         (*LOWER, "active_straight_leg_raise")),
    Part("hip_pelvis", _words(r"hips?", r"groin", r"glutes?", r"gluteal", r"buttocks?",
                              r"pelvis", r"pelvic", r"adductors?", r"si joint", r"sacroiliac"),
         (*LOWER, "active_straight_leg_raise", "rotary_stability", "spinal_flexion_clearing")),
    Part("spine", _words(r"back", r"spine", r"spinal", r"lumbar", r"thoracic", r"sacrum",
                         r"sacral", r"coccyx", r"tailbone", r"ribs?"), SPINE),
    Part("neck", _words(r"neck", r"cervical"),
         ("overhead_squat", "deep_squat", "shoulder_mobility", "shoulder_clearing",
          "trunk_stability_push_up", "pushing_assessment", "pulling_assessment")),
    Part("shoulder_arm", _words(r"shoulders?", r"scapula\w*", r"shoulder blades?", r"arms?",
                                r"elbows?", r"forearms?", r"wrists?", r"hands?", r"fingers?",
                                r"thumbs?", r"biceps?", r"triceps?", r"rotator cuff",
                                r"collarbone", r"clavicle", r"trap(ezius|s)?"), UPPER),
)


def movements_loading(region: str | None) -> tuple[list[str], list[str]]:
    """(body parts recognised, assessment tests that load them) for a region text.
    An empty first list means the region was not recognised: the trainer decides."""
    text = region or ""
    parts = [p for p in PARTS if p.pattern.search(text)]
    tests = list(dict.fromkeys(t for p in parts for t in p.tests))
    return [p.name for p in parts], tests
