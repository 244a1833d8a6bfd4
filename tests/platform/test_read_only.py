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
