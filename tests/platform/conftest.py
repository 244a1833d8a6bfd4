"""Fixtures for testing the platform pieces on a throwaway service schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from inscope_common.config import ServiceSettings
from inscope_common.db import make_engine, make_session_factory
from inscope_common.events import EventKeys
from tests.platform.fakes import Base, FakePublisher


@pytest.fixture
def session_factory(database_urls: dict[str, str]):
    engine = make_engine(database_urls["referral"])
    Base.metadata.create_all(engine)
    yield make_session_factory(engine, EventKeys.development("assessment"))
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings.from_env(
        "referral",
        {
            "INSCOPE_DATA_DIR": str(tmp_path),
            "INSCOPE_MAX_RETRIES": "2",
            "INSCOPE_RETRY_BACKOFF_BASE": "0",
            "INSCOPE_RELAY_GRACE": "0",
        },
    )


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()
