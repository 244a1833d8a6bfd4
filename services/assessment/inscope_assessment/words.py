"""The assessment vocabulary's codes as the trainer's pages show them (posture findings,
overhead-squat compensations and views, tests, muscles), marked for the staff catalog
(babel-staff.cfg) and translated where a page shows them: ``label`` (a form's label),
``muscle`` and ``movement`` (inside a sentence). A code without an entry shows as
itself with spaces (a new engine code is caught by tests/web/test_catalogs.py)."""

from __future__ import annotations

from flask_babel import gettext

from inscope_common.web import N_

# Posture findings, overhead-squat compensations and the tests, as labels.
LABELS: dict[str, str] = {
    "active_straight_leg_raise": N_("Active straight leg raise"),
    "anterior_pelvic_tilt": N_("Anterior pelvic tilt"),
    "arms_fall_forward": N_("Arms fall forward"),
    "asymmetrical_weight_shift": N_("Asymmetrical weight shift"),
    "deep_squat": N_("Deep squat"),
    "excessive_forward_lean": N_("Excessive forward lean"),
    "feet_flatten": N_("Feet flatten"),
    "feet_turn_out": N_("Feet turn out"),
    "flat_feet": N_("Flat feet"),
    "flattened_lumbar_spine": N_("Flattened lumbar spine"),
    "forward_head": N_("Forward head"),
    "head_forward": N_("Head forward"),
    "heels_rise": N_("Heels rise"),
    "hips_adducted_internally_rotated": N_("Hips adducted internally rotated"),
    "hips_flexed": N_("Hips flexed"),
    "hips_hyperextended": N_("Hips hyperextended"),
    "hurdle_step": N_("Hurdle step"),
    "in_line_lunge": N_("In line lunge"),
    "increased_cervical_lordosis": N_("Increased cervical lordosis"),
    "increased_lumbar_lordosis": N_("Increased lumbar lordosis"),
    "increased_thoracic_kyphosis": N_("Increased thoracic kyphosis"),
    "knees_hyperextended": N_("Knees hyperextended"),
    "knees_move_inward": N_("Knees move inward"),
    "knees_move_outward": N_("Knees move outward"),
    "knees_valgus": N_("Knees valgus"),
    "low_back_arches": N_("Low back arches"),
    "low_back_rounds": N_("Low back rounds"),
    "overhead_squat": N_("Overhead squat"),
    "pelvis_shifted_forward": N_("Pelvis shifted forward"),
    "posterior_pelvic_tilt": N_("Posterior pelvic tilt"),
    "pulling_assessment": N_("Pulling assessment"),
    "pushing_assessment": N_("Pushing assessment"),
    "rotary_stability": N_("Rotary stability"),
    "scapular_winging": N_("Scapular winging"),
    "shoulder_clearing": N_("Shoulder clearing"),
    "shoulder_mobility": N_("Shoulder mobility"),
    "shoulders_elevate": N_("Shoulders elevate"),
    "shoulders_elevated": N_("Shoulders elevated"),
    "shoulders_protracted": N_("Shoulders protracted"),
    "single_leg_squat": N_("Single leg squat"),
    "spinal_extension_clearing": N_("Spinal extension clearing"),
    "spinal_flexion_clearing": N_("Spinal flexion clearing"),
    "trunk_stability_push_up": N_("Trunk stability push up"),
    "upper_thoracic_flexion": N_("Upper thoracic flexion"),
    "upper_trunk_displaced_back": N_("Upper trunk displaced back"),
}
# The overhead squat's views.
VIEWS: dict[str, str] = {
    "anterior": N_("Anterior"),
    "lateral": N_("Lateral"),
    "posterior": N_("Posterior"),
}
# The muscles the scoring names (inscope_clinical.imbalances), in a list.
MUSCLES: dict[str, str] = {
    "abdominal_complex": N_("abdominal complex"),
    "adductor_complex": N_("adductor complex"),
    "adductor_magnus": N_("adductor magnus"),
    "anterior_tibialis": N_("anterior tibialis"),
    "biceps_femoris": N_("biceps femoris"),
    "biceps_femoris_short_head": N_("biceps femoris short head"),
    "deep_cervical_flexors": N_("deep cervical flexors"),
    "erector_spinae": N_("erector spinae"),
    "external_obliques": N_("external obliques"),
    "gastrocnemius": N_("gastrocnemius"),
    "gluteus_maximus": N_("gluteus maximus"),
    "gluteus_medius": N_("gluteus medius"),
    "gluteus_minimus": N_("gluteus minimus"),
    "gracilis": N_("gracilis"),
    "hamstring_complex": N_("hamstring complex"),
    "hip_flexor_complex": N_("hip flexor complex"),
    "intrinsic_core_stabilisers": N_("intrinsic core stabilisers"),
    "lateral_gastrocnemius": N_("lateral gastrocnemius"),
    "latissimus_dorsi": N_("latissimus dorsi"),
    "levator_scapulae": N_("levator scapulae"),
    "lower_trapezius": N_("lower trapezius"),
    "lumbar_extensors": N_("lumbar extensors"),
    "medial_gastrocnemius": N_("medial gastrocnemius"),
    "medial_hamstring_complex": N_("medial hamstring complex"),
    "middle_trapezius": N_("middle trapezius"),
    "pectoralis_major": N_("pectoralis major"),
    "pectoralis_minor": N_("pectoralis minor"),
    "peroneal_complex": N_("peroneal complex"),
    "piriformis": N_("piriformis"),
    "popliteus": N_("popliteus"),
    "posterior_deltoid": N_("posterior deltoid"),
    "posterior_tibialis": N_("posterior tibialis"),
    "rectus_abdominis": N_("rectus abdominis"),
    "rhomboids": N_("rhomboids"),
    "rotator_cuff": N_("rotator cuff"),
    "sartorius": N_("sartorius"),
    "soleus": N_("soleus"),
    "sternocleidomastoid": N_("sternocleidomastoid"),
    "teres_major": N_("teres major"),
    "tfl": N_("TFL (tensor fasciae latae)"),
    "upper_trapezius": N_("upper trapezius"),
    "vastus_lateralis": N_("vastus lateralis"),
    "vastus_medialis_oblique": N_("vastus medialis oblique"),
}
# The tests inside a sentence (inscope_clinical.journey.MOVEMENT_WORDS).
MOVEMENTS: dict[str, str] = {
    "active_straight_leg_raise": N_("active straight-leg raise"),
    "deep_squat": N_("deep squat"),
    "hurdle_step": N_("hurdle step"),
    "in_line_lunge": N_("in-line lunge"),
    "overhead_squat": N_("overhead squat"),
    "pulling_assessment": N_("pulling assessment"),
    "pushing_assessment": N_("pushing assessment"),
    "rotary_stability": N_("rotary stability"),
    "shoulder_clearing": N_("shoulder clearing test"),
    "shoulder_mobility": N_("shoulder mobility"),
    "single_leg_squat": N_("single-leg squat"),
    "spinal_extension_clearing": N_("spinal extension clearing test"),
    "spinal_flexion_clearing": N_("spinal flexion clearing test"),
    "trunk_stability_push_up": N_("trunk stability push-up"),
}
# The single-leg squat's, pushing's and pulling's findings (assessment_form.DEC8_LABELS).
DEC8: dict[str, str] = {
    "head_forward": N_("Head juts forward"),
    "knees_move_inward": N_("Knee moves inward (valgus)"),
    "low_back_arches": N_("Low back arches"),
    "shoulders_elevate": N_("Shoulders elevate"),
}


def _said(table: dict[str, str], code: str, fallback: str) -> str:
    return gettext(table[code]) if code in table else fallback


def label(code: str) -> str:
    return _said(LABELS, code, code.replace("_", " ").capitalize())


def view(code: str) -> str:
    return _said(VIEWS, code, code.capitalize())


def muscle(code: str) -> str:
    return _said(MUSCLES, code, code.replace("_", " "))


def movement(code: str) -> str:
    return _said(MOVEMENTS, code, code.replace("_", " "))


def dec8(code: str) -> str:
    return _said(DEC8, code, code.replace("_", " ").capitalize())


# The pages call them code_<kind> (a template has its own "label" variables).
WORDS = {"code_label": label, "code_view": view, "code_muscle": muscle,
         "code_movement": movement, "code_dec8": dec8}
