"""Controlled vocabularies shared by the schemas, the scoring and the decision.

Keys here are part of the API contract: the intake and assessment services accept
exactly these values.
"""

from __future__ import annotations

# PARQ-4: the ten follow-up sections (2024 layout, heart and blood pressure split)
# and the sub-questions each one asks when its gate is answered YES.
PARQ_GENERAL = ("g1", "g2", "g3", "g4", "g5", "g6", "g7")
PARQ_SECTIONS: dict[str, tuple[str, ...]] = {
    "s1_arthritis": ("a", "b", "c"),
    "s2_cancer": ("a", "b"),
    "s3_heart": ("a", "b", "c", "d"),
    "s4_blood_pressure": ("a", "b"),
    "s5_metabolic": ("a", "b", "c", "d", "e"),
    "s6_mental_health": ("a", "b"),
    "s7_respiratory": ("a", "b", "c", "d"),
    "s8_spinal_cord_injury": ("a", "b", "c"),
    "s9_stroke": ("a", "b", "c"),
    "s10_other": ("a", "b", "c"),
}
PARQ_DELAY = ("temporary_illness", "pregnant", "health_change")

# ACSM-2: the nine signs and symptoms suggestive of CV, metabolic or renal disease.
ACSM_SIGNS = (
    "ischaemic_discomfort",  # 1 chest, neck, jaw, arm pain/discomfort possibly ischaemic
    "dyspnoea_rest_or_mild_exertion",  # 2
    "dizziness_or_syncope",  # 3
    "orthopnoea_or_pnd",  # 4
    "ankle_oedema",  # 5
    "palpitations_or_tachycardia",  # 6
    "intermittent_claudication",  # 7
    "known_heart_murmur",  # 8
    "unusual_fatigue_or_dyspnoea",  # 9
)
# RF-3 names these five as "not acute" (urgent medical clearance).
ACSM_NON_ACUTE_SIGNS = (
    "ankle_oedema",
    "palpitations_or_tachycardia",
    "unusual_fatigue_or_dyspnoea",
    "intermittent_claudication",
    "known_heart_murmur",
)
INTENSITIES = ("light", "moderate", "vigorous")

# RF-2 spinal and RF-3 non-spinal red-flag questions (structured yes/no).
RED_FLAG_QUESTIONS = (
    # RF-2 cauda equina syndrome
    "bladder_dysfunction",
    "bowel_dysfunction",
    "sexual_dysfunction",
    "saddle_numbness",
    "bilateral_leg_neuro_symptoms",
    "bilateral_leg_weakness_progressive",
    # RF-2 deteriorating neurology
    "gait_disturbance",
    "multilevel_limb_weakness",
    "acute_foot_drop",
    "progressive_motor_deficit",
    # RF-2 infection
    "fever_or_unwell_with_spinal_pain",
    "infection_risk_factor",
    # RF-2 malignancy
    "cancer_history",
    "new_onset_spinal_pain",
    "severe_progressive_spinal_pain",
    "unexplained_weight_loss",
    "non_mechanical_or_thoracic_spinal_pain_unwell",
    "unremitting_night_pain",
    "immunosuppression_with_new_spinal_pain",
    "prolonged_corticosteroids_with_new_back_pain",
    # RF-2 fracture
    "osteoporosis_with_new_severe_spinal_pain",
    "sudden_central_pain_after_minor_trauma",
    "major_trauma_with_spinal_pain",
    # RF-2 other
    "first_episode_axial_back_pain",
    "major_motor_loss",
    "inflammatory_back_pain_features",
    "radicular_pain_over_6_weeks",
    # RF-3 cardiac chest pain (NICE CG95), by time since the last episode
    "chest_pain_now",
    "chest_pain_last_12h",
    "chest_pain_12_to_72h",
    "exertional_chest_discomfort_relieved_by_rest",
    # RF-3 cervical arterial / stroke
    "neck_pain_or_trauma_with_neuro_symptoms",
    "sudden_stroke_signs",
    # RF-3 injuries
    "ankle_injury_cannot_bear_weight",
    "ankle_or_midfoot_bone_tenderness",
    "hot_swollen_joint_with_fever",
    "suspected_fracture_or_dislocation",
    "neurovascular_compromise_after_injury",
    "unilateral_calf_pain_swelling",
)

PAIN_SIDES = ("left", "right", "bilateral", "midline", "none")
ONSETS = ("trauma", "no_trauma", "unknown")
DISCHARGE_STATUSES = ("symptom_free", "ongoing_symptoms", "new_symptoms")

# FMS-1: the seven tests; FMS-4: which are scored per side.
FMS_TESTS = (
    "deep_squat",
    "hurdle_step",
    "in_line_lunge",
    "shoulder_mobility",
    "active_straight_leg_raise",
    "trunk_stability_push_up",
    "rotary_stability",
)
FMS_BILATERAL = (
    "hurdle_step",
    "in_line_lunge",
    "shoulder_mobility",
    "active_straight_leg_raise",
    "rotary_stability",
)
# FMS-5: clearing test -> the pattern it zeroes when painful.
CLEARING_TESTS = {
    "shoulder_clearing": "shoulder_mobility",
    "spinal_extension_clearing": "trunk_stability_push_up",
    "spinal_flexion_clearing": "rotary_stability",
}
# DEC-8: other NASM movement assessments, with the OHSA-T2 rows they name.
SINGLE_LEG_SQUAT_COMPENSATIONS = ("knees_move_inward",)  # knee valgus, per side
PUSH_PULL_COMPENSATIONS = ("low_back_arches", "shoulders_elevate", "head_forward")
DEC8_TESTS = ("single_leg_squat", "pushing_assessment", "pulling_assessment")
PAIN_TESTS = FMS_TESTS + tuple(CLEARING_TESTS) + ("overhead_squat",) + DEC8_TESTS

# OHSA-T1 rows (the enum of compensations the assessment API accepts).
COMPENSATIONS = (
    "feet_turn_out",
    "feet_flatten",
    "heels_rise",
    "knees_move_inward",
    "knees_move_outward",
    "excessive_forward_lean",
    "low_back_arches",
    "low_back_rounds",
    "arms_fall_forward",
    "asymmetrical_weight_shift",
    "shoulders_elevate",
    "head_forward",
)
VIEWS = ("anterior", "lateral", "posterior")
# Who wrote the intake's free text (DEC-2): a relative or carer writing for the client
# names the client as "Mum", "my husband"; the reader then takes them as the client.
NOTES_WRITERS = ("client", "relative_or_carer", "staff")
SIDES = ("left", "right", "bilateral")

# POST-1..5 static posture observations.
POSTURE_FINDINGS = (
    "forward_head",
    "increased_cervical_lordosis",
    "increased_thoracic_kyphosis",
    "upper_thoracic_flexion",
    "shoulders_elevated",
    "shoulders_protracted",
    "scapular_winging",
    "anterior_pelvic_tilt",
    "posterior_pelvic_tilt",
    "increased_lumbar_lordosis",
    "flattened_lumbar_spine",
    "hips_flexed",
    "hips_hyperextended",
    "pelvis_shifted_forward",
    "upper_trunk_displaced_back",
    "knees_hyperextended",
    "flat_feet",
    "knees_valgus",
    "hips_adducted_internally_rotated",
)
