"""The fast path records what it published in Redis, in the same MULTI/EXEC as the
pushes, instead of a database transaction after every commit (issue 13); the relay
stamps those rows' ``published_at`` from that record and publishes every row without
one. These tests fail if an event could be lost that way: a process killed after its
commit (before, or in the middle of, its Redis transaction) leaves the event to the
relay, which publishes it; and what the fast path did publish goes out once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from sqlalchemy import event as sa_event
from sqlalchemy import select

from inscope_common.delivery_ledger import DeliveryLedger, ledger_key
from inscope_common.outbox import PUBLISHED_KEEP_S, CeleryPublisher, OutboxRelay
from inscope_common.unit_of_work import unit_of_work
from tests.platform.fakes import FakePublisher, Note, count_pipelines, platform, recorded_event

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "inscope.assessment"  # assessment.recorded's one subscriber


_event = recorded_event


@pytest.fixture
def app(redis_url) -> Celery:
    return Celery("test", broker=redis_url, set_as_current=False)


def _relay(app: Celery, session_factory: Any, redis_url: str, **kw: Any) -> OutboxRelay:
    """A relay as build_runtime wires it: the fast path straight to Redis with the
    ledger; the relay's own publisher a fake that records what it sends."""
    direct = redis.Redis.from_url(redis_url)
    ledger = DeliveryLedger(direct)
    fast = CeleryPublisher(app, timeout_s=0.5, ledger=ledger, broker=direct)
    return OutboxRelay(session_factory, platform, kw.pop("publisher", FakePublisher()),
                       grace_s=0, fast_publisher=fast, service="assessment",
                       ledger=ledger, **kw)  # fmt: skip


def _rows(session_factory: Any) -> dict[str, Any]:
    with session_factory() as session:
        return {row.id: row.published_at for row in session.scalars(select(platform.OutboxEvent))}


def test_the_fast_path_writes_no_database_row_after_its_commit(
    app, session_factory, redis_url, redis_client
):
    relay = _relay(app, session_factory, redis_url)
    engine = session_factory.kw["bind"]
    statements: list[str] = []
    committed = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    def commit(_conn: Any) -> None:
        committed.append(len(statements))

    sa_event.listen(engine, "before_cursor_execute", count)
    sa_event.listen(engine, "commit", commit)
    try:
        with unit_of_work(session_factory, relay, platform) as uow:
            uow.session.add(Note(id="n1"))
            uow.add_event(event := _event())
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
        sa_event.remove(engine, "commit", commit)
    # The note and the outbox row in one transaction, and nothing after its commit (it
    # was an UPDATE of published_at in a transaction of its own).
    assert [s.split()[0] for s in statements if s.split()[0] != "BEGIN"] == ["INSERT"] * 2
    assert committed == [len(statements)]
    assert redis_client.llen(QUEUE) == 1
    recorded = redis_client.zscore(relay.published_key, event["id"])
    assert recorded is not None and abs(recorded - time.time()) < 60
    assert redis_client.zscore(ledger_key("assessment"), event["id"]) is not None
    assert _rows(session_factory) == {event["id"]: None}  # not stamped yet

    # The relay stamps the row from the record (with the fast path's time) and does
    # not publish it again.
    assert relay.run_once() == 0
    assert relay.publisher.published == []
    stamped = _rows(session_factory)[event["id"]]
    assert stamped is not None and abs(stamped.timestamp() - recorded) < 0.01
    assert redis_client.zscore(relay.published_key, event["id"]) is None
    assert relay.pending_count() == 0 and redis_client.llen(QUEUE) == 1
    # The operator's "publish now" on it: published already.
    assert relay.publish_one(event["id"]) is False


