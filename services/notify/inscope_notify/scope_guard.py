"""The scope guard: no client email or letter names a pathology, a cause or a cure.

Pure (no I/O beyond reading its own term list once). ``check`` reads every part of a
message (subject, text, HTML, the PDF's text) against ``scope_terms.json``, the
maintained list of diagnostic terms and phrasings (SCOPE-2, SCOPE-3). A violation
blocks the send; the caller records why.

Speed (issue 13): the guard read every email with one regex per entry after masking the
vouched wording with one big alternation, about 8 ms of CPU an email, because Python's
``re`` tries every alternative at every position. Now all parts are read in one pass by
two Aho-Corasick automata (``pyahocorasick``): one masks the vouched wording, the other
finds the literal words some entry cannot match without (its *anchors*, derived from
the entry's own pattern: whole runs of literals spelled out every way they can be,
each with the word boundaries the pattern puts around it); only the entries whose
anchors occur with those boundaries, and those without anchors, run their regex,
each behind a lookahead of the characters its matches can start with
(``quick_start``): on the system's own emails nearly none runs. The result is the same
list of violations the plain loop over every entry gives
(tests/notify/test_scope_guard.py compares them).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from re import _constants as sre_constants  # the parsed form of a pattern, for anchors
from re import _parser as sre_parser

import ahocorasick

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# Case-insensitive matching in ``re`` pairs these with ASCII letters, and str.lower()
# would turn U+0130 into two characters: folded first, text keeps its length and an
# ASCII word found in the folded text is exactly one ``re.IGNORECASE`` finds
# (test_fold_pairs_every_character_re_pairs_with_a_letter checks the whole of Unicode).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_MASK = "\u00b7"
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # pathology | phrasing
    pattern: re.Pattern[str]
    why: str
    example: str


@dataclass(frozen=True)
class TermList:
    version: str
    entries: tuple[Entry, ...]
    safe_wording: tuple[str, ...]


@dataclass(frozen=True)
class Violation:
    part: str
    entry_id: str
    kind: str
    found: str
    why: str

    def describe(self) -> str:
        return f'{self.part}: {self.kind} "{self.found}" ({self.entry_id}: {self.why})'


def parse_terms(document: Mapping[str, object]) -> TermList:
    entries = [
        Entry(
            item["id"],
            kind,
            re.compile(item["pattern"], re.IGNORECASE),
            item["why"],
            item.get("example", ""),
        )
        for kind, key in (("pathology", "pathologies"), ("phrasing", "phrasings"))
        for item in document[key]  # type: ignore[attr-defined]
    ]
    safe = tuple(normalise(s) for s in document.get("safe_wording", []))  # type: ignore[attr-defined]
    return TermList(str(document.get("version", "")), tuple(entries), safe)


@lru_cache(maxsize=1)
def default_terms() -> TermList:
    raw = resources.files("inscope_notify").joinpath("scope_terms.json").read_text("utf-8")
    return parse_terms(json.loads(raw))


def normalise(text: str) -> str:
    """One space between words, straight quotes: wrapped lines and typography never
    hide a phrase."""
    return " ".join(_translate(text, _QUOTES, _CURLY).split())


def visible_text(markup: str) -> str:
    """What a reader of the HTML part sees: tags dropped, entities decoded."""
    return html.unescape(_TAGS.sub(" ", markup))


def fold(text: str) -> str:
    """Lower case, one character for one: positions in the folded text are the text's."""
    return _translate(text, _FOLD, _FOLDED).lower()


_CURLY = tuple(map(chr, _QUOTES))
_FOLDED = tuple(map(chr, _FOLD))


def _translate(text: str, table: dict[int, str], keys: tuple[str, ...]) -> str:
    """``text.translate(table)``, without the walk through every character when none of
    the table's few characters occurs (issue 13: most emails have none)."""
    return text.translate(table) if any(key in text for key in keys) else text


def _automaton(words: Iterable[str]) -> ahocorasick.Automaton | None:
    automaton = ahocorasick.Automaton()
    for word in words:
        if word:
            automaton.add_word(word, word)
    if not len(automaton):
        return None
    automaton.make_automaton()
    return automaton


# An anchor: a folded word, and whether a match has a word boundary (``\\b``) right
# before it and right after it where it holds the word.
Anchor = tuple[str, bool, bool]


def anchors(pattern: str) -> frozenset[str] | None:
    """Folded literal words of which every match of ``pattern`` contains one, or None
    when the pattern has no such words (it can match without any literal, like
    ``\\w+``): such an entry always runs."""
    bounded = bounded_anchors(pattern)
    return None if bounded is None else frozenset(word for word, _, _ in bounded)


