"""Which email copies ``make faults`` saw are SMTP's own window, and on what evidence.

An email received twice with the same Message-ID is a *window resend* when, and only
when, all of this was observed (each point on a clock the code under test does not
keep):

- the first copy's SMTP session carried no command from the client after the sink's
  250 to that DATA (no MAIL, RCPT, DATA, RSET, NOOP or QUIT): the sender never acted
  on the 250;
- that session then ended without QUIT (the connection dropped), and the notify worker
  process holding it (its client port among the local ports of the killed process and
  its descendants, read right before the signal) was SIGKILLed by the driver in
  between: after the session's DATA command (the sender was alive to send the message)
  and before the drop;
- Redis never had that delivery's accept mark (``inscope.notify.accepted:<id>``: the
  watcher below sees every SET of one through keyspace notifications) before the
  second copy came, and the watcher was subscribed the whole time.

That is the window docs/notifications.md describes: the server had the message, the
sender died before its accept was on record, so the row, left ``sending``, was taken
back after its claim and sent again. Anything else is a duplicate: a copy resent although
the mark was written (a bug), one whose first session went on or ended with QUIT, one
with no kill to explain it, or one the watcher could not see (it was not subscribed, as
while Redis restarts: no evidence is no excuse).
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

ACCEPT_PREFIX = "inscope.notify.accepted:"  # inscope_notify.accepts.PREFIX


@dataclass
class SessionLog:
    """One SMTP connection, as the sink saw it (epoch seconds)."""

    port: int
    data_started: float | None = None  # the last DATA command's arrival
    last_copy: Copy | None = None
    quit: bool = False
    lost_at: float | None = None  # the connection gone (after QUIT, or dropped)


@dataclass
class Copy:
    """One message the sink accepted."""

    message_id: str
    to: str
    at: float  # epoch seconds: the whole message in, right before the 250 goes out
    port: int
    data_started: float  # the DATA command of this message
    session: SessionLog
    # The client's first command on this session after this copy's 250, if any.
    later_command: str | None = None


@dataclass(frozen=True)
class Kill:
    """One SIGKILL the driver sent: to which service's process, and when (epoch
    seconds just before the signal and right after it returned)."""

    service: str
    pid: int
    started: float
    returned: float
    # The local TCP ports of the process and its descendants right before the signal:
    # which SMTP sessions (by the client port the sink saw) the kill cut.
    ports: frozenset[int] = frozenset()


def smtp_class():
    """aiosmtpd's SMTP with a log of each session: when DATA came, what the client said
    after each 250, and how the session ended."""
    from aiosmtpd.smtp import SMTP

    class LoggedSMTP(SMTP):
        def _log(self) -> SessionLog:
            session = self.session
            log = getattr(session, "bench_log", None)
            if log is None:
                peer = session.peer[1] if isinstance(session.peer, tuple) else 0
                log = session.bench_log = SessionLog(peer)
            return log

        def _said(self, command: str) -> SessionLog:
            log = self._log()
            if log.last_copy is not None and log.last_copy.later_command is None:
                log.last_copy.later_command = command
            return log

        async def smtp_MAIL(self, arg):  # noqa: N802 - aiosmtpd API
            self._said("MAIL")
            await super().smtp_MAIL(arg)

        async def smtp_RCPT(self, arg):  # noqa: N802
            self._said("RCPT")
            await super().smtp_RCPT(arg)

        async def smtp_RSET(self, arg):  # noqa: N802
            self._said("RSET")
            await super().smtp_RSET(arg)

        async def smtp_NOOP(self, arg):  # noqa: N802
            self._said("NOOP")
            await super().smtp_NOOP(arg)

        async def smtp_DATA(self, arg):  # noqa: N802
            self._said("DATA").data_started = time.time()
            await super().smtp_DATA(arg)

        async def smtp_QUIT(self, arg):  # noqa: N802
            self._said("QUIT").quit = True
            await super().smtp_QUIT(arg)

        def connection_lost(self, error):
            if self.session is not None:
                self._log().lost_at = time.time()
            super().connection_lost(error)

    return LoggedSMTP


class LoggingSink:
    """The aiosmtpd handler and controller: every accepted message as a ``Copy``."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.copies: list[Copy] = []
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        at = time.time()
        message = message_from_bytes(envelope.content, policy=policy.default)
        log = server._log()
        copy = Copy(
            str(message["Message-ID"]),
            str(message["To"]).lower(),
            at,
            log.port,
            log.data_started if log.data_started is not None else at,
            log,
        )
        log.last_copy = copy
        with self.lock:
            self.copies.append(copy)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        logged = smtp_class()

        class LoggedController(Controller):
            def factory(self):
                return logged(self.handler, **self.SMTP_kwargs)

        self.controller = LoggedController(self, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


class MarkWatcher:
    """Every SET of an accept mark, seen through Redis keyspace notifications (the
    server runs with ``notify-keyspace-events K$``), timed on arrival; and when the
    subscription was up. A thread; it subscribes again after Redis comes back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sets: list[tuple[float, str]] = []  # (epoch seconds seen, delivery id)
        self.up: list[list[float | None]] = []  # [subscribed at, lost at or None]
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mark-watcher", daemon=True)

    def start(self, timeout: float = 10.0) -> MarkWatcher:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.watching(time.time()):
            if time.monotonic() > deadline:
                raise RuntimeError("the accept-mark watcher did not subscribe")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        pattern = f"__keyspace@*__:{ACCEPT_PREFIX}*"
        while not self._stop.is_set():
            # No retries: a lost connection must show as a gap, not be healed unseen.
            client = redis.Redis.from_url(
                self.url, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
            )
            pubsub = client.pubsub()
            span: list[float | None] | None = None
            try:
                pubsub.psubscribe(pattern)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.2)
                    if message is None:
                        continue
                    now = time.time()
                    if message["type"] == "psubscribe":
                        span = [now, None]
                        with self.lock:
                            self.up.append(span)
                    elif message["type"] == "pmessage" and message["data"] == b"set":
                        key = message["channel"].decode().split(":", 1)[1]
                        with self.lock:
                            self.sets.append((now, key.removeprefix(ACCEPT_PREFIX)))
            except (redis.RedisError, OSError):
                pass
            finally:
                if span is not None:
                    with self.lock:
                        span[1] = time.time()
                with contextlib.suppress(Exception):
                    pubsub.close()
                client.close()
            self._stop.wait(0.2)

    def watching(self, at: float, until: float | None = None) -> bool:
        """Whether the subscription was up from ``at`` to ``until`` (or at ``at``)."""
        until = at if until is None else until
        with self.lock:
            return any(start <= at and (end is None or end >= until) for start, end in self.up)

    def set_before(self, delivery_id: str, before: float) -> float | None:
        """When the first SET of this delivery's mark was seen, if before ``before``."""
        with self.lock:
            seen = [at for at, key in self.sets if key == delivery_id and at < before]
        return min(seen) if seen else None


def window_reason(
    first: Copy,
    again: Copy,
    kills: list[Kill],
    delivery_id: str | None,
    watcher: MarkWatcher,
    service: str = "notify",
) -> str | None:
    """None when ``again`` (the same Message-ID, received later) is a window resend of
    ``first``; otherwise why it is a duplicate."""
    if first.later_command is not None:
        return f"the earlier copy's session went on ({first.later_command} after its 250)"
    session = first.session
    if session.quit:
        return "the earlier copy's session ended with QUIT"
    if session.lost_at is None:
        return "the earlier copy's session had not ended when the copy came"
    killed = [
        k
        for k in kills
        if k.service == service
        and k.returned >= first.data_started
        and k.started <= session.lost_at
        and first.port in k.ports
    ]
    if not killed:
        return (
            f"no notify process holding its session (client port {first.port}) was "
            "SIGKILLed between its DATA and its session's end"
        )
    if delivery_id is None:
        return "no delivery row carries that Message-ID"
    if not watcher.watching(first.data_started, again.at):
        return "the accept-mark watcher was not subscribed throughout"
    marked = watcher.set_before(delivery_id, again.at)
    if marked is not None:
        return f"its accept mark was written {marked - first.at:+.3f} s from the earlier copy"
    return None
