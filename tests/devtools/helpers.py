"""Helpers for the devtools tests: free ports and process liveness."""

from __future__ import annotations

import time
from collections.abc import Callable

import psutil

from tests.ports import free_port  # noqa: F401 (the devtools tests import it from here)


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie waiting to be reaped by init counts as gone."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(condition: Callable[[], object], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(0.05)
