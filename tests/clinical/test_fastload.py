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


def _yes_no_places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of the dicts whose values are all yes/no answers (or unanswered)."""
    if not isinstance(node, dict):
        return []
    found = [path] if node and all(v is None or type(v) is bool for v in node.values()) else []
    for key, value in node.items():
        found += _yes_no_places(value, (*path, key))
    return found


def _at(doc: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    for key in path:
        doc = doc[key]
    return doc


@pytest.mark.parametrize("junk", [None, 0, 1, "yes", [], "drop", "extra", "reorder"])
def test_every_yes_no_answer_loads_or_fails_as_marshmallow_does(junk: Any) -> None:
    """The yes/no lists (red flags, ACSM signs, PAR-Q+ questions and gates), where the
    generated loader tests a given answer before the missing and None cases: each
    answer of each list, replaced, removed, unknown or in another order, gives
    marshmallow's result (values, key order) or its error."""
    for doc in examples():
        for path in _yes_no_places(doc):
            for key in list(_at(doc, path)):
                changed = copy.deepcopy(doc)
                answers = _at(changed, path)
                if junk == "drop":
                    del answers[key]
                elif junk == "extra":
                    answers["not_a_question"] = True
                elif junk == "reorder":
                    items = list(answers.items())
                    answers.clear()
                    answers.update(dict(reversed(items)))
                else:
                    answers[key] = junk
                assert outcome(FAST, changed) == outcome(SCHEMA.load, changed), (path, key)
