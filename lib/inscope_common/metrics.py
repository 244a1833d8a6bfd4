"""Prometheus metrics (prometheus_client).

Two kinds:

- counted where the work happens (any process): HTTP request latency by endpoint,
  tasks by outcome with their duration, retries, dead letters, outbox publishes,
  emails by outcome;
- read at scrape time from the service's own database and broker (its web process):
  queue depth, outbox backlog and lag, open dead letters, stuck work, and what a
  service adds (notify: deliveries by status).

Web processes serve ``GET /metrics``; workers and relays serve it on
``INSCOPE_METRICS_PORT``. With several processes per role (gunicorn workers, Celery's
prefork children) set ``PROMETHEUS_MULTIPROC_DIR`` to a folder of the container (the
image sets one, ``make run`` one per process): every process writes its counts there and
the server adds them up (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import redis
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inscope_common.db import PlatformModels, read_only, utcnow
from inscope_common.logs import get_logger

log = get_logger(__name__)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Every process of the role writes its counts there; the folder may not exist yet.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUEST_SECONDS = Histogram(
    "inscope_http_request_duration_seconds",
    "HTTP request latency by endpoint (the route's rule, never the concrete path).",
    ["service", "method", "endpoint", "status"],
    buckets=LATENCY_BUCKETS,
)
TASKS = Counter(
    "inscope_tasks",
    "Consumed events by outcome: processed, duplicate, retried, dead_lettered.",
    ["service", "task", "outcome"],
)
TASK_SECONDS = Histogram(
    "inscope_task_duration_seconds",
    "Time a consumer task took, by outcome.",
    ["service", "task", "outcome"],
    buckets=LATENCY_BUCKETS,
)
RETRIES = Counter(
    "inscope_task_retries", "Task attempts that failed and were retried.", ["service"]
)
DEAD_LETTERED = Counter(
    "inscope_dead_lettered", "Events given up on and stored as dead letters.", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "inscope_outbox_published",
    "Outbox events published, by path (fast: right after the commit; relay).",
    ["service", "path"],
)
LEDGER_REPUBLISHED = Counter(
    "inscope_ledger_republished",
    "Events the relay published again to one consumer because the consumer had not "
    "settled them long after they were sent (a message the broker lost, or a slow one).",
    ["service", "consumer"],
)
EMAILS = Counter(
    "inscope_emails", "Emails by outcome (sent, failed, blocked, deferred).", ["service", "outcome"]
)

# Outbox rows and deliveries older than this are reported as stuck work.
STUCK_AFTER_S = 60.0
StateReader = Callable[[Session], Iterable[Metric]]


def multiprocess_dir() -> str | None:
    """prometheus_client reads this variable itself, at import time."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _registry(extra: Iterable[Any] = ()) -> CollectorRegistry:
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return registry


class _Forward:
    """The process's default registry, inside another one."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        return self.source.collect()


def exposition(extra: Iterable[Any] = ()) -> tuple[bytes, str]:
    return generate_latest(_registry(extra)), CONTENT_TYPE_LATEST


def serve_metrics(port: int) -> None:
    """A /metrics server for a worker or relay (a daemon thread of this process). A port
    already taken costs the metrics, never the process: it is logged as an error."""
    try:
        start_http_server(
            port, addr=os.environ.get("INSCOPE_METRICS_ADDR", "0.0.0.0"), registry=_registry()
        )
    except OSError as exc:
        log.error("metrics not served: port unavailable", port=port, error=str(exc))
        return
    log.info("metrics served", port=port)


class StateCollector:
    """Gauges read at scrape time from the service's database and broker."""

    def __init__(
        self,
        service: str,
        queue: str,
        redis_url: str,
        session_factory: sessionmaker,
        models: PlatformModels,
        readers: Iterable[StateReader] = (),
    ) -> None:
        self.service = service
        self.queue = queue
        self.redis_url = redis_url
        self.session_factory = session_factory
        self.models = models
        self.readers = list(readers)

    def collect(self) -> Iterable[Metric]:
        yield from self._queue()
        yield from self._database()

    def _queue(self) -> Iterable[Metric]:
        depth = GaugeMetricFamily(
            "inscope_queue_depth", "Messages waiting on a service's queue.", labels=["queue"]
        )
        up = GaugeMetricFamily("inscope_broker_up", "1 if the broker answered this scrape.")
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1, socket_timeout=1)
        try:
            # Celery's Redis transport keeps a queue as a list (plus one list per
            # priority step when priorities are used: "<queue>\x06\x16<n>").
            waiting = client.llen(self.queue) + sum(
                client.llen(key) for key in client.scan_iter(f"{self.queue}\x06\x16*")
            )
            depth.add_metric([self.queue], waiting)
            up.add_metric([], 1)
        except redis.RedisError:
            up.add_metric([], 0)
        finally:
            client.close()
        yield up
        yield depth

    def _database(self) -> Iterable[Metric]:
        Outbox, DeadLetter = self.models.OutboxEvent, self.models.DeadLetter
        now = utcnow()
        with read_only(self.session_factory)() as session:
            pending, oldest = session.execute(
                select(func.count(), func.min(Outbox.created_at)).where(
                    Outbox.published_at.is_(None)
                )
            ).one()
            stuck = session.scalar(
                select(func.count()).where(
                    Outbox.published_at.is_(None),
                    Outbox.created_at < _ago(now, STUCK_AFTER_S),
                )
            )
            open_letters = session.scalar(
                select(func.count()).where(DeadLetter.replayed_at.is_(None))
            )
            extra = [metric for reader in self.readers for metric in reader(session)]
        labels = ["service"]
        yield _gauge(
            "inscope_outbox_pending",
            "Outbox events not yet published.",
            labels,
            [self.service],
            pending,
        )
        lag = (now - _aware(oldest)).total_seconds() if oldest else 0.0
        yield _gauge(
            "inscope_outbox_lag_seconds",
            "Age of the oldest unpublished outbox event (0 when none).",
            labels,
            [self.service],
            max(lag, 0.0),
        )
        yield _gauge(
            "inscope_dead_letters_open",
            "Dead letters not replayed.",
            labels,
            [self.service],
            open_letters,
        )
        stuck_family = GaugeMetricFamily(
            "inscope_stuck_work",
            f"Work older than {STUCK_AFTER_S:g}s that has not moved on, by kind.",
            labels=["service", "kind"],
        )
        stuck_family.add_metric([self.service, "outbox"], stuck)
        for metric in extra:
            if metric.name == "inscope_stuck_work":
                stuck_family.samples.extend(metric.samples)
            else:
                yield metric
        yield stuck_family


def _gauge(name: str, doc: str, labels: list[str], values: list[str], value: float) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=labels)
    family.add_metric(values, value)
    return family


def _ago(now: datetime, seconds: float) -> datetime:
    from datetime import timedelta

    return now - timedelta(seconds=seconds)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