def bounded_anchors(pattern: str) -> frozenset[Anchor] | None:
    """``anchors``, each with the word boundaries the pattern puts around it: an entry
    runs only where its word occurs with them, so ``\\bcaus...`` does not run for
    "because", nor ``\\bheal\\b`` for "health" (issue 13: such hits ran an entry's
    regex over the whole text, in most emails). Boundaries as ``re`` sees them in
    Unicode text; a pattern asking for ASCII ones gets none."""
    try:
        parsed = sre_parser.parse(pattern, re.IGNORECASE)
        found = _required(parsed)
        if found is not None and _asks(parsed, re.ASCII | re.LOCALE):
            found = frozenset((word, False, False) for word, _, _ in found)
        return found
    except Exception:  # a form this walk does not know: no anchors, the entry always runs
        return None


def _asks(parsed: sre_parser.SubPattern, flags: int) -> bool:
    """Whether the pattern sets any of ``flags``, for all of it or inside a group."""
    if parsed.state.flags & flags:
        return True

    def walk(items: sre_parser.SubPattern) -> bool:
        for op, av in items:
            if op is sre_constants.SUBPATTERN and (av[1] & flags or walk(av[-1])):
                return True
            if op is sre_constants.BRANCH and any(walk(branch) for branch in av[1]):
                return True
            if op in _REPEATS and walk(av[2]):
                return True
            if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT) and walk(av[1]):
                return True
        return False

    return walk(parsed)


def _required(
    items: sre_parser.SubPattern, left: bool = False, right: bool = False
) -> frozenset[Anchor] | None:
    """For a sequence: the strongest requirement of any of its parts (each must match,
    so any one of them will do). A run of items that each match one of a few strings
    (literals, classes of literals, optional or alternative literals: ``_strings``)
    is a part: every match holds one of the run's concatenations, so ``you(?:'ve|
    have)`` requires "you've" or "you have", not just "you" (issue 13: "you" and
    "pain" are in nearly every email, and each hit ran its entry's regex over the
    whole text). Zero-width items (``\\b``, lookarounds) consume nothing: the run goes
    on across them. ``left``/``right``: whether the sequence has a word boundary right
    before/after it (its context's)."""
    best: frozenset[Anchor] | None = None
    run: frozenset[str] = _EMPTY_RUN
    run_left, last = False, -1  # last: the index of the run's last item
    items = list(items)

    def consider(candidate: frozenset[Anchor] | None) -> None:
        nonlocal best
        if candidate and all(word for word, _, _ in candidate):
            candidate = _minimal(candidate)
            if best is None or _strength(candidate) > _strength(best):
                best = candidate

    def end_run() -> None:
        # Bounded on the right by a \b after the run's last item (zero-width between).
        bounded = _bounded(items, last, 1, right)
        consider(frozenset((word, run_left, bounded) for word in run))

    for i, (op, av) in enumerate(items):
        if op in _ZERO_WIDTH:
            continue
        before = _bounded(items, i, -1, left)
        # A group or alternation is also a part on its own: its words keep the
        # boundaries inside it (``\\b(?:fix|heal)\\b|\\bget rid of``), lost in a run.
        after = _bounded(items, i, 1, right)
        if op is sre_constants.SUBPATTERN:
            consider(_required(av[-1], before, after))
        elif op is sre_constants.BRANCH:
            branches = [_required(branch, before, after) for branch in av[1]]
            if all(branches):
                consider(frozenset().union(*branches))  # type: ignore[arg-type]
        elif op in _REPEATS and av[0] >= 1:
            consider(_required(av[2]))  # copies after the first have other neighbours
        strings = _strings(op, av)
        if strings is None:
            end_run()
            run = _EMPTY_RUN
            continue
        if run == _EMPTY_RUN:
            run_left = before
        joined = frozenset(a + b for a in run for b in strings)
        if len(joined) > _MAX_STRINGS:
            end_run()  # too many: the run so far is a part, and a new one starts
            run, run_left = strings, before
        else:
            run = joined
        last = i
    end_run()
    return best


def _bounded(items: list, i: int, step: int, context: bool) -> bool:
    """Whether a ``\\b`` stands between item ``i`` and the next item consuming text
    in direction ``step`` (-1: before it, 1: after it), with only zero-width items
    between; ``context`` when none is left in the sequence."""
    j = i + step
    while 0 <= j < len(items):
        op, av = items[j]
        if op is sre_constants.AT and av is sre_constants.AT_BOUNDARY:
            return True
        if op not in _ZERO_WIDTH:
            return False
        j += step
    return context


_EMPTY_RUN = frozenset({""})
# The most strings a run (or an item) stands for: the term list's longest phrasing
# ("correct|relieve|... your|the|... pain|injury|condition") is about a hundred.
_MAX_STRINGS = 256


