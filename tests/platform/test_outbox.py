import threading
from datetime import timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from inscope_common.db import utcnow
from inscope_common.outbox import OutboxRelay, add_event, staged_envelopes, staged_event_ids
from inscope_common.unit_of_work import unit_of_work
from tests.platform.fakes import Note, platform, recorded_event

_event = recorded_event


def _commit_with_event(session_factory):
    with session_factory() as session:
        with session.begin():
            session.add(Note(id="n1"))
            event = _event()
            add_event(session, platform, event)
        return event, staged_event_ids(session)


def _published_at(session_factory, event_id):
    with session_factory() as session:
        return session.get(platform.OutboxEvent, event_id).published_at


def test_business_row_and_event_commit_together_and_publish_right_after(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    event, staged = _commit_with_event(session_factory)
    assert staged == [event["id"]]
    assert relay.publish_now(staged) == 1
    assert [e["id"] for e in publisher.published] == [event["id"]]
    assert _published_at(session_factory, event["id"]) is not None


def test_the_unit_of_work_publishes_what_it_staged_from_memory(session_factory, publisher):
    """The fast path sends the envelope the transaction staged (signed, as stored)
    without reading it back; the row is marked published all the same."""
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    with unit_of_work(session_factory, relay, platform) as uow:
        uow.session.add(Note(id="n2"))
        uow.add_event(_event())
        (event_id,) = uow.staged
        staged = dict(uow.session.info["inscope.outbox_envelopes"])
    assert [e["id"] for e in publisher.published] == [event_id]
    assert publisher.published[0] == staged[event_id] and "signature" in staged[event_id]
    assert _published_at(session_factory, event_id) is not None
    with session_factory() as session:  # what went on the bus is what the row holds
        assert session.get(platform.OutboxEvent, event_id).envelope == staged[event_id]


def test_a_rolled_back_unit_of_work_forgets_what_it_staged(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    try:
        with unit_of_work(session_factory, relay, platform) as uow:
            uow.add_event(_event())
            session = uow.session
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert publisher.published == []
    assert staged_event_ids(session) == [] and staged_envelopes(session) == {}


def test_rolled_back_transaction_leaves_no_event(session_factory):
    with session_factory() as session:
        session.begin()
        add_event(session, platform, _event())
        session.rollback()
    with session_factory() as session:
        assert session.scalars(select(platform.OutboxEvent)).all() == []


def test_broker_down_leaves_the_event_for_the_relay(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    publisher.down = True
    event, staged = _commit_with_event(session_factory)
    assert relay.publish_now(staged) == 0  # no exception reaches the caller
    assert _published_at(session_factory, event["id"]) is None
    assert relay.run_once() == 0  # still down
    publisher.down = False
    assert relay.run_once() == 1
    assert relay.run_once() == 0  # published exactly once
    assert [e["id"] for e in publisher.published] == [event["id"]]
    assert relay.pending_count() == 0


def test_relay_leaves_fresh_rows_to_the_fast_path(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=60)
    _commit_with_event(session_factory)
    assert relay.run_once() == 0
    assert publisher.published == []


def test_a_claimed_row_is_not_published_twice(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    event, _ = _commit_with_event(session_factory)
    with session_factory() as session, session.begin():
        session.execute(
            update(platform.OutboxEvent).values(claimed_until=utcnow() + timedelta(seconds=30))
        )
    assert relay.run_once() == 0
    with session_factory() as session, session.begin():  # the claim expired
        session.execute(
            update(platform.OutboxEvent).values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert relay.run_once() == 1


def _statements(session_factory):
    """Every statement the session factory's engine sends, as it is sent."""
    sent = []
    engine = session_factory.kw["bind"]

    def record(conn, cursor, statement, *args):
        sent.append(statement.strip().split()[0].upper())

    sa_event.listen(engine, "before_cursor_execute", record)
    return sent, lambda: sa_event.remove(engine, "before_cursor_execute", record)


def test_an_idle_relay_round_is_one_short_read(session_factory, publisher):
    """Four relays poll every second whether or not anything is due (issue 13): a round
    that finds nothing reads the outbox and the scheduled retries in one read-only
    transaction (on SQLite one BEGIN and two SELECTs; it was two sessions, each with
    its own BEGIN) and writes nothing."""
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    stop = threading.Event()
    sent, stop_recording = _statements(session_factory)
    try:
        relay.run_forever(0, stop, heartbeat=stop.set)  # one round
    finally:
        stop_recording()
    assert sent.count("SELECT") == 2
    assert len(sent) <= 3, sent
    assert publisher.published == [] and publisher.redelivered == []


def test_one_relay_round_publishes_a_missed_event_and_sends_a_due_retry(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    publisher.down = True
    missed, staged = _commit_with_event(session_factory)
    assert relay.publish_now(staged) == 0
    publisher.down = False
    retried = _event()
    with session_factory() as session, session.begin():
        session.add(
            platform.ScheduledRetry(
                consumer="referral", event_id=retried["id"], envelope=retried, attempts=1,
                due_at=utcnow() - timedelta(seconds=1),
            )
        )  # fmt: skip
        session.add(  # not due yet: stays
            platform.ScheduledRetry(
                consumer="referral", event_id="later", envelope=retried, attempts=1,
                due_at=utcnow() + timedelta(seconds=60),
            )
        )  # fmt: skip
    assert relay.run_round() == (1, 1)
    assert [e["id"] for e in publisher.published] == [missed["id"]]
    assert [(c, e["id"], a) for c, e, a in publisher.redelivered] == [
        ("referral", retried["id"], 1)
    ]
    assert relay.run_round() == (0, 0)
    assert relay.pending_count() == 0 and relay.scheduled_retry_count() == 1
