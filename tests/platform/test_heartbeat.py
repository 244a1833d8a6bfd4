"""Heartbeat files and their healthcheck (inscope_common.heartbeat)."""

from __future__ import annotations

import os
import threading
import time

from inscope_common.heartbeat import check, main, touch
from inscope_common.outbox import OutboxRelay
from tests.platform.fakes import platform


def test_a_fresh_file_is_healthy_a_stale_or_missing_one_is_not(tmp_path):
    path = tmp_path / "beat"
    assert check(str(path), 60) == 1  # missing
    touch(str(path))
    assert main([str(path), "60"]) == 0
    old = time.time() - 120
    os.utime(path, (old, old))
    assert check(str(path), 60) == 1


def test_the_relay_touches_its_heartbeat_after_every_round(tmp_path, session_factory, publisher):
    path = tmp_path / "relay-heartbeat"
    relay = OutboxRelay(session_factory, platform, publisher, grace_s=0)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run_forever, args=(0.05, stop, lambda: touch(str(path))))
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(5)
    assert check(str(path), 5) == 0
