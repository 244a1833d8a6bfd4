"""Corrective program (CEC-1 order, CEC-2 acute variables) for in-scope clients."""

from __future__ import annotations

import datetime as dt
import marshal
from typing import Any, NamedTuple

from .config import DEFAULT_CONFIG, EngineConfig
from .library import LIBRARY, PHASES, Exercise
from .memo import register
from .restrictions import above_cap, avoided_tests, lower_cap
from .vocab import CLEARING_TESTS


def S_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks a staff text (only the staff catalogs extract ``S_``): the client page says
    a program's stored variables in the staff language (``_(v.technique)``)."""
    return text


# CEC-2 acute variables, with the tag of each row of the rules file.
VARIABLES: dict[str, dict[str, Any]] = {
    "inhibit": {"technique": S_("self-myofascial rolling"), "sets": "1-3",
                "hold": S_("30 s or more on each tender area (longer if needed to relax)"),
                "tag": "C"},
    "lengthen": {"technique": S_("static stretch"), "hold": S_("30 s"),
                 "note": "only muscles found probably overactive; follow with warm-up activity",
                 "tag": "C"},
    "activate": {"technique": S_("isolated strengthening"), "sets": "1-2", "reps": "10-15",
                 "tempo": S_("4 s eccentric, 2 s isometric hold, then concentric "
                             "(concentric duration unconfirmed)"),
                 "frequency": "3-5 days/week", "tag": "P"},
    "integrate": {"technique": S_("integrated dynamic movement"), "sets": "1-3",
                  "reps": "10-15", "tempo": S_("slow, controlled"), "tag": "U"},
}
TISSUE = {"inhibit": "overactive", "lengthen": "overactive", "activate": "underactive"}


def painful_patterns(assessment: dict[str, Any] | None, scoring: dict[str, Any]) -> list[str]:
    """Screened patterns that produced pain: never activated or integrated (CEC-2)."""
    found = list((scoring.get("fms") or {}).get("pain_zero") or [])
    for entry in (assessment or {}).get("pain_during") or []:
        found.append(CLEARING_TESTS.get(entry["test"], entry["test"]))
    return list(dict.fromkeys(found))


class Limits(NamedTuple):
    """What an exercise must respect: painful patterns (CEC-2), and a clinician's
    movements to avoid and intensity cap (DEC-5/7/9, restrictions.RestrictionsSchema)."""

    painful: list[str]
    avoid: list[str]
    cap: str | None


# Why an exercise is left out (stored with the program; the client page says them in
# the staff language: inscope_referral.staff_pages).
AVOIDED = S_("clinician: avoid %(movements)s")
ABOVE_CAP = S_("above %(cap)s intensity")
PAINFUL = S_("loads a painful pattern")


def why_excluded(exercise: Exercise, limits: Limits) -> str | None:
    """The reason an exercise is left out of the program, or None when it may go in."""
    avoided = [m for m in exercise.movements if m in limits.avoid] if limits.avoid else None
    if avoided:
        return AVOIDED % {"movements": ", ".join(avoided)}
    if limits.cap is not None and above_cap(exercise.intensity, limits.cap):
        return ABOVE_CAP % {"cap": limits.cap}
    if limits.painful and exercise.phase not in ("inhibit", "lengthen") and set(
            exercise.loads) & set(limits.painful):
        return PAINFUL
    return None


def _add(chosen: dict[str, dict[str, Any]], exercise: Exercise, why: dict[str, Any]) -> None:
    entry = chosen.get(exercise.id)
    if entry is None:  # built once per exercise, not for every reason it is picked
        entry = chosen[exercise.id] = {
            "id": exercise.id, "name": exercise.name, "cues": list(exercise.cues),
            "movements": list(exercise.movements), "intensity": exercise.intensity,
            "targets": [], "fms_focus": [], "for_patterns": []}
    for key, value in why.items():
        if value not in entry[key]:
            entry[key].append(value)


class _Phase(NamedTuple):
    """One phase's exercises, indexed once per library (in library order)."""

    pool: tuple[Exercise, ...]
    by_focus: dict[str, tuple[Exercise, ...]]  # FMS test -> exercises focused on it
    first_by_target: dict[str, Exercise]  # muscle -> the first exercise targeting it


