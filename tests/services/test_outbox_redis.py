"""The outbox against a real broker: fan-out to every subscriber's durable list, and
an intake accepted while the broker is down goes out once it is back."""

from __future__ import annotations

import base64
import json
import time

import pytest
import redis

from inscope_common.devtools.broker import broker_url, start_embedded_broker
from tests.conftest import free_port


def queued_events(client: redis.Redis, queue: str) -> list[dict]:
    """Decode the Celery messages waiting on a queue into (task name, event)."""
    out = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append({"task": message["headers"]["task"], "event": args[0]})
    return out


def test_one_intake_goes_to_each_subscriber_once(intake_app, intake_body, redis_client):
    response = intake_app.test_client().post("/intakes", json=intake_body)
    assert response.status_code == 201
    referral = queued_events(redis_client, "inscope.referral")
    assert [m["task"] for m in referral] == ["referral.consume_event"]
    # The assessment service learns of the intake from the screening's status change
    # (issue 13: one Celery task fewer per client).
    assert queued_events(redis_client, "inscope.assessment") == []
    event = referral[0]["event"]
    assert event["type"] == "intake.submitted.v1"
    assert event["data"]["intake_id"] == response.get_json()["id"]
    # PHI boundary: no names or contact details on the bus.
    flat = json.dumps(event)
    for private in ("Rivera", "dana.rivera@example.com", "1988-04-12", "p.shah@"):
        assert private not in flat
    # Pub/sub is never used: nothing but durable lists.
    assert redis_client.pubsub_numsub("inscope.referral") == [(b"inscope.referral", 0)]


def test_a_task_message_shows_the_event_type_and_id_not_its_data(
    intake_app, intake_body, redis_client
):
    """argsrepr (Celery's logs, ``celery inspect``) is the event's type and id: Celery's
    own repr of the whole envelope cost a quarter of a publish's CPU (issue 13)."""
    assert intake_app.test_client().post("/intakes", json=intake_body).status_code == 201
    raw = json.loads(redis_client.lrange("inscope.referral", 0, -1)[0])
    event = queued_events(redis_client, "inscope.referral")[0]["event"]
    assert raw["headers"]["argsrepr"] == f"(intake.submitted.v1 {event['id']})"
    assert raw["headers"]["kwargsrepr"] == "{}"


@pytest.fixture
def stoppable_broker(tmp_path):
    port = free_port()
    data = tmp_path / "broker"
    data.mkdir()
    state = {"port": port, "data": data, "broker": start_embedded_broker(data, port)}
    yield state
    state["broker"].stop()  # the test may have replaced the first one


def test_intake_accepted_while_broker_down_is_published_when_it_returns(
    tmp_path, smtp_sink, stoppable_broker, intake_body
):
    from inscope_intake import create_app

    url = broker_url(stoppable_broker["port"])
    app = create_app(
        {
            "INSCOPE_DATA_DIR": str(tmp_path / "var"),
            "REDIS_URL": url,
            "SMTP_URL": smtp_sink.url,
            "INSCOPE_RELAY_GRACE": "0",
            "INSCOPE_PUBLISH_TIMEOUT": "1",
            "INSCOPE_SCHEMA": "create",
            "INSCOPE_ENV": "development",
        }
    )
    rt = app.extensions["inscope"]
    stoppable_broker["broker"].stop()

    spent = []
    fast = rt.relay.fast_publisher

    class Timed:
        def publish(self, event):
            started = time.monotonic()
            try:
                fast.publish(event)
            finally:
                spent.append(time.monotonic() - started)

    rt.relay.fast_publisher = Timed()
    response = app.test_client().post("/intakes", json=intake_body)
    assert response.status_code == 201
    intake_id = response.get_json()["id"]
    # The request path tried the broker once and gave up well before the publish timeout
    # (1 s here; a refused connection takes milliseconds, the bound leaves room for a
    # loaded CI machine); the breaker is open, so the next request does not try at all.
    assert len(spent) == 1 and spent[0] < 0.5, spent
    assert rt.relay.breaker.is_open
    started = time.monotonic()
    second = app.test_client().post("/intakes", json=intake_body)
    assert second.status_code == 201 and len(spent) == 1
    assert time.monotonic() - started < 1.0
    assert app.test_client().get(f"/intakes/{intake_id}").status_code == 200
    assert rt.relay.pending_count() == 2
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"

    stoppable_broker["broker"] = start_embedded_broker(
        stoppable_broker["data"], stoppable_broker["port"]
    )
    assert rt.relay.run_once() == 2
    assert rt.relay.pending_count() == 0
    client = redis.Redis.from_url(url)
    try:
        events = [m["event"] for m in queued_events(client, "inscope.referral")]
        assert sorted(e["data"]["intake_id"] for e in events) == sorted(
            [intake_id, second.get_json()["id"]]
        )
        assert queued_events(client, "inscope.assessment") == []  # referral's alone
    finally:
        client.close()
    assert app.test_client().get("/readyz").status_code == 200
    rt.engine.dispose()
