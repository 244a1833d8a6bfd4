"""Issue 13: a process keeps the staff and service credentials it verified, so the same
token is not verified again on every request; what it admits does not change. A kept
token ends at its expiry, a forged one is never kept, revocation, the idle timeout and
roles are checked on every request as before, a service credential is kept only for
the audience and caller key it was verified against, and the memory is bounded."""

from __future__ import annotations

import time

import jwt
import pytest

from inscope_common import keys, service_auth
from inscope_common.auth import ADMIN, FRONT_DESK, TRAINER, Credentials, Principal
from inscope_common.config import DEV_STAFF_PRIVATE_KEY, DEV_STAFF_PUBLIC_KEY, ServiceSettings
from inscope_common.revocation import Revocation, RevocationList, credential_key
from inscope_common.service_auth import ServiceSigner, caller_of
from inscope_common.verified_tokens import VerifiedTokens
from tests.conftest import sqlite_only

DESK = Principal("acct-1", "Robin Desk", FRONT_DESK)

database_backend = sqlite_only("which credentials a service admits")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class CountingDecode:
    """jwt.decode, counting the verifications (an unverified read is not one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = jwt.decode

        def decode(*args, **kwargs):
            if (kwargs.get("options") or {}).get("verify_signature", True):
                self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(jwt, "decode", decode)


def test_a_token_is_verified_once_and_reads_back_the_same(monkeypatch):
    creds = Credentials(DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY)
    token = creds.api_token(DESK)
    decode = CountingDecode(monkeypatch)
    first = creds.read_api_token(token)
    assert first == DESK and decode.calls == 1
    for _ in range(3):
        again = creds.read_api_token(token)
        assert again == first and again.credential_id == first.credential_id
    assert decode.calls == 1
    # The kept token is still only an API token, never a session.
    assert creds.read_session(token) is None


def test_a_kept_token_is_forgotten_at_its_expiry():
    """The memory's own clock: at ``exp`` (PyJWT: ``exp <= now`` is expired) the token
    is no longer kept, so the next request verifies it in full (and PyJWT refuses it:
    the next test, on the real clock)."""
    clock = Clock()
    creds = Credentials(DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY)
    creds.verified = VerifiedTokens(clock=clock)
    token = creds.api_token(DESK, ttl_s=60)
    assert creds.read_api_token(token) == DESK
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    clock.now = exp - 0.5
    assert creds.verified.get(token) is not None
    clock.now = exp
    assert creds.verified.get(token) is None
    assert len(creds.verified) == 0


def test_an_expired_token_is_refused_though_it_was_kept():
    """With the real clock: a token kept while valid is refused once expired, as PyJWT
    refuses it."""
    creds = Credentials(DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY)
    token = creds.api_token(DESK, ttl_s=1)
    assert creds.read_api_token(token) == DESK
    _sleep_past(jwt.decode(token, options={"verify_signature": False})["exp"])
    assert creds.read_api_token(token) is None
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(
            token,
            creds._public,
            algorithms=["EdDSA"],
            audience="inscope-staff",
            issuer="inscope-identity",
        )


def _sleep_past(exp: float) -> None:
    while time.time() < exp:
        time.sleep(exp - time.time() + 0.01)


def test_forged_tokens_are_never_kept(monkeypatch):
    creds = Credentials(DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY)
    good = creds.api_token(DESK)
    other = keys.private_key(keys.dev_private_key("notify"), "test")
    forged = [
        good[:-2] + ("xx" if not good.endswith("xx") else "yy"),
        creds.api_token(DESK, ttl_s=-1),
        jwt.encode(jwt.decode(good, options={"verify_signature": False}), other, algorithm="EdDSA"),
    ]
    decode = CountingDecode(monkeypatch)
    for value in forged * 2:
        assert creds.read_api_token(value) is None
    assert decode.calls == len(forged) * 2  # verified, and refused, every time
    assert len(creds.verified) == 0


def test_revocation_still_ends_a_kept_token():
    entries: dict[str, Revocation] = {}
    creds = Credentials(
        DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY, RevocationList(lambda: entries, 0)
    )
    token = creds.api_token(DESK)
    principal = creds.read_api_token(token)
    assert not creds.is_revoked(principal)
    entries[credential_key(principal.credential_id)] = Revocation(
        credential_key(principal.credential_id), time.time() + 3600
    )
    again = creds.read_api_token(token)  # from the memory
    assert again is not None and creds.is_revoked(again)


def test_the_memory_is_bounded_oldest_first():
    kept = VerifiedTokens(size=3)
    exp = int(time.time()) + 60
    for n in range(5):
        kept.put(f"t{n}", {"n": n}, exp)
    assert len(kept) == 3
    assert kept.get("t0") is None and kept.get("t1") is None
    assert kept.get("t4") == {"n": 4}


def test_a_kept_token_of_a_revoked_or_wrong_role_is_refused_over_http(intake_app, redis_url):
    """Through the service's guard: the same bearer token, kept after its first use,
    is refused for a role it lacks, and refused once revoked."""
    from inscope_common.revocation import publish
    from tests.conftest import signer

    credentials = intake_app.extensions["inscope_auth"]
    credentials.revocations.cache_s = 0
    desk = signer(intake_app).api_token(DESK)
    client = intake_app.test_client(role=None)
    headers = {"Authorization": f"Bearer {desk}"}
    assert client.get("/clients/search?q=a", headers=headers).status_code == 200
    assert desk in {key for key in credentials.verified._entries}
    assert client.get("/intakes/x/review", headers=headers).status_code == 403  # trainers'
    jti = credentials.read_api_token(desk).credential_id
    assert publish(
        redis_url, {credential_key(jti): Revocation(credential_key(jti), time.time() + 3600)}
    )
    assert client.get("/clients/search?q=a", headers=headers).status_code == 401


def test_a_kept_session_still_ends_when_idle():
    class Activity:
        alive_now = True

        def alive(self, _sid: str) -> bool:
            return self.alive_now

        def start(self, _sid: str) -> None:
            pass

    activity = Activity()
    creds = Credentials(DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY, activity=activity)
    cookie = creds.session_cookie(Principal("acct-2", "Tess Trainer", TRAINER))
    assert creds.read_session(cookie) is not None
    activity.alive_now = False
    assert creds.read_session(cookie) is None  # kept, and refused: idle


def test_a_service_credential_is_kept_for_its_audience_and_caller_key(monkeypatch):
    monkeypatch.setattr(service_auth, "_verified", VerifiedTokens())
    private, public = keys.new_key_pair()
    intake = ServiceSettings.from_env(
        "intake", {"INSCOPE_DATA_DIR": "/tmp/x", "NOTIFY_SERVICE_PUBLIC_KEY": public}
    )
    token = ServiceSigner("notify", private).token("intake")
    decode = CountingDecode(monkeypatch)
    assert caller_of(intake, token) == "notify"
    assert caller_of(intake, token) == "notify"
    assert decode.calls == 1
    # Another key for notify (replaced): the kept credential opens nothing.
    _other_private, other_public = keys.new_key_pair()
    replaced = ServiceSettings.from_env(
        "intake", {"INSCOPE_DATA_DIR": "/tmp/x", "NOTIFY_SERVICE_PUBLIC_KEY": other_public}
    )
    assert caller_of(replaced, token) is None
    # Another audience: not this service's credential.
    referral = ServiceSettings.from_env(
        "referral", {"INSCOPE_DATA_DIR": "/tmp/x", "NOTIFY_SERVICE_PUBLIC_KEY": public}
    )
    assert caller_of(referral, token) is None
    # At its expiry it is refused, kept or not.
    now = int(time.time())
    short = jwt.encode(
        {
            "iss": "notify",
            "sub": "notify",
            "aud": "intake",
            "typ": "service",
            "iat": now,
            "exp": now + 1,
            "jti": "short",
        },
        keys.private_key(private, "test"),
        algorithm="EdDSA",
    )
    assert caller_of(intake, short) == "notify"
    _sleep_past(now + 1)
    assert caller_of(intake, short) is None


def test_roles_are_read_from_the_kept_claims():
    creds = Credentials(DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY)
    admin = creds.api_token(Principal("acct-3", "Ada Admin", ADMIN))
    desk = creds.api_token(DESK)
    for _ in range(2):
        assert creds.read_api_token(admin).role == ADMIN
        assert creds.read_api_token(desk).role == FRONT_DESK
