"""Isolation of one test run from any other on the same machine.

**Redis.** Each run claims its own Redis databases: one for the in-process tests, one
for the end-to-end suite, one for the benchmark smoke test, each on first use. A claim is
a key ``inscope:test-claim:db<N>`` in database 0, set with ``SET NX`` and an expiry that a
heartbeat thread renews while the run lives, and deletes at the end; a run that dies
loses its claim within :data:`CLAIM_TTL_S`. Databases are tried in the range
``TEST_REDIS_DATABASES`` (default ``8-15``), so two runs never flush each other's
queues. An explicit ``TEST_REDIS_URL`` (``TEST_E2E_REDIS_URL``, ``TEST_BENCH_REDIS_URL``)
is used as given, and claimed too, so a claiming run never takes it.

**PostgreSQL.** Each run creates one database on the server ``TEST_POSTGRES_URL`` names
(``inscope_run_<pid>_<random>``), and each test gets fresh schemas in it (one per
service), selected through the connection's ``search_path``; creating four schemas
costs a few milliseconds where four databases cost seconds. The database is dropped at
the end of the run, and databases left by runs whose process is gone are dropped at the
start of the next.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

CLAIM_PREFIX = "inscope:test-claim:db"
CLAIM_TTL_S = 60
HEARTBEAT_S = 10
DEFAULT_DATABASES = "8-15"
# Every connection of the tests to PostgreSQL commits without waiting for the server's
# WAL flush: only a crash of the server could lose its last commits, which no test
# makes, and nothing a test sees changes (visibility, order, locks, constraints are
# those of any commit). About 3 ms less per commit on a VM's disk, thousands of commits
# per run.
SESSION_OPTIONS = "-csynchronous_commit=off"
# Renew or release a claim only if it is still ours.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"  # noqa: E501
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"  # noqa: E501


def parse_range(spec: str) -> list[int]:
    """``"11-15"`` or ``"11,13,20-22"`` -> database numbers."""
    numbers: list[int] = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        numbers += range(int(first), int(last or first) + 1)
    return numbers


class RedisClaims:
    """The Redis databases this run holds, renewed by a heartbeat until :meth:`close`."""

    def __init__(self, server_url: str, databases: Iterable[int], wait_s: float = 120.0):
        self.server_url = server_url.rstrip("/")
        self.databases = list(databases)
        self.wait_s = wait_s
        self.token = f"{socket.gethostname()} pid={os.getpid()} {secrets.token_hex(4)}"
        # url -> (client on database 0, claim key, claim value)
        self.held: dict[str, tuple[redis.Redis, str, str]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _control(self, url: str) -> redis.Redis:
        """A client on database 0 of the server ``url`` names (where claims live)."""
        return redis.Redis.from_url(f"{server_of(url)}/0")

    def claim_url(self, url: str, purpose: str) -> str:
        """Claim the database an explicit URL names; fail if another run holds it."""
        client = self._control(url)
        probe = redis.Redis.from_url(url)
        number = probe.connection_pool.connection_kwargs.get("db", 0)
        probe.close()
        key, value = f"{CLAIM_PREFIX}{number}", f"{self.token} {purpose}"
        if not client.set(key, value, nx=True, ex=CLAIM_TTL_S):
            holder = client.get(key)
            client.close()
            raise RuntimeError(
                f"{url} ({purpose}) is in use by another test run ({holder!r}); "
                f"point the variable elsewhere or leave it unset to claim a free database"
            )
        self._hold(url, client, key, value)
        return url

    def claim(self, purpose: str) -> str:
        """Claim a free database in the range and return its URL."""
        client = self._control(self.server_url)
        deadline = time.monotonic() + self.wait_s
        while True:
            for number in self.databases:
                key, value = f"{CLAIM_PREFIX}{number}", f"{self.token} {purpose}"
                if client.set(key, value, nx=True, ex=CLAIM_TTL_S):
                    url = f"{self.server_url}/{number}"
                    self._hold(url, client, key, value)
                    return url
            if time.monotonic() > deadline:
                holders = {n: client.get(f"{CLAIM_PREFIX}{n}") for n in self.databases}
                client.close()
                raise RuntimeError(
                    f"no free Redis database for the tests among {self.databases} "
                    f"(held: {holders}); widen TEST_REDIS_DATABASES or wait for other runs"
                )
            time.sleep(1)

    def _hold(self, url: str, client: redis.Redis, key: str, value: str) -> None:
        with self._lock:
            self.held[url] = (client, key, value)
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="redis-claims", daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            with self._lock:
                held = list(self.held.values())
            for client, key, value in held:
                # A failed renewal is retried at the next beat.
                with contextlib.suppress(redis.RedisError):
                    client.eval(_RENEW, 1, key, value, CLAIM_TTL_S)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            held, self.held = list(self.held.values()), {}
        for client, key, value in held:
            with contextlib.suppress(redis.RedisError):
                client.eval(_RELEASE, 1, key, value)
            client.close()


def server_of(url: str) -> str:
    """``redis://host:port/11`` -> ``redis://host:port``."""
    base, _, last = url.rstrip("/").rpartition("/")
    return base if last.isdigit() and "//" in base else url.rstrip("/")


class PostgresRun:
    """One database for this test run; fresh schemas in it for each test."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"inscope_run_{os.getpid()}_{secrets.token_hex(3)}"
        self._drop_abandoned()
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = self.admin_url.set(database=self.name)
        self.engine = create_engine(
            self.url, isolation_level="AUTOCOMMIT", connect_args={"options": SESSION_OPTIONS}
        )

    def _drop_abandoned(self) -> None:
        """Databases of earlier runs on this machine whose process is gone."""
        with self.admin.connect() as conn:
            names = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'inscope_run_%'")
            ).scalars()
            for name in list(names):
                pid = name.split("_")[2]
                if pid.isdigit() and not _alive(int(pid)):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def create_schema(self, label: str) -> str:
        """A new empty schema; returns a URL whose connections work inside it."""
        schema = f"t_{label}_{secrets.token_hex(4)}"
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        options = f"-csearch_path={schema} {SESSION_OPTIONS}"
        url: URL = self.url.update_query_dict({"options": options})
        return url.render_as_string(hide_password=False)

    def drop_schemas(self, urls: Iterable[str]) -> None:
        """Best effort: a schema a leftover connection still locks goes with the
        database at the end of the run."""
        with self.engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '2s'"))
            for url in urls:
                schema = _schema_of(url)
                with contextlib.suppress(DBAPIError):  # left for the end of the run
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def close(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def _schema_of(url: str) -> str:
    """The schema a URL of :meth:`PostgresRun.create_schema` selects."""
    options = str(make_url(url).query["options"]).split()
    return next(o for o in options if o.startswith("-csearch_path=")).partition("=")[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
