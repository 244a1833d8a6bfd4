"""DEC-2: the free-text matcher generalises from the tuning phrases (perturbation test).

A seeded sample of the one-change variants that ``perturb.py`` makes of the emergency
and urgent positives of ``tuning/`` (the original writer's files, never holdout/) for the
six flags whose holdout phrases were missed, and of their negatives. Each kind of change
has a ceiling of missed variants: 0 where the matcher must not care (another writer -
except a relative as bare subject, which is left to its own rule - time words, a benign
sentence, case, punctuation, clause order, British/American spelling) and the level
reached for typing slips (a slip in a word of three or four letters is often another
word: "bond", "hut", "pan" stay unread). A negative must not start firing because its
words were rewritten (typing slips in the negation itself are left out: a slip in "no"
or "denies" reads as unclear, and unclear fires).
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from perturb import SIX, TYPOS, hit_fn, load_docs, variants

SAMPLE = 0.5  # share of each phrase's variants checked (seeded)
SEED = 20261205
# typing slips missed / tried, per flag: the level reached with the typo speller (all
# variants, tuning/) and about two points to spare; before it (main b94c93c, which had
# already added the six flags' own words to the speller): 22 %, 20 %, 11 %, 20 %, 9 %
# and 29 %
TYPO_CEILING = {"red_flags.major_motor_loss": 0.10,
                "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea": 0.06,
                "red_flags.bladder_dysfunction": 0.07,
                "red_flags.ankle_or_midfoot_bone_tenderness": 0.10,
                "red_flags.inflammatory_back_pain_features": 0.04,
                "acsm.signs_symptoms.intermittent_claudication": 0.16}
STRICT = ("uk_us", "time", "subj_he", "subj_she", "subj_clerk", "subj_client", "subj_cio",
          "rel_reports", "reorder", "benign", "lower", "upper", "punct")


def _sample(phrases: list[str], rng: random.Random) -> list[tuple[str, str]]:
    out = []
    for phrase in phrases:
        for kind, v in variants(phrase):
            if kind == "rel_bare":
                continue
            if kind in STRICT or rng.random() < SAMPLE:
                out.append((kind, v))
    return out


@pytest.fixture(scope="module")
def docs() -> dict:
    return load_docs(["tuning"])


@pytest.mark.parametrize("flag", SIX)
def test_variants_of_positives_keep_firing(flag: str, docs: dict) -> None:
    doc = docs[flag]
    positive, _ = hit_fn(doc)
    rng = random.Random(f"{SEED}:{flag}")
    tried: Counter[str] = Counter()
    missed: dict[str, list[str]] = {}
    for kind, v in _sample([p for p in doc["positives"] if positive(p)], rng):
        tried[kind] += 1
        if not positive(v):
            missed.setdefault(kind, []).append(v)
    strict = {k: v for k, v in missed.items() if k in STRICT}
    assert not strict, strict
    slips = sum(len(missed.get(k, [])) for k in TYPOS)
    assert slips <= TYPO_CEILING[flag] * sum(tried[k] for k in TYPOS), missed


@pytest.mark.parametrize("flag", SIX)
def test_variants_of_negatives_do_not_fire(flag: str, docs: dict) -> None:
    doc = docs[flag]
    _, fires = hit_fn(doc)
    rng = random.Random(f"{SEED}:{flag}:neg")
    fired = []
    for phrase in doc["negatives"]:
        if fires(phrase):
            continue
        for kind, v in _sample([phrase], rng):
            if kind in TYPOS or kind.startswith("rel_"):
                continue
            # "tired ... after lunch" + "lately": new, so unclear (fires); a time word
            # may make a benign tiredness a change
            if kind == "time":
                continue
            if fires(v):
                fired.append((kind, v))
    assert not fired, fired
