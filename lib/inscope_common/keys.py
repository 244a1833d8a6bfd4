"""Ed25519 keys as the deployment gives them: one line of base64url each (32 raw bytes,
43 characters), so they fit an .env file.

- The staff token key pair (inscope_common.auth): only the identity owner holds
  ``INSCOPE_STAFF_TOKEN_PRIVATE_KEY`` and signs sessions and API tokens; every service
  verifies with ``INSCOPE_STAFF_TOKEN_PUBLIC_KEY``.
- One key pair per calling service (inscope_common.service_auth): ``<SERVICE>_SERVICE_KEY``
  (its own, private) and ``<SERVICE>_SERVICE_PUBLIC_KEY`` (given to the services it calls).

Development keys are derived from public seeds (:func:`dev_private_key`): anyone can
compute them, so outside development mode they are refused at start-up like every other
public default (inscope_common.config.PUBLIC_SECRET_VALUES). ``inscope-keys`` (or
:func:`new_key_pair`) makes a real pair.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# Who signs staff tokens: the service that owns accounts and sign-in.
IDENTITY_OWNER = "referral"
STAFF_KEY = "staff-token"
SERVICES = ("intake", "assessment", "referral", "notify")


class KeyFormatError(ValueError):
    """A key setting that is not one base64url Ed25519 key."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str, variable: str) -> bytes:
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"{variable} is not base64url: {exc}") from None
    if len(raw) != 32:
        raise KeyFormatError(
            f"{variable} must be one Ed25519 key, 32 bytes in base64url (43 characters); "
            f"it decodes to {len(raw)} bytes"
        )
    return raw


def private_key(text: str, variable: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_unb64(text, variable))


def public_key(text: str, variable: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_unb64(text, variable))


def public_text(key: Ed25519PrivateKey) -> str:
    return _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def private_text(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    return _b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def new_key_pair() -> tuple[str, str]:
    """(private, public) for a deployment."""
    key = Ed25519PrivateKey.generate()
    return private_text(key), public_text(key)


def key_variable(service: str) -> str:
    """The variable that holds a service's own (private) service key."""
    return f"{service.upper()}_SERVICE_KEY"


def public_key_variable(service: str) -> str:
    """The variable that gives a called service a caller's public service key."""
    return f"{service.upper()}_SERVICE_PUBLIC_KEY"


def dev_private_key(name: str) -> str:
    """The development key of ``name`` (STAFF_KEY or a service): derived from a public
    seed, so it is never a secret."""
    seed = hashlib.sha256(f"inscope-development-key:{name}".encode()).digest()
    return _b64(seed)


def dev_public_key(name: str) -> str:
    return public_text(private_key(dev_private_key(name), name))


def dev_key_values() -> frozenset[str]:
    """Every development key, private and public: refused outside development mode."""
    names = (STAFF_KEY, *SERVICES)
    return frozenset({dev_private_key(n) for n in names} | {dev_public_key(n) for n in names})


def main() -> None:
    """``python -m inscope_common.keys [NAME]``: print a new key pair as .env lines."""
    import sys

    name = (sys.argv[1] if len(sys.argv) > 1 else "INSCOPE_STAFF_TOKEN").upper()
    private, public = new_key_pair()
    if name == "INSCOPE_STAFF_TOKEN":
        print(f"INSCOPE_STAFF_TOKEN_PRIVATE_KEY={private}")
        print(f"INSCOPE_STAFF_TOKEN_PUBLIC_KEY={public}")
    else:
        print(f"{name}_SERVICE_KEY={private}")
        print(f"{name}_SERVICE_PUBLIC_KEY={public}")


if __name__ == "__main__":
    main()
