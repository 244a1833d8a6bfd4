"""Intake pain, injuries, surgeries and physical-therapy history
(PAIN-5, PAIN-6, RF-4, SCOPE-4)."""

from __future__ import annotations

from typing import Any

from .config import EngineConfig
from .reasons import Collector
from .regions import non_msk_region
from .restrictions import merge

URGENT_PHYSICIAN = {"outcome": "refer", "urgency": "urgent", "target": "physician",
                    "program_state": "hold_pending_clearance"}


def pt_referral(cfg: EngineConfig, outcome: str = "refer") -> dict[str, Any]:
    """RF-4 / SYS-3: musculoskeletal pain or injury -> physical therapist, routine
    (via the physician where law or insurance requires it, RF-4 [D])."""
    target = "physician" if cfg.pt_referral_via_physician else "physical_therapist"
    return {"outcome": outcome, "urgency": "routine", "target": target,
            "program_state": "hold_pending_clearance", "msk": True}


def refer_pt(cfg: EngineConfig) -> str:
    """The words for a musculoskeletal referral, agreeing with pt_referral's target."""
    if cfg.pt_referral_via_physician:
        return "refer to a physician (the route law or insurance requires here)"
    return "refer to a physical therapist"


def reproduced(assessment: dict[str, Any] | None, scoring: dict[str, Any] | None) -> bool:
    """Whether the assessment produced pain anywhere (pain during a test or a 0)."""
    if not assessment:
        return False
    fms = (scoring or {}).get("fms") or {}
    return bool(assessment.get("pain_during")) or bool(fms.get("pain_zero"))


def clinician_guidelines(intake: dict[str, Any]) -> list[str]:
    """Written guidelines on file: a physical therapist's discharge guidelines and, DEC-5,
    guidelines from any clinician (physician, chiropractor, sports-medicine doctor)."""
    history = intake.get("history") or {}
    therapy = history.get("physical_therapy") or []
    found = [t["guidelines"].strip() for t in therapy if (t.get("guidelines") or "").strip()]
    for entry in history.get("clinician_guidelines") or []:
        text = (entry.get("guidelines") or "").strip()
        if text:
            who = entry.get("clinician_name") or entry.get("profession", "clinician")
            found.append(f"{text} ({who.replace('_', ' ')})")
    return found


def guideline_restrictions(intake: dict[str, Any]) -> dict[str, Any] | None:
    """DEC-5: the restrictions given with clinicians' written guidelines, merged."""
    items = [e["restrictions"] for e in (intake.get("history") or {}).get(
        "clinician_guidelines") or [] if e.get("restrictions")]
    return merge(items) if items else None


def _is_current(entry: dict[str, Any]) -> bool:
    return max(entry.get("nprs_rest", 0), entry.get("nprs_activity", 0)) > 0


def evaluate_pain_red_flags(intake: dict[str, Any], cfg: EngineConfig, out: Collector) -> None:
    """PAIN-6: rest pain >= 7/10 or pain waking the client at night -> RF grades (urgent)."""
    for i, entry in enumerate(intake.get("pain") or []):
        path = f"pain[{i}]"
        if entry.get("nprs_rest", 0) >= cfg.pain_rest_red_flag_nprs:
            out.add("PAIN-6", {f"{path}.nprs_rest": entry["nprs_rest"],
                               f"{path}.region": entry.get("region")},
                    f"Pain at rest {entry['nprs_rest']}/10: handled as a red flag "
                    "(RF-2/RF-3), urgent physician.", **URGENT_PHYSICIAN)
        if entry.get("night_pain"):
            out.add("PAIN-6", {f"{path}.night_pain": True, f"{path}.region": entry.get("region")},
                    "Pain waking the client at night: handled as a red flag (RF-2 night pain), "
                    "urgent physician.", **URGENT_PHYSICIAN)


def non_msk(entry: dict[str, Any]) -> str | None:
    """DEC-4: the non-musculoskeletal region a pain row names (jaw: with exertion)."""
    return non_msk_region(entry.get("region"), exertional=entry.get("nprs_activity", 0) > 0)


def _non_msk_pain(i: int, entry: dict[str, Any], region: str, facts: dict[str, Any],
                  cfg: EngineConfig, out: Collector) -> None:
    """DEC-4: chest, abdomen, head or exertional jaw pain is never a physical-therapy
    referral for musculoskeletal pain: it takes the RF-3 / ACSM-2 sign path (physician
    clearance at the ACSM sign grade)."""
    ischaemic = region in ("chest", "jaw")
    maps_to = "ACSM-3" if ischaemic else "RF-3"
    read_as = ("ACSM-2 sign 1 (discomfort possibly from ischaemia), graded as RF-3 reads "
               "the ACSM signs" if ischaemic else "an RF-3 non-spinal finding")
    out.add("DEC-4", {**facts, f"pain[{i}].night_pain": entry.get("night_pain"),
                      "region_class": region, "maps_to": maps_to},
            f"Pain reported in the {region}: not a muscle or joint complaint; a physician "
            "should check it and clear the client before exercise.",
            outcome="clearance", urgency=cfg.acsm_sign_urgency,
            target="physician", program_state="hold_pending_clearance", source="ACSM",
            note=f"DEC-4: a non-musculoskeletal pain region is read as {read_as}, at the "
                 "ACSM sign grade (acsm_sign_urgency); never RF-4.")


