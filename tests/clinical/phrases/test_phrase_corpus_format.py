"""Shape of the free-text phrase corpus (DEC-2, issue 10 item 2).

This checks the data only: identifiers exist in the engine's vocabulary, every flag has
enough phrasings, tuning and holdout do not overlap. It never scores a matcher and never
prints a phrase, so running it does not expose the holdout part.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from inscope_clinical import vocab

HERE = Path(__file__).parent
TUNING_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PARTS = ("tuning", "holdout")
# Every later round (phrases/rounds.yaml: tuned, partly tuned and the blind check).
ROUND_DIRS = tuple(d for group in yaml.safe_load((HERE / "rounds.yaml").read_text(
    encoding="utf-8")).values() for d in group)
GRADES = {"emergency", "urgent", "routine", "hold", "algorithm", "none"}
KEYS = ["flag", "rule", "grade", "grade_config", "accept_also", "note", "split",
        "positives", "negatives"]
ACSM_DISEASES = ("known_cv_disease", "known_metabolic_disease", "known_renal_disease")
CONFIG_KEYS = {"acsm_sign_urgency", "parq6_urgency", "major_motor_loss_urgency",
               "calf_dvt_urgency"}


def engine_identifiers() -> set[str]:
    ids = {f"red_flags.{q}" for q in vocab.RED_FLAG_QUESTIONS}
    ids |= {f"acsm.signs_symptoms.{s}" for s in vocab.ACSM_SIGNS}
    ids |= {f"acsm.{d}" for d in ACSM_DISEASES}
    ids |= {f"parq.general.{g}" for g in vocab.PARQ_GENERAL}
    ids |= {f"parq.delay.{d}" for d in vocab.PARQ_DELAY}
    ids |= {f"parq.followups.{sec}.{sub}" for sec, subs in vocab.PARQ_SECTIONS.items()
            for sub in ("gate", *subs)}
    return ids


def read(path: Path) -> dict:
    """One phrase file. Tuning files with libyaml's loader (the same documents as the
    pure-Python one for every tuning file, ten times faster); holdout files with the
    pure-Python loader, as tests/clinical/phrase_yaml.py does."""
    loader = yaml.SafeLoader if path.parent.name == "holdout" else TUNING_LOADER
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def load(part: str) -> dict[str | None, dict]:
    """All entries of one part, keyed by flag (None = the general negatives)."""
    out: dict[str | None, dict] = {}
    for path in sorted((HERE / part).glob("*.yaml")):
        doc = read(path)
        assert doc["flag"] not in out, path.name
        out[doc["flag"]] = doc
    return out


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str | None, dict]]:
    return {part: load(part) for part in PARTS}


def test_every_engine_identifier_has_an_entry_and_no_other(corpus):
    for part in PARTS:
        flags = set(corpus[part]) - {None}
        assert flags == engine_identifiers(), part
        assert None in corpus[part], f"{part}: general_negatives.yaml missing"


def test_entry_shape(corpus):
    for part in PARTS:
        for flag, doc in corpus[part].items():
            assert list(doc) == KEYS, (part, flag)
            assert doc["split"] == part
            assert doc["grade"] in GRADES, (part, flag)
            assert doc["grade_config"] in CONFIG_KEYS | {None}, (part, flag)
            assert set(doc["accept_also"]) <= engine_identifiers(), (part, flag)
            for key in ("positives", "negatives"):
                assert all(isinstance(p, str) and p.strip() for p in doc[key]), (part, flag)
            if flag is None:
                assert doc["positives"] == [] and doc["grade"] == "none"


def test_counts_and_split(corpus):
    for flag in engine_identifiers():
        tun, hold = corpus["tuning"][flag], corpus["holdout"][flag]
        assert (tun["grade"], tun["rule"]) == (hold["grade"], hold["rule"]), flag
        for key, minimum in (("positives", 10), ("negatives", 5)):
            total = len(tun[key]) + len(hold[key])
            assert total >= minimum, (flag, key, total)
            assert round(total / 3) == len(hold[key]), (flag, key)
            # a count, not the set: pytest would print holdout phrases on failure
            overlap = len({p.lower() for p in tun[key]} & {p.lower() for p in hold[key]})
            assert overlap == 0, (flag, key)
        pos = {p.lower() for p in tun["positives"] + hold["positives"]}
        neg = {p.lower() for p in tun["negatives"] + hold["negatives"]}
        assert len(pos & neg) == 0, flag


def test_general_negatives_are_nobodys_positive(corpus):
    positives = {p.lower() for part in PARTS for doc in corpus[part].values()
                 for p in doc["positives"]}
    general = [p.lower() for part in PARTS for p in corpus[part][None]["negatives"]]
    assert len(general) >= 50
    assert len(positives & set(general)) == 0


EXTRA_KEYS = ["flag", "split", "positives", "negatives"]


def test_tuning_extra_shape(corpus):
    """tuning_extra/ and tuning_compose/: phrases written after the matcher had been
    read (README, third and fourth batches). Tuning only, so no holdout share; never
    the same text as a phrase of the same flag elsewhere, and never one of the general
    negatives' positives. Overlap with holdout/ is checked by count only (no phrase is
    shown)."""
    positives = {p.lower() for part in PARTS for doc in corpus[part].values()
                 for p in doc["positives"]}
    for path in [p for d in ROUND_DIRS
                 for p in sorted((HERE / d).glob("*.yaml"))]:
        doc = read(path)
        flag = doc["flag"]
        assert list(doc) == EXTRA_KEYS and doc["split"] == "tuning", path.name
        assert path.stem == (flag or "general_negatives"), path.name
        assert flag is None or flag in engine_identifiers(), path.name
        mine = [p.lower() for p in doc["positives"] + doc["negatives"]]
        assert len(mine) == len(set(mine)), path.name
        for part in PARTS:
            other = corpus[part][flag]
            seen = {p.lower() for p in other["positives"] + other["negatives"]}
            same = len(seen & set(mine))  # a count: a set would print holdout phrases
            assert same == 0, (path.name, part)
        if flag is None:
            assert doc["positives"] == []
            assert len(positives & set(mine)) == 0, path.name
        else:
            assert not {p.lower() for p in doc["positives"]} & \
                {p.lower() for p in doc["negatives"]}, path.name
