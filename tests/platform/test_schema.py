"""Several processes of one service create its schema at once without colliding."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import inspect

from inscope_common.db import make_engine
from inscope_common.runtime import create_schema
from tests.platform.fakes import Base


def _create(url: str, barrier) -> None:
    engine = make_engine(url)
    try:
        barrier.wait(30)  # all start together, to make a collision likely
        create_schema(engine, Base, "referral")
    finally:
        engine.dispose()


def test_concurrent_schema_creation(database_urls):
    url = database_urls["referral"]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(6)
    processes = [context.Process(target=_create, args=(url, barrier)) for _ in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * 6
    engine = make_engine(url)
    try:
        assert {"notes", "outbox_events", "processed_events", "dead_letters"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()
