"""Decisions open referrals; notify's reports move them (real Redis, real database)."""

from __future__ import annotations

import pytest

from inscope_common.events import parse_event
from tests.referral.conftest import clearance_intake, notification, token_of
from tests.services.conftest import example

pytestmark = pytest.mark.usefixtures("database_backend")


def referral_row(app, referral_id):
    return app.test_client().get(f"/referrals/{referral_id}").get_json()


def test_a_referring_decision_opens_a_referral_and_its_event_carries_the_answer_link(app, flow):
    who, ref = flow.referred_client()
    decided = flow.decided()[-1]
    parse_event(decided)  # the published event honours the contract
    assert decided["data"]["outcome"] == "refer"
    assert ref["status"] == "needed"
    assert ref["target"] == "physical_therapist" and ref["urgency"] == "routine"
    assert ref["answer_url"].startswith("http://referrals.test/answer/")
    assert ref["request"]["kind"] == "evaluation" and ref["request"]["treatment"] is True
    assert ref["request"]["rules"] == ["SCOPE-4", "FMS-8"]
    row = referral_row(app, ref["referral_id"])
    assert row["status"] == "needed" and row["client_id"] == who["client_id"]
    assert row["decision_id"] == decided["data"]["decision_id"]
    assert "answer_url" not in row  # a credential: not on staff listings
    # The token in the link opens this referral.
    rt = app.extensions["inscope"]
    from inscope_referral.referrals import claim_of

    claim = claim_of(rt, token_of(ref["answer_url"]))
    assert claim.referral_id == ref["referral_id"]


def test_an_in_scope_client_gets_no_referral(app, flow):
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-1")
    decided = [e for e in flow.decided() if e["subject"] == who["client_id"]]
    assert decided and decided[-1]["data"]["referral"] is None
    assert app.test_client().get("/referrals").get_json() == []


def test_no_second_referral_while_an_equivalent_one_is_open(app, flow):
    who = flow.submit_intake(clearance_intake())  # screening: clearance, physician
    # The assessment adds reasons (a new decision is published) but the same request.
    flow.score(who, example("assessment-clear.json"), "a-1")
    refs = [e["data"]["referral"] for e in flow.decided() if e["subject"] == who["client_id"]]
    assert len(refs) == 2
    assert len({r["referral_id"] for r in refs}) == 1, "one open clearance request"
    listed = app.test_client().get(f"/referrals?client_id={who['client_id']}").get_json()
    assert [r["status"] for r in listed] == ["needed"]
    assert listed[0]["request"]["kind"] == "clearance"


def superseded_referral(app, flow):
    """A clearance referral, then the same client's urgent one that supersedes it: the
    client, the first referral and the second."""
    from inscope_referral.models import ClientCase

    body = clearance_intake()
    first = flow.submit_intake(body)
    ref_a = flow.decided()[-1]["data"]["referral"]
    # Same client, the trainer adds an urgent finding: chest discomfort on exertion.
    body["intake"]["acsm"]["signs_symptoms"]["ischaemic_discomfort"] = True
    rt = app.extensions["inscope"]
    with rt.session_factory() as session, session.begin():
        case = session.get(ClientCase, first["client_id"])
        case.screening = {**case.screening, "acsm": body["intake"]["acsm"]}
    flow.score(first, example("assessment-clear.json"), "a-1")
    return first, ref_a, flow.decided()[-1]["data"]["referral"]


def test_a_changed_request_to_the_same_clinician_supersedes_the_open_one(app, flow):
    _first, ref_a, ref_b = superseded_referral(app, flow)
    assert ref_b["urgency"] == "urgent" and ref_b["referral_id"] != ref_a["referral_id"]
    old = referral_row(app, ref_a["referral_id"])
    assert old["status"] == "closed"
    assert old["closed_reason"].startswith(f"superseded by referral {ref_b['referral_id']}")


