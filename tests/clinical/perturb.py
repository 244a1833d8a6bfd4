"""Perturbation stress test of the free-text matcher (DEC-2, issue 10 item 2).

Takes the emergency and urgent positives (and the negatives) of the tuning phrase files
and rewrites each phrase in small, realistic ways, one change at a time: a typing slip in
one content word (a letter dropped, doubled, two letters swapped, a neighbouring key),
British/American spelling, an inserted time phrase, another writer (third person, a
clerk's "pt reports", a relative reporting, a relative as bare subject), reordered
clauses or sentences, a benign sentence before or after, a clause about something else
joined by a comma before or after (``aside``), lower/upper case, punctuation removed.
Every variant is decided the way test_free_text_corpus.py decides a phrase (alone
in the notes of an otherwise in-scope client) and the variants that no longer fire the
expected flag (positives) or that start firing it (negatives) are counted per flag and
per kind of perturbation.

Only tuning parts are ever read (never holdout/). Deterministic: every random choice is
seeded from the phrase and the kind (crc32), so two runs give the same variants.

    .venv/bin/python tests/clinical/perturb.py                    # six flags, tuning/
    .venv/bin/python tests/clinical/perturb.py --flags all --parts tuning,tuning_blind8a
    .venv/bin/python tests/clinical/perturb.py --show typo_key     # list failures of a kind
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import phrase_yaml  # noqa: E402
from test_free_text_corpus import (  # noqa: E402
    BASE,
    GATED,
    URGENCIES,
    decide_notes,
    reported,
    wanted_urgency,
)

HERE = Path(__file__).parent / "phrases"
SIX = ("red_flags.major_motor_loss", "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea",
       "red_flags.bladder_dysfunction", "red_flags.ankle_or_midfoot_bone_tenderness",
       "red_flags.inflammatory_back_pain_features",
       "acsm.signs_symptoms.intermittent_claudication")

# ------------------------------------------------------------------ perturbations

_STOP_TEXT = """a an the and or but if of in on at to for from with without by as is
are was were be been being am do does did done have has had having i i'm i've im me my
myself he she his her him they them their it its it's this that these those there then
than so very too not no nor can can't cannot won't don't doesn't didn't couldn't just
only up down out over off into onto about after before when while what which who whom
whose all any some more most much many such own same other again also still even now
get gets got go goes went going back yes per x"""
STOP = frozenset(_STOP_TEXT.split())

# QWERTY neighbours (letters only)
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_POS = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}


def _neighbours(c: str) -> list[str]:
    if c not in _POS:
        return []
    r, i = _POS[c]
    out = []
    for dr in (-1, 0, 1):
        rr = r + dr
        if not 0 <= rr < 3:
            continue
        for di in ((-1, 1) if dr == 0 else (0, 1) if dr == -1 else (-1, 0)):
            ii = i + di
            if 0 <= ii < len(_ROWS[rr]):
                out.append(_ROWS[rr][ii])
    return out


def _rng(text: str, kind: str) -> random.Random:
    return random.Random(zlib.crc32(f"{kind}\x00{text}".encode()))


_WORD = re.compile(r"[A-Za-z]+")


def content_words(text: str) -> list[re.Match[str]]:
    return [m for m in _WORD.finditer(text)
            if len(m.group(0)) >= 4 and m.group(0).lower() not in STOP]


def _typo(word: str, kind: str, rng: random.Random) -> str | None:
    n = len(word)
    if kind == "typo_drop":
        i = rng.randrange(1, n)  # keep the first letter (clients rarely slip there)
        return word[:i] + word[i + 1:]
    if kind == "typo_double":
        i = rng.randrange(1, n)
        return word[:i + 1] + word[i] + word[i + 1:]
    if kind == "typo_swap":
        choices = [i for i in range(1, n - 1) if word[i] != word[i + 1]]
        if not choices:
            return None
        i = rng.choice(choices)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "typo_key":
        choices = [i for i in range(1, n) if _neighbours(word[i].lower())]
        if not choices:
            return None
        i = rng.choice(choices)
        new = rng.choice(_neighbours(word[i].lower()))
        new = new.upper() if word[i].isupper() else new
        return word[:i] + new + word[i + 1:]
    raise ValueError(kind)


TYPOS = ("typo_drop", "typo_double", "typo_swap", "typo_key")


def typo_variants(text: str, kind: str) -> Iterator[str]:
    """One slip in each content word in turn (one variant per word)."""
    for m in content_words(text):
        rng = _rng(f"{text}\x00{m.start()}", kind)
        new = _typo(m.group(0), kind, rng)
        if new and new.lower() != m.group(0).lower():
            yield text[:m.start()] + new + text[m.end():]


# British <-> American (and the common -ise/-ize, -our/-or, ae/e, oe/e pairs)
_UK_US = [("oedema", "edema"), ("anaemia", "anemia"), ("anaemic", "anemic"),
          ("haem", "hem"), ("oesoph", "esoph"), ("orthopaed", "orthoped"),
          ("paed", "ped"), ("ischaem", "ischem"), ("dyspnoea", "dyspnea"),
          ("orthopnoea", "orthopnea"), ("apnoea", "apnea"), ("diarrhoea", "diarrhea"),
          ("colour", "color"), ("behaviour", "behavior"), ("tumour", "tumor"),
          ("favour", "favor"), ("neighbour", "neighbor"), ("labour", "labor"),
          ("centre", "center"), ("metre", "meter"), ("litre", "liter"),
          ("tiring", "tiring"), ("travell", "travel"), ("practise", "practice"),
          ("mum", "mom"), ("programme", "program"), ("grey", "gray"), ("tyre", "tire"),
          ("jewellery", "jewelry"), ("storey", "story"), ("pyjama", "pajama"),
          ("ageing", "aging"), ("sulph", "sulf"), ("foetal", "fetal"),
          ("stabilis", "stabiliz"), ("mobilis", "mobiliz"), ("immobilis", "immobiliz"),
          ("realis", "realiz"), ("recognis", "recogniz"), ("organis", "organiz"),
          ("hospitalis", "hospitaliz"), ("paralys", "paralyz"), ("analys", "analyz"),
          ("catheteris", "catheteriz"), ("x-ray", "xray"), ("a&e", "er"),
          ("gp", "doctor"), ("physio", "pt"), ("holiday", "vacation"), ("queue", "line"),
          ("trousers", "pants"), ("pavement", "sidewalk"), ("lift", "elevator"),
          ("chemist", "pharmacy"), ("fortnight", "two weeks"), ("shopping centre", "mall"),
          ("football", "soccer"), ("loo", "bathroom"), ("motorway", "highway"),
          ("jumper", "sweater")]
_UK_US = [(a, b) for a, b in _UK_US if a != b]


# stems (a prefix of the word) vs whole words
_STEMS = frozenset(("oedema", "anaemia", "anaemic", "haem", "oesoph", "orthopaed", "paed",
                    "ischaem", "dyspnoea", "orthopnoea", "apnoea", "diarrhoea", "colour",
                    "behaviour", "tumour", "favour", "neighbour", "labour", "centre",
                    "metre", "litre", "travell", "sulph", "stabilis", "mobilis",
                    "immobilis", "realis", "recognis", "organis", "hospitalis", "paralys",
                    "analys", "catheteris", "pyjama"))


def spelling_variants(text: str) -> Iterator[str]:
    low = text.lower()
    for uk, us in _UK_US:
        for a, b in ((uk, us), (us, uk)):
            if "lift" in (a, b) or "pt" in (a, b) or "line" in (a, b):
                continue  # the verb "lift" is not the elevator; "pt" is the patient
            tail = r"" if uk in _STEMS else r"\b"
            pattern = rf"\b{re.escape(a)}{tail}"
            if re.search(pattern, low):
                yield re.sub(pattern, b, text, flags=re.IGNORECASE)


TIME_WORDS = ("since Tuesday", "for 3 weeks", "on and off", "for the last few days",
              "over the past month", "lately", "since Christmas", "most days")


def _first_stop(text: str) -> int:
    m = re.search(r"[.;!?]", text)
    return m.start() if m else len(text.rstrip())


def time_variants(text: str) -> Iterator[str]:
    rng = _rng(text, "time")
    words = rng.sample(TIME_WORDS, 3)
    at = _first_stop(text)
    # after the first sentence's words, and at the very start
    yield text[:at].rstrip(" ,") + " " + words[0] + text[at:]
    yield words[1][0].upper() + words[1][1:] + ", " + text[0].lower() + text[1:] \
        if not text[:2].isupper() else words[1].capitalize() + ", " + text
    # after the first clause (a comma), when there is one
    m = re.search(r",", text)
    if m:
        yield text[:m.start()] + " " + words[2] + text[m.start():]


# ---- other writers

_PRON3 = {"i": "he", "i'm": "he's", "im": "he's", "i've": "he's", "i'd": "he'd",
          "i'll": "he'll", "me": "him", "my": "his", "mine": "his", "myself": "himself",
          "am": "is", "we": "they", "our": "their", "us": "them"}
_VERB3 = {"have": "has", "do": "does", "don't": "doesn't", "haven't": "hasn't",
          "was": "was", "get": "gets", "feel": "feels", "go": "goes", "need": "needs",
          "struggle": "struggles", "wake": "wakes", "notice": "notices", "find": "finds",
          "keep": "keeps", "think": "thinks", "walk": "walks", "use": "uses",
          "stop": "stops", "lose": "loses", "leak": "leaks", "wet": "wets", "can": "can",
          "seem": "seems", "want": "wants", "try": "tries", "cannot": "cannot",
          "suffer": "suffers", "say": "says", "start": "starts", "take": "takes",
          "fall": "falls", "trip": "trips", "drag": "drags", "limp": "limps",
          "hurt": "hurts", "ache": "aches", "sleep": "sleeps", "run": "runs",
          "look": "looks", "become": "becomes", "tire": "tires", "must": "must",
          "barely": "barely", "just": "just", "really": "really", "also": "also",
          "always": "always", "never": "never", "still": "still", "now": "now",
          "sometimes": "sometimes", "often": "often", "usually": "usually"}
_ADVERBS = {"barely", "just", "really", "also", "always", "never", "still", "now",
            "sometimes", "often", "usually"}


def third_person(text: str, he: bool = True) -> str:
    """First person to third person ("I can't lift my foot" -> "he can't lift his foot")."""
    pron = dict(_PRON3)
    if not he:
        pron.update({"i": "she", "i'm": "she's", "im": "she's", "i've": "she's",
                     "i'd": "she'd", "i'll": "she'll", "me": "her", "my": "her",
                     "mine": "hers", "myself": "herself"})
    tokens = re.split(r"([^A-Za-z']+)", text)
    out: list[str] = []
    after_subject = False
    for tok in tokens:
        low = tok.lower()
        if low in pron and not (low == "us" and tok == "US"):
            new = pron[low]
            if tok[:1].isupper() and (not out or out[-1].strip() in ("", ".", "!", "?")):
                new = new.capitalize()
            out.append(new)
            after_subject = low in ("i", "we")
            continue
        if after_subject and tok.strip() and (tok.isalpha() or "'" in tok):
            if low in _VERB3:
                out.append(_VERB3[low])
                after_subject = low in _ADVERBS
                continue
            after_subject = False
        out.append(tok)
    return "".join(out)


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _has_first_person(text: str) -> bool:
    return bool(re.search(r"\b(?:i|i'm|im|i've|my|me|myself)\b", text, re.IGNORECASE))


def subject_variants(text: str) -> Iterator[tuple[str, str]]:
    """(kind, variant): the same words from another writer."""
    first = _has_first_person(text)
    he, she = third_person(text, True), third_person(text, False)
    if first:
        yield "subj_he", he[:1].upper() + he[1:]
        yield "subj_she", she[:1].upper() + she[1:]
    yield "subj_clerk", "Pt reports " + _lower_first(he)
    yield "subj_client", "Client states " + _lower_first(she)
    yield "subj_cio", "C/o " + _lower_first(he)
    # a relative tells of the client (a reporting verb): the client is the subject
    yield "rel_reports", "Husband says " + _lower_first(she)
    yield "rel_reports", "Mum says " + _lower_first(he)
    # a relative as bare subject, unsigned ("Mum can't lift her foot"): reported apart,
    # the lead decides that rule (see docs/clinical-engine.md)
    if first and re.match(r"\s*(?:i|i'm|im|i've|my)\b", text, re.IGNORECASE):
        bare = re.sub(r"^\s*(?:I|i)\b", "Mum", she, count=1)
        bare = re.sub(r"^\s*(?:She's|she's)\b", "Mum's", bare, count=1)
        bare = re.sub(r"^\s*(?:Her|her)\b", "Mum's", bare, count=1)
        if bare != she:
            yield "rel_bare", bare
        bare = re.sub(r"^\s*(?:I|i)\b", "Dad", he, count=1)
        bare = re.sub(r"^\s*(?:He's|he's)\b", "Dad's", bare, count=1)
        bare = re.sub(r"^\s*(?:His|his)\b", "Dad's", bare, count=1)
        if bare != he:
            yield "rel_bare", bare


def reorder_variants(text: str) -> Iterator[str]:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?;])\s+", text.strip()) if s.strip()]
    if len(sentences) > 1:
        yield " ".join(sentences[1:] + sentences[:1])
    parts = [p.strip() for p in re.split(r",\s*", text.strip().rstrip(".")) if p.strip()]
    if len(parts) == 2:
        yield f"{parts[1]}, {parts[0]}"
    elif len(parts) > 2:
        yield ", ".join(parts[1:] + parts[:1])


BENIGN = ("Enjoys swimming at the weekend.", "Wants to lose a bit of weight for a wedding.",
          "Works as a teacher.", "Has two dogs and walks them daily.",
          "Goal is to feel fitter.", "Prefers morning sessions.",
          "Used to play football at school.", "Drinks plenty of water.")


def benign_variants(text: str) -> Iterator[str]:
    rng = _rng(text, "benign")
    a, b = rng.sample(BENIGN, 2)
    end = text.rstrip()
    sep = " " if end.endswith((".", "!", "?")) else ". "
    yield end + sep + a
    yield b + " " + text


# A clause about something else in the same sentence: a denial of another thing, another
# topic's past or resolution, the desk's note about something else.
ASIDES = ("never smoked", "no meds", "not a runner", "no injury", "denies smoking",
          "broke my wrist in 2015 and it healed fine", "knee op years ago, all healed",
          "had covid in 2021, fully recovered", "hamstring tear last year, back to normal",
          "FD: told member about the new timetable", "trainer asked about goals",
          "my wife booked this for me", "works as a teacher", "goal is to get fitter")


def aside_variants(text: str) -> Iterator[str]:
    """``aside, text`` and ``text, aside``: one sentence with a clause about something
    else before or after the words."""
    a, b = random.Random(zlib.crc32(text.encode())).sample(ASIDES, 2)
    yield f"{a}, {text[:1].lower()}{text[1:]}"
    yield f"{text.rstrip().rstrip('.')}, {b}."


def case_variants(text: str) -> Iterator[tuple[str, str]]:
    if text.lower() != text:
        yield "lower", text.lower()
    if text.upper() != text:
        yield "upper", text.upper()


def punct_variants(text: str) -> Iterator[str]:
    stripped = re.sub(r"[^\w\s'/#]", " ", text)
    stripped = re.sub(r"\s+", " ", stripped).strip()
    if stripped != text.strip():
        yield stripped


def variants(text: str) -> Iterator[tuple[str, str]]:
    """Every (kind, variant) of one phrase, each differing from it in one way."""
    seen = {text}

    def fresh(kind: str, new: str) -> Iterator[tuple[str, str]]:
        if new not in seen:
            seen.add(new)
            yield kind, new

    for kind in TYPOS:
        for v in typo_variants(text, kind):
            yield from fresh(kind, v)
    for v in spelling_variants(text):
        yield from fresh("uk_us", v)
    for v in time_variants(text):
        yield from fresh("time", v)
    for kind, v in subject_variants(text):
        yield from fresh(kind, v)
    for v in reorder_variants(text):
        yield from fresh("reorder", v)
    for v in benign_variants(text):
        yield from fresh("benign", v)
    for v in aside_variants(text):
        yield from fresh("aside", v)
    for kind, v in case_variants(text):
        yield from fresh(kind, v)
    for v in punct_variants(text):
        yield from fresh("punct", v)


KINDS = (*TYPOS, "uk_us", "time", "subj_he", "subj_she", "subj_clerk", "subj_client",
         "subj_cio", "rel_reports", "rel_bare", "reorder", "benign", "aside", "lower",
         "upper", "punct")

# ------------------------------------------------------------------ scoring


def load_docs(parts: list[str]) -> dict[str, dict[str, Any]]:
    by_flag: dict[str, dict[str, Any]] = {}
    for part in parts:
        assert part != "holdout" and part.startswith("tuning"), part
        for path in sorted((HERE / part).glob("*.yaml")):
            doc = phrase_yaml.load(path)
            if doc["flag"] is None:
                continue
            have = by_flag.setdefault(doc["flag"], {**doc, "positives": [], "negatives": []})
            have["positives"] = have["positives"] + doc["positives"]
            have["negatives"] = have["negatives"] + doc["negatives"]
    return by_flag


def hit_fn(doc: dict[str, Any]) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    flag, ok = doc["flag"], {doc["flag"], *doc["accept_also"]}
    age = 70 if flag.endswith("first_episode_axial_back_pain") else 30
    base = GATED.get(flag, BASE)
    urgency = wanted_urgency(doc)

    def positive(text: str) -> bool:
        d = decide_notes(text, age, base)
        return bool(reported(d) & ok) and (
            urgency is None or URGENCIES.index(d["urgency"]) >= URGENCIES.index(urgency))

    def fires(text: str) -> bool:
        return flag in reported(decide_notes(text, age, base))

    return positive, fires


def run(flags: list[str], parts: list[str], negatives: bool = True
        ) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]],
                   dict[str, Counter[str]], dict[str, Counter[str]],
                   list[tuple[str, str, str, str]]]:
    """Per flag: variants tried / missed (positives), tried / fired (negatives), and the
    failures as (flag, kind, original, variant). Originals that do not fire (or that
    fire, for negatives) are skipped: only the perturbation is measured."""
    docs = load_docs(parts)
    tried: dict[str, Counter[str]] = defaultdict(Counter)
    missed: dict[str, Counter[str]] = defaultdict(Counter)
    ntried: dict[str, Counter[str]] = defaultdict(Counter)
    nfired: dict[str, Counter[str]] = defaultdict(Counter)
    fails: list[tuple[str, str, str, str]] = []
    for flag in flags:
        doc = docs[flag]
        positive, fires = hit_fn(doc)
        for phrase in doc["positives"]:
            if not positive(phrase):
                continue
            for kind, v in variants(phrase):
                tried[flag][kind] += 1
                if not positive(v):
                    missed[flag][kind] += 1
                    fails.append((flag, kind, phrase, v))
        if not negatives:
            continue
        for phrase in doc["negatives"]:
            if fires(phrase):
                continue
            for kind, v in variants(phrase):
                if kind.startswith("rel_"):
                    continue  # about a relative: not a negative of the client's
                ntried[flag][kind] += 1
                if fires(v):
                    nfired[flag][kind] += 1
                    fails.append((flag, "NEG:" + kind, phrase, v))
    return tried, missed, ntried, nfired, fails


def eu_flags(parts: list[str]) -> list[str]:
    return sorted(f for f, d in load_docs(parts).items()
                  if d["grade"] in ("emergency", "urgent"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flags", default="six",
                    help="'six' (the six flags with a holdout miss), 'all' (every emergency "
                         "or urgent flag) or a comma-separated list")
    ap.add_argument("--parts", default="tuning", help="comma-separated tuning parts")
    ap.add_argument("--show", default="", help="print the failures of these kinds (comma "
                    "list; 'all'; 'neg' for negatives)")
    ap.add_argument("--no-negatives", action="store_true")
    ap.add_argument("--json", default="", help="also write the failures to this file "
                    "(a list of [flag, kind, original, variant])")
    args = ap.parse_args()
    parts = args.parts.split(",")
    flags = (list(SIX) if args.flags == "six" else eu_flags(parts) if args.flags == "all"
             else args.flags.split(","))
    tried, missed, ntried, nfired, fails = run(flags, parts, not args.no_negatives)
    kinds = [k for k in KINDS if any(tried[f][k] for f in flags)]
    short = {k: k.replace("typo_", "t_").replace("subj_", "s_").replace("rel_", "r_")[:8]
             for k in kinds}
    print("positives: missed/tried per kind")
    print(f"{'flag':44}" + "".join(f"{short[k]:>9}" for k in kinds) + f"{'total':>10}")
    for f in flags:
        row = "".join(f"{missed[f][k]:>4}/{tried[f][k]:<4}" for k in kinds)
        print(f"{f.split('.')[-1][:44]:44}{row}{sum(missed[f].values()):>5}/"
              f"{sum(tried[f].values()):<5}")
    tot_m = Counter[str]()
    tot_t = Counter[str]()
    for f in flags:
        tot_m.update(missed[f])
        tot_t.update(tried[f])
    print(f"{'TOTAL':44}" + "".join(f"{tot_m[k]:>4}/{tot_t[k]:<4}" for k in kinds)
          + f"{sum(tot_m.values()):>5}/{sum(tot_t.values()):<5}")
    if not args.no_negatives:
        nt, nf = Counter[str](), Counter[str]()
        for f in flags:
            nt.update(ntried[f])
            nf.update(nfired[f])
        print(f"negatives firing: {sum(nf.values())}/{sum(nt.values())} "
              + " ".join(f"{k}={nf[k]}" for k in KINDS if nf[k]))
    if args.json:
        Path(args.json).write_text(json.dumps(fails, indent=0), encoding="utf-8")
    show = set(args.show.split(",")) if args.show else set()
    for flag, kind, phrase, v in fails:
        if "all" in show or kind in show or ("neg" in show and kind.startswith("NEG")):
            print(f"[{flag.split('.')[-1]}|{kind}] {phrase!r} -> {v!r}")


if __name__ == "__main__":
    main()
