"""The client's rights (issue 12 item 8) across the four in-process services, with
intake, assessment and notify served on real ports for the hub's calls: an admin's
export bundle holds every service's data about the client; an erasure request reaches
every service through the bus and leaves no name, email, phone or date of birth in any
database, while the clinical record stays, marked; every export and erasure is audited;
failed sign-ins are swept after their retention."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from werkzeug.serving import make_server

from inscope_common.audit import entries
from inscope_common.db import utcnow
from tests.conftest import free_port
from tests.referral.conftest import queued_events
from tests.services.conftest import example

SERVICES = ("intake", "assessment", "referral", "notify")


class Suite:
    """The four apps; intake, assessment and notify also on real ports."""

    def __init__(self, service_env: dict[str, str]) -> None:
        import importlib

        self.apps: dict[str, Any] = {}
        self.servers: list[Any] = []
        for name in ("intake", "assessment", "notify", "referral"):
            app = importlib.import_module(f"inscope_{name}").create_app(service_env)
            self.apps[name] = app
            if name != "referral":
                port = free_port()
                server = make_server("127.0.0.1", port, app, threaded=True)
                threading.Thread(target=server.serve_forever, daemon=True).start()
                self.servers.append(server)
                service_env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
        self.done: set[tuple[str, str]] = set()

    def pump(self, redis_client: Any) -> None:
        """Deliver every queued event to its consumer until nothing new is queued."""
        moved = True
        while moved:
            moved = False
            for name in SERVICES:
                task = self.apps[name].extensions["celery"].tasks[f"{name}.consume_event"]
                for event in queued_events(redis_client, f"inscope.{name}"):
                    if (name, event["id"]) not in self.done:
                        self.done.add((name, event["id"]))
                        assert task.apply(args=[event]).get() == "processed", event["type"]
                        moved = True

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
        for app in self.apps.values():
            app.extensions["inscope"].engine.dispose()


@pytest.fixture
def suite(service_env) -> Iterator[Suite]:
    suite = Suite(service_env)
    yield suite
    suite.close()


def _identifiers(body: dict[str, Any]) -> list[str]:
    client, physician = body["client"], body["intake"]["physician"]
    return [client["first_name"], client["last_name"], client["email"], client["phone"],
            client["date_of_birth"], physician["name"], physician["email"],
            physician["phone"]]  # fmt: skip


def _every_row(app: Any) -> str:
    """Every row of every table of a service's database, as text."""
    from sqlalchemy import MetaData

    engine = app.extensions["inscope"].engine
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row))
            for table in metadata.sorted_tables
            for row in connection.execute(select(table))
        )


def _audited(app: Any, action: str, client_id: str) -> list[dict[str, Any]]:
    rt = app.extensions["inscope"]
    model = app.extensions["inscope_audit"]
    return [e for e in entries(rt.session_factory, model)
            if e["action"] == action and e["client_id"] == client_id]  # fmt: skip


def _answered_previsit_link(app: Any, body: dict[str, Any], intake_id: str) -> None:
    """A pre-visit link the client answered before the desk made this intake of it."""
    from inscope_intake.models import PrevisitLink

    client = body["client"]
    with app.extensions["inscope"].session_factory() as session, session.begin():
        session.add(PrevisitLink(
            first_name=client["first_name"], last_name=client["last_name"],
            email=client["email"], nonce="n", expires_at=utcnow(), sent_by="desk",
            sent_by_name="Desk", status="completed", intake_id=intake_id,
            draft={"phone": client["phone"], "date_of_birth": client["date_of_birth"]},
        ))  # fmt: skip


