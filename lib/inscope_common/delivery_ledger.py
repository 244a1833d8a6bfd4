"""The delivery ledger: an end-to-end acknowledgement the broker cannot lose.

kombu's Redis transport is at-most-once in one window: a worker parent SIGKILLed
between Redis's blocking pop of a message and kombu's write of it into the ``unacked``
hash loses that message (celery/kombu#305, celery/celery#7950); nothing is left in
Redis to restore. So the publisher records each (consumer, event id) it sends, in a
sorted set per consumer scored by the time it was sent, *before* it pushes the message;
the consumer removes its mark once the event is settled on its side (processed and
committed, skipped as a duplicate, dead-lettered, or kept in its database for a
scheduled retry). The producer's relay publishes again, from its outbox row and to that
one consumer only, whatever is still marked ``redeliver_after_s`` after it was sent
(consumers are idempotent, so a redelivery of a message that was only slow has no
effect). Marks older than ``keep_s`` are dropped, so the ledger stays bounded.

A mark is due only while the consumer's queue is empty (a backlog means the message
may still be waiting in it, and a republish would only add work to the backlog) or once
it is ``backlog_factor`` times older than ``redeliver_after_s``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from inscope_common.config import queue_for

log = logging.getLogger(__name__)

KEY_PREFIX = "inscope.ledger."
# A republished mark older than this many redeliveries is shown as stuck work.
REPEATED_REPUBLISHES = 2


def ledger_key(consumer: str) -> str:
    """Sorted set: event id -> when it was (last) sent to ``consumer``."""
    return f"{KEY_PREFIX}{consumer}"


def republished_key(consumer: str) -> str:
    """Hash: event id -> how many times the ledger sent it to ``consumer`` again."""
    return f"{KEY_PREFIX}{consumer}.republished"


def attempts_key(consumer: str) -> str:
    """Hash: event id -> attempts ``consumer`` already made at it, for an event sent back
    for another attempt (a scheduled retry); absent for a first delivery. A republish
    carries it, so a lost retry does not start the consumer's retry budget anew."""
    return f"{KEY_PREFIX}{consumer}.attempts"


@dataclass(frozen=True)
class PendingMark:
    consumer: str
    event_id: str
    sent_at: float  # epoch seconds of the last send
    republished: int  # how many times the sweep sent it again
    attempts: int = 0  # attempts the consumer had made when it was last sent


class DeliveryLedger:
    def __init__(
        self,
        client: redis.Redis,
        *,
        redeliver_after_s: float = 90.0,
        keep_s: float = 24 * 3600.0,
        backlog_factor: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.redeliver_after_s = redeliver_after_s
        self.keep_s = keep_s
        self.backlog_factor = backlog_factor
        self.clock = clock

    @classmethod
    def from_url(cls, url: str, timeout_s: float, **options: float) -> DeliveryLedger:
        """A ledger on its own connection pool that gives up within ``timeout_s`` (the
        request path's publisher gives the broker 100 ms, and so the ledger too)."""
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),  # one try: the relay tries again later
        )
        return cls(client, **options)

    def mark(self, consumers: Iterable[str], event_id: str, attempts: int = 0) -> None:
        """Before the push: ``event_id`` is on its way to each of ``consumers``, after
        ``attempts`` earlier attempts of theirs (a scheduled retry; 0 for a first
        delivery). Raises if Redis does not answer (the caller then treats the publish
        as failed)."""
        with self.client.pipeline(transaction=False) as pipe:
            self.mark_in(pipe, consumers, event_id, attempts)
            pipe.execute()

    def mark_in(
        self,
        pipe: Any,
        consumers: Iterable[str],
        event_id: str,
        attempts: int = 0,
        *,
        first: bool = False,
    ) -> None:
        """``mark``'s commands, added to ``pipe`` (a pipeline on this ledger's Redis) for
        the caller to execute before, or in the same pipeline as, the push. ``first``:
        the event's first send, just after the commit that wrote it (the fast path), so
        no consumer has attempts at it to reset: one command per consumer, not two."""
        now = self.clock()
        for consumer in consumers:
            pipe.zadd(ledger_key(consumer), {event_id: now})
            if first:
                continue
            if attempts > 0:
                pipe.hset(attempts_key(consumer), event_id, attempts)
            else:
                pipe.hdel(attempts_key(consumer), event_id)

    def clear(self, consumer: str, event_id: str) -> None:
        """The consumer settled ``event_id``: nothing left to redeliver."""
        with self.client.pipeline(transaction=False) as pipe:
            self.clear_in(pipe, consumer, event_id)
            pipe.execute()

    def clear_in(self, pipe: Any, consumer: str, event_id: str) -> None:
        """``clear``'s commands, added to ``pipe`` (a pipeline on this ledger's Redis)."""
        pipe.zrem(ledger_key(consumer), event_id)
        pipe.hdel(republished_key(consumer), event_id)
        pipe.hdel(attempts_key(consumer), event_id)

    def pending(self, consumer: str, older_than_s: float = 0.0) -> list[PendingMark]:
        """Marks of ``consumer`` sent more than ``older_than_s`` ago, oldest first."""
        ceiling = self.clock() - older_than_s
        rows = self.client.zrangebyscore(ledger_key(consumer), "-inf", ceiling, withscores=True)
        if not rows:
            return []
        ids = [_text(member) for member, _ in rows]
        counts = self.client.hmget(republished_key(consumer), ids)
        attempts = self.client.hmget(attempts_key(consumer), ids)
        return [
            PendingMark(consumer, event_id, score, int(count or 0), int(tried or 0))
            for event_id, (_, score), count, tried in zip(ids, rows, counts, attempts, strict=True)
        ]

    def due(self, consumer: str, factor: float = 1.0) -> list[PendingMark]:
        """Marks to send again now: past ``redeliver_after_s`` with the consumer's queue
        empty, or past ``backlog_factor`` times that whatever the queue holds (each
        times ``factor``: 2 finds the marks nobody sent again when they were due). Drops
        (and logs) marks older than ``keep_s`` first."""
        self.expire(consumer)
        age = self.redeliver_after_s * factor
        if self.client.llen(queue_for(consumer)) == 0:
            return self.pending(consumer, age)
        return self.pending(consumer, age * self.backlog_factor)

    def expire(self, consumer: str) -> int:
        ceiling = self.clock() - self.keep_s
        old = self.client.zrangebyscore(ledger_key(consumer), "-inf", ceiling)
        if not old:
            return 0
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zrem(ledger_key(consumer), *old)
            pipe.hdel(republished_key(consumer), *old)
            pipe.hdel(attempts_key(consumer), *old)
            pipe.execute()
        log.error(
            "delivery ledger: %d event(s) to %s never settled in %.0f h; marks dropped: %s",
            len(old),
            consumer,
            self.keep_s / 3600,
            ", ".join(_text(m) for m in old[:20]),
        )
        return len(old)

    def attempts(self, consumer: str, event_id: str) -> int:
        """Attempts ``consumer`` had made at ``event_id`` when it was last sent."""
        return int(self.client.hget(attempts_key(consumer), event_id) or 0)

    def count_republish(self, consumer: str, event_id: str) -> int:
        return int(self.client.hincrby(republished_key(consumer), event_id, 1))

    def close(self) -> None:
        self.client.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
