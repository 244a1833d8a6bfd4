"""Probable imbalances (OHSA-T1/T2 with OHSA-3) and posture patterns (POST-1..5).

These are hypotheses for exercise selection ("probable imbalances"), never a
diagnosis (OHSA-3, SCOPE-3).
"""

from __future__ import annotations

from typing import Any

from .config import DEFAULT_CONFIG, EngineConfig
from .tables import (
    DEC8_ROWS,
    KENDALL_HIDES,
    KENDALL_TYPES,
    NASM_PATTERNS,
    TABLES,
    Row,
    ShiftRow,
)

OPPOSITE = {"left": "right", "right": "left"}
Tally = dict[tuple[str, str], list[str]]  # (muscle, left|right) -> sources


def _sides(side: str) -> tuple[str, ...]:
    return ("left", "right") if side == "bilateral" else (side,)


def _mark(tally: Tally, muscles: tuple[str, ...], side: str, source: str) -> None:
    for muscle in muscles:
        for one in _sides(side):
            sources = tally.setdefault((muscle, one), [])
            if source not in sources:
                sources.append(source)


def _apply_row(row: Row | ShiftRow, entry: dict[str, Any], source: str,
               over: Tally, under: Tally) -> None:
    if isinstance(row, ShiftRow):
        same = entry["shift_toward"]
        _mark(over, row.same_over, same, source)
        _mark(over, row.opposite_over, OPPOSITE[same], source)
        _mark(under, row.same_under, same, source)
        _mark(under, row.opposite_under, OPPOSITE[same], source)
        return
    side = entry.get("side") or "bilateral"
    _mark(over, row.overactive, side, source)
    _mark(under, row.underactive, side, source)


def forward_head(posture: dict[str, Any], cfg: EngineConfig) -> bool:
    """POST-5: observed forward head, or a CVA below the configured cut-off [P/U]."""
    cva = posture.get("craniovertebral_angle_deg")
    return bool(posture.get("forward_head")) or (cva is not None and cva < cfg.forward_head_cva_deg)


def posture_patterns(posture: dict[str, Any], cfg: EngineConfig) -> list[str]:
    signs = {key for key, value in posture.items() if value is True}
    if forward_head(posture, cfg):
        signs.add("forward_head")
    found = [name for name, p in NASM_PATTERNS.items() if set(p.signs) <= signs]
    kendall = [name for name, needed in KENDALL_TYPES.items() if set(needed) <= signs]
    hidden = {KENDALL_HIDES[name] for name in kendall if name in KENDALL_HIDES}
    found += [name for name in kendall if name not in hidden]
    if "forward_head" in signs:
        found.append("forward_head_posture")
    return found


def _collapse(tally: Tally) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for muscle, _side in tally:
        if muscle in seen:
            continue
        seen.add(muscle)
        left, right = tally.get((muscle, "left")), tally.get((muscle, "right"))
        if left and right:
            sources = list(dict.fromkeys(left + right))
            result.append({"muscle": muscle, "side": "bilateral", "sources": sources})
        else:
            side = "left" if left else "right"
            result.append({"muscle": muscle, "side": side, "sources": list(left or right)})
    return result


def _dec8(assessment: dict[str, Any], over: Tally, under: Tally) -> None:
    """DEC-8: single-leg squat (per standing leg) and pushing/pulling findings, with
    OHSA-T2's rows; sources ``OHSA-T2:<assessment>:<compensation>``."""
    legs = assessment.get("single_leg_squat") or {}
    for side in ("left", "right"):
        for name in legs.get(side) or []:
            row = DEC8_ROWS["single_leg_squat"][name]
            _apply_row(row, {"side": side}, f"OHSA-T2:single_leg_squat:{name}", over, under)
    for test in ("pushing", "pulling"):
        for name in (assessment.get(test) or {}).get("compensations") or []:
            _apply_row(DEC8_ROWS[test][name], {"side": "bilateral"}, f"OHSA-T2:{test}:{name}",
                       over, under)


def dec8_findings(assessment: dict[str, Any]) -> dict[str, Any]:
    """DEC-8 findings as recorded, with a single-leg asymmetry marker (priorities)."""
    legs = assessment.get("single_leg_squat")
    found: dict[str, Any] = {}
    if legs is not None:
        left, right = sorted(legs.get("left") or []), sorted(legs.get("right") or [])
        found["single_leg_squat"] = {"left": left, "right": right, "asymmetry": left != right}
    for test in ("pushing", "pulling"):
        if assessment.get(test) is not None:
            found[test] = list(assessment[test].get("compensations") or [])
    return found


def probable_imbalances(assessment: dict[str, Any], *, table: str = "OHSA-T1",
                        cfg: EngineConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """Union of the observed rows; a muscle both over- and underactive on the same
    side is flagged as a conflict for the trainer, not resolved (OHSA-3)."""
    if table not in TABLES:
        raise ValueError(f"unknown compensation table {table!r}; use one of {sorted(TABLES)}")
    rows = TABLES[table]
    over: Tally = {}
    under: Tally = {}
    unmapped: list[str] = []
    compensations = (assessment.get("ohsa") or {}).get("compensations") or []
    for entry in compensations:
        name = entry["compensation"]
        if name not in rows:
            unmapped.append(name)
            continue
        _apply_row(rows[name], entry, f"{table}:{name}", over, under)
    _dec8(assessment, over, under)
    posture = assessment.get("posture") or {}
    patterns = posture_patterns(posture, cfg)
    for name in patterns:
        if name in NASM_PATTERNS:
            p = NASM_PATTERNS[name]
            _mark(over, p.overactive, "bilateral", f"{p.rule}:{name}")
            _mark(under, p.underactive, "bilateral", f"{p.rule}:{name}")
    conflicts = sorted({m for (m, side) in over if (m, side) in under})
    return {
        "table": table,
        "overactive": _collapse(over),
        "underactive": _collapse(under),
        "conflicts": conflicts,
        "patterns": patterns,
        "unmapped_compensations": sorted(set(unmapped)),
        "wording": "probable imbalances (hypotheses for exercise selection), not a diagnosis",
    }
