"""Revocation of staff credentials, checked by every service on every request.

Credentials stay signed and self-contained (inscope_common.auth); what can end them
before their expiry is a small revocation list:

- ``cred:<id>``: one session (sign-out) or one API token (an admin revoked it), until
  the credential would have expired anyway;
- ``account:<id>``: every credential of an account issued before a moment (the account
  was stopped, its role changed, or its password reset), kept for the longest life a
  credential can have.

The referral service (the staff hub, where accounts live) keeps the list in its
database and copies it to one Redis hash (``inscope:auth:revoked``) on every change and
at start-up. Every other service reads that hash, at most once per
``INSCOPE_REVOCATION_CACHE_S`` (2 s by default), and keeps its last good copy when Redis
does not answer: a revocation made before a broker outage keeps holding through it; one
made during the outage reaches the other services when the broker is back (the referral
service itself reads its database and is never behind). Services never import each
other: the hash is the contract.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis

REDIS_KEY = "inscope:auth:revoked"

_log = logging.getLogger("inscope.auth")


@dataclass(frozen=True)
class Revocation:
    """One entry: ``before`` only for an account (credentials issued before it end)."""

    key: str
    until: float
    before: float | None = None

    def to_json(self) -> str:
        return json.dumps({"until": self.until, "before": self.before})

    @classmethod
    def from_json(cls, key: str, raw: str | bytes) -> Revocation | None:
        try:
            data = json.loads(raw)
            before = data.get("before")
            return cls(key, float(data["until"]), float(before) if before is not None else None)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def credential_key(credential_id: str) -> str:
    return f"cred:{credential_id}"


def account_key(account_id: str) -> str:
    return f"account:{account_id}"


Source = Callable[[], Mapping[str, Revocation]]


class RevocationList:
    """A service's cached view of the revocation list."""

    def __init__(self, source: Source, cache_s: float = 2.0) -> None:
        self._source = source
        self.cache_s = cache_s
        self._entries: dict[str, Revocation] = {}
        self._read_at = float("-inf")
        self._good_at = float("-inf")
        self._lock = threading.Lock()
        self._warned_at = float("-inf")

    def set_source(self, source: Source) -> None:
        with self._lock:
            self._source = source
            self._read_at = float("-inf")

    def refresh(self) -> None:
        """Read the list again now (after a change this process made, say)."""
        with self._lock:
            self._read_at = float("-inf")

    def _current(self) -> dict[str, Revocation]:
        now = time.monotonic()
        with self._lock:
            if now - self._read_at < self.cache_s:
                return self._entries
            try:
                self._entries = dict(self._source())
                self._read_at = self._good_at = now
            except Exception as exc:  # noqa: BLE001 - keep the last good copy, say so
                # Try again after the cache time, not on every request meanwhile.
                self._read_at = now
                if now - self._warned_at > 60:
                    self._warned_at = now
                    _log.warning(
                        "revocation list unreadable, using the copy of %.0f s ago: %s",
                        now - self._good_at if self._good_at > float("-inf") else -1,
                        type(exc).__name__,
                    )
            return self._entries

    def is_revoked(self, account_id: str, credential_id: str, issued_at: float) -> bool:
        entries = self._current()
        now = time.time()
        if credential_id:
            entry = entries.get(credential_key(credential_id))
            if entry is not None and entry.until > now:
                return True
        entry = entries.get(account_key(account_id))
        return bool(
            entry is not None
            and entry.until > now
            and entry.before is not None
            and issued_at < entry.before
        )


def redis_source(redis_url: str) -> Source:
    """The shared hash, as every service but the staff hub reads it."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=0.3, socket_timeout=0.3)

    def read() -> dict[str, Revocation]:
        raw = client.hgetall(REDIS_KEY)
        entries = {}
        for key, value in raw.items():
            name = key.decode() if isinstance(key, bytes) else str(key)
            entry = Revocation.from_json(name, value)
            if entry is not None:
                entries[name] = entry
        return entries

    return read


def publish(redis_url: str, entries: Mapping[str, Revocation]) -> bool:
    """Write the whole current list to the shared hash (small: only unexpired entries).

    Returns False when Redis did not answer (the caller's database still has the list;
    the next change or start-up writes it again)."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        pipe = client.pipeline(transaction=True)
        pipe.delete(REDIS_KEY)
        if entries:
            pipe.hset(REDIS_KEY, mapping={k: e.to_json() for k, e in entries.items()})
        pipe.execute()
        return True
    except redis.RedisError as exc:
        _log.warning("revocation list not copied to the broker: %s", type(exc).__name__)
        return False
    finally:
        client.close()
