"""Functional Movement Screen scoring (FMS-2, FMS-4, FMS-5, FMS-6, FMS-7, FMS-8)."""

from __future__ import annotations

from typing import Any

from .vocab import CLEARING_TESTS, FMS_BILATERAL, FMS_TESTS

LE_14 = 14  # FMS-7 (Kiesel 2007 cut-off), a priority flag only


def painful_tests(fms: dict[str, Any], pain_during: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Tests scored 0 for pain, with what caused it (FMS-2 pain, FMS-5 clearing)."""
    causes: dict[str, list[str]] = {}
    clearing = fms.get("clearing") or {}
    shoulder = clearing.get("shoulder") or {}
    for side in ("left", "right"):
        if shoulder.get(side):
            causes.setdefault("shoulder_mobility", []).append(f"shoulder_clearing:{side}")
    if clearing.get("spinal_extension"):
        causes.setdefault("trunk_stability_push_up", []).append("spinal_extension_clearing")
    if clearing.get("spinal_flexion"):
        causes.setdefault("rotary_stability", []).append("spinal_flexion_clearing")
    for entry in pain_during:
        test = CLEARING_TESTS.get(entry["test"], entry["test"])
        if test in FMS_TESTS:
            causes.setdefault(test, []).append(f"pain_during:{entry['test']}")
    for test in FMS_TESTS:
        if 0 in _sides(fms["tests"][test]):
            causes.setdefault(test, []).append("raw_score_0")
    return causes


def _sides(raw: Any) -> list[int]:
    return [raw["left"], raw["right"]] if isinstance(raw, dict) else [raw]


def score_fms(fms: dict[str, Any] | None, pain_during: list[dict[str, Any]],
              priority: tuple[str, ...]) -> dict[str, Any] | None:
    """Per-test score (lower side; pain and positive clearing give 0), total, flags."""
    if not fms:
        return None
    zero = painful_tests(fms, pain_during)
    scores = {t: 0 if t in zero else min(_sides(fms["tests"][t])) for t in FMS_TESTS}
    asymmetries = [t for t in FMS_BILATERAL if len(set(_sides(fms["tests"][t]))) > 1]
    total = sum(scores.values())
    return {
        "scores": scores,
        "total": total,
        "le_14": total <= LE_14,
        "asymmetries": asymmetries,
        "pain_zero": [t for t in FMS_TESTS if t in zero],
        "pain_causes": zero,
        "priorities": _priorities(scores, asymmetries, zero, priority),
    }


def _priorities(scores: dict[str, int], asymmetries: list[str], zero: dict[str, list[str]],
                order: tuple[str, ...]) -> list[str]:
    """FMS-4 [P]: asymmetries and 1s before symmetric 2s, in the taught hierarchy.
    Painful patterns (0) are for a clinician, not corrective priorities (FMS-8)."""
    ones_or_asym = [t for t in order if t not in zero and (scores[t] == 1 or t in asymmetries)]
    twos = [t for t in order if t not in zero and t not in ones_or_asym and scores[t] == 2]
    return ones_or_asym + twos
