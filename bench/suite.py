"""The suite as real processes (``inscope-suite``), and a small HTTP client for it."""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import redis

from bench.procs import kill_group
from inscope_common.devtools.suite import metrics_processes

SERVICES = ("intake", "assessment", "referral", "notify")

# No proxy for 127.0.0.1, whatever the environment says.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SuiteError(RuntimeError):
    """The suite did not start, or stopped answering."""


@functools.cache
def admin_token() -> str:
    """An API token the suite accepts: signed with the key pair the suite runs with."""
    from inscope_common.auth import ADMIN, Credentials, Principal
    from inscope_referral.config import load_settings

    # Signed as the identity owner signs (the suite runs on the development key pair).
    settings = load_settings()
    signer = Credentials(settings.staff_token_public_key, settings.staff_token_private_key)
    return signer.api_token(Principal("bench-admin", "Bench admin", ADMIN))


def http(
    method: str,
    url: str,
    body: Any = None,
    timeout: float = 10.0,
    headers: dict[str, str] | None = None,
    response_headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """``(status, body as JSON)``; an empty body (a 304) is None. ``response_headers``,
    when given, receives the answer's headers."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {admin_token()}",
        **(headers or {}),
    }
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=timeout) as response:
            if response_headers is not None:
                response_headers.update(response.headers.items())
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        with exc:
            raw = exc.read()
            if response_headers is not None:
                response_headers.update(exc.headers.items())
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, raw.decode(errors="replace")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_taken: set[int] = set()  # handed out by this process already


def _ephemeral_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_block(count: int) -> int:
    """A base port with ``count`` consecutive free ports from it: any free ports, or
    within ``BENCH_PORTS=low-high`` when set (runs sharing a machine keep to their own
    range)."""
    bounds = os.environ.get("BENCH_PORTS", "")
    for _ in range(200):
        if bounds:
            low, high = (int(part) for part in bounds.split("-", 1))
        else:
            # Below the ephemeral range: a port the OS hands to outgoing connections
            # can be taken by one between our check and the server's bind.
            low, high = 12000, _ephemeral_start() - 1
        base = random.randint(low, max(low, high - count + 1))
        block = range(base, base + count)
        if base + count < 65535 and not _taken & set(block) and all(map(_port_free, block)):
            _taken.update(block)
            return base
    raise SuiteError(f"no block of {count} free ports{' in ' + bounds if bounds else ''}")


def suite_command() -> list[str]:
    beside = Path(sys.executable).parent / "inscope-suite"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("inscope-suite")
    if found:
        return [found]
    return [sys.executable, "-m", "inscope_common.devtools.suite"]


class Suite:
    """``inscope-suite`` in its own session, logging to a file; SIGINT stops it."""

    def __init__(self, root: Path, redis_url: str, smtp_url: str) -> None:
        self.root = root
        self.data_dir = root / "var"
        self.log_path = root / "suite.log"
        self.redis_url = redis_url
        self.smtp_url = smtp_url
        base = free_port_block(len(SERVICES))
        self.base_port = base
        # The workers and relays, one port each (inscope_common.devtools.suite).
        self.metrics_port = free_port_block(len(metrics_processes()))
        self.urls = {s: f"http://127.0.0.1:{base + i}" for i, s in enumerate(SERVICES)}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def url(self, service: str, path: str) -> str:
        return self.urls[service] + path

    def start(self) -> Suite:
        env = {
            **os.environ,
            "INSCOPE_DATA_DIR": str(self.data_dir),
            "REDIS_URL": self.redis_url,
            "SMTP_URL": self.smtp_url,
            "INSCOPE_WEB_BASE_PORT": str(self.base_port),
            "INSCOPE_METRICS_BASE_PORT": str(self.metrics_port),
            **{f"{s.upper()}_URL": u for s, u in self.urls.items()},
        }
        env.pop("DATABASE_URL", None)
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                suite_command(),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        for service in SERVICES:
            while not self._ready(service):
                if time.monotonic() > deadline:
                    raise SuiteError(f"{service} not ready after {timeout:.0f}s\n{self.tail()}")
                time.sleep(0.1)

    def _ready(self, service: str) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise SuiteError(f"the suite exited early\n{self.tail()}")
        try:
            return http("GET", self.url(service, "/readyz"), timeout=2)[0] == 200
        except OSError:
            return False

    def wait_idle(self, timeout: float = 120.0) -> float | None:
        """Wait until no event waits in, or is held from, any queue of the suite (the
        Celery lists on Redis and kombu's unacked hash).  Seconds waited; None if the
        queues were still busy at ``timeout``."""
        client = redis.Redis.from_url(self.redis_url)
        started = time.monotonic()
        try:
            while time.monotonic() - started < timeout:
                queued = sum(client.llen(q) for q in client.scan_iter("inscope.*", _type="list"))
                if queued == 0 and client.hlen("unacked") == 0:
                    return time.monotonic() - started
                time.sleep(0.1)
            return None
        finally:
            client.close()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, chars: int = 4000) -> str:
        return self.log()[-chars:]

    def stop(self, timeout: float = 45.0) -> int | None:
        """SIGINT (the suite stops its own children), then SIGKILL to its group if needed."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_group(process.pid)
                process.wait()
        return process.returncode
