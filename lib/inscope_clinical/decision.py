"""decide: the scope-of-practice decision, in the SYS-1 order with SYS-2 combination."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import acsm as acsm_rules
from . import free_text, history, red_flags
from . import parq as parq_rules
from .clearances import ClearanceBook
from .config import DEFAULT_CONFIG, EngineConfig
from .contradictions import reconcile
from .contradictions import report as contradiction_report
from .history import pt_referral, refer_pt
from .program import build_program, painful_patterns
from .reasons import Collector, combine, referrals
from .regions import movements_loading
from .restrictions import lower_cap, merge
from .scoring import score_assessment
from .version import ENGINE_VERSION
from .vocab import CLEARING_TESTS, DEC8_TESTS, FMS_TESTS


def _assessment_pain(assessment: dict[str, Any], scoring: dict[str, Any],
                     cfg: EngineConfig, out: Collector) -> None:
    """SYS-1 step 7: pain in the movement screen -> physical therapist (FMS-8, PAIN-6)."""
    fms = scoring.get("fms")
    fms_covered = set(FMS_TESTS) | set(CLEARING_TESTS) if fms else set()
    if fms and fms["pain_zero"]:
        facts = {"fms.pain_zero": fms["pain_zero"], "causes": fms.get("pain_causes", {}),
                 "fms.total": fms["total"]}
        # Where it hurt and how much (REF-1: NPRS values and where they occurred).
        reported = [p for p in assessment.get("pain_during") or [] if p["test"] in fms_covered]
        if reported:
            facts["assessment.pain_during"] = reported
        out.add("FMS-8", facts, "Pain during a movement-screen pattern or its clearing test "
                f"(scored 0): stop loading that pattern; {refer_pt(cfg)}. A high "
                "total never cancels a 0.", **pt_referral(cfg))
    other = [p for p in assessment.get("pain_during") or [] if p["test"] not in fms_covered]
    if other:
        dec8 = sorted({p["test"] for p in other if p["test"] in DEC8_TESTS})
        out.add("PAIN-6", {"assessment.pain_during": other,
                           **({"dec8_tests": dec8} if dec8 else {})},
                f"Pain produced during the assessment: {refer_pt(cfg)}, routine "
                "(pain intensity does not lower the grade).", **pt_referral(cfg))


def _movement_priorities(scoring: dict[str, Any], out: Collector) -> None:
    """SYS-6 / FMS-7: movement findings drive priorities, never a referral."""
    fms = scoring.get("fms") or {}
    imbalances = scoring.get("imbalances") or {}
    facts = {
        "fms.total": fms.get("total"),
        "fms.le_14": fms.get("le_14"),
        "fms.asymmetries": fms.get("asymmetries", []),
        "imbalances.patterns": imbalances.get("patterns", []),
        "compensation_rows": sorted({s for m in imbalances.get("overactive", [])
                                     for s in m["sources"]}),
    }
    if scoring.get("movement_assessments"):
        facts["movement_assessments"] = scoring["movement_assessments"]  # DEC-8
    if fms.get("le_14"):
        out.add("FMS-7", {"fms.total": fms["total"]}, "FMS total <= 14: a movement-quality "
                "priority flag only, never a referral trigger.")
        out.flag("priority:fms_le_14")
    out.add("SYS-6", facts, "FMS score, asymmetries, compensations and posture patterns "
            "drive program priorities; they do not trigger referral by themselves.")


def _qep_advice(parq_result: str | None, parq: dict[str, Any], acsm: dict[str, Any],
                age_years: int | None, cfg: EngineConfig, out: Collector) -> None:
    """PARQ-2/PARQ-5: over 45 and not used to vigorous effort -> QEP before vigorous."""
    if parq_result != "cleared" or age_years is None or age_years <= cfg.qep_advice_age_over:
        return
    if parq.get("used_to_vigorous_exercise") or acsm.get("desired_intensity") != "vigorous":
        return
    out.add("PARQ-5", {"age_years": age_years, "parq.used_to_vigorous_exercise":
                       parq.get("used_to_vigorous_exercise")},
            "Older than 45 and not used to vigorous exercise: consult a qualified exercise "
            "professional before exercising at vigorous intensity.", tag="C")
    out.flag("advice:qep_before_vigorous")


def _sys4(parq_result: str | None, out: Collector) -> None:
    acsm_clearance = [
        r for r in out.reasons if r["rule"] == "ACSM-3" and r["outcome"] != "in_scope"
    ]
    if parq_result == "cleared" and acsm_clearance:
        out.add("SYS-4", {"parq": "cleared", "acsm": acsm_clearance[0]["summary"]},
                "PAR-Q+ cleared but ACSM recommends medical clearance: the more conservative "
                "result wins.")


def _declaration(parq: dict[str, Any], age_years: int | None, cfg: EngineConfig,
                 out: Collector) -> None:
    """PARQ-0 (version stored) and PARQ-7 (guardian signature for a minor): flags only."""
    if not parq.get("version"):
        out.flag("missing:parq.version")
    if age_years is not None and age_years < cfg.legal_age_of_consent:
        out.flag("declaration:guardian_signature_required")


def decide(intake: dict[str, Any], *, age_years: int | None,
           assessment: dict[str, Any] | None = None, scoring: dict[str, Any] | None = None,
           as_of: dt.date | None = None, config: EngineConfig | None = None) -> dict[str, Any]:
    """Decide refer / clearance / hold / in_scope for a loaded IntakeSchema dict.

    Runs the rules in the SYS-1 order, combines them with SYS-2 and, when the
    client is in scope and assessed, builds the corrective program (SYS-5).
    ``physician`` and ``consent`` are never read: they do not change the decision.
    """
    cfg = config or DEFAULT_CONFIG
    as_of = as_of or dt.date.today()
    out = Collector()
    intake, contradictions, derived = reconcile(intake, as_of, cfg, out)  # DEC-3, DEC-10
    parq = intake.get("parq") or {}
    acsm = intake.get("acsm") or {}
    flags = intake.get("red_flags") or {}
    if assessment is not None:
        scoring = scoring or score_assessment(assessment, config=cfg)
    book = ClearanceBook(intake, as_of, cfg)  # DEC-9
    red_flags.evaluate(flags, age_years, cfg, out, grades=("emergency",))  # 1
    parq_rules.evaluate_delay(parq, out, book)  # 2
    parq_rules.evaluate_validity(parq, as_of, cfg, out)  # 3
    parq_result = parq_rules.evaluate_outcome(parq, cfg, out, book)  # 3-4
    _declaration(parq, age_years, cfg, out)
    _qep_advice(parq_result, parq, acsm, age_years, cfg, out)
    intensity = acsm_rules.evaluate(acsm, cfg, out, book)  # 5
    _sys4(parq_result, out)
    red_flags.evaluate(flags, age_years, cfg, out, grades=("urgent", "routine"))  # 6
    history.evaluate_pain_red_flags(intake, cfg, out)
    history.evaluate_pain(intake, assessment, scoring, cfg, out)  # 7
    history.evaluate_history(intake, assessment, scoring, cfg, out)
    if assessment is not None and scoring is not None:
        _assessment_pain(assessment, scoring, cfg, out)
        _movement_priorities(scoring, out)
    intensity = free_text.scan(intake, assessment, cfg, out, age_years=age_years,  # SYS-7
                               as_of=as_of, intensity=intensity) or intensity  # DEC-2
    contradiction_report(contradictions, derived, out, intake)
    result = _finish(out, intake, assessment, scoring, intensity, as_of, cfg, book)
    result["contradictions"] = contradictions
    return result


def _leave_out(out: Collector, assessment: dict[str, Any] | None,
               scoring: dict[str, Any] | None) -> dict[str, Any]:
    """DEC-6: the movements to leave out of the assessment for a client whose only
    referral is a routine physical-therapist referral: those loading a painful or
    injured region, and any test that already produced pain."""
    regions: list[dict[str, Any]] = []
    tests: list[str] = []
    for entry in out.leave_out_regions:
        parts, loading = movements_loading(entry["region"])
        regions.append({**entry, "parts": parts})
        tests += loading
    if scoring is not None:
        tests += painful_patterns(assessment, scoring)
    return {"tests": sorted(set(tests)), "regions": regions,
            "unrecognised_regions": [r["region"] for r in regions if not r["parts"]]}


def assessment_gate(out: Collector, result: dict[str, Any], assessment: dict[str, Any] | None,
                    scoring: dict[str, Any] | None) -> dict[str, Any]:
    """DEC-6: the movement assessment is a fitness appraisal. Allowed when screening
    ends in scope, in the SYS-5 case (at <= moderate), or when the only referrals are
    routine physical-therapist referrals for musculoskeletal pain (painful movements
    left out); every other refer/clearance/hold defers it (``blocked:assessment``)."""
    deferring = [r for r in out.reasons if r["outcome"] != "in_scope"]
    sys5 = [r for r in deferring if r["program_state"] == "build_moderate_only_until_clearance"]
    msk = [r for r in deferring if out.is_msk(r) and r["urgency"] == "routine"]
    others = [r for r in deferring if r not in sys5 and r not in msk]
    gate: dict[str, Any] = {"allowed": not others, "basis": "in_scope", "intensity_cap": None,
                            "leave_out": None,
                            "deferred_by": sorted({r["rule"] for r in others})}
    if others:
        gate["basis"] = "deferred_until_clinician_answers"
        out.flag("blocked:assessment")
        out.add("DEC-6", {"assessment.allowed": False, "deferred_by": gate["deferred_by"]},
                "The movement assessment is a fitness appraisal: deferred until the "
                "clinician's answer clears the client.")
        return gate
    if sys5:
        gate["basis"] = "sys5_moderate_until_clearance"
        gate["intensity_cap"] = "moderate"
    if msk:
        gate["basis"] = "routine_pt_musculoskeletal" if not sys5 else gate["basis"] + \
            "+routine_pt_musculoskeletal"
        gate["leave_out"] = _leave_out(out, assessment, scoring)
        out.flag("assessment:leave_out_painful_movements")
    if deferring:
        out.add("DEC-6", {"assessment.allowed": True, "basis": gate["basis"],
                          "assessment.leave_out": (gate["leave_out"] or {}).get("tests", []),
                          "assessment.intensity_cap": gate["intensity_cap"]},
                "The movement assessment may go on while the referral is open"
                + (", at moderate intensity at most" if sys5 else "")
                + (", leaving out the movements that load the painful region" if msk else "")
                + ".")
    return gate


def _finish(out: Collector, intake: dict[str, Any], assessment: dict[str, Any] | None,
            scoring: dict[str, Any] | None, intensity: str, as_of: dt.date,
            cfg: EngineConfig, book: ClearanceBook) -> dict[str, Any]:
    on_file = book.summary()
    if any(not entry["satisfies"] for entry in on_file):
        out.flag("shown:clearance_on_file")  # DEC-9: recorded, shown, satisfies nothing
    limits = [r for r in (book.restrictions(), history.guideline_restrictions(intake)) if r]
    restrictions = merge(limits) if limits else None
    if restrictions:
        intensity = lower_cap(intensity, restrictions["max_intensity"]) or intensity
    result = combine(out.reasons)
    gate = assessment_gate(out, result, assessment, scoring)
    if result["urgency"] == "emergency":
        out.flag("action:call_emergency_services")
    buildable = result["program_state"] in ("build", "build_moderate_only_until_clearance")
    if result["program_state"] == "build_moderate_only_until_clearance":
        intensity = lower_cap(intensity, "moderate") or "moderate"
    program = None
    if buildable and scoring is not None:
        program = build_program(scoring, as_of=as_of, intensity_cap=intensity,
                                assessment=assessment,
                                guidelines=history.clinician_guidelines(intake), config=cfg,
                                restrictions=restrictions)
    elif buildable:
        out.flag("awaiting:assessment")
    return {
        **result,
        "reasons": out.reasons,
        "referrals": referrals(out.reasons),
        "flags": out.flags,
        "intensity_cap": intensity if buildable else None,
        "assessment_gate": gate,
        "clearances_on_file": on_file,
        "restrictions": restrictions,
        "training_intensity": intensity,  # the ceiling once a clinician clears (DEC-7)
        "program": program,
        "engine_version": ENGINE_VERSION,
    }


def program_after_answer(intake: dict[str, Any], *, age_years: int | None,
                         assessment: dict[str, Any], scoring: dict[str, Any],
                         restrictions: dict[str, Any] | None, as_of: dt.date | None = None,
                         config: EngineConfig | None = None) -> dict[str, Any]:
    """DEC-7: the corrective program of an assessed client whom the clinician cleared
    (with ``restrictions``, restrictions.RestrictionsSchema, or None): built as for an
    in-scope client, within the clinician's restrictions merged with those on file
    (DEC-5/DEC-9) and under the lower intensity ceiling. Painful patterns stay out."""
    cfg = config or DEFAULT_CONFIG
    as_of = as_of or dt.date.today()
    result = decide(intake, age_years=age_years, assessment=assessment, scoring=scoring,
                    as_of=as_of, config=cfg)
    limits = [r for r in (result["restrictions"], restrictions) if r]
    merged = merge(limits) if limits else None
    cap = lower_cap(result["training_intensity"], (merged or {}).get("max_intensity"))
    return build_program(scoring, as_of=as_of, intensity_cap=cap, assessment=assessment,
                         guidelines=history.clinician_guidelines(intake), config=cfg,
                         restrictions=merged)