def _index(library: tuple[Exercise, ...]) -> dict[str, _Phase]:
    phases: dict[str, _Phase] = {}
    for phase in dict.fromkeys(e.phase for e in library):
        pool = tuple(e for e in library if e.phase == phase)
        focus: dict[str, list[Exercise]] = {}
        first: dict[str, Exercise] = {}
        for exercise in pool:
            for test in dict.fromkeys(exercise.fms_focus):
                focus.setdefault(test, []).append(exercise)
            for muscle in exercise.targets:
                first.setdefault(muscle, exercise)
        phases[phase] = _Phase(pool, {k: tuple(v) for k, v in focus.items()}, first)
    return phases


_BY_PHASE = _index(LIBRARY)
_EMPTY_PHASE = _Phase((), {}, {})


class _Picks(NamedTuple):
    """One build_program call's limits, with each exercise's verdict worked out once."""

    limits: Limits
    verdicts: dict[str, str | None]  # exercise id -> why_excluded
    excluded: list[dict[str, str]]
    listed: set[tuple[str, str]]  # (id, reason) already in ``excluded``


def _select(phase: str, scoring: dict[str, Any], picks: _Picks,
            uncovered: list[dict[str, str]]) -> list[dict]:
    imbalances = scoring.get("imbalances") or {}
    conflicts = set(imbalances.get("conflicts") or [])
    index = _BY_PHASE.get(phase, _EMPTY_PHASE)
    chosen: dict[str, dict[str, Any]] = {}
    for test in (scoring.get("fms") or {}).get("priorities") or []:
        for exercise in index.by_focus.get(test, ()):
            _pick(exercise, {"fms_focus": test}, picks, chosen)
    for item in imbalances.get(TISSUE.get(phase, ""), []) if phase in TISSUE else []:
        if item["muscle"] in conflicts:
            continue
        match = index.first_by_target.get(item["muscle"])
        if match is None:
            uncovered.append({"muscle": item["muscle"], "phase": phase})
            continue
        target = {"muscle": item["muscle"], "side": item["side"]}
        _pick(match, {"targets": target}, picks, chosen)
    if phase == "integrate":
        observed = _observed(scoring)
        for exercise in index.pool:
            for name in (c for c in exercise.compensations if c in observed):
                _pick(exercise, {"for_patterns": name}, picks, chosen)
    return list(chosen.values())


def _pick(exercise: Exercise, why: dict[str, Any], picks: _Picks,
          chosen: dict[str, dict[str, Any]]) -> None:
    verdicts = picks.verdicts
    if exercise.id in verdicts:
        reason = verdicts[exercise.id]
    else:
        reason = verdicts[exercise.id] = why_excluded(exercise, picks.limits)
    if reason is None:
        _add(chosen, exercise, why)
    elif (exercise.id, reason) not in picks.listed:
        picks.listed.add((exercise.id, reason))
        picks.excluded.append({"id": exercise.id, "reason": reason})


def _observed(scoring: dict[str, Any]) -> set[str]:
    imbalances = scoring.get("imbalances") or {}
    sources = {s.rsplit(":", 1)[1] for key in ("overactive", "underactive")
               for m in imbalances.get(key, []) for s in m["sources"]}
    return sources | set(imbalances.get("patterns") or [])


def movement_priorities(scoring: dict[str, Any]) -> list[str]:
    """DEC-8 findings as program priorities (asymmetric single-leg findings first),
    e.g. ``single_leg_squat:left:knees_move_inward``, ``pushing:shoulders_elevate``."""
    found = scoring.get("movement_assessments") or {}
    legs = found.get("single_leg_squat") or {}
    single = [f"single_leg_squat:{side}:{name}" for side in ("left", "right")
              for name in legs.get(side) or []]
    if not legs.get("asymmetry"):
        single.sort()
    pushes = [f"{test}:{name}" for test in ("pushing", "pulling") for name in found.get(test) or []]
    return single + pushes


