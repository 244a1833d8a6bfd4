"""Random mutations of a JSON document, for tests that compare two loaders (a compiled
fast path against marshmallow) on the same broken input."""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from typing import Any


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path inside ``node`` (not the empty path)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, (*prefix, i))
    return found


def mutate(doc: dict[str, Any], rng: random.Random, junk: Sequence[Any],
           new_keys: Sequence[str], add_below: float) -> dict[str, Any]:
    """A copy with one to three changes: a key removed (15 %), a key from ``new_keys``
    added (up to ``add_below``) or a value replaced by one of ``junk``."""
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        *parent_path, last = rng.choice(paths(doc))
        parent: Any = doc
        for step in parent_path:
            parent = parent[step]
        action = rng.random()
        if action < 0.15 and isinstance(parent, dict):
            del parent[last]
        elif action < add_below and isinstance(parent, dict):
            parent[rng.choice(list(new_keys))] = rng.choice(list(junk))
        else:
            parent[last] = copy.deepcopy(rng.choice(list(junk)))
    return doc
