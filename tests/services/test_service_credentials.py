"""Issue 12 item 1: each service calls another with its own credential, and each
service-to-service endpoint admits only the callers its view names. Intake's contact
endpoint admits notify and referral, not assessment (nor a staff token, nor the old
shared internal token); the pre-visit contact admits notify only."""

from __future__ import annotations

import time

import jwt
import pytest

from inscope_common import keys
from inscope_common.config import ServiceSettings
from inscope_common.service_auth import ServiceSigner, caller_of
from tests.conftest import signer, sqlite_only
from tests.services.conftest import staff


def _as(service: str) -> dict[str, str]:
    """A call signed with ``service``'s own (development) key, addressed to intake."""
    return ServiceSigner(service, keys.dev_private_key(service)).headers("intake")


database_backend = sqlite_only("which caller a service-to-service endpoint admits")


@pytest.fixture
def contact_path(intake_app, intake_body):
    intake_id = intake_app.test_client().post("/intakes", json=intake_body).get_json()["id"]
    return f"/internal/intakes/{intake_id}/contact"


def test_the_contact_endpoint_admits_notify_and_referral_not_assessment(
    intake_app, contact_path
):
    client = intake_app.test_client(role=None)
    for caller in ("notify", "referral"):
        answer = client.get(contact_path, headers=_as(caller))
        assert answer.status_code == 200, caller
        assert answer.get_json()["client"]["email"] == "dana.rivera@example.com"
    refused = client.get(contact_path, headers=_as("assessment"))
    assert refused.status_code == 403
    assert "assessment" in refused.get_json()["message"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer dev-internal-token",  # the old shared internal token
        "Bearer test-token",
        "Basic bm90aWZ5Og==",
    ],
)
def test_no_credential_or_the_old_shared_token_is_refused(intake_app, contact_path, header):
    headers = {"Authorization": header} if header else {}
    client = intake_app.test_client(role=None)
    assert client.get(contact_path, headers=headers).status_code == 401


def test_a_staff_token_is_not_a_service_credential(intake_app, contact_path):
    token = signer(intake_app).api_token(staff("admin"))
    answer = intake_app.test_client(role=None).get(
        contact_path, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401


def _forged(key=None, **changes):
    now = int(time.time())
    claims = {"iss": "notify", "sub": "notify", "aud": "intake", "typ": "service",
              "iat": now, "exp": now + 60, **changes}  # fmt: skip
    key = key or keys.private_key(keys.dev_private_key("notify"), "k")
    return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="EdDSA")}


@pytest.mark.parametrize(
    "headers",
    [
        # notify's name, signed with another key (assessment's, or one of the attacker's)
        _forged(key=keys.private_key(keys.dev_private_key("assessment"), "k")),
        _forged(key=keys.private_key(keys.new_key_pair()[0], "k")),
        _forged(aud="referral"),  # addressed to another service
        _forged(exp=int(time.time()) - 5),  # expired
        _forged(exp=int(time.time()) + 86400),  # lives far longer than a call needs
        _forged(typ="api"),
    ],
    ids=["assessment-key", "unknown-key", "other-audience", "expired", "long-lived", "not-service"],
)
def test_forged_service_credentials_are_refused(intake_app, contact_path, headers):
    assert intake_app.test_client(role=None).get(contact_path, headers=headers).status_code == 401


def test_the_previsit_contact_admits_notify_only(intake_app):
    client = intake_app.test_client(role=None)
    path = "/internal/previsit/00000000-0000-0000-0000-000000000000/contact"
    assert client.get(path, headers=_as("notify")).status_code == 404  # admitted, unknown
    assert client.get(path, headers=_as("referral")).status_code == 403
    assert client.get(path, headers=_as("assessment")).status_code == 403


def test_outside_development_mode_a_caller_without_a_configured_key_gets_nowhere():
    """Development keys are trusted only in development mode: a deployment that gave
    intake no key for a caller admits that caller with none."""
    production = ServiceSettings.from_env("intake", {"INSCOPE_DATA_DIR": "/tmp/x"})
    token = ServiceSigner("notify", keys.dev_private_key("notify")).token("intake")
    assert production.service_public_keys == {}
    assert caller_of(production, token) is None
    private, public = keys.new_key_pair()
    given = ServiceSettings.from_env(
        "intake", {"INSCOPE_DATA_DIR": "/tmp/x", "NOTIFY_SERVICE_PUBLIC_KEY": public}
    )
    assert caller_of(given, ServiceSigner("notify", private).token("intake")) == "notify"
    assert caller_of(given, token) is None  # the development key no longer opens it
