"""Re-assessment: what each scored assessment says in figures, how the client moved
from one to the next, and the acute variables that follow (CEC-2), as data and as a
small server-rendered SVG chart (no script, no external resource).

Pure: standard library only. ``summary`` reads the engine's scoring
(``score_assessment``) and the assessment document; every other function reads
summaries, so a service can keep them (one row per assessment) and a letter can
quote them.

The continuum keeps its four phases in every session (CEC-1); only the acute
variables change, always inside CEC-2's ranges: more sets and repetitions of the
activation and integration work when the movement quality improved, the lower end
when it got worse. Pain at a re-assessment is not handled here: it goes through the
engine like any assessment (FMS-8, PAIN-5/6) and the decision pauses the program.
"""

from __future__ import annotations

import copy
from typing import Any
from xml.sax.saxutils import escape

from .vocab import FMS_TESTS

TEST_WORDS = {
    "deep_squat": "Deep squat",
    "hurdle_step": "Hurdle step",
    "in_line_lunge": "In-line lunge",
    "shoulder_mobility": "Shoulder mobility",
    "active_straight_leg_raise": "Active straight-leg raise",
    "trunk_stability_push_up": "Trunk stability push-up",
    "rotary_stability": "Rotary stability",
}

# CEC-2, within each row's range: the lower end when movement quality got worse, the
# range as first prescribed when there is nothing to compare with or nothing changed,
# the upper end when it improved. Inhibit and lengthen keep their holds (30 s).
STEPS: dict[str, dict[str, dict[str, str]]] = {
    "regress": {"activate": {"sets": "1", "reps": "10"},
                "integrate": {"sets": "1", "reps": "10"}},
    "progress": {"activate": {"sets": "2", "reps": "15"},
                 "integrate": {"sets": "2-3", "reps": "12-15"}},
}
STEP_WORDS = {
    "first": "First assessment: the acute variables as first prescribed (CEC-2).",
    "hold": "No clear change since the last assessment: the acute variables stay.",
    "progress": "Movement quality improved: more sets and repetitions of the activation "
                "and integration work, within CEC-2's ranges.",
    "regress": "Movement quality got worse: the activation and integration work goes back "
               "to the lower end of CEC-2's ranges.",
}


def summary(assessment: dict[str, Any] | None, scoring: dict[str, Any]) -> dict[str, Any]:
    """One assessment in figures: FMS total and per-test scores (None when the screen
    was not done or a test was left out), asymmetries, overhead-squat compensations and
    the tests that hurt."""
    fms = scoring.get("fms") or {}
    scores = fms.get("scores") or {}
    compensations = []
    for row in ((assessment or {}).get("ohsa") or {}).get("compensations") or []:
        name = row.get("compensation")
        side = row.get("side")
        label = f"{name} ({side})" if side and side != "bilateral" else str(name)
        if name and label not in compensations:
            compensations.append(label)
    return {
        "fms_total": fms.get("total"),
        "fms_scores": {t: scores.get(t) for t in FMS_TESTS},
        "asymmetries": list(fms.get("asymmetries") or []),
        "compensations": sorted(compensations),
        "painful": list(fms.get("pain_zero") or []),
    }


def step_between(previous: dict[str, Any] | None, current: dict[str, Any]) -> str:
    """first | hold | progress | regress, from two summaries (oldest first)."""
    if previous is None:
        return "first"
    before, now = previous.get("fms_total"), current.get("fms_total")
    worse = (len(current.get("compensations") or []) > len(previous.get("compensations") or [])
             or len(current.get("asymmetries") or []) > len(previous.get("asymmetries") or [])
             or (before is not None and now is not None and now < before)
             or bool(current.get("painful")))
    better = (len(current.get("compensations") or []) < len(previous.get("compensations") or [])
              or len(current.get("asymmetries") or []) < len(previous.get("asymmetries") or [])
              or (before is not None and now is not None and now > before))
    if worse:
        return "regress"
    return "progress" if better else "hold"


def progress_program(program: dict[str, Any] | None, step: str) -> dict[str, Any] | None:
    """The program with its acute variables for ``step`` (a copy; the four phases and
    their exercises unchanged, CEC-1)."""
    if program is None:
        return None
    out = copy.deepcopy(program)
    for phase in out.get("phases") or []:
        change = STEPS.get(step, {}).get(phase.get("phase", ""))
        if change:
            phase["variables"] = {**(phase.get("variables") or {}), **change}
    out["progression"] = {"step": step, "words": STEP_WORDS.get(step, "")}
    return out


