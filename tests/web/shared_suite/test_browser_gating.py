"""In Chromium at tablet width, against the suite as `make run` starts it: the front
desk's intake shows an emergency at once (inline alert) and its confirmation follows the
screening to the emergency result without a reload; the trainer's list shows every
waiting client with status and reason, cannot open the ones the screening defers, and
opens a routine physical-therapist referral without the painful movements (DEC-6).

Screenshots go to $INSCOPE_SCREENSHOTS when set (docs/screenshots/), as in
test_browser.py.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.e2e.conftest import Suite, http
from tests.services.conftest import example
from tests.web.test_browser import (  # noqa: F401 - fixtures
    TABLET,
    browser,
    choose,
    draw_signature,
    fill_intake,
    reload_until,
    shots,
    sign_in,
    submit,
)

pytestmark = pytest.mark.e2e


def client(first: str, last: str, **intake: object) -> dict:
    body = copy.deepcopy(example("intake.json"))
    body["client"].update(first_name=first, last_name=last, email=f"{first.lower()}@example.com")
    body["intake"].update(intake)
    return body


def test_emergency_result_without_reload_and_the_gated_list(
    suite: Suite,
    browser,  # noqa: F811
    accounts,
    shots: Path,  # noqa: F811
) -> None:
    desk_email, trainer_email = accounts["front_desk"][0], accounts["trainer"][0]
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    page.goto(suite.url("intake", "/intakes/new"))
    sign_in(page, desk_email)

    # The clerk ticks "chest pain right now": the page says what to do at once.
    fill_intake(page)
    page.click("a[data-step-link=symptoms]")  # back to the warning signs
    assert not page.is_visible("#emergency-alert")
    choose(page, "screen.red_flags.1", "yes")
    page.check("#f-intake-red_flags-chest_pain_now")
    page.wait_for_selector("#emergency-alert", state="visible", timeout=5_000)
    assert "Emergency — call 911 now, do not exercise" in page.inner_text("#emergency-alert")
    page.screenshot(path=shots / "intake-emergency-alert.png")
    page.click("a[data-step-link=consent]")  # forward again, through the steps' checks
    draw_signature(page)
    submit(page, "Submit intake")
    assert page.is_visible("text=Intake saved."), page.inner_text("main")[:1500]

    # The confirmation follows the screening by itself: no reload.
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.wait_for_selector("#screening-result[data-status='emergency']", timeout=60_000)
    result = page.inner_text("#screening-result")
    assert "Emergency — call 911 now, do not exercise" in result
    assert "Call emergency services now (911)" in result
    assert navigations == []  # the page was not reloaded
    box = page.locator("#screening-result").bounding_box()
    assert box["width"] >= TABLET["width"] * 0.8  # full width on a tablet
    page.screenshot(path=shots / "intake-result-emergency.png")

    # Two more clients from the desk (through the API): an urgent physician clearance and
    # a routine physical-therapist referral for knee pain.
    casey = client("Casey", "Urgent")
    casey["intake"]["acsm"]["signs_symptoms"]["ankle_oedema"] = True
    knee = {"region": "left knee", "side": "left", "nprs_rest": 0, "nprs_activity": 4,
            "night_pain": False}
    kim = client("Kim", "Knee", pain=[knee])
    for body in (casey, kim):
        assert http("POST", suite.url("intake", "/intakes"), body)[0] == 201

    # The trainer's list: everyone waiting, with status and reason; only Kim opens.
    submit(page, "Sign out")
    sign_in(page, trainer_email)
    page.goto(suite.url("assessment", "/assess"))

    def row(name: str):
        return page.locator("#awaiting tr", has_text=name)

    def all_screened() -> bool:
        # A client is listed once the screening's status reaches the assessment service:
        # count first (get_attribute would wait for a row this page does not have).
        statuses = {
            n: row(n).get_attribute("data-status") if row(n).count() else None
            for n in ("Dana", "Casey", "Kim")
        }
        return statuses == {"Dana": "emergency", "Casey": "clearance_needed", "Kim": "referred"}

    reload_until(page, all_screened, 60, "the three clients screened")
    assert row("Dana").locator("a").count() == 0
    assert "Emergency — do not assess" in row("Dana").inner_text()
    assert row("Casey").locator("a").count() == 0
    assert "Urgent physician clearance pending — do not assess" in row("Casey").inner_text()
    assert "Urgent" in row("Casey").inner_text()
    assert row("Kim").locator("a", has_text="Assess").count() == 1
    assert "without the painful movements" in row("Kim").inner_text()
    page.screenshot(path=shots / "assess-gated.png", full_page=True)

    # Casey's form cannot be reached by its address either.
    casey_id = row("Casey").get_attribute("data-intake")
    response = page.goto(suite.url("assessment", f"/assess?intake={casey_id}"))
    assert response.status == 409
    assert "Urgent physician clearance pending — do not assess" in page.inner_text("main")
    page.go_back()

    with page.expect_navigation():
        row("Kim").locator("a", has_text="Assess").click()
    note = page.inner_text("#assessment-note")
    assert "Painful movements left out: deep squat" in note
    assert not page.is_visible("#f-fms-tests-deep_squat")  # the FMS is left out
    assert not page.is_visible("#f-ohsa-knees_move_inward-left")  # so is the overhead squat
    page.check("#f-posture-forward_head")
    page.screenshot(path=shots / "assess-form-msk.png")
    submit(page, "Record assessment")
    assert page.is_visible("text=Assessment recorded"), page.inner_text("main")[:2000]
    context.close()
