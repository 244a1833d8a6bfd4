"""DEC-9: a written clearance already on file.

A clearance satisfies the clearance that ACSM-3, PARQ-3 (pregnancy) or PARQ-6 would
ask for a condition when it is from a physician (for pregnancy, also the obstetric
clinician), the document itself was seen, it is dated within
``written_clearance_validity_days`` (12 months) and it names that condition; a new
symptom or a change in health voids it (PARQ-3 "health changes"). Any other clearance
is recorded and shown to the trainer and satisfies nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .config import EngineConfig
from .regions import non_msk_region
from .restrictions import merge
from .vocab import ACSM_SIGNS, PARQ_SECTIONS

CLEARANCE_CONDITIONS = ("pregnancy", "known_cv_disease", "known_metabolic_disease",
                        "known_renal_disease", *PARQ_SECTIONS)
CLEARANCE_PROFESSIONS = ("physician", "obstetric_clinician", "physical_therapist",
                         "chiropractor", "other")


def _voided_by(intake: dict[str, Any]) -> list[str]:
    """What voids every clearance on file: a change in health or a new symptom."""
    found = []
    if ((intake.get("parq") or {}).get("delay") or {}).get("health_change"):
        found.append("parq.delay.health_change")
    signs = (intake.get("acsm") or {}).get("signs_symptoms") or {}
    found += [f"acsm.signs_symptoms.{s}" for s in ACSM_SIGNS if signs.get(s)]
    found += [f"red_flags.{k}" for k, v in (intake.get("red_flags") or {}).items() if v]
    for i, entry in enumerate(intake.get("pain") or []):
        if non_msk_region(entry.get("region"), exertional=entry.get("nprs_activity", 0) > 0):
            found.append(f"pain[{i}].region")
    return found


class ClearanceBook:
    """The written clearances on file, judged once per decision."""

    def __init__(self, intake: dict[str, Any], as_of: dt.date, cfg: EngineConfig) -> None:
        entries = ((intake.get("history") or {}).get("written_clearances")) or []
        voided = _voided_by(intake) if entries else []
        self.entries: list[dict[str, Any]] = []
        for i, entry in enumerate(entries):
            self.entries.append({"field": f"history.written_clearances[{i}]", **entry,
                                 "problems": self._problems(entry, as_of, cfg, voided),
                                 "used_for": []})

    @staticmethod
    def _problems(entry: dict[str, Any], as_of: dt.date, cfg: EngineConfig,
                  voided: list[str]) -> list[str]:
        problems = []
        if not entry.get("document_seen"):
            problems.append("reported by the client; the document was not seen")
        if not entry.get("conditions"):
            problems.append("names no condition")
        days = (as_of - dt.date.fromisoformat(str(entry["date"]))).days
        if days < 0 or days > cfg.written_clearance_validity_days:
            problems.append(f"dated {entry['date']}, not within "
                            f"{cfg.written_clearance_validity_days} days")
        if voided:
            problems.append("voided by a new symptom or health change: " + ", ".join(voided))
        return problems

    def _valid_for(self, condition: str) -> list[dict[str, Any]]:
        professions = ("physician", "obstetric_clinician") if condition == "pregnancy" \
            else ("physician",)
        return [e for e in self.entries if not e["problems"]
                and e.get("profession") in professions
                and condition in (e.get("conditions") or [])]

    def covers(self, conditions: list[str]) -> list[dict[str, Any]] | None:
        """The valid clearances covering every condition, or None (and nothing is
        marked used) when one of them is not covered."""
        chosen: list[tuple[str, dict[str, Any]]] = []
        for condition in conditions:
            valid = self._valid_for(condition)
            if not valid:
                return None
            chosen.append((condition, valid[0]))
        for condition, entry in chosen:
            if condition not in entry["used_for"]:
                entry["used_for"].append(condition)
        return [entry for _, entry in chosen]

    def facts(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"field": e["field"], "clinician": e.get("clinician_name"),
                 "profession": e.get("profession"), "date": e.get("date"),
                 "conditions": e.get("conditions")} for e in entries]

    def restrictions(self) -> dict[str, Any] | None:
        used = [e.get("restrictions") or {} for e in self.entries if e["used_for"]]
        return merge(used) if used else None

    def summary(self) -> list[dict[str, Any]]:
        """Every clearance on file, what it satisfied, or why it satisfies nothing."""
        return [{"field": e["field"], "clinician": e.get("clinician_name"),
                 "profession": e.get("profession"), "date": e.get("date"),
                 "conditions": e.get("conditions") or [],
                 "restrictions": e.get("restrictions"),
                 "satisfies": list(e["used_for"]),
                 "not_valid_because": e["problems"] + (
                     [] if e["problems"] or e["used_for"] or e.get("profession") == "physician"
                     else ["not from a physician"])}
                for e in self.entries]
