"""The transactional outbox.

A service writes its business rows and the event row in one transaction. Right after the
commit it publishes the event itself (the fast path); the relay is the safety net that
publishes whatever that missed, for example while Redis was down.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from celery import Celery
from kombu import Connection
from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from inscope_common import task_messages
from inscope_common.config import queue_for
from inscope_common.db import EVENT_KEYS_INFO, PlatformModels, read_only, utcnow
from inscope_common.delivery_ledger import DeliveryLedger, PendingMark
from inscope_common.events import SUBSCRIPTIONS, consume_task_name, subscribers_of
from inscope_common.events.signing import SignatureError
from inscope_common.metrics import LEDGER_REPUBLISHED, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

PENDING_KEY = "inscope.outbox_pending"
# In a unit of work's session: the RedisWrites its commit calls for (after_commit_in_redis).
REDIS_WRITES_KEY = "inscope.redis_after_commit"
# The staged envelopes themselves, by id: the fast path publishes them from memory
# rather than reading back what this process just wrote.
ENVELOPES_KEY = "inscope.outbox_envelopes"
CLAIM_SECONDS = 30
# How long the fast path's "published" record of an event (OutboxRelay.published_key)
# is kept if the relay never took it (a relay that stamped the row but could not remove
# the record, or a fast publish later than the relay's own): a record the relay has not
# seen when it expires only costs a second copy, which the consumers' inbox absorbs.
PUBLISHED_KEEP_S = 24 * 3600.0
# The relay stamps at most this many batches of fast-published rows per round.
SETTLE_ROUNDS = 20
RETRY_LEASE_SECONDS = 60
# Every service that consumes some event: the ledger's sorted sets the relay looks at.
CONSUMERS = tuple(sorted({c for consumers in SUBSCRIPTIONS.values() for c in consumers}))


def task_reprs(envelope: Any) -> dict[str, str]:
    """What a task message shows of its arguments (``argsrepr``/``kwargsrepr``: Celery's
    logs, ``celery inspect``): the event's type and id. Left to Celery, it is a
    ``saferepr`` of the whole envelope, walked value by value on every send (a quarter
    of a publish's CPU for an intake's screening, issue 13) and up to 1 kB of the
    event's data copied into the message headers."""
    if isinstance(envelope, Mapping):
        shown = f"({str(envelope.get('type'))[:100]} {str(envelope.get('id'))[:64]})"
    else:
        shown = "(not an event envelope)"
    return {"argsrepr": shown, "kwargsrepr": "{}"}


class Publisher(Protocol):
    def publish(self, event: dict[str, Any]) -> None: ...

    def redeliver(self, consumer: str, envelope: Any, attempts: int) -> None: ...