def build_program(scoring: dict[str, Any], *, as_of: dt.date, intensity_cap: str | None,
                  assessment: dict[str, Any] | None = None, guidelines: list[str] | None = None,
                  config: EngineConfig | None = None,
                  restrictions: dict[str, Any] | None = None) -> dict[str, Any]:
    """Inhibit, lengthen, activate, integrate (CEC-1) from the probable imbalances and
    FMS priorities, with CEC-2 variables and a re-assessment date (OHSA-3).
    ``restrictions`` (restrictions.RestrictionsSchema, DEC-5/DEC-7/DEC-9): exercises
    tagged with an avoided movement, or above the lower of ``intensity_cap`` and the
    restrictions' cap, are left out (listed in ``restrictions.excluded_exercises``)."""
    cfg = config or DEFAULT_CONFIG
    painful = painful_patterns(assessment, scoring)
    limits = Limits(painful, list((restrictions or {}).get("avoid_movements") or []),
                    lower_cap(intensity_cap, (restrictions or {}).get("max_intensity")))
    selected, excluded, uncovered = _core(scoring, limits, cfg.max_exercises_per_phase)
    phases = [{"order": order, "phase": phase, "variables": VARIABLES[phase],
               "exercises": exercises, "left_out_over_limit": list(over)}
              for order, (phase, exercises, over) in enumerate(selected, start=1)]
    imbalances = scoring.get("imbalances") or {}
    return {
        "rules": ["CEC-1", "CEC-2", "SYS-5", "SYS-6", "OHSA-3"],
        "phases": phases,
        "intensity_cap": limits.cap,
        "fms_priorities": (scoring.get("fms") or {}).get("priorities", []),
        "movement_priorities": movement_priorities(scoring),
        "patterns": imbalances.get("patterns", []),
        # The screened patterns not to load: painful ones and those under an avoided tag.
        "restrictions": {"avoid_loading": painful + [t for t in avoided_tests(restrictions)
                                                     if t not in painful],
                         "avoid_movements": limits.avoid,
                         "excluded_exercises": excluded,
                         "clinician_guidelines": list(guidelines or []),
                         "clinician": restrictions},
        "conflicts_for_trainer_review": imbalances.get("conflicts", []),
        "not_in_library": uncovered,
        "reassess_on": (as_of + dt.timedelta(weeks=cfg.reassess_weeks)).isoformat(),
        "wording": "Targets are probable imbalances (hypotheses for exercise selection), "
                   "not a diagnosis; the program does not promise to correct pain.",
    }


# Issue 13: the selection depends on nothing but the FMS priorities, the probable
# imbalances (muscle and side, conflicts, observed compensations), the limits and the
# phase size (the library is fixed), and the same assessment is programmed again at
# every re-decision (a clinician's answer, a re-screen): selected once per process for
# each such key met twice (one met once is not kept: no copying for it). What is kept
# is marshalled and never handed out: each call gets its own copy, made in one C call
# (marshal.loads) rather than exercise by exercise. Bounded: emptied when full.
_Selected = tuple[list[tuple[str, list[dict[str, Any]], list[str]]],
                  list[dict[str, str]], list[dict[str, str]]]
_CORES: dict[tuple[Any, ...], bytes] = register({})
_MET: set[tuple[Any, ...]] = register(set())  # keys met once
CORE_CACHE_SIZE = 256  # a program is about 10 kB of dicts: a few MB at most


def _core(scoring: dict[str, Any], limits: Limits, limit: int) -> _Selected:
    """The selection for these inputs (the caller's own)."""
    imbalances = scoring.get("imbalances") or {}
    key = (tuple((scoring.get("fms") or {}).get("priorities") or ()),
           # (muscle, side, its sources...): the sources and patterns give _observed
           tuple((m["muscle"], m["side"], *m["sources"])
                 for m in imbalances.get("overactive", [])),
           tuple((m["muscle"], m["side"], *m["sources"])
                 for m in imbalances.get("underactive", [])),
           tuple(imbalances.get("conflicts") or ()), tuple(imbalances.get("patterns") or ()),
           tuple(limits.painful), tuple(limits.avoid), limits.cap, limit)
    core = _CORES.get(key)
    if core is not None:
        return marshal.loads(core)  # type: ignore[no-any-return]
    selected = _select_all(scoring, limits, limit)
    if key not in _MET:
        if len(_MET) >= 4 * CORE_CACHE_SIZE:
            _MET.clear()
        _MET.add(key)
        return selected
    try:
        kept = marshal.dumps(selected)
    except ValueError:  # (not plain data: not kept)
        return selected
    if len(_CORES) >= CORE_CACHE_SIZE:
        _CORES.clear()
    _CORES[key] = kept
    return selected


def _select_all(scoring: dict[str, Any], limits: Limits, limit: int) -> _Selected:
    """Each phase's exercises (at most ``limit``, and the ids left out over it), the
    exercises excluded and the muscles the library does not cover."""
    excluded: list[dict[str, str]] = []
    picks = _Picks(limits, {}, excluded, set())
    uncovered: list[dict[str, str]] = []
    phases = []
    for phase in PHASES:
        exercises = _select(phase, scoring, picks, uncovered)
        phases.append((phase, exercises[:limit], [e["id"] for e in exercises[limit:]]))
    return phases, excluded, uncovered

