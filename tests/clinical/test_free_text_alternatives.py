"""Issue 13: a word-list pattern is run from only the top-level alternatives whose
required literals the sentence holds (free_text.Alternatives, built from the lexicon at
load time). The matches must be exactly the whole pattern's."""

from __future__ import annotations

from pathlib import Path

import phrase_yaml
import pytest
import yaml

from inscope_clinical import free_text

PHRASES = Path(__file__).parent / "phrases"
# The tuning part (as the corpus test and the golden results read it): tuning/ and the
# rounds phrases/rounds.yaml lists as tuned.
TUNING_PART = ("tuning", *yaml.safe_load((PHRASES / "rounds.yaml").read_text(
    encoding="utf-8"))["tuned"])


def _tuning_sentences() -> list[str]:
    texts: list[str] = []
    for part in TUNING_PART:  # never holdout/, the partly tuned or the blind rounds
        for path in sorted((PHRASES / part).glob("*.yaml")):
            doc = phrase_yaml.load(path)
            texts += doc["positives"] + doc["negatives"]
    assert len(texts) > 4000
    lex = free_text.lexicon()
    return [s for t in texts[::3]  # a third: keeps it fast
            for _, s in free_text._sentences(lex.spelling.repair(free_text._normalise(t))[0])]


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


def test_no_alternative_that_matches_is_left_out_and_matches_are_the_whole_patterns(
) -> None:
    """For every split pattern and tuning sentence (a third of them): each alternative
    that matches the sentence is one the literal index keeps, and what _matches runs
    (nothing, one alternative alone, or the whole pattern) gives the whole pattern's
    finditer (same spans, same order)."""
    lex = free_text.lexicon()
    patterns = {id(p): p for e in lex.entries
                for p in (e.any, e.fallback, e.unless, *(q for g in e.all for q in g))
                if p is not None}
    split = [(patterns[key], alts) for key, alts in lex.alternatives.items()]
    assert len(split) > 100
    checked = alone = 0
    for sentence in _tuning_sentences():
        present = free_text._candidates(lex, sentence)[1]
        for pattern, alts in split:
            whole = _spans(pattern.finditer(sentence))
            kept = free_text._viable(alts, present)
            if whole:
                for k in range(len(alts.sources)):
                    if alts.alone(k).search(sentence):
                        assert kept >> k & 1, (alts.sources[k], sentence)
                checked += 1
            assert _spans(free_text._matches(pattern, sentence, present)) == whole, (
                pattern.pattern[:80], sentence)
            alone += kept.bit_count() <= 1
    assert checked > 1000
    assert alone > 1000


def test_an_unless_pattern_skipped_for_missing_literals_would_not_have_matched() -> None:
    """An entry's ``unless`` is not run on a sentence lacking one of its required
    literal sets (_benign): on the tuning sentences (a third), _benign is exactly
    "some match of ``unless`` that is not a cause the writer rules out, a comparison or
    an activity asked about"."""
    lex = free_text.lexicon()
    benign = [i for i, e in enumerate(lex.entries) if e.unless is not None]
    assert benign
    skipped = 0
    for sentence in _tuning_sentences():
        present = free_text._candidates(lex, sentence)[1]
        for i in benign:
            pattern = lex.entries[i].unless
            assert pattern is not None
            plain = any(not free_text._cause_denied(sentence, m.start(), m.group())
                        and not free_text._not_the_cause(sentence, m.start())
                        for m in pattern.finditer(sentence))
            assert free_text._benign(lex, i, sentence, present) == plain, (
                lex.entries[i].flag, sentence)
            skipped += lex.unless[i] & present != lex.unless[i]
    assert skipped > 1000


def test_top_level_split_keeps_groups_classes_and_escapes_whole() -> None:
    regex = r"a(?:b|c)|[|(\]]x|\|y|(?<![\w])z[^]|]"
    assert free_text._top_level(regex) == [r"a(?:b|c)", r"[|(\]]x", r"\|y", r"(?<![\w])z[^]|]"]
    assert "|".join(free_text._top_level(regex)) == regex


def test_an_alternative_needing_no_literal_is_always_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An alternative with no required literal ("[0-9]+ ?x") is run whatever the
    sentence holds, alone when the others' literals are missing; with none that can
    match nothing is run; with several, the whole pattern."""
    terms = ["sore knee|[0-9]+ ?x|weeks?"]
    pattern = free_text._compile(terms, {})
    assert pattern is not None
    sources = free_text._branches(terms, {})
    alts = free_text.Alternatives(sources, 0, 0b010)
    never = free_text.Alternatives(sources, 0, 0)
    lex = free_text.lexicon()
    monkeypatch.setattr(free_text, "lexicon",
                        lambda: lex._replace(alternatives={id(pattern): alts}))
    text = "sore knee, 3 x a week"
    assert _spans(free_text._matches(pattern, text, 0)) == [(11, 14)]
    assert _spans(free_text._matches(pattern, text, 0b001)) == _spans(pattern.finditer(text))
    monkeypatch.setattr(free_text, "lexicon",
                        lambda: lex._replace(alternatives={id(pattern): never}))
    assert _spans(free_text._matches(pattern, text, 0)) == []
    assert _spans(free_text._matches(pattern, text, 0b100)) == [(17, 21)]


def test_the_groups_spans_looks_at_are_those_whose_first_set_the_sentence_holds() -> None:
    """_spans reads an entry's `all` groups from its rarest first sets found
    (Lexicon.group_order) instead of looking at every group: on the tuning sentences (a
    third), the groups it reads are, in order, exactly those a look at every group
    would read."""
    lex = free_text.lexicon()
    with_groups = [i for i, m in enumerate(lex.masks) if len(m.all) > 1]
    assert len(with_groups) > 20
    several = 0
    for sentence in _tuning_sentences():
        present = free_text._candidates(lex, sentence)[1]
        for i in with_groups:
            needs = lex.masks[i].all
            every = [j for j, group in enumerate(needs)
                     if group and group[0] & present == group[0]]
            hits = lex.group_firsts[i] & present
            read = [] if not hits else [
                j for j in free_text._groups_hit(hits, lex.group_order[i], len(needs))
                if needs[j] and needs[j][0] & present == needs[j][0]]
            assert read == every, (lex.entries[i].flag, sentence)
            several += len(every) > 1
    assert several > 100


def test_groups_hit_keeps_the_groups_order_across_first_sets() -> None:
    order = {1 << 5: (0, 3), 1 << 7: (1,)}
    assert list(free_text._groups_hit(1 << 5 | 1 << 7, order, 4)) == [0, 1, 3]
    assert list(free_text._groups_hit(1 << 7, order, 4)) == [1]
    assert list(free_text._groups_hit(1 << 7, None, 4)) == [0, 1, 2, 3]

