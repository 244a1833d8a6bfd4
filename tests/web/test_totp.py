"""Issue 12 item 5: an optional TOTP second factor (RFC 6238, pyotp) for staff accounts:
enrolled by an admin at the command line; the account then signs in only with its
current code, each code once."""

from __future__ import annotations

import re

import pyotp
import pytest
from click.testing import CliRunner

from inscope_common.auth import TRAINER
from tests.conftest import free_port

PASSWORD = "correct horse battery"
EMAIL = "sam@example.com"


@pytest.fixture
def env(service_env):
    closed = f"http://127.0.0.1:{free_port()}"
    return {**service_env, "INTAKE_URL": closed, "NOTIFY_URL": closed}


@pytest.fixture
def app(env):
    from inscope_referral import create_app

    app = create_app(env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def cli(env, monkeypatch):
    from inscope_referral.cli import cli

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


def attempt(app, code="", address="10.3.0.1"):
    client = app.test_client(role=None)
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": EMAIL, "password": PASSWORD, "code": code,
                                       "csrf_token": token}, environ_base=environ)  # fmt: skip


def test_an_enrolled_account_needs_its_current_code_once(app, cli):
    from inscope_referral.identity.accounts import create_account

    create_account(app.extensions["inscope"], EMAIL, "Sam", TRAINER, PASSWORD)
    assert attempt(app).status_code == 303  # no second factor yet: the password is enough
    enrolled = cli("accounts", "totp-enroll", EMAIL)
    assert enrolled.exit_code == 0, enrolled.output
    secret = re.search(r"secret ([A-Z2-7]+)", enrolled.output).group(1)
    assert "otpauth://totp/InScope:sam%40example.com" in enrolled.output
    totp = pyotp.TOTP(secret)
    assert attempt(app, "", "10.3.0.2").status_code == 401  # the password alone no more
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    assert attempt(app, wrong, "10.3.0.3").status_code == 401
    code = totp.now()  # one code, read once: a second now() may fall in the next step
    assert attempt(app, code, "10.3.0.4").status_code == 303
    assert attempt(app, code, "10.3.0.5").status_code == 401  # a code is good once
    assert cli("accounts", "totp-disable", EMAIL).exit_code == 0
    assert attempt(app, "", "10.3.0.6").status_code == 303
    assert cli("accounts", "totp-enroll", "nobody@example.com").exit_code != 0


def test_admins_need_a_second_factor_where_it_is_required(env, monkeypatch):
    """INSCOPE_ADMIN_TOTP=required (the default outside development mode): an admin
    without TOTP is refused even with the right password, and signs in once enrolled."""
    from inscope_referral import create_app
    from inscope_referral.config import load_settings
    from inscope_referral.identity.accounts import create_account, enroll_totp

    assert load_settings({}).admin_totp_required  # production: required
    assert not load_settings({"INSCOPE_ENV": "development"}).admin_totp_required
    app = create_app({**env, "INSCOPE_ADMIN_TOTP": "required"})
    try:
        rt = app.extensions["inscope"]
        create_account(rt, EMAIL, "Sam Admin", "admin", PASSWORD)
        refused = attempt(app, "", "10.4.0.1")
        assert refused.status_code == 403
        assert "totp-enroll" in refused.get_data(as_text=True)
        secret, _uri = enroll_totp(rt, EMAIL)
        assert attempt(app, pyotp.TOTP(secret).now(), "10.4.0.2").status_code == 303
        # A trainer is not asked for one.
        create_account(rt, "kim@example.com", "Kim", TRAINER, PASSWORD)
        client = app.test_client(role=None)
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post("/login", data={"email": "kim@example.com", "password": PASSWORD,
                                           "csrf_token": token}).status_code == 303  # fmt: skip
    finally:
        app.extensions["inscope"].engine.dispose()