def test_export_bundle_holds_every_service_and_erasure_leaves_no_identifier(
    suite, redis_client, smtp_sink
):
    body = example("intake.json")
    body["intake"]["acsm"]["signs_symptoms"]["ankle_oedema"] = True  # clearance: letters
    created = suite.apps["intake"].test_client().post("/intakes", json=body).get_json()
    client_id = created["client_id"]
    suite.pump(redis_client)  # screened: clearance, the client and physician emailed
    _answered_previsit_link(suite.apps["intake"], body, created["id"])
    assert smtp_sink.messages, "notify sent the client's and physician's emails"
    hub = suite.apps["referral"].test_client()

    bundle = hub.get(f"/admin/clients/{client_id}/export-bundle")
    assert bundle.status_code == 200, bundle.get_json()
    parts = bundle.get_json()["services"]
    assert set(parts) == set(SERVICES)
    assert parts["intake"]["tables"]["clients"][0]["email"] == body["client"]["email"]
    assert parts["intake"]["tables"]["intakes"][0]["id"] == created["id"]
    assert parts["intake"]["tables"]["previsit_links"][0]["intake_id"] == created["id"]
    assert parts["assessment"]["tables"]["known_intakes"][0]["intake_id"] == created["id"]
    assert parts["referral"]["tables"]["decisions"][0]["client_id"] == client_id
    assert {d["recipient"] for d in parts["notify"]["tables"]["deliveries"]} >= {
        body["client"]["email"]
    }
    for name in SERVICES:  # each service records the export under the admin's name
        [export] = _audited(suite.apps[name], "export", client_id)
        assert export["account_name"] == "Test admin"

    for name in ("intake", "notify"):  # what the scan below must no longer find
        assert body["client"]["email"] in _every_row(suite.apps[name])
    assert hub.post(f"/admin/clients/{client_id}/erasure", json={}).status_code == 422
    asked = hub.post(f"/admin/clients/{client_id}/erasure",
                     json={"reason": "client's written request of 2026-12-04"})  # fmt: skip
    assert asked.status_code == 202
    suite.pump(redis_client)

    for name in SERVICES:
        dump = _every_row(suite.apps[name])
        for value in _identifiers(body):
            assert value not in dump, f"{value!r} still in the {name} database"
        [erased] = _audited(suite.apps[name], "erase", client_id)
        assert erased["account_name"] == "Test admin" and "written request" in erased["detail"]
    # The clinical record stays, marked; the birth year stays for the age band.
    intake = suite.apps["intake"].test_client().get(f"/admin/clients/{client_id}/export")
    [client] = intake.get_json()["tables"]["clients"]
    assert client["first_name"] == "(erased)" and client["erased_at"]
    assert client["date_of_birth"] == body["client"]["date_of_birth"][:4] + "-01-01"
    document = intake.get_json()["tables"]["intakes"][0]["document"]
    assert document["acsm"]["signs_symptoms"]["ankle_oedema"] is True
    assert document["physician"]["clinic"] == body["intake"]["physician"]["clinic"]
    decisions = hub.get(f"/clients/{client_id}/decisions").get_json()
    assert decisions, "the decisions are kept"


def test_the_bundle_is_refused_whole_when_a_service_cannot_be_reached(service_env):
    from inscope_referral import create_app

    app = create_app({**service_env, "NOTIFY_URL": f"http://127.0.0.1:{free_port()}",
                      "INTAKE_URL": f"http://127.0.0.1:{free_port()}",
                      "ASSESSMENT_URL": f"http://127.0.0.1:{free_port()}"})  # fmt: skip
    try:
        answer = app.test_client().get("/admin/clients/c-1/export-bundle")
        assert answer.status_code == 502
        assert answer.get_json()["unreachable"] == ["intake", "assessment", "notify"]
        assert app.test_client(role="trainer").get(
            "/admin/clients/c-1/export-bundle").status_code == 403  # fmt: skip
        assert app.test_client().get(f"/admin/clients/{'x' * 65}/export-bundle").status_code == 422
    finally:
        app.extensions["inscope"].engine.dispose()


def test_failed_sign_ins_are_swept_after_their_retention(service_env):
    from inscope_referral import create_app
    from inscope_referral.models import LoginFailure

    app = create_app({**service_env, "INSCOPE_RETENTION_FAILED_LOGINS_DAYS": "7"})
    rt = app.extensions["inscope"]
    try:
        with rt.session_factory() as session, session.begin():
            session.add_all([
                LoginFailure(email="a@example.org", address="10.0.0.1",
                             at=utcnow() - timedelta(days=8)),
                LoginFailure(email="b@example.org", address="10.0.0.1",
                             at=utcnow() - timedelta(days=6)),
            ])  # fmt: skip
        rt.relay.run_sweeps()
        with rt.session_factory() as session:
            left = session.execute(text("SELECT email FROM login_failures")).scalars().all()
        assert left == ["b@example.org"]
    finally:
        rt.engine.dispose()
