"""Ports for the servers tests start, taken from below the kernel's ephemeral range.

A port the OS hands out for a socket bound to 0 lies in the ephemeral range, the same
range every outgoing connection (a Redis pool, a browser, a database client) takes its
local port from. Such a port can be free when a test picks it and held by a long-lived
connection by the time the server it was meant for binds it: CI once waited 120 s for
a web process that could never bind. Ports below the range are never handed out for
outgoing connections, so a port checked free stays free for its server.

Each pytest-xdist worker keeps to its own slice, and a process never hands out a port
twice, so concurrent tests of one run cannot pick the same port; runs sharing a machine
meet only by chance (the bind check catches a port taken already).
"""

from __future__ import annotations

import os
import random
import re
import socket

# Below Linux's default ephemeral range (32768-60999) and above the well-known and the
# usual registered server ports (PostgreSQL 5432, Redis 6379, RabbitMQ 5672, ...).
_LOW = 12000
_DEFAULT_EPHEMERAL_START = 32768
_SLICES = 8  # xdist workers gw0..gw7 each get their own; more workers share by modulo

_taken: set[int] = set()


def _ephemeral_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return _DEFAULT_EPHEMERAL_START


def _worker_range() -> range:
    high = max(_LOW + 2000, _ephemeral_start())
    match = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    index = int(match.group(1)) % _SLICES if match else 0
    size = (high - _LOW) // _SLICES
    return range(_LOW + index * size, _LOW + (index + 1) * size)


def port_free(port: int) -> bool:
    """True if a server could bind 127.0.0.1:``port`` now."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(count: int) -> int:
    """A base port with ``count`` consecutive free ports from it, none handed out by
    this process before."""
    span = _worker_range()
    for _ in range(500):
        base = random.randrange(span.start, span.stop - count)
        block = set(range(base, base + count))
        if not block & _taken and all(map(port_free, block)):
            _taken.update(block)
            return base
    raise RuntimeError(f"no {count} free consecutive ports in {span.start}-{span.stop}")


def free_port() -> int:
    """One free port (see free_port_block)."""
    return free_port_block(1)