class CeleryPublisher:
    """Push one copy of the event onto every subscriber's own queue.

    With ``timeout_s`` it publishes over its own connection (one per thread) that gives
    up on the broker within that time, with no reconnection attempts: the request
    path's publisher, which must never make a client wait on the broker (the relay
    publishes whatever it could not).

    With a ``ledger`` it marks each (consumer, event) in the delivery ledger before the
    push (inscope_common.delivery_ledger): a mark it cannot write fails the publish.

    With ``broker``, a Redis client on the broker's database (the ledger's client, the
    fast path's: one try, short timeouts), ``publish`` and ``publish_many`` write the
    task messages themselves (inscope_common.task_messages), the ledger's marks and the
    messages of every event given in one pipeline: one round trip, no kombu producer."""

    def __init__(
        self,
        celery_app: Celery,
        timeout_s: float | None = None,
        ledger: DeliveryLedger | None = None,
        broker: Any = None,
    ) -> None:
        self.celery_app = celery_app
        self.timeout_s = timeout_s
        self.ledger = ledger
        self.broker = broker
        self._local = threading.local()

    @property
    def batches(self) -> bool:
        """Whether ``publish_many`` sends all its events in one go (OutboxRelay.publish_now
        then hands it every event of a commit), and can record them as published in
        the same Redis transaction (``published_key``)."""
        return self.broker is not None

    def publish_many(
        self,
        events: list[dict[str, Any]],
        *,
        published_key: str | None = None,
        also: Iterable[Callable[[Any], None]] = (),
        first: bool = False,
    ) -> None:
        """Publish every event in one pipeline (``broker`` given) or one by one. On an
        exception any of them may have gone out: the caller leaves them all to the
        relay, whose second copies the consumers' inbox absorbs.

        With ``broker``: one MULTI/EXEC transaction (one round trip) holding the
        ledger's marks, the pushes, ``also``'s commands (each given the pipeline) and,
        with ``published_key``, each event's id in that sorted set scored with the time
        (``OutboxRelay.published_key``): Redis runs all of it or none of it, so an id
        in that set means its messages were pushed. ``first``: the events' first send,
        right after their commit (``DeliveryLedger.mark_in``)."""
        if self.broker is None:
            for event in events:
                self.publish(event)
            return
        routed = [(event, subscribers_of(event["type"])) for event in events]
        with self.broker.pipeline(transaction=published_key is not None) as pipe:
            if self.ledger is not None:
                for event, consumers in routed:
                    if consumers:
                        self.ledger.mark_in(pipe, consumers, event["id"], first=first)
            for event, consumers in routed:
                if not consumers:
                    continue
                body = task_messages.message_body([event])
                reprs = task_reprs(event)
                for service in consumers:
                    queue = queue_for(service)
                    pipe.lpush(queue, task_messages.task_message(
                        self.celery_app, consume_task_name(service), queue,
                        f"{event['id']}.{service}", [event], body, **reprs,
                    ))  # fmt: skip
            for write in also:
                write(pipe)
            if published_key is not None:
                now = time.time()
                pipe.zadd(published_key, {event["id"]: now for event in events})
            pipe.execute()

    def publish(self, event: dict[str, Any]) -> None:
        if self.broker is not None:
            self.publish_many([event])
            return
        consumers = subscribers_of(event["type"])
        if self.ledger is not None and consumers:
            self.ledger.mark(consumers, event["id"])
        try:
            # One producer for every copy, and kombu's publish batch: the pushes to all
            # subscribers go to Redis as one pipeline (one round trip, one client), or
            # one by one where kombu judges a pipeline unsafe (a retrying connection).
            with self._producer() as producer, producer.batch():
                for service in consumers:
                    self.celery_app.send_task(
                        consume_task_name(service),
                        args=[event],
                        queue=queue_for(service),
                        task_id=f"{event['id']}.{service}",
                        retry=False,
                        producer=producer,
                        **task_reprs(event),
                    )
        except Exception:
            self._drop_connection()
            raise

    def redeliver(self, consumer: str, envelope: Any, attempts: int) -> None:
        """Send an event back to one consumer for another attempt (a scheduled retry);
        ``retries`` tells its task how many attempts were made."""
        event_id = envelope.get("id") if isinstance(envelope, dict) else None
        if self.ledger is not None and event_id:
            self.ledger.mark([consumer], str(event_id), attempts)
        with self._producer() as producer:
            self.celery_app.send_task(
                consume_task_name(consumer),
                args=[envelope],
                queue=queue_for(consumer),
                retries=attempts,
                retry=False,
                producer=producer,
                **task_reprs(envelope),
            )

    @contextlib.contextmanager
    def _producer(self) -> Iterator[Any]:
        """The app's pooled producer, or with ``timeout_s`` one kept per thread over
        this publisher's own connection (Celery would build a producer per send)."""
        connection = self._connection()
        if connection is None:
            with self.celery_app.producer_or_acquire() as producer:
                yield producer
            return
        producer = getattr(self._local, "producer", None)
        if producer is None:
            producer = self.celery_app.amqp.Producer(connection, auto_declare=False)
            self._local.producer = producer
        yield producer

    def _connection(self) -> Connection | None:
        if self.timeout_s is None:
            return None  # the app's own pool and settings
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = Connection(
                self.celery_app.conf.broker_url,
                connect_timeout=self.timeout_s,
                transport_options={
                    "socket_connect_timeout": self.timeout_s,
                    "socket_timeout": self.timeout_s,
                    "max_retries": 0,
                },
            )
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = self._local.producer = None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.release()