def test_accepted_by_smtp_means_delivered_once_whatever_the_redelivery(app, flow):
    who, ref = flow.referred_client()
    event = notification(who, ref["referral_id"], "sent")
    assert flow.deliver(event) == "processed"
    assert flow.deliver(event) == "duplicate"
    row = referral_row(app, ref["referral_id"])
    assert row["status"] == "delivered"
    assert row["timestamps"]["sent"] == row["timestamps"]["delivered"]
    # A second report (a reminder accepted later) changes nothing.
    assert flow.deliver(notification(who, ref["referral_id"], "sent", kind="reminder")) == (
        "processed"
    )
    assert referral_row(app, ref["referral_id"])["timestamps"] == row["timestamps"]


def test_blocked_for_want_of_consent_or_contact_stays_needed_with_the_reason(app, flow):
    who, ref = flow.referred_client()
    flow.deliver(notification(who, ref["referral_id"], "blocked", detail="no consent to share"))
    row = referral_row(app, ref["referral_id"])
    assert row["status"] == "needed"
    assert row["status_reason"] == "physician_referral blocked: no consent to share"
    # The board turns the blocked letter into the clerk's task (client-journey.md).
    task = "Ask the client to consent, or print the letter for them"
    assert task in app.test_client().get("/board").get_data(as_text=True)
    # The client supplies a contact and the letter goes out: the reason no longer applies.
    flow.deliver(notification(who, ref["referral_id"], "sent", delivery_id="d-2"))
    row = referral_row(app, ref["referral_id"])
    assert row["status"] == "delivered" and row["status_reason"] is None
    assert task not in app.test_client().get("/board").get_data(as_text=True)


def test_a_delivery_reported_after_the_physician_opened_the_page_does_not_go_back(app, flow):
    who, ref = flow.referred_client()
    page = app.test_client().get(f"/answer/{token_of(ref['answer_url'])}")
    assert page.status_code == 200
    flow.deliver(notification(who, ref["referral_id"], "sent"))
    row = referral_row(app, ref["referral_id"])
    assert row["status"] == "viewed"
    assert set(row["timestamps"]) == {"needed", "sent", "delivered", "viewed"}
    # And a late "blocked" report for a follow-up email changes nothing either.
    flow.deliver(notification(who, ref["referral_id"], "blocked", kind="reminder"))
    assert referral_row(app, ref["referral_id"])["status"] == "viewed"
    assert referral_row(app, ref["referral_id"])["status_reason"] is None


def test_client_emails_do_not_move_the_referral(app, flow):
    """Settled without a transaction (issue 13): no inbox row, and nothing moves."""
    from inscope_referral.models import platform

    who, ref = flow.referred_client()
    with app.extensions["inscope"].session_factory() as session:
        inbox = session.query(platform.ProcessedEvent).count()
    client_email = notification(who, ref["referral_id"], "sent", recipient_role="client")
    assert flow.deliver(client_email) == "ignored"
    assert referral_row(app, ref["referral_id"])["status"] == "needed"
    with app.extensions["inscope"].session_factory() as session:
        assert session.query(platform.ProcessedEvent).count() == inbox
    # Control: the physician's letter accepted moves it, with its inbox row.
    assert flow.deliver(notification(who, ref["referral_id"], "sent")) == "processed"
    assert referral_row(app, ref["referral_id"])["status"] == "delivered"
    with app.extensions["inscope"].session_factory() as session:
        assert session.query(platform.ProcessedEvent).count() == inbox + 1


def test_a_report_about_an_unknown_referral_is_dead_lettered(app, flow):
    who, _ref = flow.referred_client()
    assert flow.deliver(notification(who, "no-such-referral", "sent")) == "dead_lettered"


