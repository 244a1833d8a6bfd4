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

import os
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import Suite, http, wait_for
from tests.services.conftest import example
from tests.web.test_browser import (  # noqa: F401 - fixtures
    PASSWORD,
    browser,
    choose,
    fill_intake,
    shots,
    sign_in,
    submit,
)

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parents[1] / "data" / "axe-core" / "axe.min.js"
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


def tab_to(page, selector: str, limit: int = 80, key: str = "Tab") -> None:
    """Press Tab (or ``key``) until the element is focused, as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"{selector} not reached with {key}")


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


def tab_back_to(page, selector: str, limit: int = 120) -> None:
    """Press Shift+Tab until the element is focused (back up the page)."""
    tab_to(page, selector, limit, key="Shift+Tab")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


# The words of a link's target question: its label, or its fieldset's legend.
QUESTION_TEXT = """id => { const e = document.getElementById(id);
    const label = e.labels && e.labels[0] ? e.labels[0]
        : (e.closest('fieldset') || e).querySelector('legend');
    return label ? label.innerText.replace(/\\s+/g, ' ').trim() : ''; }"""


def _words(text: str) -> str:
    """A question's or link's words to compare: no "(required...)" mark, no case."""
    return " ".join(re.sub(r"\(required[^)]*\)|\*", "", text).split()).lower()


def current_step(page) -> str:
    return page.inner_text("#step-count")


def press_next(page) -> None:
    tab_to(page, "section.step:not([hidden]) [data-next]")
    page.keyboard.press("Enter")


@pytest.mark.parametrize("viewport", [PHONE, TABLET_PORTRAIT], ids=["390px", "768px"])
def test_the_stepped_intake_by_keyboard(
    suite: Suite,
    browser,  # noqa: F811
    accounts,
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

    # The step's summary has the focus; the keyboard goes on from there.
    assert page.evaluate("document.activeElement.hasAttribute('data-step-summary')")
    type_into(page, "#f-client-first_name", "Kai")
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
    tab_back_to(page, "a[data-step-link=contact]")
    page.keyboard.press("Enter")
    assert current_step(page) == "Step 1 of 5: Contact"
    assert page.input_value("#f-client-last_name") == "Tanaka"
    tab_back_to(page, "a[data-step-link=consent]")
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
    suite: Suite,
    browser,  # noqa: F811
    accounts,
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
    # Every link: its question comes into view and is the one the link names; and each
    # question the server required of an empty form says "(required)" on the page.
    elsewhere, unmarked = [], []
    for index, target in enumerate(targets):
        links.nth(index).click()
        assert page.evaluate("id => { const r = document.getElementById(id)"
                             ".getBoundingClientRect(); return r.bottom > 0 && "
                             "r.top < window.innerHeight; }", target), target
        assert page.evaluate("location.hash") == f"#{target}"
        label = page.evaluate(QUESTION_TEXT, target)
        question = _words(label)
        if not question or question[:15] not in _words(texts[index]):
            elsewhere.append((texts[index], question))
        if "(required" not in label:
            unmarked.append(label)
    assert elsewhere == [], elsewhere
    assert unmarked == [], unmarked
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


def test_every_page_state_fits_a_phone_at_390px(
    suite: Suite,
    browser,  # noqa: F811
    accounts,
    shots: Path,  # noqa: F811
) -> None:
    """Every page route of every service, in each state a person meets (with long names
    and ids, rows, a dead letter, an emergency, a referral, a program, the physician's
    page before and after answering, the tablet in the client's hands, and the 403, 404
    and 409 pages), fits a 390 px phone: no sideways scroll, and axe-core finds no
    serious or critical violation (the intake's steps above are held to none at all).
    One browser, one suite; every page is looked at before anything is asserted, so a
    failure lists every page that fails."""
    clients = _phone_clients(suite)
    letter = _dead_letter(suite)
    # Screenshots (1 s a page) only when they are asked for: docs/screenshots.
    seen = PageStates(shots if os.environ.get("INSCOPE_SCREENSHOTS") else None)
    _public_pages(seen, browser.new_context(viewport=PHONE).new_page(), suite, clients)
    _desk_pages(seen, browser, suite, accounts["front_desk"][0])
    admin = browser.new_context(viewport=PHONE).new_page()
    admin.goto(suite.url("referral", "/login"))
    admin.fill("#email", "admin@inscope.demo")
    admin.fill("#password", "inscope-demo-only")
    submit(admin, "Sign in")
    wait_for(lambda: _shows(admin, suite.url("referral", "/admin/dead-letters"), letter), 30,
             "the dead letter on the referral service's page")
    for service, path, name in _staff_pages(clients):
        seen.visit(admin, suite.url(service, path), name)
    _error_states(seen, admin, suite)
    seen.check()


def _public_pages(seen: PageStates, page, suite: Suite, clients: dict) -> None:  # noqa: F811
    """No account: sign-in, the links' problem pages, the physician's answer page."""
    page.goto(suite.url("referral", "/login"))
    seen.look(page, "login")
    page.fill("#email", "nobody@inscope.test")
    page.fill("#password", "not the password")
    submit(page, "Sign in")
    seen.look(page, "login-refused")
    for service, path, name in (
        ("referral", "/answer/not-a-valid-token", "answer-invalid"),
        ("intake", "/previsit/not-a-valid-token", "previsit-invalid"),
        ("intake", "/tablet", "tablet-none"),
    ):
        seen.visit(page, suite.url(service, path), name)
    seen.visit(page, _answer_link(suite, clients["referred"]["physician"]), "answer")
    page.check("#answer-cleared_with_restrictions")
    page.select_option("#max_intensity", "moderate")
    page.fill("#answered_by", "Dr. Bartholomew Featherstonehaugh")
    page.select_option("#profession", "physician")
    page.fill("#registration", "CPSO 1234567890")
    submit(page, "Send answer")
    seen.look(page, "answer-done")


def _desk_pages(seen: PageStates, browser, suite: Suite, email: str) -> None:  # noqa: F811
    """The front desk: a staff page its role may not open (403), then its tablet in a
    client's hands (a row on the links page later); the desk's session is refused
    afterwards even with a copy of its cookie (revoked at hand-over)."""
    desk = browser.new_context(viewport=PHONE).new_page()
    desk.goto(suite.url("assessment", "/assess"))
    sign_in(desk, email)
    seen.look(desk, "403-assess")
    desk.goto(suite.url("intake", "/previsit"))
    kept = desk.context.cookies()
    desk.fill("#f-tablet_first_name", LONG_NAMES[0])
    desk.fill("#f-tablet_last_name", LONG_NAMES[1])
    desk.select_option("#f-tablet_language", "es")  # the longer words: Spanish fits too
    submit_in(desk, "#hand-tablet")
    assert desk.locator("html").get_attribute("lang") == "es"
    seen.look(desk, "tablet-client")
    copy = browser.new_context(viewport=PHONE)
    copy.add_cookies(kept)  # the staff cookie as it was before the hand-over
    copied = copy.new_page()
    copied.goto(suite.url("referral", "/board"))
    assert "/login" in copied.url, copied.url
    copy.close()


def _staff_pages(clients: dict) -> list[tuple[str, str, str]]:
    """Every staff page route of every service as an admin opens it (service, path,
    name), with the clients' rows in them, and the 404 and 409 pages."""
    ref, waiting, emergency = clients["referred"], clients["waiting"], clients["emergency"]
    program = clients["program"]["client_id"]
    return [
        ("intake", "/intakes/new", "intake-new"),
        ("intake", f"/intakes/{ref['intake_id']}/view", "intake-view"),
        ("intake", f"/intakes/{ref['intake_id']}/correct", "intake-correct"),
        ("intake", "/previsit", "previsit-links"),
        ("intake", "/admin/audit", "audit-intake"),
        ("intake", "/admin/dead-letters", "dead-letters-intake"),
        ("intake", "/intakes/no-such-intake/view", "404"),
        ("assessment", "/assess", "assess-pick"),
        ("assessment", f"/assess?intake={waiting['intake_id']}", "assess-form"),
        ("assessment", f"/assess?intake={emergency['intake_id']}", "409-assess-blocked"),
        ("assessment", f"/assessments/{ref['assessment_id']}/view", "assessment-view"),
        ("assessment", "/assessments/no-such-assessment/view", "404-assessment"),
        ("assessment", "/admin/audit", "audit-assessment"),
        ("assessment", "/admin/dead-letters", "dead-letters-assessment"),
        ("referral", "/board", "board"),
        ("referral", f"/clients/{ref['client_id']}/view", "client-referred"),
        ("referral", f"/clients/{emergency['client_id']}/view", "client-emergency"),
        ("referral", f"/clients/{program}/view", "client-program"),
        ("referral", f"/clients/{program}/program/print", "program-print"),
        ("referral", f"/clients/{emergency['client_id']}/referrals/"
                     f"{emergency['referral_id']}/letter", "letter-print"),
        ("referral", "/admin/accounts", "accounts"),
        ("referral", "/admin/audit", "audit-referral"),
        ("referral", "/admin/dead-letters", "dead-letters-referral"),
        ("referral", "/clients/no-such-client/view", "404-referral"),
        ("notify", "/admin/audit", "audit-notify"),
        ("notify", "/admin/dead-letters", "dead-letters-notify"),
        ("notify", "/no/such/page", "404-notify"),
    ]


def _error_states(seen: PageStates, page, suite: Suite) -> None:  # noqa: F811
    """The intake refused by the server (empty), and a dead letter replayed twice (the
    second from a page left open: 409)."""
    page.goto(suite.url("intake", "/intakes/new"))
    with page.expect_navigation():  # past the steps' own checks: the server's summary
        page.evaluate("document.getElementById('intake-form').submit()")
    seen.look(page, "intake-errors")
    page.goto(suite.url("referral", "/admin/dead-letters"))
    form = "form[action$='/replay']"
    again = [page.get_attribute(form, "action"),
             page.input_value(f"{form} input[name=csrf_token]")]
    submit_in(page, form)
    seen.look(page, "dead-letter-replayed")
    with page.expect_navigation():
        page.evaluate("""([action, csrf]) => { const f = document.createElement('form');
            f.method = 'post'; f.action = action; const i = document.createElement('input');
            i.type = 'hidden'; i.name = 'csrf_token'; i.value = csrf; f.append(i);
            document.body.append(f); f.submit(); }""", again)
    seen.look(page, "409-dead-letter")


# The innermost elements that reach past the viewport's right edge (what to fix).
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5 &&
                 ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 0.5))
    .slice(0, 3).map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}` +
                          `${e.className ? '.' + String(e.className).split(' ').join('.') : ''}` +
                          ` "${e.textContent.trim().slice(0, 40)}"`)"""


class PageStates:
    """Each page state looked at on a 390 px phone: its width and axe-core's serious
    and critical violations, kept until check(); a screenshot of each for docs."""

    def __init__(self, folder: Path | None) -> None:
        self.shots = folder
        self.wide: list[tuple[str, int, list[str]]] = []
        self.inaccessible: list[str] = []
        self.names: list[str] = []

    def visit(self, page, url: str, name: str) -> None:
        page.goto(url)
        self.look(page, name)

    def look(self, page, name: str) -> None:
        page.wait_for_load_state("load")
        self.names.append(name)
        scroll = page.evaluate("document.scrollingElement.scrollWidth")
        if scroll > PHONE["width"]:
            self.wide.append((name, scroll, page.evaluate(WIDEST)))
        self.inaccessible += [f"{name}: {v}" for v in axe_violations(page, SERIOUS)]
        if self.shots is not None:
            page.screenshot(path=self.shots / f"phone-{name}.png", full_page=True)

    def check(self) -> None:
        assert len(self.names) == len(set(self.names)) >= 38, self.names
        assert self.wide == [], self.wide  # name, scrollWidth in px, what sticks out
        assert self.inaccessible == [], self.inaccessible


def submit_in(page, form: str) -> None:
    """Press the (first) submit button of the form that matches, and wait for the page."""
    with page.expect_navigation():
        page.locator(form).first.locator("button[type=submit]").first.click()


def _shows(page, url: str, text: str) -> bool:
    page.goto(url)
    return text in page.content()


LONG_NAMES = ("Maximiliana-Evangelina", "Konstantopoulou-Wojciechowska")


def _phone_clients(suite: Suite) -> dict[str, dict[str, str]]:  # noqa: F811
    """Clients in each state the pages show, all with long names: a referral letter
    sent (pain on a clearing test), an emergency, a program, and one
    awaiting assessment. Sent through the APIs, as the other services' tests do."""
    def intake(tag: str, **intake_fields: object) -> dict[str, str]:
        body = example("intake.json")
        body["client"].update(first_name=LONG_NAMES[0], last_name=f"{LONG_NAMES[1]}-{tag}",
                              email=f"maximiliana.{tag}@konstantopoulou-wojciechowska.example")
        physician = f"featherstonehaugh.{tag}@lakeside-orthopaedic-clinic.example"
        body["intake"]["physician"] = {"name": "Dr. Bartholomew Featherstonehaugh",
                                       "email": physician}
        body["intake"].update(intake_fields)
        status, created = http("POST", suite.url("intake", "/intakes"), body)
        assert status == 201, created
        return {"intake_id": created["id"], "client_id": created["client_id"],
                "physician": physician}

    clients = {
        "referred": intake("referred"),
        "program": intake("program"),
        "waiting": intake("waiting"),
        "emergency": intake("emergency", red_flags={"chest_pain_now": True}),
    }
    for key, document in (("referred", "assessment-pain.json"),
                          ("program", "assessment-clear.json")):
        who = clients[key]
        body = {"intake_id": who["intake_id"], "client_id": who["client_id"],
                "assessment": example(document)}

        def recorded(body: dict = body) -> dict | None:
            status, answer = http("POST", suite.url("assessment", "/assessments"), body)
            return answer if status == 202 else None  # 409 until screening is heard of

        who["assessment_id"] = wait_for(recorded, 30, f"the {key} assessment")["id"]

    def program_ready() -> bool:
        status = http("GET", suite.url("referral",
                                       f"/clients/{clients['program']['client_id']}/status"))[1]
        return bool(status.get("program"))

    wait_for(program_ready, 60, "the program")
    # The emergency's open referral: its letter is printed for the client to carry.
    emergency = clients["emergency"]
    [referral] = wait_for(lambda: http("GET", suite.url(
        "referral", f"/referrals?client_id={emergency['client_id']}"))[1] or None, 30,
        "the emergency's referral")
    emergency["referral_id"] = referral["id"]
    return clients


def _answer_link(suite: Suite, physician: str) -> str:  # noqa: F811
    def found() -> str | None:
        for message in list(suite.smtp.messages):
            if str(message["To"]) == physician:
                text = message.get_body(("plain",)).get_content()
                return re.search(r"https?://\S+/answer/\S+", text).group(0)
        return None

    return wait_for(found, 60, f"the letter to {physician}")


def _dead_letter(suite: Suite) -> str:  # noqa: F811
    """An event that breaks its contract, put on the referral service's queue as a
    publisher would: the consumer dead-letters it at once. Returns the event's id."""
    from celery import Celery

    from tests.conftest import signed
    from tests.services.test_redelivery import _intake_event

    event = _intake_event(client_id="client-" + "x" * 40, intake_id="intake-" + "y" * 40)
    event["data"]["age_years"] = "not a number"
    event = signed(event)
    sender = Celery(broker=suite.redis_url)
    sender.send_task("referral.consume_event", args=[event], queue="inscope.referral")
    sender.close()
    return event["id"]


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
    suite: Suite,
    browser,  # noqa: F811
    accounts,
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
    suite: Suite,
    browser,  # noqa: F811
    accounts,
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
