"""In-process service apps against real Redis, real SMTP and real SQLite files."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import REPO


def example(name: str) -> dict[str, Any]:
    return json.loads((REPO / "examples" / name).read_text())


@pytest.fixture
def intake_body() -> dict[str, Any]:
    return copy.deepcopy(example("intake.json"))


@pytest.fixture
def intake_app(service_env):
    from inscope_intake import create_app

    app = create_app(service_env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def assessment_app(service_env):
    from inscope_assessment import create_app

    app = create_app(service_env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def referral_app(service_env):
    from inscope_referral import create_app

    app = create_app(service_env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def notify_app(service_env):
    from inscope_notify import create_app

    app = create_app(service_env)
    yield app
    app.extensions["inscope"].engine.dispose()
