"""The suite started as the README starts it, as real processes, against real Redis
and a real SMTP server (aiosmtpd) that the test reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis

from inscope_common.devtools.suite import metrics_processes
from tests.conftest import RunRedis, SMTPSink, free_port_block

SERVICES = ("intake", "assessment", "referral", "notify")


def admin_token() -> str:
    """An API token the suite accepts: signed with the key pair the suite runs with."""
    from inscope_common.auth import ADMIN, Credentials, Principal
    from inscope_referral.config import load_settings

    # Signed as the identity owner signs (the suite runs on the development key pair).
    settings = load_settings()
    signer = Credentials(settings.staff_token_public_key, settings.staff_token_private_key)
    return signer.api_token(Principal("e2e-admin", "E2E admin", ADMIN))


# A request to the suite may wait behind 18 busy processes on a loaded 2-core CI machine
# (CI saw 10 s pass): generous, still bounded.
HTTP_TIMEOUT_S = 30


def http(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {admin_token()}"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"null")


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Suite:
    process: subprocess.Popen
    urls: dict[str, str]
    smtp: SMTPSink
    log_path: Path
    data_dir: Path
    redis_url: str
    metrics_base: int = 0

    def url(self, service: str, path: str) -> str:
        return self.urls[service] + path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory, run_redis: RunRedis) -> Iterator[Suite]:
    """The suite started once per module (tests/web/shared_suite/ starts one for several)."""
    with started_suite(tmp_path_factory, run_redis) as started:
        yield started


@contextmanager
def started_suite(
    tmp_path_factory: pytest.TempPathFactory, run_redis: RunRedis
) -> Iterator[Suite]:
    """Start the suite on this run's e2e Redis database (flushed first) and an SMTP sink;
    stop every process afterwards. One suite at a time per run: they share the database."""
    redis_url = run_redis.url("e2e")
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    smtp = SMTPSink()
    smtp.controller.start()
    root = tmp_path_factory.mktemp("suite")
    base = free_port_block(4)
    # 4 workers, 4 relays and notify's second worker serve /metrics
    metrics_base = free_port_block(len(metrics_processes()))
    urls = {s: f"http://127.0.0.1:{base + i}" for i, s in enumerate(SERVICES)}
    env = {
        **os.environ,
        "INSCOPE_DATA_DIR": str(root / "var"),
        "REDIS_URL": redis_url,
        "SMTP_URL": smtp.url,
        "INSCOPE_WEB_BASE_PORT": str(base),
        "INSCOPE_METRICS_BASE_PORT": str(metrics_base),
    }
    log_path = root / "suite.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "inscope-suite")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    suite = Suite(process, urls, smtp, log_path, root / "var", redis_url, metrics_base)
    try:
        for service in SERVICES:
            try:
                wait_for(lambda s=service: _ready(suite, s), 120, f"{service} /readyz")
            except AssertionError as exc:
                tail = suite.log()[-6000:]
                raise AssertionError(f"{exc}; the suite's log ends:\n{tail}") from None
        yield suite
    finally:
        stop_suite(process)
        smtp.controller.stop()


def stop_suite(process: subprocess.Popen) -> None:
    """Ctrl-C, as a user would; anything still alive after that is killed."""
    children = descendants(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    _, alive = psutil.wait_procs(children, timeout=10)
    for leftover in alive:
        leftover.kill()


def _ready(suite: Suite, service: str) -> bool:
    if suite.process.poll() is not None:
        raise AssertionError(f"suite exited early:\n{suite.log()[-4000:]}")
    try:
        return http("GET", suite.url(service, "/readyz"))[0] == 200
    except OSError:
        return False


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
