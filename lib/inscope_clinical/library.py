"""A small curated exercise library (CEC-1 phases). Names come from here, never
from free text. ``loads`` lists the screened patterns an exercise loads, so a
painful pattern can be kept out of activation and integration (CEC-2).

Every exercise is tagged with the movement patterns it loads and its intensity
(DEC-7): a clinician's "movements to avoid" and intensity cap leave it out of the
program. Rolling, stretching and the isolated activation work are light; only the
whole-pattern pressing work is above it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from inscope_clinical.letters.vocabulary import N_


class Exercise(NamedTuple):
    id: str
    name: str
    phase: str  # inhibit | lengthen | activate | integrate
    targets: tuple[str, ...]
    cues: tuple[str, ...]
    loads: tuple[str, ...] = ()
    fms_focus: tuple[str, ...] = ()
    compensations: tuple[str, ...] = ()
    # DEC-7/DEC-9: the movement patterns it loads (restrictions.MOVEMENT_TAGS) and its
    # intensity (restrictions.INTENSITY_ORDER), so a clinician's restrictions exclude it.
    movements: tuple[str, ...] = ()
    intensity: str = "light"


CALVES = ("gastrocnemius", "soleus", "lateral_gastrocnemius", "medial_gastrocnemius")
HAMSTRINGS = ("hamstring_complex", "biceps_femoris", "biceps_femoris_short_head",
              "medial_hamstring_complex")
SQUAT_COMPENSATIONS = ("feet_turn_out", "feet_flatten", "heels_rise", "knees_move_inward",
                       "knees_move_outward", "excessive_forward_lean", "low_back_arches",
                       "low_back_rounds", "lower_crossed_syndrome")
UPPER_COMPENSATIONS = ("arms_fall_forward", "shoulders_elevate", "head_forward",
                       "upper_crossed_syndrome")
PUSH_PULL_COMPENSATIONS = ("low_back_arches", "shoulders_elevate", "head_forward")
SINGLE_LEG_COMPENSATIONS = ("knees_move_inward", "asymmetrical_weight_shift",
                            "pes_planus_distortion_syndrome")

ROLL = (N_("Roll slowly until a tender spot is found"), N_("Hold the tender spot and breathe"),
        N_("Stop if pain is sharp or radiates"))
STRETCH = (N_("Move into a gentle stretch, no pain"), N_("Keep the spine neutral"),
           N_("Breathe slowly"))

LIBRARY: tuple[Exercise, ...] = (
    # 1 inhibit: self-myofascial rolling of probable overactive tissue
    Exercise("smr_calves", N_("Foam roll: calves"), "inhibit", CALVES, ROLL),
    Exercise("smr_peroneals", N_("Foam roll: peroneals (outer lower leg)"), "inhibit",
             ("peroneal_complex",), ROLL),
    Exercise("smr_adductors", N_("Foam roll: adductors"), "inhibit",
             ("adductor_complex", "adductor_magnus", "gracilis"), ROLL),
    Exercise("smr_tfl", N_("Foam roll: TFL / outer thigh"), "inhibit",
             ("tfl", "vastus_lateralis", "gluteus_minimus"), ROLL),
    Exercise("smr_hamstrings", N_("Foam roll: hamstrings"), "inhibit", HAMSTRINGS, ROLL),
    Exercise("smr_piriformis", N_("Foam roll: piriformis"), "inhibit", ("piriformis",), ROLL),
    Exercise("smr_hip_flexors", N_("Foam roll: hip flexors / quadriceps"), "inhibit",
             ("hip_flexor_complex",), ROLL),
    Exercise("smr_lats", N_("Foam roll: latissimus dorsi"), "inhibit",
             ("latissimus_dorsi", "teres_major"), ROLL),
    Exercise("smr_pecs", N_("Ball release: pectorals"), "inhibit",
             ("pectoralis_major", "pectoralis_minor"), ROLL),
    Exercise("smr_upper_traps", N_("Ball release: upper trapezius"), "inhibit",
             ("upper_trapezius", "levator_scapulae"), ROLL),
    # 2 lengthen: static stretching of probable overactive tissue
    Exercise("stretch_calves", N_("Standing calf stretch"), "lengthen", CALVES, STRETCH),
    Exercise("stretch_hip_flexors", N_("Kneeling hip-flexor stretch"), "lengthen",
             ("hip_flexor_complex", "tfl"), STRETCH + (N_("Tuck the pelvis under slightly"),)),
    Exercise("stretch_adductors", N_("Standing adductor stretch"), "lengthen",
             ("adductor_complex", "adductor_magnus", "gracilis"), STRETCH),
    Exercise("stretch_hamstrings", N_("Supine hamstring stretch with strap"), "lengthen",
             HAMSTRINGS, STRETCH),
    Exercise("stretch_piriformis", N_("Supine piriformis stretch"), "lengthen",
             ("piriformis", "gluteus_minimus"), STRETCH),
    Exercise("stretch_lats", N_("Kneeling ball latissimus stretch"), "lengthen",
             ("latissimus_dorsi", "teres_major"), STRETCH, fms_focus=("shoulder_mobility",),
             movements=("overhead_arm_work",)),
    Exercise("stretch_pecs", N_("Doorway pectoral stretch"), "lengthen",
             ("pectoralis_major", "pectoralis_minor"), STRETCH),
    Exercise("stretch_upper_traps", N_("Seated upper-trapezius / levator stretch"), "lengthen",
             ("upper_trapezius", "levator_scapulae", "sternocleidomastoid"),
             STRETCH + (N_("Gentle range only; stop if dizzy"),)),
    Exercise("stretch_low_back", N_("Supine knees-to-chest stretch"), "lengthen",
             ("erector_spinae", "lumbar_extensors"), STRETCH,
             movements=("spinal_flexion",)),
    Exercise("stretch_abdominals", N_("Standing overhead side reach"), "lengthen",
             ("rectus_abdominis", "external_obliques"), STRETCH,
             movements=("overhead_arm_work", "spinal_extension")),
    # 3 activate: isolated strengthening of probable underactive tissue
    Exercise("act_dorsiflexion", N_("Resisted ankle dorsiflexion (band)"), "activate",
             ("anterior_tibialis",), (N_("Pull the toes up slowly"), N_("Lower over 4 seconds"))),
    Exercise("act_inversion", N_("Resisted ankle inversion (band)"), "activate",
             ("posterior_tibialis",), (N_("Turn the sole inward against the band"),)),
    Exercise("act_bridge", N_("Floor glute bridge"), "activate",
             ("gluteus_maximus", "hamstring_complex"), (N_("Squeeze the glutes"), N_("Ribs down"))),
    Exercise("act_side_lying_abduction", N_("Side-lying hip abduction"), "activate",
             ("gluteus_medius",), (N_("Lead with the heel"), N_("Keep the pelvis stacked"))),
    Exercise("act_adductor_raise", N_("Side-lying adductor raise"), "activate",
             ("adductor_complex",), (N_("Lift the bottom leg slowly"),)),
    Exercise("act_medial_hamstring", N_("Prone knee flexion, toes turned in"), "activate",
             ("medial_hamstring_complex", "gracilis", "popliteus", "sartorius",
              "medial_gastrocnemius"), (N_("Curl the heel up slowly"), N_("Hips stay down"))),
    Exercise("act_terminal_knee_extension", N_("Terminal knee extension (band)"), "activate",
             ("vastus_medialis_oblique",), (N_("Straighten the knee fully against the band"),)),
    Exercise("act_drawing_in", N_("Quadruped drawing-in"), "activate",
             ("intrinsic_core_stabilisers", "abdominal_complex"),
             (N_("Draw the navel toward the spine"), N_("Keep breathing"))),
    Exercise("act_supine_march", N_("Supine march"), "activate", ("hip_flexor_complex",),
             (N_("Lift one knee at a time"), N_("Keep the pelvis level"))),
    Exercise("act_prone_cobra", N_("Prone floor cobra"), "activate",
             ("middle_trapezius", "lower_trapezius", "rhomboids", "erector_spinae",
              "lumbar_extensors"), (N_("Squeeze the shoulder blades back and down"),),
             loads=("trunk_stability_push_up",),
             movements=("spinal_extension",)),
    Exercise("act_external_rotation", N_("Band shoulder external rotation"), "activate",
             ("rotator_cuff", "posterior_deltoid"), (N_("Elbow at the side"), N_("Slow return")),
             loads=("shoulder_mobility",),
             movements=("overhead_arm_work",)),
    Exercise("act_chin_tuck", N_("Supine chin tuck"), "activate", ("deep_cervical_flexors",),
             (N_("Nod gently, make a double chin"), N_("No pushing into pain"))),
    Exercise("act_leg_lowering", N_("Active straight-leg raise with band assist"), "activate",
             (), (N_("Keep the down leg pressed to the floor"),),
             loads=("active_straight_leg_raise",), fms_focus=("active_straight_leg_raise",),
             movements=("straight_leg_raising",)),
    Exercise("act_bird_dog", N_("Quadruped opposite arm-leg reach"), "activate", (),
             (N_("Reach long, keep the hips level"),), loads=("rotary_stability",),
             fms_focus=("rotary_stability",),
             movements=("trunk_rotation", "spinal_flexion")),
    Exercise("act_plank_knees", N_("Plank from the knees"), "activate", (),
             (N_("Body moves as one unit"),), loads=("trunk_stability_push_up",),
             fms_focus=("trunk_stability_push_up",),
             movements=("pushing", "spinal_extension")),
    # 4 integrate: whole-pattern movement
    Exercise("int_ball_wall_squat", N_("Ball wall squat with overhead reach"), "integrate", (),
             (N_("Feet straight, knees over toes"), N_("Sit back to chair height")),
             loads=("deep_squat", "overhead_squat"), fms_focus=("deep_squat",),
             compensations=SQUAT_COMPENSATIONS,
             movements=("squatting", "overhead_arm_work")),
    Exercise("int_step_up_balance", N_("Step-up to balance"), "integrate", (),
             (N_("Knee tracks over the second toe"), N_("Pause on one leg")),
             loads=("hurdle_step",), fms_focus=("hurdle_step",),
             compensations=SINGLE_LEG_COMPENSATIONS,
             movements=("lunging_or_stepping", "single_leg_loading")),
    Exercise("int_split_squat", N_("Split squat with dowel"), "integrate", (),
             (N_("Dowel touches head, upper back and sacrum"),), loads=("in_line_lunge",),
             fms_focus=("in_line_lunge",),
             movements=("lunging_or_stepping", "single_leg_loading")),
    Exercise("int_squat_to_row", N_("Squat to row (cable or band)"), "integrate", (),
             (N_("Shoulders down and back"), N_("Chin tucked")),
             loads=("deep_squat", "overhead_squat"), compensations=UPPER_COMPENSATIONS,
             movements=("squatting", "overhead_arm_work", "pulling")),
    # DEC-8: whole-pattern work for the pushing and pulling assessments' findings
    Exercise("int_incline_push_up", N_("Incline push-up with chin tuck"), "integrate", (),
             (N_("Ribs down, no arch in the low back"), N_("Shoulders away from the ears"),
              N_("Chin tucked")), loads=("pushing_assessment", "trunk_stability_push_up"),
             compensations=PUSH_PULL_COMPENSATIONS,
             movements=("pushing", "spinal_extension")),
    Exercise("int_standing_row", N_("Standing cable or band row"), "integrate", (),
             (N_("Shoulders down and back"), N_("Chin tucked"), N_("Hips and ribs stay still")),
             loads=("pulling_assessment",), compensations=PUSH_PULL_COMPENSATIONS,
             movements=("pulling",)),
    # Whole-pattern pressing, above light: the first work a clinician's cap or an
    # "overhead pressing" restriction leaves out.
    Exercise("int_squat_to_press", N_("Squat to overhead press (light dumbbells)"), "integrate",
             (), (N_("Press straight up, ribs down"), N_("Stop the press if the low back arches")),
             loads=("deep_squat", "overhead_squat", "shoulder_mobility"),
             compensations=("arms_fall_forward", "shoulders_elevate"),
             movements=("squatting", "overhead_arm_work", "overhead_pressing"),
             intensity="moderate"),
    Exercise("int_lunge_to_press", N_("Reverse lunge to overhead press (dumbbells)"), "integrate",
             (), (N_("Knee tracks over the second toe"), N_("Press without leaning back")),
             loads=("in_line_lunge", "hurdle_step", "shoulder_mobility"),
             compensations=("arms_fall_forward",),
             movements=("lunging_or_stepping", "single_leg_loading", "overhead_arm_work",
                        "overhead_pressing"),
             intensity="vigorous"),
)

PHASES = ("inhibit", "lengthen", "activate", "integrate")

BY_ID = {exercise.id: exercise for exercise in LIBRARY}


def client_words(exercise: dict[str, Any], gettext: Callable[[str], str] = str
                 ) -> tuple[str, tuple[str, ...]]:
    """An exercise of a stored program (its ``id``, ``name``, ``cues``) as the client reads
    it: the library's name and cues for its id, in the language of ``gettext`` (the notify
    service's client catalog holds them). An id the library no longer has keeps the words
    stored with the program, untranslated."""
    known = BY_ID.get(str(exercise.get("id")))
    if known is None:
        name = str(exercise.get("name") or exercise.get("id"))
        return name, tuple(str(c) for c in exercise.get("cues") or ())
    return gettext(known.name), tuple(gettext(c) for c in known.cues)