def test_the_relay_publishes_a_committed_event_the_fast_path_never_recorded(
    app, session_factory, redis_url, redis_client
):
    """The commit happened, the publish did not (the breaker open: the same state as a
    process that died in between): the relay publishes it, once."""
    relay = _relay(app, session_factory, redis_url)
    relay.breaker.failed("ConnectionError")
    with unit_of_work(session_factory, relay, platform) as uow:
        uow.add_event(event := _event())
    assert redis_client.llen(QUEUE) == 0
    assert relay.run_once() == 1
    assert [e["id"] for e in relay.publisher.published] == [event["id"]]
    assert _rows(session_factory)[event["id"]] is not None
    assert relay.run_once() == 0 and len(relay.publisher.published) == 1


def test_the_relay_publishes_nothing_while_it_cannot_read_the_record(
    app, session_factory, redis_url
):
    """Redis not answering: the relay cannot tell what the fast path published, so it
    publishes nothing (the broker is that Redis) and the rows wait."""
    relay = _relay(app, session_factory, redis_url)
    with unit_of_work(session_factory, relay, platform) as uow:
        uow.add_event(_event())
    down = DeliveryLedger.from_url("redis://127.0.0.1:1/0", 0.1)
    relay.fast_publisher = CeleryPublisher(app, timeout_s=0.1, ledger=down, broker=down.client)
    assert relay.run_once() == 0
    assert relay.publisher.published == []
    assert relay.pending_count() == 1


def test_a_batch_of_fast_published_rows_does_not_hold_back_the_next(
    app, session_factory, redis_url, redis_client
):
    """More fast-published rows than a batch: one round stamps them all and still
    publishes the one the fast path missed behind them."""
    relay = _relay(app, session_factory, redis_url)
    for _ in range(7):
        with unit_of_work(session_factory, relay, platform) as uow:
            uow.add_event(_event())
    relay.breaker.failed("ConnectionError")
    with unit_of_work(session_factory, relay, platform) as uow:
        uow.add_event(missed := _event())
    assert relay.run_once(batch=3) == 1
    assert [e["id"] for e in relay.publisher.published] == [missed["id"]]
    assert relay.pending_count() == 0
    assert redis_client.zcard(relay.published_key) == 0


def test_old_records_are_dropped(app, session_factory, redis_url, redis_client):
    """A record the relay could not remove (or a fast publish later than the relay's)
    does not stay for ever."""
    relay = _relay(app, session_factory, redis_url)
    redis_client.zadd(relay.published_key, {"gone": time.time() - PUBLISHED_KEEP_S - 10})
    with unit_of_work(session_factory, relay, platform) as uow:
        uow.add_event(_event())
    relay.run_once()
    assert redis_client.zcard(relay.published_key) == 0


_CHILD = """
import os, signal, sys
sys.path[:0] = {paths!r}
import redis
from celery import Celery
from inscope_common.db import make_engine, make_session_factory
from inscope_common.delivery_ledger import DeliveryLedger
from inscope_common.events import EventKeys, make_event
from inscope_common.outbox import CeleryPublisher, OutboxRelay
from inscope_common.unit_of_work import unit_of_work
from tests.platform.fakes import Base, Note, platform

engine = make_engine({database!r})
Base.metadata.create_all(engine)
session_factory = make_session_factory(engine, EventKeys.development("assessment"))
direct = redis.Redis.from_url({redis_url!r})
app = Celery("child", broker={redis_url!r}, set_as_current=False)
fast = CeleryPublisher(app, timeout_s=5, ledger=DeliveryLedger(direct), broker=direct)
relay = OutboxRelay(session_factory, platform, fast, grace_s=0, fast_publisher=fast,
                    service="assessment")

def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

where = {where!r}
if where == "before the publish":
    OutboxRelay.publish_now = die
else:
    # Inside the Redis transaction: MULTI and the queued commands are sent, then the
    # process dies before EXEC. Redis discards a transaction whose client went away.
    connection = direct.connection_pool.get_connection("MULTI")
    direct.connection_pool.release(connection)
    send = type(connection).send_packed_command

    def send_all_but_exec(self, command, check_health=True):
        chunks = command if isinstance(command, list) else [command]
        data = b"".join(chunks)
        head = data[: data.rindex(b"*1\\r\\n$4\\r\\nEXEC")]
        send(self, [head], check_health)
        die()

    type(connection).send_packed_command = send_all_but_exec

with unit_of_work(session_factory, relay, platform) as uow:
    uow.session.add(Note(id="n1"))
    event = make_event("assessment.recorded.v1", source="/inscope/assessment", subject="c",
                       data={{"intake_id": "i", "client_id": "c", "assessment_id": "a"}})
    uow.add_event(event)
    print(event["id"], flush=True)
print("not killed", flush=True)
"""


