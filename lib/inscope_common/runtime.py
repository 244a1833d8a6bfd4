"""The parts one service wires together at start-up, built once by its app factory."""

from __future__ import annotations

from dataclasses import dataclass

from celery import Celery
from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from inscope_common.celery_app import celery_init_app
from inscope_common.config import ServiceSettings
from inscope_common.db import PlatformModels, make_engine, make_session_factory
from inscope_common.outbox import CeleryPublisher, OutboxRelay


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: Engine
    session_factory: sessionmaker
    models: PlatformModels
    celery_app: Celery
    relay: OutboxRelay


def build_runtime(
    app: Flask, settings: ServiceSettings, base: type[DeclarativeBase], models: PlatformModels
) -> Runtime:
    engine = make_engine(settings.database_url)
    # No migration tool yet: tables are created on start-up (see README, simplifications).
    base.metadata.create_all(engine)
    session_factory = make_session_factory(engine)
    celery_app = celery_init_app(app, settings)
    relay = OutboxRelay(
        session_factory, models, CeleryPublisher(celery_app), grace_s=settings.relay_grace_s
    )
    runtime = Runtime(settings, engine, session_factory, models, celery_app, relay)
    app.extensions["inscope"] = runtime
    return runtime


def runtime() -> Runtime:
    """The current app's runtime (inside a request or app context)."""
    return current_app.extensions["inscope"]
