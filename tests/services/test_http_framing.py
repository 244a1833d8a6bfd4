"""HTTP framing is a 4xx behind a real server (issue 11, item 8; moved here from
test_hostile_input.py): only gunicorn, as make_run and compose serve the apps, parses
chunked framing, so these requests go over a socket to the intake app behind it.

One gunicorn for the module, on SQLite only: every request here is answered before the
app reads or writes its database (a framing error, a body over the limit, a whole body
refused by validation), so a PostgreSQL variant or a fresh server per test would prove
nothing more and cost a gunicorn start each (seconds on CI's two cores)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from inscope_common.devtools.suite import _gunicorn_no_control_socket
from tests.conftest import SERVICES, RunRedis, SMTPSink, free_port, signer
from tests.services.conftest import example, staff


@pytest.fixture(scope="module")
def gunicorn_server(
    tmp_path_factory: pytest.TempPathFactory, run_redis: RunRedis
) -> Iterator[tuple[int, Flask]]:
    """The intake app behind gunicorn, with the environment conftest's service_env gives
    (its own SQLite files, this run's Redis database, a real SMTP sink); and the same app
    in-process, to sign staff tokens."""
    from inscope_intake import create_app

    var = tmp_path_factory.mktemp("framing") / "var"
    smtp = SMTPSink()
    smtp.controller.start()
    env = {
        "INSCOPE_DATA_DIR": str(var),
        "REDIS_URL": run_redis.url("tests"),
        "SMTP_URL": smtp.url,
        "INSCOPE_ENV": "development",
        "INSCOPE_SCHEMA": "create",
        **{f"{s.upper()}_DATABASE_URL": _sqlite(var, s) for s in SERVICES},
    }
    app = create_app(env)  # creates the tables gunicorn's app checks
    process = _start(env)
    try:
        yield process.port, app
    finally:
        _stop(process.popen)
        app.extensions["inscope"].engine.dispose()
        smtp.controller.stop()


@pytest.fixture
def intake_gunicorn(gunicorn_server: tuple[int, Flask], redis_url: str) -> tuple[int, str]:
    """The module's server and a token signed for this test: its session is recorded
    after this test's Redis database was flushed, as a fresh server's would be."""
    port, app = gunicorn_server
    return port, signer(app).api_token(staff("admin"))


def _sqlite(var: Path, service: str) -> str:
    return f"sqlite:///{var / 'db' / service}.sqlite3"


class _Gunicorn:
    def __init__(self, popen: subprocess.Popen, port: int) -> None:
        self.popen, self.port = popen, port


def _start(env: dict[str, str]) -> _Gunicorn:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "2", *_gunicorn_no_control_socket()]
    process = subprocess.Popen(
        [*command, "inscope_intake:create_app()"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # The master listens before its worker has booted: wait for an HTTP answer.
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return _Gunicorn(process, port)
        except OSError:
            assert time.monotonic() < deadline, "gunicorn did not answer in 90 s"
            time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    # SIGQUIT: gunicorn's quick shutdown; SIGTERM's graceful one waits out its worker's
    # keep-alive and timeout (several seconds), and no test here is about stopping.
    process.send_signal(signal.SIGQUIT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stderr.close()


def _send(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(raw)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _chunked(port, token, framing):
    head = (
        "POST /intakes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    return _send(port, head.encode() + framing)


@pytest.mark.parametrize(
    "framing",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"5\r\n{}\r\n0\r\n\r\n"],
    ids=["bad-size", "bad-terminator", "short-chunk"],
)
def test_malformed_chunked_framing_is_a_400(intake_gunicorn, framing):
    status, body = _chunked(*intake_gunicorn, framing)
    assert status == 400
    assert json.loads(body)["code"] == 400


def test_a_chunked_body_over_the_limit_is_a_413(intake_gunicorn):
    payload = b'"' + b"x" * 300_000 + b'"'
    status, body = _chunked(*intake_gunicorn, b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload))
    assert status == 413
    assert json.loads(body)["code"] == 413


def test_a_well_formed_chunked_body_is_accepted(intake_gunicorn):
    payload = json.dumps({"client": example("intake.json")["client"]}).encode()
    half = len(payload) // 2
    framing = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
        half,
        payload[:half],
        len(payload) - half,
        payload[half:],
    )
    status, body = _chunked(*intake_gunicorn, framing)
    assert status == 422  # a whole, parsed body: only the intake is missing
    assert set(json.loads(body)["errors"]["json"]) == {"intake"}
