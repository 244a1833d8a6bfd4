"""The staff review loop in a real browser (Debian's Chromium, tablet width) against
the suite as `make run` starts it (DEC-2 / DEC-3): two clients whose notes the engine
read as warning signs are marked "Needs review" on the board; the trainer opens each
client page, dismisses one flag with a reason (re-screened without the words: ready
for the assessment) and confirms the other (ticked on the intake: the urgent physician
clearance stays); neither is listed under "Needs review" afterwards.

Screenshots go to $INSCOPE_SCREENSHOTS when set (docs/screenshots/), to the test's
temporary folder otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Suite, http
from tests.services.conftest import example
from tests.web.test_browser import (  # noqa: F401 - fixtures, by name
    TABLET,
    browser,
    go,
    reload_until,
    shots,
    sign_in,
    submit,
)

pytestmark = pytest.mark.e2e


def intake(first: str, last: str, notes: str) -> dict:
    body = example("intake.json")
    body["client"].update(first_name=first, last_name=last)
    body["intake"]["notes"] = notes
    return body


def row(page, name: str):
    return page.locator("#board tbody tr", has_text=name)


# The suite is shared (conftest.py): other modules' clients may be flagged too.
OURS = {"Nora Lindqvist", "Tomas Reyes"}


def names(page) -> list[str]:
    """This module's clients on the board, top to bottom."""
    shown = [r.locator("td").nth(1).inner_text().strip()
             for r in page.locator("#board tbody tr[data-client]").all()]
    return [name for name in shown if name in OURS]


def test_staff_confirm_or_dismiss_flags_from_the_client_page(
    suite: Suite,
    browser,  # noqa: F811
    accounts,
    shots: Path,  # noqa: F811
) -> None:
    for body in (intake("Nora", "Lindqvist", "Lost 8 kg in two months without trying"),
                 intake("Tomas", "Reyes", "Ankles swell by evening")):
        assert http("POST", suite.url("intake", "/intakes"), body)[0] == 201

    staff = browser.new_context(viewport=TABLET)
    page = staff.new_page()
    page.goto(suite.url("referral", "/login"))
    sign_in(page, accounts["trainer"][0])
    page.goto(suite.url("referral", "/board?review=1"))
    reload_until(page, lambda: sorted(names(page)) == ["Nora Lindqvist", "Tomas Reyes"], 30,
                 "both flagged clients under Needs review")
    for name in ("Nora Lindqvist", "Tomas Reyes"):
        assert "Needs review" in row(page, name).inner_text()
    assert page.is_checked("#review-filter")
    page.screenshot(path=shots / "board-needs-review.png")

    # Nora: the trainer asked her; the weight was lost on purpose. Dismiss, with why.
    with page.expect_navigation():
        row(page, "Nora Lindqvist").locator("a").click()
    item = page.locator(".review-item")
    assert "Lost 8 kg in two months without trying" in item.inner_text()
    assert "unexplained weight loss" in item.inner_text()
    page.screenshot(path=shots / "client-needs-review.png", full_page=True)
    # The reason is required: the browser does not send the form without one.
    page.click("button:has-text('Dismiss')")
    assert page.evaluate("document.querySelector('.dismiss input[name=reason]').validity"
                         ".valueMissing")
    page.fill(".dismiss input[name=reason]", "Asked her: diet with her GP, on purpose")
    submit(page, "Dismiss")
    assert "Recorded." in page.inner_text("#review-done")
    reload_until(page, lambda: "Ready for the movement assessment" in page.inner_text(
        "#headline"), 30, "Nora re-screened without the dismissed words")
    history = page.inner_text("#review-history")
    assert "Dismissed “Lost 8 kg in two months without trying” by Sam Trainer" in history
    assert "Asked her: diet with her GP, on purpose" in history
    assert page.locator(".review-item").count() == 0

    # Tomas: the ankles do swell. Confirm: ticked on the intake, the clearance stays. (The
    # client page follows the status and may still reload itself as we leave it.)
    go(page, suite.url("referral", "/board?review=1"))
    with page.expect_navigation():
        row(page, "Tomas Reyes").locator("a").click()
    assert "Ankles swell" in page.inner_text(".review-item")
    submit(page, "Confirm")
    reload_until(page, lambda: page.locator(".review-item").count() == 0, 30,
                 "Tomas re-screened with the answer ticked")
    assert "Do not train — urgent medical clearance (physician)" in page.inner_text("#headline")
    assert "Confirmed “Ankles swell” by Sam Trainer" in page.inner_text("#review-history")
    page.screenshot(path=shots / "client-reviewed.png", full_page=True)

    go(page, suite.url("referral", "/board?review=1"))
    assert names(page) == []
    page.goto(suite.url("referral", "/board"))
    assert "Needs review" not in row(page, "Nora Lindqvist").inner_text()
    assert "Needs review" not in row(page, "Tomas Reyes").inner_text()
    assert row(page, "Tomas Reyes").locator(".badge").first.inner_text() == "Urgent"
    staff.close()
