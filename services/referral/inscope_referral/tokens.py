"""Signed, expiring answer tokens: a physician's key to one referral, no account needed.

The payload binds the referral id and that referral's random nonce; the signature
(HMAC-SHA256 over payload and timestamp, keyed by REFERRAL_TOKEN_SECRET and a salt of
its own) makes both unforgeable. A token therefore opens exactly one referral, and
rotating the nonce revokes every token issued for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

# Changing the salt invalidates every token in circulation; bump the version on purpose.
SALT = "inscope.referral.answer-token.v1"
CSRF_SALT = b"inscope.referral.answer-form.v1"
# The short link (issue 9 item 2: the long link broke the email's layout): 33 bytes,
# 44 characters: the referral id (16), the channel (1), the issue time (4) and 12 bytes
# (96 bits) of HMAC-SHA256 over those and the referral's nonce. Checking it needs the
# nonce, so the referral is read first (:func:`inscope_referral.referrals._read_token`).
LINK_SALT = b"inscope.referral.answer-link.v1"
LINK_LENGTH = 44

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


@dataclass(frozen=True)
class ShortLink:
    referral_id: str
    channel: str
    issued_at: int
    head: bytes
    mac: bytes


def is_short(token: str) -> bool:
    return len(token) == LINK_LENGTH and "." not in token


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

    def issue_short(
        self, referral_id: str, nonce: str, *, channel: str = EMAILED, clock: Clock | None = None
    ) -> str:
        """The short form of :meth:`issue` (a referral id that is a UUID)."""
        head = (
            uuid.UUID(referral_id).bytes
            + bytes([CHANNELS.index(channel)])
            + int((clock or self._clock)()).to_bytes(4, "big")
        )
        return base64.urlsafe_b64encode(head + self._link_mac(head, nonce)).decode()

    def open_short(self, token: str) -> ShortLink:
        """What a short link names, unchecked; raises TokenInvalid if it cannot be one."""
        try:
            raw = base64.urlsafe_b64decode(token.encode())
        except (binascii.Error, ValueError) as exc:
            raise TokenInvalid("not a short link") from exc
        if len(raw) != 33 or raw[16] >= len(CHANNELS):
            raise TokenInvalid("not a short link")
        return ShortLink(
            str(uuid.UUID(bytes=raw[:16])),
            CHANNELS[raw[16]],
            int.from_bytes(raw[17:21], "big"),
            raw[:21],
            raw[21:],
        )

    def check_short(self, link: ShortLink, nonce: str) -> AnswerClaim:
        """The claim of a short link, given its referral's nonce; raises TokenInvalid
        or TokenExpired."""
        if not hmac.compare_digest(link.mac, self._link_mac(link.head, nonce)):
            raise TokenInvalid("bad signature")
        if self._clock() - link.issued_at > self.max_age_s:
            raise TokenExpired("link expired")
        return AnswerClaim(link.referral_id, nonce, link.channel)

    def _link_mac(self, head: bytes, nonce: str) -> bytes:
        return hmac.new(self._secret, LINK_SALT + head + nonce.encode(), hashlib.sha256).digest()[
            :12
        ]

    def form_key(self, token: str) -> str:
        """The value the answer form carries back: derived from the token, so only a
        page rendered for this token can produce it (see docs/physician-loop.md)."""
        return hmac.new(self._secret, CSRF_SALT + token.encode(), hashlib.sha256).hexdigest()

    def form_key_matches(self, token: str, value: str) -> bool:
        return hmac.compare_digest(self.form_key(token), value or "")
