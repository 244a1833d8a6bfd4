"""Every email's HTML part passes axe-core with no violation at all (the issue asks for no
serious one; issue 15 item 5): client, clinician and trainer emails, for each kind of
decision, rendered by the real templates and checked in headless Chromium with the npm
package's axe.min.js (kept in tests/web/data/axe-core, no CDN)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inscope_notify.config import load_notify_settings, load_settings
from inscope_notify.mail import render
from inscope_notify.messages import (
    plan_answer,
    plan_decision,
    plan_previsit,
    plan_progress,
    plan_reminder,
)
from tests.notify.scenarios import contact, decision

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parents[1] / "web" / "data" / "axe-core" / "axe.min.js"
TODAY = dt.date(2026, 11, 27)
SETUP = load_notify_settings(load_settings({"INSCOPE_ENV": "development"}), {}).setup
DECISIONS = [
    "in scope",
    "pain on the movement screen",
    "clearance before vigorous",
    "chest pain now",
    "every red flag",
    "PAR-Q+ incomplete",
]


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield browser.new_page(viewport={"width": 390, "height": 844})
        browser.close()


def _emails() -> list[tuple[str, Any]]:
    out = []
    for name in DECISIONS:
        for email in plan_decision(decision(name), contact(name), SETUP, TODAY):
            out.append((f"{name}: {email.kind}", email))
        # The client's emails in Spanish too (their language: the same layout, and a
        # longer text in another language).
        people = contact(name)
        people["client"] = {**people["client"], "preferred_language": "es"}
        for email in plan_decision(decision(name), people, SETUP, TODAY):
            if email.context.get("language") == "es":
                out.append((f"{name}: {email.kind} (es)", email))
    people = contact("pain on the movement screen")
    answered = {
        "intake_id": "intake-1",
        "client_id": "client-1",
        "referral_id": "referral-1",
        "answer": "cleared_with_restrictions",
        "restrictions": {"max_intensity": "moderate", "avoid_movements": ["overhead_pressing"]},
        "answered_at": "2026-12-01T10:00:00+00:00",
        "answered_by": "Dr. Priya Shah",
    }
    reminder = {
        "intake_id": "intake-1",
        "client_id": "client-1",
        "referral_id": "referral-1",
        "decision_id": "decision-1",
        "reminder_number": 1,
        "answer_url": "https://referral.example/answer/token",
        "target": "physical_therapist",
        "urgency": "routine",
    }
    progress = {
        "intake_id": "intake-1",
        "client_id": "client-1",
        "referral_id": "referral-1",
        "period_start": "2026-09-01",
        "period_end": "2026-11-24",
        "attendance": {"attended": 20, "planned": 24},
        "reassessment_changes": [{"test": "deep_squat", "before": 1, "after": 2}],
        "current_phase": "activate",
    }
    planned = plan_answer(answered, people, SETUP)
    planned += plan_reminder(
        reminder, people, SETUP, decision("pain on the movement screen"), TODAY, TODAY
    )
    planned += plan_progress(progress, people, SETUP, TODAY)
    planned += plan_previsit(
        {"link_url": "https://intake.example/previsit/token",
         "expires_at": "2026-12-11T09:00:00+00:00"},
        {"first_name": "Dana", "email": "dana@example.com", "status": "sent"},
        SETUP,
    )
    out += [(email.kind, email) for email in planned]
    return out


def axe(page: Any, html: str) -> list[str]:
    page.set_content(html)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async () => (await axe.run(document)).violations.map("
        "v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target).join(' | ')}`)"
    )


def test_every_email_kind_is_checked():
    emails = _emails()
    kinds = {email.kind for _, email in emails}
    spanish = {email.kind for label, email in emails if label.endswith("(es)")}
    assert spanish >= {"client_update"}, spanish
    assert kinds >= {
        "client_update",
        "physician_referral",
        "client_answer",
        "trainer_answer",
        "physician_reminder",
        "physician_progress",
        "client_previsit",
    }


def test_no_email_has_an_accessibility_violation(page):
    found = {}
    for label, email in _emails():
        html = render(email.template, email.context).html
        assert "<title>" in html and "<main>" in html and "<h1" in html, label
        language = email.context.get("language", "en")
        assert f'<html lang="{language}">' in html, label
        violations = axe(page, html)
        if violations:
            found[label] = violations
    assert found == {}


def test_the_check_fails_on_a_low_contrast_footnote(page):
    """The check itself can fail: the grey footnote the issue found (#aaa on white)."""
    html = (
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<p style="color: #aaaaaa; font-size: 12px;">Reference for our staff</p>'
        "</main></body></html>"
    )
    assert any("color-contrast" in v for v in axe(page, html))
