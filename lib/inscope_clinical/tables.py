"""OHSA-T1 / OHSA-T2 compensation tables and POST-1..4 static posture patterns.

Muscle identifiers are canonical snake_case so that rows can be compared (OHSA-3
conflicts). Each row carries the confidence tag the rules file gives it.
"""

from __future__ import annotations

from typing import NamedTuple


class Row(NamedTuple):
    overactive: tuple[str, ...]
    underactive: tuple[str, ...]
    tag: str


class ShiftRow(NamedTuple):
    """Asymmetrical weight shift toward side S: muscles on S and on the opposite side."""

    same_over: tuple[str, ...]
    opposite_over: tuple[str, ...]
    same_under: tuple[str, ...]
    opposite_under: tuple[str, ...]
    tag: str


HIP_FLEXORS = "hip_flexor_complex"
GLUTES = ("gluteus_maximus", "gluteus_medius")
TIBIALIS = ("anterior_tibialis", "posterior_tibialis")
CALF = ("gastrocnemius", "soleus")
MID_LOW_TRAP = ("middle_trapezius", "lower_trapezius")

OHSA_T1: dict[str, Row | ShiftRow] = {
    "feet_turn_out": Row(
        ("soleus", "lateral_gastrocnemius", "biceps_femoris_short_head"),
        ("medial_gastrocnemius", "medial_hamstring_complex", "gracilis", "sartorius", "popliteus"),
        "C"),
    "feet_flatten": Row(
        ("peroneal_complex", "lateral_gastrocnemius", "biceps_femoris_short_head", "tfl"),
        ("anterior_tibialis", "posterior_tibialis", "medial_gastrocnemius", "gluteus_medius"),
        "P"),
    "heels_rise": Row(("soleus", "gastrocnemius"), ("anterior_tibialis",), "P"),
    "knees_move_inward": Row(
        ("adductor_complex", "biceps_femoris_short_head", "tfl", "vastus_lateralis"),
        ("gluteus_medius", "gluteus_maximus", "vastus_medialis_oblique"), "C"),
    "knees_move_outward": Row(
        ("piriformis", "biceps_femoris", "tfl", "gluteus_minimus"),
        ("adductor_complex", "medial_hamstring_complex", "gluteus_maximus"), "P"),
    "excessive_forward_lean": Row(
        (*CALF, HIP_FLEXORS, "rectus_abdominis", "external_obliques"),
        ("anterior_tibialis", "gluteus_maximus", "erector_spinae"), "C"),
    "low_back_arches": Row(
        (HIP_FLEXORS, "erector_spinae", "latissimus_dorsi"),
        ("gluteus_maximus", "hamstring_complex", "intrinsic_core_stabilisers"), "C"),
    "low_back_rounds": Row(
        ("hamstring_complex", "adductor_magnus", "rectus_abdominis", "external_obliques"),
        ("gluteus_maximus", "erector_spinae", "intrinsic_core_stabilisers", HIP_FLEXORS), "P"),
    "arms_fall_forward": Row(
        ("latissimus_dorsi", "teres_major", "pectoralis_major", "pectoralis_minor"),
        (*MID_LOW_TRAP, "rhomboids", "rotator_cuff"), "C"),
    "asymmetrical_weight_shift": ShiftRow(
        ("adductor_complex", "tfl"),
        (*CALF, "piriformis", "biceps_femoris", "gluteus_medius"),
        ("gluteus_medius",),
        ("anterior_tibialis", "adductor_complex"), "P"),
    "shoulders_elevate": Row(
        ("upper_trapezius", "sternocleidomastoid", "levator_scapulae"), MID_LOW_TRAP, "C"),
    "head_forward": Row(
        ("upper_trapezius", "sternocleidomastoid", "levator_scapulae"),
        ("deep_cervical_flexors",), "C"),
}

