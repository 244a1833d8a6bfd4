"""One current letter per clinician (issue 9 item 2; client journey: "a newer decision
for the same client ... an open referral's letter is superseded by a new version"), and
after an intake correction the old letter's link leads to the new one (issue 8 item 5)."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

import pytest

from tests.conftest import make_event
from tests.referral.conftest import events_of
from tests.services.conftest import example

pytestmark = pytest.mark.usefixtures("database_backend")

KNEE = {
    "region": "front of right knee",
    "side": "right",
    "nprs_rest": 2,
    "nprs_activity": 5,
    "onset": "no_trauma",
    "night_pain": False,
}


def _pain_intake():
    body = example("intake.json")
    body["intake"]["pain"] = [dict(KNEE)]
    return body


def _refs(flow, who):
    return [
        e["data"]["referral"]
        for e in flow.decided()
        if e["subject"] == who["client_id"] and e["data"]["referral"]
    ]


def _page(app, url):
    return app.test_client().get(url[url.index("/answer/") :])


def test_two_decisions_in_a_row_make_one_current_letter_and_the_old_link_shows_it(app, flow):
    who = flow.submit_intake(_pain_intake())
    [first] = _refs(flow, who)  # screening: knee pain -> physical therapist
    flow.score(who, example("assessment-pain.json"), "assessment-1")
    first_again, second = _refs(flow, who)
    assert first_again == first
    # The same clinician is asked the same thing: one referral, its letter now version 2.
    assert second["referral_id"] == first["referral_id"]
    assert (first["letter_version"], second["letter_version"]) == (1, 2)
    referrals = app.test_client().get(f"/referrals?client_id={who['client_id']}").get_json()
    assert [r["status"] for r in referrals] == ["needed"]

    # The link in the first letter opens the current one: the assessment's findings,
    # marked as the updated version.
    page = _page(app, first["answer_url"])
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert "UPDATED LETTER (version 2)" in text
    assert "Pain during the shoulder clearing test" in text  # found at the assessment
    assert "Functional Movement Screen total: 12/21." in text


def test_after_an_intake_correction_the_old_link_leads_to_the_new_letter(app, flow):
    who = flow.submit_intake(_pain_intake())
    [old] = _refs(flow, who)
    [submitted] = [
        e
        for e in events_of(flow.redis, "inscope.referral", "intake.submitted.v1")
        if e["data"]["client_id"] == who["client_id"]
    ]
    data = dict(submitted["data"])
    hip = {**KNEE, "region": "left hip", "side": "left"}
    data["screening"] = {**data["screening"], "pain": [hip]}
    corrected = make_event(
        "intake.corrected.v1",
        source="/inscope/intake",
        subject=who["client_id"],
        data={**data, "version": 2, "corrected_at": "2026-12-03T10:00:00+00:00"},
    )
    assert flow.deliver(corrected) == "processed"

    referrals = app.test_client().get(f"/referrals?client_id={who['client_id']}").get_json()
    assert [r["status"] for r in referrals] == ["closed", "needed"]
    assert referrals[0]["closed_reason"].startswith("superseded: intake corrected")

    # The physician's next view through the old letter's link: the new version.
    opened = _page(app, old["answer_url"])
    assert opened.status_code == 303
    location = urlsplit(opened.headers["Location"])
    assert location.query == "replaced=1"
    page = app.test_client().get(f"{location.path}?{location.query}")
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "replaced by a newer one" in text
    assert "left hip" in text and "front of right knee" not in text
