"""DEC-3 contradictions between structured answers, and DEC-10 recorded values.

Before the rules run, the intake's structured answers are compared with each other
and with the values it records (resting blood pressure, heart rate, weight change).
Where a "NO" is contradicted, the more serious answer (YES) is taken, the record is
flagged ``review:contradiction`` and both sides are listed. Where a recorded value
decides an unanswered item, the value's answer is used (DEC-10).

The answers are only ever raised (NO/blank -> YES) or filled in when blank: a YES is
never lowered, so a contradiction cannot make a decision less conservative. Free text
against structured answers (SYS-7 / DEC-2) is not compared here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .config import EngineConfig
from .reasons import Collector
from .regions import non_msk_region
from .review import is_dismissed_contradiction
from .schemas import plain_copy

CHEST_FLAGS = ("chest_pain_now", "chest_pain_last_12h", "chest_pain_12_to_72h",
               "exertional_chest_discomfort_relieved_by_rest")
# PAR-Q+ sections whose condition is "another chronic medical condition" (G4).
G4_SECTIONS = ("s1_arthritis", "s2_cancer", "s5_metabolic", "s6_mental_health",
               "s7_respiratory", "s8_spinal_cord_injury", "s9_stroke", "s10_other")


class Reconciler:
    """Collects the answers to raise and the contradictions found."""

    def __init__(self, intake: dict[str, Any]) -> None:
        self.intake = intake
        self.changes: list[tuple[tuple[str, ...], bool]] = []
        self.found: list[dict[str, Any]] = []
        self.derived: list[dict[str, Any]] = []

    def get(self, *path: str) -> Any:
        node: Any = self.intake
        for key in path:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    def contradict(self, path: tuple[str, ...], evidence: list[dict[str, Any]],
                   rule: str = "DEC-3") -> None:
        """A NO at ``path`` is contradicted by ``evidence``: take YES.

        A PAR-Q+ general answer (G1-G7) taken as YES is recorded and flagged, and acts
        through the contradicting answer's own rule (a chest red flag grades as RF-3, a
        pain row as RF-4, a blood pressure as 4b): it does not put the client on hold
        for the follow-up questions (PARQ-8), which staff ask for at review
        (``action:complete_parq_followups``)."""
        if not evidence:
            return
        answered = self.get(*path)
        if answered is True:
            return
        general = path[:2] == ("parq", "general")
        entry = {"answer": ".".join(path), "answered": answered, "against": evidence,
                 "taken": True, "rule": rule}
        if general:
            entry["acts_through"] = "the contradicting answers' own rules; follow-ups asked " \
                                    "for at review"
        if answered is False:
            self.found.append(entry)
        elif not general:
            self.derived.append(entry)
        if general:
            return
        if (path, True) not in self.changes:
            self.changes.append((path, True))

    def derive(self, path: tuple[str, ...], value: bool, evidence: list[dict[str, Any]]) -> None:
        """DEC-10: a blank item decided by a recorded value."""
        if self.get(*path) is None:
            self.derived.append({"answer": ".".join(path), "answered": None, "from": evidence,
                                 "taken": value, "rule": "DEC-10"})
            self.changes.append((path, value))

    def apply(self) -> dict[str, Any]:
        """A copy of the intake with the raised answers (the input is left alone)."""
        if not self.changes:
            return self.intake
        out = dict(self.intake)
        for top in {path[0] for path, _ in self.changes}:
            out[top] = plain_copy(self.intake.get(top) or {})  # JSON data: deepcopy's result
        for path, value in self.changes:
            node = out
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value
        return out


def _yes(field: str, value: Any = True) -> dict[str, Any]:
    return {"field": field, "value": value}


def _recent(measured_on: str | None, as_of: dt.date, cfg: EngineConfig) -> bool:
    if not measured_on:
        return False
    days = (as_of - dt.date.fromisoformat(str(measured_on))).days
    return 0 <= days <= cfg.vitals_max_age_days


def _current_msk_pain(intake: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for i, entry in enumerate(intake.get("pain") or []):
        exertional = entry.get("nprs_activity", 0) > 0
        if entry.get("doms") or non_msk_region(entry.get("region"), exertional=exertional):
            continue
        if max(entry.get("nprs_rest", 0), entry.get("nprs_activity", 0)) > 0 or \
                entry.get("night_pain"):
            found.append(_yes(f"pain[{i}].region", entry.get("region")))
    history = intake.get("history") or {}
    for i, injury in enumerate(history.get("injuries") or []):
        if injury.get("current"):
            found.append(_yes(f"history.injuries[{i}].current"))
    for i, surgery in enumerate(history.get("surgeries") or []):
        if surgery.get("ongoing_rehabilitation"):
            found.append(_yes(f"history.surgeries[{i}].ongoing_rehabilitation"))
    for i, therapy in enumerate(history.get("physical_therapy") or []):
        if therapy.get("discharged") is False:
            found.append(_yes(f"history.physical_therapy[{i}].discharged", False))
    return found


def _chest_evidence(r: Reconciler) -> list[dict[str, Any]]:
    flags = r.get("red_flags") or {}
    found = [_yes(f"red_flags.{f}") for f in CHEST_FLAGS if flags.get(f)]
    for i, entry in enumerate(r.intake.get("pain") or []):
        region = non_msk_region(entry.get("region"), exertional=entry.get("nprs_activity", 0) > 0)
        if region in ("chest", "jaw"):
            found.append(_yes(f"pain[{i}].region", entry.get("region")))
    return found


def _structured(r: Reconciler) -> None:
    """DEC-3: structured answers against each other."""
    acsm = r.get("acsm") or {}
    signs = acsm.get("signs_symptoms") or {}
    followups = r.get("parq", "followups") or {}

    def gate(section: str) -> bool:
        return (followups.get(section) or {}).get("gate") is True

    chest = _chest_evidence(r)
    # ACSM CV disease is cardiac, peripheral vascular or cerebrovascular: on the PAR-Q+
    # that is G1 (heart) or G4 (another chronic condition); both NO contradict it.
    general = r.get("parq", "general") or {}
    cv_unsaid = acsm.get("known_cv_disease") and general.get("g4") is not True
    r.contradict(("parq", "general", "g1"),
                 ([_yes("acsm.known_cv_disease")] if cv_unsaid else [])
                 + [_yes(f"parq.followups.{s}.gate") for s in ("s3_heart", "s4_blood_pressure")
                    if gate(s)])
    r.contradict(("parq", "general", "g2"), chest + (
        [_yes("acsm.signs_symptoms.ischaemic_discomfort")]
        if signs.get("ischaemic_discomfort") else []))
    r.contradict(("parq", "general", "g3"),
                 [_yes("acsm.signs_symptoms.dizziness_or_syncope")]
                 if signs.get("dizziness_or_syncope") else [])
    r.contradict(("parq", "general", "g4"),
                 [_yes(f"acsm.{d}") for d in ("known_metabolic_disease", "known_renal_disease")
                  if acsm.get(d)]
                 + [_yes(f"parq.followups.{s}.gate") for s in G4_SECTIONS if gate(s)])
    r.contradict(("parq", "general", "g6"), _current_msk_pain(r.intake))
    general_g2 = r.get("parq", "general", "g2")
    r.contradict(("acsm", "signs_symptoms", "ischaemic_discomfort"), chest + (
        [_yes("parq.general.g2")] if general_g2 is True else []))
    r.contradict(("acsm", "known_cv_disease"),
                 [_yes(f"parq.followups.{s}.gate") for s in ("s3_heart", "s9_stroke")
                  if gate(s)])


def _values(r: Reconciler, as_of: dt.date, cfg: EngineConfig, out: Collector) -> None:
    """DEC-10: recorded values decide the items they measure."""
    vitals = r.get("vitals") or {}
    bp = vitals.get("resting_bp")
    if bp:
        shown = {"field": "vitals.resting_bp", "value": f"{bp['systolic']}/{bp['diastolic']}",
                 "measured_on": bp["measured_on"]}
        if not _recent(bp["measured_on"], as_of, cfg):
            out.flag("stale:vitals.resting_bp")
        else:
            high = (bp["systolic"] >= cfg.parq4b_systolic_mmhg
                    or bp["diastolic"] >= cfg.parq4b_diastolic_mmhg)
            b_path = ("parq", "followups", "s4_blood_pressure", "b")
            if high:
                r.contradict(b_path, [shown], rule="DEC-10")
                r.contradict(("parq", "followups", "s4_blood_pressure", "gate"), [shown],
                             rule="DEC-10")
                r.contradict(("parq", "general", "g1"), [shown], rule="DEC-10")
            elif r.get(*b_path) is True:
                # A YES is never lowered (conservative); staff see both sides.
                r.found.append({"answer": "parq.followups.s4_blood_pressure.b",
                                "answered": True, "against": [shown], "taken": True,
                                "rule": "DEC-10"})
            elif r.get("parq", "followups", "s4_blood_pressure", "gate") is True:
                r.derive(b_path, False, [shown])
        if bp.get("on_medication"):
            r.contradict(("parq", "general", "g5"),
                         [_yes("vitals.resting_bp.on_medication")], rule="DEC-10")
    hr = vitals.get("resting_heart_rate")
    if hr:
        if not _recent(hr["measured_on"], as_of, cfg):
            out.flag("stale:vitals.resting_heart_rate")
        elif hr["bpm"] > cfg.tachycardia_bpm:
            r.contradict(("acsm", "signs_symptoms", "palpitations_or_tachycardia"),
                         [{"field": "vitals.resting_heart_rate", "value": hr["bpm"],
                           "measured_on": hr["measured_on"]}], rule="DEC-10")
    weight = vitals.get("weight_change")
    if weight and _unexplained_loss(weight, cfg):
        r.contradict(("red_flags", "unexplained_weight_loss"),
                     [{"field": "vitals.weight_change", "value": weight}], rule="DEC-10")


def _unexplained_loss(weight: dict[str, Any], cfg: EngineConfig) -> bool:
    loss = -weight["change_kg"]
    if weight["intentional"] or loss <= 0 or weight["over_weeks"] > cfg.weight_loss_window_weeks:
        return False
    body = weight.get("body_weight_kg")
    if body:
        return loss / (body + loss) * 100 >= cfg.weight_loss_percent
    return loss >= cfg.weight_loss_kg_weight_unknown


def reconcile(intake: dict[str, Any], as_of: dt.date, cfg: EngineConfig, out: Collector
              ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The intake the rules should read (contradicted NOs raised to YES, blank items a
    recorded value decides filled in) and the contradictions, each with both sides."""
    r = Reconciler(intake)
    _values(r, as_of, cfg, out)
    _structured(r)
    return r.apply(), r.found, r.derived


def report(found: list[dict[str, Any]], derived: list[dict[str, Any]], out: Collector,
           intake: dict[str, Any] | None = None) -> None:
    """The DEC-3 / DEC-10 reasons (information only: the raised answers already act
    through their own rules), listed after the rules in the SYS-1 order. A contradiction
    staff dismissed on review (``intake.review``) is still taken the serious way (DEC-3)
    and listed as dismissed; it no longer asks for review."""
    for row in found:
        if is_dismissed_contradiction(intake, row.get("answer", "")):
            row["dismissed"] = True
    if any(not row.get("dismissed") for row in found):
        out.flag("review:contradiction")
    if found:
        if any(c["answer"].startswith("parq.general.") for c in found):
            out.flag("action:complete_parq_followups")
        out.add("DEC-3", {"contradictions": found},
                "Some answers contradict each other or a recorded value: the more serious "
                "answer is used and staff should review the record.",
                note="DEC-3 / DEC-10: a NO contradicted by another structured answer or a "
                     "recorded value is taken as YES; a YES is never lowered.")
    if derived:
        out.add("DEC-10", {"derived_answers": derived},
                "Some answers were taken from recorded values or from other answers.")
