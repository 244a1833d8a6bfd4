"""Hostile input is a 4xx, every time (issue 11, item 8): each defect fuzzing and hand-made
input found, as a regression test. Each one answered 500 (or stored text that later broke
a page and an email) before the guards of inscope_common.http."""

from __future__ import annotations

import json

import pytest

from tests.conftest import signer
from tests.services.conftest import example, staff

pytestmark = pytest.mark.usefixtures("database_backend")

BAD_TEXT = "Must not contain NUL or unpaired surrogate characters."


def _raw_post(client, path, text):
    return client.post(path, data=text.encode("utf-8"), content_type="application/json")


def _assessment_body():
    return {"intake_id": "i-1", "client_id": "c-1", "assessment": example("assessment-pain.json")}


# ---------------------------------------------------------------- JSON limits


@pytest.mark.parametrize(
    ("app_name", "path"),
    [
        ("intake_app", "/intakes"),
        ("assessment_app", "/assessments"),
        ("referral_app", "/referrals/inbound"),
    ],
)
@pytest.mark.parametrize("depth", [40, 1_000, 100_000])
def test_json_nested_too_deep_is_a_400_not_a_recursion_error(request, app_name, path, depth):
    client = request.getfixturevalue(app_name).test_client()
    response = _raw_post(client, path, '{"notes": ' + "[" * depth + "]" * depth + "}")
    assert response.status_code == 400
    assert "nested deeper" in response.get_json()["errors"]["json"][0]


def test_nesting_inside_strings_does_not_count(intake_app, intake_body):
    intake_body["intake"]["notes"] = "[[[[" * 500
    response = intake_app.test_client().post("/intakes", json=intake_body)
    assert response.status_code == 201


@pytest.mark.parametrize("literal", ["1" * 4_301, "-" + "9" * 5_000, "1" * 31])
def test_an_integer_literal_too_long_is_a_400(intake_app, literal):
    response = _raw_post(intake_app.test_client(), "/intakes", '{"client": ' + literal + "}")
    assert response.status_code == 400
    assert "digits" in response.get_json()["errors"]["json"][0]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_constants_are_a_400(intake_app, constant):
    response = _raw_post(intake_app.test_client(), "/intakes", '{"notes": ' + constant + "}")
    assert response.status_code == 400


# ---------------------------------------------------------------- NUL and surrogates


@pytest.mark.parametrize("bad", ["\ud800", "Dana\x00", "\udfff tail"])
def test_nul_or_a_lone_surrogate_in_a_name_is_a_422_naming_the_field(intake_app, intake_body, bad):
    intake_body["client"]["first_name"] = bad
    # json.dumps escapes both as \u0000 and \ud800, which JSON allows and Python decodes.
    response = _raw_post(intake_app.test_client(), "/intakes", json.dumps(intake_body))
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"client": {"first_name": [BAD_TEXT]}}


def test_bad_text_can_only_come_escaped(intake_app, intake_body):
    """The parser looks for NUL and surrogates only in bodies with a \\u escape (issue
    13): unescaped, a NUL (a control character inside a string) is not JSON and a
    UTF-8-encoded surrogate is not UTF-8, so both are a 400 before any field is read."""
    from inscope_common.http import safe_json_loads

    text = json.dumps(intake_body)
    raw_nul = text.replace('"Dana"', '"Da\x00na"').encode()
    raw_surrogate = text.encode().replace(b'"Dana"', b'"Da\xed\xa0\x80na"')
    for body in (raw_nul, raw_surrogate):
        assert b"\\u" not in body
        with pytest.raises(ValueError):
            safe_json_loads(body)
        response = intake_app.test_client().post(
            "/intakes", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, response.get_json()


def test_bad_text_nested_anywhere_is_named_at_its_path(intake_app, intake_body):
    intake_body["intake"]["physician"]["name"] = "Dr \ud800"  # was stored, then broke pages
    intake_body["intake"]["pain"] = [
        {
            "region": "knee\x00",
            "side": "left",
            "nprs_rest": 1,
            "nprs_activity": 2,
            "night_pain": False,
        }
    ]
    intake_body["intake"]["history"]["surgeries"] = [{"procedure": "x", "\ud800": 1}]
    response = _raw_post(intake_app.test_client(), "/intakes", json.dumps(intake_body))
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]["intake"]
    assert errors["physician"]["name"] == [BAD_TEXT]
    assert errors["pain"]["0"]["region"] == [BAD_TEXT]
    assert errors["history"]["surgeries"]["0"]["_schema"] == ["A field name: " + BAD_TEXT]
    assert intake_app.test_client().get("/openapi.json").status_code == 200


def test_bad_text_in_the_physicians_name_never_reaches_the_database(intake_app, intake_body):
    intake_body["intake"]["physician"]["name"] = "\ud800"
    client = intake_app.test_client()
    assert _raw_post(client, "/intakes", json.dumps(intake_body)).status_code == 422
    from inscope_intake.models import Intake

    with intake_app.extensions["inscope"].session_factory() as session:
        assert session.query(Intake).count() == 0


