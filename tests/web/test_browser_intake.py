"""The stepped intake in Chromium at phone (390 px) and tablet (768 px) width, by keyboard
only: five steps with progress, required questions checked before a step is left, "Add
pain area", the warning-sign screeners, nothing pre-chosen in the consent and the
clerk's warning when sharing is No; the error summary's links (with and without
JavaScript) each land on their question; axe-core finds no violation on any step; and
no page of any service scrolls sideways at 390 px.

axe-core is the npm package's file, kept in tests/web/data/axe-core (no CDN).
Screenshots go to $INSCOPE_SCREENSHOTS when set (docs/screenshots/), as in
test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import Suite, http, suite, wait_for  # noqa: F401 - suite: a fixture
from tests.services.conftest import example
from tests.web.test_browser import (  # noqa: F401 - fixtures
    PASSWORD,
    accounts,
    browser,
    choose,
    fill_intake,
    shots,
    sign_in,
    submit,
)

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "data" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
TABLET_PORTRAIT = {"width": 768, "height": 1024}
SERIOUS = ("serious", "critical")
STEPS = ["Contact", "Health questions", "Symptoms and warning signs", "Pain and history",
         "Physician and consent"]


def axe_violations(page, impacts: tuple[str, ...] = ()) -> list[str]:
    """axe-core's violations on the page as it stands (every impact, or those named).
    Evaluated through the browser's debugging protocol, so the pages' own
    Content-Security-Policy (script-src 'self') stays on for everything else."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate("async () => (await axe.run(document)).violations.map("
                          "v => [v.impact, `${v.impact} ${v.id}: "
                          "${v.nodes.map(n => n.target).join(' | ')}`])")
    return [text for impact, text in found if not impacts or impact in impacts]


def no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll} px > {width} px"


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element is focused, as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"{selector} not reached with Tab")


def answer(page, field: str, yes: bool) -> None:
    """A Yes/No question by keyboard: Tab reaches the pair, Space picks Yes, an arrow
    key No."""
    fid = "f-" + field.replace(".", "-")
    tab_to(page, f"#{fid}-yes, #{fid}-no")
    if yes:
        page.keyboard.press("Space")
    else:
        focused = page.evaluate("document.activeElement.id")
        page.keyboard.press("ArrowRight" if focused.endswith("-yes") else "Space")
    assert page.is_checked(f"#{fid}-{'yes' if yes else 'no'}"), field


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def current_step(page) -> str:
    return page.inner_text("#step-count")


def press_next(page) -> None:
    tab_to(page, "section.step:not([hidden]) [data-next]")
    page.keyboard.press("Enter")


