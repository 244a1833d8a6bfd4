"""Idempotent event consumers with retries and dead letters.

Each service registers one Celery task, ``<service>.consume_event``, on its own queue.
The task validates the envelope, skips events this consumer already processed, runs the
handler and records (consumer, event id) in the same transaction, so a redelivered event
has its effect once. Failures retry with exponential backoff and full jitter; after the
last retry, or at once for an event that can never succeed, the envelope goes to the
dead-letter table, where ``<service-cli> dead-letters list|replay`` finds it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from celery.exceptions import Retry
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from inscope_common.broker import AckAhead, ack_ahead
from inscope_common.config import ServiceSettings
from inscope_common.db import PlatformModels, read_only, utcnow
from inscope_common.events import EnvelopeError, SignatureError, consume_task_name, parse_event
from inscope_common.logs import bound, event_fields, get_logger
from inscope_common.metrics import DEAD_LETTERED, RETRIES, TASK_SECONDS, TASKS
from inscope_common.outbox import (
    REDIS_WRITES_KEY,
    OutboxRelay,
    RedisWrite,
    after_commit_in_redis,
)
from inscope_common.unit_of_work import unit_of_work

log = get_logger(__name__)
SHORT_COUNTDOWN_S = 30.0


# INSERT ... ON CONFLICT DO NOTHING, per engine (EventConsumer._record).
_INSERT_IGNORING_CONFLICTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class _HandledMeanwhile(Exception):
    """The inbox row was written by a concurrent delivery: roll this one back."""


class PermanentError(Exception):
    """Retrying cannot help (bad data, a rule the event breaks): dead-letter at once."""


@dataclass
class HandlerContext:
    # The consumer's transaction; the inbox row is written in it. A handler that must
    # commit before a side effect (notify: the delivery row before the send) uses
    # session_factory instead and leaves this one untouched, so that on SQLite it takes
    # no write lock until the inbox row is written.
    session: Session
    session_factory: sessionmaker
    settings: ServiceSettings
    models: PlatformModels
    # Such a handler may write the inbox row in its own last transaction instead, once
    # its work is done (one transaction fewer per event, issue 13): ``record_inbox(s)``
    # writes it in session ``s`` and returns whether it was written (False: a
    # concurrent delivery wrote it first). The consumer then writes none.
    record_inbox: Callable[[Session], bool] | None = None
    inbox_recorded: bool | None = None  # what record_inbox returned; None: not called
    # Whether record_inbox also queued the delivery ledger's clear on that transaction's
    # commit (its unit of work's Redis writes: with the events it publishes, one round
    # trip, issue 13); the consumer then queues none of its own.
    ledger_settled: bool = False

    def record_inbox_in(self, session: Session) -> None:
        """Write the inbox row in ``session``'s transaction (see ``record_inbox``)."""
        if self.record_inbox is not None and self.inbox_recorded is None:
            self.inbox_recorded = self.record_inbox(session)


Handler = Callable[[HandlerContext, dict[str, Any]], None]
# An attribute a handler may carry: ``handler.ignores(event) -> bool``, True for an
# event the handler would do nothing with, judged from the event alone. Such an event
# is settled without a transaction or an inbox row (handling it again changes nothing
# either), e.g. referral's notification.sent about a client's email (issue 13).
IGNORES = "ignores"


