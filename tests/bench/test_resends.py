"""bench/resends.py: which copies ``make faults`` reports as window resends, and the
evidence it reads: the SMTP sink's session log (a real aiosmtpd server and real client
processes, one SIGKILLed right after its 250) and Redis's keyspace notifications of the
accept marks (a real ``redis-server``)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time

import pytest

from bench.resends import Copy, Kill, LoggingSink, MarkWatcher, SessionLog, window_reason
from tests.ports import free_port_block

T = 1_000_000.0  # epoch seconds, for the made-up timelines


def _watched(*sets: tuple[float, str], up=((T - 100, None),)) -> MarkWatcher:
    """A watcher (not started) that saw these SETs and was subscribed over ``up``."""
    watcher = MarkWatcher("redis://127.0.0.1:1/0")
    watcher.sets = list(sets)
    watcher.up = [list(span) for span in up]
    return watcher


def _copies(later=None, quit=False, lost=T + 0.2) -> tuple[Copy, Copy]:
    session = SessionLog(port=40000, data_started=T - 0.05, quit=quit, lost_at=lost)
    first = Copy("<e.physician@inscope.local>", "d@x", T, 40000, T - 0.05, session, later)
    session.last_copy = first
    again_session = SessionLog(port=40001, data_started=T + 60.9, quit=True, lost_at=T + 62)
    again = Copy("<e.physician@inscope.local>", "d@x", T + 61, 40001, T + 60.9, again_session)
    return first, again


SESSION_PORTS = frozenset({40000})  # the killed worker held the first copy's session
KILL = Kill("notify", 4242, T + 0.05, T + 0.06, SESSION_PORTS)  # after the DATA, before the drop


def test_a_silent_session_dropped_by_a_kill_with_no_mark_is_a_window_resend():
    first, again = _copies()
    # The resend's own mark (after its 250) does not count against it.
    assert window_reason(first, again, [KILL], "d1", _watched((T + 61.01, "d1"))) is None
    # The kill may come before the sink took the message in (the sender wrote the dot,
    # then died; the server answered a dead socket): still the window.
    early = Kill("notify", 4242, T - 0.02, T - 0.01, SESSION_PORTS)
    assert window_reason(first, again, [early], "d1", _watched()) is None


@pytest.mark.parametrize(
    ("copies", "kills", "watcher", "why"),
    [
        ({"later": "MAIL"}, [KILL], _watched(), "went on (MAIL after its 250)"),
        ({"later": "QUIT", "quit": True}, [KILL], _watched(), "went on (QUIT"),
        ({"quit": True}, [KILL], _watched(), "ended with QUIT"),
        ({"lost": None}, [KILL], _watched(), "had not ended"),
        ({}, [], _watched(), "no notify process holding"),
        ({}, [Kill("intake", 1, T + 0.05, T + 0.06)], _watched(), "no notify process"),
        ({}, [Kill("notify", 1, T - 9, T - 8.9)], _watched(), "no notify process"),
        ({}, [Kill("notify", 1, T + 0.3, T + 0.31, SESSION_PORTS)], _watched(),
         "no notify process"),
        # A notify process killed in time, but not the one holding that session.
        ({}, [Kill("notify", 1, T + 0.05, T + 0.06, frozenset({40001, 5432}))], _watched(),
         "no notify process holding its session (client port 40000)"),
        ({}, [KILL], _watched((T + 0.001, "d1")), "accept mark was written +0.001 s"),
        ({}, [KILL], _watched(up=((T - 100, T + 30),)), "not subscribed throughout"),
        ({}, [KILL], _watched(up=((T + 1, None),)), "not subscribed throughout"),
    ],
)
def test_anything_else_is_a_duplicate_and_says_why(copies, kills, watcher, why):
    first, again = _copies(**copies)
    reason = window_reason(first, again, kills, "d1", watcher)
    assert reason is not None and why in reason, reason


def test_a_copy_no_delivery_row_carries_is_a_duplicate():
    first, again = _copies()
    assert "no delivery row" in window_reason(first, again, [KILL], None, _watched())


_CLIENT = """
import os, signal, smtplib, sys
port, how = int(sys.argv[1]), sys.argv[2]
smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
def message(n):
    return f"From: a@x\\r\\nTo: b@x\\r\\nMessage-ID: <m{n}.{how}@x>\\r\\n\\r\\nhi\\r\\n"
