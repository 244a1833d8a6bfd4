"""Signed credentials, CSRF on cookie-authenticated posts, and the audit log."""

from __future__ import annotations

import time

import jwt
import pytest
from itsdangerous import URLSafeTimedSerializer

from inscope_common import keys
from inscope_common.audit import entries
from inscope_common.auth import (
    ADMIN,
    FRONT_DESK,
    SESSION_COOKIE,
    TOKEN_AUDIENCE,
    TOKEN_ISSUER,
    TRAINER,
    Credentials,
    Principal,
)
from inscope_common.config import DEV_STAFF_PRIVATE_KEY, DEV_STAFF_PUBLIC_KEY
from tests.conftest import as_service, signer
from tests.web.conftest import example, staff

DESK = Principal("acct-1", "Robin Desk", FRONT_DESK)
# The one HMAC secret all four services shared before staff tokens were signed with
# the identity owner's Ed25519 key (issue 12 item 1).
OLD_SHARED_SECRET = "dev-only-auth-secret-not-for-deployment"


def identity() -> Credentials:
    return Credentials(DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY)


def test_a_token_reads_back_as_its_account():
    creds = identity()
    assert creds.read_api_token(creds.api_token(DESK)) == DESK
    session = creds.read_session(creds.session_cookie(DESK))
    assert (session.account_id, session.role) == ("acct-1", FRONT_DESK)
    assert session.session_id  # each session gets its own id
    assert len(session.csrf) >= 16  # and its own CSRF token, inside the signed cookie


def test_a_session_cookie_is_not_a_token_nor_the_reverse():
    creds = identity()
    assert creds.read_api_token(creds.session_cookie(DESK)) is None
    assert creds.read_session(creds.api_token(DESK)) is None


