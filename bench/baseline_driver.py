"""Drive the bare Celery baseline (:mod:`bench.baseline`): a burst of chains, then
chains one at a time."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis

from bench.baseline import DONE_KEY, HOP_TASK, QUEUE, URL_ENV, make_app
from bench.cpu import phase_cost, snapshot
from bench.procs import PACKAGE_ROOT, bench_env, kill_group
from bench.stats import summary


class BaselineError(RuntimeError):
    pass


class BaselineWorker:
    """``celery -A bench.baseline worker`` as a subprocess in its own session."""

    def __init__(self, redis_url: str, log_path: Path, concurrency: int = 2) -> None:
        self.redis_url = redis_url
        self.log_path = log_path
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "bench.baseline", "worker",
            "-Q", QUEUE, "--concurrency", str(self.concurrency),
            "--without-gossip", "--without-mingle",
            "--hostname", f"bench-baseline-{os.getpid()}@%h",
        ]  # fmt: skip

    def start(self) -> BaselineWorker:
        env = bench_env()
        env[URL_ENV] = self.redis_url
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=env,
                cwd=PACKAGE_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise BaselineError(f"the baseline worker exited\n{tail}")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (Celery's warm shutdown), then SIGKILL to what is left of its group."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)
        kill_group(process.pid)  # pool children, if any survived their parent
        process.wait()


class BaselineDriver:
    def __init__(self, redis_url: str, hops: int, worker: BaselineWorker | None = None) -> None:
        if hops < 1:
            raise ValueError("a chain needs at least one hop")
        self.redis_url = redis_url
        self.hops = hops
        self.worker = worker
        self.app = make_app(redis_url)
        self.redis = redis.Redis.from_url(redis_url)
        self.done_key = f"{DONE_KEY}.{uuid.uuid4().hex}"

    def close(self) -> None:
        self.app.close()
        self.redis.close()

    def __enter__(self) -> BaselineDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, chain_id: str) -> None:
        self.app.send_task(
            HOP_TASK, args=[chain_id, self.hops, self.done_key], queue=QUEUE, retry=False
        )

    def wait_one(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            item = self.redis.blpop([self.done_key], timeout=1)
            if item is not None:
                return item[1].decode()
            if self.worker is not None:
                self.worker.check_alive()
            if time.monotonic() > deadline:
                raise BaselineError(f"no chain completed within {timeout:.0f}s")

    def warm_up(self, chains: int = 20, timeout: float = 60.0) -> None:
        """Wait for the worker (its first chain) and warm its connections."""
        for i in range(chains):
            self.send(f"warm-{i}")
        for _ in range(chains):
            self.wait_one(timeout)

    def _cpu(self) -> dict[str, float]:
        named = {"baseline-worker": self.worker.pid} if self.worker is not None else {}
        return snapshot(self.redis_url, named=named)

    def burst(self, chains: int, timeout: float = 120.0) -> dict[str, Any]:
        cpu_before = self._cpu()
        started = time.monotonic()
        for i in range(chains):
            self.send(f"burst-{i}")
        seen = {self.wait_one(timeout) for _ in range(chains)}
        seconds = time.monotonic() - started
        if len(seen) != chains:
            raise BaselineError(f"burst: {chains} chains sent, {len(seen)} distinct completed")
        return {
            "chains": chains,
            "seconds": seconds,
            "chains_per_s": chains / seconds,
            "cpu": phase_cost(cpu_before, self._cpu(), chains, seconds),
        }

    def one_at_a_time(self, chains: int, timeout: float = 30.0) -> dict[str, Any]:
        latencies = []
        for i in range(chains):
            started = time.monotonic()
            self.send(f"one-{i}")
            done = self.wait_one(timeout)
            latencies.append(time.monotonic() - started)
            if done != f"one-{i}":
                raise BaselineError(f"one at a time: expected one-{i}, got {done}")
        return {"chains": chains, "latency_ms": summary(latencies)}


def run_baseline(
    redis_url: str,
    chains: int,
    hops: int,
    worker: BaselineWorker | None = None,
    rounds: int = 3,
) -> dict[str, Any]:
    """Bursts (``rounds`` of them: the median counts, the others show the noise), then
    ``chains`` chains one at a time."""
    with BaselineDriver(redis_url, hops, worker) as driver:
        driver.warm_up()
        bursts = [driver.burst(chains) for _ in range(rounds)]
        sequential = driver.one_at_a_time(chains)
    median = sorted(bursts, key=lambda b: b["chains_per_s"])[(len(bursts) - 1) // 2]
    return {
        "hops": hops,
        "burst": median,
        "burst_rounds_chains_per_s": [round(b["chains_per_s"], 1) for b in bursts],
        "one_at_a_time": sequential,
    }
