"""Where a benchmark's JSON goes, and what changed since the previous run.

Each run writes ``bench/results/<machine>-<timestamp>.json`` (``make bench``) or
``<machine>-scale-<timestamp>.json`` (``make bench-scale``).  The report carries its
``kind`` and a flat ``headline`` ({figure: number}); after a run the newest earlier report
of the same kind from the same machine is found and each headline figure is printed with
its change, so a regression shows up in the run that caused it.  Timings on a shared
machine are noisy: a change of a few percent is not news.
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
from pathlib import Path
from typing import Any


def machine_name() -> str:
    """``BENCH_MACHINE``, else the host name, made safe for a file name."""
    name = os.environ.get("BENCH_MACHINE") or socket.gethostname() or "machine"
    return re.sub(r"[^A-Za-z0-9_.]+", "_", name).strip("._") or "machine"


def report_path(results_dir: Path, machine: str, stamp: str, kind: str = "bench") -> Path:
    middle = "" if kind == "bench" else f"{kind.removeprefix('bench-')}-"
    return results_dir / f"{machine}-{middle}{stamp}.json"


def previous_report(
    results_dir: Path,
    machine: str,
    kind: str,
    before: Path | None = None,
    same: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The newest report of ``kind`` from ``machine`` in ``results_dir`` other than
    ``before`` (the run just written) whose top-level keys equal ``same`` (e.g. the
    same database and number of clients); None when there is none."""
    candidates = []
    for path in results_dir.glob(f"{machine}-*.json"):
        if before is not None and path.resolve() == before.resolve():
            continue
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(report, dict) or report.get("kind", "bench") != kind:
            continue
        if report.get("machine_name", machine) != machine or report.get("error"):
            continue  # another machine's, or a run that failed (nothing to compare)
        if any(report.get(key) != value for key, value in (same or {}).items()):
            continue
        candidates.append((str(report.get("started_at") or ""), path.name, report))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c[0], c[1]))[2]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def diff_lines(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """One line per headline figure: now, before, and the change (absolute and %)."""
    if previous is None:
        return ["Change: no earlier run of this kind on this machine to compare with."]
    before = previous.get("headline") or {}
    now = current.get("headline") or {}
    lines = [
        f"Change against the previous run of this machine ({previous.get('started_at')}, "
        f"commit {str((previous.get('machine') or {}).get('git_commit'))[:10]}):",
        f"  {'figure':<44} {'now':>10} {'before':>10} {'change':>10} {'%':>8}",
    ]
    for name in [*now, *(k for k in before if k not in now)]:
        new, old = _number(now.get(name)), _number(before.get(name))
        if new is None and old is None:
            continue
        if new is None or old is None:
            shown = "n/a" if new is None else f"{new:.1f}"
            lines.append(f"  {name:<44} {shown:>10} {_cell(old):>10} {'':>10} {'':>8}")
            continue
        change = new - old
        pct = f"{100 * change / old:+.1f}%" if old else ""
        lines.append(f"  {name:<44} {new:>10.1f} {old:>10.1f} {change:>+10.1f} {pct:>8}")
    return lines


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"
