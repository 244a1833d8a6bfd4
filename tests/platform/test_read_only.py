"""Readers never queue behind a writer on SQLite (WAL), and cannot write."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from inscope_common.db import make_engine, make_session_factory, read_only
from tests.platform.fakes import Base, Note


@pytest.fixture
def sqlite_sessions(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_reader_does_not_wait_for_an_open_write_transaction(sqlite_sessions):
    with sqlite_sessions() as writer, writer.begin():
        writer.add(Note(id="n1"))
        writer.flush()  # the write lock is held until this block ends
        started = time.monotonic()
        with read_only(sqlite_sessions)() as reader:
            assert reader.scalars(select(Note.id)).all() == []  # snapshot before commit
        assert time.monotonic() - started < 1.0
    with read_only(sqlite_sessions)() as reader:
        assert reader.scalars(select(Note.id)).all() == ["n1"]


def test_read_only_factory_is_built_once(sqlite_sessions):
    assert read_only(sqlite_sessions) is read_only(sqlite_sessions)


def test_a_writer_that_holds_the_lock_long_is_logged_with_where_and_its_waiter_too(
    sqlite_sessions, monkeypatch, caplog
):
    """A write transaction that keeps SQLite's one write lock delays every other writer
    (busy_timeout waits up to 30 s): both sides say so in the log."""
    import threading

    from inscope_common import db

    monkeypatch.setattr(db, "SLOW_LOCK_S", 0.2)
    holding = threading.Event()

    def hold_the_lock() -> None:
        with sqlite_sessions() as writer, writer.begin():
            writer.add(Note(id="held"))
            writer.flush()
            holding.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold_the_lock)
    with caplog.at_level("WARNING", logger="inscope_common.db"):
        holder.start()
        holding.wait(5)
        with sqlite_sessions() as waiter, waiter.begin():
            waiter.add(Note(id="waited"))
        holder.join()
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("sqlite write lock waited") for m in messages), messages
    held = [m for m in messages if m.startswith("sqlite write lock held")]
    assert len(held) == 1 and "hold_the_lock" in held[0], messages


def test_a_short_write_transaction_logs_nothing(sqlite_sessions, caplog):
    with (caplog.at_level("WARNING", logger="inscope_common.db"), sqlite_sessions() as writer,
          writer.begin()):
        writer.add(Note(id="quick"))
    assert caplog.records == []
