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
  deliveries not sent (pending, sending, failed), dead letters, unacknowledged messages,
  events sent and not yet settled by their consumer (the delivery ledger's marks).

Prints one table row per scenario. ``--small`` is the CI size (short outages, a short
email retry budget: NOTIFY_RETRY_BASE/MAX are shortened by configuration).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client as http_client
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis

from bench.procs import PACKAGE_ROOT
from bench.resends import Copy, Kill, LoggingSink, MarkWatcher, window_reason
from bench.suite import Suite, free_port_block, http
from inscope_common.delivery_ledger import KEY_PREFIX as LEDGER_PREFIX
from inscope_common.devtools.suite import WORKER_POOLS, WORKER_PROCESSES, WORKER_SERVICES

EXAMPLES = PACKAGE_ROOT / "examples"
# The relay's log line for each event the delivery ledger publishes again (outbox.py).
LEDGER_REPUBLISH_LOG = "published again to"
SCENARIOS = (
    "none",
    "kill_workers_repeatedly",
    "kill_notify_worker",
    "kill_one_notify_worker",
    "redis_restart",
    "smtp_down",
    "kill_web_mid_request",
)


class Sink(LoggingSink):
    """An SMTP server that can go down and come back on the same port, and that logs
    each session (bench/resends.py: what the client said after each 250, how the
    session ended)."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1", free_port_block(1))


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
                # Every SET of an accept mark, for bench/resends.py's MarkWatcher.
                "--notify-keyspace-events",
                "K$",
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
    resubmits: int = 0  # POSTs sent again with the same Idempotency-Key
    expected: set[tuple[str, str]] = field(default_factory=set)  # (recipient, role)
    received_ids: Counter = field(default_factory=Counter)
    received_keys: Counter = field(default_factory=Counter)
    duplicate_intakes: int = 0
    stuck: dict[str, int] = field(default_factory=dict)
    settled_s: float | None = None  # after the fault's end or the last POST, the later
    after_fault_s: float | None = None
    note: str = ""  # what the fault did (kills made, messages held when killed)
    # One line per email received more than once: when each copy came (from the fault)
    # and over which connection, and for each copy after the first whether it is a
    # window resend, with the evidence, or why it is a duplicate.
    details: list[str] = field(default_factory=list)
    # Copies resent with the same Message-ID in SMTP's own window (RFC 1047), shown so
    # by the evidence bench/resends.py reads (the first copy's session silent after its
    # 250 and dropped by a SIGKILL of the sender, no accept mark in Redis before the
    # copy): the server had the message, the sender died before its accept was on
    # record (docs/notifications.md). Reported in their own column, not as duplicates;
    # any other copy is one.
    window_resends: int = 0

    @property
    def exactly_once(self) -> int:
        return sum(1 for key in self.expected if self.received_keys[key] == 1)

    @property
    def received(self) -> int:
        """Emails expected that arrived at all (once, or more than once)."""
        return sum(1 for key in self.expected if self.received_keys[key] >= 1)

    @property
    def copies_again(self) -> int:
        """Copies of an email received again with the same Message-ID, whatever why."""
        return sum(n - 1 for n in self.received_ids.values() if n > 1)

    @property
    def resent(self) -> int:
        """Copies received again with the same Message-ID (which a recipient's mail
        system can recognise) that are not window resends: duplicates."""
        return self.copies_again - self.window_resends

    @property
    def duplicates(self) -> int:
        """Every email received beyond once, whatever its Message-ID, but window
        resends."""
        by_key = sum(n - 1 for n in self.received_keys.values() if n > 1)
        return max(self.copies_again, by_key) - self.window_resends

    @property
    def distinct_duplicates(self) -> int:
        """Emails for one (recipient, role) under more than one Message-ID: two
        messages, not one resent; nothing can tell them apart but their content."""
        return self.duplicates - self.resent

    @property
    def ok(self) -> bool:
        """The issue's required result; a window resend is reported, in its own
        column, and is not a failure (nothing on the sending side can close SMTP's own
        window; docs/notifications.md)."""
        return (
            self.accepted == self.submitted
            and self.assessed == self.accepted
            and self.received == len(self.expected)
            and self.duplicates == 0
            and self.duplicate_intakes == 0
            and not any(self.stuck.values())
            and self.settled_s is not None
        )

    def row(self) -> str:
        stuck = ", ".join(f"{k} {v}" for k, v in self.stuck.items() if v) or "none"
        settled = "not settled"
        if self.settled_s is not None and self.after_fault_s is not None:
            settled = f"{self.after_fault_s:.0f} s ({self.settled_s:.0f} s after the last POST)"
            if self.after_fault_s - self.settled_s < 1:
                settled = f"{self.after_fault_s:.0f} s"
        name = f"{self.scenario} ({self.note})" if self.note else self.scenario
        return (
            f"| {name} | {self.accepted}/{self.submitted} "
            f"({self.assessed} assessed, {self.resubmits} resubmits) | "
            f"{len(self.expected)} → {self.exactly_once} | {self.window_resends} | "
            f"{self.resent} + {self.distinct_duplicates} / {self.duplicate_intakes} | "
            f"{stuck} | {settled} |"
        )


HEADER = (
    "| fault | intakes accepted | emails expected → received exactly once "
    "| window resends (SMTP's own window, on evidence) "
    "| duplicates (other emails resent with the same Message-ID + distinct / intakes) "
    "| stuck at the end "
    "| settled after the fault (if later: after the clients' last POST) |\n"
    "|---|---|---|---|---|---|---|"
)


@dataclass
class FaultRun:
    """A fault under way: when it ends (monotonic; a background fault moves it on) and
    what it did, for the table."""

    ends: float
    note: str = ""
    at: float | None = None  # epoch seconds of the kill (notify kills), for the details


# When each fault starts: half-way through the intakes, or once the notify worker is
# sending this batch's emails (so it holds messages, or is mid-send, when killed).
DURING_EMAILS = {"kill_notify_worker", "kill_one_notify_worker"}


class Faults:
    def __init__(
        self,
        root: Path,
        clients: int,
        outage_s: float,
        settle_s: float,
        chaos_s: float = 60.0,
        chaos_every_s: float = 5.0,
        concurrency: int = 8,
        kill_delay: tuple[float, float] = (0.2, 1.0),
    ) -> None:
        self.root = root
        self.kill_delay = kill_delay
        self.clients = clients
        self.outage_s = outage_s
        self.settle_s = settle_s
        self.chaos_s = chaos_s
        self.chaos_every_s = chaos_every_s
        self.concurrency = concurrency
        self.redis = RedisServer(root)
        self.sink = Sink()
        self.marks: MarkWatcher | None = None
        self.kills: list[Kill] = []  # every SIGKILL of the run, for bench/resends.py
        self.suite: Suite | None = None
        self.batch = 0
        self.batch_started = 0.0  # epoch seconds: the current scenario began
        self.lock = threading.Lock()
        self.in_flight = 0  # intake POSTs sent and not answered yet
        self.background: list[threading.Thread] = []
        self.clients_finished = threading.Event()

    # -- set-up -----------------------------------------------------------------------

    def start(self) -> None:
        self.redis.start()
        self.marks = MarkWatcher(self.redis.url).start()
        self.sink.start()
        self.suite = Suite(self.root / "suite", self.redis.url, self.sink.url).start()
        self.suite.wait_ready(180)

    def stop(self) -> None:
        for thread in self.background:
            thread.join(timeout=self.chaos_s + 30)
        if self.suite is not None:
            self.suite.stop()
        self.sink.stop()
        if self.marks is not None:
            self.marks.stop()
        self.redis.stop()

    # -- one scenario -----------------------------------------------------------------

    def run(self, scenario: str) -> Result:
        result = Result(scenario)
        self.clients_finished.clear()
        self.batch += 1
        self.batch_started = time.time()
        before = len(self.sink.copies)
        log_before = len(self.suite.log())
        fault = getattr(self, f"_fault_{scenario}")
        half = self.clients // 2
        # A client gives up on a POST after the fault and the settling time are over.
        give_up = time.monotonic() + self.outage_s + self.chaos_s + self.settle_s
        fault_run: FaultRun | None = None
        with ThreadPoolExecutor(self.concurrency) as pool:

            def intakes(numbers: range) -> list[dict | None]:
                return list(pool.map(lambda n: self._intake(result, n, give_up), numbers))

            created = intakes(range(half))
            if scenario not in DURING_EMAILS:
                fault_run = fault()
            created += intakes(range(half, self.clients))
            # The trainer assesses each client once the assessment service knows it.
            deadline = time.monotonic() + self.outage_s + self.chaos_s + self.settle_s
            assessing = [
                pool.submit(self._assess, result, n, intake, deadline)
                for n, intake in enumerate(created)
                if intake is not None
            ]
            if fault_run is None:
                self._wait_for_emails(before, deadline)
                fault_run = fault()
            for future in assessing:
                future.result()
        clients_done = time.monotonic()
        self.clients_finished.set()  # a fault that needs requests in flight stops now
        for thread in self.background:  # a fault still under way (kills) ends first
            thread.join()
        self.background.clear()
        result.note = fault_run.note
        result.settled_s = self._settle(result, before, fault_run.ends, clients_done)
        result.window_resends, result.details = self._resends(before, fault_run)
        result.duplicate_intakes = self._duplicate_intakes()
        result.stuck = self._stuck(log_before)
        # What the delivery ledger sent again (a message the broker lost, or a slow one).
        again = self.suite.log()[log_before:].count(LEDGER_REPUBLISH_LOG)
        if again:
            sent = f"the delivery ledger sent {again} event(s) again"
            result.note = f"{result.note}; {sent}" if result.note else sent
        return result

    def _tag(self, n: int) -> str:
        return f"b{self.batch}c{n}"

    def _submit(
        self, result: Result, url: str, body: dict, ok: tuple[int, ...], give_up: float
    ) -> tuple[int, dict]:
        """POST as a browser form would: one Idempotency-Key for this submission, sent
        again with the same key after a timeout, a dropped connection or a 5xx.  Any
        other answer is returned to the caller."""
        key = str(uuid.uuid4())
        first = True
        while True:
            if not first:
                with self.lock:
                    result.resubmits += 1
            first = False
            with self.lock:
                self.in_flight += 1
            try:
                status, answer = _post(url, body, {"Idempotency-Key": key})
            finally:
                with self.lock:
                    self.in_flight -= 1
            if status in ok or (status and status < 500 and status != 429):
                return status, answer
            if time.monotonic() > give_up:
                return status, answer
            time.sleep(1.0)

    def _intake(self, result: Result, n: int, give_up: float) -> dict | None:
        tag = self._tag(n)
        body = json.loads((EXAMPLES / "intake.json").read_text())
        body["client"]["email"] = f"client.{tag}@example.com"
        body["intake"]["physician"]["email"] = f"doctor.{tag}@example.com"
        with self.lock:
            result.submitted += 1
        status, created = self._submit(
            result, self.suite.url("intake", "/intakes"), body, (201,), give_up
        )
        if status != 201:
            return None
        with self.lock:
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
        url = self.suite.url("assessment", "/assessments")
        while True:
            status, _ = self._submit(result, url, request, (201, 202), deadline)
            if status in (201, 202):
                break
            if time.monotonic() > deadline:
                return  # never assessed: its emails are not expected, and it shows
            time.sleep(0.5)  # the intake has not reached the assessment service yet
        with self.lock:
            result.assessed += 1
            result.expected.add((f"client.{tag}@example.com", "client"))
            if pain:
                result.expected.add((f"doctor.{tag}@example.com", "physician"))

    def _mine(self, before: int) -> list[Copy]:
        with self.sink.lock:
            return [c for c in self.sink.copies[before:] if f".b{self.batch}c" in c.to]

    def _wait_for_emails(self, before: int, deadline: float) -> None:
        """Until the sink has this batch's first email (notify is busy with the batch),
        then a random ``kill_delay`` more (0.2-1 s): a crash is not timed to an SMTP
        server's 250, and a kill right on it aims at SMTP's own window (the server has
        the message, the sender has not recorded it; docs/notifications.md), which a
        resend after the claim then repeats (``--kill-delay 0-0`` does that on purpose,
        to see window resends reported)."""
        while not self._mine(before) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(random.uniform(*self.kill_delay))

    def _settle(
        self, result: Result, before: int, fault_ended: float, clients_done: float
    ) -> float | None:
        """Wait until every email expected arrived once and nothing is stuck, for
        ``settle_s`` after the fault ended or the clients' last POST was answered,
        whichever is later (a fault that ends half-way through the clients leaves them
        still submitting). Seconds from that moment; the row also gives them from the
        fault's end."""
        start = max(fault_ended, clients_done)
        deadline = start + self.settle_s
        while True:
            mine = self._mine(before)
            result.received_ids = Counter(c.message_id for c in mine)
            result.received_keys = Counter((c.to, _role(c.message_id)) for c in mine)
            if result.copies_again:  # a copy may be a window resend: look at the evidence
                result.window_resends, _ = self._resends(before)
            if (
                result.received == len(result.expected)
                and result.duplicates == 0
                and not any(self._stuck().values())
            ):
                now = time.monotonic()
                result.after_fault_s = max(0.0, now - fault_ended)
                return max(0.0, now - start)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)

    def _resends(self, before: int, fault_run: FaultRun | None = None) -> tuple[int, list[str]]:
        """The window resends among this batch's emails (bench/resends.py), and for each
        email received more than once a line: when each copy came, in seconds from the
        kill (or wall-clock time), and the client port it came from; then, for each copy
        after the first, "window resend" with its evidence or "duplicate" with why. The
        suite's log then tells which process sent each copy and why."""
        origin = fault_run.at if fault_run is not None else None
        by_id: dict[str, list[Copy]] = {}
        for copy in self._mine(before):
            by_id.setdefault(copy.message_id, []).append(copy)
        window, lines = 0, []
        for mid, seen in by_id.items():
            if len(seen) < 2:
                continue
            when = ", ".join(
                (f"{c.at - origin:+.3f} s from the kill" if origin else _clock(c.at))
                + f" ({_clock(c.at)}, client port {c.port})"
                for c in seen
            )
            lines.append(f"{mid} received {len(seen)} times: {when}")
            delivery = self._delivery_id(mid)
            for first, again in zip(seen, seen[1:], strict=False):
                reason = window_reason(first, again, self.kills, delivery, self.marks)
                if reason is None:
                    window += 1
                    lines.append(
                        f"  the copy at {_clock(again.at)}: window resend: " + self._evidence(first)
                    )
                else:
                    lines.append(f"  the copy at {_clock(again.at)}: duplicate: {reason}")
        if lines:
            kills = ", ".join(
                f"{k.service} {k.pid} at {_clock(k.started)}-{_clock(k.returned)}"
                for k in self.kills
                if k.returned >= self.batch_started
            )
            lines.insert(0, f"SIGKILLs of this scenario (UTC): {kills or 'none'}")
        return window, lines

    def _evidence(self, first: Copy) -> str:
        """What shows a copy to be a window resend (its first copy's session)."""
        lost = first.session.lost_at or 0.0
        killed = [
            k
            for k in self.kills
            if k.service == "notify"
            and first.data_started <= k.returned
            and k.started <= lost
            and first.port in k.ports
        ]
        return (
            f"the earlier copy's session (DATA at {_clock(first.data_started)}, 250 at "
            f"{_clock(first.at)}) said nothing after its 250 and dropped at {_clock(lost)}, "
            f"after notify {', '.join(str(k.pid) for k in killed)} was SIGKILLed at "
            f"{_clock(min(k.started for k in killed))}; no accept mark in Redis until the copy"
        )

    def _delivery_id(self, message_id: str) -> str | None:
        db = self.suite.data_dir / "db" / "notify.sqlite3"
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
            row = conn.execute(
                "SELECT id FROM deliveries WHERE message_id = ?", (message_id,)
            ).fetchone()
        return row[0] if row else None

    def _duplicate_intakes(self) -> int:
        """Intakes of this batch beyond one per client (a resubmit that created again)."""
        db = self.suite.data_dir / "db" / "intake.sqlite3"
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
            emails = [
                row[0]
                for row in conn.execute(
                    "SELECT c.email FROM intakes i JOIN clients c ON c.id = i.client_id "
                    "WHERE c.email LIKE ?",
                    (f"client.b{self.batch}c%",),
                )
            ]
        return len(emails) - len(set(emails))

    def _stuck(self, log_before: int | None = None) -> dict[str, int]:
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
            counts["queued"] = sum(
                client.llen(q) for q in client.scan_iter("inscope.*", _type="list")
            )
            # Sent and never settled by its consumer (inscope_common.delivery_ledger).
            counts["unsettled (ledger)"] = sum(
                client.zcard(k) for k in client.scan_iter(f"{LEDGER_PREFIX}*", _type="zset")
            )
        except redis.ConnectionError:
            counts["unacked (broker down)"] = 1
        finally:
            client.close()
        if log_before is not None:  # at the end: the suite itself kept running
            if self.suite.process is None or self.suite.process.poll() is not None:
                counts["suite exited"] = 1
            given_up = self.suite.log()[log_before:].count("giving up on it")
            counts["processes given up"] = given_up
        return dict(counts)

    # -- the suite's processes (this suite's only: never another run's) ----------------

    def _tree(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.suite.pid).children(recursive=True)
        except psutil.Error:
            return []

    def _worker_parents(self, service: str) -> list[psutil.Process]:
        return _parents(self._tree(), f"inscope_{service}.worker", " worker")

    def _web_workers(self, service: str) -> list[psutil.Process]:
        """gunicorn's worker processes (the master restarts a killed one)."""
        masters = _parents(self._tree(), "gunicorn", f"inscope_{service}:create_app")
        return [c for m in masters for c in _children(m)]

    # -- faults: each starts its fault and returns when (monotonic) it ends, and a note -

    def _fault_none(self) -> FaultRun:
        return FaultRun(time.monotonic())

    def _fault_smtp_down(self) -> FaultRun:
        self.sink.stop()
        ends = time.monotonic() + self.outage_s
        threading.Timer(self.outage_s, self.sink.start).start()
        return FaultRun(ends, f"{self.outage_s:g} s")

    def _fault_redis_restart(self) -> FaultRun:
        self.redis.stop()
        ends = time.monotonic() + self.outage_s
        threading.Timer(self.outage_s, self.redis.start).start()
        return FaultRun(ends, f"down {self.outage_s:g} s")

    def _kill(self, service: str, proc: psutil.Process) -> bool:
        """SIGKILL one of the suite's processes, kept with its times (bench/resends.py
        reads them, with the TCP ports a notify kill cuts); False if it was gone already."""
        ports = _tcp_ports(proc) if service == "notify" else frozenset()
        started = time.time()
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            return False
        self.kills.append(Kill(service, proc.pid, started, time.time(), ports))
        return True

    def _first_kill_since(self, index: int) -> float:
        """When the first SIGKILL from ``index`` on was sent (epoch seconds), the
        "from the kill" of the duplicate lines; now if none was."""
        return min((k.started for k in self.kills[index:]), default=time.time())

    def _in_background(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.background.append(thread)

    def _fault_kill_workers_repeatedly(self) -> FaultRun:
        """Every ``chaos_every_s`` for ``chaos_s``: SIGKILL every process of a service's
        Celery worker (a prefork parent with its pool children), or just one of them (a
        prefork pool child, or one of notify's two worker processes), taking the
        services in turn (single kills on one round, whole workers on the next:
        ``chaos_round``). The supervisor restarts a dead worker process with backoff,
        alone; a prefork parent replaces a dead child. In the background: the clients
        go on meanwhile."""
        run = FaultRun(time.monotonic() + self.chaos_s)
        kills: Counter = Counter()

        # Single kills where a worker has more than one process (notify's two worker
        # processes, WORKER_PROCESSES; a prefork pool's children, WORKER_POOLS; intake,
        # assessment and referral run threads in their one process).
        several = [
            s
            for s in WORKER_SERVICES
            if WORKER_PROCESSES.get(s, 1) > 1 or WORKER_POOLS.get(s, "prefork") == "prefork"
        ]

        def chaos() -> None:
            k = 0
            while time.monotonic() < run.ends:
                whole, service = chaos_round(k, WORKER_SERVICES, several)
                k += 1
                parents = self._worker_parents(service)
                children = [child for parent in parents for child in _children(parent)]
                if whole:
                    processes = parents + children
                else:  # one: a pool child if there is one, else the longest-running
                    # worker process (a new one may still be in the supervisor's crash count)
                    processes = (random.sample(children, 1) if children else
                                 sorted(parents, key=_started)[:1])
                for proc in processes:
                    self._kill(service, proc)
                if processes:
                    kills["whole" if whole else "single"] += 1
                time.sleep(self.chaos_every_s)
            run.ends = time.monotonic()
            run.note = (
                f"{kills['whole']} whole workers and {kills['single']} single worker "
                f"processes SIGKILLed over {self.chaos_s:g} s"
            )

        self._in_background(chaos, "chaos")
        return run

    def _fault_kill_notify_worker(self) -> FaultRun:
        """SIGKILL every notify worker process (both, and any pool children) while they
        are sending this batch (the supervisor starts new ones); what they held comes
        back once the visibility timeout has passed. Then the next message to reach the
        notify queue before a new worker takes it is popped and dropped: what a worker
        killed right after its pop and before kombu wrote the message to ``unacked``
        loses (that window is microseconds wide, so a kill alone hits it only by chance;
        the delivery ledger must bring the message back)."""
        held = _held("inscope.notify", self.redis.url)
        first = len(self.kills)
        for proc in self._worker_parents("notify"):
            for child in _children(proc):
                self._kill("notify", child)
            self._kill("notify", proc)
        at = self._first_kill_since(first)
        dropped = _drop_next("inscope.notify", self.redis.url, within_s=10.0)
        note = f"holding {held} messages, {dropped} more popped and lost"
        return FaultRun(time.monotonic(), note, at)

    def _fault_kill_one_notify_worker(self) -> FaultRun:
        """SIGKILL one of the two notify worker processes, mid-send if it is sending,
        while the other goes on (the supervisor starts a new one). It replaces
        kill_notify_child, from when notify ran one prefork worker with two children:
        the message the killed process held comes back after the visibility timeout
        (a prefork parent requeued a dead child's task at once)."""
        held = _held("inscope.notify", self.redis.url)
        first = len(self.kills)
        workers = self._worker_parents("notify")
        for proc in random.sample(workers, 1) if workers else []:
            self._kill("notify", proc)
        at = self._first_kill_since(first)
        left = len(workers) - 1
        return FaultRun(time.monotonic(), f"holding {held} messages, {left} kept going", at)

    def _fault_kill_web_mid_request(self) -> FaultRun:
        """SIGKILL the intake web worker while intake POSTs are in flight, three times
        (gunicorn's master starts a new worker); the clients resubmit with the same
        Idempotency-Key, and the relay publishes what a killed request committed."""
        run = FaultRun(time.monotonic())
        kills: list[int] = []
        give_up = time.monotonic() + max(30.0, self.outage_s)

        def killer() -> None:
            # Up to three kills; none is possible once every client is done (the CI run's
            # four clients left the killer waiting out its 30 s for requests to kill).
            while (
                len(kills) < 3
                and time.monotonic() < give_up
                and not self.clients_finished.is_set()
            ):
                with self.lock:
                    busy = self.in_flight > 0
                workers = self._web_workers("intake") if busy else []
                if not workers:
                    time.sleep(0.01)
                    continue
                time.sleep(random.uniform(0.0, 0.05))  # somewhere inside a request
                for proc in workers:
                    if self._kill("intake-web", proc):
                        kills.append(proc.pid)
                run.ends = time.monotonic()
                time.sleep(2.0)  # the new worker boots and takes requests again
            run.note = f"{len(kills)} SIGKILLs mid-request"

        self._in_background(killer, "web-killer")
        return run


def chaos_round(k: int, services: list[str], several: list[str]) -> tuple[bool, str]:
    """Round ``k`` of kill_workers_repeatedly: whether it kills a whole worker (every
    process), and whose. Single processes first (one round per service that has more
    than one: ``several``), then whole workers, and so on: at the start every process
    is there, while after a whole worker's kill a loaded machine can take longer than
    the rest of a short chaos to start it again (CI at load average 19-20 made 0
    pool-child kills in 20 s, parents first, and failed). One round per service of
    each kind, not a block as long as ``services`` of single kills: notify's two worker
    processes are the supervisor's own, and eight single kills of them in 60 s crashed
    one six times within 30 s of its start, which the supervisor reads as a process
    that cannot start and gives up on (make faults, 2026-12-05 04:55)."""
    r = k % (len(several) + len(services))
    if r < len(several):
        return False, several[r]
    return True, services[r - len(several)]


def _started(proc: psutil.Process) -> float:
    try:
        return proc.create_time()
    except psutil.Error:  # gone meanwhile: last
        return float("inf")


def _parents(procs: list[psutil.Process], *needles: str) -> list[psutil.Process]:
    """The processes whose command line has every needle, and whose parent's does not
    (a Celery worker's or gunicorn's main process, not its children)."""
    found = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            cmdline = " ".join(proc.cmdline())
            if all(n in cmdline for n in needles):
                found.append(proc)
    pids = {p.pid for p in found}
    parents = []
    for proc in found:
        with contextlib.suppress(psutil.Error):
            if proc.ppid() not in pids:
                parents.append(proc)
    return parents


def _tcp_ports(proc: psutil.Process) -> frozenset[int]:
    """The local ports of the TCP connections of ``proc`` and its descendants (a
    worker parent's kill takes its pool children's SMTP sessions with it)."""
    ports: set[int] = set()
    with contextlib.suppress(psutil.Error):
        for each in (proc, *proc.children(recursive=True)):
            with contextlib.suppress(psutil.Error):
                ports.update(c.laddr.port for c in each.net_connections(kind="tcp") if c.laddr)
    return frozenset(ports)


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children()
    except psutil.Error:
        return []


def _drop_next(queue: str, redis_url: str, within_s: float) -> int:
    """Pop the next message of ``queue`` as a worker's BRPOP would, and drop it: 1, or 0
    if no message came (or a worker took it first) within ``within_s``."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + within_s
    try:
        while time.monotonic() < deadline:
            if client.rpop(queue) is not None:
                return 1
            time.sleep(0.01)
        return 0
    except redis.RedisError:
        return 0
    finally:
        client.close()


def _held(queue: str, redis_url: str) -> int:
    """Messages of ``queue`` delivered to a worker and not acknowledged yet."""
    client = redis.Redis.from_url(redis_url)
    try:
        held = 0
        for raw in client.hvals("unacked"):
            with contextlib.suppress(ValueError, IndexError, TypeError):
                if json.loads(raw)[2] == queue:
                    held += 1
        return held
    except redis.RedisError:
        return -1
    finally:
        client.close()


def _clock(epoch: float) -> str:
    """UTC time of day to the millisecond, as the suite's log writes it."""
    return time.strftime("%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}"


def _role(message_id: str) -> str:
    # <event-id.role@inscope.local>
    return message_id.strip("<>").split("@", 1)[0].rsplit(".", 1)[-1]


def _post(url: str, body: dict, headers: dict[str, str]) -> tuple[int, dict]:
    try:
        return http("POST", url, body, timeout=15, headers=headers)
    except (OSError, http_client.HTTPException, ValueError):
        # Refused, reset, timed out, or cut off mid-response (a worker killed after its
        # headers went out): no answer, as a browser sees it.
        return 0, {}


def _seconds_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def run(
    scenarios: list[str],
    clients: int,
    outage_s: float,
    settle_s: float,
    env: dict[str, str],
    report: Callable[[str], None] = print,
    chaos_s: float = 60.0,
    chaos_every_s: float = 5.0,
    concurrency: int = 8,
    kill_delay: tuple[float, float] = (0.2, 1.0),
) -> list[Result]:
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
    saved = dict(os.environ)
    os.environ.update(env)  # the suite inherits it
    results = []
    with tempfile.TemporaryDirectory(prefix="inscope-faults-") as tmp:
        faults = Faults(
            Path(tmp), clients, outage_s, settle_s, chaos_s, chaos_every_s, concurrency, kill_delay
        )
        try:
            faults.start()
            report(HEADER)
            for scenario in scenarios:
                result = faults.run(scenario)
                results.append(result)
                report(result.row())
                for line in result.details:
                    report(f"  {line}")
        finally:
            faults.stop()
            os.environ.clear()
            os.environ.update(saved)
            if not all(r.ok for r in results):  # the suite's log, to find out why
                kept = Path(tempfile.gettempdir()) / f"inscope-faults-{os.getpid()}-suite.log"
                for log in Path(tmp).rglob("suite.log"):
                    shutil.copyfile(log, kept)
                    report(f"suite log kept: {kept}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds down")
    parser.add_argument("--settle", type=float, default=120.0, help="seconds allowed after")
    parser.add_argument(
        "--chaos", type=float, default=60.0, help="seconds of kill_workers_repeatedly"
    )
    parser.add_argument("--chaos-every", type=float, default=5.0, help="seconds between kills")
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once")
    parser.add_argument(
        "--kill-delay",
        type=_seconds_range,
        default=(0.2, 1.0),
        help="the notify kills come this long after the batch's first email, at random "
        "(seconds, LOW-HIGH; 0-0 aims at SMTP's window, the first 250)",
    )
    parser.add_argument("--small", action="store_true", help="CI size")
    args = parser.parse_args(argv)
    env = {
        # Email retries: short waits so a 60 s outage is over well inside the window.
        "NOTIFY_RETRY_BASE": "2",
        "NOTIFY_RETRY_MAX": "10",
        "INSCOPE_RETRY_BACKOFF_BASE": "0.5",
        "INSCOPE_RETRY_BACKOFF_MAX": "5",
        "INSCOPE_VISIBILITY_TIMEOUT": "30" if args.small else "90",
        # The suite's log (kept when a scenario fails) with times to the microsecond.
        "INSCOPE_LOG_FORMAT": "json",
    }
    if args.small:
        args.clients, args.outage, args.settle, args.chaos = 6, 5.0, 90.0, 15.0
    results = run(
        args.scenarios.split(","),
        args.clients,
        args.outage,
        args.settle,
        env,
        chaos_s=args.chaos,
        chaos_every_s=args.chaos_every,
        concurrency=args.concurrency,
        kill_delay=args.kill_delay,
    )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
