"""Staff roles, who may call what, and the credentials every service checks.

Accounts live with the identity owner (the referral service, ``keys.IDENTITY_OWNER``);
every other service only verifies what it is shown. Credentials are JSON Web Tokens
signed with Ed25519: the identity owner alone holds INSCOPE_STAFF_TOKEN_PRIVATE_KEY, every
service verifies with INSCOPE_STAFF_TOKEN_PUBLIC_KEY, so a service needs no call to the
identity owner to admit a request and cannot mint a token itself:

- the session cookie ``inscope_session`` (pages; set by the identity owner's login),
- an API bearer token (``Authorization: Bearer <token>``; ``inscope-referral accounts
  token``),

of different types (``typ``), so a token is never accepted as a cookie or the reverse.
Both carry the account id, name and role, an id of their own, when they were issued
and an expiry; a session also carries its CSRF token. Idle sessions end
(``INSCOPE_SESSION_IDLE_MINUTES``) by a Redis key every request renews
(:class:`SessionActivity`). Every request also checks the revocation list
(inscope_common.revocation): sign-out ends that session, an admin revokes one API token,
and stopping an account or changing its role ends every credential it had
(docs/accounts-and-security.md).
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlencode

import jwt
from flask import Flask, Response, abort, current_app, g, jsonify, make_response, request

from inscope_common import keys
from inscope_common.audit import Actor
from inscope_common.config import ServiceSettings
from inscope_common.revocation import RevocationList, redis_source
from inscope_common.verified_tokens import VerifiedTokens

FRONT_DESK = "front_desk"
TRAINER = "trainer"
ADMIN = "admin"
ROLES = (FRONT_DESK, TRAINER, ADMIN)

SESSION_COOKIE = "inscope_session"
# Staff tokens are JWTs signed with Ed25519 by the identity owner; "typ" keeps a session
# from being accepted as an API token and the reverse.
TOKEN_ALGORITHM = "EdDSA"
TOKEN_ISSUER = "inscope-identity"
TOKEN_AUDIENCE = "inscope-staff"
SESSION_TYPE = "session"
API_TOKEN_TYPE = "api"
SESSION_TTL_S = 12 * 3600
API_TOKEN_TTL_S = 30 * 24 * 3600
SESSION_IDLE_S = 30 * 60
# A session's "last used" mark (SessionActivity) is renewed at most this often.
SEEN_RENEW_S = 60
CSRF_FIELD = "csrf_token"
# Before login there is no session to tie the form to: a random value in a cookie and
# the same value in the form (double submit) stops another site posting the login form.
PRE_SESSION_COOKIE = "inscope_presession"

Kind = Literal["api", "page"]
Via = Literal["bearer", "cookie"]


@dataclass(frozen=True)
class Access:
    """Who may call one endpoint, and whether it answers people (page) or programs.

    ``public``: anyone (its own link or form is its key); ``service``: no staff
    credential, the view checks a calling service's own (inscope_common.service_auth)."""

    roles: frozenset[str]
    kind: Kind = "api"
    public: bool = False
    service: bool = False


def access(*roles: str, kind: Kind = "api") -> Access:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")
    return Access(frozenset(roles), kind)


# Open to anyone (a page: the login form, the physician's answer page, the client's
# pre-visit page), and service-to-service only.
PUBLIC_PAGE = Access(frozenset(), "page", public=True)
SERVICE_ONLY = Access(frozenset(), "api", service=True)


def declare(blueprint: Any, **views: Access) -> None:
    """Who may call each view of ``blueprint``, declared by its module next to the views
    (``declare(bp, new_intake=access(FRONT_DESK, ADMIN, kind="page"))``; a MethodView by
    its class name). An endpoint no module declares is refused to everyone (fail
    closed); tests/web/test_role_matrix.py walks every rule of every app against it.
    Admin may call everything."""
    declared = dict(getattr(blueprint, "inscope_access", {}))
    declared.update(views)
    blueprint.inscope_access = declared


def app_permissions(app: Flask) -> dict[str, Access]:
    """Every endpoint of ``app`` its blueprints declared (endpoint -> access)."""
    matrix: dict[str, Access] = {}
    for name, blueprint in app.blueprints.items():
        for view, rule in getattr(blueprint, "inscope_access", {}).items():
            matrix[f"{name}.{view}"] = rule
    return matrix


