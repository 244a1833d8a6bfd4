"""Words for the engine's fact keys: what the client answered or the trainer observed.

Pure data. Labels describe answers and observations, never causes (SCOPE-3). The PAR-Q+
wording is paraphrased, like the rules file's, and must be replaced by the licensed text
in production. Questionnaire labels name conditions the *client* reported (the PAR-Q+
asks about them by name); the scope guard accepts them as quoted wording, nothing else.
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks words a client reads for the notify service's message catalog (its
    babel-messages.cfg reads this file); notify translates them where it writes them."""
    return text


PARQ_GENERAL = {
    "g1": "heart condition or high blood pressure, as told by a doctor",
    "g2": "chest pain at rest, in daily activities or during physical activity",
    "g3": "loss of balance from dizziness, or loss of consciousness, in the last 12 months",
    "g4": "another chronic medical condition",
    "g5": "prescribed medication for a chronic medical condition",
    "g6": "a bone, joint or soft-tissue problem in the last 12 months that more activity "
    "could worsen",
    "g7": "a doctor has advised only medically supervised physical activity",
}

_CTRL = "difficulty controlling the condition with medication or prescribed therapy"
PARQ_SECTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "s1_arthritis": (
        "arthritis, osteoporosis or back problems",
        {
            "a": _CTRL,
            "b": "joint problems causing pain, a recent fracture, or a displaced vertebra "
            "(spondylolisthesis) or pars defect",
            "c": "steroid injections or steroid tablets regularly for more than 3 months",
        },
    ),
    "s2_cancer": (
        "cancer of any kind",
        {
            "a": "cancer type: lung/bronchogenic, multiple myeloma, or head and neck",
            "b": "currently receiving cancer therapy (chemotherapy or radiotherapy)",
        },
    ),
    "s3_heart": (
        "heart or cardiovascular condition",
        {
            "a": _CTRL,
            "b": "irregular heartbeat that needs medical management",
            "c": "chronic heart failure",
            "d": "coronary artery disease and no regular physical activity in the last 2 months",
        },
    ),
    "s4_blood_pressure": (
        "high blood pressure",
        {
            "a": _CTRL,
            "b": "resting blood pressure of 160/90 mmHg or higher (answered YES when not known)",
        },
    ),
    "s5_metabolic": (
        "metabolic condition (type 1, type 2 or pre-diabetes)",
        {
            "a": "blood sugar often difficult to control",
            "b": "frequent signs of low blood sugar after exercise or in daily activities",
            "c": "signs or symptoms of diabetes complications (heart, vessels, eyes, kidneys, "
            "feeling in the feet)",
            "d": "another metabolic condition (pregnancy-related diabetes, chronic kidney "
            "disease, liver problems)",
            "e": "planning unusually high (vigorous) intensity exercise soon",
        },
    ),
    "s6_mental_health": (
        "mental health problems or learning difficulties",
        {"a": _CTRL, "b": "Down syndrome and back problems affecting nerves or muscles"},
    ),
    "s7_respiratory": (
        "respiratory disease",
        {
            "a": _CTRL,
            "b": "low blood oxygen at rest or in exercise, or supplemental oxygen needed",
            "c": "current asthma symptoms, or rescue medication more than twice last week",
            "d": "high blood pressure in the blood vessels of the lungs",
        },
    ),
    "s8_spinal_cord_injury": (
        "spinal cord injury",
        {
            "a": _CTRL,
            "b": "low resting blood pressure causing dizziness, light-headedness or fainting",
            "c": "sudden bouts of high blood pressure (autonomic dysreflexia)",
        },
    ),
    "s9_stroke": (
        "stroke, including TIA",
        {
            "a": _CTRL,
            "b": "impaired walking or mobility",
            "c": "a stroke or impairment of nerves or muscles in the past 6 months",
        },
    ),
    "s10_other": (
        "another medical condition",
        {
            "a": "blackout, fainting or concussion from a head injury in the last 12 months",
            "b": "a medical condition not listed (for example epilepsy, neurological "
            "conditions, kidney problems)",
            "c": "living with two or more medical conditions",
        },
    ),
}

