"""The services' parser loads a JSON body with the schema's compiled loader
(inscope_clinical.fastload) and must answer exactly as marshmallow would: the same
loaded body (values and key order) for a valid one, the same per-field messages (422)
for a broken one. Bodies: the examples the bench and the pages send, then seeded random
mutations of them (a value of another type, a bad date, a long or multi-line string, a
key removed or added)."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from flask import Flask
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from inscope_assessment.api import AssessmentRequestSchema
from inscope_common.http import SafeParser
from inscope_intake.api import CorrectionRequestSchema, IntakeRequestSchema
from tests import mutations
from tests.services.conftest import example

JUNK: list[Any] = [None, True, False, 0, 1, -1, 3, 11, 2.5, "", "x", "2025-13-40",
                   "2025-02-28", "2025-02-28T10:00:00+00:00", "a\nb", "x" * 6000,
                   "moderate", "left", "not-an-email", [], [1], {}, {"x": 1}]
APP = Flask(__name__)


def _intake() -> dict[str, Any]:
    return example("intake.json")


def _correction() -> dict[str, Any]:
    return {**example("intake.json"), "reason": "The client's birth date was mistyped."}


def _assessment(name: str) -> Any:
    return lambda: {"intake_id": "intake-1", "client_id": "client-1",
                    "assessment": example(name)}


BODIES = [
    (IntakeRequestSchema, _intake),
    (CorrectionRequestSchema, _correction),
    (AssessmentRequestSchema, _assessment("assessment-pain.json")),
    (AssessmentRequestSchema, _assessment("assessment-clear.json")),
]


def parsed(parser: SafeParser, schema: type[Schema], body: Any) -> tuple[str, Any]:
    with APP.test_request_context("/", method="POST", json=body):
        try:
            return "ok", json.dumps(parser.parse(schema, location="json"))  # key order too
        except HTTPException as exc:
            return "error", exc.data["messages"]  # type: ignore[attr-defined]


class MarshmallowParser(SafeParser):
    """The same parser with every body loaded by marshmallow (webargs' own steps)."""

    def _loader(self, schema: Any) -> None:
        return None


def marshmallow(schema: type[Schema], body: Any) -> tuple[str, Any]:
    return parsed(MarshmallowParser(), schema, copy.deepcopy(body))


def test_valid_bodies_load_as_marshmallow_loads_them_without_marshmallow(monkeypatch):
    parser = SafeParser()
    for schema, body in BODIES:
        assert parsed(parser, schema, body()) == marshmallow(schema, body())
    # The request schemas themselves are never loaded by marshmallow on the fast path.
    for schema, _ in BODIES:
        monkeypatch.setattr(schema, "load", lambda *a, **k: pytest.fail("marshmallow"))
    for schema, body in BODIES:
        assert parsed(parser, schema, body())[0] == "ok"


@pytest.mark.parametrize("seed", range(6))
def test_broken_bodies_are_refused_with_marshmallows_messages(seed):
    rng = random.Random(seed)
    parser = SafeParser()
    refused = 0
    for _ in range(40):
        schema, body = rng.choice(BODIES)
        mutated = mutations.mutate(body(), rng, JUNK, ["extra", "notes", "side"], add_below=0.25)
        got = parsed(parser, schema, mutated)
        assert got == marshmallow(schema, mutated), (seed, schema.__name__)
        refused += got[0] == "error"
    assert refused > 10  # the mutations do break bodies


def test_the_reference_is_marshmallow():
    body = _assessment("assessment-pain.json")()
    body["assessment"]["fms"]["tests"]["deep_squat"] = 4
    try:
        AssessmentRequestSchema().load(copy.deepcopy(body))
    except ValidationError as error:
        assert marshmallow(AssessmentRequestSchema, body) == ("error", {"json": error.messages})
    else:
        pytest.fail("a deep squat scored 4 loaded")
    body = _intake()
    loaded = json.dumps(IntakeRequestSchema().load(copy.deepcopy(body)))
    assert marshmallow(IntakeRequestSchema, body) == ("ok", loaded)


def test_a_body_that_is_not_an_object_or_holds_unknown_keys():
    parser = SafeParser()
    for body in ([1, 2], "text", 3, None, {**_intake(), "extra": 1}, {}):
        assert parsed(parser, IntakeRequestSchema, body) == marshmallow(IntakeRequestSchema, body)
