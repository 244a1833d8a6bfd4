"""The pages in a real browser (Debian's Chromium, driven by Playwright) against the
suite started as the end-to-end tests start it: the front desk's intake with a follow-up
section and a validation error, the trainer's assessment, the client board, and the
physician's answer from the letter caught by the SMTP sink.

Screenshots go to $INSCOPE_SCREENSHOTS when set (docs/screenshots/ is made that way,
see docs/web-pages.md), to the test's temporary folder otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Suite, http, suite, wait_for  # noqa: F401 - suite: a fixture
from tests.services.conftest import example

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 820, "height": 1180}


def fits_the_tablet(page) -> None:
    """The page does not scroll sideways at the tablet's width (a wide table scrolls in
    its own region instead)."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= TABLET["width"], f"{page.url} scrolls sideways: {width} px"
PASSWORD = "browser-test-password"
STAFF = {
    "front_desk": ("desk@inscope.test", "Robin Desk"),
    "trainer": ("trainer@inscope.test", "Sam Trainer"),
}


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("INSCOPE_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def accounts(suite: Suite) -> dict[str, tuple[str, str]]:  # noqa: F811 - the fixture
    return create_accounts(suite)


def create_accounts(suite: Suite) -> dict[str, tuple[str, str]]:  # noqa: F811 - a Suite
    """A front desk and a trainer account, made with the CLI an admin would use."""
    cli = shutil.which("inscope-referral", path=str(Path(sys.executable).parent))
    env = {**os.environ, "INSCOPE_DATA_DIR": str(suite.data_dir), "REDIS_URL": suite.redis_url}
    env["INSCOPE_ENV"] = "development"  # the suite runs on the development secrets
    for role, (email, name) in STAFF.items():
        argv = [cli, "accounts", "create", "--role", role, "--email", email, "--name", name]
        done = subprocess.run(
            [*argv, "--password", PASSWORD], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    return STAFF


def submit(page, button: str) -> None:
    """Press a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(f"button:has-text('{button}')")


def sign_in(page, email: str) -> None:
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    submit(page, "Sign in")


def choose(page, field: str, answer: str) -> None:
    """Click the Yes/No label of a radio pair, as a person does."""
    page.click(f"label[for='f-{field.replace('.', '-')}-{answer}']")


def next_step(page, title: str) -> None:
    """The stepped intake: Next checks the step's required questions, then opens the next."""
    page.click("section.step:not([hidden]) [data-next]")
    assert page.inner_text("#step-count").endswith(title), page.inner_text("main")[:1500]


def fill_intake(page, shots: Path | None = None) -> None:
    """A healthy client with a shoulder treated by a physical therapist, step by step;
    ends on the last step (Physician and consent) with everything but the signature."""
    page.fill("#f-client-first_name", "Dana")
    page.fill("#f-client-last_name", "Rivera")
    page.fill("#f-client-date_of_birth", "1988-04-12")
    page.fill("#f-client-email", "dana.rivera@example.com")
    next_step(page, "Health questions")
    for g in ("g1", "g2", "g3", "g4", "g5"):
        choose(page, f"intake.parq.general.{g}", "no")
    # By keyboard: Space picks the focused answer, an arrow key moves to the other one.
    page.focus("#f-intake-parq-general-g7-yes")
    page.keyboard.press("Space")
    assert page.is_checked("#f-intake-parq-general-g7-yes")
    page.keyboard.press("ArrowRight")
    assert page.is_checked("#f-intake-parq-general-g7-no")
    assert not page.is_visible("#followups")  # no general YES: no follow-up questions
    choose(page, "intake.parq.general.g6", "yes")  # a joint problem: the follow-ups open
    assert page.is_visible("#followups") and not page.is_visible("#subs-s1_arthritis")
    choose(page, "intake.parq.followups.s1_arthritis.gate", "yes")
    assert page.is_visible("#subs-s1_arthritis")
    for sub in ("a", "b", "c"):
        choose(page, f"intake.parq.followups.s1_arthritis.{sub}", "no")
    for section in (
        "s2_cancer",
        "s3_heart",
        "s4_blood_pressure",
        "s5_metabolic",
        "s6_mental_health",
        "s7_respiratory",
        "s8_spinal_cord_injury",
        "s9_stroke",
        "s10_other",
    ):
        choose(page, f"intake.parq.followups.{section}.gate", "no")
    if shots is not None:
        page.evaluate("document.getElementById('h-followups').scrollIntoView()")
        page.screenshot(path=shots / "intake-followups.png")
    choose(page, "intake.acsm.regular_exercise_3_months", "yes")
    for key in ("known_cv_disease", "known_metabolic_disease", "known_renal_disease"):
        choose(page, f"intake.acsm.{key}", "no")
    page.select_option("#f-intake-acsm-desired_intensity", "moderate")
    next_step(page, "Symptoms and warning signs")
    for sign in page.locator("fieldset.sign").all():
        sign.locator("label:has-text('No')").click()
    for group in range(1, 5):  # "Any of these?" for each group of warning signs
        choose(page, f"screen.red_flags.{group}", "no")
    next_step(page, "Pain and history")
    page.click("button[data-add=physical_therapy]")
    page.fill("#f-intake-history-physical_therapy-0-region", "right shoulder")
    choose(page, "intake.history.physical_therapy.0.discharged", "yes")
    page.select_option("#f-intake-history-physical_therapy-0-discharge_status", "symptom_free")
    next_step(page, "Physician and consent")
    page.fill("#f-intake-physician-name", "Dr. Priya Shah")
    page.fill("#f-intake-physician-email", "p.shah@lakeside-clinic.example")
    choose(page, "intake.consent.assessment", "yes")
    choose(page, "intake.consent.share_with_physician", "yes")
    choose(page, "intake.consent.email", "yes")
    page.fill("#f-intake-consent-signed_by", "Dana Rivera")


def draw_signature(page) -> None:
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + step * 25, y + (15 if step % 2 else -15))
    page.mouse.up()


def fill_assessment(page) -> None:
    page.check("#f-posture-forward_head")
    page.check("#f-ohsa-arms_fall_forward-left")
    page.check("#f-ohsa-arms_fall_forward-right")
    page.check("#f-ohsa-knees_move_inward-right")
    page.select_option("#f-fms-tests-deep_squat", "2")
    page.select_option("#f-fms-tests-trunk_stability_push_up", "2")
    for test in (
        "hurdle_step",
        "in_line_lunge",
        "shoulder_mobility",
        "active_straight_leg_raise",
        "rotary_stability",
    ):
        for side in ("left", "right"):
            page.select_option(f"#f-fms-tests-{test}-{side}", "2")
    page.select_option("#f-fms-tests-shoulder_mobility-right", "1")
    choose(page, "fms.clearing.shoulder.left", "no")
    choose(page, "fms.clearing.shoulder.right", "yes")
    choose(page, "fms.clearing.spinal_extension", "no")
    choose(page, "fms.clearing.spinal_flexion", "no")
    page.select_option("#f-pain_during-0-test", "shoulder_clearing")
    page.fill("#f-pain_during-0-region", "front of right shoulder")
    page.select_option("#f-pain_during-0-side", "right")
    page.fill("#f-pain_during-0-nprs", "3")


def interrupted(error: Exception) -> bool:
    """A navigation of ours cut short by the page's own: the client page reloads itself
    when the client's status changes (static/client.js), which can land mid-goto."""
    return "interrupted by another navigation" in str(error)


def go(page, url: str) -> None:
    """page.goto, asked again if the page's own reload interrupted it."""
    from playwright.sync_api import Error

    for _ in range(5):
        try:
            page.goto(url)
            return
        except Error as error:
            if not interrupted(error):
                raise
        # Cut short by a navigation to the very page we asked for (CI saw six in a row):
        # once that one has loaded, we are there.
        page.wait_for_load_state()
        if page.url == url:
            return
    page.goto(url)


def reload_until(page, check, timeout: float, what: str) -> None:
    from playwright.sync_api import Error

    def ready() -> bool:
        try:
            page.reload()
        except Error as error:
            if not interrupted(error):
                raise
            page.wait_for_load_state()
        return check()

    wait_for(ready, timeout, what)


def test_from_the_front_desk_to_the_physicians_answer(
    suite: Suite,  # noqa: F811 - the fixture
    browser,
    accounts,
    shots: Path,
) -> None:
    desk_email, trainer_email = accounts["front_desk"][0], accounts["trainer"][0]
    staff = browser.new_context(viewport=TABLET)
    page = staff.new_page()

    # The front desk opens the intake page, signs in, and comes back to it.
    page.goto(suite.url("intake", "/intakes/new"))
    assert "/login" in page.url
    page.screenshot(path=shots / "login.png")
    sign_in(page, desk_email)
    assert page.url.startswith(suite.url("intake", "/intakes/new"))
    assert page.is_visible("text=Robin Desk (front desk)")

    fill_intake(page, shots)
    submit(page, "Submit intake")
    # No signature yet: the error sits next to the field, and nothing typed is lost.
    assert page.is_visible("#error-summary")
    assert "Type or draw the client's signature." in page.inner_text("#f-signature-error")
    assert page.input_value("#f-client-last_name") == "Rivera"
    assert page.is_checked("#f-intake-parq-followups-s1_arthritis-gate-yes")
    assert page.evaluate("!document.getElementById('subs-s1_arthritis').hidden")
    page.screenshot(path=shots / "intake-error.png")
    draw_signature(page)
    submit(page, "Submit intake")
    assert page.is_visible("text=Intake saved."), page.inner_text("main")[:1500]
    assert page.is_visible("img.sig")  # the drawn signature, kept with the intake
    page.screenshot(path=shots / "intake-created.png", full_page=True)

    # The trainer signs in, picks Dana once the assessment service has heard of her.
    submit(page, "Sign out")
    assert "/login" in page.url
    sign_in(page, trainer_email)
    assert page.url.startswith(suite.url("assessment", "/assess"))
    # She is listed once her screening reaches the assessment service; "Assess" appears
    # when it allows it (DEC-6).
    dana = page.locator("#awaiting tr[data-allowed=yes]", has_text="Dana Rivera")
    reload_until(page, lambda: dana.count() == 1, 30, "Dana may be assessed")
    page.screenshot(path=shots / "assess-pick.png")
    with page.expect_navigation():
        dana.locator("a", has_text="Assess").click()
    fill_assessment(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=shots / "assess-form.png")
    submit(page, "Record assessment")
    # The page polls the API and shows the scoring once the worker is done.
    assert page.is_visible("text=Assessment recorded"), page.inner_text("main")[:2000]
    page.wait_for_selector("text=FMS: total 12 / 21", timeout=60_000)
    # The decision reaches the open page by itself, without a reload (the marker stays).
    page.evaluate("window.__sameDocument = true")
    page.wait_for_selector("#client-status:not([data-deciding])", timeout=30_000)
    assert page.evaluate("window.__sameDocument === true")
    assert "Deciding" not in page.inner_text("#client-status")
    page.screenshot(path=shots / "assess-scored.png", full_page=True)

    # Meanwhile another client reports chest pain right now (sent through the API).
    alex = example("intake.json")
    alex["client"].update(first_name="Alex", last_name="Moreno", email="alex@example.com")
    alex["intake"]["red_flags"] = {"chest_pain_now": True}
    alex["intake"]["physician"] = {"name": "Dr. Lee", "email": "lee@harbour-clinic.example"}
    assert http("POST", suite.url("intake", "/intakes"), alex)[0] == 201

    # The board shows the emergency on top, and Dana referred.
    page.goto(suite.url("referral", "/board"))
    row = page.locator("#board tr", has_text="Dana Rivera")
    reload_until(page, lambda: "Referred" in row.inner_text(), 30, "Dana referred")
    reload_until(page, lambda: page.is_visible(".emergency-banner"), 30, "the emergency")
    assert "Alex Moreno" in page.inner_text(".emergency-banner")
    page.screenshot(path=shots / "board.png")
    fits_the_tablet(page)
    with page.expect_navigation():
        row.locator("a").click()

    def letter_sent_for_the_assessment() -> bool:
        statuses = page.locator("section.referral .referral-status").all_inner_texts()
        return page.is_visible("text=FMS-8") and statuses[-1:] in (["Sent"], ["Delivered"])

    reload_until(page, letter_sent_for_the_assessment, 30, "the letter for the assessment")
    assert page.is_visible("text=Referral request")
    page.screenshot(path=shots / "client.png", full_page=True)
    fits_the_tablet(page)  # the trend table (13 columns) included

    # The physician opens the link in the latest letter: no account, a fresh browser.
    referrals = page.locator("section.referral").count()

    def letters() -> list:
        to = "p.shah@lakeside-clinic.example"
        found = [m for m in suite.smtp.messages if str(m["To"]) == to]
        return found if len(found) >= referrals else []

    letter = wait_for(letters, 10, "one letter per referral")[-1]
    text = letter.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/answer/\S+", text).group(0)
    physician = browser.new_context(viewport=TABLET).new_page()
    physician.goto(link)
    assert physician.is_visible("text=Your answer")
    physician.screenshot(path=shots / "answer.png", full_page=True)
    physician.check("#answer-cleared_with_restrictions")
    physician.select_option("#max_intensity", "moderate")
    physician.check("[id='avoid_movements.overhead_pressing']")
    physician.fill("#answered_by", "Dr. Priya Shah")
    physician.select_option("#profession", "physician")
    physician.fill("#registration", "CPSO 12345")
    submit(physician, "Send answer")
    physician.screenshot(path=shots / "answer-done.png")

    # Back on the board, the referral shows answered, and the client page the answer. The
    # client page still open follows the status and may reload itself as we leave it.
    go(page, suite.url("referral", "/board"))
    row = page.locator("#board tr", has_text="Dana Rivera")
    reload_until(page, lambda: "Answered" in row.inner_text(), 30, "the answer on the board")
    page.screenshot(path=shots / "board-answered.png")
    with page.expect_navigation():
        row.locator("a").click()
    assert "Cleared with restrictions" in page.inner_text("#physician-answer")
    assert "Overhead pressing" in page.inner_text("#physician-answer")

    # The front desk's board: the same clients, no clinical detail.
    submit(page, "Sign out")
    page.goto(suite.url("referral", "/login"))
    sign_in(page, desk_email)
    page.goto(suite.url("referral", "/board"))
    assert page.locator("#board tr", has_text="Dana Rivera").locator("a").count() == 0
    page.screenshot(path=shots / "board-front-desk.png")

    # The demo admin `make run` creates sees the staff accounts.
    submit(page, "Sign out")
    page.fill("#email", "admin@inscope.demo")
    page.fill("#password", "inscope-demo-only")
    submit(page, "Sign in")
    page.goto(suite.url("referral", "/admin/accounts"))
    assert page.locator("#accounts tr", has_text=desk_email).count() == 1
    page.screenshot(path=shots / "accounts.png")
    staff.close()
