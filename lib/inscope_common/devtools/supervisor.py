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
  and exits 1, unless the process is marked ``restart`` (the suite marks every one).
- A ``restart`` process that exits on its own is restarted, alone, after a backoff
  (``restart_delay``, doubling up to ``restart_max_delay``); what it left in its
  process group is stopped first.  The others keep running: one crash is
  one crash.  A process that keeps crashing (more than ``max_restarts`` times in a
  row, each within ``stable_after`` seconds of its start) is given up on with a clear
  message, and the rest keep running; when every process has been given up on, the
  supervisor exits 1.  A process that exits before its ``ready`` check passes still
  stops everything (exit 1): the suite never half-starts.
- A requested stop (SIGINT, SIGTERM, SIGHUP) stops everything and exits 0 (1 if a
  process had been given up on).
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
    # Restart it alone when it exits once everything has started (False: its exit
    # stops everything, exit 1; for a process whose exit means the run is over).
    restart: bool = False
    # Output lines containing any of these are not shown (known start-up chatter).
    drop: tuple[str, ...] = ()


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
    started_at: float = field(default_factory=time.monotonic)
    # running | waiting (to be restarted at restart_at) | gave_up
    state: str = "running"
    restart_at: float = 0.0
    quick_crashes: int = 0  # in a row, each within stable_after of its start
    restarts: int = 0

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
        restart_delay: float = 1.0,
        restart_max_delay: float = 30.0,
        max_restarts: int = 5,
        stable_after: float = 30.0,
        on_started: Callable[[Callable[[], bool], Callable[[str], None]], None] | None = None,
    ) -> None:
        names = [p.name for p in processes]
        if len(set(names)) != len(names):
            raise ValueError(f"process names must be unique: {names}")
        self.processes = list(processes)
        self.out = out or sys.stdout
        self.grace = grace
        self.ready_timeout = ready_timeout
        self.restart_delay = restart_delay
        self.restart_max_delay = restart_max_delay
        self.max_restarts = max_restarts
        self.stable_after = stable_after
        self.started = False
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
        # Called in a thread once every process started, with "should I give up?" and
        # a way to print (inscope-suite waits for every service, then says it is ready).
        self.on_started = on_started

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

    def _pump(self, name: str, stream: IO[bytes], drop: tuple[str, ...] = ()) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not any(fragment in line for fragment in drop):
                    self.emit(name, line)

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
        gave_up = sorted(p.spec.name for p in self.running if p.state == "gave_up")
        if gave_up:
            self.say(f"stopped; had given up on {', '.join(gave_up)}")
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
            self.started = True
            self.say(f"all {len(self.running)} processes started")
            if self.on_started is not None:
                threading.Thread(
                    target=self.on_started,
                    args=(self._should_stop, self.say),
                    name="on-started",
                    daemon=True,
                ).start()

    def _spawn(self, spec: Process, stage: int) -> _Running | None:
        popen = self._popen(spec)
        if popen is None:
            return None
        proc = _Running(spec, popen, stage)
        self._read(proc)
        self.running.append(proc)
        self.say(f"started {spec.name} (pid {popen.pid})")
        return proc

    def _read(self, proc: _Running) -> None:
        assert proc.popen.stdout is not None
        proc.reader = threading.Thread(
            target=self._pump,
            args=(proc.spec.name, proc.popen.stdout, proc.spec.drop),
            name=f"out-{proc.spec.name}",
            daemon=True,
        )
        proc.reader.start()

    def _popen(self, spec: Process) -> subprocess.Popen[bytes] | None:
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
        return popen

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
            now = time.monotonic()
            for proc in self.running:
                if proc.state == "running" and proc.popen.poll() is not None:
                    if not proc.spec.restart:
                        self._exited(proc, "unexpectedly")
                        break
                    self._crashed(proc, now)
                elif proc.state == "waiting" and now >= proc.restart_at:
                    self._restart(proc)
            if self.running and all(p.state == "gave_up" for p in self.running):
                self._fail("every process has been given up on")
            time.sleep(POLL)

    def _exited(self, proc: _Running, how: str) -> None:
        # Let its last lines (often the reason it died) print before our verdict.
        proc.reader.join(timeout=1.0)
        self._fail(f"{proc.spec.name} exited {how} with code {proc.popen.returncode}")

    def _crashed(self, proc: _Running, now: float) -> None:
        """One process died on its own: stop what it left behind, and restart it alone
        after a backoff, or give up on it if it keeps crashing."""
        proc.reader.join(timeout=1.0)  # its last lines first: often why it died
        code = proc.popen.returncode
        # Orphans in its group (a Celery pool child, a gunicorn worker) get SIGTERM now
        # and SIGKILL at the restart; the new process must not share their resources.
        _signal_all({proc.pgid}, [], signal.SIGTERM)
        if now - proc.started_at >= self.stable_after:
            proc.quick_crashes = 0
        proc.quick_crashes += 1
        if proc.quick_crashes > self.max_restarts:
            proc.state = "gave_up"
            self.say(
                f"{proc.spec.name} exited with code {code}; it crashed "
                f"{proc.quick_crashes} times in a row, each within {self.stable_after:g}s "
                f"of starting: giving up on it (the other processes keep running; fix it "
                f"and restart the suite)"
            )
            return
        delay = min(self.restart_delay * 2 ** (proc.quick_crashes - 1), self.restart_max_delay)
        proc.state = "waiting"
        proc.restart_at = now + delay
        self.say(
            f"{proc.spec.name} exited unexpectedly with code {code}; restarting it in "
            f"{delay:g}s (crash {proc.quick_crashes} in a row; the others keep running)"
        )

    def _restart(self, proc: _Running) -> None:
        _signal_all({proc.pgid}, [], signal.SIGKILL)  # what the old one left, if anything
        popen = self._popen(proc.spec)
        if popen is None:  # _popen failed the whole run (missing executable...)
            return
        proc.popen = popen
        proc.started_at = time.monotonic()
        proc.state = "running"
        proc.restarts += 1
        self._read(proc)
        self.say(f"restarted {proc.spec.name} (pid {popen.pid}, restart {proc.restarts})")

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
    on_started: Callable[[Callable[[], bool], Callable[[str], None]], None] | None = None,
    **restart: float,
) -> int:
    """Run the processes until a stop signal arrives (or start-up fails, or every
    process has been given up on); return the exit code. ``restart`` takes the
    Supervisor's restart_delay, restart_max_delay, max_restarts and stable_after;
    ``on_started`` is called in a thread once every process started."""
    supervisor = Supervisor(
        processes,
        out=out,
        grace=grace,
        ready_timeout=ready_timeout,
        on_started=on_started,
        **restart,  # type: ignore[arg-type]
    )
    return supervisor.run()
