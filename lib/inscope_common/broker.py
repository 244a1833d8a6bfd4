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

A consumed event's acknowledgement can also travel in the Redis round trip that settles
the event after its commit (``ack_ahead``; inscope_common.consumer): kombu's ack is two
commands (the message out of the ``unacked`` hash and its index) in a pipeline of its
own, one round trip per consumed event (issue 13); they go in the commit's pipeline
with the delivery ledger's clear instead, and Celery's ack after the task then only
forgets the message in this process. If that pipeline fails, the ack is Celery's again.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

TRANSPORT = "inscope_common.broker:Transport"

# Every QoS of this process (a worker's consuming channels): where a delivery tag is held.
_QOS: weakref.WeakSet[QoS] = weakref.WeakSet()


class QoS(kombu_redis.QoS):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._acked_ahead: set[str] = set()
        _QOS.add(self)

    def ack(self, delivery_tag: str) -> None:
        if delivery_tag in self._acked_ahead:
            # Its commands went to Redis with the event's settlement (ack_ahead).
            self._acked_ahead.discard(delivery_tag)
            virtual.QoS.ack(self, delivery_tag)
            return
        super().ack(delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        self._acked_ahead.discard(delivery_tag)
        super().reject(delivery_tag, requeue=requeue)


@dataclass
class AckAhead:
    """The acknowledgement of one delivered message, for another pipeline to carry."""

    qos: QoS
    delivery_tag: str

    def write(self, pipe: Any) -> None:
        """Add the ack's commands to ``pipe`` (a pipeline on the broker's database); once
        it has run, Celery's own ack sends nothing."""
        self.qos._remove_from_indices(self.delivery_tag, pipe)
        self.qos._acked_ahead.add(self.delivery_tag)

    def undo(self) -> None:
        """The pipeline did not run: Celery's ack sends the commands itself."""
        self.qos._acked_ahead.discard(self.delivery_tag)


def ack_ahead(delivery_tag: Any) -> AckAhead | None:
    """The ack of the message ``delivery_tag`` this process's worker holds, or None (not
    delivered here: a task run in process, another transport)."""
    if not isinstance(delivery_tag, str):
        return None
    for qos in list(_QOS):
        if delivery_tag in qos._delivered:
            return AckAhead(qos, delivery_tag)
    return None


class Channel(kombu_redis.Channel):
    QoS = QoS
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
