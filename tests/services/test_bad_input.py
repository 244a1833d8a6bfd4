"""Every endpoint answers bad input with a 4xx and per-field messages, never a 500."""

from __future__ import annotations

import pytest

from tests.services.conftest import example

# The app fixtures are looked up by name; name the parametrized backend statically.
pytestmark = pytest.mark.usefixtures("database_backend")


def _post(client, path, data, content_type="application/json"):
    return client.post(path, data=data, content_type=content_type)


def _field_errors(response):
    body = response.get_json()
    assert body is not None, response.data
    return body["errors"]["json"]


def test_intake_missing_fields_are_named(intake_app):
    response = intake_app.test_client().post("/intakes", json={"client": {"first_name": "A"}})
    assert response.status_code == 422
    errors = _field_errors(response)
    assert "intake" in errors
    assert set(errors["client"]) >= {"last_name", "date_of_birth"}


def test_intake_wrong_types_and_unknown_enums_are_named(intake_app, intake_body):
    intake_body["client"]["date_of_birth"] = "not a date"
    intake_body["intake"]["acsm"]["desired_intensity"] = "extreme"
    intake_body["intake"]["parq"]["general"]["g1"] = "maybe"
    intake_body["intake"]["pain"] = [
        {
            "region": "knee",
            "side": "left",
            "nprs_rest": 11,
            "nprs_activity": "x",
            "night_pain": False,
        }
    ]
    response = intake_app.test_client().post("/intakes", json=intake_body)
    assert response.status_code == 422
    errors = _field_errors(response)
    assert "date_of_birth" in errors["client"]
    assert "desired_intensity" in errors["intake"]["acsm"]
    assert "g1" in errors["intake"]["parq"]["general"]
    assert set(errors["intake"]["pain"]["0"]) == {"nprs_rest", "nprs_activity"}


def test_intake_unknown_fields_are_rejected(intake_app, intake_body):
    intake_body["client"]["favourite_colour"] = "blue"
    response = intake_app.test_client().post("/intakes", json=intake_body)
    assert response.status_code == 422
    assert "favourite_colour" in _field_errors(response)["client"]
    # the summary names the unknown field by its own name (it has no question's label)
    assert {"field": "client.favourite_colour",
            "message": "“client.favourite_colour” is not a question of this form."} \
        in response.get_json()["problems"]


def test_header_injection_in_a_name_is_rejected(intake_app, intake_body):
    intake_body["client"]["last_name"] = "Rivera\r\nBcc: victim@example.com"
    response = intake_app.test_client().post("/intakes", json=intake_body)
    assert response.status_code == 422
    assert "last_name" in _field_errors(response)["client"]


@pytest.mark.parametrize(
    ("app_name", "path"),
    [("intake_app", "/intakes"), ("assessment_app", "/assessments")],
)
def test_malformed_json_is_a_400(request, app_name, path):
    client = request.getfixturevalue(app_name).test_client()
    response = _post(client, path, '{"client": ')
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("app_name", "path"),
    [("intake_app", "/intakes"), ("assessment_app", "/assessments")],
)
def test_a_body_that_is_not_an_object_is_a_422(request, app_name, path):
    client = request.getfixturevalue(app_name).test_client()
    response = _post(client, path, "[1, 2, 3]")
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("app_name", "path"),
    [("intake_app", "/intakes"), ("assessment_app", "/assessments")],
)
def test_oversized_bodies_are_a_413(request, app_name, path):
    client = request.getfixturevalue(app_name).test_client()
    response = _post(client, path, '{"notes": "' + "x" * 300_000 + '"}')
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


def test_assessment_missing_and_invalid_fields_are_named(assessment_app):
    body = {"intake_id": "", "assessment": example("assessment-pain.json")}
    body["assessment"]["ohsa"]["compensations"].append(
        {"compensation": "asymmetrical_weight_shift", "view": "posterior"}
    )
    body["assessment"]["fms"]["tests"]["deep_squat"] = 4
    response = assessment_app.test_client().post("/assessments", json=body)
    assert response.status_code == 422
    errors = _field_errors(response)
    assert "client_id" in errors and "intake_id" in errors
    assert "shift_toward" in errors["assessment"]["ohsa"]["compensations"]["2"]
    assert "deep_squat" in errors["assessment"]["fms"]["tests"]


def test_deliveries_need_a_client(notify_app):
    response = notify_app.test_client().get("/deliveries")
    assert response.status_code == 422
    assert "client" in response.get_json()["errors"]["query"]


@pytest.mark.parametrize(
    ("app_name", "path"),
    [
        ("intake_app", "/intakes/nope"),
        ("assessment_app", "/assessments/nope"),
        ("referral_app", "/clients/nope/status"),
        ("intake_app", "/no/such/route"),
    ],
)
def test_unknown_things_are_a_json_404(request, app_name, path):
    response = request.getfixturevalue(app_name).test_client().get(path)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_wrong_method_is_a_json_405(intake_app):
    response = intake_app.test_client().delete("/intakes")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405


def test_contact_details_need_a_service_credential(intake_app, intake_body):
    from inscope_common import keys
    from inscope_common.service_auth import ServiceSigner

    client = intake_app.test_client()
    intake_id = client.post("/intakes", json=intake_body).get_json()["id"]
    path = f"/internal/intakes/{intake_id}/contact"
    assert client.get(path).status_code == 401
    wrong = client.get(path, headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401
    notify = ServiceSigner("notify", keys.dev_private_key("notify"))
    right = client.get(path, headers=notify.headers("intake"))
    assert right.status_code == 200
    assert right.get_json()["client"]["email"] == "dana.rivera@example.com"
