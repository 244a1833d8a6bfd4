"""Signed events (issue 12 item 6): who may put an event on the bus.

Every envelope carries two extension attributes: ``signaturekeyid`` (which key signed
it) and ``signature``, an HMAC-SHA256 (base64url, unpadded) over the envelope's
canonical JSON: every attribute but ``signature`` itself (so the key id is signed too),
keys sorted, no spaces, UTF-8. The publisher signs when it stages the event in its
outbox (:func:`inscope_common.outbox.add_event`), so the outbox row, the broker message,
a scheduled retry and a dead letter all hold the same signed bytes. A consumer verifies
before it parses, and an unsigned, unknown-key or wrongly signed event goes to its dead
letters, never to a handler (inscope_common.consumer).

Keys come from ``INSCOPE_EVENT_KEYS``: ``kid:secret[,kid:secret...]``. The first key
signs; every listed key verifies, which is how a key is rotated without losing events in
flight (docs/accounts-and-security.md, "Signed events"). The ring is one shared secret
per deployment: it stops anyone who can reach the broker but holds no key (the forged
``referral.decided`` of issue 12); it does not stop a compromised service from signing
as another one (per-publisher Ed25519 keys would, with item 1's per-service identities).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ALGORITHM = "HMAC-SHA256"
SIGNATURE = "signature"
KEY_ID = "signaturekeyid"
_KID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class SignatureError(ValueError):
    """An event that is unsigned, signed with an unknown key, or whose signature does
    not match its content (forged or altered): never handled."""


class EventKeysError(ValueError):
    """INSCOPE_EVENT_KEYS is not a list of ``kid:secret`` entries."""


@dataclass(frozen=True)
class EventKeys:
    """The key ring: ``signing`` (its id) signs, every key in ``keys`` verifies."""

    signing: str
    keys: Mapping[str, str]

    @classmethod
    def parse(cls, raw: str) -> EventKeys:
        """``kid:secret[,kid:secret...]``; the first entry signs."""
        keys: dict[str, str] = {}
        for entry in (part.strip() for part in raw.split(",")):
            kid, sep, secret = entry.partition(":")
            if not sep or not kid or not secret:
                raise EventKeysError(
                    "INSCOPE_EVENT_KEYS must be kid:secret[,kid:secret...], "
                    f"got an entry without both ({kid or '(empty)'!r})"
                )
            if not set(kid) <= _KID_CHARS or len(kid) > 32:
                raise EventKeysError(
                    f"INSCOPE_EVENT_KEYS key id {kid!r}: letters, digits, - _ . only, "
                    "at most 32 characters"
                )
            if kid in keys:
                raise EventKeysError(f"INSCOPE_EVENT_KEYS names key id {kid!r} twice")
            keys[kid] = secret
        return cls(signing=next(iter(keys)), keys=keys)

    def sign(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``event`` signed with the signing key (any old signature replaced)."""
        signed = {k: v for k, v in event.items() if k not in (SIGNATURE, KEY_ID)}
        signed[KEY_ID] = self.signing
        signed[SIGNATURE] = _mac(self.keys[self.signing], signed)
        return signed

    def verify(self, envelope: Any) -> None:
        """Raise SignatureError unless ``envelope`` is signed by one of our keys."""
        if not isinstance(envelope, Mapping):
            raise SignatureError("not an event envelope: nothing to verify")
        kid, value = envelope.get(KEY_ID), envelope.get(SIGNATURE)
        if not kid or not value:
            raise SignatureError("unsigned event: no signature or key id")
        secret = self.keys.get(kid) if isinstance(kid, str) else None
        if secret is None:
            raise SignatureError(f"signed with an unknown key id {str(kid)[:40]!r}")
        if not isinstance(value, str) or not hmac.compare_digest(
            value, _mac(secret, envelope)
        ):
            raise SignatureError(
                f"signature does not match the content for key id {kid!r}: forged or altered"
            )


def canonical_json(envelope: Mapping[str, Any]) -> bytes:
    """What is signed: every attribute but the signature, keys sorted, no spaces."""
    content = {k: v for k, v in envelope.items() if k != SIGNATURE}
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def _mac(secret: str, envelope: Mapping[str, Any]) -> str:
    digest = hmac.new(secret.encode("utf-8"), canonical_json(envelope), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")