# Endpoints anyone may call, on every service: probes, the API description, and the
# assets pages need before login.
PUBLIC_ENDPOINTS = frozenset(
    {
        "platform.healthz",
        "platform.readyz",
        "platform.metrics",
        "api-docs.openapi_json",
        "static",
        "inscope_web.static",
    }
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account, as its credential vouches."""

    account_id: str
    name: str
    role: str
    session_id: str = ""
    # The credential's own id (a session's sid, an API token's jti) and when it was
    # issued: what the revocation list names. Not part of who the caller is.
    credential_id: str = field(default="", compare=False)
    issued_at: float = field(default=0.0, compare=False)
    # A session's CSRF token (a random value inside the signed session).
    csrf: str = field(default="", compare=False)

    def claims(self) -> dict[str, Any]:
        return {"sub": self.account_id, "name": self.name, "role": self.role}


class SessionActivity:
    """The idle timeout, kept server-side: one Redis key per signed-in session that
    lives ``idle_s`` and every request renews (``EXPIRE``, at most once a minute per
    process). Only the identity owner can sign a session cookie, so no other service
    could renew a "last used" mark inside it; the key is what they share instead.

    A session whose key is gone (idle too long, or signed out) is refused. When Redis
    does not answer, a session this process saw within the idle time keeps working and
    any other is refused (fail closed)."""

    PREFIX = "inscope:auth:active:"

    def __init__(self, redis_url: str, idle_s: int, renew_s: float = SEEN_RENEW_S) -> None:
        import redis

        self._redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=0.3, socket_timeout=0.3
        )
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.idle_s = idle_s
        self.renew_s = renew_s
        self._touched: dict[str, float] = {}

    def _key(self, session_id: str) -> str:
        return self.PREFIX + session_id

    def start(self, session_id: str) -> None:
        """A new session. Without Redis only this process knows it (until Redis is
        back and the next sign-in), so other services refuse it: fail closed."""
        self._touched[session_id] = time.monotonic()
        with contextlib.suppress(*self._errors):
            self._redis.set(self._key(session_id), "1", ex=max(1, self.idle_s))

    def end(self, session_id: str) -> None:
        self._touched.pop(session_id, None)
        with contextlib.suppress(*self._errors):  # the revocation list ends it anyway
            self._redis.delete(self._key(session_id))

    def alive(self, session_id: str) -> bool:
        """Whether the session was used within the idle time; renews it if so."""
        now = time.monotonic()
        last = self._touched.get(session_id)
        if last is not None and now - last < self.renew_s:
            return True
        try:
            renewed = bool(self._redis.expire(self._key(session_id), max(1, self.idle_s)))
        except self._errors:
            return last is not None and now - last < self.idle_s
        if not renewed:
            self._touched.pop(session_id, None)
            return False
        if len(self._touched) > 10_000:  # forget the oldest half: a bounded memory
            for sid, _at in sorted(self._touched.items(), key=lambda kv: kv[1])[:5_000]:
                self._touched.pop(sid, None)
        self._touched[session_id] = now
        return True


class Credentials:
    """Verifies (every service) and signs (the identity owner only) staff session
    cookies and API tokens: JSON Web Tokens signed with Ed25519 (``EdDSA``).

    Every service is given the public key (INSCOPE_STAFF_TOKEN_PUBLIC_KEY); only the
    identity owner (inscope_common.keys.IDENTITY_OWNER) is given the private key, so no
    other service can mint a token for any role. A token of the other kind, another
    algorithm (an HMAC token made with the old shared INSCOPE_AUTH_SECRET), another key,
    issuer or audience is refused."""

    def __init__(
        self,
        public_key: str,
        private_key: str = "",
        revocations: RevocationList | None = None,
        idle_s: int = SESSION_IDLE_S,
        activity: SessionActivity | None = None,
    ) -> None:
        self._public = keys.public_key(public_key, "INSCOPE_STAFF_TOKEN_PUBLIC_KEY")
        self._private = (
            keys.private_key(private_key, "INSCOPE_STAFF_TOKEN_PRIVATE_KEY")
            if private_key
            else None
        )
        if self._private is not None and keys.public_text(self._private) != public_key:
            raise ValueError("the staff token private key is not the pair of the public key")
        self.revocations = revocations
        self.idle_s = idle_s
        self.activity = activity
        # Tokens this process verified already, until their expiry (issue 13): the
        # revocation list and the idle timeout are still checked on every request.
        self.verified = VerifiedTokens()

    @property
    def can_sign(self) -> bool:
        return self._private is not None

    def _sign(self, claims: dict[str, Any]) -> str:
        if self._private is None:
            raise PermissionError(
                "only the identity owner signs staff tokens (INSCOPE_STAFF_TOKEN_PRIVATE_KEY)"
            )
        return jwt.encode(
            {**claims, "iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE},
            self._private,
            algorithm=TOKEN_ALGORITHM,
        )

    def _verify(self, value: str, kind: str) -> dict[str, Any] | None:
        claims = self.verified.get(value)
        if claims is None:
            try:
                claims = jwt.decode(
                    value,
                    self._public,
                    algorithms=[TOKEN_ALGORITHM],
                    audience=TOKEN_AUDIENCE,
                    issuer=TOKEN_ISSUER,
                    options={"require": ["exp", "iat", "sub", "typ"]},
                )
            except jwt.PyJWTError:
                return None
            if not isinstance(claims, dict):
                return None
            self.verified.put(value, claims, claims["exp"])
        return claims if claims.get("typ") == kind else None

    def session_cookie(self, principal: Principal, ttl_s: int = SESSION_TTL_S) -> str:
        sid = principal.session_id or secrets.token_urlsafe(16)
        cookie = self._sign(
            {
                **principal.claims(),
                "typ": SESSION_TYPE,
                "sid": sid,
                "csrf": secrets.token_urlsafe(24),
                "iat": time.time(),
                "exp": _exp(ttl_s),
            }
        )
        if self.activity is not None:
            self.activity.start(sid)
        return cookie

    def api_token(
        self, principal: Principal, ttl_s: int = API_TOKEN_TTL_S, token_id: str = ""
    ) -> str:
        jti = token_id or secrets.token_urlsafe(16)
        return self._sign(
            {
                **principal.claims(),
                "typ": API_TOKEN_TYPE,
                "jti": jti,
                "iat": time.time(),
                "exp": _exp(ttl_s),
            }
        )

    def read_session(self, value: str) -> Principal | None:
        claims = self._verify(value, SESSION_TYPE)
        if not claims:
            return None
        sid = str(claims.get("sid", ""))
        csrf = claims.get("csrf")
        if not sid or not isinstance(csrf, str) or len(csrf) < 16:
            return None
        if self.activity is not None and not self.activity.alive(sid):
            return None  # idle too long, or signed out
        return _principal(claims, session_id=sid, credential_id=sid, csrf=csrf)

    def read_api_token(self, value: str) -> Principal | None:
        claims = self._verify(value, API_TOKEN_TYPE)
        return _principal(claims, credential_id=str(claims.get("jti", ""))) if claims else None

    def is_revoked(self, principal: Principal) -> bool:
        if self.revocations is None:
            return False
        return self.revocations.is_revoked(
            principal.account_id, principal.credential_id, principal.issued_at
        )

    def csrf_token(self, principal: Principal) -> str:
        """The session's CSRF token: a random value inside the signed session, so every
        service knows it and no site can read it (the cookie is HttpOnly)."""
        return principal.csrf


def _exp(ttl_s: int) -> int:
    return int(time.time()) + ttl_s


def _principal(
    claims: Mapping[str, Any], session_id: str = "", credential_id: str = "", csrf: str = ""
) -> Principal | None:
    role = claims.get("role")
    issued = claims.get("iat")
    # Every credential names itself and when it was issued (what revocation needs).
    if role not in ROLES or not claims.get("sub") or not credential_id:
        return None
    if not isinstance(issued, (int, float)):
        return None
    return Principal(
        str(claims["sub"]),
        str(claims.get("name", "")),
        role,
        session_id,
        credential_id=credential_id,
        issued_at=float(issued),
        csrf=csrf,
    )


def current_principal() -> Principal | None:
    """The account behind the current request (None on public endpoints)."""
    return g.get("inscope_principal")


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:  # only reachable if a route is wrongly listed as public
        abort(401)
    return principal


def current_actor() -> Actor:
    """The audit log's view of the caller: account, role and page or API."""
    principal = require_principal()
    channel = g.get("inscope_kind", "api")
    return Actor(principal.account_id, principal.name, principal.role, channel)


def permissions_of(app: Flask) -> dict[str, Access]:
    """The app's permission matrix (its blueprints' declarations), read once."""
    matrix = app.extensions.get("inscope_permissions")
    if matrix is None:
        matrix = app.extensions["inscope_permissions"] = app_permissions(app)
    return matrix


def is_page(endpoint: str | None) -> bool:
    """Whether an endpoint of the current app answers people (an HTML page) rather
    than programs (JSON)."""
    if not endpoint:
        return False
    found = permissions_of(current_app).get(endpoint)
    return found is not None and found.kind == "page"


# OpenAPI: what a staff-guarded operation declares (``@blp.doc(security=STAFF_SECURITY)``).
STAFF_SCHEME = "staffToken"
STAFF_SECURITY = [{STAFF_SCHEME: []}]


def document_staff_auth(api: Any) -> None:
    """Declare the staff bearer token (or session cookie) in a service's OpenAPI."""
    api.spec.components.security_scheme(
        STAFF_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff API token (inscope-referral accounts token), or the "
            "inscope_session cookie of a signed-in browser. Roles: see "
            "docs/accounts-and-security.md.",
        },
    )


