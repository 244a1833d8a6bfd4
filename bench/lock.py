"""One benchmark (or smoke test) at a time per Redis database.

The suite's queue names are fixed, so two suites on one database would consume each
other's events: a second run's FLUSHDB, or its workers, would make the first one lose
clients that were never lost.  A run therefore holds a key in its database for as long as
it runs; FLUSHDB and taking the key happen in one MULTI, so the flush never drops a
holder's key.  A holder on this host whose process is gone is stale and is replaced.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

import psutil
import redis

KEY = "inscope.bench.lock"
TTL_S = 120
REFRESH_S = 30

_IF_OURS_DELETE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"  # noqa: E501
)
_IF_OURS_EXPIRE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"  # noqa: E501


class LockBusy(RuntimeError):
    """Another run holds the database."""


def _stale(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not psutil.pid_exists(int(pid))


class RunLock:
    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(redis_url, decode_responses=True)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    def flush_and_acquire(self, timeout: float, say: Callable[[str], None] = print) -> None:
        """Wait up to ``timeout`` s for the database, then FLUSHDB and hold it."""
        deadline = time.monotonic() + timeout
        told = False
        while True:
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(KEY)
                    holder = pipe.get(KEY)
                    if holder is None or _stale(holder):
                        pipe.multi()
                        pipe.flushdb()
                        pipe.set(KEY, self.token, ex=TTL_S)
                        pipe.execute()
                        break
                except redis.WatchError:
                    continue
            if time.monotonic() > deadline:
                raise LockBusy(f"another benchmark run ({holder}) is using this Redis database")
            if not told:
                say(f"waiting for another benchmark run ({holder}) to finish with this database")
                told = True
            time.sleep(1.0)
        self._refresher = threading.Thread(target=self._refresh, name="bench-lock", daemon=True)
        self._refresher.start()

    def _refresh(self) -> None:
        while not self._stop.wait(REFRESH_S):
            with contextlib.suppress(redis.RedisError):
                self.client.eval(_IF_OURS_EXPIRE, 1, KEY, self.token, TTL_S)

    def release(self) -> None:
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join()
        try:
            self.client.eval(_IF_OURS_DELETE, 1, KEY, self.token)
        except redis.RedisError:
            pass
        finally:
            self.client.close()
