"""The compiled loader (inscope_clinical.fastload) against marshmallow itself.

The property: for any document, the compiled loader returns exactly what
``ScreenDocumentSchema().load`` returns (same values, same key order), or raises the
same ValidationError (it gives up and lets marshmallow load). Documents: the example
documents, then seeded random mutations of them - a value replaced by another type, an
out-of-range number, a bad date, a long or multi-line string, a key removed or added.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from marshmallow import ValidationError

from inscope_clinical.fastload import compiled
from inscope_clinical.schemas import ScreenDocumentSchema
from tests import mutations

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ScreenDocumentSchema()
FAST = compiled(ScreenDocumentSchema())
JUNK: list[Any] = [None, True, False, 0, 1, -1, 3, 11, 2.5, float("nan"), "", "x",
                   "2025-13-40", "2025-02-28", "2025-02-28T10:00:00+00:00", "a\nb",
                   "x" * 6000, "moderate", "left", "not-an-email", [], [1], {}, {"x": 1}]


def examples() -> list[dict[str, Any]]:
    paths = [ROOT / "examples" / "screen-document.json",
             *sorted((ROOT / "tests" / "clinical" / "examples").glob("*.json"))]
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def outcome(load: Any, doc: Any) -> tuple[str, Any]:
    try:
        return "ok", json.dumps(load(copy.deepcopy(doc)))  # key order counts too
    except ValidationError as error:
        return "error", error.messages


def mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    return mutations.mutate(doc, rng, JUNK, ["extra", "notes", "region", "side"], add_below=0.25)


def test_examples_load_the_same_and_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = examples()
    for doc in docs:
        assert outcome(FAST, doc) == outcome(SCHEMA.load, doc)
    # the fast path really is taken for valid documents (marshmallow is never called)
    fast = compiled(ScreenDocumentSchema())
    monkeypatch.setattr(ScreenDocumentSchema, "load", lambda *a, **k: pytest.fail("slow"))
    for doc in docs:
        fast(copy.deepcopy(doc))


@pytest.mark.parametrize("seed", range(8))
def test_mutated_documents_load_the_same_or_fail_the_same(seed: int) -> None:
    rng = random.Random(seed)
    docs = examples()
    for _ in range(60):
        doc = mutate(rng.choice(docs), rng)
        assert outcome(FAST, doc) == outcome(SCHEMA.load, doc), seed


def test_loaded_documents_share_nothing_with_the_input() -> None:
    doc = examples()[0]
    loaded = FAST(doc)
    loaded["intake"]["parq"]["general"]["g1"] = True
    loaded["intake"]["history"]["physical_therapy"].append({})
    assert doc["intake"]["parq"]["general"]["g1"] is False
    assert len(doc["intake"]["history"]["physical_therapy"]) == 1