def _claims(role: str = ADMIN, **more):
    now = int(time.time())
    return {"sub": "a", "name": "n", "role": role, "typ": "api", "jti": "j", "iat": now,
            "exp": now + 3600, "iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE, **more}  # fmt: skip


OTHER_KEY = keys.private_key(keys.dev_private_key("notify"), "test")


@pytest.mark.parametrize(
    "forge",
    [
        # Another Ed25519 key: a service's own key, or one an attacker made.
        lambda c: jwt.encode(_claims(), OTHER_KEY, algorithm="EdDSA"),
        lambda c: c.api_token(DESK)[:-2] + "xx",
        lambda c: c.api_token(DESK, ttl_s=-1),
        lambda c: jwt.encode(_claims("superuser"), c._private, algorithm="EdDSA"),
        lambda c: jwt.encode(_claims(exp=None), c._private, algorithm="EdDSA"),
        lambda c: jwt.encode(_claims(aud="elsewhere"), c._private, algorithm="EdDSA"),
        # The old shared secret: the itsdangerous token and an HS256 JWT made with it,
        # and an HS256 JWT keyed with the public key (algorithm confusion).
        lambda c: URLSafeTimedSerializer(OLD_SHARED_SECRET, salt="inscope.api-token.v1").dumps(
            {
                "sub": "a",
                "name": "n",
                "role": "admin",
                "jti": "j",
                "iat": time.time(),
                "exp": int(time.time()) + 60,
            }  # fmt: skip
        ),
        lambda c: jwt.encode(_claims(), OLD_SHARED_SECRET, algorithm="HS256"),
        lambda c: jwt.encode(_claims(), DEV_STAFF_PUBLIC_KEY, algorithm="HS256"),
        lambda c: jwt.encode(_claims(), None, algorithm="none"),
    ],
    ids=[
        "other-key",
        "tampered",
        "expired",
        "unknown-role",
        "no-expiry",
        "other-audience",
        "old-shared-secret",
        "old-secret-hs256",
        "public-key-as-hmac",
        "unsigned",
    ],  # fmt: skip
)
def test_forged_or_stale_tokens_are_refused(forge):
    creds = identity()
    assert creds.read_api_token(forge(creds)) is None


def test_only_the_identity_owner_can_mint_a_staff_token(intake_app, service_env):
    """A service other than the identity owner holds only the public key: it cannot
    sign a token for any role, and a token signed any other way is refused at its door."""
    from inscope_referral import create_app

    verifier = intake_app.extensions["inscope_auth"]
    assert not verifier.can_sign
    with pytest.raises(PermissionError):
        verifier.api_token(staff(ADMIN))
    with pytest.raises(PermissionError):
        verifier.session_cookie(staff(ADMIN))
    hub = create_app(service_env)
    try:
        assert hub.extensions["inscope_auth"].can_sign
        minted = hub.extensions["inscope_auth"].api_token(staff(FRONT_DESK))
    finally:
        hub.extensions["inscope"].engine.dispose()
    client = intake_app.test_client(role=None)
    assert client.get("/clients/search?q=a", headers=bearer(minted)).status_code == 200
    old = URLSafeTimedSerializer(OLD_SHARED_SECRET, salt="inscope.api-token.v1").dumps(
        {
            "sub": "a",
            "name": "n",
            "role": "admin",
            "jti": "j",
            "iat": time.time(),
            "exp": int(time.time()) + 60,
        }  # fmt: skip
    )
    for forged in (old, jwt.encode(_claims(), OTHER_KEY, algorithm="EdDSA")):
        assert client.get("/clients/search?q=a", headers=bearer(forged)).status_code == 401


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def intake_app(service_env):
    from inscope_intake import create_app

    app = create_app(service_env)
    yield app
    app.extensions["inscope"].engine.dispose()


def test_a_malformed_authorization_header_is_401(intake_app):
    client = intake_app.test_client(role=None)
    for header in ("Basic abc", "Bearer ", "Bearer not-a-token"):
        response = client.get("/intakes/x", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def sign_in(app, principal: Principal):
    client = app.test_client(role=None)
    credentials = signer(app)
    cookie = credentials.session_cookie(principal)
    client.set_cookie(SESSION_COOKIE, cookie)
    return client, credentials.csrf_token(credentials.read_session(cookie))


def test_a_cookie_post_needs_the_sessions_csrf_token(intake_app):
    client, csrf = sign_in(intake_app, DESK)
    body = example("intake.json")
    assert client.post("/intakes", json=body).status_code == 403
    assert client.post("/intakes", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == (
        403
    )
    other = signer(intake_app)
    other_session = other.csrf_token(other.read_session(other.session_cookie(DESK)))
    assert client.post(
        "/intakes", json=body, headers={"X-CSRF-Token": other_session}
    ).status_code == (403)
    assert client.post("/intakes", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_a_bearer_post_needs_no_csrf_token(intake_app):
    response = intake_app.test_client(role=FRONT_DESK).post("/intakes", json=example("intake.json"))
    assert response.status_code == 201


def test_every_view_and_change_of_health_data_is_audited(intake_app, service_env):
    from inscope_assessment import create_app
    from inscope_intake.models import AuditEntry

    desk = intake_app.test_client(role=FRONT_DESK)
    created = desk.post("/intakes", json=example("intake.json")).get_json()
    intake_app.test_client(role=TRAINER).get(f"/intakes/{created['id']}")
    intake_app.test_client(role=None).get(
        f"/internal/intakes/{created['id']}/contact",
        headers=as_service("notify"),
    )
    intake_app.test_client(role=TRAINER).get("/intakes/no-such-intake")  # nothing seen
    rt = intake_app.extensions["inscope"]
    rows = entries(rt.session_factory, AuditEntry)
    assert [(r["account_id"], r["role"], r["action"], r["record"]) for r in rows] == [
        (staff(FRONT_DESK).account_id, FRONT_DESK, "create", "intake"),
        (staff(TRAINER).account_id, TRAINER, "view", "intake"),
        ("service:notify", "service", "view", "intake"),
    ]
    assert {r["client_id"] for r in rows} == {created["client_id"]}
    assert all(r["record_id"] == created["id"] and r["at"] for r in rows)

    from inscope_assessment.models import AuditEntry as AssessmentAudit

    assessment_app = create_app(service_env)
    try:
        from tests.services.journey_events import status_event
        from tests.services.test_redelivery import _intake_event

        consume = assessment_app.extensions["celery"].tasks["assessment.consume_event"]
        for event in (
            _intake_event(client_id=created["client_id"], intake_id=created["id"]),
            status_event(created["id"], created["client_id"]),
        ):
            consume.apply(args=[event]).get()
        trainer = assessment_app.test_client(role=TRAINER)
        body = {
            "intake_id": created["id"],
            "client_id": created["client_id"],
            "assessment": example("assessment-clear.json"),
        }
        recorded = trainer.post("/assessments", json=body).get_json()
        trainer.get(f"/assessments/{recorded['id']}")
        art = assessment_app.extensions["inscope"]
        rows = entries(art.session_factory, AssessmentAudit)
        assert [(r["action"], r["record"], r["client_id"]) for r in rows] == [
            ("create", "assessment", created["client_id"]),
            ("view", "assessment", created["client_id"]),
        ]
    finally:
        assessment_app.extensions["inscope"].engine.dispose()
