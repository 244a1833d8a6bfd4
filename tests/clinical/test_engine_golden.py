"""The engine's results, pinned: screen() on the repository's example documents, and
the free-text reader and screen() on the tuning phrases (never holdout/), must give
exactly what they gave before the speed work of issue 13 (golden/engine_golden.json,
written by golden/make_golden.py from the engine as it was). A change of behaviour
that is meant must regenerate the file in the same commit, saying why."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))

import make_golden  # noqa: E402


@pytest.fixture(scope="module")
def pinned() -> dict:
    return json.loads((GOLDEN / "engine_golden.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def now() -> dict:
    return make_golden.results()


def test_example_documents_screen_the_same(pinned: dict, now: dict) -> None:
    assert len(now["examples"]) == len(pinned["examples"])
    for got, want in zip(now["examples"], pinned["examples"], strict=True):
        assert got == want


@pytest.mark.parametrize("kind", ["read", "screen"])
def test_tuning_phrases_read_and_screen_the_same(pinned: dict, now: dict, kind: str) -> None:
    changed = sorted(name for name, d in now[kind].items() if pinned[kind].get(name) != d)
    assert set(now[kind]) == set(pinned[kind])
    assert changed == []
