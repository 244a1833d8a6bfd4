"""Idempotency keys on the creating POSTs (issue 11, item 3): a retry with the same key
creates nothing twice, on the API over HTTP (a real port for the concurrent double
submit) and through the pages' hidden field."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from inscope_common.auth import FRONT_DESK, SESSION_COOKIE, TRAINER, Principal
from inscope_common.idempotency import HEADER, PAGE_REUSED, REPLAYED_HEADER, REUSED
from tests.conftest import free_port, signer
from tests.services.conftest import example, staff

pytestmark = pytest.mark.usefixtures("database_backend")


def count(app, model) -> int:
    with app.extensions["inscope"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def intakes(app) -> int:
    from inscope_intake.models import Intake

    return count(app, Intake)


def outbox(app) -> int:
    return count(app, app.extensions["inscope"].models.OutboxEvent)


# ---------------------------------------------------------------- POST /intakes


def test_same_key_same_body_replays_the_first_response(intake_app, intake_body):
    client = intake_app.test_client()
    first = client.post("/intakes", json=intake_body, headers={HEADER: "k-1"})
    again = client.post("/intakes", json=intake_body, headers={HEADER: "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers[REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first.headers
    assert intakes(intake_app) == 1
    assert outbox(intake_app) == 1  # one intake.submitted, not two


def test_same_key_different_body_is_a_422_and_creates_nothing(intake_app, intake_body):
    client = intake_app.test_client()
    assert client.post("/intakes", json=intake_body, headers={HEADER: "k-2"}).status_code == 201
    intake_body["client"]["first_name"] = "Someone"
    response = client.post("/intakes", json=intake_body, headers={HEADER: "k-2"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["headers"][HEADER] == [REUSED]
    assert intakes(intake_app) == 1


def test_a_key_is_not_shared_between_staff_members(intake_app, intake_body):
    admin = intake_app.test_client()
    desk = intake_app.test_client(role=FRONT_DESK)
    assert admin.post("/intakes", json=intake_body, headers={HEADER: "k-3"}).status_code == 201
    response = desk.post("/intakes", json=intake_body, headers={HEADER: "k-3"})
    assert response.status_code == 422
    assert intakes(intake_app) == 1


def test_without_a_key_every_post_creates(intake_app, intake_body):
    client = intake_app.test_client()
    ids = {client.post("/intakes", json=intake_body).get_json()["id"] for _ in range(2)}
    assert len(ids) == 2 and intakes(intake_app) == 2


def test_distinct_keys_create_distinct_intakes(intake_app, intake_body):
    client = intake_app.test_client()
    for key in ("a", "b"):
        assert client.post("/intakes", json=intake_body, headers={HEADER: key}).status_code == 201
    assert intakes(intake_app) == 2


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "é"])
def test_a_malformed_key_is_a_422_naming_the_header(intake_app, intake_body, key):
    response = intake_app.test_client().post(
        "/intakes", json=intake_body, headers={HEADER: key.encode("utf-8").decode("latin-1")}
    )
    assert response.status_code == 422
    assert HEADER in response.get_json()["errors"]["headers"]
    assert intakes(intake_app) == 0


def test_an_invalid_body_with_a_key_stores_nothing(intake_app, intake_body):
    client = intake_app.test_client()
    bad = {**intake_body, "client": {}}
    assert client.post("/intakes", json=bad, headers={HEADER: "k-4"}).status_code == 422
    # The key was not spent: the corrected request goes through.
    assert client.post("/intakes", json=intake_body, headers={HEADER: "k-4"}).status_code == 201


@pytest.fixture
def intake_port(intake_app):
    port = free_port()
    server = make_server("127.0.0.1", port, intake_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    thread.join()


def _http_post(port, path, body, headers):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_concurrent_double_submits_over_http_create_one(intake_app, intake_port, intake_body):
    token = signer(intake_app).api_token(staff("admin"))
    headers = {"Authorization": f"Bearer {token}", HEADER: "double-click"}
    with ThreadPoolExecutor(6) as pool:
        results = list(
            pool.map(lambda _: _http_post(intake_port, "/intakes", intake_body, headers), range(6))
        )
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert intakes(intake_app) == 1
    assert outbox(intake_app) == 1


# ---------------------------------------------------------------- POST /assessments


def _assessment(intake_id="i-1", client_id="c-1"):
    return {
        "intake_id": intake_id,
        "client_id": client_id,
        "assessment": example("assessment-pain.json"),
    }


def _screened(assessment_app, intake_id="i-1", client_id="c-1") -> None:
    """The assessment service has heard of the intake and of its screening (in scope):
    the assessment is allowed (DEC-6)."""
    from tests.services.journey_events import status_event
    from tests.services.test_redelivery import _intake_event

    consume = assessment_app.extensions["celery"].tasks["assessment.consume_event"]
    for event in (
        _intake_event(client_id=client_id, intake_id=intake_id),
        status_event(intake_id, client_id),
    ):
        consume.apply(args=[event]).get()


def test_assessments_replay_and_refuse_a_reused_key(assessment_app):
    from inscope_assessment.models import Assessment

    _screened(assessment_app)
    client = assessment_app.test_client()
    first = client.post("/assessments", json=_assessment(), headers={HEADER: "a-1"})
    again = client.post("/assessments", json=_assessment(), headers={HEADER: "a-1"})
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers[REPLAYED_HEADER] == "true"
    other = client.post("/assessments", json=_assessment("i-2"), headers={HEADER: "a-1"})
    assert other.status_code == 422
    assert other.get_json()["errors"]["headers"][HEADER] == [REUSED]
    assert count(assessment_app, Assessment) == 1
    assert outbox(assessment_app) == 1


def test_the_openapi_documents_the_header(intake_app, assessment_app):
    for app, path in ((intake_app, "/intakes"), (assessment_app, "/assessments")):
        spec = app.test_client().get("/openapi.json").get_json()
        parameters = spec["paths"][path]["post"]["parameters"]
        header = next(p for p in parameters if p["name"] == HEADER)
        assert header["in"] == "header" and not header.get("required")


# ---------------------------------------------------------------- the pages


def _signed_in(app, principal):
    client = app.test_client(role=None)
    client.set_cookie(SESSION_COOKIE, signer(app).session_cookie(principal))
    return client


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def test_the_intake_page_sends_one_key_per_render_and_a_double_submit_creates_one(intake_app):
    from tests.web.test_intake_page import example_form

    desk = _signed_in(intake_app, Principal("desk-1", "Robin Desk", FRONT_DESK))
    page = desk.get("/intakes/new").get_data(as_text=True)
    key = _hidden(page, "idempotency_key")
    assert key != _hidden(desk.get("/intakes/new").get_data(as_text=True), "idempotency_key")
    form = {**example_form(), "csrf_token": _hidden(page, "csrf_token"), "idempotency_key": key}
    first = desk.post("/intakes/new", data=form)
    second = desk.post("/intakes/new", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert intakes(intake_app) == 1
    # The same form key with other answers (back button, edit, submit): refused.
    changed = desk.post("/intakes/new", data={**form, "client.first_name": "Other"})
    assert changed.status_code == 422
    assert PAGE_REUSED.split(".")[0] in changed.get_data(as_text=True)
    assert intakes(intake_app) == 1


def test_a_page_that_comes_back_with_errors_keeps_its_key(intake_app):
    desk = _signed_in(intake_app, Principal("desk-1", "Robin Desk", FRONT_DESK))
    page = desk.get("/intakes/new").get_data(as_text=True)
    form = {"csrf_token": _hidden(page, "csrf_token"), "idempotency_key": "render-7"}
    refused = desk.post("/intakes/new", data=form)
    assert refused.status_code == 422
    assert _hidden(refused.get_data(as_text=True), "idempotency_key") == "render-7"


def test_the_assessment_page_double_submit_records_one(assessment_app):
    from inscope_assessment.models import Assessment

    _screened(assessment_app, "i-9", "c-9")
    trainer = _signed_in(assessment_app, Principal("t-1", "Sam Trainer", TRAINER))
    page = trainer.get("/assess?intake=i-9").get_data(as_text=True)
    form = {
        "csrf_token": _hidden(page, "csrf_token"),
        "idempotency_key": _hidden(page, "idempotency_key"),
        "intake_id": "i-9",
        "posture.forward_head": "on",
    }
    first = trainer.post("/assess", data=form)
    second = trainer.post("/assess", data=form)  # the intake is no longer awaiting: replay
    assert first.status_code == second.status_code == 303, first.get_data(as_text=True)[:500]
    assert first.headers["Location"] == second.headers["Location"]
    assert count(assessment_app, Assessment) == 1


# ---------------------------------------------------------------- keys expire


def test_keys_expire_after_the_retention_and_the_relay_sweeps_them(
    service_env, intake_body, monkeypatch
):
    """A key is honoured for INSCOPE_IDEMPOTENCY_RETENTION_HOURS; the relay's sweep then
    deletes it and the same key creates anew."""
    import time
    from datetime import timedelta

    from inscope_common import idempotency
    from inscope_intake import create_app
    from inscope_intake.models import IdempotencyKey

    app = create_app({**service_env, "INSCOPE_IDEMPOTENCY_RETENTION_HOURS": "0.0002"})  # 0.72 s
    try:
        assert app.extensions["inscope"].settings.idempotency_retention_s == pytest.approx(0.72)
        client = app.test_client()
        stored_at = idempotency.utcnow()
        assert client.post("/intakes", json=intake_body, headers={HEADER: "old"}).status_code == 201
        # The first sweep's clock reads just after the POST, however long a loaded
        # machine took to get here (the retention is short so the test is).
        with monkeypatch.context() as clock:
            clock.setattr(idempotency, "utcnow", lambda: stored_at + timedelta(seconds=0.1))
            app.extensions["inscope"].relay.run_sweeps()  # too fresh: kept
        assert count(app, IdempotencyKey) == 1
        again = client.post("/intakes", json=intake_body, headers={HEADER: "old"})
        assert again.headers.get(REPLAYED_HEADER) == "true" and intakes(app) == 1
        time.sleep(1.0)
        # The sweep runs at most every PURGE_EVERY_S: a fresh app's first round runs it.
        fresh = create_app({**service_env, "INSCOPE_IDEMPOTENCY_RETENTION_HOURS": "0.0002"})
        try:
            fresh.extensions["inscope"].relay.run_sweeps()
        finally:
            fresh.extensions["inscope"].engine.dispose()
        assert count(app, IdempotencyKey) == 0
        after = client.post("/intakes", json=intake_body, headers={HEADER: "old"})
        assert after.status_code == 201 and REPLAYED_HEADER not in after.headers
        assert intakes(app) == 2
    finally:
        app.extensions["inscope"].engine.dispose()


def test_the_sweep_purges_at_most_every_interval_and_only_expired_keys(assessment_app):
    from datetime import timedelta

    from inscope_assessment.models import IdempotencyKey
    from inscope_common.db import utcnow
    from inscope_common.idempotency import expiry_sweep, purge_expired

    factory = assessment_app.extensions["inscope"].session_factory
    names = [getattr(s, "__name__", "") for s in assessment_app.extensions["inscope"].relay.sweeps]
    assert "purge_expired_idempotency_keys" in names  # the assessment relay sweeps too
    now = utcnow()

    def store(key, age_h):
        with factory() as session, session.begin():
            session.add(
                IdempotencyKey(
                    scope="s",
                    key=key,
                    fingerprint="f",
                    status_code=202,
                    response={},
                    created_at=now - timedelta(hours=age_h),
                )
            )

    store("old", 25)
    store("new", 23)
    clock = [1000.0]
    sweep = expiry_sweep(factory, IdempotencyKey, 24 * 3600, every_s=300, clock=lambda: clock[0])
    assert sweep() == 1  # the first round purges
    assert count(assessment_app, IdempotencyKey) == 1
    store("old-2", 30)
    clock[0] += 299
    assert sweep() == 0  # not yet: at most every 300 s
    clock[0] += 1
    assert sweep() == 1
    assert purge_expired(factory, IdempotencyKey, 24 * 3600) == 0
    assert count(assessment_app, IdempotencyKey) == 1  # "new" is kept
