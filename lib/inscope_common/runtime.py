"""The parts one service wires together at start-up, built once by its app factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from celery import Celery
from celery.signals import setup_logging, worker_process_init, worker_ready
from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from inscope_common.celery_app import celery_init_app
from inscope_common.config import ServiceSettings
from inscope_common.db import PlatformModels, make_engine, make_session_factory
from inscope_common.delivery_ledger import DeliveryLedger
from inscope_common.heartbeat import install_celery_heartbeat
from inscope_common.localtime import install_filters
from inscope_common.logs import configure_logging
from inscope_common.metrics import serve_metrics
from inscope_common.migrations import prepare_schema
from inscope_common.outbox import CeleryPublisher, CircuitBreaker, OutboxRelay
from inscope_common.retention import platform_rules, retention_sweep
from inscope_common.unit_of_work import UnitOfWork, unit_of_work


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: Engine
    session_factory: sessionmaker
    models: PlatformModels
    celery_app: Celery
    relay: OutboxRelay

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A transaction whose staged events are published after it commits."""
        with unit_of_work(self.session_factory, self.relay, self.models) as uow:
            yield uow


def build_runtime(
    app: Flask, settings: ServiceSettings, base: type[DeclarativeBase], models: PlatformModels
) -> Runtime:
    configure_logging(settings.service, fmt=settings.log_format, level=settings.log_level)
    engine = make_engine(settings.database_url)
    try:
        prepare_schema(engine, base.metadata, settings.service, settings.schema_mode)
    except Exception:
        engine.dispose()
        raise
    _dispose_after_fork(engine)
    session_factory = make_session_factory(engine, settings.event_keys)
    celery_app = celery_init_app(app, settings)
    # Each send is marked in the delivery ledger first; the consumer clears the mark and
    # the relay sends again what stays marked (kombu can lose a popped message).
    ledger = DeliveryLedger.from_url(
        settings.redis_url,
        settings.publish_timeout_s,
        redeliver_after_s=settings.redeliver_after_s,
    )
    fast_ledger = DeliveryLedger.from_url(settings.redis_url, settings.fast_publish_timeout_s)
    relay = OutboxRelay(
        session_factory,
        models,
        CeleryPublisher(celery_app, ledger=ledger),
        grace_s=settings.relay_grace_s,
        # Right after a commit (a request, a consumer) the broker gets one short try,
        # behind a circuit breaker; the relay publishes whatever that missed.
        # Straight to Redis, with the ledger's marks in the same pipeline (the broker is
        # this Redis database: celery_settings).
        fast_publisher=CeleryPublisher(
            celery_app,
            timeout_s=settings.fast_publish_timeout_s,
            ledger=fast_ledger,
            broker=fast_ledger.client,
        ),
        breaker=CircuitBreaker(settings.breaker_cooldown_s),
        service=settings.service,
        ledger=ledger,
    )
    # The relay process deletes published events, inbox rows and dead letters past
    # their retention (services add their own rules: referral's failed sign-ins).
    relay.sweeps.append(
        retention_sweep(session_factory, platform_rules(models, settings.retention_s))
    )
    _observe_celery(celery_app, settings)
    runtime = Runtime(settings, engine, session_factory, models, celery_app, relay)
    app.extensions["inscope"] = runtime
    # Every time a page shows is in the facility's zone and date format (localtime.py).
    install_filters(app.jinja_env, settings.locale)
    return runtime


def _dispose_after_fork(engine: Engine) -> None:
    """Celery's prefork children must not share the parent's pooled connections."""

    def reset_pool(**_: object) -> None:
        engine.dispose(close=False)

    worker_process_init.connect(reset_pool, weak=False)


def _keep_our_logging(**_: object) -> None:
    """Connected to Celery's setup_logging: Celery then leaves logging as
    inscope_common.logs configured it (no handlers, banners or colours of its own)."""


setup_logging.connect(_keep_our_logging, weak=False, dispatch_uid="inscope-logging")


def _observe_celery(celery_app: Celery, settings: ServiceSettings) -> None:
    """A worker's /metrics server (its main process; prefork children count into
    PROMETHEUS_MULTIPROC_DIR) and the worker's and beat's heartbeat file."""
    if settings.heartbeat_file:
        install_celery_heartbeat(celery_app, settings.heartbeat_file)
    if settings.metrics_port:
        port = settings.metrics_port

        def on_ready(**_: object) -> None:
            serve_metrics(port)

        worker_ready.connect(on_ready, weak=False, dispatch_uid=f"inscope-metrics-{port}")


def runtime() -> Runtime:
    """The current app's runtime (inside a request or app context)."""
    return current_app.extensions["inscope"]
