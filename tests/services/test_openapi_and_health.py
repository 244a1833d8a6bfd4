"""Each service serves its OpenAPI document, and the committed copy is current."""

from __future__ import annotations

import json

import pytest

from inscope_common.cli import openapi_document
from tests.conftest import REPO

APPS = ["intake_app", "assessment_app", "referral_app", "notify_app"]

# The app fixtures are looked up by name; name the parametrized backend statically.
# The OpenAPI document does not depend on the database engine: its two tests run on
# SQLite only (a PostgreSQL variant costs fresh schemas and tables); health on both.
pytestmark = pytest.mark.usefixtures("database_backend")


@pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("app_name", APPS)
def test_committed_openapi_is_current(request, app_name):
    app = request.getfixturevalue(app_name)
    service = app_name.removesuffix("_app")
    committed = REPO / "services" / service / "openapi.json"
    assert committed.read_text() == openapi_document(app), (
        f"{committed} is stale: run `make openapi`"
    )


@pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)
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
    assert ready.get_json()["status"] == "ready"
    assert ready.get_json()["checks"] == {
        "database": {"ok": True},
        "broker": {"ok": True},
        "outbox": {"ok": True},
    }


@pytest.mark.parametrize("service", ["intake", "assessment", "referral", "notify"])
def test_a_broker_down_degrades_but_keeps_every_service_ready(service_env, smtp_sink, service):
    """Every write goes through the outbox: no service leaves the load balancer because
    the broker is away. The body names the part, not the error (no host, no port)."""
    import importlib

    from tests.conftest import free_port

    port = free_port()
    create_app = importlib.import_module(f"inscope_{service}").create_app
    app = create_app({**service_env, "REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": False, "detail": "the broker does not answer"}
    assert str(port) not in ready.get_data(as_text=True)
    app.extensions["inscope"].engine.dispose()


def test_the_database_down_is_not_ready(service_env, smtp_sink, tmp_path):
    from inscope_intake import create_app

    app = create_app(service_env)
    rt = app.extensions["inscope"]
    rt.engine.dispose()
    # Point the sessions at a database that cannot be opened.
    from sqlalchemy import create_engine

    broken = create_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}")
    rt.session_factory.configure(bind=broken)
    rt.session_factory.__dict__.pop("_inscope_read_only", None)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == {"ok": False, "detail": "the database does not answer"}
    assert "missing" not in ready.get_data(as_text=True)


def test_openapi_documents_the_intake_contract():
    spec = json.loads((REPO / "services" / "intake" / "openapi.json").read_text())
    request = spec["components"]["schemas"]["IntakeRequest"]
    assert set(request["required"]) == {"client", "intake"}
