"""The one unit of work: commit, then publish what was staged; roll back, publish nothing;
a failed publish leaves the row for the relay."""

import pytest
from sqlalchemy import select

from inscope_common.outbox import OutboxRelay, add_event
from inscope_common.unit_of_work import unit_of_work
from tests.platform.fakes import Note, platform, recorded_event

_event = recorded_event


def _outbox(session_factory):
    with session_factory() as session:
        return {row.id: row.published_at for row in session.scalars(select(platform.OutboxEvent))}


def test_commits_then_publishes_what_it_staged(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    seen_during = []

    class Watching:
        def publish(self, event):
            # The publish happens after the commit: another session sees the rows.
            with session_factory() as other:
                seen_during.append(other.get(Note, "n1") is not None)
            publisher.publish(event)

    relay.fast_publisher = Watching()
    with unit_of_work(session_factory, relay, platform) as uow:
        uow.session.add(Note(id="n1"))
        first, second = _event(), _event()
        uow.add_event(first)
        add_event(uow.session, platform, second)  # code that holds only the session
        assert uow.staged == [first["id"], second["id"]]
        assert publisher.published == []  # nothing leaves before the commit
    assert sorted(e["id"] for e in publisher.published) == sorted([first["id"], second["id"]])
    assert seen_during == [True, True]
    assert all(_outbox(session_factory).values())


def test_an_exception_rolls_back_and_publishes_nothing(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    with pytest.raises(RuntimeError), unit_of_work(session_factory, relay, platform) as uow:
        uow.session.add(Note(id="n1"))
        uow.add_event(_event())
        raise RuntimeError("business rule broken")
    assert publisher.published == []
    assert _outbox(session_factory) == {}
    with session_factory() as session:
        assert session.get(Note, "n1") is None


def test_broker_down_commits_anyway_and_the_relay_publishes_later(session_factory, publisher):
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    publisher.down = True
    with unit_of_work(session_factory, relay, platform) as uow:
        uow.session.add(Note(id="n1"))
        event = _event()
        uow.add_event(event)
    assert _outbox(session_factory) == {event["id"]: None}  # committed, not published
    publisher.down = False
    assert relay.run_once() == 1
    assert [e["id"] for e in publisher.published] == [event["id"]]


def test_without_a_relay_the_events_wait_in_the_outbox(session_factory, publisher):
    with unit_of_work(session_factory, None, platform) as uow:
        event = _event()
        uow.add_event(event)
    assert _outbox(session_factory) == {event["id"]: None}
