"""The client's rights (issue 12 item 8) across the four in-process services, with
intake, assessment and notify served on real ports for the hub's calls: an admin's
export bundle holds every service's data about the client; an erasure request reaches
every service through the bus and leaves no name, email, phone or date of birth in any
database, while the clinical record stays, marked; every export and erasure is audited;
failed sign-ins are swept after their retention."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
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
                        outcome = task.apply(args=[event]).get()
                        assert outcome in ("processed", "ignored"), event["type"]
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


def _spellings(body: dict[str, Any]) -> list[str]:
    """The client's date of birth as people write it, and their full name."""
    born = date.fromisoformat(body["client"]["date_of_birth"])
    return [f"{born:%d/%m/%Y}", f"{born:%B} {born.day}, {born.year}",
            f"{body['client']['first_name']} {body['client']['last_name']}"]  # fmt: skip


def _previsit_delivery(suite: Suite, link_id: str) -> Any:
    from inscope_notify.models import Delivery

    with suite.apps["notify"].extensions["inscope"].session_factory() as session:
        return session.scalars(select(Delivery).where(Delivery.client_id == link_id)).one()


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


def _previsit_link(suite: Suite, redis_client: Any, body: dict[str, Any]) -> str:
    """The desk sends the client a pre-visit link: notify emails it (a delivery row keyed
    by the link's id, with the client's address)."""
    from inscope_common.audit import Actor
    from inscope_intake import previsit

    client, rt = body["client"], suite.apps["intake"].extensions["inscope"]
    link = previsit.send_link(rt, client["first_name"], client["last_name"], client["email"],
                              Actor("desk-1", "Desk", "front_desk", "page"))  # fmt: skip
    suite.pump(redis_client)
    return link.id


def _answered_previsit_link(app: Any, body: dict[str, Any], link_id: str, intake_id: str
                            ) -> None:  # fmt: skip
    """The client answered the link before the desk made this intake of it."""
    from inscope_intake.models import PrevisitLink

    client = body["client"]
    with app.extensions["inscope"].session_factory() as session, session.begin():
        link = session.get(PrevisitLink, link_id)
        link.status, link.intake_id = "completed", intake_id
        link.draft = {"phone": client["phone"], "date_of_birth": client["date_of_birth"]}


def _inbound_referral(suite: Suite, body: dict[str, Any], intake_id: str) -> str:
    """A clinic's referral of the client (patient and clinician contact details) that
    the desk started this intake from."""
    from inscope_intake.models import Intake

    physician = body["intake"]["physician"]
    sent = suite.apps["referral"].test_client().post("/referrals/inbound", json={
        "referrer": {"name": physician["name"], "clinic": physician["clinic"],
                     "email": physician["email"], "phone": physician["phone"]},
        "patient": body["client"],
        "prescription": f"For {body['client']['first_name']} {body['client']['last_name']}"
                        f": progress overhead loading; call {body['client']['phone']}.",
        "referral_date": "2026-11-20",
    })  # fmt: skip
    assert sent.status_code == 201, sent.get_json()
    with suite.apps["intake"].extensions["inscope"].session_factory() as session, \
            session.begin():  # fmt: skip
        session.get(Intake, intake_id).inbound_referral_id = sent.get_json()["id"]
    return sent.get_json()["id"]


def _physician_answers(suite: Suite, body: dict[str, Any], client_id: str) -> None:
    """The physician answers through the emailed link, naming the client in the notes."""
    import re

    from inscope_referral.models import Referral
    from inscope_referral.referrals import answer_url

    rt = suite.apps["referral"].extensions["inscope"]
    with rt.session_factory() as session:
        referral = session.scalars(select(Referral).where(Referral.client_id == client_id)).first()
        path = answer_url(rt.settings, referral).split("://", 1)[1].split("/", 1)[1]
    web = suite.apps["referral"].test_client()
    page = web.get(f"/{path}").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)
    client = body["client"]
    done = web.post(f"/{path}", headers={"Origin": "http://localhost"}, data={
        "form_key": key, "answered_by": body["intake"]["physician"]["name"],
        "profession": "physician", "registration": "CPSO 12345",
        "answer": "cleared_with_restrictions", "max_intensity": "moderate",
        "notes": f"Saw {client['first_name']} {client['last_name']} (DOB "
                 f"{client['date_of_birth']}); reach her on {client['phone']} or "
                 f"{client['email']}.",
    })  # fmt: skip
    assert done.status_code == 200, done.get_data(as_text=True)


def _staff_note(suite: Suite, body: dict[str, Any], client_id: str) -> None:
    """A staff member's note on the client's emergency, naming them."""
    from inscope_referral.models import Decision, EmergencyAction

    client = body["client"]
    with suite.apps["referral"].extensions["inscope"].session_factory() as session, \
            session.begin():  # fmt: skip
        decision = session.scalars(select(Decision).where(Decision.client_id == client_id)).first()
        session.add(EmergencyAction(
            client_id=client_id, decision_id=decision.id, action="resolved",
            note=f"Called {client['first_name']} {client['last_name']} on {client['phone']}",
            account_id="desk-1", account_name="Desk", role="front_desk"))  # fmt: skip


