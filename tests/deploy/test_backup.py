"""The restore drill: deploy/backup.sh backs up the four PostgreSQL databases and the
broker's AOF, and restores them after a loss (docs/backups.md)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from inscope_common.devtools.broker import broker_argv, broker_url, is_serving
from tests.conftest import REPO, free_port
from tests.services.conftest import example
from tests.services.test_redelivery import _intake_event

SCRIPT = REPO / "deploy" / "backup.sh"
SERVICES = ("intake", "assessment", "referral", "notify")


def run_script(mode: str, folder: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", str(SCRIPT), mode, str(folder)],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def databases():
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url or not shutil.which("pg_dump"):
        pytest.skip("needs TEST_POSTGRES_URL and pg_dump/pg_restore on PATH")
    admin_url = make_url(url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = {s: f"inscope_drill_{s}_{secrets.token_hex(3)}" for s in SERVICES}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    libpq = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    libpq = libpq.rsplit("/", 1)[0]  # the server, no database: the script adds each one
    urls = {s: admin_url.set(database=n).render_as_string(False) for s, n in names.items()}
    yield names, urls, libpq
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                for table in inspect(conn).get_table_names()
            }
    finally:
        engine.dispose()


def test_restore_drill_on_postgresql(databases, tmp_path, redis_url, smtp_sink):
    from inscope_common import migrations
    from inscope_intake import create_app as intake_app
    from inscope_referral import create_app as referral_app

    names, urls, pgurl = databases
    for service, url in urls.items():  # as deployed: the migrate command's schema
        migrations.upgrade(url, service)
    env = {
        "INSCOPE_DATA_DIR": str(tmp_path / "var"),
        "REDIS_URL": redis_url,
        "SMTP_URL": smtp_sink.url,
        "INSCOPE_ENV": "development",  # the tests' short public secrets
        **{f"{s.upper()}_DATABASE_URL": u for s, u in urls.items()},
    }
    apps = {"intake": intake_app(env), "referral": referral_app(env)}
    for service in ("assessment", "notify"):
        module = __import__(f"inscope_{service}", fromlist=["create_app"])
        apps[service] = module.create_app(env)
    try:
        created = apps["intake"].test_client().post("/intakes", json=example("intake.json"))
        assert created.status_code == 201
        intake_id = created.get_json()["id"]
        task = apps["referral"].extensions["celery"].tasks["referral.consume_event"]
        assert task.apply(args=[_intake_event("client-drill", "intake-drill")]).get() == (
            "processed"
        )
        before = {s: row_counts(u) for s, u in urls.items()}
        assert before["intake"]["intakes"] == 1 and before["referral"]["decisions"] >= 1

        backup = tmp_path / "backup"
        script_env = {"PGURL": pgurl, "INSCOPE_DATABASES": " ".join(names.values())}
        out = run_script("backup", backup, script_env)
        assert all((backup / f"{name}.dump").stat().st_size > 0 for name in names.values())
        assert "dumped" in out and (backup / "MANIFEST").read_text().startswith(names["intake"])

        # The loss: the intakes gone, a referral table dropped, a stray row added.
        for engine in (a.extensions["inscope"].engine for a in apps.values()):
            engine.dispose()
        lossy = create_engine(urls["intake"])
        with lossy.begin() as conn:
            conn.execute(text("DELETE FROM intakes"))
        lossy.dispose()
        lossy = create_engine(urls["referral"])
        with lossy.begin() as conn:
            conn.execute(text("DROP TABLE decisions CASCADE"))
        lossy.dispose()
        assert row_counts(urls["intake"])["intakes"] == 0

        out = run_script("restore", backup, script_env)
        assert out.count("restored") == 4
        assert {s: row_counts(u) for s, u in urls.items()} == before
        read = apps["intake"].test_client().get(f"/intakes/{intake_id}")
        assert read.status_code == 200
        assert (
            read.get_json()["client"]["last_name"] == example("intake.json")["client"]["last_name"]
        )
    finally:
        for app in apps.values():
            app.extensions["inscope"].engine.dispose()


def _start_broker(data: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        broker_argv(data, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 20
    while not is_serving(broker_url(port), process.pid):
        assert process.poll() is None and time.monotonic() < deadline, "broker did not start"
        time.sleep(0.05)
    return process


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


def test_the_broker_aof_is_backed_up_and_replayed_after_a_restore(tmp_path):
    if not shutil.which("redis-cli") or not shutil.which("pg_dump"):
        pytest.skip("needs redis-cli and pg_dump on PATH")
    data = tmp_path / "broker"
    data.mkdir()
    port = free_port()
    url = broker_url(port)
    broker = _start_broker(data, port)
    try:
        client = redis.Redis.from_url(url)
        client.rpush("inscope.notify", *[f"message-{n}" for n in range(50)])
        client.close()
        backup = tmp_path / "backup"
        env = {
            "PGURL": "postgresql://unused", "INSCOPE_DATABASES": "",
            "REDIS_URL": url, "REDIS_AOF_DIR": str(data / "appendonlydir"),
        }  # fmt: skip
        out = run_script("backup", backup, env)
        assert "AOF archived" in out
    finally:
        _stop(broker)
    shutil.rmtree(data)  # the loss: the broker's disk
    out = run_script("restore", backup, env)
    assert "AOF restored" in out
    broker = _start_broker(data, port)
    try:
        client = redis.Redis.from_url(url)
        assert client.lrange("inscope.notify", 0, -1) == [
            f"message-{n}".encode() for n in range(50)
        ]
        client.close()
    finally:
        _stop(broker)
