"""kombu's Redis transport, with one redis-py client per channel instead of one per use.

kombu's Redis channel builds a new ``redis.Redis`` on its connection pool for every
command group it sends outside its polling connection (``Channel.conn_or_acquire``):
the ``unacked`` bookkeeping of every message a worker receives and of every ack, every
publish through kombu (the relay, a redelivery), every visibility scan. Building one
costs about 50 us of CPU (redis-py copies its ~250 response callbacks into a new
case-insensitive dict), twice per consumed event (issue 13). A client on a pool holds no
connection of its own (each command or pipeline checks one out of the pool, which is
thread-safe), so the channel keeps one and hands it out again for as long as its pool
is the same. Everything else is kombu's: the same commands, acks, restores and
visibility timeout.

Celery uses it through ``broker_transport`` (inscope_common.celery_app) for redis:// and
rediss:// brokers.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis

TRANSPORT = "inscope_common.broker:Transport"


class Channel(kombu_redis.Channel):
    _kept_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:  # the polling connection's client: kombu's own
            return super()._create_client(asynchronous=True)
        client = self._kept_client
        if client is None or client.connection_pool is not self.pool:
            # First use, or the channel made a new pool (after a connection error).
            client = self._kept_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