@pytest.mark.parametrize("where", ["before the publish", "inside the Redis transaction"])
def test_a_process_killed_after_its_commit_leaves_the_event_to_the_relay(
    where, app, session_factory, database_urls, redis_url, redis_client
):
    child = _CHILD.format(
        paths=[str(ROOT), str(ROOT / "lib")],
        database=database_urls["referral"],
        redis_url=redis_url,
        where=where,
    )
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(child)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'lib'}"},
    )
    assert done.returncode == -9, done.stderr  # SIGKILL
    event_id = done.stdout.split()[0]
    assert "not killed" not in done.stdout
    # Committed, not published, not recorded as published.
    assert _rows(session_factory) == {event_id: None}
    assert redis_client.llen(QUEUE) == 0
    assert redis_client.zscore("inscope.outbox.assessment.published", event_id) is None

    relay = _relay(app, session_factory, redis_url,
                   publisher=CeleryPublisher(app, ledger=DeliveryLedger(redis_client)))  # fmt: skip
    assert relay.run_once() == 1
    messages = [json.loads(raw) for raw in redis_client.lrange(QUEUE, 0, -1)]
    assert [m["headers"]["id"] for m in messages] == [f"{event_id}.assessment"]
    assert _rows(session_factory)[event_id] is not None
    assert relay.run_once() == 0 and redis_client.llen(QUEUE) == 1


def test_a_commit_without_events_sends_its_redis_writes_in_one_round_trip(
    session_factory, redis_url, redis_client
):
    """Writes a commit calls for (a consumer's ledger clear, referral's status version)
    with no event to carry them: one pipeline for those on one Redis; if it fails, each
    by itself."""
    from inscope_common.outbox import RedisWrite

    client = redis.Redis.from_url(redis_url)
    alone: list[str] = []

    def write(name: str) -> RedisWrite:
        return RedisWrite(client, lambda pipe: pipe.set(name, "1"), lambda: alone.append(name))

    executed = count_pipelines(client)
    with unit_of_work(session_factory, None, platform) as uow:
        uow.session.add(Note(id="n1"))
        uow.after_commit_in_redis(write("a"))
        uow.after_commit_in_redis(write("b"))
        assert redis_client.get("a") is None  # not before the commit
    assert executed == [2] and alone == []
    assert redis_client.get("a") == redis_client.get("b") == b"1"

    client.pipeline = lambda *a, **k: (_ for _ in ()).throw(redis.ConnectionError("down"))
    with unit_of_work(session_factory, None, platform) as uow:
        uow.after_commit_in_redis(write("c"))
        uow.after_commit_in_redis(write("d"))
    assert alone == ["c", "d"]
    with pytest.raises(RuntimeError), unit_of_work(session_factory, None, platform) as uow:
        uow.after_commit_in_redis(write("e"))
        raise RuntimeError("rolled back")
    assert alone == ["c", "d"]  # nothing for a rollback
    client.close()


def test_a_fast_published_event_can_be_sent_again_before_the_relay_stamped_it(
    app, session_factory, redis_url, redis_client
):
    """The operator's "Send again" (and the ledger's republish) reads the published
    envelope: within seconds of the publish the row is not stamped yet, its record is."""
    relay = _relay(app, session_factory, redis_url, publisher=CeleryPublisher(app, ledger=None))
    with unit_of_work(session_factory, relay, platform) as uow:
        uow.add_event(event := _event())
    assert _rows(session_factory) == {event["id"]: None}
    assert relay.republish_to("assessment", event["id"]) is True
    assert redis_client.llen(QUEUE) == 2
    assert _rows(session_factory)[event["id"]] is not None
