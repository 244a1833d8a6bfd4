"""Signed, expiring answer tokens: a physician's key to one referral, no account needed.

The payload binds the referral id and that referral's random nonce; the signature
(HMAC-SHA256 over payload and timestamp, keyed by REFERRAL_TOKEN_SECRET and a salt of
its own) makes both unforgeable. A token therefore opens exactly one referral, and
rotating the nonce revokes every token issued for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

# Changing the salt invalidates every token in circulation; bump the version on purpose.
SALT = "inscope.referral.answer-token.v1"
CSRF_SALT = b"inscope.referral.answer-form.v1"

Clock = Callable[[], float]


class TokenExpired(Exception):
    """Correctly signed, but older than the allowed age."""


class TokenInvalid(Exception):
    """Not a token we signed: tampered, truncated or made with another secret."""


# How the link reached whoever opens it: in the letter emailed to the clinician, or in
# the letter the client was given to carry (no consent to share, or no clinician email).
# An answer through a carried letter is unverified until staff confirm it with the
# clinician (DEC-7, issue 9 item 3).
EMAILED = "emailed_link"
CARRIED = "client_carried_letter"
CHANNELS = (EMAILED, CARRIED)


@dataclass(frozen=True)
class AnswerClaim:
    referral_id: str
    nonce: str
    channel: str = EMAILED


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class _ClockedSigner(TimestampSigner):
    """itsdangerous' timestamp signer with an injectable clock (tests freeze time)."""

    def __init__(self, *args: Any, clock: Clock = time.time, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class AnswerTokens:
    def __init__(self, secret: str, max_age_s: int, clock: Clock = time.time) -> None:
        self._secret = secret.encode()
        self.max_age_s = max_age_s
        self._clock = clock

    def _serializer(self, clock: Clock) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self._secret,
            salt=SALT,
            signer=_ClockedSigner,
            signer_kwargs={"clock": clock, "digest_method": hashlib.sha256},
        )

    def issue(
        self, referral_id: str, nonce: str, *, channel: str = EMAILED, clock: Clock | None = None
    ) -> str:
        payload = {"r": referral_id, "n": nonce}
        if channel != EMAILED:  # links issued before channels existed read as emailed
            payload["c"] = channel
        return self._serializer(clock or self._clock).dumps(payload)

    def read(self, token: str) -> AnswerClaim:
        """The referral a token names; raises TokenExpired or TokenInvalid."""
        try:
            payload = self._serializer(self._clock).loads(token, max_age=self.max_age_s)
        except SignatureExpired as exc:
            raise TokenExpired(str(exc)) from exc
        except BadData as exc:
            raise TokenInvalid(str(exc)) from exc
        if not (
            isinstance(payload, dict)
            and isinstance(payload.get("r"), str)
            and isinstance(payload.get("n"), str)
        ):
            raise TokenInvalid("unexpected payload")
        channel = payload.get("c", EMAILED)
        if channel not in CHANNELS:
            raise TokenInvalid("unexpected channel")
        return AnswerClaim(payload["r"], payload["n"], channel)

    def form_key(self, token: str) -> str:
        """The value the answer form carries back: derived from the token, so only a
        page rendered for this token can produce it (see docs/physician-loop.md)."""
        return hmac.new(self._secret, CSRF_SALT + token.encode(), hashlib.sha256).hexdigest()

    def form_key_matches(self, token: str, value: str) -> bool:
        return hmac.compare_digest(self.form_key(token), value or "")
