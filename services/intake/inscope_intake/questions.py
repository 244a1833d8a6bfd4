"""What the intake page asks, in plain words (paraphrased from the PAR-Q+ 2024 and ACSM
screening; shared/domain/clinical-rules.md PARQ-4, ACSM-2, RF-2, RF-3)."""

from __future__ import annotations

PARQ_VERSION = "2024"
CONSENT_VERSION = "consent-2026-01"
CONSENT_TEXT = (
    "I agree to a movement assessment by an InScope trainer. I understand that trainers "
    "screen and refer but do not diagnose or treat. I may withdraw at any time. The "
    "choices below say whether InScope may share my screening with my physician and "
    "email me about my results."
)

GENERAL = {
    "g1": "Has your doctor ever said that you have a heart condition or high blood pressure?",
    "g2": "Do you feel pain in your chest at rest, during daily activities, or when you do "
    "physical activity?",
    "g3": "Do you lose balance because of dizziness, or have you lost consciousness in the "
    "last 12 months?",
    "g4": "Have you ever been diagnosed with another chronic medical condition (other than "
    "heart disease or high blood pressure)?",
    "g5": "Are you currently taking prescribed medications for a chronic medical condition?",
    "g6": "Do you have (or have you had in the past 12 months) a bone, joint or soft tissue "
    "problem that could be made worse by becoming more physically active?",
    "g7": "Has your doctor ever said that you should only do medically supervised physical "
    "activity?",
}

CTRL = (
    "Do you have difficulty controlling your condition with medication or other "
    "physician-prescribed therapy? (No if not on medication or treatment.)"
)
FOLLOWUPS: dict[str, tuple[str, dict[str, str]]] = {
    "s1_arthritis": (
        "Do you have arthritis, osteoporosis or back problems?",
        {
            "a": CTRL,
            "b": "Joint problems causing pain, a recent fracture or a fracture caused by "
            "osteoporosis or cancer, a displaced vertebra or a pars defect?",
            "c": "Steroid injections or regular steroid tablets for more than 3 months?",
        },
    ),
    "s2_cancer": (
        "Do you currently have cancer of any kind?",
        {
            "a": "Does the diagnosis include lung/bronchogenic, multiple myeloma, or head "
            "and neck cancer?",
            "b": "Are you currently receiving cancer therapy (chemotherapy or radiotherapy)?",
        },
    ),
    "s3_heart": (
        "Do you have a heart or cardiovascular condition?",
        {
            "a": CTRL,
            "b": "An irregular heartbeat that needs medical management?",
            "c": "Chronic heart failure?",
            "d": "Diagnosed coronary artery disease and no regular physical activity in "
            "the last 2 months?",
        },
    ),
    "s4_blood_pressure": (
        "Do you currently have high blood pressure?",
        {
            "a": CTRL,
            "b": "A resting blood pressure of 160/90 mmHg or more, with or without "
            "medication? (Yes if you do not know it.)",
            "resting_bp_known": "Do you know your resting blood pressure?",
        },
    ),
    "s5_metabolic": (
        "Do you have a metabolic condition (type 1 or type 2 diabetes, pre-diabetes)?",
        {
            "a": "Is your blood sugar often difficult to control with food, medication or "
            "other therapy?",
            "b": "Frequent signs of low blood sugar after exercise or during daily activities?",
            "c": "Signs of diabetes complications (heart, eyes, kidneys, feeling in toes "
            "and feet)?",
            "d": "Other metabolic conditions (pregnancy-related diabetes, chronic kidney "
            "disease, liver problems)?",
            "e": "Planning unusually high (vigorous) intensity exercise soon?",
        },
    ),
    "s6_mental_health": (
        "Do you have mental health problems or learning difficulties?",
        {"a": CTRL, "b": "Down syndrome and back problems affecting nerves or muscles?"},
    ),
    "s7_respiratory": (
        "Do you have a respiratory disease (COPD, asthma, pulmonary high blood pressure)?",
        {
            "a": CTRL,
            "b": "Has a doctor said your blood oxygen is low at rest or in exercise, or "
            "that you need supplemental oxygen?",
            "c": "If asthmatic: chest tightness, wheezing, laboured breathing, a constant "
            "cough, or rescue medication more than twice last week?",
            "d": "Has a doctor said you have high blood pressure in the lung vessels?",
        },
    ),
    "s8_spinal_cord_injury": (
        "Do you have a spinal cord injury (tetraplegia, paraplegia)?",
        {
            "a": CTRL,
            "b": "Low resting blood pressure causing dizziness, light-headedness or fainting?",
            "c": "Has a physician said you have sudden bouts of high blood pressure "
            "(autonomic dysreflexia)?",
        },
    ),
    "s9_stroke": (
        "Have you had a stroke (including a TIA)?",
        {
            "a": CTRL,
            "b": "Any impairment in walking or mobility?",
            "c": "A stroke or impairment in nerves or muscles in the past 6 months?",
        },
    ),
    "s10_other": (
        "Do you have any other medical condition, or two or more conditions?",
        {
            "a": "Fainting or loss of consciousness from a head injury, or a diagnosed "
            "concussion, in the last 12 months?",
            "b": "A medical condition not listed (e.g. epilepsy, neurological conditions, "
            "kidney problems)?",
            "c": "Currently living with two or more medical conditions?",
        },
    ),
}

