"""Per-process memos of the engine's pure steps, keyed on their inputs (issue 13).

A loaded document is JSON data (dicts, lists, strings, numbers, booleans, None):
``marshal.dumps`` of it is a key that tells ``True`` from ``1`` and is equal only for
equal data in the same order (other orders only miss). What a memo keeps is marshalled
too, and every hit is a fresh ``marshal.loads``: callers own what they get and can
never change what is kept. Each memo is bounded (emptied when full).
"""

from __future__ import annotations

import marshal
from typing import Any

_KEPT: list[Any] = []  # every memo's store (anything with clear())


def register(store: Any) -> Any:
    """Have forget_all() empty ``store`` too (returned as it is)."""
    _KEPT.append(store)
    return store


class Memo:
    """A bounded map from marshalled inputs to marshalled results."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.kept: dict[Any, bytes] = register({})

    def get(self, key: Any) -> Any:
        """A fresh copy of what is kept for ``key`` (None when nothing is)."""
        kept = self.kept.get(key)
        return None if kept is None else marshal.loads(kept)

    def put(self, key: Any, value: Any) -> None:
        """Keep ``value`` (not marshallable: not kept). The caller keeps ``value``
        itself: what is kept is a copy."""
        try:
            data = marshal.dumps(value)
        except ValueError:
            return
        if len(self.kept) >= self.size:
            self.kept.clear()
        self.kept[key] = data


def key_of(*parts: Any, config: Any = None) -> tuple[bytes, Any] | None:
    """The key of JSON-like ``parts`` and a (frozen, hashable) ``config``: None when a
    part is something else or the config is not hashable (not cached)."""
    try:
        hash(config)
        return marshal.dumps(parts), config
    except (TypeError, ValueError):
        return None


def forget_all() -> None:
    """Empty every memo (bench: a document none of whose parts was seen)."""
    for store in _KEPT:
        store.clear()