def test_bad_text_in_other_services_bodies_is_a_422(assessment_app, referral_app):
    body = _assessment_body()
    body["assessment"]["notes"] = "a\x00b"
    response = _raw_post(assessment_app.test_client(), "/assessments", json.dumps(body))
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["assessment"]["notes"] == [BAD_TEXT]
    response = _raw_post(
        referral_app.test_client(), "/referrals/x/close", json.dumps({"reason": "\ud83d"})
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["reason"] == [BAD_TEXT]


def test_nul_in_a_query_string_is_a_422(notify_app):
    response = notify_app.test_client().get("/deliveries?client=a%00b")
    assert response.status_code == 422
    assert response.get_json()["errors"]["query"]["client"] == [BAD_TEXT]


def test_nul_in_a_form_field_is_a_422_before_any_page_sees_it(intake_app):
    client = intake_app.test_client(role=None)
    credentials = signer(intake_app)
    client.set_cookie("inscope_session", credentials.session_cookie(staff("front_desk")))
    response = client.post("/intakes/new", data={"client.first_name": "Dana\x00"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["form"]["client.first_name"] == [BAD_TEXT]


# ---------------------------------------------------------------- strict types


@pytest.mark.parametrize("value", ["yes", 1, "true", "on", 0, None])
def test_booleans_are_strict(intake_app, intake_body, value):
    intake_body["intake"]["consent"]["assessment"] = value
    response = intake_app.test_client().post("/intakes", json=intake_body)
    assert response.status_code == 422
    assert "assessment" in response.get_json()["errors"]["json"]["intake"]["consent"]


@pytest.mark.parametrize("value", ["3", True, "nan"])
def test_numbers_are_strict(intake_app, intake_body, value):
    intake_body["intake"]["pain"] = [
        {
            "region": "knee",
            "side": "left",
            "nprs_rest": 1,
            "nprs_activity": 2,
            "night_pain": False,
            "duration_weeks": value,
        }
    ]
    response = intake_app.test_client().post("/intakes", json=intake_body)
    assert response.status_code == 422
    assert "duration_weeks" in response.get_json()["errors"]["json"]["intake"]["pain"]["0"]


# ---------------------------------------------------------------- the APIs' own messages


def test_the_error_handler_keeps_the_apis_own_message(intake_app, assessment_app, referral_app):
    response = intake_app.test_client().get("/intakes/nope")
    assert response.status_code == 404
    assert response.get_json()["message"] == "no intake nope"
    response = referral_app.test_client().post("/referrals/nope/close", json={"reason": "done"})
    assert response.status_code == 404
    assert response.get_json()["message"] == "no referral nope"


def test_the_error_handler_keeps_the_apis_own_field_errors(assessment_app):
    from inscope_assessment.models import KnownIntake

    with assessment_app.extensions["inscope"].session_factory.begin() as session:
        session.add(KnownIntake(intake_id="i-1", client_id="someone-else"))
    response = assessment_app.test_client().post("/assessments", json=_assessment_body())
    assert response.status_code == 422
    assert "belongs to another client" in response.get_json()["errors"]["json"]["client_id"][0]


# ---------------------------------------------------------------- the OpenAPI documents


def _spec(app):
    return app.test_client().get("/openapi.json").get_json()["components"]["schemas"]


def test_the_spec_types_physician_and_fms_exactly(intake_app, assessment_app):
    intake = _spec(intake_app)
    physician = {"allOf": [{"$ref": "#/components/schemas/Physician"}], "nullable": True}
    assert intake["Intake"]["properties"]["physician"] == physician
    assert intake["Contact"]["properties"]["physician"] == physician
    assert intake["IntakeSchemaOut"]["properties"]["intake"] == {
        "$ref": "#/components/schemas/Intake"
    }
    fms = {"allOf": [{"$ref": "#/components/schemas/Fms"}], "nullable": True}
    assert _spec(assessment_app)["Assessment"]["properties"]["fms"] == fms
    assert intake["Client"]["properties"]["last_name"]["pattern"] == "^[^\\r\\n]*$"


def _fields_of(schema, seen=None):
    """Every field of a request schema, nested schemas and list items included."""
    from marshmallow import fields

    seen = set() if seen is None else seen
    if type(schema) in seen:
        return
    seen.add(type(schema))
    for field in schema.fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            yield from _fields_of(inner.schema, seen)
        else:
            yield inner


@pytest.mark.parametrize("which", ["intake", "assessment", "screen"])
def test_every_boolean_and_float_the_engine_accepts_is_strict(which):
    """A new field written as marshmallow's lax Boolean or Float would take "yes" or "3"
    again; the schemas must use inscope_clinical.schemas.Boolean and Float."""
    from marshmallow import fields

    from inscope_clinical import schemas

    schema = {
        "intake": schemas.IntakeSchema,
        "assessment": schemas.AssessmentSchema,
        "screen": schemas.ScreenDocumentSchema,
    }[which]()
    lax = [
        f"{type(field.parent).__name__}.{field.name}"
        for field in _fields_of(schema)
        if (isinstance(field, fields.Boolean) and not isinstance(field, schemas.Boolean))
        or (isinstance(field, fields.Float) and not isinstance(field, schemas.Float))
        or (isinstance(field, fields.Integer) and not field.strict)
    ]
    assert lax == []
