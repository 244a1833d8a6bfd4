"""Each client's status version: "has anything changed?" without reading the status.

``GET /clients/<id>/status`` is followed by pages and clients while a decision is
awaited (issue 13: the bench asked 12-23 times per client, each answer three ORM
queries, an audit row and the journey in JSON). Each client has a version token in
Redis (``inscope:referral:status:<client_id>``): every commit that wrote the client's
case, decisions, referrals, emergency actions or assessment records sets a new random
token once the transaction has committed, and publishes the client's id (``install``:
a session hook, so whichever code path made the change). The status answers carry the
token (with the day: the journey's words count days) as a weak ETag; a request whose
``If-None-Match`` names the current one is answered 304 from one Redis read, and with
``?wait=`` it is held until the token changes (woken by the publication) or the wait
ends (``wait_change``).

Why it cannot show a stale status: the token is read before the status, and set after
the commit that changed it. A reader that read the old token and the new rows sends
them with the old token (one 200 more later, never a 304 over a change). A token that
could not be set (Redis did not answer just after the commit) would hide a change: the
writer tries twice, and every token expires after ``TOKEN_TTL_S`` whatever happens, so
that case lasts minutes at most. With Redis down, there is no token: every request is
answered in full (no ETag) and nobody waits.

Waiting holds one of the web process's threads (gunicorn ``gthread``): at most
``REFERRAL_STATUS_WAITERS`` requests wait at once per process (4 of docker-compose's 8
threads; 32 of the 40 ``make run`` gives the referral web), the others are answered at
once, so waiting never takes every thread. A held request holds no database
connection.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from inscope_common.outbox import RedisWrite, after_commit_in_redis
from inscope_referral.models import (
    AssessmentRecord,
    ClientCase,
    Decision,
    EmergencyAction,
    Referral,
)

log = logging.getLogger(__name__)

PREFIX = "inscope:referral:status:"
TOKEN_TTL_S = 600
MAX_WAIT_S = 25.0
# What GET /clients/<id>/status answers from (service.status_of).
STATUS_ROWS = (ClientCase, Decision, Referral, EmergencyAction, AssessmentRecord)
_CHANGED = "inscope_status_changed"
EXTENSION = "inscope_status_stamps"  # the app's StatusStamps (app.extensions)


def _token() -> str:
    return secrets.token_hex(8)


class StatusStamps:
    """The version tokens of one service's clients, and the requests waiting on them."""

    def __init__(self, redis_url: str, waiters: int = 4) -> None:
        self._redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        # Publications are not per database: the channel names it, so suites sharing a
        # Redis on other databases do not wake each other's requests.
        db = self._redis.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"inscope:referral:status-changed:{db}"
        self._redis_url = redis_url
        self._lock = threading.Lock()
        self._waiting: dict[str, set[threading.Event]] = {}
        self._slots = threading.BoundedSemaphore(max(waiters, 1))
        self._may_wait = waiters > 0
        self._listener: threading.Thread | None = None
        self._subscribed = threading.Event()

    # ------------------------------------------------------------------ tokens

    def current(self, client_id: str) -> str | None:
        """The client's token (a new one if it had none); None when Redis did not answer."""
        key = PREFIX + client_id
        try:
            value = self._redis.get(key)
            if value is None:
                pipe = self._redis.pipeline(transaction=False)
                pipe.set(key, _token(), nx=True, ex=TOKEN_TTL_S)
                pipe.get(key)
                value = pipe.execute()[1]
        except redis.RedisError as exc:
            log.warning("status token of %s not read: %s", client_id, exc)
            return None
        return value.decode() if value is not None else None

    def etag(self, client_id: str, today: dt.date | None = None) -> str | None:
        """The ETag value (unquoted, weak) the client's status carries now."""
        token = self.current(client_id)
        if token is None:
            return None
        return f"{token}.{(today or dt.date.today()).strftime('%Y%m%d')}"

    def changed(self, client_ids: Iterable[str]) -> None:
        """New tokens for ``client_ids`` (after the commit that changed them), and the
        waiting requests woken."""
        ids = sorted(set(client_ids))
        if not ids:
            return
        for attempt in (1, 2):
            try:
                pipe = self._redis.pipeline(transaction=False)
                self.changed_in(pipe, ids)
                pipe.execute()
                return
            except redis.RedisError as exc:
                if attempt == 2:
                    log.error(
                        "status tokens of %d clients not renewed (%s): pages asking "
                        "with the old ones may see the old status until they expire "
                        "(%d s)", len(ids), exc, TOKEN_TTL_S,
                    )

    def changed_in(self, pipe: Any, client_ids: list[str]) -> None:
        """``changed``'s commands, added to ``pipe`` (a pipeline on this Redis)."""
        for client_id in client_ids:
            pipe.set(PREFIX + client_id, _token(), ex=TOKEN_TTL_S)
        for client_id in client_ids:
            pipe.publish(self.channel, client_id)

    def after_commit(self, client_ids: Iterable[str]) -> RedisWrite:
        """``changed`` for a commit: sent with the events the commit publishes, in the
        fast path's one Redis round trip, when that is this Redis (it is: both are
        ``REDIS_URL``), else by itself (inscope_common.outbox.after_commit_in_redis)."""
        ids = sorted(set(client_ids))
        return RedisWrite(
            self._redis, lambda pipe: self.changed_in(pipe, ids), lambda: self.changed(ids)
        )

    # ------------------------------------------------------------------ waiting

    def wait_change(self, client_id: str, seen: str | None, timeout: float) -> bool:
        """Hold the caller until the client's ETag (``etag``) is no longer ``seen``
        (True) or ``timeout`` seconds have passed (False). False at once when every
        waiting slot of this process is taken or the wake-ups cannot be heard (Redis).
        Asleep between wake-ups: one Redis read per wake-up of this client."""
        if seen is None or timeout <= 0 or not self._may_wait:
            return False
        if not self._slots.acquire(blocking=False):
            return False
        try:
            if not self._listening():
                return False
            woken = threading.Event()
            with self._lock:
                self._waiting.setdefault(client_id, set()).add(woken)
            try:
                deadline = time.monotonic() + timeout
                while True:
                    # Read after registering: a change published in between is seen here.
                    now = self.etag(client_id)
                    if now is None:
                        return False
                    if now != seen:
                        return True
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    woken.wait(remaining)
                    woken.clear()
            finally:
                with self._lock:
                    events = self._waiting.get(client_id)
                    if events is not None:
                        events.discard(woken)
                        if not events:
                            del self._waiting[client_id]
        finally:
            self._slots.release()

    def _wake(self, client_id: str | None) -> None:
        with self._lock:
            if client_id is None:
                events = [e for found in self._waiting.values() for e in found]
            else:
                events = list(self._waiting.get(client_id, ()))
        for woken in events:
            woken.set()

    def _listening(self) -> bool:
        """Start this process's one subscriber (the first time a request waits) and say
        whether it is subscribed."""
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(
                    target=self._listen, name="status-stamps", daemon=True
                )
                self._listener.start()
        return self._subscribed.wait(1.0)

    def _listen(self) -> None:
        while True:
            client = redis.Redis.from_url(
                self._redis_url, socket_connect_timeout=0.5, health_check_interval=30
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self._subscribed.set()
                while True:
                    message: Any = pubsub.get_message(timeout=5.0)
                    if message and message.get("type") == "message":
                        data = message["data"]
                        self._wake(data.decode() if isinstance(data, bytes) else str(data))
            except (redis.RedisError, OSError) as exc:
                log.warning("status wake-ups not heard (%s); listening again in 1 s", exc)
            finally:
                self._subscribed.clear()
                self._wake(None)  # the waiting requests check their tokens again
                pubsub.close()
                client.close()
            time.sleep(1.0)


def note(session: Session, client_ids: Iterable[str]) -> None:
    """Renew these clients' tokens after the session's commit, as for rows its flush
    wrote: for rows written without the ORM (``inscope_referral.rows``)."""
    session.info.setdefault(_CHANGED, set()).update(client_ids)


def install(session_factory: sessionmaker, stamps: StatusStamps) -> None:
    """Renew the token of every client whose status rows a transaction wrote, once it
    has committed (what a rolled back savepoint wrote counts too: a token renewed for
    nothing costs one full answer, never a stale one). In a unit of work the tokens go
    to Redis with the events the commit publishes, in the same round trip."""

    def collect(session: Session, _context: Any) -> None:
        changed = session.info.setdefault(_CHANGED, set())
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, STATUS_ROWS):
                changed.add(obj.client_id)

    def after_commit(session: Session) -> None:
        changed = session.info.pop(_CHANGED, None)
        if changed:
            after_commit_in_redis(session, stamps.after_commit(changed))

    event.listen(session_factory, "after_flush", collect)
    event.listen(session_factory, "after_commit", after_commit)
