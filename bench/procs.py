"""Helpers for the processes the benchmark starts itself."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the folder that holds bench/


def bench_env() -> dict[str, str]:
    """This environment, with the folder holding ``bench`` first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p
    )
    return env


def kill_group(pgid: int) -> None:
    """SIGKILL a process group we started (start_new_session), if anything is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