OHSA_T2: dict[str, Row | ShiftRow] = {
    "feet_turn_out": Row((*CALF, "hamstring_complex"), (*TIBIALIS, *GLUTES), "C"),
    "knees_move_inward": Row(("tfl", "adductor_complex"), (*GLUTES, *TIBIALIS), "C"),
    "low_back_arches": Row(
        (HIP_FLEXORS, "lumbar_extensors", "latissimus_dorsi"),
        ("gluteus_maximus", "hamstring_complex", "abdominal_complex"), "C"),
    "excessive_forward_lean": Row(
        (HIP_FLEXORS, *CALF, "rectus_abdominis", "external_obliques"),
        ("gluteus_maximus", "hamstring_complex", "lumbar_extensors"), "C"),
    "arms_fall_forward": Row(
        ("latissimus_dorsi", "pectoralis_major", "pectoralis_minor", "teres_major"),
        (*MID_LOW_TRAP, "rhomboids", "posterior_deltoid", "rotator_cuff"), "C"),
    "shoulders_elevate": Row(("levator_scapulae", "upper_trapezius"), ("lower_trapezius",), "C"),
    "head_forward": Row(
        ("levator_scapulae", "sternocleidomastoid"), ("deep_cervical_flexors",), "C"),
}

TABLES: dict[str, dict[str, Row | ShiftRow]] = {"OHSA-T1": OHSA_T1, "OHSA-T2": OHSA_T2}

# DEC-8: the single-leg squat and the pushing/pulling assessments use OHSA-T2's rows
# where it names them, whatever table the overhead squat uses. In T2, latissimus dorsi
# is overactive for "low back arches" in the overhead squat only.
_ARCH = OHSA_T2["low_back_arches"]
assert isinstance(_ARCH, Row)
DEC8_ROWS: dict[str, dict[str, Row]] = {
    "single_leg_squat": {"knees_move_inward": OHSA_T2["knees_move_inward"]},  # type: ignore[dict-item]
    "pushing": {
        "low_back_arches": Row(tuple(m for m in _ARCH.overactive if m != "latissimus_dorsi"),
                               _ARCH.underactive, "C"),
        "shoulders_elevate": OHSA_T2["shoulders_elevate"],  # type: ignore[dict-item]
        "head_forward": OHSA_T2["head_forward"],  # type: ignore[dict-item]
    },
}
DEC8_ROWS["pulling"] = DEC8_ROWS["pushing"]


class Pattern(NamedTuple):
    rule: str
    signs: tuple[str, ...]  # every sign must be present (design choice, OHSA-3 style)
    overactive: tuple[str, ...]
    underactive: tuple[str, ...]
    tag: str


# POST-3 (NASM7) patterns, which also restate POST-1/POST-2 (Janda) with muscles.
# "forward_head" here means observed, or a craniovertebral angle below the
# configured cut-off (POST-5).
NASM_PATTERNS: dict[str, Pattern] = {
    "pes_planus_distortion_syndrome": Pattern(
        "POST-3", ("flat_feet", "knees_valgus", "hips_adducted_internally_rotated"),
        (*CALF, "adductor_complex", HIP_FLEXORS), (*TIBIALIS, *GLUTES), "C"),
    "lower_crossed_syndrome": Pattern(
        "POST-2", ("hips_flexed", "anterior_pelvic_tilt", "increased_lumbar_lordosis"),
        (HIP_FLEXORS, "lumbar_extensors"), (*GLUTES, "hamstring_complex", "abdominal_complex"),
        "C"),
    "upper_crossed_syndrome": Pattern(
        "POST-1", ("increased_thoracic_kyphosis", "shoulders_protracted", "forward_head"),
        ("pectoralis_major", "pectoralis_minor", "levator_scapulae", "sternocleidomastoid",
         "upper_trapezius"),
        (*MID_LOW_TRAP, "rhomboids", "deep_cervical_flexors"), "C"),
}

# POST-4 Kendall sagittal types [P]: names only (hypotheses, no muscle lists added).
KENDALL_TYPES: dict[str, tuple[str, ...]] = {
    "kyphotic_lordotic": ("forward_head", "increased_thoracic_kyphosis",
                          "increased_lumbar_lordosis", "anterior_pelvic_tilt"),
    "sway_back": ("pelvis_shifted_forward", "posterior_pelvic_tilt", "hips_hyperextended"),
    "flat_back": ("flattened_lumbar_spine", "posterior_pelvic_tilt"),
    "lordotic": ("increased_lumbar_lordosis", "anterior_pelvic_tilt"),
}
# A more specific Kendall type hides the broader one it contains.
KENDALL_HIDES = {"kyphotic_lordotic": "lordotic", "sway_back": "flat_back"}
