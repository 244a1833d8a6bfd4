"""The fast path's task messages, written to Redis without kombu's producer
(inscope_common.task_messages), are the messages Celery's send_task writes: compared
field by field on a real Redis, run by a real worker's task, and marked in the delivery
ledger in the same round trip."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import redis
from celery import Celery

from inscope_common.delivery_ledger import DeliveryLedger, ledger_key
from inscope_common.events import consume_task_name, make_event
from inscope_common.outbox import (
    CeleryPublisher,
    OutboxRelay,
    add_event,
    staged_envelopes,
    staged_event_ids,
    task_reprs,
)
from tests.conftest import signed
from tests.platform.fakes import FakePublisher, count_pipelines, platform


def _event(kind: str = "referral.status_changed.v1") -> dict[str, Any]:
    if kind == "assessment.recorded.v1":
        data = {"intake_id": "i", "client_id": "c", "assessment_id": "a"}
        return signed(make_event(kind, source="/inscope/assessment", subject="c", data=data))
    data = {
        "intake_id": "i",
        "client_id": "c",
        "intake_version": 1,
        "decision_id": None,
        "decision": None,
        "answer": None,
        "emergency": None,
        "status": "screening_pending",
        "changed_at": "2026-12-04T20:00:00+00:00",
    }
    return signed(make_event(kind, source="/inscope/referral", subject="c", data=data))


def _queued(client: redis.Redis, queue: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in client.lrange(queue, 0, -1)]


def _comparable(message: dict[str, Any]) -> dict[str, Any]:
    """The message without its delivery tag (a fresh uuid per message), the body
    decoded."""
    properties = {k: v for k, v in message["properties"].items() if k != "delivery_tag"}
    body = json.loads(base64.b64decode(message["body"]))
    return {**message, "properties": properties, "body": body}


@pytest.fixture
def app(redis_url) -> Celery:
    app = Celery("test", broker=redis_url, set_as_current=False)
    app.conf.task_ignore_result = True

    # A task of this app (assessment.recorded goes to the assessment service's own
    # worker): send_task gives it the task's ignore_result.
    @app.task(name=consume_task_name("assessment"), shared=False)
    def consume(envelope: Any) -> str:
        return envelope["id"]

    return app


@pytest.mark.parametrize("kind", ["referral.status_changed.v1", "assessment.recorded.v1"])
def test_a_direct_message_is_the_message_send_task_writes(app, redis_client, redis_url, kind):
    event = _event(kind)
    CeleryPublisher(app).publish(event)  # kombu's producer
    by_celery = {q: _queued(redis_client, q) for q in ("inscope.intake", "inscope.assessment")}
    redis_client.delete(*by_celery)
    direct = redis.Redis.from_url(redis_url)
    CeleryPublisher(app, broker=direct).publish(event)
    by_us = {q: _queued(redis_client, q) for q in by_celery}
    assert sum(len(m) for m in by_us.values()) >= 1
    for queue, messages in by_celery.items():
        assert [_comparable(m) for m in by_us[queue]] == [_comparable(m) for m in messages]
        for message in by_us[queue]:
            assert message["properties"]["delivery_tag"]
            assert message["headers"]["argsrepr"] == task_reprs(event)["argsrepr"]
    direct.close()


def test_inside_a_task_both_name_it_as_parent(app, redis_client, redis_url):
    """A consumer publishes from within its own task: the message is that task's child
    (parent_id and root_id), as send_task makes it."""
    event = _event()
    direct = redis.Redis.from_url(redis_url)

    @app.task(name="publishing", shared=False)
    def publishing() -> None:
        CeleryPublisher(app).publish(event)
        CeleryPublisher(app, broker=direct).publish(event)

    publishing.apply(task_id="the-parent")
    by_celery, by_us = _queued(redis_client, "inscope.intake")[::-1]
    assert by_us["headers"]["parent_id"] == "the-parent"
    assert _comparable(by_us) == _comparable(by_celery)
    direct.close()


def test_a_worker_runs_the_direct_message(app, redis_client, redis_url):
    """What a worker's consumer does with it: kombu's Redis channel decodes the raw
    message and Celery's strategy turns it into the task's request and runs it."""
    event = _event("assessment.recorded.v1")
    direct = redis.Redis.from_url(redis_url)
    CeleryPublisher(app, broker=direct).publish(event)
    raw = redis_client.rpop("inscope.assessment")
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        message = channel.Message(json.loads(raw), channel=channel)
        assert message.headers["task"] == consume_task_name("assessment")
        args, kwargs, _embed = message.decode()
        assert message.properties["delivery_info"]["routing_key"] == "inscope.assessment"
        assert app.tasks[message.headers["task"]].apply(args=args, kwargs=kwargs).get() == (
            event["id"]
        )
    direct.close()


def test_the_marks_and_messages_of_a_commit_go_in_one_round_trip(
    app, session_factory, redis_client, redis_url
):
    direct = redis.Redis.from_url(redis_url)
    ledger = DeliveryLedger(direct)
    publisher = CeleryPublisher(app, timeout_s=0.5, ledger=ledger, broker=direct)
    relay = OutboxRelay(session_factory, platform, FakePublisher(), grace_s=0,
                        fast_publisher=publisher)  # fmt: skip
    executed = count_pipelines(direct)
    with session_factory() as session:
        with session.begin():
            add_event(session, platform, _event())
            add_event(session, platform, _event("assessment.recorded.v1"))
        staged, envelopes = staged_event_ids(session), staged_envelopes(session)
    assert relay.publish_now(staged, envelopes) == 2
    # One pipeline (one MULTI/EXEC): a mark per (consumer, event) (a first send: no
    # attempts to reset), the pushes, then the two events recorded as published.
    assert executed == [3 + 3 + 1]
    assert redis_client.zcard(relay.published_key) == 2
    for event_id, envelope in envelopes.items():
        for consumer in ("intake", "assessment") if "status" in envelope["type"] else (
            "assessment",
        ):
            assert redis_client.zscore(ledger_key(consumer), event_id) is not None
    assert redis_client.llen("inscope.intake") == 1
    assert redis_client.llen("inscope.assessment") == 2
    direct.close()


def test_a_broker_that_does_not_answer_leaves_the_commit_to_the_relay(app, session_factory):
    down = DeliveryLedger.from_url("redis://127.0.0.1:1/0", 0.1)
    publisher = CeleryPublisher(app, timeout_s=0.1, ledger=down, broker=down.client)
    relay = OutboxRelay(session_factory, platform, FakePublisher(), grace_s=0,
                        fast_publisher=publisher)  # fmt: skip
    with session_factory() as session:
        with session.begin():
            add_event(session, platform, _event())
            add_event(session, platform, _event("assessment.recorded.v1"))
        staged = staged_event_ids(session)
    assert relay.publish_now(staged) == 0
    assert relay.breaker.is_open
    assert relay.pending_count() == 2  # both wait for the relay