smtp.sendmail("a@x", ["b@x"], message(1))
if how == "killed":
    os.kill(os.getpid(), signal.SIGKILL)  # after the 250, before saying anything else
smtp.sendmail("a@x", ["b@x"], message(2))
smtp.quit()
"""


def test_the_sink_logs_what_each_session_said_after_its_250_and_how_it_ended():
    sink = LoggingSink("127.0.0.1", free_port_block(1))
    sink.start()
    try:
        for how in ("killed", "polite"):
            done = subprocess.run(
                [sys.executable, "-c", _CLIENT, str(sink.port), how], timeout=30, check=False
            )
            assert done.returncode == (-signal.SIGKILL if how == "killed" else 0)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(
            c.session.lost_at is not None for c in sink.copies
        ):
            time.sleep(0.02)
    finally:
        sink.stop()
    killed, first, second = sink.copies
    assert [c.message_id for c in sink.copies] == [
        "<m1.killed@x>",
        "<m1.polite@x>",
        "<m2.polite@x>",
    ]
    assert killed.later_command is None and not killed.session.quit
    assert killed.data_started <= killed.at <= killed.session.lost_at
    assert (first.later_command, second.later_command) == ("MAIL", "QUIT")
    assert first.session is second.session and second.session.quit
    assert killed.session.port != first.session.port


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_the_watcher_sees_every_accept_mark_and_the_gap_while_redis_is_down(tmp_path):
    from bench.faults import RedisServer
    from inscope_notify.accepts import AcceptMarks

    server = RedisServer(tmp_path)
    server.start()
    watcher = MarkWatcher(server.url).start()
    marks = AcceptMarks.from_url(server.url)
    try:
        before = time.time()
        assert marks.record("d1")
        deadline = time.monotonic() + 5
        while not watcher.sets and time.monotonic() < deadline:
            time.sleep(0.01)
        [(seen, delivery)] = watcher.sets
        assert delivery == "d1" and before <= seen
        assert watcher.set_before("d1", time.time()) == seen
        assert watcher.set_before("d1", before) is None
        server.stop()
        # The gap starts when the watcher sees its connection go, which can be a moment
        # after stop() has returned (it was flaky, about 1 run in 20, measuring from then).
        deadline = time.monotonic() + 5
        while watcher.up[-1][1] is None and time.monotonic() < deadline:
            time.sleep(0.01)
        down = time.time()
        time.sleep(0.3)
        assert not watcher.watching(down) and not watcher.watching(time.time())
        server.start()
        deadline = time.monotonic() + 10
        while not watcher.watching(time.time()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watcher.watching(time.time()) and not watcher.watching(before, time.time())
    finally:
        marks.close()
        watcher.stop()
        server.stop()


def test_a_kill_records_the_tcp_ports_of_the_process_and_its_children():
    """What ties a window resend to the kill: the client port the sink saw is among the
    local ports of the killed process or its descendants, read before the signal."""
    import socket

    import psutil

    from bench.faults import _tcp_ports

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = (
            "import socket, sys, time; "
            f"s = socket.create_connection(('127.0.0.1', {port})); "
            "print(s.getsockname()[1], flush=True); time.sleep(30)"
        )
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        try:
            client_port = int(child.stdout.readline())
            # As the parent (its descendants' sessions count) and as the child itself.
            assert client_port in _tcp_ports(psutil.Process())
            assert client_port in _tcp_ports(psutil.Process(child.pid))
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
