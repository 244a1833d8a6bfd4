from datetime import timedelta

from sqlalchemy import select, update

from inscope_common.db import utcnow
from inscope_common.events import make_event
from inscope_common.outbox import OutboxRelay, add_event, staged_envelopes, staged_event_ids
from inscope_common.unit_of_work import unit_of_work
from tests.platform.fakes import Note, platform


def _event():
    return make_event(
        "assessment.recorded.v1",
        source="/inscope/assessment",
        subject="c",
        data={"intake_id": "i", "client_id": "c", "assessment_id": "a"},
    )


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