def evaluate_pain(intake: dict[str, Any], assessment: dict[str, Any] | None,
                  scoring: dict[str, Any] | None, cfg: EngineConfig, out: Collector) -> None:
    """RF-4 current pain -> PT; PAIN-6 clinician-guided pain in scope; PAIN-5 DOMS;
    DEC-4 non-musculoskeletal regions -> physician."""
    guided = clinician_guidelines(intake)
    painful_test = reproduced(assessment, scoring)
    for i, entry in enumerate(intake.get("pain") or []):
        facts = {f"pain[{i}].{k}": entry.get(k) for k in
                 ("region", "side", "nprs_rest", "nprs_activity", "onset")}
        region = non_msk(entry)
        if region is not None:
            _non_msk_pain(i, entry, region, facts, cfg, out)
            continue
        if entry.get("doms"):
            _doms(facts, i, assessment, painful_test, out)
        elif not _is_current(entry) and not entry.get("night_pain"):
            continue
        elif entry.get("assessed_by_clinician") and guided and not painful_test:
            out.add("PAIN-6", {**facts, f"pain[{i}].assessed_by_clinician": True},
                    "Pain already assessed by a clinician who gave guidelines, not reproduced "
                    "by movement, no red flags: in scope; follow the clinician's guidelines.")
            out.flag("follow:clinician_guidelines")
        else:
            out.add("RF-4", facts, "Current musculoskeletal pain reported at intake: "
                    f"{refer_pt(cfg)}, routine.", **pt_referral(cfg))
            out.leave_out(f"pain[{i}]", entry.get("region"), entry.get("side"))


def _doms(facts: dict[str, Any], i: int, assessment: dict[str, Any] | None,
          painful_test: bool, out: Collector) -> None:
    facts = {**facts, f"pain[{i}].doms": True}
    if assessment is None:
        out.add("PAIN-5", facts, "Soreness reported as DOMS: checked against the movement "
                "screen at assessment.")
    elif not painful_test:
        out.add("PAIN-5", facts, "DOMS not produced or increased by any tested movement: it "
                "does not make the screen painful.")


def evaluate_history(intake: dict[str, Any], assessment: dict[str, Any] | None,
                     scoring: dict[str, Any] | None, cfg: EngineConfig, out: Collector) -> None:
    others = bool((intake.get("history") or {}).get("clinician_guidelines"))
    """RF-4 current injuries / post-surgical rehab; SCOPE-4 physical-therapy discharge."""
    history = intake.get("history") or {}
    for i, injury in enumerate(history.get("injuries") or []):
        if injury.get("current"):
            out.add("RF-4", {f"history.injuries[{i}].current": True,
                             f"history.injuries[{i}].region": injury.get("region")},
                    f"Current injury: {refer_pt(cfg)}, routine.", **pt_referral(cfg))
            out.leave_out(f"history.injuries[{i}]", injury.get("region") or
                          injury.get("description"), None)
    for i, surgery in enumerate(history.get("surgeries") or []):
        if surgery.get("ongoing_rehabilitation"):
            out.add("RF-4", {f"history.surgeries[{i}].ongoing_rehabilitation": True,
                             f"history.surgeries[{i}].region": surgery.get("region")},
                    f"Post-surgical rehabilitation needs: {refer_pt(cfg)}, routine.",
                    **pt_referral(cfg))
            out.leave_out(f"history.surgeries[{i}]", surgery.get("region") or
                          surgery.get("procedure"), None)
    painful_test = reproduced(assessment, scoring)
    for i, therapy in enumerate(history.get("physical_therapy") or []):
        _therapy(i, therapy, painful_test, cfg, out, others)


def _therapy(i: int, therapy: dict[str, Any], painful_test: bool, cfg: EngineConfig,
             out: Collector, other_guidelines: bool = False) -> None:
    path = f"history.physical_therapy[{i}]"
    facts = {f"{path}.{k}": therapy.get(k) for k in
             ("discharged", "discharge_date", "discharge_status", "cleared_for_activity")}
    via = cfg.pt_referral_via_physician
    back = refer_pt(cfg) if via else "refer back to the physical therapist"
    if not therapy.get("discharged") or therapy.get("discharge_status") != "symptom_free":
        out.leave_out(path, therapy.get("region"), None)
    if not therapy.get("discharged"):
        coordinate = ("coordinate through a physician" if via
                      else "coordinate with the physical therapist")
        out.add("SCOPE-4", facts, f"Currently under physical-therapy care: {coordinate} "
                "before training.", tag="D", **pt_referral(cfg))
    elif therapy.get("discharge_status") != "symptom_free":
        out.add("SCOPE-4", facts, "Discharged from physical therapy with ongoing or new "
                f"symptoms: {back}.", tag="D", **pt_referral(cfg))
    elif painful_test:
        out.add("SCOPE-4", facts, "Discharged symptom-free but symptoms reproduced in the "
                f"assessment: {back}.", tag="D", **pt_referral(cfg))
    elif therapy.get("cleared_for_activity") is not True and cfg.pt_discharge_needs_clearance:
        source = "a physician" if via else "the physical therapist"
        out.add("SCOPE-4", facts, "Discharged symptom-free but clearance for activity not "
                f"recorded: obtain it from {source}.",
                **pt_referral(cfg, outcome="clearance"))
    else:
        out.add("SCOPE-4", facts, "Discharged from physical therapy, symptom-free and cleared "
                "for activity: in scope; obtain and follow the therapist's guidelines.")
        # DEC-5: another clinician's written guidelines serve as well.
        has_guidelines = (therapy.get("guidelines") or "").strip() or other_guidelines
        out.flag("follow:clinician_guidelines" if has_guidelines else "request:pt_guidelines")
