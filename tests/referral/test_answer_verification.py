"""No self-clearance (issue 9 item 3, DEC-7): an answer through the letter the client
carried is recorded with its channel, time and address, stays unverified (journey
status answer_to_verify) and changes nothing until staff record who verified it with
the clinician, how and when (audited)."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from inscope_referral.models import AuditEntry
from tests.referral.conftest import events_of

pytestmark = pytest.mark.usefixtures("database_backend")

ORIGIN = {"Origin": "http://localhost"}


def _path(url: str) -> str:
    return url[url.index("/answer/") :]


def _status(app, client_id):
    return app.test_client().get(f"/clients/{client_id}/status").get_json()


def _answered_events(redis_client, referral_id):
    return [
        e
        for e in events_of(redis_client, "inscope.notify", "referral.answered.v1")
        if e["data"]["referral_id"] == referral_id
    ]


def test_a_client_carried_answer_changes_nothing_until_staff_verify_it(
    app, rt, flow, redis_client
):
    who, ref = flow.referred_client()
    assert ref["carried_answer_url"] and ref["carried_answer_url"] != ref["answer_url"]
    before = _status(app, who["client_id"])
    assert before["status"] == "referred"

    client = app.test_client()
    page = client.get(_path(ref["carried_answer_url"])).get_data(as_text=True)
    assert "confirmed it with you by phone" in page
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)
    done = client.post(
        _path(ref["carried_answer_url"]),
        data={
            "form_key": key,
            "answer": "cleared_with_restrictions",
            "max_intensity": "moderate",
            "avoid_movements.overhead_pressing": "on",
            "answered_by": "Dr. Made Up",
            "profession": "physician",
            "registration": "12345",
        },
        headers=ORIGIN,
    )
    assert done.status_code == 200
    assert "we will call" in html.unescape(done.get_data(as_text=True))

    row = client.get(f"/referrals/{ref['referral_id']}").get_json()
    answer = row["answer"]
    assert (answer["channel"], answer["verified"]) == ("client_carried_letter", False)
    assert answer["client_address"] == "127.0.0.1" and answer["answered_at"]
    assert (answer["profession"], answer["registration"]) == ("physician", "12345")
    # Nothing unlocks: status, program, and no "answer received" to client or trainer.
    status = _status(app, who["client_id"])
    assert status["status"] == "answer_to_verify"
    assert status["journey"]["assessment_allowed"] is False
    assert status["program"] is None
    assert _answered_events(redis_client, ref["referral_id"]) == []

    # A verification must say who and how.
    refused = client.post(
        f"/referrals/{ref['referral_id']}/verification", json={"method": "phone"}
    )
    assert refused.status_code == 422
    assert _status(app, who["client_id"])["status"] == "answer_to_verify"

    verified = client.post(
        f"/referrals/{ref['referral_id']}/verification",
        json={
            "verified_with": "Dr. Priya Shah",
            "method": "phone",
            "verified_at": "2026-12-03T09:30:00+00:00",
            "note": "Called the clinic's listed number.",
        },
    )
    assert verified.status_code == 200, verified.get_json()
    record = verified.get_json()["answer"]["verification"]
    assert record["verified_with"] == "Dr. Priya Shah" and record["method"] == "phone"
    assert record["verified_at"].startswith("2026-12-03T09:30") and record["recorded_by"]

    # Now the answer applies: cleared with limits, program within them, people told.
    status = _status(app, who["client_id"])
    assert status["status"] == "program_ready"
    names = [
        e["name"] for phase in status["program"]["phases"] for e in phase.get("exercises") or []
    ]
    assert names and not any("press" in n.lower() for n in names)
    [published] = _answered_events(redis_client, ref["referral_id"])
    assert published["data"]["channel"] == "client_carried_letter"
    assert published["data"]["verified_by"] == record["recorded_by"]
    with rt.session_factory() as session:
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.record == "answer_verification")
        ).all()
    assert [a.record_id for a in audited] == [ref["referral_id"]]
    # Once is enough.
    again = client.post(
        f"/referrals/{ref['referral_id']}/verification",
        json={"verified_with": "Dr. Priya Shah", "method": "phone"},
    )
    assert again.status_code == 409


def test_the_client_page_offers_the_verification_form_and_it_applies_the_answer(
    app, flow, redis_client
):
    who, ref = flow.referred_client()
    client = app.test_client()
    page = client.get(_path(ref["carried_answer_url"])).get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)
    client.post(
        _path(ref["carried_answer_url"]),
        data={"form_key": key, "answer": "cleared", "answered_by": "Dr. Made Up",
              "profession": "physician", "registration": "12345"},
        headers=ORIGIN,
    )
    view = client.get(f"/clients/{who['client_id']}/view")
    if view.status_code != 200:
        pytest.skip("the staff pages are not served by this test app")
    text = html.unescape(view.get_data(as_text=True))
    assert 'id="answer-to-verify"' in text and "this answer changes nothing yet" in text
    assert "Through the letter the client carried" in text
    posted = client.post(
        f"/clients/{who['client_id']}/referrals/{ref['referral_id']}/verify",
        data={"verified_with": "Dr. Priya Shah", "method": "phone",
              "verified_at": "2026-12-03T09:30"},
    )
    assert posted.status_code == 303
    assert _status(app, who["client_id"])["status"] == "program_ready"
    text = html.unescape(client.get(f"/clients/{who['client_id']}/view").get_data(as_text=True))
    assert 'id="answer-verified"' in text and "Verified with Dr. Priya Shah" in text
