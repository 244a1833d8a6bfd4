"""The parts one service wires together at start-up, built once by its app factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from celery import Celery
from celery.signals import worker_process_init
from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from inscope_common.celery_app import celery_init_app
from inscope_common.config import ServiceSettings
from inscope_common.db import PlatformModels, make_engine, make_session_factory
from inscope_common.migrations import prepare_schema
from inscope_common.outbox import CeleryPublisher, CircuitBreaker, OutboxRelay
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
    engine = make_engine(settings.database_url)
    try:
        prepare_schema(engine, base.metadata, settings.service, settings.schema_mode)
    except Exception:
        engine.dispose()
        raise
    _dispose_after_fork(engine)
    session_factory = make_session_factory(engine)
    celery_app = celery_init_app(app, settings)
    relay = OutboxRelay(
        session_factory,
        models,
        CeleryPublisher(celery_app),
        grace_s=settings.relay_grace_s,
        # Right after a commit (a request, a consumer) the broker gets one short try,
        # behind a circuit breaker; the relay publishes whatever that missed.
        fast_publisher=CeleryPublisher(celery_app, timeout_s=settings.fast_publish_timeout_s),
        breaker=CircuitBreaker(settings.breaker_cooldown_s),
    )
    runtime = Runtime(settings, engine, session_factory, models, celery_app, relay)
    app.extensions["inscope"] = runtime
    return runtime


def _dispose_after_fork(engine: Engine) -> None:
    """Celery's prefork children must not share the parent's pooled connections."""

    def reset_pool(**_: object) -> None:
        engine.dispose(close=False)

    worker_process_init.connect(reset_pool, weak=False)


def runtime() -> Runtime:
    """The current app's runtime (inside a request or app context)."""
    return current_app.extensions["inscope"]
