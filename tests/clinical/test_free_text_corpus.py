"""DEC-2 scoring: the free-text matcher against the phrase corpus (issue 10 item 2).

Each phrase goes alone into the intake notes of an otherwise in-scope client (every
structured answer NO) and the engine decides. A positive is a hit when the matcher
reports its flag (or an ``accept_also``) and, for graded flags, the decision's urgency
is at least the grade (the configured value where the grade is configurable). A
negative must not fire its flag; a general negative must fire nothing.

Figures are printed per flag (run with ``-s``) for ``tuning/`` and ``holdout/``
separately. Only counts are ever printed or asserted for ``holdout/``: its phrases are
never shown, so they cannot be tuned on (see phrases/README.md).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phrase_yaml
import pytest
import yaml
from clinical_builders import consistent_parq, raw_intake

from inscope_clinical import IntakeSchema, decide
from inscope_clinical.config import DEFAULT_CONFIG
from inscope_clinical.reasons import URGENCIES

HERE = Path(__file__).parent / "phrases"
AS_OF = dt.date(2026, 12, 1)
GRADED = ("emergency", "urgent", "routine")
# Every round after tuning/ and holdout/ is listed once, in phrases/rounds.yaml.
ROUNDS = yaml.safe_load((HERE / "rounds.yaml").read_text(encoding="utf-8"))
TUNING_MORE = tuple(ROUNDS["tuned"])
# Blind rounds scored on their own part, each asserted at the level it reached
# (docs/clinical-engine.md): "partly_tuned", tuned on but not to 100 % (its misses are the
# next session's work); "blind_check", never tuned on: its first-sight figure is the
# latest honest estimate of how the reader does on new writers. Readable, unlike holdout/.
CHECKS = {"partly_tuned": tuple(ROUNDS["partly_tuned"]),
          "blind_check": tuple(ROUNDS["blind_check"])}
# The sixtieth round's first sight (2026-12-07, docs/clinical-engine.md): 370/430
# positives, 45/215 negatives firing. Its phrases are not printed or read while tuning.
BLIND_EU, BLIND_FP = 0.860, 0.210
# Issue 10: required on the tuning part. The holdout part is asserted at the level it
# honestly reached when the lexicon was last changed (see docs/clinical-engine.md).
REQUIRED = {"tuning": {"recall_emergency_urgent": 1.0, "recall": 0.95, "fp": 0.05,
                       "general": 0.05},
            "holdout": {"recall_emergency_urgent": 0.989, "recall": 0.954, "fp": 0.05,
                        "general": 0.10},
            "partly_tuned": {"recall_emergency_urgent": 0.972, "recall": 0.972, "fp": 0.025,
                             "general": 0.0},
            "blind_check": {"recall_emergency_urgent": BLIND_EU, "recall": BLIND_EU,
                            "fp": BLIND_FP, "general": 0.0}}


@dataclass
class Score:
    flag: str
    grade: str
    hits: int = 0
    positives: int = 0
    false_positives: int = 0
    negatives: int = 0
    # Why positives were missed (counts, for both parts): the flag was found but graded
    # below its grade, or only other flags were found.
    undergraded: int = 0
    other_flags: int = 0
    # Phrases are kept for the tuning part only (never for holdout/), and never in repr.
    missed: list[str] = field(default_factory=list, repr=False)
    fired_on: list[str] = field(default_factory=list, repr=False)


def load(part: str) -> list[dict[str, Any]]:
    """One document per flag; ``tuning`` includes ``tuning_extra/`` and
    ``tuning_compose/`` (phrases written after the matcher had been read: tuning only,
    see phrases/README.md)."""
    if part in CHECKS:  # the grades and accepted flags are tuning/'s
        meta = {d["flag"]: d for d in load("tuning")}
        found: dict[Any, dict[str, Any]] = {None: {**meta[None], "negatives": []}}
        for path in [p for d in CHECKS[part] for p in sorted((HERE / d).glob("*.yaml"))]:
            more = phrase_yaml.load(path)
            doc = found.setdefault(more["flag"], {**meta[more["flag"]], "positives": [],
                                                  "negatives": []})
            doc["positives"] = doc["positives"] + more["positives"]
            doc["negatives"] = doc["negatives"] + more["negatives"]
        return list(found.values())
    docs = [phrase_yaml.load(p)
            for p in sorted((HERE / part).glob("*.yaml"))]
    if part == "tuning":
        by_flag = {d["flag"]: d for d in docs}
        for extra in [p for d in TUNING_MORE for p in sorted((HERE / d).glob("*.yaml"))]:
            more = phrase_yaml.load(extra)
            doc = by_flag[more["flag"]]
            doc["positives"] = doc["positives"] + more["positives"]
            doc["negatives"] = doc["negatives"] + more["negatives"]
    return docs


BASE = IntakeSchema().load(raw_intake())
# PARQ-4: a sub-question whose words do not name its condition is asked only when its
# section's gate is YES (PAR-Q+ 5e, planning vigorous exercise: section 5, metabolic).
# Its phrases are scored for a client who answered that gate YES and every sub-question
# NO (as first_episode_axial_back_pain is scored at age 70); elsewhere a plan alone is
# not 5e (test_free_text_lexicon).
GATED = {"parq.followups.s5_metabolic.e": IntakeSchema().load(
    consistent_parq(raw_intake(), ["known_metabolic_disease"]))}


def decide_notes(text: str, age: int, base: dict[str, Any] = BASE) -> dict[str, Any]:
    intake = copy.deepcopy(base)
    intake["notes"] = text
    return decide(intake, age_years=age, as_of=AS_OF)


def reported(decision: dict[str, Any]) -> set[str]:
    """Every flag the matcher reported as a current mention."""
    found: set[str] = set()
    for r in decision["reasons"]:
        if r["rule"] == "SYS-7":
            found.update(r["facts"].get("flags") or [])
    return found


def wanted_urgency(doc: dict[str, Any]) -> str | None:
    if doc["grade"] not in GRADED:
        return None
    if doc["grade_config"]:
        return str(getattr(DEFAULT_CONFIG, doc["grade_config"]))
    return str(doc["grade"])


def score(part: str) -> tuple[list[Score], int, int]:
    keep = part not in ("holdout", "blind_check")  # never shown: counts only
    docs = load(part)
    general = next(d for d in docs if d["flag"] is None)["negatives"]
    general_fired = [p for p in general if reported(decide_notes(p, 30))]
    fired_count = len(general_fired)
    scores = []
    for doc in docs:
        if doc["flag"] is None:
            continue
        flag, ok = doc["flag"], {doc["flag"], *doc["accept_also"]}
        age = 70 if flag.endswith("first_episode_axial_back_pain") else 30
        base = GATED.get(flag, BASE)
        s = Score(flag, doc["grade"])
        urgency = wanted_urgency(doc)
        for phrase in doc["positives"]:
            decision = decide_notes(phrase, age, base)
            hit = bool(reported(decision) & ok) and (
                urgency is None
                or URGENCIES.index(decision["urgency"]) >= URGENCIES.index(urgency))
            s.positives += 1
            s.hits += hit
            if not hit:
                found = reported(decision)
                s.undergraded += bool(found & ok)
                s.other_flags += bool(found) and not found & ok
            if not hit and keep:
                s.missed.append(phrase)
        for phrase in doc["negatives"]:
            s.negatives += 1
            if flag in reported(decide_notes(phrase, age, base)):
                s.false_positives += 1
                if keep:
                    s.fired_on.append(phrase)
        for phrase in general_fired:
            if flag in reported(decide_notes(phrase, 30)):
                s.false_positives += 1
                if keep:
                    s.fired_on.append(phrase)
        s.negatives += len(general)
        scores.append(s)
    return scores, fired_count, len(general)


def table(part: str, scores: list[Score], general_fired: int, general: int) -> Iterator[str]:
    label = {"tuning": "tuned on", "partly_tuned": "tuned on, not to 100 % yet",
             "blind_check": "blind, never tuned on"}.get(part, "set aside")
    yield f"\nDEC-2 free-text corpus, {part} ({label})"
    yield f"{'flag':58} {'grade':9} {'recall':>12} {'false pos.':>12}"
    for s in scores:
        yield (f"{s.flag:58} {s.grade:9} {s.hits:>4}/{s.positives:<4} {s.hits / s.positives:>5.0%}"
               f" {s.false_positives:>4}/{s.negatives:<4} {s.false_positives / s.negatives:>5.0%}")
    tot = _totals(scores)
    yield (f"{'overall':58} {'':9} {tot['hits']:>4}/{tot['positives']:<4} {tot['recall']:>5.1%}"
           f" {tot['fp']:>4}/{tot['negatives']:<4} {tot['fp_rate']:>5.1%}")
    yield (f"{'emergency + urgent flags':58} {'':9} {tot['eu_hits']:>4}/{tot['eu']:<4}"
           f" {tot['recall_eu']:>5.1%}")
    yield f"general negatives firing anything: {general_fired}/{general}"
    eu = [s for s in scores if s.grade in ("emergency", "urgent")]
    yield (f"emergency + urgent misses: {sum(s.undergraded for s in eu)} found but graded "
           f"lower, {sum(s.other_flags for s in eu)} read as other flags only, "
           f"{sum(s.positives - s.hits - s.undergraded - s.other_flags for s in eu)} "
           f"found nothing")
    for s in eu:
        if s.hits < s.positives:
            yield (f"  {s.flag}: {s.undergraded} graded lower, {s.other_flags} other flags, "
                   f"{s.positives - s.hits - s.undergraded - s.other_flags} nothing")


def _totals(scores: list[Score]) -> dict[str, Any]:
    eu = [s for s in scores if s.grade in ("emergency", "urgent")]
    hits, positives = sum(s.hits for s in scores), sum(s.positives for s in scores)
    fp, negatives = sum(s.false_positives for s in scores), sum(s.negatives for s in scores)
    eu_hits, eu_pos = sum(s.hits for s in eu), sum(s.positives for s in eu)
    return {"hits": hits, "positives": positives, "recall": hits / positives, "fp": fp,
            "negatives": negatives, "fp_rate": fp / negatives, "eu_hits": eu_hits, "eu": eu_pos,
            "recall_eu": eu_hits / eu_pos}


@functools.cache
def scored(part: str) -> tuple[list[Score], int, int]:
    """Score one part once per run and print its per-flag table (figures only; shown
    with ``pytest -s``). Each part is scored only when its own test runs, so
    deselecting the holdout test (``-k tuning``) does not read holdout/ at all."""
    result = score(part)
    print("\n".join(table(part, *result)))
    return result


def test_tuning_part_meets_issue_10() -> None:
    s, fired, general = scored("tuning")
    tot, need = _totals(s), REQUIRED["tuning"]
    missed = {x.flag: x.missed for x in s if x.missed and x.grade in ("emergency", "urgent")}
    assert tot["recall_eu"] >= need["recall_emergency_urgent"], missed
    assert tot["recall"] >= need["recall"], {x.flag: x.missed for x in s if x.missed}
    assert tot["fp_rate"] <= need["fp"], {x.flag: x.fired_on for x in s if x.fired_on}
    worst = [x for x in s if x.false_positives / x.negatives > need["fp"]]
    assert not worst, {x.flag: x.fired_on for x in worst}
    assert fired / general <= need["general"]


@pytest.mark.parametrize("part", sorted(CHECKS))
def test_blind_round_figures(part: str) -> None:
    """Blind rounds outside the tuning part: kept at the level each reached."""
    s, _, _ = scored(part)
    tot, need = _totals(s), REQUIRED[part]
    assert tot["recall_eu"] >= need["recall_emergency_urgent"], \
        {x.flag: x.missed for x in s if x.missed}
    assert tot["recall"] >= need["recall"], (tot["hits"], tot["positives"])
    assert tot["fp_rate"] <= need["fp"], {x.flag: x.fired_on for x in s if x.fired_on}


def test_holdout_part_figures() -> None:
    """Counts only: a holdout phrase is never printed (phrases/README.md rule 1)."""
    s, fired, general = scored("holdout")
    tot, need = _totals(s), REQUIRED["holdout"]
    assert tot["recall_eu"] >= need["recall_emergency_urgent"], (tot["eu_hits"], tot["eu"])
    assert tot["recall"] >= need["recall"], (tot["hits"], tot["positives"])
    assert tot["fp_rate"] <= need["fp"], (tot["fp"], tot["negatives"])
    assert fired / general <= need["general"], (fired, general)
