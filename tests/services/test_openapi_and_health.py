"""Each service serves its OpenAPI document, and the committed copy is current."""

from __future__ import annotations

import json

import pytest

from inscope_common.cli import openapi_document
from tests.conftest import REPO

APPS = ["intake_app", "assessment_app", "referral_app", "notify_app"]

# The app fixtures are looked up by name; name the parametrized backend statically.
pytestmark = pytest.mark.usefixtures("database_backend")


@pytest.mark.parametrize("app_name", APPS)
def test_committed_openapi_is_current(request, app_name):
    app = request.getfixturevalue(app_name)
    service = app_name.removesuffix("_app")
    committed = REPO / "services" / service / "openapi.json"
    assert committed.read_text() == openapi_document(app), (
        f"{committed} is stale: run `make openapi`"
    )


@pytest.mark.parametrize("app_name", APPS)
def test_openapi_is_served_and_lists_health(request, app_name):
    client = request.getfixturevalue(app_name).test_client()
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/healthz", "/readyz"} <= set(spec["paths"])


@pytest.mark.parametrize("app_name", APPS)
def test_health_and_readiness(request, app_name):
    client = request.getfixturevalue(app_name).test_client()
    assert client.get("/healthz").get_json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": {"ok": True}, "broker": {"ok": True}}


def test_readiness_fails_when_the_broker_is_unreachable(service_env, smtp_sink):
    from inscope_notify import create_app
    from tests.conftest import free_port

    app = create_app({**service_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is False
    app.extensions["inscope"].engine.dispose()


def test_openapi_documents_the_intake_contract():
    spec = json.loads((REPO / "services" / "intake" / "openapi.json").read_text())
    request = spec["components"]["schemas"]["IntakeRequest"]
    assert set(request["required"]) == {"client", "intake"}