def _strings(op: object, av: object) -> frozenset[str] | None:
    """The lower-case ASCII strings one item can match, when they are few; None when it
    can match anything else (``\\w``, a range, an unbounded repeat, a non-ASCII
    literal, which could fold otherwise)."""
    if op is sre_constants.LITERAL:
        char = chr(av)  # type: ignore[arg-type]
        return frozenset({char.lower()}) if char.isascii() else None
    if op is sre_constants.IN:
        chars = [chr(v) for o, v in av if o is sre_constants.LITERAL]  # type: ignore[attr-defined]
        if len(chars) != len(av) or not all(c.isascii() for c in chars):  # type: ignore[arg-type]
            return None
        return frozenset(c.lower() for c in chars)
    if op is sre_constants.SUBPATTERN:
        return _sequence_strings(av[-1])  # type: ignore[index]
    if op is sre_constants.BRANCH:
        union: set[str] = set()
        for branch in av[1]:  # type: ignore[index]
            strings = _sequence_strings(branch)
            if strings is None:
                return None
            union |= strings
        return frozenset(union) if len(union) <= _MAX_STRINGS else None
    if op in _REPEATS:
        low, high, item = av  # type: ignore[misc]
        strings = _sequence_strings(item)
        if strings is None or high > 4:
            return None
        found: set[str] = set()
        repeated = _EMPTY_RUN
        for count in range(high + 1):
            if count >= low:
                found |= repeated
            repeated = frozenset(a + b for a in repeated for b in strings)
            if len(found) + len(repeated) > _MAX_STRINGS:
                return None
        return frozenset(found)
    return None


def _sequence_strings(items: sre_parser.SubPattern) -> frozenset[str] | None:
    """The strings a whole sequence can match (``_strings`` of each item, joined)."""
    run = _EMPTY_RUN
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        strings = _strings(op, av)
        if strings is None:
            return None
        run = frozenset(a + b for a in run for b in strings)
        if len(run) > _MAX_STRINGS:
            return None
    return run


def _minimal(words: frozenset[Anchor]) -> frozenset[Anchor]:
    """Without the words that another of them finds too: one it holds, with the same
    boundaries (only as a prefix when bounded on the left, as a suffix on the right;
    a word bounded on both sides finds only itself)."""

    def finds(other: Anchor, word: Anchor) -> bool:
        (o, o_left, o_right), (w, w_left, w_right) = other, word
        if o == w or (o_left, o_right) != (w_left, w_right) or o not in w:
            return False
        if w_left and w_right:
            return False
        if w_left:
            return w.startswith(o)
        if w_right:
            return w.endswith(o)
        return True

    return frozenset(w for w in words if not any(finds(o, w) for o in words))


_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT)