DELAY = {
    "temporary_illness": "A temporary illness such as a cold or fever right now",
    "pregnant": "Pregnant now",
    "health_change": "Health changed since the last PAR-Q+",
}

ACSM_DISEASES = {
    "known_cv_disease": "Known cardiovascular disease",
    "known_metabolic_disease": "Known metabolic disease (type 1 or type 2 diabetes)",
    "known_renal_disease": "Known kidney (renal) disease",
}
ACSM_SIGNS = {
    "ischaemic_discomfort": "Pain or discomfort in the chest, neck, jaw or arms",
    "dyspnoea_rest_or_mild_exertion": "Shortness of breath at rest or with mild exertion",
    "dizziness_or_syncope": "Dizziness or fainting",
    "orthopnoea_or_pnd": "Breathlessness lying down or waking up breathless at night",
    "ankle_oedema": "Ankle swelling",
    "palpitations_or_tachycardia": "Palpitations or a racing heart",
    "intermittent_claudication": "Cramping leg pain when walking that eases with rest",
    "known_heart_murmur": "A known heart murmur",
    "unusual_fatigue_or_dyspnoea": "Unusual tiredness or breathlessness in usual activities",
}

RED_FLAGS: dict[str, dict[str, str]] = {
    "Chest, heart and stroke signs": {
        "chest_pain_now": "Chest pain right now",
        "chest_pain_last_12h": "Chest pain in the last 12 hours",
        "chest_pain_12_to_72h": "Chest pain 12 to 72 hours ago",
        "exertional_chest_discomfort_relieved_by_rest": "Chest discomfort on exertion that "
        "eases with rest",
        "sudden_stroke_signs": "Sudden face droop, arm weakness or speech difficulty",
        "neck_pain_or_trauma_with_neuro_symptoms": "Neck pain or neck injury with dizziness, "
        "double vision, numbness or trouble speaking",
        "unilateral_calf_pain_swelling": "Pain and swelling in one calf",
    },
    "Back and nerves": {
        "bladder_dysfunction": "New trouble passing or holding urine",
        "bowel_dysfunction": "New loss of bowel control",
        "sexual_dysfunction": "New sexual dysfunction",
        "saddle_numbness": "Numbness around the groin or buttocks",
        "bilateral_leg_neuro_symptoms": "Pins and needles or numbness in both legs",
        "bilateral_leg_weakness_progressive": "Weakness in both legs that is getting worse",
        "gait_disturbance": "A change in the way you walk",
        "multilevel_limb_weakness": "Weakness in several parts of the arms or legs",
        "acute_foot_drop": "Sudden foot drop",
        "progressive_motor_deficit": "Weakness that is getting worse",
        "major_motor_loss": "Major loss of strength",
        "first_episode_axial_back_pain": "First ever episode of back pain",
        "inflammatory_back_pain_features": "Back pain and stiffness worse in the morning "
        "that eases with movement",
        "radicular_pain_over_6_weeks": "Pain running down an arm or leg for over 6 weeks",
    },
    "Illness, infection and cancer": {
        "fever_or_unwell_with_spinal_pain": "Fever or feeling unwell with back or neck pain",
        "infection_risk_factor": "A recent infection, IV drug use or a weakened immune system",
        "cancer_history": "A history of cancer",
        "new_onset_spinal_pain": "New back or neck pain",
        "severe_progressive_spinal_pain": "Severe back or neck pain that is getting worse",
        "unexplained_weight_loss": "Weight loss without trying",
        "non_mechanical_or_thoracic_spinal_pain_unwell": "Constant mid-back pain while "
        "feeling unwell",
        "unremitting_night_pain": "Pain at night that does not ease",
        "immunosuppression_with_new_spinal_pain": "New back pain while on immune-lowering "
        "treatment",
        "prolonged_corticosteroids_with_new_back_pain": "New back pain after long-term steroid use",
    },
    "Injuries and fractures": {
        "osteoporosis_with_new_severe_spinal_pain": "Osteoporosis with new severe back pain",
        "sudden_central_pain_after_minor_trauma": "Sudden central back pain after a minor "
        "fall or knock",
        "major_trauma_with_spinal_pain": "Back or neck pain after a major accident or fall",
        "ankle_injury_cannot_bear_weight": "An ankle injury and cannot bear weight",
        "ankle_or_midfoot_bone_tenderness": "Bone tenderness at the ankle or midfoot after "
        "an injury",
        "hot_swollen_joint_with_fever": "A hot, swollen joint with a fever",
        "suspected_fracture_or_dislocation": "A possible broken bone or dislocation",
        "neurovascular_compromise_after_injury": "Numbness, coldness or colour change below "
        "an injury",
    },
}

