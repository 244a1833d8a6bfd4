"""Fail closed (issue 12, item 1): outside development mode a service refuses to start
with a missing, public (code default or deploy/compose.env.example) or short secret,
naming the variable; INSCOPE_ENV=development accepts them with one warning."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from inscope_common import config, keys
from inscope_common.auth import ADMIN, Credentials, Principal
from inscope_common.config import DEV_STAFF_PRIVATE_KEY, DEV_STAFF_PUBLIC_KEY, InsecureSecrets
from inscope_common.events.signing import dev_signing_key, keygen

REPO = Path(__file__).resolve().parents[2]
_STAFF_PRIVATE, _STAFF_PUBLIC = keys.new_key_pair()
# One real event key pair, listed as every service's (each service must find its own).
_SIGNING, _PUBLIC = keygen("intake")
EVENT_KEY_NAMES = ("INSCOPE_EVENT_SIGNING_KEY", "INSCOPE_EVENT_PUBLIC_KEYS")
STRONG = {
    "INSCOPE_STAFF_TOKEN_PUBLIC_KEY": _STAFF_PUBLIC,
    "INSCOPE_STAFF_TOKEN_PRIVATE_KEY": _STAFF_PRIVATE,
    "INTAKE_PREVISIT_SECRET": "f" * 20 + "-previsit-secret-012345",
    **{
        variable: value
        for service in ("notify", "referral")
        for variable, value in zip(
            (keys.key_variable(service), keys.public_key_variable(service)),
            keys.new_key_pair(),
            strict=True,
        )
    },
    "REFERRAL_TOKEN_SECRET": "c" * 20 + "-referral-secret-012345",
    "INSCOPE_EVENT_SIGNING_KEY": _SIGNING,
    "INSCOPE_EVENT_PUBLIC_KEYS": ",".join(
        _PUBLIC.replace("intake:", f"{s}:", 1)
        for s in ("intake", "assessment", "referral", "notify")
    ),
}
# The broker's password travels in REDIS_URL (docker-compose.yml builds it from
# REDIS_PASSWORD); every process that talks to the broker checks it.
STRONG_REDIS_URL = "redis://:" + "e" * 20 + "-redis-password-0123456@127.0.0.1:6379/0"
# Which secrets each service's web process needs (its deployment contract says so).
WEB_SECRETS = {
    "intake": (
        "INSCOPE_STAFF_TOKEN_PUBLIC_KEY", "INTAKE_PREVISIT_SECRET", "NOTIFY_SERVICE_PUBLIC_KEY",
        "REFERRAL_SERVICE_PUBLIC_KEY",
        *EVENT_KEY_NAMES,
    ),
    "assessment": ("INSCOPE_STAFF_TOKEN_PUBLIC_KEY", *EVENT_KEY_NAMES),
    "referral": (
        "INSCOPE_STAFF_TOKEN_PUBLIC_KEY", "INSCOPE_STAFF_TOKEN_PRIVATE_KEY",
        "REFERRAL_SERVICE_KEY", "REFERRAL_TOKEN_SECRET", *EVENT_KEY_NAMES,
    ),
    "notify": ("INSCOPE_STAFF_TOKEN_PUBLIC_KEY", *EVENT_KEY_NAMES),
}
# Ed25519 keys (inscope_common.keys): one that is not 32 bytes of base64url is refused
# as it is read, naming the variable.
KEY_SETTINGS = (
    "INSCOPE_STAFF_TOKEN_PUBLIC_KEY", "INSCOPE_STAFF_TOKEN_PRIVATE_KEY", "NOTIFY_SERVICE_KEY",
    "NOTIFY_SERVICE_PUBLIC_KEY", "REFERRAL_SERVICE_KEY", "REFERRAL_SERVICE_PUBLIC_KEY",
)
# Unset outside development mode, these are simply absent: a private key to sign with,
# or a caller's public key (intake then admits that caller with nothing).
ABSENT_WHEN_UNSET = (
    "INSCOPE_STAFF_TOKEN_PRIVATE_KEY", "NOTIFY_SERVICE_PUBLIC_KEY", "REFERRAL_SERVICE_PUBLIC_KEY",
)
WEB_CASES = [(s, name) for s, names in WEB_SECRETS.items() for name in names]


def _example_values() -> dict[str, str]:
    lines = (REPO / "deploy" / "compose.env.example").read_text().splitlines()
    pairs = dict(line.split("=", 1) for line in lines if "=" in line and line[0] != "#")
    # Compose gives each service its own signing key as INSCOPE_EVENT_SIGNING_KEY.
    pairs["INSCOPE_EVENT_SIGNING_KEY"] = pairs["INTAKE_EVENT_SIGNING_KEY"]
    return {k: v for k, v in pairs.items() if k in STRONG}


def _production(tmp_path: Path, **secrets: str) -> dict[str, str]:
    """A deployment's environment: no INSCOPE_ENV, the given secrets only (and a broker
    password, tested on its own below)."""
    return {
        "INSCOPE_DATA_DIR": str(tmp_path / "var"),
        "REDIS_URL": STRONG_REDIS_URL,
        "INSCOPE_SCHEMA": "create",
        **{f"{s.upper()}_DATABASE_URL": f"sqlite:///{tmp_path}/{s}.db" for s in WEB_SECRETS},
        **secrets,
    }


def _create(service: str, env: dict[str, str], role: str = "web"):
    return importlib.import_module(f"inscope_{service}").create_app(env, role=role)


@pytest.mark.parametrize("service", sorted(WEB_SECRETS))
def test_with_no_secrets_set_every_service_refuses_to_start_naming_each(service, tmp_path):
    with pytest.raises(InsecureSecrets) as refused:
        _create(service, _production(tmp_path))
    message = str(refused.value)
    assert f"{service} refuses to start" in message
    for name in WEB_SECRETS[service]:
        unset = "is not set" if name in ABSENT_WHEN_UNSET[1:] else "is unset or a public default"
        assert f"{name} {unset}" in message
    for name in set(STRONG) - set(WEB_SECRETS[service]):
        assert name not in message  # only what this process needs


@pytest.mark.parametrize(("service", "name"), WEB_CASES)
@pytest.mark.parametrize("kind", ["missing", "example", "short"])
def test_each_missing_example_or_short_secret_is_refused_naming_it(service, name, kind, tmp_path):
    secrets = dict(STRONG)
    if kind == "missing":
        del secrets[name]
        # The private key's absence beside a real public key: nothing to sign with.
        unset = "is not set" if name in ABSENT_WHEN_UNSET else "is unset"
        expected = f"{name} {unset}"
    elif kind == "example":
        secrets[name] = _example_values()[name]
        expected = f"{name} is unset or a public default"
    elif name in KEY_SETTINGS:
        secrets[name] = secrets[name][:31]
        expected = f"{name} must be one Ed25519 key"
    elif name in EVENT_KEY_NAMES:  # an Ed25519 key is 32 bytes or no key at all
        secrets[name] = "k1:" + "x" * 31 if name == EVENT_KEY_NAMES[0] else "intake:k1:xx"
        expected = name
    else:
        secrets[name] = "x" * 31
        expected = f"{name} is shorter than 32 characters"
    with pytest.raises(config.ConfigError) as refused:
        _create(service, _production(tmp_path, **secrets))
    message = str(refused.value)
    assert expected in message
    assert all(other not in message for other in set(STRONG) - {name})


def test_every_example_value_shipped_for_compose_is_refused():
    examples = _example_values()
    assert set(examples) == set(STRONG)
    for name, value in examples.items():
        if name == "INSCOPE_EVENT_SIGNING_KEY":  # kid:KEY
            value = value.partition(":")[2]
        if name == "INSCOPE_EVENT_PUBLIC_KEYS":  # service:kid:KEY[,...]: each key
            for entry in value.split(","):
                assert entry.split(":")[2] in config.PUBLIC_SECRET_VALUES, entry
            continue
        assert value in config.PUBLIC_SECRET_VALUES, f"{name}={value} would start a service"


def test_a_token_forged_with_the_public_development_key_gets_nowhere(tmp_path):
    """With the public development key pair the service does not start at all; with a
    real pair the forged 100-year admin token is refused."""
    forged = Credentials(DEV_STAFF_PUBLIC_KEY, DEV_STAFF_PRIVATE_KEY).api_token(
        Principal("attacker", "Mallory", ADMIN), ttl_s=100 * 365 * 86400
    )
    without = {k: v for k, v in STRONG.items() if k != "INSCOPE_STAFF_TOKEN_PUBLIC_KEY"}
    with pytest.raises(InsecureSecrets, match="INSCOPE_STAFF_TOKEN_PUBLIC_KEY"):
        _create("intake", _production(tmp_path, **without))
    app = _create("intake", _production(tmp_path, **STRONG))
    try:
        answer = app.test_client().get(
            "/intakes/x", headers={"Authorization": f"Bearer {forged}"}
        )
        assert answer.status_code == 401
    finally:
        app.extensions["inscope"].engine.dispose()


def test_roles_check_only_the_secrets_they_use(tmp_path):
    # The notify worker calls intake with its own service key; intake's worker uses none.
    with pytest.raises(InsecureSecrets, match="NOTIFY_SERVICE_KEY"):
        _create("notify", _production(tmp_path), role="worker")
    keys = {name: STRONG[name] for name in EVENT_KEY_NAMES}
    app = _create("intake", _production(tmp_path, **keys), role="worker")
    app.extensions["inscope"].engine.dispose()


def test_the_accounts_command_refuses_a_public_staff_token_key(tmp_path, monkeypatch):
    from inscope_referral.cli import cli

    for name, value in _production(tmp_path).items():
        monkeypatch.setenv(name, value)
    for name in (*STRONG, "INSCOPE_ENV"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["accounts", "token", "someone@example.org", "--name", "x"])
    assert result.exit_code != 0
    assert "INSCOPE_STAFF_TOKEN_PRIVATE_KEY is unset or a public default" in result.output


def test_development_mode_starts_on_public_secrets_and_warns_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(config, "_warned_once", False)
    env = {**_production(tmp_path), "INSCOPE_ENV": "development"}
    with caplog.at_level(logging.WARNING, logger="inscope.secrets"):
        apps = [_create("referral", env), _create("intake", env)]
    for app in apps:
        app.extensions["inscope"].engine.dispose()
    warnings = [r for r in caplog.records if r.name == "inscope.secrets"]
    assert len(warnings) == 1
    assert "INSCOPE_STAFF_TOKEN_PUBLIC_KEY" in warnings[0].getMessage()


def test_an_unknown_environment_name_is_refused(tmp_path):
    with pytest.raises(config.ConfigError, match="INSCOPE_ENV"):
        _create("assessment", {**_production(tmp_path), "INSCOPE_ENV": "dev"})


# --- the bus (issue 12 item 6): the broker's password and the event keys ------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/0", "is not set"),
        ("redis://:change-me-redis-password@redis:6379/0", "is unset or a public"),
        ("rediss://:short@redis:6380/0", "is shorter than 32"),
    ],
)
def test_a_broker_without_a_real_password_is_refused(url, expected, tmp_path):
    env = {**_production(tmp_path, **STRONG), "REDIS_URL": url}
    for role in ("web", "worker", "relay"):
        with pytest.raises(InsecureSecrets) as refused:
            _create("notify", env, role=role)
        assert f"the password in REDIS_URL (redis://:PASSWORD@host:port/db) {expected}" in str(
            refused.value
        )


def test_a_development_public_key_anywhere_in_the_list_is_refused(tmp_path):
    """Its private half is published in the code: anyone could sign as that service. A
    retired key stays listed while events signed with it drain: it must be a real one."""
    from inscope_common.events.signing import dev_public_key

    public = f"{STRONG['INSCOPE_EVENT_PUBLIC_KEYS']},referral:old:{dev_public_key('referral')}"
    env = _production(tmp_path, **{**STRONG, "INSCOPE_EVENT_PUBLIC_KEYS": public})
    with pytest.raises(
        InsecureSecrets, match=r"INSCOPE_EVENT_PUBLIC_KEYS is unset or a public .*'referral:old'"
    ):
        _create("intake", env, role="worker")
    signing = f"k1:{dev_signing_key('intake')}"
    env = _production(tmp_path, **{**STRONG, "INSCOPE_EVENT_SIGNING_KEY": signing})
    with pytest.raises(InsecureSecrets, match=r"INSCOPE_EVENT_SIGNING_KEY is unset or a public"):
        _create("intake", env, role="worker")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("INSCOPE_EVENT_SIGNING_KEY", "no-colon-here", "must be kid:KEY"),
        ("INSCOPE_EVENT_SIGNING_KEY", "k 1:" + "A" * 43, "key id 'k 1'"),
        ("INSCOPE_EVENT_PUBLIC_KEYS", "intake:k1", "service:kid:KEY"),
        # The pair's public half missing: this service could not verify its own events.
        ("INSCOPE_EVENT_PUBLIC_KEYS", "referral:k1:" + "A" * 43, "own public key"),
    ],
)
def test_malformed_event_keys_are_refused_naming_the_variable(name, value, expected, tmp_path):
    env = _production(tmp_path, **{**STRONG, name: value})
    with pytest.raises(config.ConfigError, match=expected) as refused:
        _create("intake", env)
    assert name in str(refused.value)


def test_a_rediss_url_reaches_the_broker_over_tls_checking_its_certificate():
    """``rediss://`` with ``ssl_cert_reqs=required``: Celery's connection uses TLS and
    verifies the broker's certificate; the password is still checked."""
    import ssl

    from kombu import Connection

    from inscope_common.celery_app import celery_settings

    url = "rediss://:" + "e" * 40 + "@redis.internal:6380/0?ssl_cert_reqs=required"
    settings = config.ServiceSettings.from_env("notify", {"REDIS_URL": url})
    connection = Connection(celery_settings(settings)["broker_url"])
    assert connection.transport_cls == "rediss"
    assert connection.ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    assert config.redis_password(settings.redis_url) == "e" * 40
