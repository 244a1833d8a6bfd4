import pytest
from celery import Celery
from sqlalchemy import func, select

from inscope_common.consumer import (
    EventConsumer,
    PermanentError,
    backoff_seconds,
    register_consumer,
)
from inscope_common.dead_letters import list_dead_letters
from tests.conftest import signed
from tests.platform.fakes import Note, platform, recorded_event


def _event():
    return signed(recorded_event())


def _count(session_factory, model):
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def _eager_task(settings, session_factory, handler, **options):
    app = Celery("test", set_as_current=False)
    app.conf.task_always_eager = True
    consumer = EventConsumer(
        settings, session_factory, platform, {"assessment.recorded.v1": handler}, **options
    )
    return consumer, register_consumer(app, consumer)


@pytest.mark.parametrize("in_transaction", [False, True])
def test_the_same_event_twice_has_its_effect_once(settings, session_factory, in_transaction):
    """The inbox check reads in a session of its own (notify) or in the handler's
    transaction (the services whose handlers write only there): the same either way."""
    calls = []

    def handler(ctx, event):
        calls.append(event["id"])
        ctx.session.add(Note(id=event["id"]))

    consumer, task = _eager_task(
        settings, session_factory, handler, check_in_transaction=in_transaction
    )
    event = _event()
    assert consumer.process(event) == "processed"
    assert consumer.process(event) == "duplicate"
    assert task.apply(args=[event]).get() == "duplicate"
    assert calls == [event["id"]]  # the handler ran once
    assert _count(session_factory, Note) == 1
    assert _count(session_factory, platform.ProcessedEvent) == 1


def test_a_failing_handler_rolls_back_its_effect(settings, session_factory):
    def handler(ctx, event):
        ctx.session.add(Note(id=event["id"]))
        raise RuntimeError("boom")

    consumer, _ = _eager_task(settings, session_factory, handler)
    with pytest.raises(RuntimeError):
        consumer.process(_event())
    assert _count(session_factory, Note) == 0
    assert _count(session_factory, platform.ProcessedEvent) == 0


def test_transient_failures_retry_then_dead_letter(settings, session_factory):
    calls = []

    def handler(ctx, event):
        calls.append(1)
        raise ConnectionError("database away")

    _, task = _eager_task(settings, session_factory, handler)
    event = _event()
    task.apply(args=[event])
    assert len(calls) == settings.max_retries + 1
    letters = list_dead_letters(session_factory, platform)
    assert [(d["event_id"], d["attempts"]) for d in letters] == [
        (event["id"], settings.max_retries + 1)
    ]
    assert "ConnectionError: database away" in letters[0]["error"]


def test_a_retry_that_succeeds_leaves_no_dead_letter(settings, session_factory):
    calls = []

    def handler(ctx, event):
        calls.append(1)
        if len(calls) < 2:
            raise ConnectionError("blip")
        ctx.session.add(Note(id=event["id"]))

    _, task = _eager_task(settings, session_factory, handler)
    task.apply(args=[_event()])
    assert _count(session_factory, Note) == 1
    assert list_dead_letters(session_factory, platform) == []


def test_permanent_failures_and_bad_envelopes_dead_letter_at_once(settings, session_factory):
    calls = []

    def handler(ctx, event):
        calls.append(1)
        raise PermanentError("cannot ever work")

    _, task = _eager_task(settings, session_factory, handler)
    task.apply(args=[_event()])
    task.apply(args=[signed({"not": "an event", "source": "/inscope/assessment"})])
    assert len(calls) == 1
    errors = [d["error"] for d in list_dead_letters(session_factory, platform)]
    assert errors[0].startswith("PermanentError")
    assert errors[1].startswith("EnvelopeError")


def test_backoff_grows_exponentially_and_is_capped():
    for retries in range(10):
        delay = backoff_seconds(retries, base=2.0, cap=60.0)
        assert 0 <= delay <= min(60.0, 2.0 * 2**retries)
    assert max(backoff_seconds(8, 2.0, 1000.0) for _ in range(200)) > 2.0 * 2**4


def _run_in_worker(task, envelope, retries=0):
    """Run the task body as a worker does (not eager), with ``retries`` made before."""
    task.push_request(retries=retries, is_eager=False, called_directly=False)
    try:
        return task.run(envelope)
    finally:
        task.pop_request()


def test_a_worker_failure_waits_in_the_database_not_in_the_broker(
    settings, session_factory, publisher
):
    from inscope_common.outbox import OutboxRelay

    calls = []

    def handler(ctx, event):
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("intake not known yet")
        ctx.session.add(Note(id=event["id"]))

    _, task = _eager_task(settings, session_factory, handler)
    event = _event()
    assert _run_in_worker(task, event) == "retry_scheduled"  # acked; nothing parked
    with session_factory() as session:
        [row] = session.scalars(select(platform.ScheduledRetry)).all()
        assert (row.consumer, row.event_id, row.attempts) == ("referral", event["id"], 1)
        assert "ConnectionError: intake not known yet" in row.last_error
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    publisher.down = True
    assert relay.publish_due_retries() == 0  # broker down: the row stays (leased)
    assert relay.scheduled_retry_count() == 1
    publisher.down = False
    with session_factory() as session, session.begin():  # the lease ran out
        session.execute(platform.ScheduledRetry.__table__.update().values(due_at=row.created_at))
    assert relay.publish_due_retries() == 1
    assert relay.scheduled_retry_count() == 0
    [(consumer, envelope, attempts)] = publisher.redelivered
    assert (consumer, envelope["id"], attempts) == ("referral", event["id"], 1)
    # The worker gets it back with retries=1, fails again, schedules attempt 3.
    assert _run_in_worker(task, envelope, retries=attempts) == "retry_scheduled"
    with session_factory() as session:
        assert session.scalars(select(platform.ScheduledRetry.attempts)).all() == [2]
    assert _run_in_worker(task, envelope, retries=2) == "processed"
    assert _count(session_factory, Note) == 1


def test_the_last_scheduled_retry_dead_letters(settings, session_factory):
    def handler(ctx, event):
        raise ConnectionError("still away")

    _, task = _eager_task(settings, session_factory, handler)
    event = _event()
    assert _run_in_worker(task, event, retries=settings.max_retries) == "dead_lettered"
    assert _count(session_factory, platform.ScheduledRetry) == 0
    [letter] = list_dead_letters(session_factory, platform)
    assert letter["attempts"] == settings.max_retries + 1


def test_a_delivery_that_loses_the_race_to_a_concurrent_one_rolls_back(
    settings, session_factory
):
    """Notify's consumer reads its inbox before the handler and writes the row after it
    (inscope_common.consumer): a concurrent delivery of the same event that commits in
    between wins, and this one rolls its effect back and reports a duplicate."""

    def handler(ctx, event):
        ctx.session.add(Note(id=event["id"]))
        with ctx.session_factory() as other, other.begin():  # the concurrent delivery
            other.add(platform.ProcessedEvent(
                consumer=consumer.name, event_id=event["id"], event_type=event["type"]
            ))  # fmt: skip

    consumer, _ = _eager_task(settings, session_factory, handler)
    assert consumer.process(_event()) == "duplicate"
    assert _count(session_factory, Note) == 0
    assert _count(session_factory, platform.ProcessedEvent) == 1
