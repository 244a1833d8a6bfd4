"""Fixtures shared by every test: small, composable, real where it matters.

Real Redis: a database this run claims for itself (tests/isolation.py), or
``TEST_REDIS_URL``. Real SMTP: an aiosmtpd server on a free port. Real SQLite files
under tmp_path; real PostgreSQL (``TEST_POSTGRES_URL``): fresh schemas per test in a
database of this run's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.isolation import DEFAULT_DATABASES, PostgresRun, RedisClaims, parse_range
from tests.ports import free_port, free_port_block  # noqa: F401 (tests import them from here)

REPO = Path(__file__).resolve().parent.parent


def signed(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` as a service of a development suite would put it on the bus: signed
    with its publisher's development key (inscope_common.events.signing)."""
    from inscope_common.events import EventKeys
    from inscope_common.events.signing import publisher_of

    return EventKeys.development(publisher_of(event) or "referral").sign(event)


def make_event(event_type: str, **kwargs: Any) -> dict[str, Any]:
    """inscope_common.events.make_event, signed as the publishing service would stage it:
    for tests that hand a consumer an event of their own making."""
    from inscope_common.events import make_event as build

    return signed(build(event_type, **kwargs))


REDIS_SERVER = "redis://127.0.0.1:6379"
# What each kind of test uses Redis for, and the variable that names a database for it
# explicitly; without the variable, the run claims a free database (tests/isolation.py).
REDIS_PURPOSES = {
    "tests": "TEST_REDIS_URL",
    "e2e": "TEST_E2E_REDIS_URL",
    "bench": "TEST_BENCH_REDIS_URL",
}


class RunRedis:
    """This run's Redis databases, one per purpose, claimed on first use."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        server = os.environ.get("TEST_REDIS_SERVER", REDIS_SERVER)
        databases = parse_range(os.environ.get("TEST_REDIS_DATABASES", DEFAULT_DATABASES))
        self.claims = RedisClaims(server, databases)

    def url(self, purpose: str) -> str:
        if purpose not in self.urls:
            explicit = os.environ.get(REDIS_PURPOSES[purpose])
            try:
                if explicit:
                    self.urls[purpose] = self.claims.claim_url(explicit, purpose)
                else:
                    self.urls[purpose] = self.claims.claim(purpose)
            except redis.ConnectionError as exc:  # pragma: no cover - CI starts one
                pytest.fail(f"tests need a Redis server ({explicit or REDIS_SERVER}): {exc}")
            except RuntimeError as exc:
                pytest.fail(str(exc))
        return self.urls[purpose]


_RUN: dict[str, str] = {}  # what this run used, for the summary line


@pytest.fixture(scope="session")
def run_redis() -> Iterator[RunRedis]:
    claims = RunRedis()
    yield claims
    _RUN.update({f"redis {purpose}": url for purpose, url in claims.urls.items()})
    claims.claims.close()


@pytest.fixture(scope="session", autouse=True)
def _xdist_worker_claims_early(request: pytest.FixtureRequest) -> None:
    """A pytest-xdist worker claims its tests database at its start, not at its first
    Redis test, so the claim tests (tests/devtools/test_test_isolation.py), which pick
    free databases of the range, never race a sibling worker's first claim."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        request.getfixturevalue("run_redis").url("tests")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _RUN:
        used = ", ".join(f"{what} {where}" for what, where in sorted(_RUN.items()))
        terminalreporter.write_line(f"inscope test run {os.getpid()} used: {used}")


@pytest.fixture
def redis_url(run_redis: RunRedis) -> Iterator[str]:
    url = run_redis.url("tests")
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


class PostgresSchemas:
    """Fresh, empty PostgreSQL schemas for one test, in this run's database."""

    def __init__(self, run: PostgresRun) -> None:
        self.run = run
        self.created: list[str] = []

    def create(self, label: str) -> str:
        url = self.run.create_schema(label)
        self.created.append(url)
        return url

    def drop_all(self) -> None:
        self.run.drop_schemas(self.created)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not os.environ.get("TEST_POSTGRES_URL"):
        pytest.skip("TEST_POSTGRES_URL is not set (.ci/run sets it when PostgreSQL answers)")
    return request.param


def sqlite_only(subject: str) -> Any:
    """A module's own ``database_backend`` (``database_backend = sqlite_only(...)``): SQLite
    only, because what the module checks (``subject``) does not depend on the database
    engine; the engines' own behaviour is tested on both (tests/platform, tests/services,
    tests/referral), and a PostgreSQL variant costs fresh schemas and tables per test."""

    @pytest.fixture(name="database_backend")
    def backend() -> str:
        return "sqlite"

    backend.__doc__ = f"SQLite only: {subject} does not depend on the database engine."
    return backend


