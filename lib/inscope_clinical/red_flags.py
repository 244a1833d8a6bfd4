"""RF-2 spinal and RF-3 non-spinal red flags from the structured intake questions."""

from __future__ import annotations

from typing import Any, NamedTuple

from .config import DEFAULT_CONFIG, EngineConfig
from .reasons import Collector

EMERGENCY = {"outcome": "refer", "urgency": "emergency", "target": "emergency_services",
             "program_state": "none_emergency"}
URGENT = {"outcome": "refer", "urgency": "urgent", "target": "physician",
          "program_state": "hold_pending_clearance"}
ROUTINE = {"outcome": "refer", "urgency": "routine", "target": "physician",
           "program_state": "hold_pending_clearance"}
EFFECTS = {"emergency": EMERGENCY, "urgent": URGENT, "routine": ROUTINE}


class Row(NamedTuple):
    rule: str
    source: str
    tag: str
    any_of: tuple[str, ...]
    grade: str
    summary: str
    note: str | None = None


NEURO_SIGNS = ("gait_disturbance", "multilevel_limb_weakness", "acute_foot_drop",
               "progressive_motor_deficit", "bilateral_leg_weakness_progressive",
               "bladder_dysfunction", "bowel_dysfunction", "severe_progressive_spinal_pain")

ROWS = (
    Row("RF-2", "NHS-RF", "C", ("bladder_dysfunction", "bowel_dysfunction", "sexual_dysfunction",
                                "saddle_numbness", "bilateral_leg_neuro_symptoms",
                                "bilateral_leg_weakness_progressive"),
        "emergency", "Possible cauda equina syndrome features: emergency care now."),
    Row("RF-2", "NHS-RF", "C", ("gait_disturbance", "multilevel_limb_weakness", "acute_foot_drop",
                                "progressive_motor_deficit"),
        "emergency", "Deteriorating neurology (possible cord compression): emergency care now."),
    Row("RF-2", "NHS-RF", "C", ("fever_or_unwell_with_spinal_pain",),
        "emergency", "Fever or systemically unwell with spinal pain (possible spinal "
        "infection): same-day emergency assessment."),
    Row("RF-2", "NHS-RF", "P", ("major_trauma_with_spinal_pain",),
        "emergency", "Major trauma with spinal pain (possible fracture): emergency care.",
        "The emergency grade is a design choice."),
    Row("RF-2", "NHS-RF", "C", ("unexplained_weight_loss",),
        "urgent", "Recent unexplained weight loss: physician within about 2 weeks."),
    Row("RF-2", "NHS-RF", "C", ("non_mechanical_or_thoracic_spinal_pain_unwell",
                                "unremitting_night_pain"),
        "urgent", "Thoracic/non-mechanical spinal pain when unwell, or unremitting night "
        "pain: physician within about 2 weeks."),
    Row("RF-2", "NHS-RF", "C", ("immunosuppression_with_new_spinal_pain",),
        "urgent", "Possible immunosuppression with new spinal pain, no fever: urgent physician."),
    Row("RF-2", "NHS-RF", "C", ("prolonged_corticosteroids_with_new_back_pain",),
        "urgent", "Prolonged corticosteroid use with new back pain: urgent physician."),
    Row("RF-2", "NHS-RF", "C", ("osteoporosis_with_new_severe_spinal_pain",
                                "sudden_central_pain_after_minor_trauma"),
        "urgent", "Possible osteoporotic vertebral fracture: urgent physician assessment."),
    Row("RF-2", "NHS-RF", "C", ("inflammatory_back_pain_features",),
        "urgent", "Suspected inflammatory back pain: urgent physician (rheumatology)."),
    Row("RF-2", "NHS-RF", "P", ("radicular_pain_over_6_weeks",),
        "routine", "Nerve-root pain not settling after about 6 weeks: routine physician referral."),
    Row("RF-3", "CG95", "C", ("chest_pain_now", "chest_pain_last_12h"),
        "emergency", "Suspected cardiac chest pain now or within 12 hours (no ECG in a gym): "
        "call emergency services."),
    Row("RF-3", "CG95", "C", ("chest_pain_12_to_72h",),
        "urgent", "Suspected cardiac chest pain 12-72 hours ago: urgent same-day assessment."),
    Row("RF-3", "CG95", "P", ("exertional_chest_discomfort_relieved_by_rest",),
        "urgent", "Exertional chest discomfort relieved by rest: urgent physician assessment."),
    Row("RF-3", "IFOMPT-C", "P", ("neck_pain_or_trauma_with_neuro_symptoms", "sudden_stroke_signs"),
        "emergency", "Neck pain/trauma with neurological symptoms or stroke signs: "
        "emergency care now."),
    Row("RF-3", "OTTAWA", "C", ("ankle_injury_cannot_bear_weight",
                                "ankle_or_midfoot_bone_tenderness"),
        "urgent", "Ottawa ankle rules positive: same-day X-ray via physician/urgent care."),
    Row("RF-3", "NICE-CKS", "P", ("hot_swollen_joint_with_fever",
                                  "suspected_fracture_or_dislocation",
                                  "neurovascular_compromise_after_injury"),
        "emergency", "Possible septic joint, fracture/dislocation or neurovascular "
        "compromise: emergency care now."),
)


