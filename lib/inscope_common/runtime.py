"""The parts one service wires together at start-up, built once by its app factory."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from celery import Celery
from celery.signals import worker_process_init
from flask import Flask, current_app
from sqlalchemy import Engine, text
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from inscope_common.celery_app import celery_init_app
from inscope_common.config import ServiceSettings
from inscope_common.db import PlatformModels, make_engine, make_session_factory
from inscope_common.outbox import CeleryPublisher, OutboxRelay
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
    create_schema(engine, base, settings.service)
    _dispose_after_fork(engine)
    session_factory = make_session_factory(engine)
    celery_app = celery_init_app(app, settings)
    relay = OutboxRelay(
        session_factory, models, CeleryPublisher(celery_app), grace_s=settings.relay_grace_s
    )
    runtime = Runtime(settings, engine, session_factory, models, celery_app, relay)
    app.extensions["inscope"] = runtime
    return runtime


def create_schema(engine: Engine, base: type[DeclarativeBase], service: str) -> None:
    """Create missing tables (no migration tool yet; see README, simplifications).

    Several processes of one service start at once (gunicorn workers, the worker, the
    relay): on PostgreSQL a transaction-scoped advisory lock lets one create the tables
    while the others wait; on SQLite the BEGIN IMMEDIATE of db.make_engine does the same.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            key = zlib.crc32(f"inscope-schema-{service}".encode())
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        base.metadata.create_all(conn)


def _dispose_after_fork(engine: Engine) -> None:
    """Celery's prefork children must not share the parent's pooled connections."""

    def reset_pool(**_: object) -> None:
        engine.dispose(close=False)

    worker_process_init.connect(reset_pool, weak=False)


def runtime() -> Runtime:
    """The current app's runtime (inside a request or app context)."""
    return current_app.extensions["inscope"]
