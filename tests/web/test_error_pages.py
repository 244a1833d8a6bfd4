"""Errors on page routes are styled pages in the staff layout (404, 403, 409...);
the APIs keep answering JSON; the navigation offers only pages the role may open."""

from __future__ import annotations

import re

import pytest

from inscope_common.auth import (
    ADMIN,
    FRONT_DESK,
    ROLES,
    SESSION_COOKIE,
    TRAINER,
    app_permissions,
)
from tests.conftest import signer, sqlite_only
from tests.services.conftest import staff
from tests.web.test_role_matrix import GUARDED, calls

database_backend = sqlite_only("how an error is shown")


@pytest.fixture(params=GUARDED)
def guarded_app(request, service_env):
    from importlib import import_module

    app = import_module(f"inscope_{request.param}").create_app(service_env)
    yield request.param, app
    app.extensions["inscope"].engine.dispose()


def browser(app, role: str):
    """A signed-in browser: the session cookie, no bearer token."""
    client = app.test_client(role=None)
    cookie = signer(app).session_cookie(staff(role))
    client.set_cookie(SESSION_COOKIE, cookie)
    return client


# Routes opened through a signed link, with their own problem pages (no staff layout):
# the physician's answer page and the client's pre-visit page.
OWN_PROBLEM_PAGES = {"answer.AnswerPage", "previsit.client_page"}


def styled(response, own_page: bool = False) -> str:
    """An HTML page with the stylesheet and a heading; the staff error page unless the
    route has its own (OWN_PROBLEM_PAGES)."""
    page = response.get_data(as_text=True)
    assert response.content_type.startswith("text/html"), (response.status_code, page[:300])
    assert '<link rel="stylesheet"' in page and "<h1" in page, page[:500]
    if not own_page:
        assert 'id="error-page"' in page and "inscope.css" in page, page[:500]
        assert f'data-code="{response.status_code}"' in page
    return page


def test_every_page_route_answers_its_errors_with_a_styled_page(guarded_app):
    service, app = guarded_app
    client = browser(app, ADMIN)
    seen = 0
    for endpoint, method, path in calls(app):
        rule = app_permissions(app).get(endpoint)
        if method != "GET" or rule is None or rule.kind != "page" or "no-such-" not in path:
            continue
        response = client.get(path)
        if response.status_code >= 400:
            styled(response, own_page=endpoint in OWN_PROBLEM_PAGES)
            seen += 1
    if service != "notify":  # notify has no page with an id in its address
        assert seen, "no page route with an unknown id was checked"


def test_every_page_route_refuses_a_role_with_a_styled_403(guarded_app):
    """Every page route (GET and POST) a role may not use answers that role, signed in
    through the browser, with the staff error page, not JSON or bare text."""
    service, app = guarded_app
    seen = set()
    for endpoint, method, path in calls(app):
        rule = app_permissions(app).get(endpoint)
        if rule is None or rule.kind != "page" or rule.public or rule.service:
            continue
        for role in set(ROLES) - set(rule.roles):
            response = browser(app, role).open(path, method=method)
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert f"{role.replace('_', ' ')} role" in styled(response), (role, method, path)
            seen.add(endpoint)
    if service != "notify":  # notify's only pages are the admin's, refused to all others
        assert len(seen) >= 2, seen
    else:
        assert seen


def test_apis_keep_json_errors(intake_app):
    response = intake_app.test_client().get("/intakes/no-such-intake")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_an_unknown_page_404s_as_a_page_for_a_browser_and_json_for_a_program(intake_app):
    client = browser(intake_app, FRONT_DESK)
    page = client.get("/intakes/no-such-intake/view")
    assert page.status_code == 404
    assert "Not found" in styled(page)
    html = client.get("/no/such/address", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.status_code == 404
    styled(html)
    program = client.get("/no/such/address", headers={"Accept": "*/*"})
    assert program.status_code == 404 and program.get_json()["code"] == 404


def test_a_role_refused_a_page_sees_a_styled_403_with_ways_on(assessment_app):
    page = browser(assessment_app, FRONT_DESK).get("/assess")
    assert page.status_code == 403
    text = styled(page)
    assert "Not open to you" in text and "front desk role" in text
    assert "/board" in text  # a way on, to a page the front desk may open
    assert "/assess\"" not in text  # and none to where it was refused


def test_a_409_page_says_why(referral_app):
    """An admin stopping their own account: the reason, on a styled page."""
    client = browser(referral_app, ADMIN)
    form_page = client.get("/admin/accounts").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)
    account = staff(ADMIN).account_id
    response = client.post(f"/admin/accounts/{account}/active",
                           data={"csrf_token": csrf, "active": "0"})
    assert response.status_code == 409
    assert "cannot stop their own account" in styled(response)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (FRONT_DESK, ["/intakes/new", "/board"], ["/assess"]),
        (TRAINER, ["/assess", "/board"], ["/intakes/new"]),
        (ADMIN, ["/intakes/new", "/assess", "/board"], []),
    ],
)
def test_the_navigation_offers_only_pages_the_role_may_open(referral_app, role, shown, hidden):
    page = browser(referral_app, role).get("/board").get_data(as_text=True)
    nav = re.search(r'<nav aria-label="Sections">(.*?)</nav>', page, re.S).group(1)
    for path in shown:
        assert f'{path}"' in nav, (role, path)
    for path in hidden:
        assert f'{path}"' not in nav, (role, path)
    # The links follow each page's own permission (may_open; NAVIGATION, checked
    # against the declarations in tests/web/test_role_matrix.py).


def test_a_sign_out_form_from_elsewhere_gets_the_styled_403_page(referral_app):
    """A live session's sign-out without its CSRF token (another site's form, or a page
    left open across a new sign-in) is refused with the staff error page, not bare text;
    the session stays."""
    client = browser(referral_app, ADMIN)
    refused = client.post("/logout", data={"csrf_token": "not-the-token"})
    assert refused.status_code == 403
    assert "The sign-out form is out of date or not from this site." in styled(refused)
    assert client.get("/board").status_code == 200