def emergency_flags(cfg: EngineConfig | None = None) -> tuple[str, ...]:
    """The questions that grade an emergency on their own: the intake page alerts on them
    the moment they are ticked (the engine stays the judge)."""
    cfg = cfg or DEFAULT_CONFIG
    found = [q for row in ROWS if row.grade == "emergency" for q in row.any_of]
    if cfg.major_motor_loss_urgency == "emergency":
        found.append("major_motor_loss")
    if cfg.calf_dvt_urgency == "emergency":
        found.append("unilateral_calf_pain_swelling")
    return tuple(found)


Found = tuple[str, str, str, str, dict[str, Any], str]  # grade, rule, source, tag, facts, summary


def evaluate(flags: dict[str, Any], age_years: int | None, cfg: EngineConfig,
             out: Collector, *, grades: tuple[str, ...]) -> None:
    """Fire every red flag whose grade is in ``grades`` (SYS-1 runs emergencies first)."""
    # the questions answered YES: most intakes have none, and then no row can fire
    ticked = any(flags.values()) if type(flags) is dict else True
    for row in ROWS if ticked else ():
        if row.grade not in grades:  # SYS-1 calls this once per grade band
            continue
        hit = {f"red_flags.{q}": True for q in row.any_of if flags.get(q)}
        if hit:
            out.add(row.rule, hit, row.summary, tag=row.tag, source=row.source,
                    note=row.note, **EFFECTS[row.grade])
    for grade, rule, source, tag, facts, summary in _combined(flags, age_years, cfg, out):
        if grade in grades:
            out.add(rule, facts, summary, tag=tag, source=source, **EFFECTS[grade])


def _combined(flags: dict[str, Any], age_years: int | None, cfg: EngineConfig,
              out: Collector) -> list[Found]:
    found = _cancer(flags) + _first_episode(flags, age_years, cfg, out)
    if flags.get("major_motor_loss"):
        found.append((cfg.major_motor_loss_urgency, "RF-2", "NHS-RF", "C",
                      {"red_flags.major_motor_loss": True},
                      "Major motor loss (power < 3/5): NHS 2023 grades stable loss urgent "
                      "(NHS Lothian: emergency if deteriorating)."))
    if flags.get("unilateral_calf_pain_swelling"):
        found.append((cfg.calf_dvt_urgency, "RF-3", "SYS", "U",
                      {"red_flags.unilateral_calf_pain_swelling": True},
                      "Unilateral calf pain with swelling (possible DVT): same-day medical "
                      "assessment."))
    return found


def _cancer(flags: dict[str, Any]) -> list[Found]:
    if not flags.get("cancer_history"):
        return []
    neuro = {f"red_flags.{q}": True for q in NEURO_SIGNS if flags.get(q)}
    if neuro:
        return [("emergency", "RF-2", "NHS-RF", "C", {"red_flags.cancer_history": True, **neuro},
                 "History of cancer with new neurological signs or severe progressive spinal "
                 "pain (possible metastatic cord compression): emergency care now.")]
    if flags.get("new_onset_spinal_pain"):
        return [("urgent", "RF-2", "NHS-RF", "C",
                 {"red_flags.cancer_history": True, "red_flags.new_onset_spinal_pain": True},
                 "Past history of cancer with new-onset spinal pain: urgent physician.")]
    return []


def _first_episode(flags: dict[str, Any], age_years: int | None, cfg: EngineConfig,
                   out: Collector) -> list[Found]:
    if not flags.get("first_episode_axial_back_pain"):
        return []
    if age_years is None:
        out.flag("missing:age_years")
        return []
    if cfg.first_episode_min_age <= age_years <= cfg.first_episode_max_age:
        return []
    facts = {"red_flags.first_episode_axial_back_pain": True, "age_years": age_years,
             "age_band": [cfg.first_episode_min_age, cfg.first_episode_max_age]}
    return [("urgent", "RF-2", "NHS-RF", "C", facts,
             "First-ever axial back pain outside the age band where it is usually benign: "
             "urgent physician.")]