@pytest.fixture(scope="session")
def postgres_run() -> Iterator[PostgresRun]:
    run = PostgresRun(os.environ["TEST_POSTGRES_URL"])
    yield run
    _RUN["postgresql"] = run.name
    run.close()


@pytest.fixture
def postgres(postgres_run: PostgresRun) -> Iterator[PostgresSchemas]:
    schemas = PostgresSchemas(postgres_run)
    yield schemas
    schemas.drop_all()


@pytest.fixture
def database_urls(
    request: pytest.FixtureRequest, database_backend: str, tmp_path: Path
) -> dict[str, str]:
    """One database per service: SQLite files, or fresh schemas on PostgreSQL."""
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
        # Development mode: the tests run with short, public secrets (one warning).
        "INSCOPE_ENV": "development",
        # The fast path: tables from the models, stamped at the newest migration
        # (tests/platform/test_migrations.py proves migrating gives the same schema).
        "INSCOPE_SCHEMA": "create",
        # No relay runs in process: tests read a request's event from Redis at once, so
        # the request path's publish must not give up on a loaded CI machine's slow
        # Redis (0.1 s by default; CI saw an event left in the outbox). The default's
        # bound is tested where a test sets it (tests/services/test_outbox_redis.py).
        "INSCOPE_FAST_PUBLISH_TIMEOUT": "2",
        **{f"{s.upper()}_DATABASE_URL": url for s, url in database_urls.items()},
    }


# Marked slow (left out of make test-fast) but running in this process: no xdist group.
IN_PROCESS_SLOW = {"test_schemathesis.py"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``-n 2 --dist loadgroup``, as ``make test`` runs), every test
    that starts real processes (e2e, slow) goes to one worker, one after another: two
    suites of 25 processes at once on a 2-core machine would only slow each other's
    deadlines, and a module's suite would start once on each worker. The in-process
    tests spread over the other workers.

    ``tryfirst``: xdist's worker reads the xdist_group marks in its own hook of this name,
    which must see these marks. A slow test that starts no process (the schemathesis
    fuzzing, in-process) stays out of the group: a grouped test cannot move to an idle
    worker, an ungrouped one can."""
    for item in items:
        if item.path.name == "test_faults.py":
            # Mostly waiting (outages, settling): it overlaps the other worker's tests.
            item.add_marker(pytest.mark.xdist_group("faults"))
        elif item.path.name in IN_PROCESS_SLOW:
            continue
        elif (
            item.get_closest_marker("e2e")
            or item.get_closest_marker("slow")
            or item.path.name == "test_test_isolation.py"  # claims the range's free databases
        ):
            item.add_marker(pytest.mark.xdist_group("real-processes"))
        elif _uses_a_module_fixture(item):
            # Its module's own fixture (a gunicorn server, an app, a browser page, the
            # golden results) is set up once, on one worker, not once on each.
            item.add_marker(pytest.mark.xdist_group(f"module:{item.nodeid.split('::')[0]}"))


def _uses_a_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    return info is not None and any(
        defs and defs[-1].scope in ("module", "class") for defs in info.name2fixturedefs.values()
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Put each test's xdist group into its id, as the scheduler expects (``id@group``).

    xdist 3.8's worker does this by assigning ``item._nodeid``, which pytest 9.2 no
    longer reads (an item's id is ``item._id`` now): every group silently became one
    test per scope, so the process-starting tests ran on both workers at once and a
    module's suite started on each (``tests/devtools/test_xdist_groups.py``). Done here,
    before xdist's worker sends the ids of its collection, and only where its own
    renaming did not take."""
    if not getattr(session.config.option, "loadgroup", False):  # set on xdist's workers
        return
    from _pytest.nodeid import NodeId

    for item in session.items:
        marks = item.iter_markers("xdist_group")
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name")) for m in marks})
        if names and "@" not in item.nodeid.rpartition("]")[2]:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


def signer(app: Any) -> Any:
    """Signs staff tokens as the identity owner does (the development key pair, which the
    tests run with), for a test that calls any service's app as a staff member: no
    service but the identity owner can sign one itself. Sessions it makes are known to
    that app's idle tracking."""
    from inscope_common.auth import Credentials
    from inscope_common.config import DEV_STAFF_PRIVATE_KEY

    made = app.extensions.get("test_signer")
    if made is None:
        verifier = app.extensions["inscope_auth"]
        made = Credentials(
            app.extensions["inscope"].settings.staff_token_public_key,
            DEV_STAFF_PRIVATE_KEY,
            verifier.revocations,
            verifier.idle_s,
            verifier.activity,
        )
        app.extensions["test_signer"] = made
    return made


def as_service(service: str, audience: str = "intake") -> dict[str, str]:
    """Headers of a call signed with ``service``'s own development service key."""
    from inscope_common import keys
    from inscope_common.service_auth import ServiceSigner

    return ServiceSigner(service, keys.dev_private_key(service)).headers(audience)
