"""Signed events (issue 12 item 6): who may put an event on the bus, and as whom.

Every envelope carries two extension attributes: ``signaturekeyid`` (which key signed
it) and ``signature``, an Ed25519 signature (base64url, unpadded) over the envelope's
canonical JSON: every attribute but ``signature`` itself (so the key id is signed too),
keys sorted, no spaces, UTF-8. The publisher signs when it stages the event in its
outbox (:func:`inscope_common.outbox.add_event`), so the outbox row, the broker message,
a scheduled retry and a dead letter all hold the same signed bytes. A consumer verifies
before it parses, and an unsigned, unknown-key or wrongly signed event goes to its dead
letters, never to a handler (inscope_common.consumer).

Per publisher: each service signs with its **own private key**
(``INSCOPE_EVENT_SIGNING_KEY=kid:KEY``, given to that service's processes only) and
every consumer holds the publishers' **public keys**
(``INSCOPE_EVENT_PUBLIC_KEYS=service:kid:KEY[,...]``). An event is checked against the
keys of the service its ``source`` names (``/inscope/<service>``), and that service must
be the one that publishes its type (:data:`inscope_common.events.routing.PUBLISHERS`):
a compromised intake can sign only as intake, so it cannot forge ``referral.decided``
(signed with intake's key it fails the referral key check; claiming intake as its
source it fails the publisher check). Rotation: a publisher's new public key is added
to every process's list, then the publisher's private key is switched, then the old
public key is removed once nothing signed with it is left
(docs/accounts-and-security.md, "Signed events").

Keys are raw Ed25519 keys, base64url without padding (a private key is its 32-byte
seed). ``python -m inscope_common.events.signing keygen SERVICE [KID]`` makes a pair.
Development (``make run``, the tests) uses keys derived from public seeds
(:func:`dev_signing_key`): refused outside development mode, like every public secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from inscope_common.events.routing import PUBLISHERS

ALGORITHM = "Ed25519"
SIGNATURE = "signature"
KEY_ID = "signaturekeyid"
SOURCE_PREFIX = "/inscope/"
SERVICES = ("intake", "assessment", "referral", "notify")
SIGNING_VARIABLE = "INSCOPE_EVENT_SIGNING_KEY"
PUBLIC_VARIABLE = "INSCOPE_EVENT_PUBLIC_KEYS"
_KID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class SignatureError(ValueError):
    """An event that is unsigned, signed with a key its publisher does not hold, claims
    a publisher that does not publish its type, or whose signature does not match its
    content (forged or altered): never handled."""


class EventKeysError(ValueError):
    """An event key setting that is not what it must be."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_public(key: Ed25519PrivateKey) -> str:
    return _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def private_key(text: str, variable: str = SIGNING_VARIABLE) -> Ed25519PrivateKey:
    try:
        seed = _unb64(text.strip())
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise EventKeysError(
            f"{variable}: not an Ed25519 private key (base64url of 32 bytes); make one with "
            "`python -m inscope_common.events.signing keygen SERVICE`"
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(text: str, variable: str = PUBLIC_VARIABLE) -> Ed25519PublicKey:
    try:
        raw = _unb64(text.strip())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise EventKeysError(f"{variable}: not an Ed25519 public key (base64url of 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(raw)


def _kid(kid: str, variable: str) -> str:
    if not kid or not set(kid) <= _KID_CHARS or len(kid) > 32:
        raise EventKeysError(
            f"{variable}: key id {kid!r} must be 1 to 32 letters, digits, - _ . characters"
        )
    return kid


def dev_signing_key(service: str) -> str:
    """DEV ONLY: the service's private key, derived from a seed published here."""
    return _b64(hashlib.sha256(f"inscope-dev-event-key:{service}".encode()).digest())


def dev_public_key(service: str) -> str:
    return _raw_public(private_key(dev_signing_key(service)))


def dev_public_keys() -> str:
    """DEV ONLY: INSCOPE_EVENT_PUBLIC_KEYS with every service's development key."""
    return ",".join(f"{s}:dev-{s}:{dev_public_key(s)}" for s in SERVICES)


def publisher_of(envelope: Mapping[str, Any]) -> str | None:
    source = envelope.get("source")
    if isinstance(source, str) and source.startswith(SOURCE_PREFIX):
        return source[len(SOURCE_PREFIX) :] or None
    return None


@dataclass(frozen=True)
class EventKeys:
    """This service's signing key and every publisher's public keys."""

    service: str
    signing_kid: str
    signing_text: str  # the private key as configured (checked as a secret)
    public_texts: Mapping[tuple[str, str], str]  # (publisher, kid) -> key as configured
    _private: Ed25519PrivateKey = field(repr=False, compare=False)
    _public: Mapping[tuple[str, str], Ed25519PublicKey] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, service: str, signing: str, public: str) -> EventKeys:
        """``signing``: ``kid:KEY``; ``public``: ``service:kid:KEY[,service:kid:KEY...]``.
        This service's own public key must be listed under its key id."""
        kid, sep, text = signing.strip().partition(":")
        if not sep:
            raise EventKeysError(f"{SIGNING_VARIABLE} must be kid:KEY")
        private = private_key(text)
        texts: dict[tuple[str, str], str] = {}
        for entry in (part.strip() for part in public.split(",") if part.strip()):
            publisher, _, rest = entry.partition(":")
            pkid, sep, key_text = rest.partition(":")
            if not sep or not publisher:
                raise EventKeysError(
                    f"{PUBLIC_VARIABLE} must be service:kid:KEY[,...], got {entry[:40]!r}"
                )
            at = (publisher, _kid(pkid, PUBLIC_VARIABLE))
            if at in texts:
                raise EventKeysError(f"{PUBLIC_VARIABLE} names {publisher}:{pkid} twice")
            texts[at] = key_text.strip()
        keys = {at: public_key(text_, f"{PUBLIC_VARIABLE}[{at[0]}:{at[1]}]")
                for at, text_ in texts.items()}  # fmt: skip
        own = (service, _kid(kid, SIGNING_VARIABLE))
        if texts.get(own) != _raw_public(private):
            raise EventKeysError(
                f"{PUBLIC_VARIABLE} must list this service's own public key as "
                f"{service}:{kid}:{_raw_public(private)} (the pair of {SIGNING_VARIABLE})"
            )
        return cls(service, kid, text.strip(), texts, private, keys)

    @classmethod
    def development(cls, service: str) -> EventKeys:
        return cls.parse(service, f"dev-{service}:{dev_signing_key(service)}", dev_public_keys())

    def sign(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``event`` signed with this service's key (any old signature replaced)."""
        signed = {k: v for k, v in event.items() if k not in (SIGNATURE, KEY_ID)}
        signed[KEY_ID] = self.signing_kid
        signed[SIGNATURE] = _b64(self._private.sign(canonical_json(signed)))
        return signed

    def verify(self, envelope: Any) -> None:
        """Raise SignatureError unless ``envelope`` is signed by the key of the service
        that publishes its type."""
        if not isinstance(envelope, Mapping):
            raise SignatureError("not an event envelope: nothing to verify")
        kid, value = envelope.get(KEY_ID), envelope.get(SIGNATURE)
        if not kid or not value:
            raise SignatureError("unsigned event: no signature or key id")
        publisher = publisher_of(envelope)
        if publisher is None:
            raise SignatureError("no publisher: the source is not /inscope/<service>")
        owner = PUBLISHERS.get(str(envelope.get("type")))
        if owner is not None and owner != publisher:
            raise SignatureError(
                f"{str(envelope.get('type'))[:60]} is published by {owner}, "
                f"not {publisher[:40]}: refused"
            )
        key = self._public.get((publisher, kid)) if isinstance(kid, str) else None
        if key is None:
            raise SignatureError(
                f"signed with key id {str(kid)[:40]!r}, which is not a key of {publisher[:40]}"
            )
        try:
            key.verify(_unb64(value) if isinstance(value, str) else b"", canonical_json(envelope))
        except (InvalidSignature, binascii.Error, ValueError):
            raise SignatureError(
                f"signature does not match the content for {publisher}'s key id {kid!r}: "
                "forged or altered"
            ) from None

    def secret_values(self) -> dict[str, str]:
        """What :func:`inscope_common.config.enforce_secrets` checks: the private key,
        and each public key (not a secret, but a development one means anyone can sign)."""
        public = {f"{PUBLIC_VARIABLE}[{p}:{k}]": text for (p, k), text in self.public_texts.items()}
        return {f"{SIGNING_VARIABLE}[{self.signing_kid}]": self.signing_text, **public}


def dev_key_values() -> frozenset[str]:
    """The development keys, private and public: refused outside development mode."""
    return frozenset({dev_signing_key(s) for s in SERVICES} | {dev_public_key(s) for s in SERVICES})


def canonical_json(envelope: Mapping[str, Any]) -> bytes:
    """What is signed: every attribute but the signature, keys sorted, no spaces."""
    content = {k: v for k, v in envelope.items() if k != SIGNATURE}
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def keygen(service: str, kid: str = "k1") -> tuple[str, str]:
    """A new key pair: the service's INSCOPE_EVENT_SIGNING_KEY and its entry for every
    process's INSCOPE_EVENT_PUBLIC_KEYS."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    return f"{_kid(kid, 'kid')}:{_b64(seed)}", f"{service}:{kid}:{_raw_public(private)}"


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3) or args[0] != "keygen":
        print("usage: python -m inscope_common.events.signing keygen SERVICE [KID]")
        return 2
    signing, public = keygen(*args[1:])
    print(f"{SIGNING_VARIABLE}={signing}    # {args[1]}'s processes only: a secret")
    print(f"{PUBLIC_VARIABLE} entry: {public}    # every process")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
