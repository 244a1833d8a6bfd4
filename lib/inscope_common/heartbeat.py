"""Heartbeat files: a worker, relay or beat touches its file while its loop runs; the
container healthcheck (``python -m inscope_common.heartbeat FILE MAX_AGE``) fails once
the file is older than MAX_AGE seconds, or missing.

- worker: Celery's consumer timer (it runs in the worker's event loop, so a blocked
  loop stops the beat of the file), every 10 s;
- relay: after every round;
- beat: on every scheduler tick (its loop wakes at least every beat_max_loop_interval).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import worker_ready

WORKER_EVERY_S = 10.0
BEAT_MAX_LOOP_S = 30


def touch(path: str | None) -> None:
    if path:
        Path(path).touch()


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's default scheduler, touching the heartbeat file on every tick."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        touch(self.app.conf.get("inscope_heartbeat_file"))
        return interval


def install_celery_heartbeat(celery_app: Celery, path: str) -> None:
    """The worker's and beat's heartbeat (a no-op for processes that are neither)."""
    celery_app.conf.inscope_heartbeat_file = path
    celery_app.conf.beat_scheduler = "inscope_common.heartbeat:HeartbeatScheduler"
    celery_app.conf.beat_max_loop_interval = BEAT_MAX_LOOP_S

    def on_ready(sender: Any = None, **_: Any) -> None:
        touch(path)
        sender.timer.call_repeatedly(WORKER_EVERY_S, touch, (path,))

    worker_ready.connect(on_ready, weak=False, dispatch_uid=f"inscope-heartbeat-{path}")


def check(path: str, max_age_s: float) -> int:
    try:
        age = time.time() - Path(path).stat().st_mtime
    except OSError as exc:
        print(f"unhealthy: {exc}")
        return 1
    if age > max_age_s:
        print(f"unhealthy: {path} last touched {age:.0f}s ago (limit {max_age_s:g}s)")
        return 1
    print(f"healthy: {path} touched {age:.0f}s ago")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m inscope_common.heartbeat FILE MAX_AGE_SECONDS")
        return 2
    return check(args[0], float(args[1]))


if __name__ == "__main__":
    raise SystemExit(main())
