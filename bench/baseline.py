"""The bare Celery baseline: a chain of no-op hops on the suite's broker.

The worker runs as ``celery -A bench.baseline worker -Q bench.baseline --concurrency 2
--without-gossip --without-mingle``, so this module builds its app at import time from
``BENCH_BASELINE_REDIS_URL``.  The settings are the ones the suite's own Celery apps use
for at-least-once delivery (``inscope_common.celery_app``): JSON only, late acks,
requeue on a lost worker, prefetch 1, no result backend.  So the baseline pays for the
same broker round trips per hop and nothing else.

Each hop is a task that does nothing but send the next hop; the last one RPUSHes the
chain's id onto a Redis list, which the driver BLPOPs (there is no result backend to
wait on).
"""

from __future__ import annotations

import os
from typing import Any

import redis
from celery import Celery

QUEUE = "bench.baseline"
HOP_TASK = "bench.baseline.hop"
DONE_KEY = "bench.baseline.done"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
URL_ENV = "BENCH_BASELINE_REDIS_URL"

_done_client: redis.Redis | None = None


def celery_settings(redis_url: str) -> dict[str, Any]:
    return {
        "broker_url": redis_url,
        "task_ignore_result": True,
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": QUEUE,
        "task_create_missing_queues": True,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": 3600},
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
    }


def make_app(redis_url: str) -> Celery:
    app = Celery("bench.baseline", set_as_current=False)
    app.config_from_object(celery_settings(redis_url))

    @app.task(name=HOP_TASK, bind=True, shared=False)
    def hop(self: Any, chain_id: str, remaining: int, done_key: str = DONE_KEY) -> None:
        """A no-op hop: forward to the next one, or report the chain complete."""
        if remaining > 1:
            self.app.send_task(
                HOP_TASK, args=[chain_id, remaining - 1, done_key], queue=QUEUE, retry=False
            )
        else:
            _done(redis_url).rpush(done_key, chain_id)

    return app


def _done(redis_url: str) -> redis.Redis:
    """One Redis connection per worker process, made after the fork."""
    global _done_client
    if _done_client is None:
        _done_client = redis.Redis.from_url(redis_url)
    return _done_client


app = make_app(os.environ.get(URL_ENV) or DEFAULT_REDIS_URL)
