"""In-process service apps against real Redis, real SMTP and real SQLite files."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inscope_common.auth import ADMIN, Principal
from tests.conftest import REPO, signer


def example(name: str) -> dict[str, Any]:
    return json.loads((REPO / "examples" / name).read_text())


class StaffClient(FlaskClient):
    """A test client that calls as a signed-in staff member: admin unless told otherwise.

    ``app.test_client(role="trainer")`` calls as a trainer, ``role=None`` with no
    credential at all; a request that sets its own Authorization header keeps it.
    """

    def __init__(self, *args: Any, role: str | None = ADMIN, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role

    def open(self, *args: Any, **kwargs: Any) -> Any:
        credentials = self.application.extensions.get("inscope_auth")
        if self.role and credentials is not None and args and isinstance(args[0], str):
            headers = dict(kwargs.pop("headers", None) or {})
            if "Authorization" not in headers:
                token = signer(self.application).api_token(staff(self.role))
                headers["Authorization"] = f"Bearer {token}"
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def staff(role: str) -> Principal:
    return Principal(f"test-{role}", f"Test {role.replace('_', ' ')}", role)


# Every in-process app's test client calls as admin by default, including apps built by
# other test packages' fixtures (they import this module for example()); tests of the
# role matrix ask for another role or none explicitly.
Flask.test_client_class = StaffClient


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
