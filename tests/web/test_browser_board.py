"""The board and the client page in a real browser (Debian's Chromium, tablet width)
against the suite as `make run` starts it: three clients, an emergency, an urgent
clearance and a routine physical-therapist referral, listed in that order with their
labels; the front desk acknowledges the emergency (who and when shown), a trainer
resolves it with a note; the name search finds a client on another page; the client
page puts the decision in words first.

Screenshots go to $INSCOPE_SCREENSHOTS when set (docs/screenshots/), to the test's
temporary folder otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Suite, http, suite  # noqa: F401 - suite: a fixture
from tests.services.conftest import example
from tests.web.test_browser import (  # noqa: F401 - fixtures, by name
    TABLET,
    accounts,
    browser,
    reload_until,
    shots,
    sign_in,
    submit,
)

pytestmark = pytest.mark.e2e


def intake(first: str, last: str, **changes) -> dict:
    body = example("intake.json")
    body["client"].update(first_name=first, last_name=last)
    body["intake"].update(changes)
    return body


def badges(page) -> list[tuple[str, str]]:
    """(name, badge word) of each board row, top to bottom, as a person reads them.

    Before the first decision arrives the board's one row is "No client matches."
    (a single cell): that is an empty board, not a row without a name.
    """
    out = []
    for row in page.locator("#board tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if len(cells) < 2:
            continue
        out.append((cells[1].strip(), cells[0].strip()))
    return out


def test_the_board_puts_the_emergency_first_and_staff_act_on_it(
    suite: Suite,  # noqa: F811 - the fixture
    browser,  # noqa: F811
    accounts,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    knee = [{"region": "left knee", "side": "left", "nprs_rest": 2, "nprs_activity": 4,
             "night_pain": False, "doms": False}]
    clients = [  # sent least urgent first: the board's order is not arrival order
        intake("Rita", "Okafor", pain=knee),
        intake("Uma", "Bergström", red_flags={"chest_pain_12_to_72h": True},
               physician={"name": "Dr. Hana Ito", "email": "ito@clinic.example"}),
        intake("Alex", "Moreno", red_flags={"chest_pain_now": True}),
    ]
    for body in clients:
        assert http("POST", suite.url("intake", "/intakes"), body)[0] == 201

    desk_email, trainer_email = accounts["front_desk"][0], accounts["trainer"][0]
    staff = browser.new_context(viewport=TABLET)
    page = staff.new_page()
    page.goto(suite.url("referral", "/login"))
    sign_in(page, desk_email)
    page.goto(suite.url("referral", "/board"))
    expected = [("Alex Moreno", "Emergency"), ("Uma Bergström", "Urgent"),
                ("Rita Okafor", "Routine")]
    reload_until(page, lambda: badges(page) == expected, 30, "three clients, most urgent first")
    # The front desk sees the labels and the next action too.
    uma = page.locator("#board tbody tr", has_text="Uma Bergström")
    assert "Waiting for Dr. Hana Ito since today" in uma.inner_text()
    assert page.locator(".badge.b-emergency", has_text="Emergency").count() >= 1

    # The front desk acknowledges the emergency: who and when are shown at once.
    banner = page.locator(".emergency-banner")
    assert "Alex Moreno" in banner.inner_text()
    page.screenshot(path=shots / "board-emergency.png")
    submit(page, "Acknowledge")
    acked = page.inner_text(".emergency-banner .acked")
    assert acked.startswith("Acknowledged by Robin Desk at ") and "UTC" in acked
    page.screenshot(path=shots / "board-acknowledged.png")

    # A trainer resolves it with a note; training stays locked (urgent clearance now).
    submit(page, "Sign out")
    page.goto(suite.url("referral", "/login"))
    sign_in(page, trainer_email)
    page.goto(suite.url("referral", "/board"))
    page.fill(".emergency-banner input[name=note]", "Ambulance called; client to see GP")
    submit(page, "Resolve")
    assert not page.is_visible(".emergency-banner")
    alex = page.locator("#board tbody tr", has_text="Alex Moreno")
    # The urgency badge; a second badge may say "Needs review" (a ticked chest pain
    # beside a PAR-Q+ "no" is a contradiction a person checks, DEC-3).
    assert alex.locator(".badge:not(.b-review)").inner_text() == "Urgent"
    assert "physician's clearance" in alex.inner_text()
    page.screenshot(path=shots / "board-urgency.png")

    # The name search goes to the intake service and pages over every client.
    page.fill("#q", "berg")
    submit(page, "Search")
    assert badges(page) == [("Uma Bergström", "Urgent")]
    # Alex's urgency now counts from the resolution: Uma has waited longer.
    page.goto(suite.url("referral", "/board?size=1"))
    assert badges(page) == [("Uma Bergström", "Urgent")]
    with page.expect_navigation():
        page.click("a[rel=next]")
    assert badges(page) == [("Alex Moreno", "Urgent")]
    with page.expect_navigation():
        page.click("a[rel=next]")
    assert badges(page) == [("Rita Okafor", "Routine")]
    assert not page.is_visible("a[rel=next]")

    # The client page: the decision in words first, the rule ids as small tags.
    page.goto(suite.url("referral", "/board"))
    with page.expect_navigation():
        page.locator("#board tbody tr", has_text="Uma Bergström").locator("a").click()
    headline = page.inner_text("#headline")
    assert "Do not train — urgent medical clearance (physician)" in headline
    assert page.locator("#findings .rule-tag", has_text="RF-3").count() >= 1
    assert not page.is_visible("#details dl")  # the ids stay folded under Details
    page.screenshot(path=shots / "client-headline.png", full_page=True)
    staff.close()