def test_the_client_page_says_why_a_referral_closed_without_its_successor_s_id(app, flow):
    from inscope_referral.referrals import closed_reason_text
    from tests.referral.test_reassessment import _page

    first, ref_a, ref_b = superseded_referral(app, flow)

    html = _page(app, first["client_id"])
    assert f'data-referral="{ref_a["referral_id"]}"' in html  # the closed one is listed
    assert "Superseded by a newer referral: the decision changed" in html
    assert f"superseded by referral {ref_b['referral_id']}" not in html
    assert str(closed_reason_text("superseded: intake corrected (version 3)")) == (
        "Superseded: the intake was corrected (version 3)")
    assert closed_reason_text("client moved away") == "client moved away"  # typed: as written


def test_a_letter_blocked_for_want_of_consent_can_be_printed_for_the_client(app, flow):
    """Issue 15 item 4: the board's task says "print the letter for them"; the client
    page prints it. The letter notify would send, with the link printed on the copy a
    client carries (an answer through it waits for staff to verify it, DEC-7)."""
    import re
    from html import unescape

    from inscope_referral.referrals import claim_of, link_channel

    body = example("intake.json")
    body["intake"]["consent"]["share_with_physician"] = False
    who = flow.submit_intake(body)
    flow.score(who, example("assessment-pain.json"), "assessment-1")
    ref = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1]["data"]["referral"]
    flow.deliver(notification(who, ref["referral_id"], "blocked", detail="no consent to share"))
    trainer = app.test_client(role="trainer")
    url = f"/clients/{who['client_id']}/referrals/{ref['referral_id']}/letter"
    client_page = trainer.get(f"/clients/{who['client_id']}/view").get_data(as_text=True)
    assert f'href="{url}"' in client_page
    page = trainer.get(url)
    assert page.status_code == 200
    html = unescape(page.get_data(as_text=True))
    name = f"{body['client']['first_name']} {body['client']['last_name']}"
    assert f"{name} did not authorise us to send this information to you directly" in html
    for heading in ("Consent", "Reason for referral", "What we ask of you", "Your answer"):
        assert f"<h2>{heading}</h2>" in html, heading
    # The carried link (issued afresh, so compared by what it opens, not its text).
    [link] = re.findall(r'<p class="link" id="answer-link"><a href="([^"]+)">\1</a></p>', html)
    assert link.startswith("http://referrals.test/answer/") and ref["answer_url"] not in html
    rt = app.extensions["inscope"]
    assert claim_of(rt, token_of(link)).referral_id == ref["referral_id"]
    assert link_channel(rt, token_of(link)) == "client_carried_letter"
    assert "<script" not in html and " style=" not in html and "<style" not in html
    assert "/paper-letter.css" in html  # the facility's paper (default: US Letter)
    # Another client's address for the referral: not found. The front desk: refused.
    other = flow.submit_intake()
    assert trainer.get(
        f"/clients/{other['client_id']}/referrals/{ref['referral_id']}/letter").status_code == 404
    assert app.test_client(role="front_desk").get(url).status_code == 403


def test_an_answered_referral_has_no_letter_to_print(app, flow):
    """Control: once answered, the carried link no longer opens; no print link, 409."""
    who, ref = flow.referred_client()
    form = app.test_client().get(f"/answer/{token_of(ref['answer_url'])}")
    assert form.status_code == 200
    import re

    key = re.search(r'name="form_key" value="([^"]+)"', form.get_data(as_text=True)).group(1)
    answered = app.test_client().post(f"/answer/{token_of(ref['answer_url'])}", data={
        "answer": "cleared", "answered_by": "Dr. Priya Shah", "profession": "physician",
        "registration": "CPSO 12345", "form_key": key})
    assert answered.status_code == 200, answered.get_data(as_text=True)[:500]
    trainer = app.test_client(role="trainer")
    url = f"/clients/{who['client_id']}/referrals/{ref['referral_id']}/letter"
    assert trainer.get(url).status_code == 409
    assert f'href="{url}"' not in trainer.get(
        f"/clients/{who['client_id']}/view").get_data(as_text=True)