PAIN_SIDES = {
    "left": "Left",
    "right": "Right",
    "bilateral": "Both sides",
    "midline": "Middle",
    "none": "Not sided",
}
ONSETS = {"unknown": "Not known", "trauma": "After an injury", "no_trauma": "Came on by itself"}
DISCHARGE_STATUSES = {
    "symptom_free": "Symptom free",
    "ongoing_symptoms": "Ongoing symptoms",
    "new_symptoms": "New symptoms",
}
INTENSITIES = {"light": "Light", "moderate": "Moderate", "vigorous": "Vigorous"}

# DEC-5 / DEC-9 / DEC-10: clinicians' guidelines, written clearances, recorded values.
GUIDELINE_PROFESSIONS = {
    "physician": "Physician",
    "physical_therapist": "Physical therapist",
    "chiropractor": "Chiropractor",
    "sports_medicine_physician": "Sports-medicine doctor",
    "other_clinician": "Other clinician",
}
CLEARANCE_PROFESSIONS = {
    "physician": "Physician",
    "obstetric_clinician": "Obstetric clinician (pregnancy)",
    "physical_therapist": "Physical therapist",
    "chiropractor": "Chiropractor",
    "other": "Other",
}
CLEARANCE_CONDITIONS = {
    "pregnancy": "Pregnancy",
    "known_cv_disease": "Heart, blood-vessel or stroke disease",
    "known_metabolic_disease": "Diabetes",
    "known_renal_disease": "Kidney disease",
    "s1_arthritis": "Arthritis, osteoporosis or back problems",
    "s2_cancer": "Cancer",
    "s3_heart": "Heart condition",
    "s4_blood_pressure": "High blood pressure",
    "s5_metabolic": "Metabolic condition",
    "s6_mental_health": "Mental health or learning difficulty",
    "s7_respiratory": "Respiratory disease",
    "s8_spinal_cord_injury": "Spinal cord injury",
    "s9_stroke": "Stroke",
    "s10_other": "Other medical condition",
}
MOVEMENTS = {
    "squatting": "Squatting",
    "lunging_or_stepping": "Lunging or stepping",
    "single_leg_loading": "Single-leg loading",
    "overhead_arm_work": "Overhead arm work",
    "pushing": "Pushing",
    "pulling": "Pulling",
    "spinal_flexion": "Bending forward",
    "spinal_extension": "Bending backward",
    "trunk_rotation": "Twisting",
    "straight_leg_raising": "Straight-leg raising",
    "impact_or_jumping": "Impact or jumping",
    "running": "Running",
    "heavy_lifting": "Heavy lifting",
}

# Duplicate questions merged (issue 15 item 1): a question another answer already
# settles is not asked again. Each rule: the question settled, the answer that settles
# it (field, value), what it is then, and what the page says instead of asking. Only
# answers that follow for certain (and a Yes only from a Yes), so nothing the engine
# would read differently: a chest pain (G2) is a pain in the chest (ACSM sign 1); a
# heart condition or a stroke (PAR-Q+ 3, 9) is a known cardiovascular disease (ACSM
# counts cardiac and cerebrovascular disease); planning vigorous exercise (PAR-Q+ 5e) is
# the intended intensity. A question asked and answered on the form keeps its answer
# (the engine's contradiction check, DEC-3, sees a disagreement).
IMPLIED: tuple[tuple[str, str, str, str, str], ...] = (
    ("intake.acsm.signs_symptoms.ischaemic_discomfort", "intake.parq.general.g2", "yes", "yes",
     "Yes: already answered in G2 (pain in the chest)."),
    ("intake.acsm.known_cv_disease", "intake.parq.followups.s3_heart.gate", "yes", "yes",
     "Yes: already answered in the PAR-Q+ (a heart or cardiovascular condition)."),
    ("intake.acsm.known_cv_disease", "intake.parq.followups.s9_stroke.gate", "yes", "yes",
     "Yes: already answered in the PAR-Q+ (a stroke)."),
    ("intake.parq.followups.s5_metabolic.e", "intake.acsm.desired_intensity", "vigorous", "yes",
     "Yes: the intended exercise intensity below is Vigorous."),
    ("intake.parq.followups.s5_metabolic.e", "intake.acsm.desired_intensity", "moderate", "no",
     "No: the intended exercise intensity below is Moderate."),
    ("intake.parq.followups.s5_metabolic.e", "intake.acsm.desired_intensity", "light", "no",
     "No: the intended exercise intensity below is Light."),
)
