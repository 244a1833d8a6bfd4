"""Fixtures shared by every test: small, composable, real where it matters.

Real Redis: ``TEST_REDIS_URL`` (default redis://127.0.0.1:6379/11, a database number of
our own). Real SMTP: an aiosmtpd server on a free port. Real SQLite files under tmp_path.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError as exc:  # pragma: no cover - CI starts one
        pytest.fail(f"tests need a Redis server at {url}: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


class SMTPSink:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


SERVICES = ("intake", "assessment", "referral", "notify")


class PostgresDatabases:
    """Fresh PostgreSQL databases on the server named by TEST_POSTGRES_URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, label: str) -> str:
        name = f"inscope_t_{label}_{secrets.token_hex(4)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not os.environ.get("TEST_POSTGRES_URL"):
        pytest.skip("TEST_POSTGRES_URL is not set (.ci/run sets it when PostgreSQL answers)")
    return request.param


@pytest.fixture
def postgres() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(os.environ["TEST_POSTGRES_URL"])
    yield databases
    databases.drop_all()


@pytest.fixture
def database_urls(
    request: pytest.FixtureRequest, database_backend: str, tmp_path: Path
) -> dict[str, str]:
    """One database per service, on SQLite files or on PostgreSQL."""
    if database_backend == "sqlite":
        return {s: f"sqlite:///{tmp_path / 'var' / 'db' / s}.sqlite3" for s in SERVICES}
    postgres = request.getfixturevalue("postgres")
    return {s: postgres.create(s) for s in SERVICES}


@pytest.fixture
def service_env(
    tmp_path: Path, redis_url: str, smtp_sink: SMTPSink, database_urls: dict[str, str]
) -> dict[str, str]:
    """Environment for running services in-process against real Redis, SMTP and DB."""
    return {
        "INSCOPE_DATA_DIR": str(tmp_path / "var"),
        "REDIS_URL": redis_url,
        "SMTP_URL": smtp_sink.url,
        "INSCOPE_INTERNAL_TOKEN": "test-token",
        # The fast path: tables from the models, stamped at the newest migration
        # (tests/platform/test_migrations.py proves migrating gives the same schema).
        "INSCOPE_SCHEMA": "create",
        **{f"{s.upper()}_DATABASE_URL": url for s, url in database_urls.items()},
    }
