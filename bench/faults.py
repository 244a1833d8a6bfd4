"""``make faults``: the suite under faults, and what it delivered.

Starts its own Redis server (``redis-server``, AOF on, a free port) and an SMTP sink
(aiosmtpd, in this process, on a free port it can stop and start again), then
``inscope-suite`` against them. For each scenario it submits clients (intake, then an
assessment: half in pain, referred, whose physician gets a letter too), injects the
fault, waits until everything settled or the deadline passed, and counts:

- intakes accepted (201), emails expected (client_update for every client, plus
  physician_referral for the referred ones) and received, exactly once by Message-ID and
  by (recipient, role);
- duplicates (a Message-ID or a (recipient, role) received twice);
- what is stuck at the end: outbox rows unpublished, scheduled retries, notify
  deliveries not sent (pending, sending, failed), dead letters, unacknowledged messages.

Prints one table row per scenario. ``--small`` is the CI size (short outages, a short
email retry budget: NOTIFY_RETRY_BASE/MAX are shortened by configuration).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import psutil
import redis

from bench.procs import PACKAGE_ROOT
from bench.suite import Suite, free_port_block, http

EXAMPLES = PACKAGE_ROOT / "examples"
SCENARIOS = ("none", "smtp_down", "redis_restart", "kill_notify_worker", "kill_notify_child")


class Sink:
    """An SMTP server that can go down and come back on the same port."""

    def __init__(self) -> None:
        self.port = free_port_block(1)
        self.messages: list[tuple[str, str]] = []  # (Message-ID, To)
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((str(message["Message-ID"]), str(message["To"]).lower()))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


class RedisServer:
    """``redis-server`` with AOF, on a free port, that can be shut down and restarted."""

    def __init__(self, root: Path) -> None:
        self.port = free_port_block(1)
        self.dir = root / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # AOF is flushed on shutdown
            self.process.wait(timeout=20)
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@dataclass
class Result:
    scenario: str
    submitted: int = 0
    accepted: int = 0
    assessed: int = 0
    expected: set[tuple[str, str]] = field(default_factory=set)  # (recipient, role)
    received_ids: Counter = field(default_factory=Counter)
    received_keys: Counter = field(default_factory=Counter)
    stuck: dict[str, int] = field(default_factory=dict)
    settled_s: float | None = None

    @property
    def exactly_once(self) -> int:
        return sum(1 for key in self.expected if self.received_keys[key] == 1)

    @property
    def duplicates(self) -> int:
        by_id = sum(n - 1 for n in self.received_ids.values() if n > 1)
        by_key = sum(n - 1 for n in self.received_keys.values() if n > 1)
        return max(by_id, by_key)

    @property
    def ok(self) -> bool:
        return (
            self.accepted == self.submitted
            and self.assessed == self.accepted
            and self.exactly_once == len(self.expected)
            and self.duplicates == 0
            and not any(self.stuck.values())
        )

    def row(self) -> str:
        stuck = ", ".join(f"{k} {v}" for k, v in self.stuck.items() if v) or "none"
        settled = f"{self.settled_s:.0f} s" if self.settled_s is not None else "not settled"
        return (
            f"| {self.scenario} | {self.accepted}/{self.submitted} "
            f"({self.assessed} assessed) | "
            f"{len(self.expected)} → {self.exactly_once} | {self.duplicates} | {stuck} | "
            f"{settled} |"
        )


HEADER = (
    "| fault | intakes accepted | emails expected → received exactly once | duplicates "
    "| stuck at the end | settled after the fault |\n|---|---|---|---|---|---|"
)


class Faults:
    def __init__(self, root: Path, clients: int, outage_s: float, settle_s: float) -> None:
        self.root = root
        self.clients = clients
        self.outage_s = outage_s
        self.settle_s = settle_s
        self.redis = RedisServer(root)
        self.sink = Sink()
        self.suite: Suite | None = None
        self.seen_ids: Counter = Counter()
        self.seen_keys: Counter = Counter()
        self.batch = 0

    # -- set-up -----------------------------------------------------------------------

    def start(self) -> None:
        self.redis.start()
        self.sink.start()
        self.suite = Suite(self.root / "suite", self.redis.url, self.sink.url).start()
        self.suite.wait_ready(180)

    def stop(self) -> None:
        if self.suite is not None:
            self.suite.stop()
        self.sink.stop()
        self.redis.stop()

    # -- one scenario -----------------------------------------------------------------

    def run(self, scenario: str) -> Result:
        result = Result(scenario)
        self.batch += 1
        before = len(self.sink.messages)
        fault = getattr(self, f"_fault_{scenario}")
        half = self.clients // 2
        created = []
        fault_ended = None
        for n in range(self.clients):
            if n == half:
                fault_ended = fault()
            created.append(self._intake(result, n))
        if fault_ended is None:
            fault_ended = fault()
        # The trainer assesses each client once the assessment service knows the intake.
        deadline = max(time.monotonic(), fault_ended) + self.settle_s
        for n, intake in enumerate(created):
            if intake is not None:
                self._assess(result, n, intake, deadline)
        result.settled_s = self._settle(result, before, fault_ended)
        result.stuck = self._stuck()
        return result

    def _tag(self, n: int) -> str:
        return f"b{self.batch}c{n}"

    def _intake(self, result: Result, n: int) -> dict | None:
        tag = self._tag(n)
        body = json.loads((EXAMPLES / "intake.json").read_text())
        body["client"]["email"] = f"client.{tag}@example.com"
        body["intake"]["physician"]["email"] = f"doctor.{tag}@example.com"
        result.submitted += 1
        status, created = _post(self.suite.url("intake", "/intakes"), body)
        if status != 201:
            return None
        result.accepted += 1
        return created

    def _assess(self, result: Result, n: int, created: dict, deadline: float) -> None:
        tag = self._tag(n)
        pain = n % 2 == 0
        name = "assessment-pain.json" if pain else "assessment-clear.json"
        request = {
            "intake_id": created["id"],
            "client_id": created["client_id"],
            "assessment": json.loads((EXAMPLES / name).read_text()),
        }
        while True:
            status, _ = _post(self.suite.url("assessment", "/assessments"), request)
            if status in (201, 202):
                break
            if time.monotonic() > deadline:
                return  # never assessed: its emails are not expected, and it shows
            time.sleep(0.5)  # the intake has not reached the assessment service yet
        result.assessed += 1
        result.expected.add((f"client.{tag}@example.com", "client"))
        if pain:
            result.expected.add((f"doctor.{tag}@example.com", "physician"))

    def _settle(self, result: Result, before: int, fault_ended: float) -> float | None:
        deadline = fault_ended + self.settle_s
        while True:
            with self.sink.lock:
                mine = [
                    (mid, to) for mid, to in self.sink.messages[before:] if f".b{self.batch}c" in to
                ]
            result.received_ids = Counter(mid for mid, _ in mine)
            result.received_keys = Counter((to, _role(mid)) for mid, to in mine)
            if result.exactly_once == len(result.expected) and not any(self._stuck().values()):
                return time.monotonic() - fault_ended
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)

    def _stuck(self) -> dict[str, int]:
        data = self.suite.data_dir / "db"
        counts: Counter = Counter()
        for service in ("intake", "assessment", "referral", "notify"):
            db = data / f"{service}.sqlite3"
            with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
                counts["outbox unpublished"] += conn.execute(
                    "SELECT count(*) FROM outbox_events WHERE published_at IS NULL"
                ).fetchone()[0]
                counts["retries waiting"] += conn.execute(
                    "SELECT count(*) FROM scheduled_retries"
                ).fetchone()[0]
                counts["dead letters"] += conn.execute(
                    "SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL"
                ).fetchone()[0]
                if service == "notify":
                    for status, n in conn.execute(
                        "SELECT status, count(*) FROM deliveries "
                        "WHERE status IN ('pending', 'sending', 'failed') GROUP BY status"
                    ):
                        counts[f"deliveries {status}"] += n
        client = redis.Redis.from_url(self.redis.url)
        try:
            counts["unacked"] = client.hlen("unacked")
        except redis.ConnectionError:
            counts["unacked (broker down)"] = 1
        finally:
            client.close()
        return dict(counts)

    # -- faults: each starts its fault and returns when (monotonic) it ended ------------

    def _fault_none(self) -> float:
        return time.monotonic()

    def _fault_smtp_down(self) -> float:
        self.sink.stop()
        ends = time.monotonic() + self.outage_s
        threading.Timer(self.outage_s, self.sink.start).start()
        return ends

    def _fault_redis_restart(self) -> float:
        self.redis.stop()
        ends = time.monotonic() + self.outage_s
        threading.Timer(self.outage_s, self.redis.start).start()
        return ends

    def _fault_kill_notify_worker(self) -> float:
        """SIGKILL the notify worker's parent and its pool children (the supervisor
        starts a new one); whatever it held comes back after the visibility timeout."""
        for proc in _processes("inscope_notify.worker", " worker"):
            with contextlib.suppress(psutil.NoSuchProcess):
                for child in proc.children(recursive=True):
                    child.kill()
                proc.kill()
        return time.monotonic()

    def _fault_kill_notify_child(self) -> float:
        """SIGKILL the notify worker's pool children, mid-send if they are sending."""
        for proc in _processes("inscope_notify.worker", " worker"):
            with contextlib.suppress(psutil.NoSuchProcess):
                for child in proc.children(recursive=True):
                    child.kill()
        return time.monotonic()


