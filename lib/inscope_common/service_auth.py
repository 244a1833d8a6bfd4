"""Service-to-service credentials, one per calling service, scoped per endpoint.

A service that calls another on its own behalf (not for a signed-in person: those calls
forward the person's credential, inscope_common.auth.forwarded_credential) signs a
short-lived JSON Web Token with its own Ed25519 key, ``<SERVICE>_SERVICE_KEY`` (held by
no other service): issuer = the caller, audience = the service called, 60 seconds. The
called service verifies it with the caller's public key, ``<SERVICE>_SERVICE_PUBLIC_KEY``,
and each endpoint names, next to its view, which callers it admits
(:func:`require_service`): intake's contact endpoints admit notify and referral, the
pre-visit contact only notify. A valid credential of another service gets 403; a missing,
forged, expired or misaddressed one 401. No shared token: a service that leaks its key
lets an attacker call only what that one service may call, and keys are replaced one
service at a time.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import jwt
from flask import abort, request

from inscope_common import keys
from inscope_common.audit import Actor
from inscope_common.config import ServiceSettings
from inscope_common.keys import key_variable, public_key_variable
from inscope_common.verified_tokens import VerifiedTokens

SERVICE_TOKEN_TTL_S = 60
# A cached credential is used until this long before it expires.
RENEW_BEFORE_S = 15
ALGORITHM = "EdDSA"
TOKEN_TYPE = "service"


class ServiceSigner:
    """Signs this service's credentials, one per audience, renewed before they expire."""

    def __init__(self, service: str, private_key: str) -> None:
        self.service = service
        self._key = keys.private_key(private_key, key_variable(service))
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, audience: str) -> str:
        now = time.time()
        with self._lock:
            cached = self._cache.get(audience)
            if cached is not None and cached[1] - RENEW_BEFORE_S > now:
                return cached[0]
            expires = now + SERVICE_TOKEN_TTL_S
            claims = {
                "iss": self.service,
                "sub": self.service,
                "aud": audience,
                "typ": TOKEN_TYPE,
                "iat": int(now),
                "exp": int(expires),
                "jti": secrets.token_urlsafe(12),
            }
            value = jwt.encode(claims, self._key, algorithm=ALGORITHM)
            self._cache[audience] = (value, expires)
            return value

    def headers(self, audience: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(audience)}"}


_signers: dict[tuple[str, str], ServiceSigner] = {}


def signer_for(settings: ServiceSettings) -> ServiceSigner:
    """This process's signer (one per service and key)."""
    key = (settings.service, settings.service_key)
    found = _signers.get(key)
    if found is None:
        found = _signers[key] = ServiceSigner(settings.service, settings.service_key)
    return found


# Credentials this process verified already (inscope_common.verified_tokens): a caller
# sends one for up to 45 s. Kept with the audience and the caller's public key they
# were verified against; admitted again only while those are still this service's.
_verified = VerifiedTokens()


def caller_of(settings: ServiceSettings, value: str) -> str | None:
    """The service whose valid credential for this service ``value`` is, else None."""
    known = _verified.get((value, settings.service))
    if known is not None:
        issuer, public = known
        if settings.service_public_keys.get(issuer) == public:
            return issuer  # type: ignore[no-any-return]
    try:
        claimed = jwt.decode(value, options={"verify_signature": False})
        issuer = claimed.get("iss")
        public = settings.service_public_keys.get(issuer) if isinstance(issuer, str) else None
        if public is None:
            return None
        claims: dict[str, Any] = jwt.decode(
            value,
            keys.public_key(public, public_key_variable(issuer)),
            algorithms=[ALGORITHM],
            audience=settings.service,
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "aud", "typ"]},
        )
    except (jwt.PyJWTError, keys.KeyFormatError):
        return None
    if claims.get("typ") != TOKEN_TYPE or claims["exp"] - claims["iat"] > 2 * SERVICE_TOKEN_TTL_S:
        return None  # not a service credential, or one that lives too long
    _verified.put((value, settings.service), (issuer, public), claims["exp"])
    return issuer


def require_service(settings: ServiceSettings, *callers: str) -> Actor:
    """Guard of a service-to-service endpoint, called first thing in its view: the
    request carries a current credential of one of ``callers``. Returns the audit actor
    (the calling service). 401 without a valid credential, 403 for another service's."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    caller = caller_of(settings, value.strip()) if scheme.lower() == "bearer" else None
    if caller is None:
        abort(401, description="a valid service credential is required")
    if caller not in callers:
        abort(403, description=f"the {caller} service may not call this")
    return Actor(f"service:{caller}", f"{caller} service", "service", "internal")
