"""What the SMTP server accepted, written to Redis the moment it says 250.

The delivery row records the accept too, but that UPDATE waits for the database's write
lock (SQLite serialises writers), so a worker killed after the 250 and before the commit
left a row ``sending`` that the sweep then sent again (seen in ``make faults``). One
Redis SET is sub-millisecond and waits on nothing: a row taken back from a dead worker
is first looked up here, and an accepted one is recorded as sent instead of resent.
Redis unavailable when the mark is written: nothing is written, and the old window
applies (never worse). Unavailable when it is looked up: the answer is "unknown", and
the sender waits for a later attempt rather than risk sending an accepted message again.
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

    def record(self, delivery_id: str) -> bool:
        """True once the mark is in Redis; False (logged) when Redis did not take it."""
        try:
            self.client.set(PREFIX + delivery_id, "1", ex=KEEP_S)
        except redis.RedisError as exc:
            log.warning("accept mark not written", delivery_id=delivery_id, error=str(exc))
            return False
        return True

    def was_accepted(self, delivery_id: str) -> bool | None:
        """Whether the server accepted this delivery; None when Redis cannot say."""
        try:
            return bool(self.client.exists(PREFIX + delivery_id))
        except redis.RedisError as exc:
            log.warning("accept mark not readable", delivery_id=delivery_id, error=str(exc))
            return None

    def close(self) -> None:
        self.client.close()
