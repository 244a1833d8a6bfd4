"""The supervisor: prefixed output, a clean stop on SIGTERM, a full stop on any failure."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from inscope_common.devtools.supervisor import Process, Supervisor, run

from .helpers import alive, free_port, wait_for

PY = sys.executable

# Ignores SIGTERM, starts a grandchild that ignores it too, and reports both pids.
STUBBORN = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
    print(f"pids {os.getpid()} {grandchild.pid}", flush=True)
    time.sleep(600)
    """
)

SUPERVISE = textwrap.dedent(
    """
    import sys
    from inscope_common.devtools.supervisor import Process, run
    stubborn = Process("stubborn", [sys.executable, sys.argv[1]])
    polite = Process("polite-sleeper", [sys.executable, "-c", "import time; time.sleep(600)"])
    sys.exit(run([stubborn, polite], grace=1.0))
    """
)


def python(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def test_sigterm_kills_a_child_that_ignores_it_and_its_grandchild(tmp_path: Path) -> None:
    (tmp_path / "stubborn.py").write_text(STUBBORN)
    log_path = tmp_path / "supervisor.log"
    with log_path.open("wb") as log:
        supervisor = subprocess.Popen(
            [PY, "-c", SUPERVISE, str(tmp_path / "stubborn.py")], stdout=log, stderr=log
        )
    try:
        wait_for(lambda: "pids" in log_path.read_text(), what="the child's pids")
        wait_for(lambda: "all 2 processes started" in log_path.read_text(), what="start-up")
        match = re.search(r"^stubborn\s+\| pids (\d+) (\d+)$", log_path.read_text(), re.M)
        assert match, log_path.read_text()
        child, grandchild = int(match[1]), int(match[2])
        assert alive(child) and alive(grandchild)

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=20) == 0, log_path.read_text()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
    assert not alive(child), log_path.read_text()
    assert not alive(grandchild), log_path.read_text()
    assert "stopping all processes on SIGTERM" in log_path.read_text()
    assert "SIGKILL" in log_path.read_text()


def test_one_process_exiting_stops_all_of_them_with_a_failure() -> None:
    out = io.StringIO()
    sleeper = Process(
        "sleeper", python("import os, time; print('pid', os.getpid()); time.sleep(600)")
    )
    crasher = Process(
        "crasher", python("import sys, time; time.sleep(0.5); print('bye'); sys.exit(3)")
    )
    started = time.monotonic()
    assert run([sleeper, crasher], out=out, grace=5.0) == 1
    assert time.monotonic() - started < 5.0
    log = out.getvalue()
    assert re.search(r"^crasher\s+\| bye$", log, re.M), log
    assert "crasher exited unexpectedly with code 3" in log
    # The crasher's last words come before the verdict.
    assert log.index("| bye") < log.index("exited unexpectedly")
    pid = int(re.search(r"^sleeper\s+\| pid (\d+)$", log, re.M)[1])
    assert not alive(pid)


def test_lines_are_prefixed_with_the_padded_name_and_coloured_only_on_request() -> None:
    out = io.StringIO()
    talker = Process("talk", python("print('hello'); print('second line')"))
    assert Supervisor([talker, Process("a-longer-name", python("pass"))], out=out).run() == 1
    lines = out.getvalue().splitlines()
    width = len("a-longer-name")
    assert f"{'talk'.ljust(width)} | hello" in lines
    assert f"{'talk'.ljust(width)} | second line" in lines
    assert "\033[" not in out.getvalue()

    coloured = io.StringIO()
    Supervisor([talker], out=coloured, colour=True).run()
    assert "\033[36mtalk      \033[0m | hello" in coloured.getvalue().splitlines()


def test_a_process_that_never_gets_ready_stops_the_start(tmp_path: Path) -> None:
    out = io.StringIO()
    marker = tmp_path / "started"
    never = Process("never-ready", python("import time; time.sleep(600)"), ready=lambda: False)
    later = Process("later", python(f"open({str(marker)!r}, 'w'); import time; time.sleep(600)"))
    assert Supervisor([never, later], out=out, ready_timeout=0.5).run() == 1
    assert "never-ready was not ready after 0.5s" in out.getvalue()
    assert not marker.exists()


