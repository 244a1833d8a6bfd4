"""Issue 12 item 4 (the apps' part): security headers on every answer of every service,
no inline script or style in any page, and the client address and scheme taken from
exactly the configured number of proxy hops (werkzeug ProxyFix)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inscope_common.auth import ADMIN, SESSION_COOKIE
from tests.conftest import REPO, signer, sqlite_only
from tests.services.conftest import staff
from tests.web.test_role_matrix import GUARDED, calls, send

database_backend = sqlite_only("the headers, inline markup and proxy hops")


STATIC = {"static", "inscope_web.static"}
# Inline script or style in markup: what a CSP without 'unsafe-inline' blocks.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I
)


@pytest.fixture(params=GUARDED)
def guarded_app(request, service_env):
    from importlib import import_module

    app = import_module(f"inscope_{request.param}").create_app(service_env)
    yield request.param, app
    app.extensions["inscope"].engine.dispose()


def check_headers(endpoint, path, response):
    where = f"{endpoint} {path} -> {response.status_code}"
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    # Scripts from our own files only (or none at all: the answer page's stricter policy).
    assert "script-src 'self'" in csp or (
        "default-src 'none'" in csp and "script-src" not in csp
    ), where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert "style-src 'self'" in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in ("no-referrer", "same-origin"), where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    if endpoint not in STATIC:
        assert response.headers.get("Cache-Control") == "no-store", where


def test_every_route_of_every_service_sends_the_security_headers(guarded_app):
    """Signed in as an admin (browser cookie) and without any credential, every method of
    every route, whatever it answers (pages, APIs, errors, redirects, probes)."""
    service, app = guarded_app
    signed_in = app.test_client(role=None)
    signed_in.set_cookie(SESSION_COOKIE, signer(app).session_cookie(
        staff(ADMIN)))  # fmt: skip
    anonymous = app.test_client(role=None)
    checked = 0
    for endpoint, method, path in calls(app):
        if endpoint in STATIC:
            path = "/static/" + next(iter(_static_files(app)), "x.css")
        for client in (signed_in, anonymous):
            response = send(client, method, path)
            try:
                check_headers(endpoint, path, response)
            finally:
                response.close()  # a static file's answer holds the file open
            checked += 1
    assert checked >= 20
    # An unknown address and the API JSON answers too.
    check_headers("unknown", "/no/such/page", anonymous.get("/no/such/page"))


def _static_files(app) -> list[str]:
    folder = Path(app.static_folder or "")
    return sorted(p.name for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("intake", "/intakes/new"),
        ("assessment", "/assess"),
        ("referral", "/board"),
        ("referral", "/login"),
        ("referral", "/admin/accounts"),
        ("referral", "/admin/dead-letters"),
        ("notify", "/admin/dead-letters"),
    ],
)
def test_the_pages_themselves_carry_no_inline_script_or_style(service, path, service_env):
    from importlib import import_module

    app = import_module(f"inscope_{service}").create_app(service_env)
    try:
        client = app.test_client(role=None)
        client.set_cookie(SESSION_COOKIE, signer(app).session_cookie(
            staff(ADMIN)))  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        page = response.get_data(as_text=True)
        assert not INLINE.findall(page), INLINE.findall(page)
        check_headers(path, path, response)
    finally:
        app.extensions["inscope"].engine.dispose()


def test_no_page_template_has_inline_script_or_style():
    """Every page template of every service and the shared layout (emails are not
    pages: mail clients need inline styles, and no CSP applies there)."""
    templates = [
        p
        for p in REPO.glob("services/*/inscope_*/templates/**/*.html")
        if "inscope_notify" not in p.parts
    ] + list(REPO.glob("lib/inscope_common/web/templates/*.html"))
    assert len(templates) > 15
    found = {
        str(p.relative_to(REPO)): INLINE.findall(p.read_text())
        for p in templates
        if INLINE.findall(p.read_text())
    }
    assert not found, found


def test_hsts_over_tls(intake_app):
    response = intake_app.test_client().get("/healthz", base_url="https://clinic.example")
    assert "max-age=" in response.headers.get("Strict-Transport-Security", "")
    plain = intake_app.test_client().get("/healthz")
    assert "Strict-Transport-Security" not in plain.headers


# --- proxy hops ---------------------------------------------------------------------


@pytest.fixture
def hub_factory(service_env):
    made = []

    def make(hops: int):
        from inscope_referral import create_app

        app = create_app({**service_env, "INSCOPE_PROXY_HOPS": str(hops)})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["inscope"].engine.dispose()


def _failed_sign_in(app, headers):
    client = app.test_client(role=None)
    page = client.get("/login", headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"email": "x@example.com", "password": "wrong", "csrf_token": token},
        headers=headers,
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy's own address
    )
    from sqlalchemy import select

    from inscope_referral.models import LoginFailure

    with app.extensions["inscope"].session_factory() as session:
        return session.scalars(select(LoginFailure.address)).all()[-1]


def test_one_trusted_hop_gives_the_clients_address_and_scheme(hub_factory):
    app = hub_factory(1)
    # The client forged a first X-Forwarded-For entry; the proxy appended the real one.
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https"}
    assert _failed_sign_in(app, headers) == "203.0.113.9"
    response = app.test_client(role=None).get("/login", headers=headers)
    assert "Strict-Transport-Security" in response.headers  # the proxy spoke TLS


def test_without_trusted_hops_forwarded_headers_are_ignored(hub_factory):
    app = hub_factory(0)
    headers = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"}
    assert _failed_sign_in(app, headers) == "10.0.0.2"
    response = app.test_client(role=None).get("/login", headers=headers)
    assert "Strict-Transport-Security" not in response.headers


def test_the_setting_is_read_and_defaults_to_no_proxy():
    from inscope_common.config import ServiceSettings

    assert ServiceSettings.from_env("intake", {}).proxy_hops == 0
    assert ServiceSettings.from_env("intake", {"INSCOPE_PROXY_HOPS": "2"}).proxy_hops == 2


def test_the_headers_are_added_as_setdefault_would_in_the_same_order():
    """The after-request hook reads the names already set once and appends what is
    missing (issue 13) instead of a setdefault per header: the same headers, in the same
    order, whatever the view set itself."""
    from flask import Flask, Response

    from inscope_common.config import ServiceSettings
    from inscope_common.http import install_security_headers

    settings = ServiceSettings.from_env("intake", {"INSCOPE_DATA_DIR": "/tmp/x"})
    own = {
        "plain": {},
        "own_csp": {"content-security-policy": "default-src 'none'",
                    "X-Frame-Options": "SAMEORIGIN"},
        "own_cache": {"Cache-Control": "max-age=5", "Pragma": "x", "ETag": "W/1"},
        "everything": {"Referrer-Policy": "origin", "Cross-Origin-Opener-Policy": "unsafe-none",
                       "X-Content-Type-Options": "nosniff"},
    }  # fmt: skip
    app = Flask("headers")
    for name, headers in own.items():
        app.add_url_rule(f"/{name}", name, lambda h=headers: Response("x", headers=h))
    install_security_headers(app, settings)
    csp = content_security_policy_of(settings)

    def reference(response):  # the hook as it was: one setdefault per header
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")
        return response

    client = app.test_client()
    for name, headers in own.items():
        got = client.get(f"/{name}")
        expected = reference(Response("x", headers=headers))
        assert list(got.headers) == list(expected.headers), name


def content_security_policy_of(settings):
    from inscope_common.http import content_security_policy

    return content_security_policy(settings)
