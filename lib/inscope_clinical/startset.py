"""Regexes that skip, while searching, the positions where no match can start.

Python's regex engine searches by trying a match at every position of the text unless
the pattern begins with a literal or a character class, which it then looks for first
(the "prefix" or "charset" of the pattern's info block). Most of the matcher's patterns
begin with a lookbehind (``(?<![\\w])``: a word starts here), so the engine found no
such start and ran the whole pattern at each position of every sentence: about a
quarter of ``screen()``'s time.

``compile(pattern)`` compiles exactly that pattern, and when the compiler found no
start of its own, works out the set of characters any match must begin with (skipping
lookarounds and anchors, which consume nothing; through groups, alternatives and
optional parts) and puts it in the info block as the pattern's start charset. The
engine then only tries the positions holding one of those characters; what matches,
where, and in which order is unchanged, since a match can only start at such a
position. A pattern that can match the empty string, or whose first character cannot
be worked out (``.``, a negated class, a flag group, a back reference), is compiled as
usual, and so is every pattern when the ``re`` internals are not the expected ones.
"""

from __future__ import annotations

import re
from typing import Any

try:  # CPython's own regex compiler (3.11+); private, so checked before use
    import _sre
    from re import _compiler as _sre_compile  # type: ignore[attr-defined]
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]

    _INTERNALS = all(
        hasattr(_sre_compile, name) for name in ("_code", "_compile_charset", "_optimize_charset")
    ) and hasattr(_sre, "compile")
except ImportError:  # pragma: no cover - another Python
    _INTERNALS = False

Chars = list[tuple[Any, Any]]


class _Unknown(Exception):
    """The first character of a match cannot be worked out."""


def _first(items: Any) -> tuple[Chars, bool]:
    """The characters a match of the sequence ``items`` can begin with, and whether the
    sequence can match the empty string (then what follows it may begin the match)."""
    chars: Chars = []
    for op, av in items:
        if op in (_c.ASSERT, _c.ASSERT_NOT, _c.AT):
            continue  # zero width: the next item consumes the first character
        if op is _c.LITERAL:
            return chars + [(_c.LITERAL, av)], False
        if op is _c.IN:
            if any(kind is _c.NEGATE for kind, _ in av):
                raise _Unknown
            return chars + list(av), False
        if op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                raise _Unknown
            more, empty = _first(sub)
        elif op is _c.BRANCH:
            more, empty = [], False
            for branch in av[1]:
                got, branch_empty = _first(branch)
                more += got
                empty = empty or branch_empty
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, sub = av
            if high == 0:
                continue
            more, empty = _first(sub)
            empty = empty or low == 0
        else:  # ANY, NOT_LITERAL, GROUPREF, atomic groups, ...: not worked out
            raise _Unknown
        chars += more
        if not empty:
            return chars, False
    return chars, True


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:  # noqa: A001 - re.compile's twin
    """``re.compile(pattern, flags)``, searching only from the positions where a match
    can start (see the module's docstring)."""
    plain = re.compile(pattern, flags)
    if not _INTERNALS or flags:
        return plain
    try:
        parsed = _sre_parse.parse(pattern, flags)
        if parsed.state.flags & ~_c.SRE_FLAG_UNICODE:
            return plain  # inline flags: left to re itself
        code = _sre_compile._code(parsed, flags)  # noqa: SLF001
        info, skip, mask, low, high = code[:5]
        if info != _c.INFO or mask or low == 0:
            return plain  # re found a start of its own, or the pattern may match ""
        chars, empty = _first(parsed.data)
        if empty or not chars:
            return plain
        charset, hascased = _sre_compile._optimize_charset(chars)  # noqa: SLF001
        if hascased:
            return plain
        head = [info, 0, _c.SRE_INFO_CHARSET, low, high]
        _sre_compile._compile_charset(charset, parsed.state.flags, head)  # noqa: SLF001
        head[1] = len(head) - 1
        groupindex = parsed.state.groupdict
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        fast: re.Pattern[str] = _sre.compile(
            pattern,
            parsed.state.flags,
            head + code[1 + skip :],
            parsed.state.groups - 1,
            groupindex,
            tuple(indexgroup),
        )
        return fast
    except _Unknown:
        return plain