def test_ready_url_and_stages_stop_in_reverse_order(tmp_path: Path) -> None:
    """What starts after a ready process depends on it, so it is stopped first."""
    order = tmp_path / "order"
    port = free_port()
    server = f"""
        import http.server, signal, sys, time
        def stop(*_):
            open({str(order)!r}, "a").write("server\\n"); sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        time.sleep(0.5)  # not ready at once: the dependent must wait for the URL
        handler = http.server.SimpleHTTPRequestHandler
        http.server.HTTPServer(("127.0.0.1", {port}), handler).serve_forever()
    """
    dependent = f"""
        import signal, sys, time
        def stop(*_):
            time.sleep(0.3)  # if the server were stopped in parallel it would write first
            open({str(order)!r}, "a").write("dependent\\n"); sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        time.sleep(600)
    """
    trigger = "import time; time.sleep(1.5)"  # its exit starts the shutdown

    out = io.StringIO()
    procs = [
        Process("server", python(server), ready=f"http://127.0.0.1:{port}/"),
        Process("dependent", python(dependent)),
        Process("trigger", python(trigger)),
    ]
    assert Supervisor(procs, out=out, grace=5.0).run() == 1
    assert "server is ready" in out.getvalue()
    assert order.read_text().split() == ["dependent", "server"], out.getvalue()


def test_a_missing_executable_is_a_failure_not_a_crash() -> None:
    out = io.StringIO()
    sleeper = Process("sleeper", python("import time; time.sleep(600)"))
    missing = Process("missing", ["/nonexistent/inscope-binary"])
    assert run([sleeper, missing], out=out, grace=2.0) == 1
    assert "missing could not start" in out.getvalue()


def _spawner(session: bool, ignore_term: bool) -> list[str]:
    """A process that starts a sleeping child and reports both pids."""
    return python(
        f"""
        import os, signal, subprocess, sys, time
        if {ignore_term}:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                 start_new_session={session})
        print("pids", os.getpid(), child.pid, flush=True)
        time.sleep(600)
        """
    )


def _stop_after_start(spawner: list[str], grace: float) -> tuple[str, int]:
    out = io.StringIO()
    trigger = Process("trigger", python("import time; time.sleep(1.0)"))
    assert run([Process("spawner", spawner), trigger], out=out, grace=grace) == 1
    log = out.getvalue()
    match = re.search(r"^spawner\s+\| pids \d+ (\d+)$", log, re.M)
    assert match, log
    return log, int(match[1])


def test_what_a_stopped_process_leaves_in_its_group_gets_sigterm() -> None:
    # The spawner dies on SIGTERM without stopping its child; the child must get its
    # own SIGTERM at once rather than wait for the SIGKILL at the end of the grace.
    started = time.monotonic()
    log, child = _stop_after_start(_spawner(session=False, ignore_term=False), grace=8.0)
    assert time.monotonic() - started < 6.0, log
    assert "SIGKILL" not in log
    assert not alive(child)


def test_a_descendant_that_left_the_group_is_stopped_too() -> None:
    log, child = _stop_after_start(_spawner(session=True, ignore_term=True), grace=0.5)
    assert "SIGKILL" in log
    assert not alive(child), log


# ---------------------------------------------------------------- restarts (issue 11, item 5)

# Prints its pid at every start, then serves until killed.
SERVER = "import os, time; print('pid', os.getpid(), flush=True); time.sleep(600)"

RESTARTING = textwrap.dedent(
    """
    import sys
    from inscope_common.devtools.supervisor import Process, run
    server = "import os, time; print('pid', os.getpid(), flush=True); time.sleep(600)"
    crash = "import sys; print('crashing', flush=True); sys.exit(4)"
    table = [Process(name, [sys.executable, "-c", server], restart=True)
             for name in ("web-a", "web-b", "worker")]
    if len(sys.argv) > 1:
        table.append(Process("crash-loop", [sys.executable, "-c", crash], restart=True))
    sys.exit(run(table, grace=2.0, restart_delay=0.2, restart_max_delay=1.0,
                 max_restarts=3, stable_after=5.0))
    """
)


def _pids(log: str, name: str) -> list[int]:
    return [int(m) for m in re.findall(rf"^{re.escape(name)}\s+\| pid (\d+)$", log, re.M)]


