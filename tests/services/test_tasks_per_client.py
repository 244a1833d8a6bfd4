"""How many Celery tasks one client costs, end to end (issue 13: each consumed event is
about 5 ms of fixed Celery, signature, inbox and log work): the four services in
process, every event through its real Redis queue and its consumer's real task, one
client driven as the benchmark drives one (intake, screening, assessment with pain on a
clearing test, a physical-therapist referral, two emails). The deliveries are counted
per (consumer, event type), and every page that follows the client still reads the
status the referral service computed."""

from __future__ import annotations

import base64
import collections
import json
import threading
from typing import Any

import pytest
import redis
from werkzeug.serving import make_server

from tests.conftest import free_port
from tests.services.conftest import example

SERVICES = ("intake", "assessment", "referral", "notify")


class Suite:
    """The four apps in process; ``pump`` hands each queued event to its consumer's
    task, oldest first, until every queue is empty, and counts the deliveries."""

    def __init__(self, apps: dict[str, Any], client: redis.Redis) -> None:
        self.apps = apps
        self.redis = client
        self.tasks = {s: apps[s].extensions["celery"].tasks[f"{s}.consume_event"] for s in apps}
        self.deliveries: collections.Counter[tuple[str, str]] = collections.Counter()

    def pump(self) -> None:
        for _ in range(100):
            moved = False
            for service in SERVICES:
                raw = self.redis.rpop(f"inscope.{service}")  # Celery LPUSHes: oldest last
                if raw is None:
                    continue
                moved = True
                message = json.loads(raw)
                args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
                event = args[0]
                outcome = self.tasks[service].apply(args=[event]).get()
                assert outcome in ("processed", "ignored"), (service, event["type"], outcome)
                self.deliveries[(service, event["type"])] += 1
            if not moved:
                return
        raise AssertionError("the queues never drained")


@pytest.fixture
def suite(service_env, redis_client, smtp_sink):
    # The intake service on a real port first: notify reads the contact there and the
    # assessment service asks it about an intake whose screening has not arrived.
    from inscope_intake import create_app as intake_app

    apps = {"intake": intake_app(service_env)}
    server = make_server("127.0.0.1", free_port(), apps["intake"], threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        **service_env,
        "INTAKE_URL": f"http://127.0.0.1:{server.server_port}",
        "REFERRAL_TOKEN_SECRET": "test-referral-secret",
        "REFERRAL_PUBLIC_URL": "http://referrals.test",
    }
    from inscope_assessment import create_app as assessment_app
    from inscope_notify import create_app as notify_app
    from inscope_referral import create_app as referral_app

    apps |= {
        "assessment": assessment_app(env),
        "referral": referral_app(env),
        "notify": notify_app(env),
    }
    yield Suite(apps, redis_client)
    server.shutdown()
    thread.join()
    for app in apps.values():
        app.extensions["inscope"].engine.dispose()


def test_one_referred_client_costs_eight_tasks_and_every_page_reads_its_status(suite, smtp_sink):
    created = suite.apps["intake"].test_client().post("/intakes", json=example("intake.json"))
    assert created.status_code == 201, created.get_json()
    who = created.get_json()
    intake_id, client_id = who["id"], who["client_id"]
    intake = suite.apps["intake"].test_client()
    trainer = suite.apps["assessment"].test_client(role="trainer")
    referral = suite.apps["referral"].test_client()

    # Screening still pending: the front desk's page says so, and the trainer who tries
    # to assess is told to wait (the intake service knows the intake), not "no intake".
    assert intake.get(f"/intakes/{intake_id}/status").get_json()["status"] == "screening_pending"
    body = {"intake_id": intake_id, "client_id": client_id,
            "assessment": example("assessment-pain.json")}  # fmt: skip
    early = trainer.post("/assessments", json=body)
    assert early.status_code == 409 and early.get_json()["client_status"] == "screening_pending"

    suite.pump()
    screened = referral.get(f"/clients/{client_id}/status").get_json()["status"]
    assert screened == "awaiting_assessment"
    assert intake.get(f"/intakes/{intake_id}/status").get_json()["status"] == screened
    waiting = {r["intake_id"]: r for r in trainer.get("/awaiting-assessment").get_json()}
    assert waiting[intake_id]["status"] == screened

    recorded = trainer.post("/assessments", json=body)
    assert recorded.status_code == 202, recorded.get_json()
    suite.pump()
    decided = referral.get(f"/clients/{client_id}/status").get_json()
    assert decided["status"] == "referred"
    assert intake.get(f"/intakes/{intake_id}/status").get_json()["status"] == "referred"
    page = trainer.get(f"/assessments/{recorded.get_json()['id']}/view")
    assert page.status_code == 200
    assert 'id="client-status"' in page.get_data(as_text=True)
    assert "Referred" in page.get_data(as_text=True).split('id="client-status"')[1][:300]
    assert len(smtp_sink.messages) == 2  # the client's email and the therapist's letter
    # The letter was accepted: the referral moved on (notification.sent).
    assert [r["status"] for r in decided["referrals"]] in (["needed"], ["delivered"])
    assert [r["status"] for r in referral.get(f"/clients/{client_id}/status").get_json()[
        "referrals"]] == ["delivered"]  # fmt: skip

    assert dict(suite.deliveries) == {
        # The referral service screens; the assessment service learns of the intake from
        # the screening's status change (it creates the row), not from a copy of this.
        ("referral", "intake.submitted.v1"): 1,
        # Screening, then the decision after the assessment: the front desk's page and
        # the trainer's (DEC-6 gate, then the status under the recorded assessment).
        ("intake", "referral.status_changed.v1"): 2,
        ("assessment", "referral.status_changed.v1"): 2,
        ("referral", "assessment.scored.v1"): 1,
        ("notify", "referral.decided.v1"): 1,
        # The therapist's letter accepted moves the referral (the client's email: none).
        ("referral", "notification.sent.v1"): 1,
    }
    assert sum(suite.deliveries.values()) == 8
