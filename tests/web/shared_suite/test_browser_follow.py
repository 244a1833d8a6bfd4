"""The trainer's client page follows the client's status by itself (issue 13), in a real
browser (Debian's Chromium) against the suite as `make run` starts it: the page is open
while the client waits for the assessment; the assessment is recorded elsewhere; the
page shows the new decision without anyone reloading it, having asked the referral
service with If-None-Match and ?wait= (a held request answered when the decision
committed), not over and over."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import Suite, http, wait_for
from tests.services.conftest import example
from tests.web.test_browser import (  # noqa: F401 - fixtures, by name
    TABLET,
    browser,
    sign_in,
)

pytestmark = pytest.mark.e2e


def test_the_client_page_shows_the_decision_when_it_is_made(
    suite: Suite,
    browser,  # noqa: F811
    accounts,
) -> None:
    body = example("intake.json")  # a name of its own: the suite is shared (conftest.py)
    body["client"].update(first_name="Flora", last_name="Quist", email="flora.quist@example.com")
    status, created = http("POST", suite.url("intake", "/intakes"), body)
    assert status == 201, created
    client = created["client_id"]
    status_url = suite.url("referral", f"/clients/{client}/status")
    wait_for(lambda: http("GET", status_url)[1].get("status") == "awaiting_assessment",
             30, "the client screened")

    staff = browser.new_context(viewport=TABLET)
    page = staff.new_page()
    asked: list[tuple[int, str]] = []
    page.on("response", lambda r: asked.append((r.status, r.request.headers.get(
        "if-none-match", ""))) if "/status" in r.url else None)
    page.goto(suite.url("referral", "/login"))
    sign_in(page, accounts["trainer"][0])
    page.goto(suite.url("referral", f"/clients/{client}/view"))
    assert "Ready for the movement assessment" in page.inner_text("#headline")
    time.sleep(3)  # the page is following: one held request, nothing answered yet
    assert asked == [], asked

    body = {"intake_id": created["id"], "client_id": client,
            "assessment": example("assessment-pain.json")}
    wait_for(lambda: http("POST", suite.url("assessment", "/assessments"), body)[0] == 202,
             30, "the assessment accepted")
    # No reload by hand: the page reloads itself once the decision is committed.
    def decided() -> bool:
        try:
            return "Ready for the movement assessment" not in page.inner_text("#headline")
        except PlaywrightError:  # the page is reloading
            return False

    wait_for(decided, 30, "the page showing the decision")
    # One request held with the version the page was drawn from, answered with the news.
    assert asked and asked[0][0] == 200 and asked[0][1].startswith('W/"'), asked
    assert len(asked) <= 2, asked
    staff.close()