def _supervise(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = tmp_path / "supervisor.log"
    with log_path.open("wb") as log:
        supervisor = subprocess.Popen([PY, "-c", RESTARTING, *args], stdout=log, stderr=log)
    return supervisor, log_path


def _stop(supervisor: subprocess.Popen[bytes], signum: int = signal.SIGINT) -> int:
    supervisor.send_signal(signum)
    try:
        return supervisor.wait(timeout=20)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


def test_a_killed_process_comes_back_and_the_others_are_never_restarted(tmp_path: Path) -> None:
    supervisor, log_path = _supervise(tmp_path)
    try:
        wait_for(lambda: "all 3 processes started" in log_path.read_text(), what="start-up")
        wait_for(lambda: all(_pids(log_path.read_text(), n) for n in ("web-a", "web-b", "worker")))
        log = log_path.read_text()
        first = {name: _pids(log, name)[0] for name in ("web-a", "web-b", "worker")}

        os.kill(first["worker"], signal.SIGKILL)
        wait_for(lambda: len(_pids(log_path.read_text(), "worker")) == 2, what="the restart")
        log = log_path.read_text()
        again = _pids(log, "worker")[1]
        assert again != first["worker"] and alive(again)
        assert "worker exited unexpectedly with code -9; restarting it in 0.2s" in log
        assert re.search(rf"restarted worker \(pid {again}, restart 1\)", log), log

        # Killed again soon after: the backoff doubles.
        os.kill(again, signal.SIGKILL)
        wait_for(lambda: len(_pids(log_path.read_text(), "worker")) == 3, what="a 2nd restart")
        assert "restarting it in 0.4s (crash 2 in a row" in log_path.read_text()

        # The others ran on untouched: same pids, started once.
        log = log_path.read_text()
        for name in ("web-a", "web-b"):
            assert _pids(log, name) == [first[name]] and alive(first[name])
            assert f"restarted {name}" not in log
        assert supervisor.poll() is None
        last = _pids(log, "worker")[-1]
    finally:
        code = _stop(supervisor)
    assert code == 0, log_path.read_text()
    assert not any(alive(pid) for pid in (*first.values(), last))


def test_a_crash_loop_is_given_up_on_and_the_rest_keep_running(tmp_path: Path) -> None:
    supervisor, log_path = _supervise(tmp_path, "with-crash-loop")
    try:
        wait_for(lambda: "giving up on it" in log_path.read_text(), what="giving up")
        log = log_path.read_text()
        assert "crash-loop exited with code 4; it crashed 4 times in a row" in log
        assert "the other processes keep running" in log
        assert log.count("crash-loop | crashing") == 4  # the first run and 3 restarts
        time.sleep(1.0)  # given up means no further restarts
        assert log_path.read_text().count("crash-loop | crashing") == 4
        servers = {name: _pids(log, name) for name in ("web-a", "web-b", "worker")}
        assert all(len(pids) == 1 and alive(pids[0]) for pids in servers.values()), log
        assert supervisor.poll() is None
    finally:
        code = _stop(supervisor)
    log = log_path.read_text()
    assert code == 1, log  # Ctrl-C still stops everything; the exit says one was lost
    assert "had given up on crash-loop" in log
    assert not any(alive(pids[0]) for pids in servers.values())


def test_ctrl_c_during_a_restart_backoff_stops_everything(tmp_path: Path) -> None:
    out = io.StringIO()
    server = Process("server", python(SERVER), restart=True)
    dies = Process("dies", python("import time; time.sleep(0.3)"), restart=True)
    supervisor = Supervisor([server, dies], out=out, grace=2.0, restart_delay=30.0)
    thread = threading.Thread(target=lambda: setattr(thread, "code", supervisor.run()))
    thread.start()
    try:
        wait_for(lambda: "restarting it in 30s" in out.getvalue(), what="the backoff")
    finally:
        supervisor.signals += 1  # what the SIGINT handler does in the main thread
        thread.join(20)
    assert not thread.is_alive() and thread.code == 0, out.getvalue()
    pid = _pids(out.getvalue(), "server")[0]
    assert not alive(pid)
    assert "restarted dies" not in out.getvalue()


def test_the_suite_restarts_every_process_it_runs() -> None:
    from inscope_common.devtools.suite import SuiteSettings, suite_processes

    table = suite_processes(SuiteSettings.from_env({}))
    assert table and all(process.restart for process in table)
