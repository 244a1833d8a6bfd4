"""Signed credentials, CSRF on cookie-authenticated posts, and the audit log."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from inscope_common.audit import entries
from inscope_common.auth import (
    API_TOKEN_SALT,
    FRONT_DESK,
    SESSION_COOKIE,
    TRAINER,
    Credentials,
    Principal,
)
from tests.web.conftest import example, staff

DESK = Principal("acct-1", "Robin Desk", FRONT_DESK)


def test_a_token_reads_back_as_its_account():
    creds = Credentials("s3cret")
    assert creds.read_api_token(creds.api_token(DESK)) == DESK
    session = creds.read_session(creds.session_cookie(DESK))
    assert (session.account_id, session.role) == ("acct-1", FRONT_DESK)
    assert session.session_id  # each session gets its own id (CSRF is tied to it)


def test_a_session_cookie_is_not_a_token_nor_the_reverse():
    creds = Credentials("s3cret")
    assert creds.read_api_token(creds.session_cookie(DESK)) is None
    assert creds.read_session(creds.api_token(DESK)) is None


@pytest.mark.parametrize(
    "forge",
    [
        lambda c: Credentials("other-secret").api_token(DESK),
        lambda c: c.api_token(DESK)[:-2] + "xx",
        lambda c: c.api_token(DESK, ttl_s=-1),
        lambda c: URLSafeTimedSerializer("s3cret", salt=API_TOKEN_SALT).dumps(
            {"sub": "a", "name": "n", "role": "superuser", "exp": int(time.time()) + 60}
        ),
        lambda c: URLSafeTimedSerializer("s3cret", salt=API_TOKEN_SALT).dumps(
            {"sub": "a", "name": "n", "role": "admin"}  # no expiry
        ),
    ],
    ids=["other-secret", "tampered", "expired", "unknown-role", "no-expiry"],
)
def test_forged_or_stale_tokens_are_refused(forge):
    creds = Credentials("s3cret")
    assert creds.read_api_token(forge(creds)) is None


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
    credentials = app.extensions["inscope_auth"]
    cookie = credentials.session_cookie(principal)
    client.set_cookie(SESSION_COOKIE, cookie)
    session_id = credentials.read_session(cookie).session_id
    return client, credentials.csrf_token(session_id)


def test_a_cookie_post_needs_the_sessions_csrf_token(intake_app):
    client, csrf = sign_in(intake_app, DESK)
    body = example("intake.json")
    assert client.post("/intakes", json=body).status_code == 403
    assert client.post("/intakes", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == (
        403
    )
    other_session = intake_app.extensions["inscope_auth"].csrf_token("another-session")
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
        headers={"Authorization": "Bearer test-token"},
    )
    intake_app.test_client(role=TRAINER).get("/intakes/no-such-intake")  # nothing seen
    rt = intake_app.extensions["inscope"]
    rows = entries(rt.session_factory, AuditEntry)
    assert [(r["account_id"], r["role"], r["action"], r["record"]) for r in rows] == [
        (staff(FRONT_DESK).account_id, FRONT_DESK, "create", "intake"),
        (staff(TRAINER).account_id, TRAINER, "view", "intake"),
        ("internal", "internal", "view", "intake"),
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