def trend_rows(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each assessment (``{"at": ISO date, "summary": ...}``, oldest first) with its
    change against the one before: the table's rows."""
    rows = []
    previous = None
    for point in points:
        s = point["summary"]
        total, before = s.get("fms_total"), (previous or {}).get("fms_total")
        rows.append({
            "at": str(point["at"])[:10],
            "assessment_id": point.get("assessment_id"),
            **s,
            "change": (None if total is None or before is None else total - before),
            "step": step_between(previous, s),
        })
        previous = s
    return rows


def trend_text(rows: list[dict[str, Any]]) -> list[str]:
    """The trend (``trend_rows``) in sentences, facts only, for progress reports to a
    clinician."""
    lines = []
    for row in rows:
        total = "not done" if row["fms_total"] is None else f"{row['fms_total']}/21"
        change = "" if row["change"] is None else f" ({row['change']:+d})"
        asym = ", ".join(TEST_WORDS.get(t, t) for t in row["asymmetries"]) or "none"
        comp = ", ".join(c.replace("_", " ") for c in row["compensations"]) or "none"
        lines.append(f"{row['at']}: movement screen total {total}{change}; "
                     f"left-right differences: {asym}; overhead squat: {comp}.")
    return lines


def trend_changes(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The trend as ``{"measure", "before", "after"}`` entries (the first assessment,
    then every later one in order), facts only, for a progress report: the FMS total,
    each test whose score changed, left-right differences and overhead-squat
    compensations. Nothing with fewer than two assessments."""
    if len(rows) < 2:
        return []

    def seq(values: list[str]) -> tuple[str, str]:
        dated = [f"{value} ({row['at']})" for value, row in zip(values, rows, strict=True)]
        return dated[0], ", then ".join(dated[1:])

    def listed(items: list[str]) -> str:
        return ", ".join(TEST_WORDS.get(i, i.replace("_", " ")).lower() for i in items) or "none"

    out = []
    totals = ["not done" if r["fms_total"] is None else str(r["fms_total"]) for r in rows]
    before, after = seq(totals)
    out.append({"measure": "Movement screen total, out of 21", "before": before, "after": after})
    for test in FMS_TESTS:
        scores = [r["fms_scores"].get(test) for r in rows]
        if len(set(scores)) > 1:
            before, after = seq(["not done" if x is None else str(x) for x in scores])
            out.append({"measure": f"{TEST_WORDS[test]} score, out of 3", "before": before,
                        "after": after})
    before, after = seq([listed(r["asymmetries"]) for r in rows])
    out.append({"measure": "Left-right differences", "before": before, "after": after})
    before, after = seq([listed(r["compensations"]) for r in rows])
    out.append({"measure": "Overhead squat compensations", "before": before, "after": after})
    return out


# -- the chart -----------------------------------------------------------------------

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 170, 20, 40
COLOURS = ("#1f4e79", "#b35900", "#2e7d32", "#7b1fa2", "#c62828", "#00838f", "#5d4037")


def trend_svg(rows: list[dict[str, Any]]) -> str:
    """An inline SVG: the FMS total (thick line, scale 0-21 on the left) and each test's
    score (thin lines, 0-3 on the right axis scaled to the same height), one point per
    assessment; the counts of asymmetries and compensations under each date. Every
    label is escaped. ``rows``: ``trend_rows``."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(rows)

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    def y(value: float, top: float) -> float:
        return TOP + plot_h - (value / top) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" class="trend-chart" '
             'aria-labelledby="trend-title"><title id="trend-title">Movement screen scores '
             'across assessments</title>',
             f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
             'stroke="#ccc"/>']
    for tick in (0, 7, 14, 21):
        ty = y(tick, 21)
        parts.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" '
                     'stroke="#e0e0e0"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{tick}</text>')
    for tick in (0, 1, 2, 3):  # the tests' own scale, on the right edge of the plot
        parts.append(f'<text x="{LEFT + plot_w - 4}" y="{y(tick, 3) - 3:.1f}" font-size="9" '
                     f'text-anchor="end" fill="#777">{tick}</text>')
    for i, row in enumerate(rows):
        label = escape(row["at"])
        parts.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 15}" font-size="11" '
                     f'text-anchor="middle" class="trend-date">{label}</text>')
        parts.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 30}" font-size="10" '
                     f'text-anchor="middle" fill="#555">{len(row["asymmetries"])} asym · '
                     f'{len(row["compensations"])} comp</text>')
    legend_y = TOP + 4
    for k, test in enumerate(FMS_TESTS):
        colour = COLOURS[k % len(COLOURS)]
        pts = [(x(i), y(r["fms_scores"].get(test), 3)) for i, r in enumerate(rows)
               if r["fms_scores"].get(test) is not None]
        if len(pts) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         'stroke-width="1" stroke-dasharray="3 2" opacity="0.7"/>')
        for px, py in pts:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>')
        parts.append(f'<text x="{LEFT + plot_w + 10}" y="{legend_y + 14 * (k + 1):.0f}" '
                     f'font-size="10" fill="{colour}">{escape(TEST_WORDS[test])} (0-3)</text>')
    totals = [(x(i), y(r["fms_total"], 21), r["fms_total"]) for i, r in enumerate(rows)
              if r["fms_total"] is not None]
    if len(totals) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in totals)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#111" stroke-width="3" '
                     'class="trend-total"/>')
    for px, py, value in totals:
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" fill="#111" '
                     f'class="trend-point" data-total="{value}"/>')
        parts.append(f'<text x="{px:.1f}" y="{py - 8:.1f}" font-size="12" font-weight="bold" '
                     f'text-anchor="middle">{value}</text>')
    parts.append(f'<text x="{LEFT + plot_w + 10}" y="{legend_y:.0f}" font-size="11" '
                 'font-weight="bold">FMS total (0-21)</text>')
    parts.append("</svg>")
    return "".join(parts)