class CircuitBreaker:
    """After a failed publish, the fast path skips the broker for ``cooldown_s`` (the
    relay publishes meanwhile); then one request tries again (half-open)."""

    def __init__(self, cooldown_s: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._open_until = 0.0
        self._lock = threading.Lock()
        self.last_failure: str | None = None

    @property
    def is_open(self) -> bool:
        return self.clock() < self._open_until

    def allow(self) -> bool:
        with self._lock:
            if self.clock() < self._open_until:
                return False
            if self._open_until:
                # Half-open: this caller probes; the others keep skipping meanwhile.
                self._open_until = self.clock() + self.cooldown_s
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = 0.0
            self.last_failure = None

    def failed(self, error: str) -> None:
        with self._lock:
            self._open_until = self.clock() + self.cooldown_s
            self.last_failure = error


@dataclass(frozen=True)
class RedisWrite:
    """Redis commands a transaction's commit calls for (referral: its clients' status
    versions), on the Redis database of ``client``: ``write(pipe)`` adds them to a
    pipeline; ``alone()`` runs them by themselves (with their own retries and logging)."""

    client: Any
    write: Callable[[Any], None]
    alone: Callable[[], None]


def after_commit_in_redis(session: Session, redis_write: RedisWrite) -> None:
    """Call from an ``after_commit`` hook: in a unit of work, the commands go to Redis in
    the fast path's transaction with the events it publishes (one round trip, issue 13)
    when that Redis is the broker's database, else by themselves right after it; outside
    one, by themselves now."""
    pending = session.info.get(REDIS_WRITES_KEY)
    if pending is None:
        run_redis_writes([redis_write])
    else:
        pending.append(redis_write)


def run_redis_writes(writes: Iterable[RedisWrite]) -> None:
    """Run these writes now, outside any publish: all in one pipeline when they are on
    one Redis (a consumed event that changed a status and published nothing: the
    ledger's clear and the status version in one round trip), else, or if that pipeline
    fails, each by itself (with its own retries and logging)."""
    writes = list(writes)
    if len(writes) > 1 and all(_same_redis(w.client, writes[0].client) for w in writes):
        try:
            with writes[0].client.pipeline(transaction=False) as pipe:
                for redis_write in writes:
                    redis_write.write(pipe)
                pipe.execute()
            return
        except Exception as exc:
            log.warning("Redis writes after a commit: one by one after %s", exc)
    for redis_write in writes:
        try:
            redis_write.alone()
        except Exception:
            log.exception("Redis writes after a commit failed")


def _same_redis(a: Any, b: Any) -> bool:
    def where(client: Any) -> tuple[Any, ...]:
        kwargs = client.connection_pool.connection_kwargs
        return (kwargs.get("host"), kwargs.get("port"), kwargs.get("path"), kwargs.get("db", 0))

    return a is b or where(a) == where(b)


def add_event(session: Session, models: PlatformModels, event: dict[str, Any]) -> None:
    """Stage an event in the caller's transaction; it is published after the commit.

    It is signed here, with the event keys of the session's factory (the service's
    runtime): the outbox row holds exactly what goes on the bus."""
    keys = session.info.get(EVENT_KEYS_INFO)
    if keys is None:
        raise RuntimeError(
            "cannot sign the event: this session's factory has no event keys "
            "(make_session_factory(engine, settings.event_keys))"
        )
    event = keys.sign(event)
    # A Core INSERT built once, in the caller's transaction, rather than an ORM object
    # for the flush to process (nothing reads the row back in this session: the fast
    # path publishes the envelope kept below).
    session.execute(
        _outbox_insert(models.OutboxEvent.__table__),
        {"id": event["id"], "type": event["type"], "envelope": event},
    )
    session.info.setdefault(PENDING_KEY, []).append(event["id"])
    session.info.setdefault(ENVELOPES_KEY, {})[event["id"]] = event


@functools.cache
def _outbox_insert(table: Any) -> Any:
    return insert(table)


def staged_event_ids(session: Session) -> list[str]:
    return list(session.info.pop(PENDING_KEY, []))


def staged_envelopes(session: Session) -> dict[str, dict[str, Any]]:
    """The envelopes staged in this session (by id), forgotten as they are returned."""
    return session.info.pop(ENVELOPES_KEY, None) or {}


def forget_staged(session: Session) -> None:
    """The transaction rolled back: nothing it staged exists."""
    session.info.pop(PENDING_KEY, None)
    session.info.pop(ENVELOPES_KEY, None)


class OutboxRelay:
    def __init__(
        self,
        session_factory: sessionmaker,
        models: PlatformModels,
        publisher: Publisher,
        *,
        grace_s: float = 2.0,
        fast_publisher: Publisher | None = None,
        breaker: CircuitBreaker | None = None,
        sweeps: list[Callable[[], int]] | None = None,
        service: str = "unknown",
        ledger: DeliveryLedger | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.models = models
        self.publisher = publisher
        # The fast path right after a commit: short timeouts behind a circuit breaker.
        self.fast_publisher = fast_publisher or publisher
        self.breaker = breaker or CircuitBreaker()
        self.grace = timedelta(seconds=grace_s)
        # More work the relay process does each round (notify: due email retries).
        self.sweeps = list(sweeps or [])
        self.service = service
        # Where consumers acknowledge end to end; None: no ledger (some tests).
        self.ledger = ledger
        self._ledger_swept = 0.0
        for path in ("fast", "relay"):
            OUTBOX_PUBLISHED.labels(service, path)  # exposed at 0 from the start
        for consumer in CONSUMERS:
            LEDGER_REPUBLISHED.labels(service, consumer)

    def publish_now(
        self,
        event_ids: Iterable[str],
        envelopes: Mapping[str, dict[str, Any]] | None = None,
        redis_writes: list[RedisWrite] | None = None,
    ) -> int:
        """Fast path right after the commit that staged these events.

        No claim is taken: the relay leaves rows younger than its grace period alone, so
        for those seconds the committing process is the only publisher. A failure is
        logged and the row left to the relay. ``envelopes``: what the transaction staged
        (``staged_envelopes``), published as they are instead of read back.
        ``redis_writes``: what the commit also calls for in Redis (after_commit_in_redis),
        sent with the events where it can be, else by itself."""
        writes = list(redis_writes or ())
        try:
            return self._publish_now(event_ids, envelopes, writes)
        finally:
            run_redis_writes(writes)  # those the events' pipeline did not carry

    def _publish_now(
        self,
        event_ids: Iterable[str],
        envelopes: Mapping[str, dict[str, Any]] | None,
        writes: list[RedisWrite],
    ) -> int:
        OutboxEvent = self.models.OutboxEvent
        ids = list(event_ids)
        if not ids:
            return 0
        known = envelopes or {}
        rows: list[Any] = [(i, known[i]) for i in ids if i in known]
        unknown = [i for i in ids if i not in known]
        if unknown:
            with read_only(self.session_factory)() as session:
                rows += session.execute(
                    select(OutboxEvent.id, OutboxEvent.envelope).where(
                        OutboxEvent.id.in_(unknown), OutboxEvent.published_at.is_(None)
                    )
                ).all()
        if self.published_in_redis:
            # The pushes and the record that they were made, in one Redis transaction:
            # no database write after the commit (issue 13). The relay stamps the rows'
            # published_at from that record once they are past its grace period, and
            # publishes every row without one (a crash before this line, a broker that
            # did not answer).
            broker = self.fast_publisher.broker  # type: ignore[attr-defined]
            along = [w for w in writes if _same_redis(w.client, broker)]

            def publish(events: list[dict[str, Any]]) -> None:
                self.fast_publisher.publish_many(  # type: ignore[attr-defined]
                    events,
                    published_key=self.published_key,
                    first=True,
                    also=[w.write for w in along],
                )
                for w in along:  # sent: not to be run again by themselves
                    writes.remove(w)

            published = self._publish_all(publish, rows)
            if published:
                OUTBOX_PUBLISHED.labels(self.service, "fast").inc(len(published))
            return len(published)
        if getattr(self.fast_publisher, "batches", False):
            published = self._publish_all(self.fast_publisher.publish_many, rows)
        else:
            published = self._publish_each(rows)
        if published:
            OUTBOX_PUBLISHED.labels(self.service, "fast").inc(len(published))
            # A Core statement built once, on a connection of its own: no ORM session
            # for a one-statement transaction after every commit that staged events.
            with self.session_factory.kw["bind"].begin() as connection:
                connection.execute(self._mark_published, {"ids": published, "at": utcnow()})
        return len(published)

    @property
    def published_key(self) -> str:
        """Redis sorted set: id -> when the fast path published it, of this service's
        outbox events whose rows the relay has not stamped yet."""
        return f"inscope.outbox.{self.service}.published"

    @property
    def published_in_redis(self) -> bool:
        """Whether the fast path records what it published in Redis (a publisher that
        writes straight to the broker's Redis) rather than in the outbox row."""
        return getattr(self.fast_publisher, "broker", None) is not None

    def settle_fast_published(self, ids: list[str]) -> list[str]:
        """Of these unpublished rows, stamp ``published_at`` on those the fast path
        published (their ids in ``published_key``, with the time it did) and forget
        their records; returns the others, in order: the relay's to publish. Raises if
        Redis does not answer (the caller then publishes nothing: the broker is down)."""
        broker = getattr(self.fast_publisher, "broker", None)
        if broker is None or not ids:
            return ids
        scores = broker.zmscore(self.published_key, ids)
        found = [(i, at) for i, at in zip(ids, scores, strict=True) if at is not None]
        if not found:
            return ids
        with self.session_factory.kw["bind"].begin() as connection:
            connection.execute(
                self._stamp_published,
                [{"row": i, "at": datetime.fromtimestamp(at, UTC)} for i, at in found],
            )
        try:
            with broker.pipeline(transaction=False) as pipe:
                pipe.zrem(self.published_key, *[i for i, _ in found])
                pipe.zremrangebyscore(self.published_key, "-inf", time.time() - PUBLISHED_KEEP_S)
                pipe.execute()
        except Exception as exc:  # the rows are stamped; the records expire
            log.warning("fast-published records not removed: %s", exc)
        return [i for i, at in zip(ids, scores, strict=True) if at is None]

    @functools.cached_property
    def _stamp_published(self) -> Any:
        table = self.models.OutboxEvent.__table__
        return (
            update(table)
            .where(table.c.id == bindparam("row"), table.c.published_at.is_(None))
            .values(published_at=bindparam("at"))
        )

    def _publish_all(self, many: Callable[[list[Any]], None], rows: list[Any]) -> list[str]:
        """Every event of the commit at once (one Redis round trip on the direct path):
        all published, or all left to the relay."""
        if not rows:
            return []
        if not self.breaker.allow():
            log.info("%d event(s) left to the relay: the broker is failing", len(rows))
            return []
        try:
            many([envelope for _event_id, envelope in rows])
        except Exception as exc:  # broker down: the relay will retry
            self.breaker.failed(type(exc).__name__)
            log.warning("%d event(s) left in the outbox for the relay: %s", len(rows), exc)
            return []
        self.breaker.succeeded()
        return [event_id for event_id, _envelope in rows]

    def _publish_each(self, rows: list[Any]) -> list[str]:
        published: list[str] = []
        for event_id, envelope in rows:
            if not self.breaker.allow():
                log.info("event %s left to the relay: the broker is failing", event_id)
                continue
            try:
                self.fast_publisher.publish(envelope)
            except Exception as exc:  # broker down: the relay will retry
                self.breaker.failed(type(exc).__name__)
                log.warning("event %s left in the outbox for the relay: %s", event_id, exc)
                continue
            self.breaker.succeeded()
            published.append(event_id)
        return published

    @functools.cached_property
    def _mark_published(self) -> Any:
        OutboxEvent = self.models.OutboxEvent
        return (
            update(OutboxEvent.__table__)
            .where(
                OutboxEvent.__table__.c.id.in_(bindparam("ids", expanding=True)),
                OutboxEvent.__table__.c.published_at.is_(None),
            )
            .values(published_at=bindparam("at"))
        )

    def run_once(self, batch: int = 100) -> int:
        """Publish outbox rows the fast path missed. Returns how many went out."""
        now = utcnow()
        events, _ = self._due(batch, now, events=True, retries=False)
        return self._publish_missed(events, batch, now)

    def run_round(self, batch: int = 100) -> tuple[int, int]:
        """One round of the relay's loop: the outbox rows the fast path missed, then the
        consumer retries that are due. Both are found in one read-only transaction (two
        SELECTs built once), so an idle round costs one short read, not two sessions:
        four relays run one every ``relay_interval_s`` whether or not anything is due
        (issue 13). Returns (events published, retries sent)."""
        now = utcnow()
        events, retries = self._due(batch, now, events=True, retries=True)
        return self._publish_missed(events, batch, now), self._send_retries(retries, now)

    def _due(
        self, batch: int, now: Any, *, events: bool, retries: bool
    ) -> tuple[list[str], list[Any]]:
        """The ids of the unpublished outbox rows past the grace period, and of the
        scheduled retries due by ``now``, oldest first, at most ``batch`` of each."""
        bind = read_only(self.session_factory).kw["bind"]
        with bind.connect() as connection:
            event_ids = (
                connection.execute(
                    self._select_missed, {"cutoff": now - self.grace, "batch": batch}
                )
                .scalars()
                .all()
                if events
                else []
            )
            retry_ids = (
                connection.execute(self._select_due_retries, {"now": now, "batch": batch})
                .scalars()
                .all()
                if retries
                else []
            )
        return list(event_ids), list(retry_ids)

    @functools.cached_property
    def _select_missed(self) -> Any:
        table = self.models.OutboxEvent.__table__
        return (
            select(table.c.id)
            .where(table.c.published_at.is_(None), table.c.created_at <= bindparam("cutoff"))
            .order_by(table.c.created_at)
            .limit(bindparam("batch"))
        )

    @functools.cached_property
    def _select_due_retries(self) -> Any:
        table = self.models.ScheduledRetry.__table__
        return (
            select(table.c.id)
            .where(table.c.due_at <= bindparam("now"))
            .order_by(table.c.due_at)
            .limit(bindparam("batch"))
        )

    def _publish_missed(self, ids: list[str], batch: int, now: Any) -> int:
        """Stamp the rows the fast path published (its record in Redis) and publish the
        others; while a whole batch was the fast path's, read the next one."""
        for _ in range(SETTLE_ROUNDS):
            try:
                missed = self.settle_fast_published(ids)
            except Exception as exc:
                log.warning("relay could not read what the fast path published: %s", exc)
                return 0  # the broker is likely down; nothing can be published either
            if missed or len(ids) < batch:
                break
            ids, _ = self._due(batch, now, events=True, retries=False)
        published = 0
        for event_id in missed:
            try:
                published += self._publish_one(event_id)
            except Exception as exc:
                log.warning("relay could not publish %s: %s", event_id, exc)
                break  # the broker is likely down; try the rest next round
        return published

    def publish_due_retries(self, batch: int = 100) -> int:
        """Send the consumer retries that are due back to their consumer. A row is
        leased (its due time moved on) before the send and deleted after it: a crash in
        between sends it again later, which the idempotent consumer absorbs."""
        now = utcnow()
        _, ids = self._due(batch, now, events=False, retries=True)
        return self._send_retries(ids, now)

    def _send_retries(self, ids: list[Any], now: Any) -> int:
        Retry = self.models.ScheduledRetry
        sent = 0
        for retry_id in ids:
            with self.session_factory() as session, session.begin():
                leased = session.execute(
                    update(Retry)
                    .where(Retry.id == retry_id, Retry.due_at <= now)
                    .values(due_at=now + timedelta(seconds=RETRY_LEASE_SECONDS))
                ).rowcount
                row = session.get(Retry, retry_id) if leased else None
                todo = (row.consumer, row.envelope, row.attempts) if row else None
            if todo is None:
                continue
            try:
                self.publisher.redeliver(*todo)
            except Exception as exc:
                log.warning("relay could not send retry %s: %s", retry_id, exc)
                break  # the lease brings it back; the broker is likely down
            with self.session_factory() as session, session.begin():
                session.execute(delete(Retry).where(Retry.id == retry_id))
            sent += 1
        return sent

    def scheduled_retry_count(self) -> int:
        Retry = self.models.ScheduledRetry
        with read_only(self.session_factory)() as session:
            return session.scalar(select(func.count()).select_from(Retry))

    def run_forever(self, interval_s: float, stop: Any = None, heartbeat: Any = None) -> None:
        """Rounds until ``stop`` is set; ``heartbeat()`` after every round that ran."""
        log.info("outbox relay started (every %.1fs)", interval_s)
        while stop is None or not stop.is_set():
            try:
                count, retried = self.run_round()
                if count:
                    log.info("relay published %d event(s)", count)
                if retried:
                    log.info("relay sent %d retry(ies) back to their consumer", retried)
                if heartbeat is not None:
                    heartbeat()
            except Exception:
                log.exception("relay round failed")
            self.run_sweeps()
            time.sleep(interval_s)

    def _sweep_ledger_now_and_then(self) -> int:
        """The ledger's sweep reads Redis: a tenth of the redelivery age apart is often
        enough (9 s at the default 90 s) and keeps redelivery within the age plus that."""
        if self.ledger is None:
            return 0
        now = time.monotonic()
        if now - self._ledger_swept < min(10.0, self.ledger.redeliver_after_s / 10):
            return 0
        self._ledger_swept = now
        return self.republish_unsettled()

    def republish_unsettled(self) -> int:
        """Publish again, to that consumer only, each event of this service's outbox that
        a consumer has not settled long after it was sent (the delivery ledger). Events
        of other services' outboxes are theirs to send; an unpublished row is the
        relay's. Returns how many went out."""
        if self.ledger is None:
            return 0
        sent = 0
        try:
            for consumer in CONSUMERS:
                due = self.ledger.due(consumer)
                envelopes = self.published_envelopes([m.event_id for m in due])
                if consumer == self.service and any(m.event_id not in envelopes for m in due):
                    # A dead letter replayed here whose producer's outbox no longer has
                    # the event (past its retention) or cannot send it: nobody sent it
                    # again when it was due, so this service sends it from its own copy.
                    stale = {m.event_id for m in self.ledger.due(consumer, factor=2.0)}
                    envelopes.update(self.replayed_envelopes(sorted(stale - set(envelopes))))
                for mark in due:
                    envelope = envelopes.get(mark.event_id)
                    if envelope is None:
                        continue
                    self._republish(mark, envelope)
                    sent += 1
        except Exception as exc:  # the broker is likely down: the marks wait
            log.warning("delivery ledger sweep stopped: %s", exc)
        return sent

    def republish_to(self, consumer: str, event_id: str) -> bool:
        """The operator's action on a repeatedly republished event: send it again now."""
        if self.ledger is None:
            return False
        envelope = self.envelopes_for(consumer, [event_id]).get(event_id)
        if envelope is None:
            return False
        try:
            attempts = self.ledger.attempts(consumer, event_id)
            self._republish(PendingMark(consumer, event_id, 0.0, 0, attempts), envelope)
        except Exception as exc:
            log.warning("could not publish %s to %s again: %s", event_id, consumer, exc)
            return False
        return True

    def _republish(self, mark: PendingMark, envelope: dict[str, Any]) -> None:
        if self.ledger is None:
            return
        times = self.ledger.count_republish(mark.consumer, mark.event_id)
        # With the attempts the consumer had made when it was last sent (a scheduled
        # retry that got lost keeps its place in the retry budget); redeliver marks it
        # sent again now, with the same count.
        self.publisher.redeliver(mark.consumer, envelope, mark.attempts)
        LEDGER_REPUBLISHED.labels(self.service, mark.consumer).inc()
        log.warning(
            "event %s (%s) published again to %s: not settled %.0f s after it was sent "
            "(republish %d)",
            mark.event_id,
            envelope.get("type"),
            mark.consumer,
            time.time() - mark.sent_at if mark.sent_at else 0.0,
            times,
        )

    def envelopes_for(self, consumer: str, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """What this service can send ``consumer`` again: events of its outbox, and for
        itself, the dead letters it replayed."""
        envelopes = self.published_envelopes(event_ids)
        if consumer == self.service:
            missing = [e for e in event_ids if e not in envelopes]
            envelopes.update(self.replayed_envelopes(missing))
        return envelopes

    def replayed_envelopes(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The envelopes of this service's dead letters replayed for these event ids,
        those our keys signed only (a forged copy is never sent on)."""
        if not event_ids:
            return {}
        DeadLetter = self.models.DeadLetter
        keys = (self.session_factory.kw.get("info") or {}).get(EVENT_KEYS_INFO)
        with read_only(self.session_factory)() as session:
            rows = session.execute(
                select(DeadLetter.event_id, DeadLetter.envelope)
                .where(
                    DeadLetter.consumer == self.service,
                    DeadLetter.event_id.in_(event_ids),
                    DeadLetter.replayed_at.is_not(None),
                )
                .order_by(DeadLetter.id)
            ).all()
        found: dict[str, dict[str, Any]] = {}
        for event_id, envelope in rows:
            if keys is None or event_id in found:
                continue
            try:
                keys.verify(envelope)
            except SignatureError:
                continue
            found[event_id] = envelope
        return found

    def published_envelopes(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not event_ids:
            return {}
        try:
            # Those the fast path published that the relay has not stamped yet (an
            # operator's "Send again" within seconds of the publish).
            self.settle_fast_published(event_ids)
        except Exception as exc:
            log.warning("could not read what the fast path published: %s", exc)
        OutboxEvent = self.models.OutboxEvent
        with read_only(self.session_factory)() as session:
            rows = session.execute(
                select(OutboxEvent.id, OutboxEvent.envelope).where(
                    OutboxEvent.id.in_(event_ids), OutboxEvent.published_at.is_not(None)
                )
            ).all()
        return {event_id: envelope for event_id, envelope in rows}

    def run_sweeps(self) -> None:
        """The ledger's redeliveries and the service's own periodic work (notify: emails
        due for another attempt)."""
        for sweep in [self._sweep_ledger_now_and_then, *self.sweeps]:
            try:
                sweep()
            except Exception:
                log.exception("relay sweep %s failed", getattr(sweep, "__name__", sweep))

    def unpublished_count(self, older_than_s: float) -> int:
        """Events committed more than ``older_than_s`` ago and still not published."""
        OutboxEvent = self.models.OutboxEvent
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        with read_only(self.session_factory)() as session:
            return session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None), OutboxEvent.created_at <= cutoff)
            )

    def pending_count(self) -> int:
        OutboxEvent = self.models.OutboxEvent
        with read_only(self.session_factory)() as session:
            return session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            )

    def publish_one(self, event_id: str) -> bool:
        """Publish one unpublished event now (the operator's action); False if it was
        published already, is held by another publisher, or the broker refused."""
        try:
            if not self.settle_fast_published([event_id]):
                return False  # the fast path published it
            return bool(self._publish_one(event_id))
        except Exception as exc:
            log.warning("could not publish %s: %s", event_id, exc)
            return False

    def _claim(self, event_id: str) -> dict[str, Any] | None:
        OutboxEvent = self.models.OutboxEvent
        now = utcnow()
        with self.session_factory() as session, session.begin():
            claimed = session.execute(
                update(OutboxEvent)
                .where(
                    OutboxEvent.id == event_id,
                    OutboxEvent.published_at.is_(None),
                    or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
                )
                .values(
                    claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=OutboxEvent.attempts + 1,
                )
            ).rowcount
            if not claimed:
                return None
            return session.get(OutboxEvent, event_id).envelope

    def _publish_one(self, event_id: str) -> int:
        envelope = self._claim(event_id)
        if envelope is None:
            return 0  # published already, or someone else holds the claim
        OutboxEvent = self.models.OutboxEvent
        try:
            self.publisher.publish(envelope)
        except Exception as exc:
            with self.session_factory() as session, session.begin():
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id == event_id)
                    .values(claimed_until=None, last_error=str(exc)[:2000])
                )
            raise
        with self.session_factory() as session, session.begin():
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event_id)
                .values(published_at=utcnow(), last_error=None)
            )
        OUTBOX_PUBLISHED.labels(self.service, "relay").inc()
        return 1