def test_export_bundle_holds_every_service_and_erasure_leaves_no_identifier(
    suite, redis_client, smtp_sink
):
    body = example("intake.json")
    body["intake"]["acsm"]["signs_symptoms"]["ankle_oedema"] = True  # clearance: letters
    client = body["client"]
    # The client's own words name them (born 12 April 1988, as people write it).
    born = date.fromisoformat(client["date_of_birth"])
    body["intake"]["notes"] = (
        f"I am {client['first_name']} {client['last_name']}, born {born:%d/%m/%Y}; text me "
        f"on {client['phone']} or write to {client['email']}. Back to volleyball."
    )
    link_id = _previsit_link(suite, redis_client, body)
    created = suite.apps["intake"].test_client().post("/intakes", json=body).get_json()
    client_id = created["client_id"]
    suite.pump(redis_client)  # screened: clearance, the client and physician emailed
    _answered_previsit_link(suite.apps["intake"], body, link_id, created["id"])
    inbound_id = _inbound_referral(suite, body, created["id"])
    _physician_answers(suite, body, client_id)
    _staff_note(suite, body, client_id)
    suite.pump(redis_client)  # the answer reaches intake, assessment and notify
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

    # What the scan below must no longer find: the client's address in intake and in
    # notify (the pre-visit email among them), their name in the inbound referral, the
    # answer and the staff note (referral), the answer's copies (intake, assessment).
    for name in SERVICES:
        assert f"{client['first_name']} {client['last_name']}" in _every_row(suite.apps[name])
    for name in ("intake", "notify"):
        assert body["client"]["email"] in _every_row(suite.apps[name])
    assert _previsit_delivery(suite, link_id).recipient == client["email"]
    assert hub.post(f"/admin/clients/{client_id}/erasure", json={}).status_code == 422
    asked = hub.post(f"/admin/clients/{client_id}/erasure",
                     json={"reason": "client's written request of 2026-12-04"})  # fmt: skip
    assert asked.status_code == 202
    suite.pump(redis_client)

    for name in SERVICES:
        dump = _every_row(suite.apps[name])
        for value in _identifiers(body) + _spellings(body):
            assert value.lower() not in dump.lower(), f"{value!r} still in the {name} database"
        erased = _audited(suite.apps[name], "erase", client_id)
        assert erased and all(e["account_name"] == "Test admin" and "written request"
                              in e["detail"] for e in erased)  # fmt: skip
    # What intake linked was reached: the pre-visit email's row and the inbound referral.
    assert _previsit_delivery(suite, link_id).recipient is None
    inbound = suite.apps["referral"].test_client().get(f"/referrals/inbound/{inbound_id}")
    assert inbound.get_json()["patient"]["last_name"] == "(erased)"
    assert inbound.get_json()["referrer"]["clinic"] == body["intake"]["physician"]["clinic"]
    assert "overhead loading" in inbound.get_json()["prescription"]
    # The client's own words stay, pseudonymised; in referral's copy too.
    notes = (
        "I am (erased), born (erased); text me on (erased) or write to "
        "(erased). Back to volleyball."
    )
    from inscope_referral.models import ClientCase

    with suite.apps["referral"].extensions["inscope"].session_factory() as session:
        assert session.get(ClientCase, client_id).screening["notes"] == notes
    # The clinical record stays, marked; the birth year stays for the age band.
    intake = suite.apps["intake"].test_client().get(f"/admin/clients/{client_id}/export")
    [client] = intake.get_json()["tables"]["clients"]
    assert client["first_name"] == "(erased)" and client["erased_at"]
    assert client["date_of_birth"] == body["client"]["date_of_birth"][:4] + "-01-01"
    document = intake.get_json()["tables"]["intakes"][0]["document"]
    assert document["notes"] == notes
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


def test_a_restore_re_applies_the_erasures_in_the_log(service_env, tmp_path, redis_client):
    """An erasure request is appended to the erasure log (kept apart from the backups);
    restored databases that predate its handling are erased again by each service's
    ``reapply-erasures``, intake's linked erasure included."""
    from inscope_common.client_rights import read_erasure_log, reapply_erasures

    log = tmp_path / "erasures.jsonl"
    suite = Suite({**service_env, "INSCOPE_ERASURE_LOG": str(log)})
    try:
        body = example("intake.json")
        link_id = _previsit_link(suite, redis_client, body)
        created = suite.apps["intake"].test_client().post("/intakes", json=body).get_json()
        suite.pump(redis_client)
        _answered_previsit_link(suite.apps["intake"], body, link_id, created["id"])
        hub = suite.apps["referral"].test_client()
        client_id = created["client_id"]
        assert hub.post(f"/admin/clients/{client_id}/erasure",
                        json={"reason": "written request"}).status_code == 202  # fmt: skip
        [entry] = read_erasure_log(str(log))
        assert entry["client_id"] == client_id and entry["reason"] == "written request"
        # The restored state: the databases as backed up before any service handled the
        # request, the broker's copy of it lost.
        for name in SERVICES:
            redis_client.delete(f"inscope.{name}")
        assert body["client"]["email"] in _every_row(suite.apps["intake"])
        assert body["client"]["email"] in _every_row(suite.apps["notify"])

        for name in SERVICES:
            assert reapply_erasures(suite.apps[name], str(log)) == [client_id]
        suite.pump(redis_client)

        for name in SERVICES:
            dump = _every_row(suite.apps[name])
            for value in _identifiers(body):
                assert value not in dump, f"{value!r} still in the {name} database"
            assert any("re-applied after a restore: written request" in e["detail"]
                       for e in _audited(suite.apps[name], "erase", client_id))  # fmt: skip
        assert _previsit_delivery(suite, link_id).recipient is None
    finally:
        suite.close()
