"""Design choices ([D]) and not-fully-confirmed rules ([P]/[U]) in one place.

Every value here is a choice the rules file leaves open or marks as derived or
unconfirmed. The defaults follow the rules file as written; change them by passing
``EngineConfig(...)`` (``dataclasses.replace(DEFAULT_CONFIG, ...)``) to
``decide``, ``screen`` or ``build_program``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineConfig:
    # PARQ-6 [D]: a follow-up YES goes to a physician, routine, as a clearance.
    parq6_outcome: str = "clearance"
    parq6_urgency: str = "routine"
    # PARQ-7 [C]: a completed PAR-Q+ is valid for at most 12 months.
    parq_validity_days: int = 365
    # PARQ-2/PARQ-5 [C]: over this age and not used to vigorous exercise -> QEP advice.
    qep_advice_age_over: int = 45
    # PARQ-7 [C] minors need a guardian signature; the legal age itself is [U].
    legal_age_of_consent: int = 18
    # ACSM-3 clearance for known disease, asymptomatic: the timing grade is [D].
    acsm_disease_urgency: str = "routine"
    # RF-3 [D]: ACSM signs/symptoms -> urgent clearance. RF-3 grades the five
    # "not acute" signs; the other four (ischaemic discomfort, dyspnoea at rest,
    # dizziness/syncope, orthopnoea) are graded at least as high by this choice.
    acsm_sign_urgency: str = "urgent"
    # ACSM-3 [U]: one reproduction adds "medical clearance within the last 12
    # months" to the active + known disease branch. Off by default (not verified).
    acsm_require_recent_clearance: bool = False
    # RF-2 [C, cut-offs vary by guideline]: first-ever axial back pain outside
    # this age band is urgent.
    first_episode_min_age: int = 15
    first_episode_max_age: int = 60
    # RF-2: stable major motor loss is urgent (NHS 2023); NHS Lothian says
    # emergency if deteriorating (deterioration is its own question).
    major_motor_loss_urgency: str = "urgent"
    # RF-3 [U]: unilateral calf pain with swelling (possible DVT).
    calf_dvt_urgency: str = "emergency"
    # PAIN-6 [D]: rest pain at or above this NPRS is handled as a red flag.
    pain_rest_red_flag_nprs: int = 7
    # RF-4 [D]: where law/insurance requires it, PT referrals go via the physician.
    pt_referral_via_physician: bool = False
    # SCOPE-4 [C]: in scope when discharged, symptom-free AND cleared for activity;
    # with this off, "cleared for activity" is not required.
    pt_discharge_needs_clearance: bool = True
    # SYS-7 / DEC-2 [D]: scan free text for red flags, ACSM signs and PAR-Q+ items
    # (never lowers a decision). A mention grades as the structured answer would:
    # chest pain "now" / "earlier today" is an emergency, untimed chest pain an
    # ACSM sign (acsm_sign_urgency).
    scan_free_text: bool = True
    # POST-5 [P/U]: no validated CVA cut-off; "< ~48-50 degrees" is common.
    forward_head_cva_deg: float = 50.0
    # OHSA-3 [P]: re-assess roughly every 4-6 weeks.
    reassess_weeks: int = 4
    # FMS-4 [P]: corrective priority (only "ASLR first" is confirmed).
    fms_priority: tuple[str, ...] = (
        "active_straight_leg_raise",
        "shoulder_mobility",
        "rotary_stability",
        "trunk_stability_push_up",
        "in_line_lunge",
        "hurdle_step",
        "deep_squat",
    )
    # DEC-10 [D]: a recorded value (blood pressure, heart rate) decides its item only
    # when measured within this many days of the decision; older values are shown.
    vitals_max_age_days: int = 90
    # PARQ-4 4b [C]: resting blood pressure at or above 160/90 mmHg.
    parq4b_systolic_mmhg: int = 160
    parq4b_diastolic_mmhg: int = 90
    # ACSM-2 sign 6 [D cut-off]: resting heart rate above this is tachycardia.
    tachycardia_bpm: int = 100
    # RF-2 "recent unexplained weight loss" [U cut-offs]: an unintended loss of at
    # least this share of body weight (or these kilograms when the weight is not
    # recorded) within this many weeks.
    weight_loss_percent: float = 5.0
    weight_loss_kg_weight_unknown: float = 5.0
    weight_loss_window_weeks: float = 26.0
    # DEC-9 [D, PARQ-7 style]: a written clearance on file counts when dated within
    # this many days.
    written_clearance_validity_days: int = 365
    # CEC-1 [D]: how many exercises per phase the program lists at most.
    max_exercises_per_phase: int = 6

    def __post_init__(self) -> None:
        if not 4 <= self.reassess_weeks <= 6:
            raise ValueError("reassess_weeks must be 4-6 (OHSA-3)")
        # DEC-1: a reason naming a physician must open a referral, with an urgency.
        if self.parq6_outcome not in ("clearance", "refer"):
            raise ValueError("parq6_outcome must be clearance or refer (DEC-1)")
        for name in ("parq6_urgency", "acsm_disease_urgency", "acsm_sign_urgency",
                     "major_motor_loss_urgency", "calf_dvt_urgency"):
            if getattr(self, name) not in ("routine", "urgent", "emergency"):
                raise ValueError(f"{name} must be routine, urgent or emergency (DEC-1)")


DEFAULT_CONFIG = EngineConfig()
