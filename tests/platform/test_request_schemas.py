"""Request schemas are built once per class (issue 13): webargs built a new instance of
the schema class for every request, and each new instance built every nested schema
again (40% of the assessment web's CPU)."""

from __future__ import annotations

from flask import Flask
from flask.views import MethodView
from marshmallow import Schema, fields

from inscope_common.http import Blueprint
from inscope_common.openapi import make_api

BUILT: list[str] = []


class _Counted(Schema):
    def __init__(self, *args, **kwargs) -> None:
        BUILT.append(type(self).__name__)
        super().__init__(*args, **kwargs)


class Part(_Counted):
    name = fields.String(required=True)


class Whole(_Counted):
    parts = fields.List(fields.Nested(Part), required=True)


def _app() -> Flask:
    app = Flask("schemas_once")
    blp = Blueprint("wholes", __name__)

    @blp.route("/wholes")
    class Wholes(MethodView):
        @blp.arguments(Whole)
        @blp.response(200)
        def post(self, body):
            return {"parts": len(body["parts"])}

    make_api(app, "schemas once").register_blueprint(blp)
    return app


def test_a_request_schema_and_its_nested_schemas_are_built_once_for_every_request():
    client = _app().test_client()
    body = {"parts": [{"name": "a"}, {"name": "b"}]}
    assert client.post("/wholes", json=body).get_json() == {"parts": 2}
    built = len(BUILT)
    for _ in range(3):
        assert client.post("/wholes", json=body).get_json() == {"parts": 2}
    assert len(BUILT) == built  # nothing built again
    bad = client.post("/wholes", json={"parts": [{"name": 1}]})
    assert bad.status_code == 422 and "parts" in bad.get_json()["errors"]["json"]