def _processes(*needles: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "ppid"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if all(n in cmdline for n in needles):
            found.append(proc)
    parents = {p.pid for p in found}
    return [p for p in found if p.info["ppid"] not in parents]  # the worker parents


def _role(message_id: str) -> str:
    # <event-id.role@inscope.local>
    return message_id.strip("<>").split("@", 1)[0].rsplit(".", 1)[-1]


def _post(url: str, body: dict) -> tuple[int, dict]:
    try:
        return http("POST", url, body, timeout=15)
    except OSError:
        return 0, {}


def run(
    scenarios: list[str],
    clients: int,
    outage_s: float,
    settle_s: float,
    env: dict[str, str],
    report: Callable[[str], None] = print,
) -> list[Result]:
    saved = dict(os.environ)
    os.environ.update(env)  # the suite inherits it
    results = []
    with tempfile.TemporaryDirectory(prefix="inscope-faults-") as tmp:
        faults = Faults(Path(tmp), clients, outage_s, settle_s)
        try:
            faults.start()
            report(HEADER)
            for scenario in scenarios:
                result = faults.run(scenario)
                results.append(result)
                report(result.row())
        finally:
            faults.stop()
            os.environ.clear()
            os.environ.update(saved)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds down")
    parser.add_argument("--settle", type=float, default=120.0, help="seconds allowed after")
    parser.add_argument("--small", action="store_true", help="CI size")
    args = parser.parse_args(argv)
    env = {
        # Email retries: short waits so a 60 s outage is over well inside the window.
        "NOTIFY_RETRY_BASE": "2",
        "NOTIFY_RETRY_MAX": "10",
        "INSCOPE_RETRY_BACKOFF_BASE": "0.5",
        "INSCOPE_RETRY_BACKOFF_MAX": "5",
        "INSCOPE_VISIBILITY_TIMEOUT": "30" if args.small else "90",
    }
    if args.small:
        args.clients, args.outage, args.settle = 6, 5.0, 90.0
    results = run(args.scenarios.split(","), args.clients, args.outage, args.settle, env)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