# What the client's email says about a PAR-Q+ answer: the topic of the question, in plain
# words, never the conditions the question lists. A "yes" to follow-up 1b says the client
# has one of "joint problems causing pain, a recent fracture, or a displaced vertebra
# (spondylolisthesis) or pars defect", not which: naming the list to the client would
# name conditions they never reported. The clinician's letter keeps the full wording.
PARQ_GENERAL_CLIENT = {
    "g1": N_("your heart or blood pressure"),
    "g2": N_("chest pain"),
    "g3": N_("dizziness, balance or fainting"),
    "g4": N_("a long-term medical condition"),
    "g5": N_("medication you take"),
    "g6": N_("a bone, joint or muscle problem"),
    "g7": N_("a doctor's advice on exercise"),
}
PARQ_SECTIONS_CLIENT = {
    "s1_arthritis": N_("your joints, bones or back"),
    "s2_cancer": N_("cancer care"),
    "s3_heart": N_("your heart"),
    "s4_blood_pressure": N_("your blood pressure"),
    "s5_metabolic": N_("your blood sugar"),
    "s6_mental_health": N_("your wellbeing"),
    "s7_respiratory": N_("your breathing"),
    "s8_spinal_cord_injury": N_("your spinal cord injury"),
    "s9_stroke": N_("your recovery after a stroke"),
    "s10_other": N_("your general health"),
}

PARQ_DELAY = {
    "temporary_illness": N_("a temporary illness (for example a cold or fever)"),
    "pregnant": N_("current pregnancy"),
    "health_change": N_("a change in health since the PAR-Q+ was completed"),
}

ACSM_DISEASES = {
    "known_cv_disease": N_("known cardiovascular disease"),
    "known_metabolic_disease": N_("known metabolic disease (type 1 or type 2 diabetes)"),
    "known_renal_disease": N_("known kidney disease"),
}
ACSM_SIGNS = {
    "ischaemic_discomfort": N_("pain or discomfort in the chest, neck, jaw or arms"),
    "dyspnoea_rest_or_mild_exertion": N_("shortness of breath at rest or with mild exertion"),
    "dizziness_or_syncope": N_("dizziness or fainting"),
    "orthopnoea_or_pnd": N_("breathlessness when lying flat or waking at night short of breath"),
    "ankle_oedema": N_("ankle swelling"),
    "palpitations_or_tachycardia": N_("palpitations or a racing heartbeat"),
    "intermittent_claudication": N_("calf pain when walking that eases with rest"),
    "known_heart_murmur": N_("a known heart murmur"),
    "unusual_fatigue_or_dyspnoea": N_("unusual tiredness or shortness of breath with usual "
                                      "activities"),
}

RED_FLAGS = {
    "bladder_dysfunction": N_("new or worsening bladder changes (difficulty starting, "
    "retention, altered sensation or leakage)"),
    "bowel_dysfunction": N_("new or worsening changes in bowel control"),
    "sexual_dysfunction": N_("new changes in sexual function"),
    "saddle_numbness": N_("numbness between the legs or around the back passage"),
    "bilateral_leg_neuro_symptoms": N_("pain, numbness or tingling in both legs"),
    "bilateral_leg_weakness_progressive": N_("weakness in both legs that is getting worse"),
    "gait_disturbance": N_("a change in walking (unsteadiness or difficulty walking)"),
    "multilevel_limb_weakness": N_("weakness in several areas of the legs and/or arms"),
    "acute_foot_drop": N_("sudden difficulty lifting the front of the foot"),
    "progressive_motor_deficit": N_("weakness that is getting worse"),
    "fever_or_unwell_with_spinal_pain": N_("fever, chills or feeling generally unwell together "
    "with back or neck pain"),
    "infection_risk_factor": N_("a risk factor for infection (for example lowered immunity or a "
    "recent spinal procedure)"),
    "cancer_history": N_("a history of cancer"),
    "new_onset_spinal_pain": N_("new back or neck pain"),
    "severe_progressive_spinal_pain": N_("severe back or neck pain that is getting worse"),
    "unexplained_weight_loss": N_("recent weight loss without trying"),
    "non_mechanical_or_thoracic_spinal_pain_unwell": N_("mid-back pain, or back pain not "
    "eased by changing position, while feeling unwell"),
    "unremitting_night_pain": N_("pain at night that does not ease with a change of position"),
    "immunosuppression_with_new_spinal_pain": N_("new back or neck pain with a condition or "
    "medication that lowers immunity"),
    "prolonged_corticosteroids_with_new_back_pain": N_("new back pain after long-term steroid "
    "medication"),
    "osteoporosis_with_new_severe_spinal_pain": N_("new severe back pain with known osteoporosis"),
    "sudden_central_pain_after_minor_trauma": N_("sudden severe central back pain after a minor "
    "fall or a strenuous lift, easing when lying down"),
    "major_trauma_with_spinal_pain": N_("back or neck pain after a major accident (for example "
    "a fall from height or a road collision)"),
    "first_episode_axial_back_pain": N_("a first-ever episode of back pain"),
    "major_motor_loss": N_("marked loss of strength in a limb"),
    "inflammatory_back_pain_features": N_("back pain with prolonged morning stiffness that "
    "eases with activity"),
    "radicular_pain_over_6_weeks": N_("pain spreading down a leg or arm for more than 6 weeks"),
    "chest_pain_now": N_("chest pain or pressure at the time of screening"),
    "chest_pain_last_12h": N_("chest pain or pressure in the last 12 hours"),
    "chest_pain_12_to_72h": N_("chest pain or pressure 12 to 72 hours before screening"),
    "exertional_chest_discomfort_relieved_by_rest": N_("chest discomfort on exertion that "
    "eases with rest"),
    "neck_pain_or_trauma_with_neuro_symptoms": N_("neck pain or a neck injury together with "
    "dizziness, double vision, trouble speaking or swallowing, drop attacks, numbness or "
    "unsteadiness"),
    "sudden_stroke_signs": N_("sudden face drooping, arm weakness or speech difficulty"),
    "ankle_injury_cannot_bear_weight": N_("an ankle injury after which four steps could not "
                                          "be taken"),
    "ankle_or_midfoot_bone_tenderness": N_("bone tenderness at the ankle or midfoot after an "
                                           "injury"),
    "hot_swollen_joint_with_fever": N_("a hot, swollen, painful joint with fever"),
    "suspected_fracture_or_dislocation": N_("an injury that may involve a broken bone or a "
    "dislocated joint"),
    "neurovascular_compromise_after_injury": N_("numbness, colour change or coldness of a "
    "limb after an injury"),
    "unilateral_calf_pain_swelling": N_("pain and swelling in one calf"),
}

