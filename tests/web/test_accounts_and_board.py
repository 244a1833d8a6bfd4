"""Staff accounts (argon2, sign-in limits, the session cookie, the CLI) and the client
board, on the referral service."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from inscope_common.audit import entries
from inscope_common.auth import FRONT_DESK, PRE_SESSION_COOKIE, SESSION_COOKIE, TRAINER
from tests.conftest import free_port, signed

PASSWORD = "correct horse battery"
# The cookie, the redirects after sign-in and the password rules do not depend on the
# database engine: those tests run on SQLite only (a PostgreSQL variant costs fresh
# schemas and tables); the accounts' storage, the CLI and the board run on both.
SQLITE_ONLY = pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)


@pytest.fixture
def referral_env(service_env):
    # Nothing listens there: names and emails are "unavailable", never someone else's.
    closed = f"http://127.0.0.1:{free_port()}"
    return {**service_env, "INTAKE_URL": closed, "NOTIFY_URL": closed}


@pytest.fixture
def app(referral_env):
    from inscope_referral import create_app

    app = create_app(referral_env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def rt(app):
    return app.extensions["inscope"]


@pytest.fixture
def desk_account(rt):
    from inscope_referral.identity.accounts import create_account

    return create_account(rt, "Robin@Example.com", "Robin Desk", FRONT_DESK, PASSWORD)


def login_form(client, next_url="", **kwargs):
    page = client.get(f"/login?next={next_url}", **kwargs)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    return token.group(1)


def sign_in(client, email, password, next_url="", **kwargs):
    token = login_form(client, next_url, **kwargs)
    data = {"email": email, "password": password, "csrf_token": token, "next": next_url}
    return client.post("/login", data=data, **kwargs)


def test_passwords_are_stored_as_argon2id_hashes(rt, desk_account):
    from inscope_referral.identity.accounts import find_account

    stored = find_account(rt, "robin@example.com").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@SQLITE_ONLY
def test_signing_in_sets_a_guarded_session_cookie(app, desk_account):
    client = app.test_client(role=None)
    response = sign_in(client, "robin@example.com ", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/intakes/new")  # the desk's landing page
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE + "=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP in development
    principal = app.extensions["inscope_auth"].read_session(cookie.split(";")[0].split("=", 1)[1])
    assert (principal.name, principal.role) == ("Robin Desk", FRONT_DESK)
    assert client.get("/board").status_code == 200  # the cookie opens the pages


@SQLITE_ONLY
def test_over_tls_the_cookie_is_secure(app, desk_account):
    client = app.test_client(role=None)
    response = sign_in(client, "robin@example.com", PASSWORD, base_url="https://hub.example")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if SESSION_COOKIE in h)
    assert "Secure" in cookie


@SQLITE_ONLY
def test_login_goes_back_to_our_own_pages_only(app, rt, desk_account):
    intake_page = f"{rt.settings.urls['intake']}/intakes/new?inbound=7"
    back = sign_in(app.test_client(role=None), "robin@example.com", PASSWORD, intake_page)
    assert back.headers["Location"] == intake_page
    away = sign_in(app.test_client(role=None), "robin@example.com", PASSWORD, "https://evil.test/")
    assert "evil" not in away.headers["Location"]


@pytest.mark.parametrize(
    "next_url",
    ["/%09/evil.test/", "//evil.test/", "/%5Cevil.test/", "%5C%5Cevil.test", "/%0A/evil.test",
     "/%20/evil.test", "https://evil.test/", "http://127.0.0.1:5101%09@evil.test/"],
)  # fmt: skip
@SQLITE_ONLY
def test_an_off_site_next_lands_on_our_own_page(app, desk_account, next_url):
    """Issue 12: /login?next=/%09/evil.test/ redirected off-site (browsers drop the tab):
    the page's hidden field carries the decoded value, and the form posts it back."""
    client = app.test_client(role=None)
    page = client.get(f"/login?next={next_url}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    carried = html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))
    assert carried == unquote(next_url)
    form = {"email": "robin@example.com", "password": PASSWORD, "csrf_token": token}
    back = client.post("/login", data={**form, "next": carried})
    assert back.status_code == 303
    assert back.headers["Location"].endswith("/intakes/new")
    assert "evil" not in back.headers["Location"]


@SQLITE_ONLY
def test_a_local_next_path_is_kept(app, desk_account):
    back = sign_in(app.test_client(role=None), "robin@example.com", PASSWORD, "/board?q=1")
    assert back.headers["Location"] == "/board?q=1"


@pytest.mark.parametrize(
    "password",
    ["1234567890", "elevenchars", "123456789012", "Password2024!", "qwertyuiop123",
     "ADMINISTRATOR", "aaaaaaaaaaaa", "abababababab", "asdfghjklzxc", "iloveyou1234",
     "robin@example.com1"],
)  # fmt: skip
@SQLITE_ONLY
def test_short_common_or_obvious_passwords_are_refused(rt, password):
    from inscope_referral.identity.accounts import AccountError, create_account

    with pytest.raises(AccountError):
        create_account(rt, "robin@example.com", "Robin Desk", FRONT_DESK, password)


@SQLITE_ONLY
def test_a_long_uncommon_password_is_accepted_and_the_list_is_shipped(rt):
    from inscope_referral.identity.accounts import create_account
    from inscope_referral.identity.passwords import common_passwords, password_problem

    assert 200 <= len(common_passwords()) < 5000 and "password" in common_passwords()
    assert password_problem("correct horse battery") is None
    assert create_account(rt, "kim@example.com", "Kim", FRONT_DESK, "violet-ferry-lantern")


@SQLITE_ONLY
def test_a_next_address_that_does_not_parse_lands_on_our_own_page(app, desk_account):
    # urlsplit("http://[") raises ValueError: it was a 500 after a good password.
    back = sign_in(app.test_client(role=None), "robin@example.com", PASSWORD, "http://[")
    assert back.status_code == 303
    assert back.headers["Location"].endswith("/intakes/new")


@SQLITE_ONLY
def test_a_login_post_without_the_forms_token_is_refused(app, desk_account):
    client = app.test_client(role=None)
    response = client.post("/login", data={"email": "robin@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert not any(SESSION_COOKIE in h for h in response.headers.getlist("Set-Cookie"))
    login_form(client)  # sets the pre-session cookie...
    client.set_cookie(PRE_SESSION_COOKIE, "x" * 32)  # ...which a forged form cannot match
    forged = {"email": "robin@example.com", "password": PASSWORD, "csrf_token": "y" * 32}
    assert client.post("/login", data=forged).status_code == 400


@SQLITE_ONLY
def test_signing_out_clears_the_cookie(app, desk_account):
    client = app.test_client(role=None)
    sign_in(client, "robin@example.com", PASSWORD)
    page = client.get("/board").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # Another site's post (no CSRF token) cannot sign the staff member out (issue 12).
    assert client.post("/logout").status_code == 403
    assert client.get("/board").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert client.get("/board").status_code == 302  # back to the login page


def test_the_cli_creates_accounts_and_prints_working_tokens(app, referral_env, monkeypatch):
    from inscope_referral.cli import cli
    from inscope_referral.identity.cli import DEMO_EMAIL

    for key, value in referral_env.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    code, out = run("accounts", "ensure-demo-admin")
    assert code == 0 and "DEMO ONLY" in out and DEMO_EMAIL in out
    code, out = run("accounts", "ensure-demo-admin")
    # An admin exists: nothing created, but every start says how to sign in.
    assert code == 0 and "created" not in out and "'inscope-demo-only'" in out
    new_password = "a-new-long-password"
    code, out = run("accounts", "reset-password", DEMO_EMAIL, "--password", new_password)
    assert code == 0 and f"new password set for {DEMO_EMAIL}" in out
    code, out = run("accounts", "ensure-demo-admin")
    assert "inscope-demo-only" not in out and f"reset-password {DEMO_EMAIL}" in out
    assert sign_in(app.test_client(role=None), DEMO_EMAIL, new_password).status_code == 303
    code, out = run("accounts", "reset-password", "nobody@example.com", "--password", PASSWORD)
    assert code != 0 and "no account nobody@example.com" in out
    code, out = run(
        "accounts", "create", "--role", "trainer", "--email", "sam@example.com",
        "--name", "Sam Trainer", "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, out
    code, out = run("accounts", "create-admin", "--email", "sam@example.com", "--name", "S",
                    "--password", PASSWORD)  # fmt: skip
    assert code != 0 and "exists already" in out
    code, out = run("accounts", "create", "--role", "trainer", "--email", "kim@example.com",
                    "--name", "Kim", "--password", "short")  # fmt: skip
    assert code != 0 and "at least" in out
    code, token = run("accounts", "token", "sam@example.com", "--name", "script")
    assert code == 0
    client = app.test_client(role=None)
    headers = {"Authorization": f"Bearer {token.strip()}"}
    assert client.get("/referrals", headers=headers).status_code == 200  # a trainer may
    assert client.post("/referrals/inbound", json={}, headers=headers).status_code == 403


# --- the board -------------------------------------------------------------------


def deliver(app, event):
    app.extensions["celery"].tasks["referral.consume_event"].apply(args=[signed(event)]).get()


@pytest.fixture
def clients_on_board(app, redis_client):
    """One client cleared at screening, one with chest pain now (an emergency)."""
    from tests.services.test_redelivery import _intake_event

    deliver(app, _intake_event(client_id="client-calm", intake_id="intake-calm"))
    emergency = _intake_event(client_id="client-chest", intake_id="intake-chest")
    emergency["data"]["screening"]["red_flags"] = {"chest_pain_now": True}
    deliver(app, emergency)


def test_the_front_desk_sees_everyone_and_the_emergency_but_no_clinical_detail(
    app, clients_on_board
):
    html = app.test_client(role=FRONT_DESK).get("/board").get_data(as_text=True)
    assert "Emergency: act now" in html and 'role="alert"' in html
    assert html.count("<tr data-client=") == 2
    assert "Ready for the movement assessment" in html
    assert 'class="badge b-emergency">Emergency</span>' in html  # the badge, with its word
    assert "/clients/client-chest/view" not in html  # no link to the clinical page
    assert "<th scope=\"col\">To</th>" not in html  # no referral target column
    assert app.test_client(role=FRONT_DESK).get("/clients/client-chest/view").status_code == 403


def test_the_board_filters_by_where_clients_stand(app, clients_on_board):
    client = app.test_client(role=TRAINER)
    html = client.get("/board?status=awaiting_assessment").get_data(as_text=True)
    assert 'data-client="client-calm"' in html and 'data-client="client-chest"' not in html
    html = client.get("/board?referral=answered").get_data(as_text=True)
    assert "No client matches." in html


def test_the_client_page_gives_the_decision_and_its_reasons(app, rt, clients_on_board):
    from inscope_referral.models import AuditEntry

    page = app.test_client(role=TRAINER).get("/clients/client-chest/view")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Call 911 now" in html
    assert re.search(r'class="rule-tag"[^>]*>RF-3</span>', html)
    assert "The notify service did not answer" in html  # unreachable here, and said so
    views = [
        (r["role"], r["action"], r["client_id"]) for r in entries(rt.session_factory, AuditEntry)
    ]
    assert (TRAINER, "view", "client-chest") in views


def test_an_admin_manages_accounts_on_a_page(app, rt, desk_account):
    from inscope_referral.identity.accounts import create_account

    create_account(rt, "boss@example.com", "Jo Admin", "admin", PASSWORD)
    admin = app.test_client(role=None)
    sign_in(admin, "boss@example.com", PASSWORD)
    page = admin.get("/admin/accounts").get_data(as_text=True)
    assert 'data-account="robin@example.com"' in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    new = {"email": "kim@example.com", "name": "Kim Lee", "role": TRAINER, "password": "x"}
    refused = admin.post("/admin/accounts", data={**new, "csrf_token": csrf})
    assert refused.status_code == 422 and "at least 12 characters" in refused.get_data(True)
    assert 'value="kim@example.com"' in refused.get_data(as_text=True)  # kept
    assert admin.post("/admin/accounts", data={**new, "password": PASSWORD}).status_code == 403
    created = admin.post("/admin/accounts", data={**new, "password": PASSWORD, "csrf_token": csrf})
    assert created.status_code == 303
    assert sign_in(app.test_client(role=None), "kim@example.com", PASSWORD).status_code == 303

    desk_id = desk_account.id
    stop = admin.post(f"/admin/accounts/{desk_id}/active", data={"active": "0", "csrf_token": csrf})
    assert stop.status_code == 303
    assert sign_in(app.test_client(role=None), "robin@example.com", PASSWORD).status_code == 401
    assert app.test_client(role=TRAINER).get("/admin/accounts").status_code == 403


def test_an_admin_sets_the_profile_letters_are_signed_with(app, rt, desk_account):
    from inscope_referral.identity.accounts import create_account
    from inscope_referral.models import Account

    create_account(rt, "boss@example.com", "Jo Admin", "admin", PASSWORD)
    admin = app.test_client(role=None)
    sign_in(admin, "boss@example.com", PASSWORD)
    page = admin.get("/admin/accounts").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    profile = {"name": "Robin Desk", "credential": "NASM CPT, CES", "registration": "NASM-1"}
    url = f"/admin/accounts/{desk_account.id}/profile"
    assert admin.post(url, data=profile).status_code == 403  # no form token
    assert admin.post(url, data={**profile, "csrf_token": csrf}).status_code == 303
    with rt.session_factory() as session:
        row = session.get(Account, desk_account.id)
        assert (row.credential, row.registration) == ("NASM CPT, CES", "NASM-1")
    shown = admin.get("/admin/accounts").get_data(as_text=True)
    assert "Robin Desk, NASM CPT, CES (registration NASM-1)" in shown
    # Who changed the signature clinical letters carry, and to what: audited.
    from inscope_referral.models import AuditEntry

    [changed] = [e for e in entries(rt.session_factory, AuditEntry)
                 if e["action"] == "admin" and e["record_id"] == desk_account.id]
    assert changed["record"] == "account" and changed["account_name"] == "Jo Admin"
    assert "Robin Desk, NASM CPT, CES (registration NASM-1)" in changed["detail"]
    empty = admin.post(url, data={**profile, "name": " ", "csrf_token": csrf})
    assert empty.status_code == 422
    assert app.test_client(role=TRAINER).post(url, data=profile).status_code == 403