@pytest.mark.parametrize("viewport", [PHONE, TABLET_PORTRAIT], ids=["390px", "768px"])
def test_the_stepped_intake_by_keyboard(
    suite: Suite,  # noqa: F811 - the fixture
    browser,  # noqa: F811
    accounts,  # noqa: F811
    shots: Path,  # noqa: F811
    viewport: dict[str, int],
) -> None:
    width = viewport["width"]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(suite.url("intake", "/intakes/new"))
    sign_in(page, accounts["front_desk"][0])
    assert page.is_visible("#intake-form")

    # Step 1 of 5; the others are hidden; nothing in the consent is chosen for the client.
    assert current_step(page) == "Step 1 of 5: Contact"
    assert [page.is_visible(f"#step-{k}") for k in
            ("contact", "health", "symptoms", "pain", "consent")] == [True] + [False] * 4
    for flag in ("assessment", "share_with_physician", "email"):
        for choice in ("yes", "no"):
            assert not page.is_checked(f"#f-intake-consent-{flag}-{choice}")
    assert axe_violations(page) == []
    no_sideways_scroll(page, width)
    page.screenshot(path=shots / f"intake-step1-{width}.png", full_page=True)

    # Leaving a step with a required question unanswered: said at once, and it stays.
    press_next(page)
    assert current_step(page).startswith("Step 1 of 5")
    step_errors = page.inner_text("[data-step-summary]")
    assert "First name: This is required." in step_errors
    assert "Date of birth: This is required." in step_errors
    assert axe_violations(page) == []
    page.screenshot(path=shots / f"intake-step-check-{width}.png", full_page=True)

    page.focus("#f-client-first_name")
    page.keyboard.type("Kai")
    type_into(page, "#f-client-last_name", "Tanaka")
    type_into(page, "#f-client-date_of_birth", "04121988")  # Chromium's mm/dd/yyyy field
    assert page.input_value("#f-client-date_of_birth") == "1988-04-12"
    assert re.match(r"Age today: \d+", page.inner_text("#age-shown"))
    type_into(page, "#f-client-email", "kai@example.com")
    press_next(page)

    # Step 2: health questions.
    assert current_step(page) == "Step 2 of 5: Health questions"
    assert page.evaluate("document.activeElement.id") == "h-step-health"
    for g in ("g1", "g2", "g3", "g4", "g5", "g6", "g7"):
        answer(page, f"intake.parq.general.{g}", False)
    assert not page.is_visible("#followups")
    answer(page, "intake.acsm.regular_exercise_3_months", True)
    tab_to(page, "#f-intake-acsm-desired_intensity")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#f-intake-acsm-desired_intensity") == "moderate"
    for key in ("known_cv_disease", "known_metabolic_disease", "known_renal_disease",
                "medical_clearance_last_12_months"):
        answer(page, f"intake.acsm.{key}", False)
    assert axe_violations(page) == []
    no_sideways_scroll(page, width)
    page.screenshot(path=shots / f"intake-step2-{width}.png", full_page=True)
    press_next(page)

    # Step 3: symptoms, and each warning-sign group behind "Any of these?".
    assert current_step(page) == "Step 3 of 5: Symptoms and warning signs"
    for sign in page.locator("fieldset.sign").evaluate_all("els => els.map(e => e.id)"):
        answer(page, sign[2:].replace("-", "."), False)
    assert not page.is_visible("#f-intake-red_flags-group2")
    answer(page, "screen.red_flags.2", True)  # Yes opens the group's signs
    assert page.is_visible("#f-intake-red_flags-group2")
    page.screenshot(path=shots / f"intake-step3-screener-{width}.png", full_page=True)
    assert axe_violations(page) == []
    page.keyboard.press("ArrowRight")  # ...and No closes it again (nothing ticked)
    assert page.is_checked("#f-screen-red_flags-2-no")
    assert not page.is_visible("#f-intake-red_flags-group2")
    for index in (1, 3, 4):
        answer(page, f"screen.red_flags.{index}", False)
    no_sideways_scroll(page, width)
    press_next(page)

    # Step 4: no empty rows; "Add pain area" opens one.
    assert current_step(page) == "Step 4 of 5: Pain and history"
    assert page.locator("fieldset[data-row]:visible").count() == 0
    tab_to(page, "button[data-add=pain]")
    page.keyboard.press("Enter")
    assert page.is_visible("#f-intake-pain-0")
    assert page.evaluate("document.activeElement.id") == "f-intake-pain-0-region"
    page.keyboard.type("lower back")
    tab_to(page, "#f-intake-pain-0-side")
    page.keyboard.press("ArrowDown")  # Left
    type_into(page, "#f-intake-pain-0-nprs_rest", "2")
    type_into(page, "#f-intake-pain-0-nprs_activity", "4")
    answer(page, "intake.pain.0.night_pain", False)
    assert page.locator("fieldset[data-row=pain]:visible").count() == 1
    assert axe_violations(page) == []
    no_sideways_scroll(page, width)
    page.screenshot(path=shots / f"intake-step4-{width}.png", full_page=True)
    press_next(page)

    # Step 5: physician and consent; sharing No with a physician named warns the clerk.
    assert current_step(page) == "Step 5 of 5: Physician and consent"
    type_into(page, "#f-intake-physician-name", "Dr. Ana Silva")
    type_into(page, "#f-intake-physician-email", "silva@clinic.example")
    answer(page, "intake.consent.assessment", True)
    answer(page, "intake.consent.share_with_physician", False)
    assert page.is_visible("#share-warning")
    assert "letter to the physician will not be sent" in page.inner_text("#share-warning")
    page.screenshot(path=shots / f"intake-step5-warning-{width}.png", full_page=True)
    assert axe_violations(page) == []
    page.keyboard.press("ArrowLeft")  # Yes after all
    assert page.is_checked("#f-intake-consent-share_with_physician-yes")
    assert not page.is_visible("#share-warning")
    answer(page, "intake.consent.email", False)
    type_into(page, "#f-intake-consent-signed_by", "Kai Tanaka")
    type_into(page, "#f-signature-typed", "Kai Tanaka")
    no_sideways_scroll(page, width)

    # Back to step 1 by keyboard: everything typed is still there.
    page.focus("a[data-step-link=contact]")
    page.keyboard.press("Enter")
    assert current_step(page) == "Step 1 of 5: Contact"
    assert page.input_value("#f-client-last_name") == "Tanaka"
    page.focus("a[data-step-link=consent]")
    page.keyboard.press("Enter")
    assert current_step(page) == "Step 5 of 5: Physician and consent"
    assert page.input_value("#f-signature-typed") == "Kai Tanaka"

    tab_to(page, "button[data-submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.is_visible("text=Intake saved."), page.inner_text("main")[:2000]
    no_sideways_scroll(page, width)
    context.close()


def test_every_error_summary_link_lands_on_its_question(
    suite: Suite,  # noqa: F811 - the fixture
    browser,  # noqa: F811
    accounts,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    """Without JavaScript (one long form): an empty submit lists every problem, each
    link's target exists and following it brings its question into view. With
    JavaScript: a server error opens the step that holds it, and a link opens its step."""
    plain = browser.new_context(viewport=TABLET_PORTRAIT, java_script_enabled=False)
    page = plain.new_page()
    page.goto(suite.url("intake", "/intakes/new"))
    sign_in(page, accounts["front_desk"][0])
    assert page.is_visible("#step-pain") and page.is_visible("#step-consent")  # one form
    submit(page, "Submit intake")
    links = page.locator("#error-summary a")
    texts = links.all_inner_texts()
    assert len(texts) >= 20, texts
    assert "First name is required." in texts
    assert any(t.startswith("G1. Has your doctor") and t.endswith("Answer Yes or No.")
               for t in texts), texts
    assert not [t for t in texts if "›" in t or "Missing data" in t], texts
    targets = links.evaluate_all("as => as.map(a => a.getAttribute('href').slice(1))")
    missing = page.evaluate("ids => ids.filter(id => !document.getElementById(id))", targets)
    assert missing == [], missing
    page.screenshot(path=shots / "intake-error-summary.png")
    for index in (0, len(targets) // 2, len(targets) - 1):
        links.nth(index).click()
        assert page.evaluate("id => { const r = document.getElementById(id)"
                             ".getBoundingClientRect(); return r.bottom > 0 && "
                             "r.top < window.innerHeight; }", targets[index]), targets[index]
    # Without JavaScript "Add pain area" asks the server for one more row.
    with page.expect_navigation():
        page.click("button[data-add=pain]")
    assert page.is_visible("#f-intake-pain-0") and not page.is_visible("#f-intake-pain-1")
    plain.close()

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(suite.url("intake", "/intakes/new"))
    sign_in(page, accounts["front_desk"][0])
    # Through the steps with a date of birth in the future: only the server knows.
    body = example("intake.json")
    page.fill("#f-client-first_name", "Noor")
    page.fill("#f-client-last_name", "Haddad")
    page.fill("#f-client-date_of_birth", "2090-01-01")
    assert "future" in page.inner_text("#age-shown")
    page.evaluate("""() => {
        document.querySelectorAll('fieldset[data-required]').forEach(f => {
            if (f.closest('[data-row]')) return;  // no pain, surgery... rows
            const no = f.querySelector('input[value=no]'); if (no) no.checked = true; });
        document.getElementById('f-intake-acsm-desired_intensity').value = 'light';
        document.getElementById('f-intake-consent-signed_by').value = 'Noor Haddad';
        document.getElementById('f-signature-typed').value = 'Noor Haddad';
        document.getElementById('intake-form').dispatchEvent(new Event('change'));
    }""")
    assert body  # the example's shape is what the API would take
    page.click("a[data-step-link=consent]")
    assert page.inner_text("#step-count").startswith("Step 5 of 5")
    submit(page, "Submit intake")
    assert page.is_visible("#error-summary")
    assert page.inner_text("#step-count").startswith("Step 1 of 5")  # the error's step
    summary = page.inner_text("#error-summary")
    assert "Date of birth 2090-01-01 is in the future." in summary, summary
    assert page.input_value("#f-client-last_name") == "Haddad"  # nothing typed is lost
    page.click("a[data-step-link=consent]")
    assert page.input_value("#f-signature-typed") == "Noor Haddad"
    page.click("#error-summary a")
    assert page.inner_text("#step-count").startswith("Step 1 of 5")
    assert page.evaluate("document.activeElement.id") == "f-client-date_of_birth"
    assert axe_violations(page) == []
    no_sideways_scroll(page, 390)
    page.screenshot(path=shots / "intake-server-error-390.png")
    context.close()


def test_no_page_scrolls_sideways_at_390px(
    suite: Suite,  # noqa: F811 - the fixture
    browser,  # noqa: F811
    accounts,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    """Every page of every service (and its error pages) fits a 390 px phone, and
    axe-core finds no serious or critical violation on any of them there (the intake's
    steps above are held to no violation at all)."""
    long_name = example("intake.json")
    long_name["client"].update(first_name="Maximiliana-Evangelina",
                               last_name="Konstantopoulou-Wojciechowska",
                               email="maximiliana.konstantopoulou@example.com")
    long_name["intake"]["physician"] = {"name": "Dr. Bartholomew Featherstonehaugh",
                                        "email": "featherstonehaugh@lakeside-clinic.example"}
    status, created = http("POST", suite.url("intake", "/intakes"), long_name)
    assert status == 201, created
    intake_id, client_id = created["id"], created["client_id"]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(suite.url("referral", "/login"))
    no_sideways_scroll(page, 390)
    page.fill("#email", "admin@inscope.demo")
    page.fill("#password", "inscope-demo-only")
    submit(page, "Sign in")
    pages = [
        ("intake", "/intakes/new", "intake-new"),
        ("intake", f"/intakes/{intake_id}/view", "intake-view"),
        ("intake", f"/intakes/{intake_id}/correct", "intake-correct"),
        ("intake", "/intakes/no-such-intake/view", "404"),
        ("intake", "/previsit", "previsit-links"),
        ("intake", "/tablet", "tablet-none"),
        ("assessment", "/assess", "assess"),
        ("assessment", "/assessments/no-such-assessment/view", "assessment-404"),
        ("referral", "/board", "board"),
        ("referral", f"/clients/{client_id}/view", "client"),
        ("referral", "/admin/accounts", "accounts"),
        ("referral", "/clients/no-such-client/view", "client-404"),
        ("referral", "/answer/not-a-valid-token", "answer-invalid"),
        ("intake", "/admin/dead-letters", "dead-letters-intake"),
        ("notify", "/admin/dead-letters", "dead-letters-notify"),
    ]
    wide, inaccessible = [], []
    for service, path, name in pages:
        page.goto(suite.url(service, path))
        page.wait_for_load_state("load")
        scroll = page.evaluate("document.scrollingElement.scrollWidth")
        if scroll > 390:
            wide.append((path, scroll))
        page.screenshot(path=shots / f"phone-{name}.png")
        inaccessible += [f"{path}: {v}" for v in axe_violations(page, SERIOUS)]
    assert wide == [], wide
    assert inaccessible == [], inaccessible  # axe-core at phone width, every page
    context.close()


def _emailed_link(suite: Suite, address: str) -> str:  # noqa: F811 - the fixture type
    """The pre-visit link from the email notify sent to ``address``."""
    def found() -> str | None:
        for message in suite.smtp.messages:
            if str(message["To"]) == address:
                text = message.get_body(("plain",)).get_content()
                return re.search(r"https?://\S+/previsit/\S+", text).group(0)
        return None

    return wait_for(found, 60, f"the pre-visit email to {address}")


def _send_link(page, suite: Suite, first: str, last: str, email: str) -> str:  # noqa: F811
    page.goto(suite.url("intake", "/previsit"))
    page.fill("#f-first_name", first)
    page.fill("#f-last_name", last)
    page.fill("#f-email", email)
    submit(page, "Email the link")
    assert page.is_visible("#sent-note"), page.inner_text("main")[:1000]
    return _emailed_link(suite, email)


def test_the_pre_visit_link_on_a_phone(
    suite: Suite,  # noqa: F811 - the fixture
    browser,  # noqa: F811
    accounts,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    """The desk emails a link; the client answers on a 390 px phone with no account
    (axe: no violation on any state; no sideways scroll); a used or changed link gets a
    clear page; the desk completes the draft and it is screened. An emergency answer
    tells the client at once what to do and reaches the board."""
    desk = browser.new_context(viewport=PHONE).new_page()
    desk.goto(suite.url("intake", "/previsit"))
    sign_in(desk, accounts["front_desk"][0])
    link = _send_link(desk, suite, "Lena", "Okafor", "lena.okafor@example.com")
    desk.screenshot(path=shots / "previsit-sent-390.png", full_page=True)
    assert axe_violations(desk, SERIOUS) == []
    no_sideways_scroll(desk, 390)

    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(link)
    assert phone.inner_text("h1") == "Before your first visit"
    assert phone.input_value("#f-client-first_name") == "Lena"
    assert current_step(phone) == "Step 1 of 5: Contact"
    assert axe_violations(phone) == []
    no_sideways_scroll(phone, 390)
    phone.screenshot(path=shots / "previsit-client-390.png", full_page=True)
    fill_intake(phone)  # every step, as the desk's form; ends on consent
    assert not phone.is_visible("#f-signature-typed")  # signed at the desk
    assert axe_violations(phone) == []
    no_sideways_scroll(phone, 390)
    phone.screenshot(path=shots / "previsit-consent-390.png", full_page=True)
    submit(phone, "Send my answers")
    assert "Thank you" in phone.inner_text("h1"), phone.inner_text("main")[:2000]
    assert axe_violations(phone) == []
    no_sideways_scroll(phone, 390)
    phone.screenshot(path=shots / "previsit-done-390.png", full_page=True)
    phone.goto(link)  # used: a clear page, not the form
    assert phone.inner_text("h1") == "These answers have already been sent"
    assert axe_violations(phone) == []
    phone.screenshot(path=shots / "previsit-used-390.png", full_page=True)
    phone.goto(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    assert phone.inner_text("h1") == "This link is not valid"
    assert axe_violations(phone) == []
    no_sideways_scroll(phone, 390)

    # The desk: the answers are in; review them with the client, who signs; screening.
    desk.goto(suite.url("intake", "/previsit"))
    with desk.expect_navigation():
        desk.click("a:has-text('Review with the client')")
    assert desk.is_visible("#previsit-draft"), desk.inner_text("main")[:1500]
    assert axe_violations(desk) == []
    no_sideways_scroll(desk, 390)
    desk.screenshot(path=shots / "previsit-review-390.png")
    desk.click("a[data-step-link=consent]")
    assert desk.input_value("#f-intake-consent-signed_by") == "Dana Rivera"
    desk.fill("#f-signature-typed", "Dana Rivera")
    submit(desk, "Submit intake")
    assert desk.is_visible("text=Intake saved."), desk.inner_text("main")[:2000]

    # An emergency answer: the alert at once, the instruction after sending, the board.
    link = _send_link(desk, suite, "Omar", "Haddad", "omar.haddad@example.com")
    phone.goto(link)
    fill_intake(phone)
    phone.fill("#f-intake-consent-signed_by", "Omar Haddad")
    phone.click("a[data-step-link=contact]")
    phone.fill("#f-client-first_name", "Omar")
    phone.fill("#f-client-last_name", "Haddad")
    # Duplicate questions merged: chest pain in G2 answers the ACSM chest sign.
    phone.click("a[data-step-link=health]")
    choose(phone, "intake.parq.general.g2", "yes")
    phone.click("a[data-step-link=symptoms]")
    sign = "#f-intake-acsm-signs_symptoms-ischaemic_discomfort"
    assert not phone.is_visible(sign) and phone.is_checked(f"{sign}-yes")
    assert "already answered in G2" in phone.inner_text(f"{sign}-implied")
    choose(phone, "screen.red_flags.1", "yes")
    phone.check("#f-intake-red_flags-chest_pain_now")
    assert phone.is_visible("#emergency-alert")
    assert "call 911 now. Do not come in to exercise" in phone.inner_text("#emergency-alert")
    assert axe_violations(phone) == []
    phone.screenshot(path=shots / "previsit-emergency-alert-390.png")
    phone.click("a[data-step-link=consent]")
    submit(phone, "Send my answers")
    assert "Do not come in to exercise" in phone.inner_text("#emergency-now")
    assert axe_violations(phone) == []
    no_sideways_scroll(phone, 390)
    phone.screenshot(path=shots / "previsit-emergency-390.png", full_page=True)

    def on_the_board() -> bool:
        desk.goto(suite.url("referral", "/board"))
        banner = desk.locator(".emergency-banner")
        return banner.count() > 0 and "Omar Haddad" in banner.inner_text()

    wait_for(on_the_board, 60, "the emergency on the board")
    desk.screenshot(path=shots / "previsit-board-emergency-390.png")


def test_the_tablet_handed_to_the_client(
    suite: Suite,  # noqa: F811 - the fixture
    browser,  # noqa: F811
    accounts,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    """The desk hands its tablet (768 px) to the client, by keyboard only: the client's
    questions with no staff navigation (axe: no serious or critical violation, no
    sideways scroll); staff pages and another client's draft lead to the sign-in page;
    taking the tablet back needs the staff member's sign-in, then the draft is reviewed
    as a pre-visit link's and becomes the intake."""
    width = TABLET_PORTRAIT["width"]
    other = _another_clients_link(browser, suite, accounts)
    tablet = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    tablet.goto(suite.url("intake", "/previsit"))
    sign_in(tablet, accounts["front_desk"][0])
    type_into(tablet, "#f-tablet_first_name", "Mai")
    type_into(tablet, "#f-tablet_last_name", "Nguyen")
    tab_to(tablet, "#hand-tablet button[type=submit]")
    with tablet.expect_navigation():
        tablet.keyboard.press("Enter")
    assert tablet.url == suite.url("intake", "/tablet")
    assert tablet.inner_text("h1") == "Before your first visit"
    assert tablet.locator("nav[aria-label=Sections]").count() == 0  # no staff navigation
    assert tablet.input_value("#f-client-first_name") == "Mai"
    assert axe_violations(tablet, SERIOUS) == []
    no_sideways_scroll(tablet, width)
    tablet.screenshot(path=shots / "tablet-client-768.png", full_page=True)

    # In the client's hands: no staff page and no other client opens, Back included.
    tablet.go_back()
    tablet.wait_for_load_state("load")
    assert "/login" in tablet.url and tablet.is_visible("#password"), tablet.url
    assert "Links sent lately" not in tablet.content()
    for service, path in (("intake", "/previsit"), ("intake", "/intakes/new"),
                          ("intake", f"/previsit/{other}/review"), ("referral", "/board"),
                          ("assessment", "/assess")):
        tablet.goto(suite.url(service, path))
        assert "/login" in tablet.url and tablet.is_visible("#password"), (path, tablet.url)
    tablet.goto(suite.url("intake", "/tablet"))
    assert tablet.input_value("#f-client-first_name") == "Mai"

    # The client answers by keyboard, every step.
    tablet.focus("#f-client-last_name")
    type_into(tablet, "#f-client-date_of_birth", "07301979")
    type_into(tablet, "#f-client-email", "mai.nguyen@example.com")
    press_next(tablet)
    for g in ("g1", "g2", "g3", "g4", "g5", "g6", "g7"):
        answer(tablet, f"intake.parq.general.{g}", False)
    answer(tablet, "intake.acsm.regular_exercise_3_months", False)
    tab_to(tablet, "#f-intake-acsm-desired_intensity")
    tablet.keyboard.press("ArrowDown")
    for key in ("known_cv_disease", "known_metabolic_disease", "known_renal_disease",
                "medical_clearance_last_12_months"):
        answer(tablet, f"intake.acsm.{key}", False)
    press_next(tablet)
    assert current_step(tablet) == "Step 3 of 5: Symptoms and warning signs"
    for sign in tablet.locator("fieldset.sign").evaluate_all("els => els.map(e => e.id)"):
        answer(tablet, sign[2:].replace("-", "."), False)
    for index in (1, 2, 3, 4):
        answer(tablet, f"screen.red_flags.{index}", False)
    press_next(tablet)
    press_next(tablet)  # no pain, no history
    assert current_step(tablet) == "Step 5 of 5: Physician and consent"
    answer(tablet, "intake.consent.assessment", True)
    answer(tablet, "intake.consent.share_with_physician", False)
    answer(tablet, "intake.consent.email", True)
    type_into(tablet, "#f-intake-consent-signed_by", "Mai Nguyen")
    assert axe_violations(tablet, SERIOUS) == []
    no_sideways_scroll(tablet, width)
    tab_to(tablet, "button[data-submit]")
    with tablet.expect_navigation():
        tablet.keyboard.press("Enter")
    assert tablet.is_visible("#tablet-done"), tablet.inner_text("main")[:2000]
    assert axe_violations(tablet, SERIOUS) == []
    no_sideways_scroll(tablet, width)
    tablet.screenshot(path=shots / "tablet-done-768.png", full_page=True)

    # Taking it back: the staff member signs in (the shared sign-in page), by keyboard.
    tab_to(tablet, "#hand-back")
    with tablet.expect_navigation():
        tablet.keyboard.press("Enter")
    assert tablet.is_visible("#password")
    type_into(tablet, "#email", accounts["front_desk"][0])
    type_into(tablet, "#password", PASSWORD)
    with tablet.expect_navigation():
        tablet.keyboard.press("Enter")
    tablet.wait_for_load_state("load")
    assert "/review" in tablet.url and tablet.is_visible("#previsit-draft"), tablet.url
    assert tablet.input_value("#f-client-last_name") == "Nguyen"
    assert axe_violations(tablet, SERIOUS) == []
    no_sideways_scroll(tablet, width)
    tablet.screenshot(path=shots / "tablet-review-768.png")
    tablet.click("a[data-step-link=consent]")
    # Who is responsible for the client: the clerk by default, or another staff member
    # (names read from the referral service with the clerk's own credential).
    staff = tablet.locator("#f-responsible option").all_inner_texts()
    assert staff[0] == "You (Robin Desk)" and "Sam Trainer (trainer)" in staff, staff
    tablet.fill("#f-signature-typed", "Mai Nguyen")
    submit(tablet, "Submit intake")
    assert tablet.is_visible("text=Intake saved."), tablet.inner_text("main")[:2000]
    tablet.goto(suite.url("intake", "/tablet"))  # the tablet is the desk's again
    assert tablet.inner_text("h1") == "No client questions are open on this tablet"


def _another_clients_link(browser, suite: Suite, accounts) -> str:  # noqa: F811
    """The id of another client's pre-visit link, sent by the desk: its page must stay
    out of the tablet's reach."""
    desk = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    desk.goto(suite.url("intake", "/previsit"))
    sign_in(desk, accounts["front_desk"][0])
    link = _send_link(desk, suite, "Ines", "Moreau", "ines.moreau@example.com")
    row = desk.locator("tr:has-text('Ines Moreau')").first
    link_id = row.get_attribute("data-link")
    desk.context.close()
    assert link and link_id
    return link_id
