"""What the intake page asks, in plain words (paraphrased from the PAR-Q+ 2024 and ACSM
screening; shared/domain/clinical-rules.md PARQ-4, ACSM-2, RF-2, RF-3).

Every question is in the service's client catalog (``translations/messages.pot``,
``lazy_gettext``): shown in the language of the page. The Spanish wording
(``translations/es``) is our own careful translation, not the official Spanish PAR-Q+
(docs/languages.md says what a clinic should use)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "marked, translated where shown"
    """Marks a key for the catalog without translating it here (the red-flag groups are
    dict keys; the page translates them)."""
    return text


PARQ_VERSION = "2024"
CONSENT_VERSION = "consent-2026-01"
CONSENT_TEXT = _l(
    "I agree to a movement assessment by an InScope trainer. I understand that trainers "
    "screen and refer but do not diagnose or treat. I may withdraw at any time. The "
    "choices below say whether InScope may share my screening with my physician and "
    "email me about my results."
)

GENERAL = {
    "g1": _l("Has your doctor ever said that you have a heart condition or high blood pressure?"),
    "g2": _l(
        "Do you feel pain in your chest at rest, during daily activities, or when you do "
        "physical activity?"
    ),
    "g3": _l(
        "Do you lose balance because of dizziness, or have you lost consciousness in the "
        "last 12 months?"
    ),
    "g4": _l(
        "Have you ever been diagnosed with another chronic medical condition (other than "
        "heart disease or high blood pressure)?"
    ),
    "g5": _l("Are you currently taking prescribed medications for a chronic medical condition?"),
    "g6": _l(
        "Do you have (or have you had in the past 12 months) a bone, joint or soft tissue "
        "problem that could be made worse by becoming more physically active?"
    ),
    "g7": _l(
        "Has your doctor ever said that you should only do medically supervised physical activity?"
    ),
}

CTRL = _l(
    "Do you have difficulty controlling your condition with medication or other "
    "physician-prescribed therapy? (No if not on medication or treatment.)"
)
FOLLOWUPS: dict[str, tuple[Any, dict[str, Any]]] = {
    "s1_arthritis": (
        _l("Do you have arthritis, osteoporosis or back problems?"),
        {
            "a": CTRL,
            "b": _l(
                "Joint problems causing pain, a recent fracture or a fracture caused by "
                "osteoporosis or cancer, a displaced vertebra or a pars defect?"
            ),
            "c": _l("Steroid injections or regular steroid tablets for more than 3 months?"),
        },
    ),
    "s2_cancer": (
        _l("Do you currently have cancer of any kind?"),
        {
            "a": _l(
                "Does the diagnosis include lung/bronchogenic, multiple myeloma, or head "
                "and neck cancer?"
            ),
            "b": _l("Are you currently receiving cancer therapy (chemotherapy or radiotherapy)?"),
        },
    ),
    "s3_heart": (
        _l("Do you have a heart or cardiovascular condition?"),
        {
            "a": CTRL,
            "b": _l("An irregular heartbeat that needs medical management?"),
            "c": _l("Chronic heart failure?"),
            "d": _l(
                "Diagnosed coronary artery disease and no regular physical activity in "
                "the last 2 months?"
            ),
        },
    ),
    "s4_blood_pressure": (
        _l("Do you currently have high blood pressure?"),
        {
            "a": CTRL,
            "b": _l(
                "A resting blood pressure of 160/90 mmHg or more, with or without "
                "medication? (Yes if you do not know it.)"
            ),
            "resting_bp_known": _l("Do you know your resting blood pressure?"),
        },
    ),
    "s5_metabolic": (
        _l("Do you have a metabolic condition (type 1 or type 2 diabetes, pre-diabetes)?"),
        {
            "a": _l(
                "Is your blood sugar often difficult to control with food, medication or "
                "other therapy?"
            ),
            "b": _l("Frequent signs of low blood sugar after exercise or during daily activities?"),
            "c": _l(
                "Signs of diabetes complications (heart, eyes, kidneys, feeling in toes and feet)?"
            ),
            "d": _l(
                "Other metabolic conditions (pregnancy-related diabetes, chronic kidney "
                "disease, liver problems)?"
            ),
            "e": _l("Planning unusually high (vigorous) intensity exercise soon?"),
        },
    ),
    "s6_mental_health": (
        _l("Do you have mental health problems or learning difficulties?"),
        {"a": CTRL, "b": _l("Down syndrome and back problems affecting nerves or muscles?")},
    ),
    "s7_respiratory": (
        _l("Do you have a respiratory disease (COPD, asthma, pulmonary high blood pressure)?"),
        {
            "a": CTRL,
            "b": _l(
                "Has a doctor said your blood oxygen is low at rest or in exercise, or "
                "that you need supplemental oxygen?"
            ),
            "c": _l(
                "If asthmatic: chest tightness, wheezing, laboured breathing, a constant "
                "cough, or rescue medication more than twice last week?"
            ),
            "d": _l("Has a doctor said you have high blood pressure in the lung vessels?"),
        },
    ),
    "s8_spinal_cord_injury": (
        _l("Do you have a spinal cord injury (tetraplegia, paraplegia)?"),
        {
            "a": CTRL,
            "b": _l("Low resting blood pressure causing dizziness, light-headedness or fainting?"),
            "c": _l(
                "Has a physician said you have sudden bouts of high blood pressure "
                "(autonomic dysreflexia)?"
            ),
        },
    ),
    "s9_stroke": (
        _l("Have you had a stroke (including a TIA)?"),
        {
            "a": CTRL,
            "b": _l("Any impairment in walking or mobility?"),
            "c": _l("A stroke or impairment in nerves or muscles in the past 6 months?"),
        },
    ),
    "s10_other": (
        _l("Do you have any other medical condition, or two or more conditions?"),
        {
            "a": _l(
                "Fainting or loss of consciousness from a head injury, or a diagnosed "
                "concussion, in the last 12 months?"
            ),
            "b": _l(
                "A medical condition not listed (e.g. epilepsy, neurological conditions, "
                "kidney problems)?"
            ),
            "c": _l("Currently living with two or more medical conditions?"),
        },
    ),
}

DELAY = {
    "temporary_illness": _l("A temporary illness such as a cold or fever right now"),
    "pregnant": _l("Pregnant now"),
    "health_change": _l("Health changed since the last PAR-Q+"),
}

ACSM_DISEASES = {
    "known_cv_disease": _l("Known cardiovascular disease"),
    "known_metabolic_disease": _l("Known metabolic disease (type 1 or type 2 diabetes)"),
    "known_renal_disease": _l("Known kidney (renal) disease"),
}
ACSM_SIGNS = {
    "ischaemic_discomfort": _l("Pain or discomfort in the chest, neck, jaw or arms"),
    "dyspnoea_rest_or_mild_exertion": _l("Shortness of breath at rest or with mild exertion"),
    "dizziness_or_syncope": _l("Dizziness or fainting"),
    "orthopnoea_or_pnd": _l("Breathlessness lying down or waking up breathless at night"),
    "ankle_oedema": _l("Ankle swelling"),
    "palpitations_or_tachycardia": _l("Palpitations or a racing heart"),
    "intermittent_claudication": _l("Cramping leg pain when walking that eases with rest"),
    "known_heart_murmur": _l("A known heart murmur"),
    "unusual_fatigue_or_dyspnoea": _l("Unusual tiredness or breathlessness in usual activities"),
}

RED_FLAGS: dict[str, dict[str, Any]] = {
    N_("Chest, heart and stroke signs"): {
        "chest_pain_now": _l("Chest pain right now"),
        "chest_pain_last_12h": _l("Chest pain in the last 12 hours"),
        "chest_pain_12_to_72h": _l("Chest pain 12 to 72 hours ago"),
        "exertional_chest_discomfort_relieved_by_rest": _l(
            "Chest discomfort on exertion that eases with rest"
        ),
        "sudden_stroke_signs": _l("Sudden face droop, arm weakness or speech difficulty"),
        "neck_pain_or_trauma_with_neuro_symptoms": _l(
            "Neck pain or neck injury with dizziness, double vision, numbness or trouble speaking"
        ),
        "unilateral_calf_pain_swelling": _l("Pain and swelling in one calf"),
    },
    N_("Back and nerves"): {
        "bladder_dysfunction": _l("New trouble passing or holding urine"),
        "bowel_dysfunction": _l("New loss of bowel control"),
        "sexual_dysfunction": _l("New sexual dysfunction"),
        "saddle_numbness": _l("Numbness around the groin or buttocks"),
        "bilateral_leg_neuro_symptoms": _l("Pins and needles or numbness in both legs"),
        "bilateral_leg_weakness_progressive": _l("Weakness in both legs that is getting worse"),
        "gait_disturbance": _l("A change in the way you walk"),
        "multilevel_limb_weakness": _l("Weakness in several parts of the arms or legs"),
        "acute_foot_drop": _l("Sudden foot drop"),
        "progressive_motor_deficit": _l("Weakness that is getting worse"),
        "major_motor_loss": _l("Major loss of strength"),
        "first_episode_axial_back_pain": _l("First ever episode of back pain"),
        "inflammatory_back_pain_features": _l(
            "Back pain and stiffness worse in the morning that eases with movement"
        ),
        "radicular_pain_over_6_weeks": _l("Pain running down an arm or leg for over 6 weeks"),
    },
    N_("Illness, infection and cancer"): {
        "fever_or_unwell_with_spinal_pain": _l("Fever or feeling unwell with back or neck pain"),
        "infection_risk_factor": _l("A recent infection, IV drug use or a weakened immune system"),
        "cancer_history": _l("A history of cancer"),
        "new_onset_spinal_pain": _l("New back or neck pain"),
        "severe_progressive_spinal_pain": _l("Severe back or neck pain that is getting worse"),
        "unexplained_weight_loss": _l("Weight loss without trying"),
        "non_mechanical_or_thoracic_spinal_pain_unwell": _l(
            "Constant mid-back pain while feeling unwell"
        ),
        "unremitting_night_pain": _l("Pain at night that does not ease"),
        "immunosuppression_with_new_spinal_pain": _l(
            "New back pain while on immune-lowering treatment"
        ),
        "prolonged_corticosteroids_with_new_back_pain": _l(
            "New back pain after long-term steroid use"
        ),
    },
    N_("Injuries and fractures"): {
        "osteoporosis_with_new_severe_spinal_pain": _l("Osteoporosis with new severe back pain"),
        "sudden_central_pain_after_minor_trauma": _l(
            "Sudden central back pain after a minor fall or knock"
        ),
        "major_trauma_with_spinal_pain": _l("Back or neck pain after a major accident or fall"),
        "ankle_injury_cannot_bear_weight": _l("An ankle injury and cannot bear weight"),
        "ankle_or_midfoot_bone_tenderness": _l(
            "Bone tenderness at the ankle or midfoot after an injury"
        ),
        "hot_swollen_joint_with_fever": _l("A hot, swollen joint with a fever"),
        "suspected_fracture_or_dislocation": _l("A possible broken bone or dislocation"),
        "neurovascular_compromise_after_injury": _l(
            "Numbness, coldness or colour change below an injury"
        ),
    },
}

PAIN_SIDES = {
    "left": _l("Left"),
    "right": _l("Right"),
    "bilateral": _l("Both sides"),
    "midline": _l("Middle"),
    "none": _l("Not sided"),
}
ONSETS = {
    "unknown": _l("Not known"),
    "trauma": _l("After an injury"),
    "no_trauma": _l("Came on by itself"),
}
DISCHARGE_STATUSES = {
    "symptom_free": _l("Symptom free"),
    "ongoing_symptoms": _l("Ongoing symptoms"),
    "new_symptoms": _l("New symptoms"),
}
INTENSITIES = {"light": _l("Light"), "moderate": _l("Moderate"), "vigorous": _l("Vigorous")}
# Who wrote the notes and descriptions (DEC-2): a relative or carer writing for the client
# calls them "Mum", "my husband", and the safety net then reads those words as the client.
NOTES_WRITERS = {
    "client": _l("The client"),
    "relative_or_carer": _l("A relative or carer, for the client"),
    "staff": _l("Front desk staff"),
}
NOTES_WRITERS_CLIENT = {  # the same question on the client's own pre-visit form
    "client": _l("I am the client"),
    "relative_or_carer": _l("I am a relative or carer, writing for the client"),
}

# DEC-5 / DEC-9 / DEC-10: clinicians' guidelines, written clearances, recorded values.
GUIDELINE_PROFESSIONS = {
    "physician": _l("Physician"),
    "physical_therapist": _l("Physical therapist"),
    "chiropractor": _l("Chiropractor"),
    "sports_medicine_physician": _l("Sports-medicine doctor"),
    "other_clinician": _l("Other clinician"),
}
CLEARANCE_PROFESSIONS = {
    "physician": _l("Physician"),
    "obstetric_clinician": _l("Obstetric clinician (pregnancy)"),
    "physical_therapist": _l("Physical therapist"),
    "chiropractor": _l("Chiropractor"),
    "other": _l("Other"),
}
CLEARANCE_CONDITIONS = {
    "pregnancy": _l("Pregnancy"),
    "known_cv_disease": _l("Heart, blood-vessel or stroke disease"),
    "known_metabolic_disease": _l("Diabetes"),
    "known_renal_disease": _l("Kidney disease"),
    "s1_arthritis": _l("Arthritis, osteoporosis or back problems"),
    "s2_cancer": _l("Cancer"),
    "s3_heart": _l("Heart condition"),
    "s4_blood_pressure": _l("High blood pressure"),
    "s5_metabolic": _l("Metabolic condition"),
    "s6_mental_health": _l("Mental health or learning difficulty"),
    "s7_respiratory": _l("Respiratory disease"),
    "s8_spinal_cord_injury": _l("Spinal cord injury"),
    "s9_stroke": _l("Stroke"),
    "s10_other": _l("Other medical condition"),
}
MOVEMENTS = {
    "squatting": _l("Squatting"),
    "lunging_or_stepping": _l("Lunging or stepping"),
    "single_leg_loading": _l("Single-leg loading"),
    "overhead_arm_work": _l("Overhead arm work"),
    "pushing": _l("Pushing"),
    "pulling": _l("Pulling"),
    "spinal_flexion": _l("Bending forward"),
    "spinal_extension": _l("Bending backward"),
    "trunk_rotation": _l("Twisting"),
    "straight_leg_raising": _l("Straight-leg raising"),
    "impact_or_jumping": _l("Impact or jumping"),
    "running": _l("Running"),
    "heavy_lifting": _l("Heavy lifting"),
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
IMPLIED: tuple[tuple[str, str, str, str, Any], ...] = (
    (
        "intake.acsm.signs_symptoms.ischaemic_discomfort",
        "intake.parq.general.g2",
        "yes",
        "yes",
        _l("Yes: already answered in G2 (pain in the chest)."),
    ),
    (
        "intake.acsm.known_cv_disease",
        "intake.parq.followups.s3_heart.gate",
        "yes",
        "yes",
        _l("Yes: already answered in the PAR-Q+ (a heart or cardiovascular condition)."),
    ),
    (
        "intake.acsm.known_cv_disease",
        "intake.parq.followups.s9_stroke.gate",
        "yes",
        "yes",
        _l("Yes: already answered in the PAR-Q+ (a stroke)."),
    ),
    (
        "intake.parq.followups.s5_metabolic.e",
        "intake.acsm.desired_intensity",
        "vigorous",
        "yes",
        _l("Yes: the intended exercise intensity below is Vigorous."),
    ),
    (
        "intake.parq.followups.s5_metabolic.e",
        "intake.acsm.desired_intensity",
        "moderate",
        "no",
        _l("No: the intended exercise intensity below is Moderate."),
    ),
    (
        "intake.parq.followups.s5_metabolic.e",
        "intake.acsm.desired_intensity",
        "light",
        "no",
        _l("No: the intended exercise intensity below is Light."),
    ),
)
