"""CPU seconds per role of the suite (web, worker, relay per service), the benchmark
process itself, Redis, and the whole machine, so that a phase's cost reads per client.

Roles come from each process's command line; a gunicorn worker or a Celery pool child
shares its parent's, so it lands in the same role.  "other" is the machine's busy time
minus everything accounted for here: other people's processes disturbing the figures.
"""

from __future__ import annotations

import re
from typing import Any

import psutil
import redis

_ROLE_PATTERNS = (
    (re.compile(r"inscope_(\w+):create_app"), "{}-web"),
    # Celery beat runs on the worker's app (``celery -A inscope_referral.worker beat``):
    # its own role, or its ticks would count as the referral worker's CPU.
    (re.compile(r"-A inscope_(\w+)\.worker(?:\s+--?\S+)*\s+beat(?:\s|$)"), "{}-beat"),
    (re.compile(r"-A inscope_(\w+)\.worker"), "{}-worker"),
    (re.compile(r"inscope_(\w+)\.cli relay"), "{}-relay"),
)


def role_of(cmdline: list[str]) -> str:
    text = " ".join(cmdline)
    for pattern, template in _ROLE_PATTERNS:
        match = pattern.search(text)
        if match:
            return template.format(match.group(1))
    if "inscope-suite" in text or "devtools.suite" in text:
        return "supervisor"
    return "other-suite-process"


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def _tree(pid: int | None) -> list[psutil.Process]:
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def snapshot(
    redis_url: str | None = None,
    suite_pid: int | None = None,
    named: dict[str, int | None] | None = None,
) -> dict[str, float]:
    """Cumulative CPU seconds right now: per role of the suite's process tree, per
    named process tree, this process ("bench"), Redis, and the whole machine."""
    seconds: dict[str, float] = {}
    trees = [(None, proc) for proc in _tree(suite_pid)]
    for name, pid in (named or {}).items():
        trees += [(name, proc) for proc in _tree(pid)]
    for name, proc in trees:
        try:
            role = name or role_of(proc.cmdline())
            seconds[role] = seconds.get(role, 0.0) + _cpu(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    seconds["bench"] = _cpu(psutil.Process())
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        try:
            info = client.info("cpu")
            seconds["redis"] = float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
        except redis.RedisError:
            pass
        finally:
            client.close()
    machine = psutil.cpu_times()
    seconds["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return seconds


def phase_cost(before: dict[str, float], after: dict[str, float], clients: int,
               wall_s: float) -> dict[str, Any]:  # fmt: skip
    """CPU ms per client per role over a phase, and how busy the machine was."""
    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    machine = delta.pop("machine", 0.0)
    ours = sum(delta.values())
    per_client = {
        k: round(v * 1000 / clients, 2)
        for k, v in sorted(delta.items(), key=lambda kv: -kv[1])
        if clients
    }
    return {
        "wall_s": round(wall_s, 3),
        "cpu_ms_per_client": per_client,
        "suite_and_bench_cpu_ms_per_client": round(ours * 1000 / clients, 2) if clients else None,
        "other_processes_cpu_s": round(machine - ours, 3),
        "machine_busy_cpus": round(machine / wall_s, 2) if wall_s else None,
        "cpus": psutil.cpu_count(),
    }


def memory(suite_pid: int | None, named: dict[str, int | None] | None = None) -> dict[str, Any]:
    """Resident memory per role right now: processes, RSS and PSS in MB (PSS shares each
    page among the processes that map it, so PSS adds up to what the suite really
    holds; RSS counts the pages a forked worker shares with its parent in each)."""
    roles: dict[str, dict[str, float]] = {}
    trees = [(None, proc) for proc in _tree(suite_pid)]
    for name, pid in (named or {}).items():
        trees += [(name, proc) for proc in _tree(pid)]
    for name, proc in trees:
        try:
            role = name or role_of(proc.cmdline())
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        row = roles.setdefault(role, {"processes": 0, "rss_mb": 0.0, "pss_mb": 0.0})
        row["processes"] += 1
        row["rss_mb"] += info.rss / 2**20
        row["pss_mb"] += getattr(info, "pss", info.rss) / 2**20
    rounded = {r: {k: round(v, 1) for k, v in row.items()} for r, row in sorted(roles.items())}
    suite = [row for role, row in roles.items() if role not in (named or {})]
    return {
        "roles": rounded,
        "suite_processes": sum(int(r["processes"]) for r in suite),
        "suite_rss_mb": round(sum(r["rss_mb"] for r in suite), 1),
        "suite_pss_mb": round(sum(r["pss_mb"] for r in suite), 1),
    }
