"""Every endpoint of every service against the permission matrix: 401 without a
credential, 403 for a role the matrix leaves out, admitted for the roles it names."""

from __future__ import annotations

import re

import pytest

from inscope_common.auth import (
    INTERNAL_ENDPOINTS,
    PERMISSIONS,
    PUBLIC_ENDPOINTS,
    ROLES,
    SERVICE_PUBLIC_ENDPOINTS,
)

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


def test_every_endpoint_is_public_internal_or_in_the_matrix(guarded_app):
    service, app = guarded_app
    endpoints = {endpoint for endpoint, _, _ in calls(app)}
    known = (
        PUBLIC_ENDPOINTS
        | SERVICE_PUBLIC_ENDPOINTS.get(service, frozenset())
        | INTERNAL_ENDPOINTS.get(service, frozenset())
        | set(PERMISSIONS[service])
    )
    assert endpoints <= known, f"not in the matrix: {sorted(endpoints - known)}"
    stale = set(PERMISSIONS[service]) - endpoints
    assert not stale, f"matrix names endpoints the app does not have: {sorted(stale)}"


def test_without_credentials_only_public_endpoints_answer(guarded_app):
    service, app = guarded_app
    client = app.test_client(role=None)
    public = PUBLIC_ENDPOINTS | SERVICE_PUBLIC_ENDPOINTS.get(service, frozenset())
    for endpoint, method, path in calls(app):
        response = send(client, method, path)
        if endpoint in public:
            assert response.status_code not in (401, 403), (method, path)
        elif PERMISSIONS[service].get(endpoint, None) and (
            PERMISSIONS[service][endpoint].kind == "page"
        ):
            assert response.status_code in (302, 303), (method, path)
            assert "/login?next=" in response.headers["Location"]
        else:
            assert response.status_code == 401, (method, path, response.get_json())


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_matrix_grants(guarded_app, role):
    service, app = guarded_app
    client = app.test_client(role=role)
    checked = 0
    for endpoint, method, path in calls(app):
        access = PERMISSIONS[service].get(endpoint)
        if access is None:
            continue
        response = send(client, method, path)
        if role in access.roles:
            assert response.status_code not in (401, 403), (role, method, path)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
        checked += 1
    assert checked == len({(e, m) for e, m, _ in calls(app) if e in PERMISSIONS[service]})


def test_internal_endpoints_want_a_service_credential_not_a_staff_token(guarded_app):
    from inscope_common import keys
    from inscope_common.service_auth import ServiceSigner

    service, app = guarded_app
    internal = INTERNAL_ENDPOINTS.get(service, frozenset())
    for endpoint, method, path in calls(app):
        if endpoint not in internal:
            continue
        for role in ROLES:  # a staff token is not a service credential
            assert send(app.test_client(role=role), method, path).status_code == 401
        notify = ServiceSigner("notify", keys.dev_private_key("notify"))
        ok = app.test_client(role=None).get(path, headers=notify.headers(service))
        assert ok.status_code == 404, path  # admitted; the placeholder id is unknown
