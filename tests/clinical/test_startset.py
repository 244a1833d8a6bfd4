"""startset.compile: the same matches as re.compile, searched only from positions where
a match can start (issue 13: the free-text matcher's regexes)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import phrase_yaml
import pytest

from inscope_clinical import free_text, startset

TUNING = Path(__file__).parent / "phrases" / "tuning"


def _matches(pattern: re.Pattern[str], text: str) -> list[tuple[object, ...]]:
    return [(m.span(), m.groups(), m.groupdict()) for m in pattern.finditer(text)] + [
        (m.span(),)
        for pos in range(0, len(text) + 1, 7)
        if (m := pattern.search(text, pos)) is not None
    ]


def _texts() -> list[str]:
    phrases: list[str] = []
    for path in sorted(TUNING.glob("*.yaml")):
        doc = phrase_yaml.load(path)
        phrases += (doc.get("positives") or []) + (doc.get("negatives") or [])
    rnd = random.Random(13)
    texts = [free_text._normalise(p) for p in rnd.sample(phrases, min(300, len(phrases)))]
    pieces = [
        "no",
        "not",
        "chest",
        "pain",
        "2010",
        "38.5",
        "160/100",
        "? no",
        "mum",
        "#",
        " ",
        " ",
        ", ",
        ".",
        "-",
        "i",
        "my",
        "if",
        "years ago",
        "x",
        "'",
        "°",
        "\n",
    ]
    texts += ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12))) for _ in range(300)]
    return texts


TEXTS = _texts()


def _lexicon_patterns() -> list[re.Pattern[str]]:
    found = []
    for entry in free_text.lexicon().entries:
        found += [
            p
            for p in (entry.any, entry.unless, entry.fallback, entry.fallback_unless)
            if p is not None
        ]
        found += [p for group in entry.all for p in group]
    return found


CUES = [
    value
    for name, value in vars(free_text).items()
    if name.isupper() and name.startswith("_") and isinstance(value, re.Pattern)
]


@pytest.mark.parametrize(
    "pattern", CUES + list(free_text._PART_RES.values()), ids=lambda p: p.pattern[:40]
)
def test_cue_patterns_match_as_re_does(pattern: re.Pattern[str]) -> None:
    plain = re.compile(pattern.pattern)
    for text in TEXTS:
        assert _matches(pattern, text) == _matches(plain, text), text


def test_lexicon_patterns_match_as_re_does() -> None:
    patterns = _lexicon_patterns()
    assert len(patterns) > 100
    for pattern in patterns:
        plain = re.compile(pattern.pattern)
        for text in TEXTS[::3]:
            assert [m.span() for m in pattern.finditer(text)] == [
                m.span() for m in plain.finditer(text)
            ], (pattern.pattern[:80], text)


@pytest.mark.parametrize(
    "pattern, first, empty",
    [
        (r"(?<![\w])(?:no|denies|ne(?:ver|ither))(?![\w])", "ndn", False),
        (r"(?<![\w])(?:(my )?chest|[0-9]+/)", "mc0123456789", False),
        (r"(?:a|b?)", "ab", True),
        (r"\bx{0}y", "y", False),
    ],
)
def test_first_characters(pattern: str, first: str, empty: bool) -> None:
    chars, can_be_empty = startset._first(startset._sre_parse.parse(pattern).data)
    found = "".join(
        chr(av) if op is startset._c.LITERAL else "".join(chr(c) for c in range(av[0], av[1] + 1))
        for op, av in chars
    )
    assert (found, can_be_empty) == (first, empty)


@pytest.mark.parametrize("pattern", [r".x", r"[^a]b", r"(?i:a)b", r"(a)\1", r""])
def test_patterns_it_cannot_read_are_compiled_as_usual(pattern: str) -> None:
    assert startset.compile(pattern).pattern == pattern
    for text in ["", "ab", "xax", "aab", "Ab"]:
        assert _matches(startset.compile(pattern), text) == _matches(re.compile(pattern), text)
