"""ACSM-3 preparticipation health screening (Riebe et al. 2015), with SYS-8."""

from __future__ import annotations

from typing import Any

from .clearances import ClearanceBook
from .config import EngineConfig
from .reasons import Collector
from .vocab import ACSM_NON_ACUTE_SIGNS, ACSM_SIGNS

DISEASES = ("known_cv_disease", "known_metabolic_disease", "known_renal_disease")
CLEARANCE = {"outcome": "clearance", "target": "physician",
             "program_state": "hold_pending_clearance"}


def _facts(acsm: dict[str, Any], active: bool) -> dict[str, Any]:
    signs = acsm.get("signs_symptoms") or {}
    facts: dict[str, Any] = {"acsm.regular_exercise_3_months": active}
    facts.update({f"acsm.{d}": True for d in DISEASES if acsm.get(d)})
    facts.update({f"acsm.signs_symptoms.{s}": True for s in ACSM_SIGNS if signs.get(s)})
    facts["acsm.desired_intensity"] = acsm.get("desired_intensity")
    return facts


def evaluate(acsm: dict[str, Any], cfg: EngineConfig, out: Collector,
             book: ClearanceBook | None = None) -> str:
    """Run the ACSM-3 table. Returns the recommended intensity ceiling."""
    active = acsm.get("regular_exercise_3_months")
    if active is None:
        out.flag("missing:acsm.regular_exercise_3_months")
        out.add("SYS-8", {"acsm.regular_exercise_3_months": None},
                "Activity level unknown: treated as not regularly active.")
        active = False
    signs = acsm.get("signs_symptoms") or {}
    symptomatic = any(signs.get(s) for s in ACSM_SIGNS)
    disease = any(acsm.get(d) for d in DISEASES)
    facts = _facts(acsm, bool(active))
    if symptomatic:
        _symptomatic(bool(active), facts, signs, cfg, out)
        return "light_to_moderate"
    if disease:
        cleared = book.covers([d for d in DISEASES if acsm.get(d)]) if book else None
        if cleared and book is not None:
            out.add("ACSM-3", {**facts, "written_clearance": book.facts(cleared)},
                    "Known disease, no signs or symptoms, with a written medical clearance on "
                    "file for it: training follows the clearance's restrictions.",
                    note="DEC-9: a valid written clearance naming the disease satisfies the "
                         "ACSM-3 clearance; after clearance ACSM says progress gradually.")
            out.flag("follow:clearance_restrictions")
            return "vigorous" if active else "light_to_moderate"
        return _known_disease(acsm, bool(active), facts, cfg, out)
    if active:
        out.add("ACSM-3", facts, "Regularly active, no known disease, no signs/symptoms: "
                "medical clearance not necessary; continue moderate or vigorous exercise.")
        return "vigorous"
    out.add("ACSM-3", facts, "Not regularly active, no known disease, no signs/symptoms: "
            "medical clearance not necessary; light-to-moderate, progress gradually.")
    return "light_to_moderate"


def _symptomatic(active: bool, facts: dict[str, Any], signs: dict[str, Any],
                 cfg: EngineConfig, out: Collector) -> None:
    non_acute = [s for s in ACSM_NON_ACUTE_SIGNS if signs.get(s)]
    if active:
        summary = ("Regularly active with signs/symptoms: discontinue exercise and seek "
                   "medical clearance.")
    else:
        summary = "Signs/symptoms of CV, metabolic or renal disease: medical clearance recommended."
    out.add("ACSM-3", facts, summary, urgency=cfg.acsm_sign_urgency, **CLEARANCE)
    out.add("RF-3", {f"acsm.signs_symptoms.{s}": True for s in ACSM_SIGNS if signs.get(s)},
            f"Signs or symptoms of heart, metabolic or kidney disease: {cfg.acsm_sign_urgency} "
            "medical clearance (physician) before exercise.",
            urgency=cfg.acsm_sign_urgency, tag="D", source="ACSM",
            note=(f"RF-3 grades the non-acute signs {non_acute or 'none present'} urgent; "
                  "the grade of the others is a design choice."),
            **CLEARANCE)


def _known_disease(acsm: dict[str, Any], active: bool, facts: dict[str, Any],
                   cfg: EngineConfig, out: Collector) -> str:
    urgency = cfg.acsm_disease_urgency
    if not active:
        out.add("ACSM-3", facts, "Not regularly active with known CV, metabolic or renal "
                "disease: medical clearance recommended before exercise.",
                urgency=urgency, **CLEARANCE)
        return "light_to_moderate"
    if cfg.acsm_require_recent_clearance and not acsm.get("medical_clearance_last_12_months"):
        facts["acsm.medical_clearance_last_12_months"] = acsm.get(
            "medical_clearance_last_12_months"
        )
        out.add("ACSM-3", facts, "Known disease without medical clearance in the last 12 "
                "months: clearance recommended.",
                urgency=urgency, tag="U", note="Unverified variant of the active branch.",
                **CLEARANCE)
        return "moderate"
    if acsm.get("desired_intensity") == "vigorous":
        out.add("ACSM-3", facts, "Regularly active with known disease, asymptomatic, wants "
                "vigorous: clearance not necessary for moderate, recommended before vigorous.",
                outcome="clearance", urgency=urgency, target="physician",
                program_state="build_moderate_only_until_clearance")
        return "moderate"
    out.add("ACSM-3", facts, "Regularly active with known disease, asymptomatic: clearance "
            "not necessary for moderate intensity (recommended before vigorous).")
    return "moderate"
