"""What one consumed event costs in the shared machinery (issue 13), on the real path.

``python -m bench.consumer --redis-url redis://127.0.0.1:6379/N [--clients 200]
[--profile]``

The assessment service's real Celery worker (``celery -A inscope_assessment.worker``,
prefork, 2 children, as the suite starts it) consumes, per client, the two events it
receives in the suite: two ``referral.status_changed`` (the screening's, which makes the
intake known, and the decision's after the assessment; ``intake.submitted`` no longer
goes to it). Its handlers are a row or two in SQLite, so what the worker spends is
nearly all machinery: Celery and kombu, signature check, envelope validation, the inbox
check, the unit of work, the delivery ledger's clear and the logs. The events are
published by a real referral runtime in this process (``rt.unit_of_work()``: signed, staged in
the outbox, published on commit with the ledger mark), so this process's CPU per event
is the publishing side's machinery (plus building the events).

Reports CPU ms per consumed event of the worker's process tree (parent and children
apart) and ms per published event of this process, counted as CPU time (user+system),
so other load on the machine disturbs it less than wall time would. ``--profile``
samples the worker with py-spy (if installed) during the measured phase and prints the
functions with the largest inclusive share. The Redis database is flushed first.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import redis

from bench.lock import RunLock
from bench.procs import PACKAGE_ROOT, bench_env, kill_group
from inscope_common.devtools.suite import worker_args

EVENTS_PER_CLIENT = 2
QUEUE = "inscope.assessment"
LEDGER = "inscope.ledger.assessment"
DEFAULT_REDIS_URL = os.environ.get("TEST_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/13"


def service_env(data_dir: Path, redis_url: str, log_format: str) -> dict[str, str]:
    return {
        "INSCOPE_DATA_DIR": str(data_dir),
        "REDIS_URL": redis_url,
        "SMTP_URL": "smtp://127.0.0.1:9",  # nothing here sends mail
        "INSCOPE_ENV": "development",
        "INSCOPE_SCHEMA": "create",
        "INSCOPE_LOG_FORMAT": log_format,
        # A loaded machine must not turn a slow push into an event left for a relay
        # this bench does not run (it publishes what is left itself: Publishers.flush).
        "INSCOPE_FAST_PUBLISH_TIMEOUT": "2",
        "INSCOPE_RELAY_GRACE": "0",
        # The suite's workers count metrics in prometheus_client's multiprocess mode.
        "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "metrics"),
        "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges",
    }


class Publishers:
    """A referral runtime in this process, publishing as the service does."""

    def __init__(self, env: dict[str, str]) -> None:
        from inscope_referral import create_app as referral_app

        self.referral = referral_app({**env, "PROMETHEUS_MULTIPROC_DIR": ""}).extensions["inscope"]
        self.decision = _decision()

    def client(self) -> None:
        """One client's two events for the assessment service."""
        from inscope_common.events import make_event

        intake_id, client_id = str(uuid.uuid4()), str(uuid.uuid4())
        correlation_id = str(uuid.uuid4())
        for status in ("screened", "assessed"):
            changed = make_event(
                "referral.status_changed.v1",
                source="/inscope/referral",
                subject=client_id,
                correlation_id=correlation_id,
                data={
                    "intake_id": intake_id,
                    "client_id": client_id,
                    "intake_version": 1,
                    "decision_id": f"decision-{intake_id}-{status}",
                    "decision": self.decision,
                    "answer": None,
                    "status": status,
                    "changed_at": dt.datetime.now(dt.UTC).isoformat(),
                },
            )
            with self.referral.unit_of_work() as uow:
                uow.add_event(changed)

    def flush(self) -> None:
        """Publish what the fast path left in an outbox (the relay's work)."""
        self.referral.relay.run_once()

    def close(self) -> None:
        self.referral.relay.ledger.close()
        self.referral.engine.dispose()


def _decision() -> dict[str, Any]:
    from inscope_clinical import IntakeSchema, decide

    intake = json.loads((PACKAGE_ROOT / "examples" / "intake.json").read_text())["intake"]
    decision = {**decide(IntakeSchema().load(intake), age_years=38), "stage": "screening"}
    decision.pop("engine_version", None)
    return decision


class Worker:
    def __init__(
        self, env: dict[str, str], log_path: Path, concurrency: int, pool: str | None = None
    ) -> None:
        self.env = {**bench_env(), **env}
        self.log_path = log_path
        self.concurrency = concurrency
        self.pool = pool
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # The suite's own worker options (pool, flags), with this run's hostname.
        args = worker_args("assessment")
        args[args.index("--hostname") + 1] = f"bench-consumer-{os.getpid()}@%h"
        args[args.index("--concurrency") + 1] = str(self.concurrency)
        if self.pool:
            args[args.index("--pool") + 1] = self.pool
        command = [
            sys.executable, "-m", "celery", "-A", "inscope_assessment.worker", "--quiet",
            "worker", *args,
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=PACKAGE_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far: the worker's main process and its pool children."""
        root = psutil.Process(self.pid)
        children = root.children(recursive=True)
        return {
            "parent": _cpu(root),
            "children": sum(_cpu(child) for child in children),
        }

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"the worker exited\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        kill_group(self.process.pid)
        self.process.wait()


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def wait_drained(
    client: redis.Redis, worker: Worker, publishers: Publishers, timeout: float
) -> None:
    """Until every published event is settled: nothing queued or unacked, no mark left."""
    deadline = time.monotonic() + timeout
    while True:
        publishers.flush()
        if client.llen(QUEUE) == 0 and client.zcard(LEDGER) == 0 and client.hlen("unacked") == 0:
            return
        worker.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"events still pending after {timeout:.0f}s")
        time.sleep(0.05)


