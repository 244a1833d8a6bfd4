"""The delivery ledger on a real Redis: marked before the push, cleared once the
consumer settled the event, sent again from the outbox when neither happened (kombu's
Redis transport can lose a message a worker parent popped and died holding)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import func, select

from inscope_common.config import ServiceSettings
from inscope_common.consumer import EventConsumer, register_consumer
from inscope_common.dead_letters import replay_dead_letter
from inscope_common.delivery_ledger import DeliveryLedger, attempts_key, ledger_key
from inscope_common.outbox import (
    REDIS_WRITES_KEY,
    CeleryPublisher,
    OutboxRelay,
    add_event,
    staged_event_ids,
)
from inscope_common.stuck_work import republish_ledger, stuck_ledger
from inscope_common.unit_of_work import unit_of_work
from tests.conftest import signed
from tests.platform.fakes import FakePublisher, Note, platform, recorded_event

CONSUMER = "assessment"  # assessment.recorded.v1's one subscriber


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class MarkingPublisher(FakePublisher):
    """Marks the ledger as CeleryPublisher does, and records instead of pushing."""

    ledger: Any = None

    def publish(self, event: dict[str, Any]) -> None:
        self.ledger.mark([CONSUMER], event["id"])
        super().publish(event)

    def redeliver(self, consumer: str, envelope: Any, attempts: int) -> None:
        self.ledger.mark([consumer], envelope["id"], attempts)
        super().redeliver(consumer, envelope, attempts)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(redis_client, clock) -> DeliveryLedger:
    return DeliveryLedger(redis_client, redeliver_after_s=90, keep_s=3600, clock=clock)


@pytest.fixture
def publisher(ledger) -> MarkingPublisher:
    return MarkingPublisher(ledger=ledger)


@pytest.fixture
def relay(session_factory, publisher, ledger) -> OutboxRelay:
    return OutboxRelay(session_factory, platform, publisher, grace_s=0, ledger=ledger)


@pytest.fixture
def consumer_task(tmp_path, session_factory, relay):
    settings = ServiceSettings.from_env("assessment", {"INSCOPE_DATA_DIR": str(tmp_path)})

    def handler(ctx, event):
        ctx.session.add(Note(id=event["id"]))

    app = Celery("test", set_as_current=False)
    app.conf.task_always_eager = True
    consumer = EventConsumer(
        settings, session_factory, platform, {"assessment.recorded.v1": handler}, relay
    )
    return register_consumer(app, consumer)


_event = recorded_event


def _commit_and_publish(session_factory, relay) -> dict[str, Any]:
    with session_factory() as session:
        with session.begin():
            event = _event()
            add_event(session, platform, event)
        staged = staged_event_ids(session)
    assert relay.publish_now(staged) == 1
    return signed(event)  # as add_event staged and published it


def _marked(ledger) -> list[str]:
    return [m.event_id for m in ledger.pending(CONSUMER)]


def _notes(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Note))


def test_celery_publisher_marks_every_subscriber_before_the_push(redis_url, redis_client, clock):
    app = Celery("test", broker=redis_url, set_as_current=False)
    ledger = DeliveryLedger(redis_client, clock=clock)
    event = _event()
    CeleryPublisher(app, ledger=ledger).publish(event)
    assert redis_client.zscore(ledger_key(CONSUMER), event["id"]) == clock.now
    assert redis_client.llen("inscope.assessment") == 1  # and then pushed


def test_a_ledger_that_cannot_be_written_fails_the_publish(session_factory, redis_url):
    app = Celery("test", broker=redis_url, set_as_current=False)
    down = DeliveryLedger.from_url("redis://127.0.0.1:1/0", 0.1)
    relay = OutboxRelay(
        session_factory, platform, CeleryPublisher(app, timeout_s=0.1, ledger=down), grace_s=0
    )
    with session_factory() as session:
        with session.begin():
            add_event(session, platform, _event())
        staged = staged_event_ids(session)
    assert relay.publish_now(staged) == 0  # left in the outbox, for the relay


def test_the_consumer_clears_its_mark_once_it_committed(
    session_factory, relay, ledger, consumer_task
):
    event = _commit_and_publish(session_factory, relay)
    assert _marked(ledger) == [event["id"]]
    assert consumer_task.apply(args=[event]).get() == "processed"
    assert _marked(ledger) == []
    assert _notes(session_factory) == 1


def test_a_forged_copy_neither_runs_nor_clears_the_genuine_events_mark(
    session_factory, relay, ledger, consumer_task
):
    """Someone who can write to the broker pushes an unsigned copy of a real event's id:
    dead-lettered, and the mark stays, so the genuine event is still sent again."""
    event = _commit_and_publish(session_factory, relay)
    forged = {k: v for k, v in event.items() if k not in ("signature", "signaturekeyid")}
    assert consumer_task.apply(args=[forged]).get() == "dead_lettered"
    assert _marked(ledger) == [event["id"]]
    assert _notes(session_factory) == 0
    assert consumer_task.apply(args=[event]).get() == "processed"
    assert _marked(ledger) == []


def test_a_failed_handler_keeps_the_mark(session_factory, relay, ledger, tmp_path):
    settings = ServiceSettings.from_env("assessment", {"INSCOPE_DATA_DIR": str(tmp_path)})

    def handler(ctx, event):
        raise RuntimeError("boom")

    consumer = EventConsumer(
        settings, session_factory, platform, {"assessment.recorded.v1": handler}, relay
    )
    event = _commit_and_publish(session_factory, relay)
    with pytest.raises(RuntimeError):
        consumer.process(event)
    assert _marked(ledger) == [event["id"]]


def test_a_lost_message_is_sent_again_after_the_age_and_processed_once(
    session_factory, relay, ledger, publisher, consumer_task, clock
):
    event = _commit_and_publish(session_factory, relay)
    # The broker lost it: the consumer never ran. Not due before the age.
    clock.now += 89
    assert relay.republish_unsettled() == 0
    clock.now += 2
    assert relay.republish_unsettled() == 1
    [(consumer, envelope, attempts)] = publisher.redelivered
    assert (consumer, envelope["id"], attempts) == (CONSUMER, event["id"], 0)
    # Marked again at the new send: not due again at once.
    assert ledger.pending(CONSUMER)[0].sent_at == clock.now
    assert relay.republish_unsettled() == 0
    # The redelivery arrives, and then the original turns up after all (it was slow).
    assert consumer_task.apply(args=[envelope]).get() == "processed"
    assert consumer_task.apply(args=[event]).get() == "duplicate"
    assert _notes(session_factory) == 1
    assert _marked(ledger) == []
    clock.now += 1000
    assert relay.republish_unsettled() == 0


def test_nothing_is_sent_again_once_the_consumer_settled(
    session_factory, relay, publisher, consumer_task, clock
):
    event = _commit_and_publish(session_factory, relay)
    consumer_task.apply(args=[event]).get()
    clock.now += 10_000
    assert relay.republish_unsettled() == 0
    assert publisher.redelivered == []


def test_a_backlog_defers_the_republish(session_factory, relay, redis_client, clock):
    _commit_and_publish(session_factory, relay)
    redis_client.lpush("inscope.assessment", "a message still queued")
    clock.now += 300  # past the age, but the message may still wait in the queue
    assert relay.republish_unsettled() == 0
    clock.now += 90 * 10  # past backlog_factor times the age: sent anyway
    assert relay.republish_unsettled() == 1


def test_another_services_events_are_left_to_it(relay, ledger, publisher, clock):
    ledger.mark([CONSUMER], "not-in-this-outbox")
    clock.now += 100
    assert relay.republish_unsettled() == 0
    assert _marked(ledger) == ["not-in-this-outbox"]


def test_marks_are_dropped_after_keep_s(ledger, clock, redis_client):
    ledger.mark([CONSUMER], "old")
    ledger.count_republish(CONSUMER, "old")
    clock.now += 3601
    ledger.mark([CONSUMER], "new")
    assert ledger.expire(CONSUMER) == 1
    assert _marked(ledger) == ["new"]
    assert redis_client.hlen(f"{ledger_key(CONSUMER)}.republished") == 0


def test_repeated_republishes_are_stuck_work_with_an_action(
    session_factory, relay, ledger, publisher, clock
):
    event = _commit_and_publish(session_factory, relay)
    rt = SimpleNamespace(relay=relay)
    for _ in range(2):
        clock.now += 91
        assert relay.republish_unsettled() == 1
    assert stuck_ledger(rt) == []  # sent again twice, not yet past the age since
    clock.now += 91
    [item] = stuck_ledger(rt)
    assert item.ref == f"{CONSUMER}:{event['id']}"
    assert "sent to assessment 3 times" in item.what
    assert republish_ledger(rt, item.ref) is True
    assert len(publisher.redelivered) == 3
    assert republish_ledger(rt, "nobody:x") is False


def test_a_lost_retry_is_sent_again_with_the_attempts_it_had(
    session_factory, relay, ledger, publisher, clock, tmp_path
):
    """The consumer failed at the event 5 times; its relay sent it back for the 6th
    (a scheduled retry) and the broker lost that message. The republish carries the 5
    attempts, so the consumer's retry budget goes on where it was (here: spent, so it
    dead-letters) instead of starting again at 0."""
    event = _commit_and_publish(session_factory, relay)
    publisher.redeliver(CONSUMER, event, 5)  # publish_due_retries, then lost
    assert ledger.pending(CONSUMER)[0].attempts == 5
    clock.now += 91
    assert relay.republish_unsettled() == 1
    (consumer, envelope, attempts) = publisher.redelivered[-1]
    assert (consumer, envelope["id"], attempts) == (CONSUMER, event["id"], 5)
    assert ledger.pending(CONSUMER)[0].attempts == 5  # marked again with the same count
    # The operator's "Send again" keeps it too.
    assert republish_ledger(SimpleNamespace(relay=relay), f"{CONSUMER}:{event['id']}")
    assert publisher.redelivered[-1][2] == 5

    settings = ServiceSettings.from_env(
        "assessment", {"INSCOPE_DATA_DIR": str(tmp_path), "INSCOPE_MAX_RETRIES": "5"}
    )

    def handler(ctx, event):
        raise RuntimeError("still failing")

    app = Celery("test", set_as_current=False)
    app.conf.task_always_eager = True
    consumer_ = EventConsumer(
        settings, session_factory, platform, {"assessment.recorded.v1": handler}, relay
    )
    task = register_consumer(app, consumer_)
    assert task.apply(args=[envelope], retries=attempts).get() == "dead_lettered"
    with session_factory() as session:
        [letter] = session.scalars(select(platform.DeadLetter)).all()
    assert letter.attempts == 6
    assert _marked(ledger) == []  # dead-lettered is settled: nothing left to send again
    assert redis_client_attempts(ledger) == 0


def test_a_first_delivery_clears_an_old_attempt_count(ledger):
    ledger.mark([CONSUMER], "e", 3)
    ledger.mark([CONSUMER], "e")  # published afresh (a new first attempt)
    assert ledger.pending(CONSUMER)[0].attempts == 0


def redis_client_attempts(ledger) -> int:
    return ledger.client.hlen(attempts_key(CONSUMER))


def _dead_letter(session_factory, envelope) -> int:
    with session_factory() as session, session.begin():
        row = platform.DeadLetter(
            consumer=CONSUMER,
            event_id=envelope["id"],
            event_type=envelope["type"],
            envelope=envelope,
            error="PermanentError: fixed since",
            attempts=1,
        )
        session.add(row)
        session.flush()
        return row.id


def test_a_replayed_dead_letter_is_marked_and_sent_again_if_lost(
    session_factory, ledger, publisher, clock
):
    """The replay goes through the publisher's mark-before-push. Lost, it is sent again:
    by the producer's relay while its outbox has the event, and by the consumer's own
    relay from the dead letter once nobody did (here the outbox has no such event:
    past its retention)."""
    own = OutboxRelay(session_factory, platform, publisher, grace_s=0, ledger=ledger,
                      service=CONSUMER)  # fmt: skip
    event = signed(_event())
    letter = _dead_letter(session_factory, event)
    app = Celery("test", set_as_current=False)
    assert replay_dead_letter(session_factory, platform, app, letter, publisher)
    assert [(c, e["id"], a) for c, e, a in publisher.redelivered] == [(CONSUMER, event["id"], 0)]
    assert _marked(ledger) == [event["id"]]
    clock.now += 91  # due, but the producer might still send it from its outbox
    assert own.republish_unsettled() == 0
    clock.now += 90  # twice the age and nobody sent it again: the dead letter's copy goes
    assert own.republish_unsettled() == 1
    assert publisher.redelivered[-1][1] == event
    assert SimpleNamespace(relay=own) and own.envelopes_for(CONSUMER, [event["id"]])
    assert own.envelopes_for("referral", [event["id"]]) == {}  # only to itself


def test_a_forged_dead_letter_is_replayed_unmarked_and_never_sent_again(
    session_factory, ledger, publisher, clock, redis_url
):
    own = OutboxRelay(session_factory, platform, publisher, grace_s=0, ledger=ledger,
                      service=CONSUMER)  # fmt: skip
    forged = _event()  # nobody's key signed it
    letter = _dead_letter(session_factory, forged)
    app = Celery("test", broker=redis_url, set_as_current=False)
    assert replay_dead_letter(session_factory, platform, app, letter, publisher)
    assert publisher.redelivered == [] and _marked(ledger) == []  # pushed plainly
    ledger.mark([CONSUMER], forged["id"])  # even if its id were marked for a genuine one
    clock.now += 1000
    assert own.republish_unsettled() == 0  # the forged copy is never the one sent


def test_a_handler_recording_its_inbox_in_its_own_unit_of_work_clears_the_mark_with_it(
    tmp_path, session_factory, relay, ledger, monkeypatch
):
    """Notify's way (issue 13): the handler commits on its own and writes the inbox row
    in its last unit of work; the ledger's clear is queued on that unit of work's Redis
    writes (sent with what it publishes), not in a transaction of the consumer's after
    it, and the mark is gone only once that unit of work committed."""
    settings = ServiceSettings.from_env("assessment", {"INSCOPE_DATA_DIR": str(tmp_path)})
    seen: list[tuple[int, list[str]]] = []

    def handler(ctx, event):
        with unit_of_work(session_factory, relay, platform) as uow:
            uow.session.add(Note(id=event["id"]))
            ctx.record_inbox_in(uow.session)
            seen.append((len(uow.session.info[REDIS_WRITES_KEY]), _marked(ledger)))

    consumer = EventConsumer(
        settings, session_factory, platform, {"assessment.recorded.v1": handler}, relay
    )
    own = []
    monkeypatch.setattr(consumer, "_settle_after_commit", lambda *args: own.append(args))
    event = _commit_and_publish(session_factory, relay)
    assert consumer.process(event) == "processed"
    assert seen == [(1, [event["id"]])]  # queued on the handler's commit, not yet sent
    assert _marked(ledger) == []
    assert own == []
    assert _notes(session_factory) == 1
    # A redelivery is a duplicate (the inbox row was written) and leaves no mark either.
    assert consumer.process(event) == "duplicate"
