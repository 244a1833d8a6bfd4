"""A small curated exercise library (CEC-1 phases). Names come from here, never
from free text. ``loads`` lists the screened patterns an exercise loads, so a
painful pattern can be kept out of activation and integration (CEC-2).

Every exercise is tagged with the movement patterns it loads and its intensity
(DEC-7): a clinician's "movements to avoid" and intensity cap leave it out of the
program. Rolling, stretching and the isolated activation work are light; only the
whole-pattern pressing work is above it.
"""

from __future__ import annotations

from typing import NamedTuple


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

ROLL = ("Roll slowly until a tender spot is found", "Hold the tender spot and breathe",
        "Stop if pain is sharp or radiates")
STRETCH = ("Move into a gentle stretch, no pain", "Keep the spine neutral", "Breathe slowly")

LIBRARY: tuple[Exercise, ...] = (
    # 1 inhibit: self-myofascial rolling of probable overactive tissue
    Exercise("smr_calves", "Foam roll: calves", "inhibit", CALVES, ROLL),
    Exercise("smr_peroneals", "Foam roll: peroneals (outer lower leg)", "inhibit",
             ("peroneal_complex",), ROLL),
    Exercise("smr_adductors", "Foam roll: adductors", "inhibit",
             ("adductor_complex", "adductor_magnus", "gracilis"), ROLL),
    Exercise("smr_tfl", "Foam roll: TFL / outer thigh", "inhibit",
             ("tfl", "vastus_lateralis", "gluteus_minimus"), ROLL),
    Exercise("smr_hamstrings", "Foam roll: hamstrings", "inhibit", HAMSTRINGS, ROLL),
    Exercise("smr_piriformis", "Foam roll: piriformis", "inhibit", ("piriformis",), ROLL),
    Exercise("smr_hip_flexors", "Foam roll: hip flexors / quadriceps", "inhibit",
             ("hip_flexor_complex",), ROLL),
    Exercise("smr_lats", "Foam roll: latissimus dorsi", "inhibit",
             ("latissimus_dorsi", "teres_major"), ROLL),
    Exercise("smr_pecs", "Ball release: pectorals", "inhibit",
             ("pectoralis_major", "pectoralis_minor"), ROLL),
    Exercise("smr_upper_traps", "Ball release: upper trapezius", "inhibit",
             ("upper_trapezius", "levator_scapulae"), ROLL),
    # 2 lengthen: static stretching of probable overactive tissue
    Exercise("stretch_calves", "Standing calf stretch", "lengthen", CALVES, STRETCH),
    Exercise("stretch_hip_flexors", "Kneeling hip-flexor stretch", "lengthen",
             ("hip_flexor_complex", "tfl"), STRETCH + ("Tuck the pelvis under slightly",)),
    Exercise("stretch_adductors", "Standing adductor stretch", "lengthen",
             ("adductor_complex", "adductor_magnus", "gracilis"), STRETCH),
    Exercise("stretch_hamstrings", "Supine hamstring stretch with strap", "lengthen",
             HAMSTRINGS, STRETCH),
    Exercise("stretch_piriformis", "Supine piriformis stretch", "lengthen",
             ("piriformis", "gluteus_minimus"), STRETCH),
    Exercise("stretch_lats", "Kneeling ball latissimus stretch", "lengthen",
             ("latissimus_dorsi", "teres_major"), STRETCH, fms_focus=("shoulder_mobility",),
             movements=("overhead_arm_work",)),
    Exercise("stretch_pecs", "Doorway pectoral stretch", "lengthen",
             ("pectoralis_major", "pectoralis_minor"), STRETCH),
    Exercise("stretch_upper_traps", "Seated upper-trapezius / levator stretch", "lengthen",
             ("upper_trapezius", "levator_scapulae", "sternocleidomastoid"),
             STRETCH + ("Gentle range only; stop if dizzy",)),
    Exercise("stretch_low_back", "Supine knees-to-chest stretch", "lengthen",
             ("erector_spinae", "lumbar_extensors"), STRETCH,
             movements=("spinal_flexion",)),
    Exercise("stretch_abdominals", "Standing overhead side reach", "lengthen",
             ("rectus_abdominis", "external_obliques"), STRETCH,
             movements=("overhead_arm_work", "spinal_extension")),
    # 3 activate: isolated strengthening of probable underactive tissue
    Exercise("act_dorsiflexion", "Resisted ankle dorsiflexion (band)", "activate",
             ("anterior_tibialis",), ("Pull the toes up slowly", "Lower over 4 seconds")),
    Exercise("act_inversion", "Resisted ankle inversion (band)", "activate",
             ("posterior_tibialis",), ("Turn the sole inward against the band",)),
    Exercise("act_bridge", "Floor glute bridge", "activate",
             ("gluteus_maximus", "hamstring_complex"), ("Squeeze the glutes", "Ribs down")),
    Exercise("act_side_lying_abduction", "Side-lying hip abduction", "activate",
             ("gluteus_medius",), ("Lead with the heel", "Keep the pelvis stacked")),
    Exercise("act_adductor_raise", "Side-lying adductor raise", "activate",
             ("adductor_complex",), ("Lift the bottom leg slowly",)),
    Exercise("act_medial_hamstring", "Prone knee flexion, toes turned in", "activate",
             ("medial_hamstring_complex", "gracilis", "popliteus", "sartorius",
              "medial_gastrocnemius"), ("Curl the heel up slowly", "Hips stay down")),
    Exercise("act_terminal_knee_extension", "Terminal knee extension (band)", "activate",
             ("vastus_medialis_oblique",), ("Straighten the knee fully against the band",)),
    Exercise("act_drawing_in", "Quadruped drawing-in", "activate",
             ("intrinsic_core_stabilisers", "abdominal_complex"),
             ("Draw the navel toward the spine", "Keep breathing")),
    Exercise("act_supine_march", "Supine march", "activate", ("hip_flexor_complex",),
             ("Lift one knee at a time", "Keep the pelvis level")),
    Exercise("act_prone_cobra", "Prone floor cobra", "activate",
             ("middle_trapezius", "lower_trapezius", "rhomboids", "erector_spinae",
              "lumbar_extensors"), ("Squeeze the shoulder blades back and down",),
             loads=("trunk_stability_push_up",),
             movements=("spinal_extension",)),
    Exercise("act_external_rotation", "Band shoulder external rotation", "activate",
             ("rotator_cuff", "posterior_deltoid"), ("Elbow at the side", "Slow return"),
             loads=("shoulder_mobility",),
             movements=("overhead_arm_work",)),
    Exercise("act_chin_tuck", "Supine chin tuck", "activate", ("deep_cervical_flexors",),
             ("Nod gently, make a double chin", "No pushing into pain")),
    Exercise("act_leg_lowering", "Active straight-leg raise with band assist", "activate",
             (), ("Keep the down leg pressed to the floor",),
             loads=("active_straight_leg_raise",), fms_focus=("active_straight_leg_raise",),
             movements=("straight_leg_raising",)),
    Exercise("act_bird_dog", "Quadruped opposite arm-leg reach", "activate", (),
             ("Reach long, keep the hips level",), loads=("rotary_stability",),
             fms_focus=("rotary_stability",),
             movements=("trunk_rotation", "spinal_flexion")),
    Exercise("act_plank_knees", "Plank from the knees", "activate", (),
             ("Body moves as one unit",), loads=("trunk_stability_push_up",),
             fms_focus=("trunk_stability_push_up",),
             movements=("pushing", "spinal_extension")),
    # 4 integrate: whole-pattern movement
    Exercise("int_ball_wall_squat", "Ball wall squat with overhead reach", "integrate", (),
             ("Feet straight, knees over toes", "Sit back to chair height"),
             loads=("deep_squat", "overhead_squat"), fms_focus=("deep_squat",),
             compensations=SQUAT_COMPENSATIONS,
             movements=("squatting", "overhead_arm_work")),
    Exercise("int_step_up_balance", "Step-up to balance", "integrate", (),
             ("Knee tracks over the second toe", "Pause on one leg"),
             loads=("hurdle_step",), fms_focus=("hurdle_step",),
             compensations=SINGLE_LEG_COMPENSATIONS,
             movements=("lunging_or_stepping", "single_leg_loading")),
    Exercise("int_split_squat", "Split squat with dowel", "integrate", (),
             ("Dowel touches head, upper back and sacrum",), loads=("in_line_lunge",),
             fms_focus=("in_line_lunge",),
             movements=("lunging_or_stepping", "single_leg_loading")),
    Exercise("int_squat_to_row", "Squat to row (cable or band)", "integrate", (),
             ("Shoulders down and back", "Chin tucked"),
             loads=("deep_squat", "overhead_squat"), compensations=UPPER_COMPENSATIONS,
             movements=("squatting", "overhead_arm_work", "pulling")),
    # DEC-8: whole-pattern work for the pushing and pulling assessments' findings
    Exercise("int_incline_push_up", "Incline push-up with chin tuck", "integrate", (),
             ("Ribs down, no arch in the low back", "Shoulders away from the ears",
              "Chin tucked"), loads=("pushing_assessment", "trunk_stability_push_up"),
             compensations=PUSH_PULL_COMPENSATIONS,
             movements=("pushing", "spinal_extension")),
    Exercise("int_standing_row", "Standing cable or band row", "integrate", (),
             ("Shoulders down and back", "Chin tucked", "Hips and ribs stay still"),
             loads=("pulling_assessment",), compensations=PUSH_PULL_COMPENSATIONS,
             movements=("pulling",)),
    # Whole-pattern pressing, above light: the first work a clinician's cap or an
    # "overhead pressing" restriction leaves out.
    Exercise("int_squat_to_press", "Squat to overhead press (light dumbbells)", "integrate",
             (), ("Press straight up, ribs down", "Stop the press if the low back arches"),
             loads=("deep_squat", "overhead_squat", "shoulder_mobility"),
             compensations=("arms_fall_forward", "shoulders_elevate"),
             movements=("squatting", "overhead_arm_work", "overhead_pressing"),
             intensity="moderate"),
    Exercise("int_lunge_to_press", "Reverse lunge to overhead press (dumbbells)", "integrate",
             (), ("Knee tracks over the second toe", "Press without leaning back"),
             loads=("in_line_lunge", "hurdle_step", "shoulder_mobility"),
             compensations=("arms_fall_forward",),
             movements=("lunging_or_stepping", "single_leg_loading", "overhead_arm_work",
                        "overhead_pressing"),
             intensity="vigorous"),
)

PHASES = ("inhibit", "lengthen", "activate", "integrate")