def install_auth(app: Flask, settings: ServiceSettings) -> Credentials:
    """Guard every request of ``app`` with the permission matrix.

    A page redirects a visitor without a session to the identity owner's ``/login``;
    ``?next=`` brings them back. Only the identity owner's settings carry the private key
    (``staff_token_private_key``): its Credentials sign, every other one only verifies.
    """
    service = settings.service
    login_url = f"{settings.urls[keys.IDENTITY_OWNER]}/login"
    revocations = RevocationList(redis_source(settings.redis_url), settings.revocation_cache_s)
    credentials = Credentials(
        settings.staff_token_public_key,
        getattr(settings, "staff_token_private_key", ""),
        revocations,
        settings.session_idle_s,
        SessionActivity(settings.redis_url, settings.session_idle_s),
    )
    app.extensions["inscope_auth"] = credentials
    refused = Access(frozenset())

    @app.before_request
    def _guard() -> Response | None:
        endpoint = request.endpoint
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
            return None  # unknown routes fall through to the JSON 404/405
        access = permissions_of(app).get(endpoint, refused)
        if access.public or access.service:
            return None  # open to all, or its view checks a service's credential
        principal, via = _authenticate(credentials)
        if principal is None or credentials.is_revoked(principal):
            return _unauthenticated(access.kind, login_url)
        g.inscope_principal = principal
        g.inscope_via = via
        g.inscope_kind = access.kind
        if via == "cookie":
            g.inscope_csrf = credentials.csrf_token(principal)
        if principal.role not in access.roles:
            return _forbidden(access.kind, principal)
        if via == "cookie" and not _csrf_ok(credentials, principal):
            return _refused(access.kind, 403, "the form is out of date or not from this site")
        return None

    @app.context_processor
    def _auth_context() -> dict[str, Any]:
        def may_open(service_name: str, endpoint: str) -> bool:
            """Whether the signed-in account may open that page (navigation shows
            only the links that lead somewhere)."""
            from inscope_common.web import NAVIGATION

            who = current_principal()
            if who is None:
                return False
            if service_name == service:
                found = permissions_of(app).get(endpoint)
                return found is not None and who.role in found.roles
            return who.role in NAVIGATION.get((service_name, endpoint), ())

        return {
            "may_open": may_open,
            "principal": current_principal(),
            "csrf_token": g.get("inscope_csrf", ""),
            "login_url": login_url,
            "logout_url": f"{settings.urls[keys.IDENTITY_OWNER]}/logout",
            "service_urls": settings.urls,
        }

    return credentials


