"""A POST /assessments a moment ahead of its screening: held until the screening lands.

The assessment service learns of an intake from the screening's
``referral.status_changed`` (inscope_common.events.routing). The trainer's page, and
the bench, see the screening as soon as the referral service commits it, and can post
the assessment before that event has reached this service's worker: a few
milliseconds' race, lost by about a third of the bench's clients in the burst, each
answered 409 "screening pending" after a look-up at the intake service and asked again
(issue 13: a second POST with its whole validation, and a request to the intake web).

So a POST whose intake is unknown here first waits, up to ``WAIT_S``, for the worker to
say it has stored a status for that intake: the worker pushes to a per-intake Redis list
once its transaction has committed (``note_stored``, in the same round trip as the
delivery ledger's clear), and the request pops from it (BLPOP), then runs again. Nothing
heard in time (or Redis away, or every waiting slot taken): the answers are what they
were (409 with Retry-After, 404, 503, after asking the intake service). A held request
holds one of gunicorn's threads and no database connection; at most ``WAITERS`` wait
at once per process, so waiting never takes every thread.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from sqlalchemy.orm import Session

from inscope_common.outbox import RedisWrite, after_commit_in_redis

log = logging.getLogger(__name__)

PREFIX = "inscope:assessment:stored:"
TTL_S = 30  # a push nobody popped goes away
WAIT_S = 1.0
WAITERS = 4  # of the web process's 8 threads (make run, docker-compose)
EXTENSION = "inscope_screening_wait"  # the app's ScreeningWait (app.extensions)


def _key(intake_id: str) -> str:
    return PREFIX + intake_id


def note_stored(session: Session, client: Any, intake_id: str) -> None:
    """Say, once ``session``'s transaction has committed, that a status of this intake is
    stored (a held POST wakes up): with the commit's other Redis writes."""

    def write(pipe: Any) -> None:
        pipe.rpush(_key(intake_id), 1)
        pipe.expire(_key(intake_id), TTL_S)

    def alone() -> None:
        try:
            with client.pipeline(transaction=False) as pipe:
                write(pipe)
                pipe.execute()
        except redis.RedisError as exc:  # a held POST is answered as before, that is all
            log.warning("screening of %s not announced: %s", intake_id, exc)

    after_commit_in_redis(session, RedisWrite(client, write, alone))


class ScreeningWait:
    """The held requests of one web process."""

    def __init__(self, redis_url: str, wait_s: float = WAIT_S, waiters: int = WAITERS) -> None:
        self.wait_s = wait_s
        self._redis_url = redis_url
        self._redis: redis.Redis | None = None
        self._slots = threading.BoundedSemaphore(max(waiters, 1))
        self._may_wait = waiters > 0 and wait_s > 0

    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                self._redis_url, socket_connect_timeout=0.5, socket_timeout=self.wait_s + 2
            )
        return self._redis

    def stored(self, intake_id: str) -> bool:
        """Wait until the worker says a status of ``intake_id`` is stored (True), or
        ``wait_s`` has passed (False). False at once when every slot is taken or Redis
        does not answer."""
        if not self._may_wait or not self._slots.acquire(blocking=False):
            return False
        try:
            return self._client().blpop([_key(intake_id)], timeout=self.wait_s) is not None
        except redis.RedisError as exc:
            log.warning("screening of %s not awaited: %s", intake_id, exc)
            return False
        finally:
            self._slots.release()
