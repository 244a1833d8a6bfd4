"""A real SMTP server (aiosmtpd) that timestamps every message it accepts.

It runs in its own process (``python -m bench.smtp_sink``), so that the benchmark's
driver threads do not hold the GIL while the suite waits for an SMTP reply, and writes
one JSON line per accepted message.  Timestamps are ``time.monotonic()`` (one clock for
every process on the machine) and ``time.time()``, taken in ``handle_DATA``, when the
whole message has arrived, just before the sink answers 250.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path
from typing import IO, Any

from bench.procs import PACKAGE_ROOT, bench_env


@dataclass(frozen=True)
class Accepted:
    """One message, as the sink saw it when the DATA command completed."""

    at: float  # time.monotonic() when the message was accepted
    wall: float  # time.time() at the same moment
    to: tuple[str, ...]  # addresses in the To header, lower-cased
    rcpt_tos: tuple[str, ...]  # envelope recipients
    message_id: str | None

    @classmethod
    def from_json(cls, line: str) -> Accepted:
        d = json.loads(line)
        return cls(d["at"], d["wall"], tuple(d["to"]), tuple(d["rcpt_tos"]), d["message_id"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    """The aiosmtpd handler of the sink process: one JSON line per message."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.parser = BytesHeaderParser(policy=default_policy)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        at, wall = time.monotonic(), time.time()
        headers = self.parser.parsebytes(envelope.original_content or envelope.content)
        record = {
            "at": at,
            "wall": wall,
            "to": [addr.lower() for _, addr in getaddresses(headers.get_all("To", []))],
            "rcpt_tos": [r.lower() for r in envelope.rcpt_tos],
            "message_id": headers.get("Message-ID"),
        }
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()
        return "250 Message accepted for delivery"


def serve(host: str, port: int, out_path: Path) -> None:
    """Run the sink until SIGTERM or SIGINT."""
    from aiosmtpd.controller import Controller

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with open(out_path, "a", encoding="utf-8") as out:
        controller = Controller(_Handler(out), hostname=host, port=port)
        controller.start()
        try:
            stop.wait()
        finally:
            controller.stop()


class SMTPSink:
    """The sink process, seen from the benchmark.  A context manager."""

    def __init__(self, workdir: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port()
        self.out_path = workdir / "smtp-sink.jsonl"
        self.log_path = workdir / "smtp-sink.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._messages: list[Accepted] = []
        self._offset = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> SMTPSink:
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self.out_path.touch()
        argv = [sys.executable, "-m", "bench.smtp_sink", "--host", self.host]
        argv += ["--port", str(self.port), "--out", str(self.out_path)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                argv,
                env=bench_env(),
                cwd=PACKAGE_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the SMTP sink did not start: {self.log_path.read_text()}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                sock.recv(512)  # the 220 greeting
                sock.sendall(b"QUIT\r\n")
                sock.recv(512)
            return True
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._read()

    def _read(self) -> list[Accepted]:
        with self._lock:
            with open(self.out_path, encoding="utf-8") as f:
                f.seek(self._offset)
                chunk = f.read()
            complete = chunk[: chunk.rfind("\n") + 1]
            self._offset += len(complete.encode("utf-8"))
            self._messages += [Accepted.from_json(x) for x in complete.splitlines() if x]
            return list(self._messages)

    def messages(self) -> list[Accepted]:
        return self._read()

    def wait(self, predicate: Callable[[list[Accepted]], bool], timeout: float) -> bool:
        """Wait until ``predicate(messages)`` holds; False if it still does not at timeout."""
        deadline = time.monotonic() + timeout
        while not predicate(self._read()):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def __enter__(self) -> SMTPSink:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smtp_sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="JSON lines, appended")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.out)


if __name__ == "__main__":
    main()
