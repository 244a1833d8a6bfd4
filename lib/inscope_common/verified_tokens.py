"""A bounded per-process memory of credentials this process has already verified.

Every staff request and every service-to-service read carries a JSON Web Token signed
with Ed25519; the bench's clients, a page's session and notify's contact reads send the
same token again and again. Verifying it (base64, JSON, the signature, the claims) was
a tenth of POST /intakes' CPU (issue 13). What a verification proves does not change
while the token lives: the signature and issuer, audience and type are facts of the
exact token text and the key it was checked with, and a token not yet valid (``iat``,
``nbf``) or not expired is refused or admitted the same way later, except for its
expiry. So the verified claims are kept, keyed by the exact token text, and a kept
token is admitted again only while ``exp`` is in the future: the same test PyJWT
makes (``exp <= now`` is expired, no leeway).

Only tokens that passed the full verification are kept (a forged or expired one is
verified, and refused, every time), at most ``size`` of them (the oldest go first).
Revocation, the idle timeout and roles are not decided here: the callers check them on
every request as before (inscope_common.auth).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

DEFAULT_SIZE = 1024


def _now() -> float:
    return time.time()


class VerifiedTokens:
    """``key`` (the exact token, with whatever else its verification depended on) ->
    the claims the verification returned, until their ``exp``."""

    def __init__(self, size: int = DEFAULT_SIZE, clock: Callable[[], float] | None = None) -> None:
        self.size = size
        self._clock = clock or _now
        self._entries: dict[Hashable, tuple[Any, int]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The claims kept for ``key``, or None (never verified here, or expired since)."""
        found = self._entries.get(key)
        if found is None:
            return None
        claims, exp = found
        if exp <= self._clock():
            with self._lock:
                self._entries.pop(key, None)
            return None
        return claims

    def put(self, key: Hashable, claims: Any, exp: Any) -> None:
        """Keep the claims of a token that passed verification, with its ``exp``."""
        try:
            expires = int(exp)  # as PyJWT reads it
        except (TypeError, ValueError, OverflowError):
            return
        with self._lock:
            while len(self._entries) >= self.size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (claims, expires)

    def __len__(self) -> int:
        return len(self._entries)