def start_profiler(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy not found: no profile (pip install py-spy into the venv)")
        return None
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "250",
         "--format", "raw", "--output", str(out), "--nonblocking", "--gil"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_profiler(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is None:
        return
    spy.send_signal(signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        spy.wait(timeout=30)


def top_frames(raw: Path, limit: int = 25) -> dict[str, list[tuple[float, float, str]]]:
    """Per process kind (the worker's main process, its pool children): (inclusive %,
    self %, function) from py-spy's collapsed stacks, largest first, as shares of all
    the worker's samples. Frames on every stack of that kind (start-up wrappers) are
    left out: they say nothing."""
    kinds: dict[str, tuple[collections.Counter[str], collections.Counter[str]]] = {}
    totals: collections.Counter[str] = collections.Counter()
    main_pid = None
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        pid = frames[0].split(":", 1)[0]
        main_pid = main_pid or pid
        if "Worker.workloop" in stack:
            kind = "pool children"
        elif "apply_target" in stack:  # the threads pool's task threads
            kind = "pool threads"
        elif pid == main_pid:
            kind = "main process"
        else:
            continue
        inclusive, own = kinds.setdefault(kind, (collections.Counter(), collections.Counter()))
        names = [_short(f) for f in frames[1:]]
        if not names:
            continue
        n = int(count)
        totals[kind] += n
        for name in set(names):
            inclusive[name] += n
        own[names[-1]] += n
    total = sum(totals.values())
    return {
        kind: [
            (100.0 * n / total, 100.0 * own[name] / total, name)
            for name, n in inclusive.most_common()
            if n < totals[kind]
        ][:limit]
        for kind, (inclusive, own) in kinds.items()
    }


def _short(frame: str) -> str:
    """``func (path/to/module.py:12)`` -> ``func (module.py)``: one row per function."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rsplit("/", 1)[-1]
    return f"{name} ({file})" if file else name


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-consumer-"))
    env = service_env(root / "var", args.redis_url, args.log_format)
    lock = RunLock(args.redis_url)
    lock.flush_and_acquire(timeout=60)
    client = redis.Redis.from_url(args.redis_url)
    worker = Worker(env, root / "worker.log", args.concurrency, args.pool)
    publishers: Publishers | None = None
    try:
        publishers = Publishers(env)
        worker.start()
        for _ in range(args.warmup):
            publishers.client()
        wait_drained(client, worker, publishers, timeout=120)
        spy = start_profiler(worker.pid, root / "profile.txt") if args.profile else None
        before, started = worker.cpu(), time.process_time()
        wall = time.monotonic()
        for _ in range(args.clients):
            publishers.client()
        published = time.process_time() - started
        wait_drained(client, worker, publishers, timeout=600)
        after = worker.cpu()
        wall = time.monotonic() - wall
        stop_profiler(spy)
        events = args.clients * EVENTS_PER_CLIENT
        result = {
            "events": events,
            "wall_s": round(wall, 2),
            "worker_ms_per_event": 1000 * sum(after[k] - before[k] for k in after) / events,
            "worker_parent_ms_per_event": 1000 * (after["parent"] - before["parent"]) / events,
            "worker_children_ms_per_event": 1000
            * (after["children"] - before["children"])
            / events,
            "publisher_ms_per_event": 1000 * published / events,
            "load_average": os.getloadavg()[0],
        }
        check_outcome(root / "var", args.warmup + args.clients)
        if args.profile and (root / "profile.txt").exists():
            result["profile"] = top_frames(root / "profile.txt")
        return result
    finally:
        worker.stop()
        if publishers is not None:
            publishers.close()
        client.close()
        lock.release()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def check_outcome(data_dir: Path, clients: int) -> None:
    """Every event handled once, none dead-lettered: the bench measured real work."""
    import sqlite3

    db = sqlite3.connect(data_dir / "db" / "assessment.sqlite3")
    try:
        processed = db.execute("SELECT count(*) FROM processed_events").fetchone()[0]
        dead = db.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        known = db.execute("SELECT count(*) FROM known_intakes").fetchone()[0]
    finally:
        db.close()
    expected = clients * EVENTS_PER_CLIENT
    if (processed, dead, known) != (expected, 0, clients):
        raise RuntimeError(
            f"expected {expected} events processed, 0 dead letters, {clients} intakes; "
            f"got {processed}, {dead}, {known}"
        )


def report(result: dict[str, Any]) -> str:
    lines = [
        f"{result['events']} events consumed in {result['wall_s']} s "
        f"(load average {result['load_average']:.1f})",
        f"worker CPU per consumed event   {result['worker_ms_per_event']:.2f} ms "
        f"(main process {result['worker_parent_ms_per_event']:.2f}, "
        f"pool children {result['worker_children_ms_per_event']:.2f})",
        f"publisher CPU per event         {result['publisher_ms_per_event']:.2f} ms "
        "(build, sign, outbox row, commit, ledger mark, push)",
    ]
    for kind, rows in (result.get("profile") or {}).items():
        lines.append(f"worker profile, {kind} (py-spy --gil, % of all the worker's samples)")
        lines.append("  incl.% self%  function")
        lines += [f"  {inc:5.1f} {own:5.1f}  {name}" for inc, own, name in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.consumer", description=__doc__)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="flushed first!")
    parser.add_argument("--clients", type=int, default=400, help="3 events each")
    parser.add_argument("--warmup", type=int, default=20, help="clients before measuring")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's threads")
    parser.add_argument("--pool", help="Celery pool instead of the suite's (e.g. prefork)")
    parser.add_argument("--log-format", default="console", choices=("console", "json"))
    parser.add_argument("--profile", action="store_true", help="py-spy the worker")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
