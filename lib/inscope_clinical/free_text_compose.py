"""DEC-2, second matching model: red flags as combinations of word categories.

The word lists of ``free_text_lexicon.json`` name a red flag by its phrasings. Clients
describe the same thing in endless word orders ("when I walk up the hill to work my jaw
starts to ache and I have to stop"), so beside them this model names a red flag by what
it is made of: a **body part or region** (chest, jaw, bladder, both legs, back ...) x a
**sensation or symptom** (tightness, numbness, can't control, swollen ...) x, where the
flag needs one, a **time, onset or trigger** (on exertion, at rest, at night, sudden,
new, worsening, without trying) and a **severity**. A rule fires when one term of every
category it needs occurs in the same sentence, all within ``window`` words of each
other, in any order.

Data-driven (``free_text_compose.json``):

- ``variants``: spelling variants read as one word before anything else (British and
  American spellings, common misspellings: "edema" -> "oedema", "numbess" -> "numbness");
- ``categories``: name -> terms. A term is one or more words; every word is reduced to
  its stem (:func:`stem`: "aching", "aches", "ached" -> "ach"; "tingling", "tingles" ->
  "tingl"), so inflections need no listing. A word written ``=word`` is matched exactly
  (not stemmed: "=race" is the noun, not "racing");
- ``rules``: ``flags`` (the structured answers the combination is), ``need`` (category
  names, all required), ``window`` (the most words from the first to the last term
  used), ``unless`` (categories that, anywhere in the sentence, mean a benign context:
  "after leg day", "dropped a dumbbell on it"), ``across`` (needed categories that
  may stand in another sentence of the same text: a risk factor stated apart from the
  complaint, "Known osteoporosis. New severe back pain since Tuesday."), ``across_only``
  (true: the rule fires only with its ``across`` part in another sentence; in one
  sentence its categories are too loose: "a weak arm. It keeps getting worse." is a
  progressive deficit, "arm weakness or speech trouble, call 999" is not).

Compiled once (:func:`compiled`): every term becomes a tuple of stems in one dict, so a
sentence costs one tokenisation and a few dict look-ups per word; a rule is tried only
when every category it needs has a term in the sentence.

A combination found is then judged by the matcher's own clause rules
(``free_text._current``) over the whole span from its first to its last word - a
negation before it or inside it ("no chest pain when I run", "pain in my chest? no"),
resolution ("gone now"), a conditional ("if your jaw aches on the stairs, stop"),
someone else ("dad gets chest pain on hills") or a time long past - and by the
``unless`` terms of the word-list entry for the same flag. The two models are joined:
a flag fires when either finds it (never fewer mentions than the word lists alone).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

COMPOSE_FILE = "free_text_compose.json"
MAX_TERM_WORDS = 5

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+")
# Suffixes taken off a word, longest first ("tightness" -> "tight", "aching" -> "ach").
_SUFFIXES = (
    "inesses",
    "iness",
    "nesses",
    "ness",
    "ingly",
    "edly",
    "ings",
    "ing",
    "ied",
    "ies",
    "ed",
    "es",
    "ly",
    "s",
)


def stem(word: str) -> str:
    """A light stemmer, the same for the vocabulary and the text: apostrophes dropped
    ("can't" -> "cant"), one suffix taken off (never leaving fewer than three letters),
    then a final "e" and a doubled final consonant ("swelling" -> "swel", "swell" ->
    "swel", "running" -> "run", "aches"/"ache"/"aching" -> "ach")."""
    w = word.replace("'", "")
    if len(w) <= 3 or w.isdigit():
        return w
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                break
            w = w[: -len(suffix)]
            if suffix in ("iness", "inesses", "ied", "ies"):
                w += "y"
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouy":
        w = w[:-1]
    return w


@dataclass(frozen=True)
class Rule:
    flags: tuple[str, ...]
    need: tuple[int, ...]  # category ids, all required
    window: int
    unless: tuple[int, ...]  # category ids: any of them in the sentence -> no hit
    name: str
    affirming: frozenset[int] = frozenset()
    across: tuple[int, ...] = ()  # needed categories another sentence may supply


@dataclass(frozen=True)
class Across:
    """A rule whose ``across`` categories may come from another sentence: ``local``
    is the rule without them (what one sentence must hold within the window)."""

    rule: Rule
    local: Rule
    local_mask: int
    across_mask: int


@dataclass(frozen=True)
class Compiled:
    variants: dict[str, str]  # spelling variants (both models)
    forms: dict[str, str]  # word forms read as one (this model only: "cannot" -> "cant")
    affirming: frozenset[int]  # categories whose own words negate ("not dieting")
    terms: dict[tuple[str, ...], tuple[int, ...]]  # stems -> category ids
    # first stem of every term -> the lengths (words) of the terms it starts, shortest
    # first: only those are looked up
    first_words: dict[str, tuple[int, ...]]
    rules: tuple[Rule, ...]
    categories: tuple[str, ...]
    word_masks: dict[str, int]  # first word of a term -> bit mask of categories it may start
    need_masks: tuple[int, ...]  # per rule: bit mask of the categories it needs
    unless_masks: tuple[int, ...]  # per rule: bit mask of its benign categories
    words: frozenset[str]  # every vocabulary word (kept by the speller)
    across: tuple[Across, ...] = ()  # rules a second sentence may complete
    seen: dict[str, tuple[str, str | None, int]] = field(default_factory=dict)  # word cache
    # category id -> the need masks of the rules filed under it (each rule under the one
    # of its categories that fewest words can start): a sentence's rules are looked for
    # under the categories it has; ``filed`` is the mask of the categories used
    need_by_category: dict[int, tuple[int, ...]] = field(default_factory=dict)
    filed: int = 0
    # the same filing for the rules themselves (their indices, in order): a sentence's
    # terms give the few rules worth trying without a pass over all of them
    rules_by_category: dict[int, tuple[int, ...]] = field(default_factory=dict)


def _stems(term: str, variants: dict[str, str]) -> tuple[str, ...]:
    out = []
    for part in term.lower().split():
        exact = part.startswith("=")
        for word in _WORD.findall(part):
            out.append("=" + word.replace("'", "") if exact else stem(variants.get(word, word)))
    return tuple(out)


@lru_cache(maxsize=1)
def compiled() -> Compiled:
    """The compositional vocabulary and rules, read and compiled once."""
    raw = json.loads(
        resources.files(__package__).joinpath(COMPOSE_FILE).read_text(encoding="utf-8")
    )
    variants = {k.lower(): v.lower() for k, v in raw.get("variants", {}).items()}
    forms = {**variants, **{k.lower(): v.lower() for k, v in raw.get("forms", {}).items()}}
    names = tuple(raw["categories"])
    ids = {name: i for i, name in enumerate(names)}
    terms: dict[tuple[str, ...], set[int]] = {}
    words: set[str] = set(variants.values())
    for name, listed in raw["categories"].items():
        for term in listed:
            key = _stems(term, forms)
            if not key or len(key) > MAX_TERM_WORDS:
                raise ValueError(f"compose term {term!r} in {name}: 1-{MAX_TERM_WORDS} words")
            terms.setdefault(key, set()).add(ids[name])
            words.update(w.lstrip("=") for w in term.lower().split())
    rules = []
    for r in raw["rules"]:
        unknown = [c for c in (*r["need"], *r.get("unless", [])) if c not in ids]
        if unknown:
            raise ValueError(f"compose rule {r['name']}: unknown categories {unknown}")
        rules.append(
            Rule(
                tuple(r["flags"]),
                tuple(ids[c] for c in r["need"]),
                int(r.get("window", 12)),
                tuple(ids[c] for c in r.get("unless", [])),
                r["name"],
                frozenset(ids[c] for c in r["need"] if c in raw.get("affirming", [])),
                tuple(ids[c] for c in r.get("across", [])),
            )
        )
    affirming = frozenset(ids[c] for c in raw.get("affirming", []))
    sizes: dict[str, set[int]] = {}
    for key in terms:
        sizes.setdefault(key[0], set()).add(len(key))
    firsts = {first: tuple(sorted(found)) for first, found in sizes.items()}
    word_cats: dict[str, set[int]] = {}
    for key, cats in terms.items():
        word_cats.setdefault(key[0], set()).update(cats)
    across = tuple(_across(r) for r in rules if r.across)
    # an across_only rule is looked for across sentences only: not one of the rules
    # a single sentence fires
    rules = [r for r, listed in zip(rules, raw["rules"], strict=True)
             if not listed.get("across_only")]
    need_masks = tuple(sum(1 << c for c in set(r.need)) for r in rules)
    by_category = _by_category(need_masks, word_cats)
    rules_by_category = _rules_by_category(need_masks, by_category)
    return Compiled(
        variants,
        forms,
        affirming,
        {k: tuple(sorted(v)) for k, v in terms.items()},
        firsts,
        tuple(rules),
        names,
        {k: sum(1 << c for c in v) for k, v in word_cats.items()},
        tuple(sum(1 << c for c in set(r.need)) for r in rules),
        tuple(sum(1 << c for c in set(r.unless)) for r in rules),
        frozenset(words),
        across,
        need_by_category=by_category,
        filed=sum(1 << c for c in by_category),
        rules_by_category=rules_by_category,
    )


def _by_category(needs: tuple[int, ...], word_cats: dict[str, set[int]]
                 ) -> dict[int, tuple[int, ...]]:
    """Each need mask filed under the category of its own that the fewest words may
    start a term of (a rough stand-in for the rarest in a sentence)."""
    starting = {c: sum(c in cats for cats in word_cats.values())
                for c in {c for cats in word_cats.values() for c in cats}}
    out: dict[int, list[int]] = {}
    for need in needs:
        mine = [c for c in range(need.bit_length()) if need >> c & 1]
        out.setdefault(min(mine, key=lambda c: (starting.get(c, 0), c)), []).append(need)
    return {c: tuple(dict.fromkeys(v)) for c, v in out.items()}


def _rules_by_category(needs: tuple[int, ...], by_category: dict[int, tuple[int, ...]]
                       ) -> dict[int, tuple[int, ...]]:
    """The rule indices filed under each category, as their need masks are."""
    home = {need: c for c, filed in by_category.items() for need in filed}
    out: dict[int, list[int]] = {}
    for r, need in enumerate(needs):
        out.setdefault(home[need], []).append(r)
    return {c: tuple(v) for c, v in out.items()}


def firing(comp: Compiled, mask: int, masked: list[int] | None = None) -> list[int]:
    """The indices, in order, of the rules whose every needed category is in ``mask``
    and none of whose ``unless`` categories is. ``masked``, when given, receives the
    rules that have every needed category but also an ``unless`` one (the caller may
    judge where the benign words stand)."""
    found = []
    rest = mask & comp.filed
    needs, unless = comp.need_masks, comp.unless_masks
    while rest:
        low = rest & -rest
        rest ^= low
        for r in comp.rules_by_category.get(low.bit_length() - 1, ()):
            if needs[r] & mask == needs[r]:
                if not unless[r] & mask:
                    found.append(r)
                elif masked is not None:
                    masked.append(r)
    found.sort()
    return found


def _across(rule: Rule) -> Across:
    local = tuple(c for c in rule.need if c not in rule.across)
    return Across(
        rule,
        Rule(rule.flags, local, rule.window, rule.unless, rule.name, rule.affirming),
        sum(1 << c for c in set(local)),
        sum(1 << c for c in set(rule.across)),
    )


class Hit:
    """A term found: its category ids, its word index and its span in the sentence."""

    __slots__ = ("cats", "end", "index", "last", "start")

    def __init__(self, cats: tuple[int, ...], index: int, last: int, start: int, end: int) -> None:
        self.cats, self.index, self.last, self.start, self.end = cats, index, last, start, end


def _word(comp: Compiled, word: str) -> tuple[str, str | None, int]:
    """A word's stem, its exact form when some term starts with it (None otherwise),
    and the bit mask of the categories a term starting with it may belong to."""
    stemmed = stem(comp.forms.get(word, word))
    exact: str | None = "=" + word.replace("'", "")
    if exact not in comp.first_words:
        exact = None
    mask = comp.word_masks.get(stemmed, 0) | (comp.word_masks.get(exact, 0) if exact else 0)
    known = (stemmed, exact, mask)
    if len(comp.seen) < 50_000:  # cached: a note's words repeat across documents
        comp.seen[word] = known
    return known


def tokens(comp: Compiled, sentence: str) -> list[tuple[str, str | None, int, int, int]]:
    """(stem, exact word or None, category mask, start, end) for every word of a
    normalised sentence."""
    seen = comp.seen
    out = []
    for m in _WORD.finditer(sentence):
        word = m.group()
        known = seen.get(word) or _word(comp, word)
        out.append((known[0], known[1], known[2], m.start(), m.end()))
    return out


def hits(comp: Compiled, sentence: str) -> dict[int, list[Hit]]:
    """Category id -> the terms of that category in the sentence (empty when no rule
    can fire: some category each rule needs has no first word in the sentence)."""
    return scan(comp, sentence)[1]


def scan(
    comp: Compiled, sentence: str, force: bool = False
) -> tuple[int, dict[int, list[Hit]]]:
    """The bit mask of the categories whose terms may start in the sentence, and its
    terms by category (not looked for, unless ``force``, when no rule can fire)."""
    seen = comp.seen
    maybe = 0
    for word in _WORD.findall(sentence):  # most sentences stop here: no rule can fire
        maybe |= (seen.get(word) or _word(comp, word))[2]
    if not force and not _may_fire(comp, maybe):
        return maybe, {}
    return maybe, _terms(comp, tokens(comp, sentence))


def _may_fire(comp: Compiled, maybe: int) -> bool:
    """Whether some rule has every category it needs in ``maybe``."""
    by_category = comp.need_by_category
    rest = maybe & comp.filed
    while rest:
        low = rest & -rest
        rest ^= low
        for need in by_category.get(low.bit_length() - 1, ()):
            if need & maybe == need:
                return True
    return False


def _terms(
    comp: Compiled, toks: list[tuple[str, str | None, int, int, int]]
) -> dict[int, list[Hit]]:
    found: dict[int, list[Hit]] = {}
    terms, firsts = comp.terms, comp.first_words
    n = len(toks)
    # the stems and the exact words as columns: a term's key is a slice of one
    columns = ([t[0] for t in toks], [t[1] for t in toks])
    for i in range(n):
        if not toks[i][2]:
            continue
        for column in columns:  # stems, then exact words ("=hardly")
            first = column[i]
            if first is None:
                continue
            for size in firsts.get(first, ()):
                if size > n - i:
                    break
                cats = terms.get(tuple(column[i : i + size]))
                if cats:
                    hit = Hit(cats, i, i + size - 1, toks[i][3], toks[i + size - 1][4])
                    for c in cats:
                        found.setdefault(c, []).append(hit)
    return found


def combinations(
    rule: Rule, found: dict[int, list[Hit]]
) -> list[tuple[int, int, tuple[tuple[int, int], ...]]]:
    """Character spans (first to last word, and the spans of the terms of
    ``affirming`` categories, whose own negative words are not a negation: "not
    dieting", "can't feel") where every category the rule needs has a
    term within ``rule.window`` words: for each term of the first category, the nearest
    term of each other category that shares no word with the terms already chosen (one
    word never counts twice: "breathe hard" is not also "hardly")."""
    lists = [found[c] for c in rule.need]
    spans = _anchored(rule, lists, 0)
    # The nearest term to the first category's may be the wrong one ("painful midfoot
    # after a fall, the bone on the inner side of the foot hurts when pressed": the
    # bone's nearest foot word is "midfoot", too far from "pressed"): when no span
    # fits the window, each other category's terms are tried as the anchor.
    for k in range(1, len(lists)):
        if spans:
            break
        spans = _anchored(rule, lists, k)
    return spans


def _anchored(rule: Rule, lists: list[list[Hit]], k: int
              ) -> list[tuple[int, int, tuple[tuple[int, int], ...]]]:
    """combinations() with category ``k``'s terms as the anchors."""
    anchor, rest = lists[k], lists[:k] + lists[k + 1:]
    spans: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
    for a in anchor:
        chosen = [a]
        for options in rest:
            free = [h for h in options if all(h.last < c.index or h.index > c.last for c in chosen)]
            if not free:
                break
            chosen.append(min(free, key=lambda h: abs(h.index - a.index)))
        else:
            lo = min(h.index for h in chosen)
            hi = max(h.last for h in chosen)
            if hi - lo <= rule.window:
                # back in the rule's order of categories (``affirming`` is per category)
                order = chosen[1:k + 1] + [a] + chosen[k + 1:]
                spans.append(
                    (
                        min(h.start for h in chosen),
                        max(h.end for h in chosen),
                        tuple((h.start, h.end) for h, c in zip(order, rule.need, strict=True)
                              if c in rule.affirming),
                    )
                )
    return spans
