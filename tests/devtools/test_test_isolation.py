"""Test runs on one machine never interfere: each claims its own Redis databases and
PostgreSQL database (tests/isolation.py), and two runs at once both pass."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import redis
from sqlalchemy import create_engine, inspect, text

from tests.conftest import REDIS_SERVER, REPO
from tests.isolation import (
    CLAIM_PREFIX,
    DEFAULT_DATABASES,
    PostgresRun,
    RedisClaims,
    parse_range,
)


def test_ranges_parse():
    assert parse_range("11-15") == [11, 12, 13, 14, 15]
    assert parse_range("3,20-21") == [3, 20, 21]


@pytest.fixture
def free_databases(run_redis) -> list[int]:
    """Two databases of the configured range nobody holds right now."""
    control = redis.Redis.from_url(REDIS_SERVER, db=0)
    try:
        databases = parse_range(os.environ.get("TEST_REDIS_DATABASES", DEFAULT_DATABASES))
        free = [n for n in databases if not control.exists(f"{CLAIM_PREFIX}{n}")]
    finally:
        control.close()
    if len(free) < 2:
        pytest.skip(f"fewer than two free Redis databases in {databases}")
    return free[:2]


def test_two_runs_never_claim_the_same_database(free_databases):
    first = RedisClaims(REDIS_SERVER, free_databases, wait_s=0)
    second = RedisClaims(REDIS_SERVER, free_databases, wait_s=0)
    try:
        a = first.claim("tests")
        b = second.claim("tests")
        assert a != b and {a, b} == {f"{REDIS_SERVER}/{n}" for n in free_databases}
        with pytest.raises(RuntimeError, match="no free Redis database"):
            RedisClaims(REDIS_SERVER, free_databases, wait_s=0).claim("tests")
        with pytest.raises(RuntimeError, match="in use by another test run"):
            RedisClaims(REDIS_SERVER, []).claim_url(a, "tests")  # an explicit URL too
    finally:
        first.close()
        second.close()
    again = RedisClaims(REDIS_SERVER, free_databases, wait_s=0)
    try:  # released at the end of a run
        assert again.claim("tests") == f"{REDIS_SERVER}/{free_databases[0]}"
    finally:
        again.close()


def test_a_claim_outlives_its_ttl_while_the_run_lives(free_databases, monkeypatch):
    from tests import isolation

    monkeypatch.setattr(isolation, "CLAIM_TTL_S", 2)
    monkeypatch.setattr(isolation, "HEARTBEAT_S", 0.5)
    claims = RedisClaims(REDIS_SERVER, free_databases[:1], wait_s=0)
    try:
        claims.claim("tests")
        time.sleep(3)  # past the TTL: the heartbeat renewed it
        with pytest.raises(RuntimeError, match="no free Redis database"):
            RedisClaims(REDIS_SERVER, free_databases[:1], wait_s=0).claim("tests")
    finally:
        claims.close()


def _postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set")
    return url


def test_each_test_gets_its_own_postgres_schemas():
    run = PostgresRun(_postgres_url())
    try:
        urls = [run.create_schema("intake"), run.create_schema("intake")]
        for url in urls:  # the same table name in each, no clash
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE clients (id int)"))
            assert inspect(engine).get_table_names() == ["clients"]
            engine.dispose()
        run.drop_schemas(urls)
        with run.engine.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't_%'"))
            assert left.scalar() == 0
    finally:
        run.close()


def test_a_dead_runs_database_is_dropped_by_the_next_run():
    admin = create_engine(_postgres_url(), isolation_level="AUTOCOMMIT")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    name = f"inscope_run_{dead.stdout.strip()}_abcdef"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        PostgresRun(_postgres_url()).close()
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            assert exists.first() is None
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Tests that fan events out onto Redis lists and flush their database around them: two
# runs sharing a database steal each other's messages or lose them to a flush.
SUBSET = [
    "tests/services/test_outbox_redis.py",
    "tests/referral/test_staff_api.py::test_a_clinic_refers_a_patient_and_the_front_desk_gets_an_intake_link",
    "tests/referral/test_staff_api.py::test_referrals_filtered_by_status",
]


@pytest.mark.slow
def test_two_test_runs_at_once_on_one_redis_both_pass(tmp_path, free_databases):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TEST_") or k in ("TEST_POSTGRES_URL", "TEST_REDIS_DATABASES")
    }
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *SUBSET]
    runs = [
        subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
    used = [re.search(r"used: .*redis tests (\S+)", out) for out in outputs]
    assert all(used), outputs
    assert used[0].group(1) != used[1].group(1), "both runs used the same Redis database"