def backoff_seconds(retries: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog's recommendation)."""
    return random.uniform(0, min(cap, base * (2**retries)))


@dataclass
class EventConsumer:
    settings: ServiceSettings
    session_factory: sessionmaker
    models: PlatformModels
    handlers: dict[str, Handler]
    relay: OutboxRelay | None = None
    # True when every handler does its work in ctx.session only (no commit of its own
    # through session_factory): the inbox check then reads in the handler's own
    # transaction, one session per event instead of two. Notify's handlers commit the
    # delivery row before each send, so notify keeps the separate read.
    check_in_transaction: bool = False
    _processed_query: Any = field(default=None, init=False, repr=False)
    _inbox_inserts: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def name(self) -> str:
        return self.settings.service

    def process(
        self, envelope: Any, *, verified: bool = False, ack: AckAhead | None = None
    ) -> str:
        """Handle one delivery. Returns "processed", "duplicate" or "ignored" (nothing
        for this consumer to do: ``IGNORES``); raises on failure
        (SignatureError first of all: an event none of our keys signed is never parsed,
        let alone handled). ``verified``: the caller has just verified the signature.
        A processed event is settled here (``settled``), once its transaction has
        committed, with the events that transaction publishes (one Redis round trip),
        and with ``ack``, the broker's acknowledgement of its message (inscope_common.
        broker.ack_ahead), when the worker delivered it."""
        if not verified:
            self.settings.event_keys.verify(envelope)
        event = parse_event(envelope)
        handler = self.handlers.get(event["type"])
        if handler is None:
            raise PermanentError(f"{self.name} has no handler for {event['type']}")
        ignores = getattr(handler, IGNORES, None)
        if ignores is not None and ignores(event):
            log.info("event handled", outcome="ignored")
            return "ignored"
        if not self.check_in_transaction and self._already_processed(event["id"]):
            log.info("event skipped: already handled", outcome="duplicate")
            return "duplicate"
        try:
            with unit_of_work(self.session_factory, self.relay, self.models) as uow:
                session = uow.session
                # The inbox row first, where the handler writes in this transaction
                # only: one statement both checks and records (issue 13).
                if self.check_in_transaction and not self._record(session, event):
                    log.info("event skipped: already handled", outcome="duplicate")
                    return "duplicate"
                ctx = HandlerContext(session, self.session_factory, self.settings, self.models)
                if not self.check_in_transaction:
                    ctx.record_inbox = lambda own: self._record_in_own(ctx, own, event, ack)
                handler(ctx, event)
                if ctx.inbox_recorded is False:
                    # A concurrent delivery wrote the inbox row first; what the handler
                    # committed is committed (its own transactions).
                    log.info("event skipped: already handled", outcome="duplicate")
                    return "duplicate"
                if (
                    not self.check_in_transaction
                    and ctx.inbox_recorded is None
                    and not self._record(session, event)
                ):
                    raise _HandledMeanwhile  # a concurrent delivery won: roll back
                session.flush()
                self._fault_hold()
                if not ctx.ledger_settled:
                    self._settle_after_commit(uow, event["id"], ack)
        except _HandledMeanwhile:
            return "duplicate"
        except IntegrityError:
            if self._already_processed(event["id"]):
                return "duplicate"  # a concurrent delivery won the race
            raise
        log.info("event handled", outcome="processed")
        return "processed"

    def dead_letter(self, envelope: Any, error: str, attempts: int) -> None:
        event_id = envelope.get("id") if isinstance(envelope, dict) else None
        event_type = envelope.get("type") if isinstance(envelope, dict) else None
        with self.session_factory() as session, session.begin():
            session.add(
                self.models.DeadLetter(
                    consumer=self.name,
                    event_id=str(event_id)[:64] if event_id else None,
                    event_type=str(event_type)[:100] if event_type else None,
                    envelope=envelope,
                    error=error[:4000],
                    attempts=attempts,
                )
            )
        DEAD_LETTERED.labels(self.name).inc()
        log.error(
            "event given up: stored as a dead letter",
            outcome="dead_lettered",
            attempts=attempts,
            error=error[:500],
        )

    def schedule_retry(self, envelope: Any, error: str, attempts: int, delay_s: float) -> None:
        """Keep the event in the database until its next attempt is due; the relay
        sends it back to this consumer then (OutboxRelay.publish_due_retries)."""
        event_id = envelope.get("id") if isinstance(envelope, dict) else None
        with self.session_factory() as session, session.begin():
            session.add(
                self.models.ScheduledRetry(
                    consumer=self.name,
                    event_id=str(event_id)[:64] if event_id else None,
                    envelope=envelope,
                    attempts=attempts,
                    due_at=utcnow() + timedelta(seconds=delay_s),
                    last_error=error[:4000],
                )
            )

    def _record_in_own(
        self, ctx: HandlerContext, session: Session, event: dict[str, Any],
        ack: AckAhead | None = None,
    ) -> bool:
        """``record_inbox`` for a handler's own last transaction: the inbox row, and,
        when that transaction is a unit of work (its Redis writes wait for its commit),
        the ledger's clear (and ``ack``) queued on it, to go with the events it
        publishes in one Redis round trip instead of one more after the consumer's
        commit (issue 13)."""
        recorded = self._record(session, event)
        if recorded and REDIS_WRITES_KEY in session.info:
            write = self._ledger_write(event["id"], ack)
            if write is not None:
                after_commit_in_redis(session, write)
            ctx.ledger_settled = True
        return recorded

    def _ledger_write(self, event_id: str, ack: AckAhead | None = None) -> RedisWrite | None:
        """The ledger's clear of this event, and with ``ack`` the acknowledgement of its
        message in the same round trip (inscope_common.broker.ack_ahead, issue 13: one
        round trip per consumed event fewer); if that pipeline does not run, Celery
        acks the message as usual after the task."""
        ledger = self.relay.ledger if self.relay is not None else None
        if ledger is None:
            return None

        def write(pipe: Any) -> None:
            ledger.clear_in(pipe, self.name, event_id)
            if ack is not None:
                ack.write(pipe)

        def alone() -> None:
            if ack is not None:
                ack.undo()
            self._clear(ledger, event_id)

        return RedisWrite(ledger.client, write, alone)

    def _settle_after_commit(self, uow: Any, event_id: str, ack: AckAhead | None) -> None:
        """The ledger's clear of this event (and ``ack``), for once the handler's
        transaction has committed: in the fast path's transaction with the events it
        publishes (the ledger's Redis is the broker's), else by itself right after the
        commit."""
        write = self._ledger_write(event_id, ack)
        if write is not None:
            uow.after_commit_in_redis(write)

    def _clear(self, ledger: Any, event_id: str) -> None:
        try:
            ledger.clear(self.name, event_id)
        except Exception as exc:
            log.warning("delivery ledger mark not cleared", error=str(exc)[:300])

    def settled(self, envelope: Any, *, verified: bool = False) -> None:
        """The event is done with on this side (processed and committed, a duplicate,
        dead-lettered, or kept for a scheduled retry): clear its delivery-ledger mark, so
        the producer's relay does not send it again. If Redis does not answer, the mark
        stays and brings one more delivery, which the inbox check absorbs. ``verified``:
        this delivery's signature was checked already (by ``process``)."""
        ledger = self.relay.ledger if self.relay is not None else None
        event_id = envelope.get("id") if isinstance(envelope, dict) else None
        if ledger is None or not event_id:
            return
        if not verified:
            try:
                self.settings.event_keys.verify(envelope)
            except SignatureError:
                return  # a forged copy must not clear the mark of the genuine event's id
        self._clear(ledger, str(event_id))

    def _already_processed(self, event_id: str) -> bool:
        """The inbox check before a handler that commits on its own (notify): a Core
        query on a read-only connection, no ORM session (issue 13: half the CPU)."""
        engine = read_only(self.session_factory).kw["bind"]
        if not isinstance(engine, Engine):  # sessions bound to one connection (a test's)
            with read_only(self.session_factory)() as session:
                return self._processed_in(session, event_id)
        with engine.connect() as connection:
            found = connection.execute(
                self._processed_statement(), {"consumer": self.name, "event_id": event_id}
            ).first()
        return found is not None

    def _processed_in(self, session: Session, event_id: str) -> bool:
        found = session.scalar(
            self._processed_statement(), {"consumer": self.name, "event_id": event_id}
        )
        return found is not None

    def _processed_statement(self) -> Any:
        """The inbox row's id for ``consumer`` and ``event_id`` (a Core select, built once)."""
        if self._processed_query is None:
            table = self.models.ProcessedEvent.__table__
            self._processed_query = select(table.c.id).where(
                table.c.consumer == bindparam("consumer"),
                table.c.event_id == bindparam("event_id"),
            )
        return self._processed_query

    def _record(self, session: Session, event: dict[str, Any]) -> bool:
        """Write this event's inbox row in ``session``'s transaction; False if the row
        is there already (handled before, or by a concurrent delivery that committed).
        ``INSERT ... ON CONFLICT DO NOTHING`` on the (consumer, event_id) unique key:
        one statement, built once, instead of a query and an ORM flush."""
        connection = session.connection()
        dialect = connection.dialect.name
        statement = self._inbox_inserts.get(dialect)
        if statement is None:
            insert = _INSERT_IGNORING_CONFLICTS.get(dialect)
            if insert is None:  # no such statement on this engine: query, then add
                if self._processed_in(session, event["id"]):
                    return False
                session.add(self.models.ProcessedEvent(
                    consumer=self.name, event_id=event["id"], event_type=event["type"]
                ))  # fmt: skip
                return True
            table = self.models.ProcessedEvent.__table__
            statement = insert(table).on_conflict_do_nothing(
                index_elements=[table.c.consumer, table.c.event_id]
            )
            if connection.dialect.insert_returning:
                # psycopg reports no rowcount here: the row returned says it was written.
                statement = statement.returning(table.c.id)
            self._inbox_inserts[dialect] = statement
        values = {"consumer": self.name, "event_id": event["id"], "event_type": event["type"]}
        result = connection.execute(statement, values)
        if result.returns_rows:
            return result.first() is not None
        return result.rowcount == 1

    def _fault_hold(self) -> None:
        """Test-only: park the first delivery before commit so a test can kill us."""
        hold = self.settings.fault_hold_file
        if not hold:
            return
        marker = Path(hold + ".pid")
        if marker.exists():
            return
        marker.write_text(str(os.getpid()))
        deadline = time.monotonic() + 120
        while Path(hold).exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def _ack_of(task: Any) -> AckAhead | None:
    """The acknowledgement of the message this task runs for, to send with the event's
    settlement; None in process (eager) or on another transport."""
    request = task.request
    if request.is_eager:
        return None
    properties = getattr(request, "properties", None) or {}
    return ack_ahead(properties.get("delivery_tag"))


def register_consumer(celery_app: Celery, consumer: EventConsumer) -> Any:
    settings = consumer.settings
    # Exposed at 0 from the start, so that a rate or an alert has a series to read.
    RETRIES.labels(consumer.name)
    DEAD_LETTERED.labels(consumer.name)

    @celery_app.task(
        name=consume_task_name(consumer.name), bind=True, max_retries=None, shared=False
    )
    def consume_event(self: Any, envelope: Any) -> str:
        task = consume_task_name(consumer.name)
        started = time.perf_counter()
        outcome = "failed"
        with bound(**event_fields(envelope), consumer=consumer.name, task=task):
            try:
                outcome, verified = _consume(self, envelope)
                if outcome != "processed":  # process settled it after its commit
                    consumer.settled(envelope, verified=verified)
                return outcome
            except Retry:
                outcome = "retried"
                raise
            finally:
                TASKS.labels(consumer.name, task, outcome).inc()
                TASK_SECONDS.labels(consumer.name, task, outcome).observe(
                    time.perf_counter() - started
                )

    def _consume(self: Any, envelope: Any) -> tuple[str, bool]:
        """The outcome, and whether the envelope's signature was verified on the way
        (``process`` verifies first of all; only a SignatureError says it was not)."""
        attempts = self.request.retries + 1
        verified = False
        try:
            settings.event_keys.verify(envelope)
            verified = True
            return consumer.process(envelope, verified=True, ack=_ack_of(self)), verified
        except SignatureError as exc:
            # Someone put an event on the bus without our key (issue 12: a forged
            # referral.decided). Kept for investigation, never acted on, never retried.
            consumer.dead_letter(
                envelope, f"refused, not signed by its publisher: {exc}", attempts
            )
            return "dead_lettered", verified
        except (EnvelopeError, PermanentError) as exc:
            consumer.dead_letter(envelope, f"{type(exc).__name__}: {exc}", attempts)
            return "dead_lettered", verified
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if self.request.retries >= settings.max_retries:
                consumer.dead_letter(envelope, error, attempts)
                return "dead_lettered", verified
            delay = backoff_seconds(
                self.request.retries, settings.retry_backoff_base_s, settings.retry_backoff_max_s
            )
            RETRIES.labels(consumer.name).inc()
            log.warning(
                "event attempt failed: retrying",
                attempts=attempts,
                error=error[:300],
                retry_in_s=round(delay, 1),
            )
            if self.request.is_eager:  # run in-process (tests, tools): retry in place
                raise self.retry(exc=exc, countdown=delay) from exc
            try:
                consumer.schedule_retry(envelope, error, attempts, delay)
            except Exception:
                # The database is away too: a short countdown in the broker, well inside
                # the visibility timeout, rather than losing the event.
                log.exception("could not schedule the retry in the database")
                raise self.retry(exc=exc, countdown=min(delay, SHORT_COUNTDOWN_S)) from exc
            return "retry_scheduled", verified

    return consume_event
