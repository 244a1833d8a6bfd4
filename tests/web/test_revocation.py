"""Issue 12 item 3: revocation. Sign-out, stopping an account, changing its role and
revoking an API token end the credentials at once, in the referral service and in the
other services (which read the revocation list the referral service copies to Redis);
idle sessions end; API tokens are named, listed and expire within the configured
maximum."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from inscope_common.auth import FRONT_DESK, SESSION_COOKIE, TRAINER
from tests.conftest import free_port, sqlite_only

database_backend = sqlite_only("which credentials stop working when")

PASSWORD = "correct horse battery"


@pytest.fixture
def env(service_env):
    closed = f"http://127.0.0.1:{free_port()}"
    # No cache: the tests look right after each change (2 s by default).
    return {**service_env, "NOTIFY_URL": closed, "INSCOPE_REVOCATION_CACHE_S": "0"}


@pytest.fixture
def hub(env):
    from inscope_referral import create_app

    app = create_app(env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def intake(env):
    from inscope_intake import create_app

    app = create_app(env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def rt(hub):
    return hub.extensions["inscope"]


@pytest.fixture
def desk(rt):
    from inscope_referral.identity.accounts import create_account

    return create_account(rt, "robin@example.com", "Robin Desk", FRONT_DESK, PASSWORD)


@pytest.fixture
def admin_client(hub, rt):
    from inscope_referral.identity.accounts import create_account

    create_account(rt, "ada@example.com", "Ada Admin", "admin", PASSWORD)
    client = hub.test_client(role=None)
    sign_in(client, "ada@example.com", PASSWORD)
    return client


def sign_in(client, email, password):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def session_cookie(response) -> str:
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE + "=")
    )
    return header.split(";")[0].split("=", 1)[1]


def csrf_of(client, path="/board") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def with_cookie(app, cookie):
    client = app.test_client(role=None)
    client.set_cookie(SESSION_COOKIE, cookie)
    return client


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_copied_session_cookie_stops_working_after_sign_out_in_every_service(
    hub, intake, desk
):
    client = hub.test_client(role=None)
    cookie = session_cookie(sign_in(client, "robin@example.com", PASSWORD))
    assert with_cookie(intake, cookie).get("/intakes/new").status_code == 200
    assert with_cookie(hub, cookie).get("/board").status_code == 200
    csrf = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    # The copy someone kept (a shared computer, a stolen cookie) is refused everywhere.
    assert with_cookie(hub, cookie).get("/board").status_code == 302
    assert with_cookie(intake, cookie).get("/intakes/new").status_code == 302
    assert with_cookie(intake, cookie).get("/intakes/new").headers["Location"].startswith(
        hub.extensions["inscope"].settings.urls["referral"] + "/login"
    )
    # Signing in again gives a new session that works.
    fresh = session_cookie(sign_in(client, "robin@example.com", PASSWORD))
    assert with_cookie(intake, fresh).get("/intakes/new").status_code == 200


def test_stopping_an_account_ends_its_session_and_tokens_at_once(
    hub, intake, rt, desk, admin_client
):
    from inscope_referral.identity.accounts import issue_token

    cookie = session_cookie(sign_in(hub.test_client(role=None), "robin@example.com", PASSWORD))
    _record, token = issue_token(rt, hub.extensions["inscope_auth"], desk, "desk script", 5, "t")
    assert intake.test_client(role=None).get("/intakes/new", headers=bearer(token)).status_code \
        == 200  # fmt: skip
    csrf = csrf_of(admin_client, "/admin/accounts")
    stop = admin_client.post(
        f"/admin/accounts/{desk.id}/active", data={"active": "0", "csrf_token": csrf}
    )
    assert stop.status_code == 303
    assert with_cookie(hub, cookie).get("/board").status_code == 302
    assert with_cookie(intake, cookie).get("/intakes/new").status_code == 302
    refused = intake.test_client(role=None).get("/clients/search?q=a", headers=bearer(token))
    assert refused.status_code == 401
    # The admin who stopped it is not affected.
    assert admin_client.get("/admin/accounts").status_code == 200


def test_changing_a_role_ends_the_sessions_that_name_the_old_role(hub, intake, rt, desk,
                                                                  admin_client):
    cookie = session_cookie(sign_in(hub.test_client(role=None), "robin@example.com", PASSWORD))
    csrf = csrf_of(admin_client, "/admin/accounts")
    changed = admin_client.post(
        f"/admin/accounts/{desk.id}/role", data={"role": TRAINER, "csrf_token": csrf}
    )
    assert changed.status_code == 303
    assert with_cookie(intake, cookie).get("/intakes/new").status_code == 302
    client = hub.test_client(role=None)
    fresh = session_cookie(sign_in(client, "robin@example.com", PASSWORD))
    principal = hub.extensions["inscope_auth"].read_session(fresh)
    assert principal.role == TRAINER
    assert with_cookie(hub, fresh).get("/board").status_code == 200


def test_api_tokens_are_named_listed_capped_and_revocable_by_an_admin(
    hub, intake, rt, desk, admin_client, env
):
    csrf = csrf_of(admin_client, "/admin/accounts")
    too_long = admin_client.post(
        "/admin/tokens",
        data={"email": desk.email, "name": "forever", "days": "3650", "csrf_token": csrf},
    )
    assert too_long.status_code == 422 and "at most 90 days" in too_long.get_data(as_text=True)
    unnamed = admin_client.post(
        "/admin/tokens", data={"email": desk.email, "name": " ", "days": "5", "csrf_token": csrf}
    )
    assert unnamed.status_code == 422
    issued = admin_client.post(
        "/admin/tokens",
        data={"email": desk.email, "name": "label printer", "days": "7", "csrf_token": csrf},
    )
    assert issued.status_code == 200
    page = issued.get_data(as_text=True)
    token = re.search(r"<code>([^<]+)</code>", page).group(1)
    assert intake.test_client(role=None).get("/clients/search?q=a", headers=bearer(token)) \
        .status_code == 200  # fmt: skip
    listed = admin_client.get("/admin/accounts").get_data(as_text=True)
    token_id = re.search(r'data-token="([^"]+)"', listed).group(1)
    assert "label printer" in listed and token not in listed  # the token is shown once
    revoked = admin_client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert intake.test_client(role=None).get("/clients/search?q=a", headers=bearer(token)) \
        .status_code == 401  # fmt: skip
    assert "label printer" not in admin_client.get("/admin/accounts").get_data(as_text=True)


@pytest.mark.parametrize("drawn", ["random", "starting with a dash"])
def test_the_cli_lists_and_revokes_tokens_and_keeps_to_the_maximum(
    hub, intake, desk, env, monkeypatch, drawn
):
    from inscope_referral.cli import cli

    if drawn != "random":  # one draw in 64 starts with "-": the CLI read it as an option
        import secrets

        draw = secrets.token_urlsafe
        monkeypatch.setattr(secrets, "token_urlsafe", lambda n=None: "-" + draw(n)[1:])
    for key, value in {**env, "INSCOPE_API_TOKEN_MAX_DAYS": "10"}.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    over = runner.invoke(cli, ["accounts", "token", desk.email, "--name", "x", "--days", "11"])
    assert over.exit_code != 0 and "at most 10 days" in over.output
    made = runner.invoke(cli, ["accounts", "token", desk.email, "--name", "kiosk", "--days", "2"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    client = intake.test_client(role=None)
    assert client.get("/clients/search?q=a", headers=bearer(token)).status_code == 200
    listed = runner.invoke(cli, ["accounts", "tokens"])
    line = next(row for row in listed.output.splitlines() if "\tkiosk\t" in row)
    assert desk.email in line
    token_id = line.split("\t")[0]
    assert runner.invoke(cli, ["accounts", "revoke-token", token_id]).exit_code == 0
    assert client.get("/clients/search?q=a", headers=bearer(token)).status_code == 401
    assert "kiosk" not in runner.invoke(cli, ["accounts", "tokens"]).output


def test_an_idle_session_ends_and_working_keeps_it_alive(hub, intake, desk, redis_url):
    """Idle time is kept in Redis (only the identity owner can sign a cookie, so no
    service renews a mark inside it): any service's answer renews it; once it lapses,
    every service refuses the session."""
    import redis

    from inscope_common.auth import SessionActivity

    client = hub.test_client(role=None)
    cookie = session_cookie(sign_in(client, "robin@example.com", PASSWORD))
    sid = hub.extensions["inscope_auth"].read_session(cookie).session_id
    key = SessionActivity.PREFIX + sid
    broker = redis.Redis.from_url(redis_url)
    idle_s = intake.extensions["inscope_auth"].idle_s
    assert idle_s == 30 * 60
    # Nearly idle (10 s left): working on another service renews the full idle time.
    broker.expire(key, 10)
    assert with_cookie(intake, cookie).get("/intakes/new").status_code == 200
    assert broker.ttl(key) > idle_s - 60
    # Idle past the limit (the key lapsed): refused everywhere, even by a service that
    # renewed it a moment ago once its minute of trust is over.
    broker.delete(key)
    for app, page in ((hub, "/board"), (intake, "/intakes/new")):
        app.extensions["inscope_auth"].activity.renew_s = 0
        assert with_cookie(app, cookie).get(page).status_code == 302
    broker.close()


def test_other_services_keep_the_last_list_when_redis_does_not_answer(hub, intake, desk):
    client = hub.test_client(role=None)
    cookie = session_cookie(sign_in(client, "robin@example.com", PASSWORD))
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert with_cookie(intake, cookie).get("/intakes/new").status_code == 302
    revocations = intake.extensions["inscope_auth"].revocations

    def down():
        raise ConnectionError("broker down")

    revocations.set_source(down)
    assert with_cookie(intake, cookie).get("/intakes/new").status_code == 302


def test_handing_the_tablet_to_a_client_ends_the_staff_session_on_the_server(env, hub, desk):
    """Issue 15 item 2: the tablet's hand-over revokes the desk's session as sign-out
    does (the intake service asks the identity owner, served here on a local port), so
    a copy of the cookie kept from before the hand-over opens no staff page anywhere,
    not only until the idle timeout."""
    import threading

    from werkzeug.serving import make_server

    from inscope_intake import create_app

    server = make_server("127.0.0.1", 0, hub, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    intake = create_app({**env, "REFERRAL_URL": f"http://127.0.0.1:{server.port}"})
    try:
        cookie = session_cookie(sign_in(hub.test_client(role=None), "robin@example.com",
                                        PASSWORD))
        tablet = with_cookie(intake, cookie)
        csrf = csrf_of(tablet, "/previsit")
        handed = tablet.post("/previsit/tablet", data={
            "tablet_first_name": "Mai", "tablet_last_name": "Nguyen", "csrf_token": csrf})
        assert handed.status_code == 303 and handed.headers["Location"].endswith("/tablet")
        # Every process's minute of trust in a session it saw lately is over.
        for app in (hub, intake):
            app.extensions["inscope_auth"].activity.renew_s = 0
        assert with_cookie(intake, cookie).get("/previsit").status_code == 302
        assert with_cookie(hub, cookie).get("/board").status_code == 302
        # Revoked, not only idle: the list names the session.
        principal = hub.extensions["inscope_auth"]._verify(cookie, "session")
        revoked = hub.extensions["inscope_auth"].revocations
        assert revoked.is_revoked(principal["sub"], principal["sid"], principal["iat"])
    finally:
        server.shutdown()
        intake.extensions["inscope"].engine.dispose()