TESTS = {
    "deep_squat": N_("deep squat"),
    "hurdle_step": N_("hurdle step"),
    "in_line_lunge": N_("in-line lunge"),
    "shoulder_mobility": N_("shoulder mobility"),
    "active_straight_leg_raise": N_("active straight-leg raise"),
    "trunk_stability_push_up": N_("trunk stability push-up"),
    "rotary_stability": N_("rotary stability"),
    "shoulder_clearing": N_("shoulder clearing test"),
    "spinal_extension_clearing": N_("spinal extension clearing test"),
    "spinal_flexion_clearing": N_("spinal flexion clearing test"),
    "overhead_squat": N_("overhead squat"),
}

ONSETS = {"trauma": N_("after an injury"), "no_trauma": N_("without an injury"), "unknown": ""}
DISCHARGE = {
    "symptom_free": N_("symptom-free"),
    "ongoing_symptoms": N_("with ongoing symptoms"),
    "new_symptoms": N_("with new symptoms"),
}
INTENSITY = {
    "light": N_("light"),
    "light_to_moderate": N_("light-to-moderate"),
    "moderate": N_("moderate"),
    "vigorous": N_("vigorous"),
}
TARGET_LETTER = {
    "emergency_services": "emergency care",
    "physician": "a physician",
    "physical_therapist": "a physical therapist",
}
TARGET_CLIENT = {
    "emergency_services": N_("emergency services"),
    "physician": N_("your doctor"),
    "physical_therapist": N_("a physical therapist"),
}
PHASES = {
    "inhibit": N_("release (self-myofascial rolling)"),
    "lengthen": N_("stretch"),
    "activate": N_("activate"),
    "integrate": N_("integrate (whole movements)"),
}


def questionnaire_wording() -> tuple[str, ...]:
    """Every label that quotes a questionnaire item: the scope guard lets these through
    (the client answered a question that names a condition; we report the answer)."""
    labels = list(PARQ_GENERAL.values()) + list(PARQ_DELAY.values())
    for title, subs in PARQ_SECTIONS.values():
        labels.append(title)
        labels.extend(subs.values())
    labels += list(ACSM_DISEASES.values()) + list(ACSM_SIGNS.values())
    labels += list(RED_FLAGS.values())
    labels += list(PARQ_GENERAL_CLIENT.values()) + list(PARQ_SECTIONS_CLIENT.values())
    return tuple(labels)


def words(key: str) -> str:
    """``shoulder_mobility`` -> ``shoulder mobility`` for keys without a label."""
    return TESTS.get(key, key.replace("_", " "))