def forwarded_credential() -> dict[str, str]:
    """Headers that make a call to another service as the caller of this request, with
    the caller's own credential (the other service checks the role and audits the read
    under their name; no service mints a token for anyone): their bearer token, or their
    session cookie with its CSRF token (the other service checks both as it would for
    the browser)."""
    principal = require_principal()
    if g.get("inscope_via") == "bearer":
        return {"Authorization": request.headers.get("Authorization", "")}
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return {"Cookie": f"{SESSION_COOKIE}={cookie}", "X-CSRF-Token": principal.csrf}


def _authenticate(credentials: Credentials) -> tuple[Principal | None, Via | None]:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None, None
        return credentials.read_api_token(value.strip()), "bearer"
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return credentials.read_session(cookie), "cookie"
    return None, None


def _unauthenticated(kind: Kind, login_url: str) -> Response:
    if kind == "page":
        # 303 so that a POST whose session expired comes back as a GET after login.
        response = make_response("", 302 if request.method in ("GET", "HEAD") else 303)
        response.headers["Location"] = f"{login_url}?next={quote(request.url, safe='')}"
        return response
    response = _refused(kind, 401, "sign in or send a bearer token")
    response.headers["WWW-Authenticate"] = 'Bearer realm="inscope"'
    return response


def _forbidden(kind: Kind, principal: Principal) -> Response:
    if kind == "page":
        from inscope_clinical.journey import Text
        from inscope_common.web import CODE_WORDS, NOT_OPEN_TO_ROLE

        role = principal.role
        words = Text(CODE_WORDS[role]) if role in CODE_WORDS else role.replace("_", " ")
        return _refused(kind, 403, Text(NOT_OPEN_TO_ROLE, role=words))
    return _refused(kind, 403, f"the {principal.role} role may not use this")


