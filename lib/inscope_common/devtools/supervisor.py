"""A small process supervisor for the local suite (honcho-like, written here).

- Every process runs in its own session, hence its own process group, so the
  terminal's Ctrl-C reaches only the supervisor, and the supervisor can signal a
  whole tree at once: Celery's prefork children and gunicorn's workers share their
  parent's group.
- Every output line is prefixed with the padded process name (coloured on a TTY).
- Processes start in table order.  A process with a ``ready`` check is waited for
  before the next one starts; it ends a *stage*.  Stages stop in reverse order, so
  workers finish and acknowledge their tasks while the broker is still up.
- Stopping a stage: SIGTERM to each process; once a process has exited, SIGTERM to
  what it left in its process group (and to descendants that left the group); after
  ``grace`` seconds, SIGKILL to every group and descendant still there, so no
  Celery pool child or gunicorn worker survives.  A second Ctrl-C skips the wait.
- Any process that exits on its own is a failure: the supervisor stops everything
  and exits 1.  A requested stop (SIGINT, SIGTERM, SIGHUP) exits 0.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

import psutil

ReadyCheck = Callable[[], bool]

SELF_NAME = "supervisor"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL = 0.1
COLOURS = ("36", "33", "32", "35", "34", "31", "96", "93", "92", "95", "94", "91")


@dataclass
class Process:
    """One supervised command.

    ``env`` is the complete environment of the process; None inherits this one's.
    ``ready`` is a callable returning True once the process serves, or a URL that
    answers 2xx once it does, or None when nothing waits for this process.
    """

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    ready: ReadyCheck | str | None = None
    cwd: Path | None = None


def url_ready(url: str, timeout: float = 1.0) -> ReadyCheck:
    """A ready check that passes once ``url`` answers with a 2xx status."""

    def check() -> bool:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300

    return check


@dataclass(eq=False)
class _Running:
    spec: Process
    popen: subprocess.Popen[bytes]
    stage: int
    reader: threading.Thread = field(init=False)

    @property
    def pgid(self) -> int:
        # start_new_session makes the child a session and group leader: pgid == pid.
        return self.popen.pid


class Supervisor:
    def __init__(
        self,
        processes: Sequence[Process],
        out: TextIO | None = None,
        grace: float = 10.0,
        ready_timeout: float = 60.0,
        colour: bool | None = None,
    ) -> None:
        names = [p.name for p in processes]
        if len(set(names)) != len(names):
            raise ValueError(f"process names must be unique: {names}")
        self.processes = list(processes)
        self.out = out or sys.stdout
        self.grace = grace
        self.ready_timeout = ready_timeout
        if colour is None:
            colour = self.out.isatty() and "NO_COLOR" not in os.environ
        self.width = max(len(n) for n in [*names, SELF_NAME])
        palette = itertools.cycle(COLOURS)
        self.colours = {n: next(palette) for n in names} if colour else {}
        self.running: list[_Running] = []
        self.failure: str | None = None
        self.signals = 0
        self.last_signal: int | None = None
        self.write_lock = threading.Lock()

    # ------------------------------------------------------------ output

    def emit(self, name: str, text: str) -> None:
        label = name.ljust(self.width)
        code = self.colours.get(name)
        if code:
            label = f"\033[{code}m{label}\033[0m"
        with self.write_lock:
            self.out.write(f"{label} | {text}\n")
            self.out.flush()

    def say(self, text: str) -> None:
        self.emit(SELF_NAME, text)

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                self.emit(name, raw.decode("utf-8", "replace").rstrip("\r\n"))

    # ------------------------------------------------------------ main loop

    def run(self) -> int:
        with self._signal_handlers():
            try:
                self._start_all()
                self._watch()
            finally:
                self._shutdown()
        if self.failure:
            self.say(f"stopped after a failure: {self.failure}")
            return 1
        self.say("stopped")
        return 0

    def _should_stop(self) -> bool:
        return self.signals > 0 or self.failure is not None

    def _fail(self, message: str) -> None:
        if self.failure is None:
            self.failure = message
            self.say(message)

    @contextlib.contextmanager
    def _signal_handlers(self) -> Iterator[None]:
        # Python lets only the main thread install handlers; elsewhere (a test running
        # the supervisor in a thread) the caller's handling stays in force.
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # Only count: the main loop polls, so nothing here can deadlock on a lock
            # the interrupted code holds.
            self.signals += 1
            self.last_signal = signum

        previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _start_all(self) -> None:
        stage = 0
        for spec in self.processes:
            if self._should_stop():
                return
            proc = self._spawn(spec, stage)
            if proc is not None and spec.ready is not None:
                self._wait_ready(proc)
                stage += 1
        if not self._should_stop():
            self.say(f"all {len(self.running)} processes started")

    def _spawn(self, spec: Process, stage: int) -> _Running | None:
        env = dict(os.environ if spec.env is None else spec.env)
        # Python children block-buffer a pipe; unbuffered, their lines appear as they happen.
        env["PYTHONUNBUFFERED"] = "1"
        try:
            popen = subprocess.Popen(
                spec.argv,
                env=env,
                cwd=spec.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            self._fail(f"{spec.name} could not start: {error}")
            return None
        proc = _Running(spec, popen, stage)
        assert popen.stdout is not None
        proc.reader = threading.Thread(
            target=self._pump, args=(spec.name, popen.stdout), name=f"out-{spec.name}", daemon=True
        )
        proc.reader.start()
        self.running.append(proc)
        self.say(f"started {spec.name} (pid {popen.pid})")
        return proc

    def _wait_ready(self, proc: _Running) -> None:
        ready = proc.spec.ready
        check = url_ready(ready) if isinstance(ready, str) else ready
        assert check is not None
        deadline = time.monotonic() + self.ready_timeout
        while not self._should_stop():
            if proc.popen.poll() is not None:
                self._exited(proc, "before it was ready")
            elif _passes(check):
                self.say(f"{proc.spec.name} is ready")
                return
            elif time.monotonic() > deadline:
                self._fail(f"{proc.spec.name} was not ready after {self.ready_timeout:g}s")
            else:
                time.sleep(POLL)

    def _watch(self) -> None:
        while not self._should_stop():
            for proc in self.running:
                if proc.popen.poll() is not None:
                    self._exited(proc, "unexpectedly")
                    break
            else:
                time.sleep(POLL)

    def _exited(self, proc: _Running, how: str) -> None:
        # Let its last lines (often the reason it died) print before our verdict.
        proc.reader.join(timeout=1.0)
        self._fail(f"{proc.spec.name} exited {how} with code {proc.popen.returncode}")

    # ------------------------------------------------------------ shutdown

    def _shutdown(self) -> None:
        if not self.running:
            return
        reason = f" on {signal.Signals(self.last_signal).name}" if self.last_signal else ""
        self.say(f"stopping all processes{reason}")
        signals_before = self.signals
        for stage in sorted({p.stage for p in self.running}, reverse=True):
            self._stop_stage([p for p in self.running if p.stage == stage], signals_before)
        for proc in self.running:
            # Every process is gone by now, but one may have died after our last poll:
            # reap it, so neither a zombie nor a "still running" Popen stays behind.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=1.0)
            proc.reader.join(timeout=2.0)

    def _stop_stage(self, procs: list[_Running], signals_before: int) -> None:
        # Snapshot each tree first: once a parent dies its children are re-parented
        # and can no longer be found from it.
        trees = {p: _descendants(p.popen.pid) for p in procs}
        strays = [d for tree in trees.values() for d in tree]
        for proc in procs:
            # The leader first: Celery's and gunicorn's main processes stop their own
            # children gracefully (a Celery worker lets running tasks finish), which a
            # signal to the whole group would cut short.
            proc.popen.send_signal(signal.SIGTERM)
        cleaned: set[_Running] = set()
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and self.signals == signals_before:
            for proc in procs:
                if proc not in cleaned and proc.popen.poll() is not None:
                    # The leader is gone: whatever it left behind gets its own SIGTERM.
                    _signal_all({proc.pgid}, trees[proc], signal.SIGTERM)
                    cleaned.add(proc)
            if not _survivors(procs, strays):
                return
            time.sleep(POLL)
        self._kill_survivors(procs, strays)

    def _kill_survivors(self, procs: list[_Running], strays: list[psutil.Process]) -> None:
        left = _survivors(procs, strays)
        if not left:
            return
        names = ", ".join(sorted({p.spec.name for p in procs if p.popen.poll() is None}))
        self.say(f"SIGKILL to {len(left)} process(es) still running ({names or 'left behind'})")
        _signal_all({p.pgid for p in procs}, left, signal.SIGKILL)
        _wait_gone(procs, strays, timeout=5.0)


# ---------------------------------------------------------------- process helpers


def _passes(check: ReadyCheck) -> bool:
    try:
        return bool(check())
    except Exception:  # a check that raises (connection refused, ...) means "not yet"
        return False


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _group_members(pgids: set[int]) -> list[psutil.Process]:
    """Live processes in any of these groups, including ones started after our snapshot."""
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(OSError):
            if os.getpgid(proc.pid) in pgids and _alive(proc):
                members.append(proc)
    return members


def _survivors(procs: list[_Running], strays: list[psutil.Process]) -> list[psutil.Process]:
    for proc in procs:
        proc.popen.poll()  # reap the leader, or its zombie would count as a member
    found = {p.pid: p for p in _group_members({p.pgid for p in procs})}
    found.update({p.pid: p for p in strays if _alive(p)})
    return list(found.values())


def _signal_all(pgids: set[int], procs: list[psutil.Process], signum: int) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signum)


def _wait_gone(procs: list[_Running], strays: list[psutil.Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _survivors(procs, strays) and time.monotonic() < deadline:
        time.sleep(POLL)


def run(
    processes: Sequence[Process],
    *,
    out: TextIO | None = None,
    grace: float = 10.0,
    ready_timeout: float = 60.0,
) -> int:
    """Run the processes until one fails or a stop signal arrives; return the exit code."""
    return Supervisor(processes, out=out, grace=grace, ready_timeout=ready_timeout).run()
