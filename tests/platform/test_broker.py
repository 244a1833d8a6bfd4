"""kombu's Redis transport with one redis-py client per channel (inscope_common.broker,
issue 13): no client built per message, and kombu's at-least-once bookkeeping (the
unacked hash, acks, requeues, the visibility timeout's restore) as it was."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from kombu import Connection

from inscope_common.broker import TRANSPORT, Channel
from inscope_common.celery_app import celery_settings

QUEUE = "inscope.test-broker"


@pytest.fixture
def connection(redis_url: str, redis_client: redis.Redis) -> Iterator[Connection]:
    redis_client.flushdb()
    with Connection(
        redis_url, transport=TRANSPORT, transport_options={"visibility_timeout": 1}
    ) as conn:
        yield conn
    redis_client.flushdb()


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many redis.Redis clients get built."""
    count = [0]
    init = redis.Redis.__init__

    def counting(self: redis.Redis, *args: object, **kwargs: object) -> None:
        count[0] += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    return count


def test_every_service_uses_it_for_a_redis_broker(service_env):
    from inscope_intake import create_app

    app = create_app(service_env, role="worker")
    settings = app.extensions["inscope"].settings
    assert celery_settings(settings)["broker_transport"] == TRANSPORT
    with app.extensions["celery"].connection_for_write() as conn:
        assert isinstance(conn.default_channel, Channel)
    app.extensions["inscope"].engine.dispose()


def test_no_client_is_built_per_message(connection, built):
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 0})
    queue.get(timeout=2).ack()  # the channel's clients exist from here on
    built[0] = 0
    for n in range(20):
        queue.put({"n": n})
        queue.get(timeout=2).ack()
    assert built[0] == 0  # kombu's own transport: 4 per message (put, get, unacked, ack)
    queue.close()


def test_a_received_message_is_held_in_the_unacked_hash_until_its_ack(
    connection, redis_client
):
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 1})
    message = queue.get(timeout=2)
    assert redis_client.hlen("unacked") == 1 and redis_client.zcard("unacked_index") == 1
    message.ack()
    assert redis_client.hlen("unacked") == 0 and redis_client.zcard("unacked_index") == 0
    assert redis_client.llen(QUEUE) == 0
    queue.close()


def test_a_requeued_message_comes_back(connection):
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 2})
    queue.get(timeout=2).requeue()
    again = queue.get(timeout=2)
    assert again.payload == {"n": 2}
    again.ack()
    queue.close()


def test_a_message_held_past_the_visibility_timeout_is_restored(
    connection, redis_url, redis_client
):
    """A worker that died holding a message: another channel's scan puts it back."""
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 3})
    held = queue.get(timeout=2)
    assert held.payload == {"n": 3} and redis_client.llen(QUEUE) == 0
    time.sleep(1.2)  # past the 1 s visibility timeout, never acked
    with Connection(
        redis_url, transport=TRANSPORT, transport_options={"visibility_timeout": 1}
    ) as other:
        other.default_channel.qos.restore_visible(interval=1)
    assert redis_client.llen(QUEUE) == 1 and redis_client.hlen("unacked") == 0
    queue.close()


def test_a_new_pool_gets_a_new_client(connection):
    channel = connection.default_channel
    with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
        assert first is second and first.connection_pool is channel.pool
    channel._disconnect_pools()  # what kombu does after a connection error
    with channel.conn_or_acquire() as third:
        assert third is not first and third.connection_pool is channel.pool


def test_an_ack_sent_ahead_in_another_pipeline_is_not_sent_again(connection, redis_client):
    """The consumer sends a message's ack with the event's settlement after its commit
    (ack_ahead, one round trip fewer); Celery's ack afterwards only forgets it here."""
    from inscope_common.broker import ack_ahead

    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 4})
    message = queue.get(timeout=2)
    ack = ack_ahead(message.delivery_tag)
    assert ack is not None and ack_ahead("not-delivered-here") is None
    with redis_client.pipeline(transaction=False) as pipe:
        pipe.set("settled", 1)  # the settlement's own commands
        ack.write(pipe)
        pipe.execute()
    assert redis_client.hlen("unacked") == 0 and redis_client.zcard("unacked_index") == 0
    # A second ack would drop this:
    redis_client.hset("unacked", message.delivery_tag, "sentinel")
    message.ack()
    assert redis_client.hget("unacked", message.delivery_tag) == b"sentinel"
    assert not connection.default_channel.qos._acked_ahead  # forgotten once acked
    queue.close()


def test_an_ack_whose_pipeline_did_not_run_is_celerys_again(connection, redis_client):
    from inscope_common.broker import ack_ahead

    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 5})
    message = queue.get(timeout=2)
    ack = ack_ahead(message.delivery_tag)
    with redis_client.pipeline(transaction=False) as pipe:
        ack.write(pipe)
        pipe.reset()  # never executed (Redis did not answer)
    ack.undo()
    assert redis_client.hlen("unacked") == 1
    message.ack()
    assert redis_client.hlen("unacked") == 0 and redis_client.zcard("unacked_index") == 0
    queue.close()
