"""Every endpoint of every service against the permission matrix: 401 without a
credential, 403 for a role the matrix leaves out, admitted for the roles it names."""

from __future__ import annotations

import re

import pytest

from inscope_common.auth import PUBLIC_ENDPOINTS, ROLES, app_permissions
from inscope_common.web import NAVIGATION
from tests.conftest import sqlite_only

database_backend = sqlite_only("who may call what")


GUARDED = ("intake", "assessment", "referral", "notify")


@pytest.fixture(params=GUARDED)
def guarded_app(request, service_env):
    from importlib import import_module

    app = import_module(f"inscope_{request.param}").create_app(service_env)
    yield request.param, app
    app.extensions["inscope"].engine.dispose()


def calls(app):
    """(endpoint, method, path) for every route, with placeholder path arguments."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"no-such-\1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def send(client, method, path):
    # An empty JSON body: the guard answers before validation, or validation says 422.
    if method == "GET":
        return client.get(path)
    return client.open(path, method=method, json={})


def matrix(app):
    """What the app's own modules declared, next to their views."""
    return app_permissions(app)


def public(app):
    return PUBLIC_ENDPOINTS | {e for e, rule in matrix(app).items() if rule.public}


def internal(app):
    return {e for e, rule in matrix(app).items() if rule.service}


def test_every_endpoint_is_public_internal_or_declared(guarded_app):
    _service, app = guarded_app
    endpoints = {endpoint for endpoint, _, _ in calls(app)}
    known = PUBLIC_ENDPOINTS | set(matrix(app))
    assert endpoints <= known, f"declared by no module: {sorted(endpoints - known)}"
    stale = set(matrix(app)) - endpoints
    assert not stale, f"declarations name endpoints the app does not have: {sorted(stale)}"


def test_the_permissions_are_declared_by_the_services_not_listed_in_auth():
    """lib/inscope_common/auth.py names no service's endpoint: each service declares its
    own next to its views (issue 12 item 2)."""
    from pathlib import Path

    import inscope_common.auth as auth

    text = Path(auth.__file__).read_text()
    for prefix in ("intakes.", "assessments.", "staff.", "referrals.", "deliveries."):
        assert f'"{prefix}' not in text, prefix


def test_the_navigation_links_follow_each_pages_own_permission(service_env):
    from importlib import import_module

    for (service, endpoint), roles in NAVIGATION.items():
        app = import_module(f"inscope_{service}").create_app(service_env)
        try:
            assert set(roles) == set(matrix(app)[endpoint].roles), (service, endpoint)
        finally:
            app.extensions["inscope"].engine.dispose()


def test_without_credentials_only_public_endpoints_answer(guarded_app):
    _service, app = guarded_app
    client = app.test_client(role=None)
    open_to_all = public(app)
    for endpoint, method, path in calls(app):
        response = send(client, method, path)
        if endpoint in open_to_all:
            assert response.status_code not in (401, 403), (method, path)
        elif matrix(app).get(endpoint, None) and matrix(app)[endpoint].kind == "page":
            assert response.status_code in (302, 303), (method, path)
            assert "/login?next=" in response.headers["Location"]
        else:
            assert response.status_code == 401, (method, path, response.get_json())


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_matrix_grants(guarded_app, role):
    _service, app = guarded_app
    client = app.test_client(role=role)
    checked = 0
    staff = {e: rule for e, rule in matrix(app).items() if not (rule.public or rule.service)}
    for endpoint, method, path in calls(app):
        access = staff.get(endpoint)
        if access is None:
            continue
        response = send(client, method, path)
        if role in access.roles:
            assert response.status_code not in (401, 403), (role, method, path)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
        checked += 1
    assert checked == len({(e, m) for e, m, _ in calls(app) if e in staff})


def test_internal_endpoints_want_a_service_credential_not_a_staff_token(guarded_app):
    from inscope_common import keys
    from inscope_common.service_auth import ServiceSigner

    service, app = guarded_app
    for endpoint, method, path in calls(app):
        if endpoint not in internal(app):
            continue
        for role in ROLES:  # a staff token is not a service credential
            assert send(app.test_client(role=role), method, path).status_code == 401
        notify = ServiceSigner("notify", keys.dev_private_key("notify"))
        ok = app.test_client(role=None).get(path, headers=notify.headers(service))
        assert ok.status_code == 404, path  # admitted; the placeholder id is unknown