def quick_start(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The same pattern, told first which characters a match can start with, when they
    are few: ``re`` then skips most positions after one look instead of trying every
    lookbehind and alternative there (``you-have`` runs ten times faster). Matches are
    the same: the lookahead only refuses positions where no match can start."""
    try:
        chars, empty = _first(sre_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # a form this walk does not know: the pattern as it is
        return pattern
    if empty or not chars or len(chars) > 16:
        return pattern
    ahead = "".join(re.escape(c) for c in sorted(chars))
    return re.compile(f"(?=[{ahead}])(?:{pattern.pattern})", pattern.flags)


def _first(items: sre_parser.SubPattern) -> tuple[set[str] | None, bool]:
    """(characters a match of this sequence can start with, whether it can match the
    empty string); None for the characters when they cannot be listed."""
    chars: set[str] = set()
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue  # takes no character: the next item starts the match
        if op is sre_constants.LITERAL:
            item, empty = {chr(av)}, False
        elif op is sre_constants.IN and all(o is sre_constants.LITERAL for o, _ in av):
            item, empty = {chr(v) for _, v in av}, False
        elif op is sre_constants.SUBPATTERN:
            item, empty = _first(av[-1])
        elif op is sre_constants.BRANCH:
            parts = [_first(branch) for branch in av[1]]
            if any(c is None for c, _ in parts):
                return None, False
            item = set().union(*(c for c, _ in parts))  # type: ignore[misc]
            empty = any(e for _, e in parts)
        elif op in _REPEATS:
            item, empty = _first(av[2])
            empty = empty or av[0] == 0
        else:
            return None, False
        if item is None:
            return None, False
        chars |= item
        if not empty:
            return chars, False
    return chars, True


def _strength(words: frozenset[Anchor]) -> tuple[int, int, int]:
    """Longer words trigger less often; words bounded on more sides, and fewer words,
    too."""
    sides = min(left + right for _, left, right in words)
    return min(len(word) for word, _, _ in words), sides, -len(words)


@dataclass(frozen=True)
class _Scanner:
    """The automata for one term list and one set of vouched wording."""

    vouched: ahocorasick.Automaton | None
    # anchor word -> (its length, (entry index, bounded left, bounded right) for each)
    anchored: ahocorasick.Automaton | None
    always: tuple[int, ...]  # entries without anchors
    quick: tuple[re.Pattern[str], ...]  # each entry's pattern, quick to start (quick_start)

    def mask(self, text: str) -> str:
        """Blank out wording we vouch for, keeping positions and word boundaries: the
        leftmost, then longest, vouched phrase first, as an alternation of the phrases
        longest first would."""
        if self.vouched is None:
            return text
        pieces, last = [], 0
        for end, phrase in self.vouched.iter_long(fold(text)):
            start = end - len(phrase) + 1
            pieces += [text[last:start], _MASK * len(phrase)]
            last = end + 1
        pieces.append(text[last:])
        return "".join(pieces)

    def candidates(self, text: str, folded: str | None = None) -> list[int]:
        """Entries that can match ``text``: those whose anchor occurs with the word
        boundaries the entry puts around it, and the unanchored. ``folded``:
        ``fold(text)``, when the caller has it (same positions: the boundaries are
        read in ``text``, as the entry's regex reads them)."""
        hits = set(self.always)
        if self.anchored is not None:
            found = self.anchored.iter(fold(text) if folded is None else folded)
            for end, (length, needs) in found:
                start = end - length + 1
                for index, left, right in needs:
                    if index in hits:
                        continue
                    if (not left or _boundary(text, start)) and (
                        not right or _boundary(text, end + 1)
                    ):
                        hits.add(index)
        return sorted(hits)


def _boundary(text: str, i: int) -> bool:
    """Whether ``\\b`` matches at position ``i`` of ``text`` (Unicode word characters,
    as ``re`` reads a str pattern: alphanumeric or underscore)."""
    before = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
    after = i < len(text) and (text[i].isalnum() or text[i] == "_")
    return before != after


@lru_cache(maxsize=8)
def _scanner(terms: TermList, allowed: tuple[str, ...]) -> _Scanner:
    vouched = {fold(p) for p in list(terms.safe_wording) + [normalise(a) for a in allowed]}
    by_word: dict[str, list[tuple[int, bool, bool]]] = {}
    always = []
    for index, entry in enumerate(terms.entries):
        words = bounded_anchors(entry.pattern.pattern)
        if words is None:
            always.append(index)
        for word, left, right in words or ():
            by_word.setdefault(word, []).append((index, left, right))
    anchored = None
    if by_word:
        anchored = ahocorasick.Automaton()
        for word, needs in by_word.items():
            anchored.add_word(word, (len(word), tuple(needs)))
        anchored.make_automaton()
    quick = tuple(quick_start(entry.pattern) for entry in terms.entries)
    return _Scanner(_automaton(vouched), anchored, tuple(always), quick)


# The last (terms, allowed, scanner) looked up: nearly every call asks for the same.
_last_scanner: tuple[TermList, tuple[str, ...], _Scanner] | None = None


def _scanner_of(terms: TermList, allowed: tuple[str, ...]) -> _Scanner:
    """``_scanner(terms, allowed)``, without hashing the term list (its forty-odd
    entries and their patterns, about a tenth of a check: issue 13) when it is the
    very list of the last call and the same wording."""
    global _last_scanner
    last = _last_scanner
    if last is not None and last[0] is terms and last[1] == allowed:
        return last[2]
    scanner = _scanner(terms, allowed)
    _last_scanner = (terms, allowed, scanner)
    return scanner


def check(
    parts: Mapping[str, str],
    *,
    allowed: Iterable[str] = (),
    terms: TermList | None = None,
) -> list[Violation]:
    """Every violation in every part. ``allowed`` is quoted questionnaire wording (our
    own constants, never event data): the client's answer to a question that names a
    condition is reported, not diagnosed."""
    terms = terms or default_terms()
    scanner = _scanner_of(terms, tuple(allowed))
    # All parts masked in one pass: normalised text has no line breaks, and no vouched
    # phrase has one, so no phrase spans two parts.
    names = list(parts)
    joined = scanner.mask("\n".join(normalise(parts[name]) for name in names))
    masked, folded = joined.split("\n"), fold(joined).split("\n")  # one fold for all parts
    found: list[Violation] = []
    for part, text, text_folded in zip(names, masked, folded, strict=True):
        for index in scanner.candidates(text, text_folded):
            entry = terms.entries[index]
            for match in scanner.quick[index].finditer(text):
                found.append(Violation(part, entry.id, entry.kind, match.group(0), entry.why))
    return found


def summary(violations: list[Violation], limit: int = 3) -> str:
    """The reason recorded on a blocked delivery."""
    shown = "; ".join(v.describe() for v in violations[:limit])
    more = f" (+{len(violations) - limit} more)" if len(violations) > limit else ""
    return f"scope guard: {shown}{more}"
