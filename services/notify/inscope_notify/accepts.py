"""What the SMTP server accepted, written to Redis the moment it says 250.

The delivery row records the accept too, but that UPDATE waits for the database's write
lock (SQLite serialises writers), so a worker killed after the 250 and before the commit
left a row ``sending`` that the sweep then sent again (seen in ``make faults``). One
Redis SET waits on nothing: a row taken back from a dead worker is first looked up here,
and an accepted one is recorded as sent instead of resent.

The write is armed before the SMTP transaction (``arm``): a connection checked out of
the pool, connected and found clean (a first use in a forked pool child, or one after a
Redis restart, connects and says its handshake here: milliseconds, no longer between the
server's 250 and the mark), and the SET command packed. On the 250, ``fire`` hands those
bytes to the kernel (one ``sendall``) and then reads Redis's OK. Once ``sendall`` has
returned, a SIGKILL no longer stops the mark: the kernel sends a dead process's queued
bytes before its FIN (docs/notifications.md, "The window that remains").

Redis unavailable when the mark is armed or written: nothing is written, and the old
window applies (never worse: the row's own commit records the accept at once).
Unavailable when it is looked up: the answer is "unknown", and the sender waits for a
later attempt rather than risk sending an accepted message again.
"""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from inscope_common.logs import get_logger

log = get_logger(__name__)

PREFIX = "inscope.notify.accepted:"
# Long past any claim: a row left sending is taken back within minutes.
KEEP_S = 7 * 24 * 3600


class ArmedMark:
    """One delivery's accept mark, ready to go: ``fire`` on the server's 250 (once);
    leaving the ``with`` (or ``release``) gives the connection back to the pool."""

    __slots__ = ("conn", "delivery_id", "marks", "packed")

    def __init__(self, marks: AcceptMarks, delivery_id: str, conn, packed) -> None:
        self.marks = marks
        self.delivery_id = delivery_id
        self.conn = conn  # None: Redis did not answer when armed; fire writes nothing
        self.packed = packed

    def fire(self) -> bool:
        """True once Redis has the mark; False (logged) when it did not take it."""
        conn = self.conn
        if conn is None:
            log.warning("accept mark not written", delivery_id=self.delivery_id, error="unarmed")
            return False
        try:
            # The mark is on its way once this returns; the reply only confirms it.
            conn.send_packed_command(self.packed, check_health=False)
            conn.read_response()
        except redis.RedisError as exc:
            log.warning("accept mark not written", delivery_id=self.delivery_id, error=str(exc))
            return False
        return True

    def release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            self.marks.client.connection_pool.release(conn)

    def __enter__(self) -> ArmedMark:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class AcceptMarks:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: str, timeout_s: float = 0.2) -> AcceptMarks:
        return cls(
            redis.Redis.from_url(
                url,
                socket_connect_timeout=timeout_s,
                socket_timeout=timeout_s,
                retry=Retry(NoBackoff(), 0),
            )
        )

    def arm(self, delivery_id: str) -> ArmedMark:
        """Before the SMTP transaction: a live connection and the packed SET, so that
        the server's 250 is followed by one ``sendall`` and nothing else of ours."""
        pool = self.client.connection_pool
        try:
            conn = pool.get_connection()  # connected, and found clean (else reconnected)
        except redis.RedisError as exc:
            log.warning("accept mark not armed", delivery_id=delivery_id, error=str(exc))
            return ArmedMark(self, delivery_id, None, None)
        packed = conn.pack_command("SET", PREFIX + delivery_id, "1", "EX", KEEP_S)
        return ArmedMark(self, delivery_id, conn, packed)

    def record(self, delivery_id: str) -> bool:
        """Arm and fire at once (a caller that has no time to spare before the 250)."""
        with self.arm(delivery_id) as armed:
            return armed.fire()

    def was_accepted(self, delivery_id: str) -> bool | None:
        """Whether the server accepted this delivery; None when Redis cannot say."""
        try:
            return bool(self.client.exists(PREFIX + delivery_id))
        except redis.RedisError as exc:
            log.warning("accept mark not readable", delivery_id=delivery_id, error=str(exc))
            return None

    def close(self) -> None:
        self.client.close()