def _refused(kind: Kind, code: int, message: Any) -> Response:
    if kind == "page":
        from inscope_common.web import error_page  # the page, in the staff layout

        return error_page(code, message)
    status = "Unauthorized" if code == 401 else "Forbidden"
    response = jsonify({"code": code, "status": status, "message": str(message)})
    response.status_code = code
    return response




def _csrf_ok(credentials: Credentials, principal: Principal) -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True  # reads change nothing; SameSite=Lax already keeps the cookie off
    expected = credentials.csrf_token(principal)
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token", "")
    return hmac.compare_digest(sent.encode(), expected.encode())


def pre_session_csrf(response_cookies: dict[str, str]) -> str:
    """The login form's CSRF value: the one in the visitor's cookie, or a new one that the
    caller sets as ``PRE_SESSION_COOKIE`` (added to ``response_cookies``)."""
    value = request.cookies.get(PRE_SESSION_COOKIE) or ""
    if len(value) < 16:
        value = secrets.token_urlsafe(24)
        response_cookies[PRE_SESSION_COOKIE] = value
    return value


def check_pre_session_csrf() -> bool:
    cookie = request.cookies.get(PRE_SESSION_COOKIE) or ""
    sent = request.form.get(CSRF_FIELD) or ""
    return len(cookie) >= 16 and hmac.compare_digest(cookie.encode(), sent.encode())


def set_session_cookie(response: Response, value: str, max_age_s: int = SESSION_TTL_S) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site POSTs), Secure
    when the request came over TLS, Path=/ so every service's pages on the host see it."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max_age_s,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=request.is_secure
    )


def end_this_session(timeout_s: float = 3.0) -> bool:
    """End the signed-in staff session of this request everywhere, now, as sign-out
    does (the desk's tablet handed to a client): the identity owner's ``/logout`` is
    called with the session's own cookie and CSRF token, so the session joins the
    revocation list and a copy of the cookie opens nothing in any service; then its
    idle-time key goes too. The caller still clears the browser's cookie.

    Returns False when the identity owner could not be reached: the idle-time key is
    removed all the same (every service refuses a session without it, a process that
    saw it in the last minute at most that long), and the caller logs it."""
    principal = current_principal()
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if principal is None or not principal.session_id or not cookie:
        return True  # an API token or no session: nothing lives on this browser
    credentials: Credentials = current_app.extensions["inscope_auth"]
    settings = current_app.extensions["inscope"].settings
    call = urllib.request.Request(
        f"{settings.urls[keys.IDENTITY_OWNER]}/logout",
        data=urlencode({CSRF_FIELD: principal.csrf}).encode(),
        headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
        method="POST",
    )
    # Its answer is a redirect to /login, which this call does not need to follow.
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(call, timeout=timeout_s) as answer:
            ended = answer.status == 303
    except urllib.error.HTTPError as answer:
        ended = answer.code == 303
    except OSError:
        ended = False
    # After the call: the identity owner must still see the session alive to revoke it.
    if credentials.activity is not None:
        credentials.activity.end(principal.session_id)
    if credentials.revocations is not None:
        credentials.revocations.refresh()
    return ended


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
