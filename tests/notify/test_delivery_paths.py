"""Consent, missing contact, the scope guard and emergencies, end to end through the
consumer task, a real SMTP server and the intake's contact endpoint."""

from __future__ import annotations

from tests.notify.conftest import (
    by_recipient,
    consume,
    decided,
    deliveries,
    html_of,
    pdf_of,
    sent_events,
    text_of,
)
from tests.services.conftest import example

CLIENT = "dana.rivera@example.com"
PHYSICIAN = "p.shah@lakeside-clinic.example"
PAIN = "assessment-pain.json"


def _rows(app, created):
    return {d["kind"]: d for d in deliveries(app, created["client_id"])}


def _reported(app):
    return {(e["data"]["kind"], e["data"]["status"]): e["data"] for e in sent_events(app)}


def test_no_consent_to_share_keeps_the_letter_from_the_physician(notify, submit, smtp_sink):
    def withhold(body):
        body["intake"]["consent"]["share_with_physician"] = False

    created = submit(withhold)
    event = decided(created, example(PAIN))
    consume(notify, event)

    assert list(by_recipient(smtp_sink)) == [CLIENT]
    mail = by_recipient(smtp_sink)[CLIENT]
    assert mail.get_content_type() == "multipart/mixed"
    _, pdf_text = pdf_of(mail)
    assert (
        "Dana Rivera" in pdf_text and "pain was reproduced during the movement screen" in pdf_text
    )
    text = " ".join(text_of(mail).split())
    assert "Please take the attached letter to your appointment." in text
    assert "We have not sent it to anyone" in text
    rows = _rows(notify, created)
    assert rows["physician_referral"]["status"] == "blocked"
    assert rows["physician_referral"]["blocked_reason"] == "no consent to share"
    assert rows["client_update"]["status"] == "sent"
    blocked = _reported(notify)[("physician_referral", "blocked")]
    assert blocked["detail"] == "no consent to share"
    assert blocked["recipient_role"] == "physician"
    assert blocked["referral_id"] == event["data"]["referral"]["referral_id"]


def test_no_physician_contact_asks_the_client_for_one(notify, submit, smtp_sink):
    def no_physician(body):
        del body["intake"]["physician"]

    created = submit(no_physician)
    consume(notify, decided(created, example(PAIN)))

    assert list(by_recipient(smtp_sink)) == [CLIENT]
    mail = by_recipient(smtp_sink)[CLIENT]
    filename, pdf_text = pdf_of(mail)
    assert filename.endswith(".pdf") and "Dear Clinician," in pdf_text
    text = " ".join(text_of(mail).split())
    assert "Please take the attached letter to your appointment." in text
    assert "Reply to this email with your doctor's name, clinic and email address" in text
    assert "name, clinic and email address" in html_of(mail)
    rows = _rows(notify, created)
    assert rows["physician_referral"]["status"] == "blocked"
    assert rows["physician_referral"]["blocked_reason"] == "no physician contact"
    assert rows["physician_referral"]["recipient"] is None
    assert ("physician_referral", "blocked") in _reported(notify)


def test_no_consent_to_email_means_no_client_email_on_record(notify, submit, smtp_sink):
    def no_email(body):
        body["intake"]["consent"]["email"] = False

    created = submit(no_email)
    consume(notify, decided(created, example(PAIN)))
    assert list(by_recipient(smtp_sink)) == [PHYSICIAN]
    rows = _rows(notify, created)
    assert (rows["client_update"]["status"], rows["client_update"]["blocked_reason"]) == (
        "blocked",
        "no consent to email",
    )
    assert rows["client_update"]["attempts"] == 0


def test_a_diagnosis_in_a_reason_summary_blocks_the_send(notify, submit, smtp_sink):
    created = submit()
    event = decided(created, example(PAIN))
    event["data"]["reasons"].append(
        {
            "rule": "NEW-1",  # a rule the letter has no wording for: its summary is used
            "source": "SYS",
            "facts": {"observation": True},
            "summary": "Knee pain caused by patellofemoral pain syndrome.",
            "outcome": "refer",
            "urgency": "routine",
            "target": "physical_therapist",
        }
    )
    consume(notify, event)

    assert smtp_sink.messages == []
    rows = _rows(notify, created)
    for kind in ("client_update", "physician_referral"):
        assert rows[kind]["status"] == "blocked"
        reason = rows[kind]["blocked_reason"]
        assert reason.startswith("scope guard: ")
        assert '"caused"' in reason and '"syndrome"' in reason
        assert rows[kind]["subject"]  # rendered, checked, never sent
    reported = _reported(notify)
    assert reported[("physician_referral", "blocked")]["detail"].startswith("scope guard: ")
    # A client email's fate moves no referral: on its row, not on the bus (issue 13).
    assert [kind for kind, _ in reported] == ["physician_referral"]


def test_a_diagnosis_in_the_clients_free_text_blocks_the_send(notify, submit, smtp_sink):
    def notes(body):
        body["intake"]["notes"] = "Another gym said it might be cauda equina."

    created = submit(notes)
    consume(notify, decided(created))
    assert smtp_sink.messages == []
    rows = _rows(notify, created)
    assert rows["physician_referral"]["status"] == "blocked"
    assert '"cauda equina"' in rows["physician_referral"]["blocked_reason"]


def test_an_emergency_is_emailed_only_as_documentation(notify, submit, smtp_sink):
    def chest_pain(body):
        body["intake"]["red_flags"] = {"chest_pain_now": True}

    created = submit(chest_pain)
    consume(notify, decided(created))
    mails = by_recipient(smtp_sink)
    client, letter = mails[CLIENT], mails[PHYSICIAN]
    assert client["Subject"].startswith("Call emergency services now: written record")
    first_lines = text_of(client).strip().splitlines()[0]
    assert first_lines.startswith("PLEASE CALL EMERGENCY SERVICES (911) NOW")
    assert "written record of what our staff told you" in text_of(client)
    assert letter["Subject"].startswith("[Documentation only]")
    assert text_of(letter).lstrip().startswith("*** DOCUMENTATION ONLY.")
    _, pdf_text = pdf_of(letter)
    assert "DOCUMENTATION ONLY" in pdf_text
    assert "chest pain or pressure at the time of screening" in pdf_text
    assert "Emergency (same day)" in pdf_text


def test_a_redelivered_decision_sends_nothing_twice(notify, submit, smtp_sink):
    created = submit()
    event = decided(created, example(PAIN))
    assert consume(notify, event) == "processed"
    assert consume(notify, event) == "duplicate"
    # Even with the inbox row lost, no sent delivery is sent again and nothing is reported
    # twice.
    notify.extensions["notifier"].on_referral_decided(None, event)
    assert sorted(str(m["To"]) for m in smtp_sink.messages) == [CLIENT, PHYSICIAN]
    assert [e["data"]["kind"] for e in sent_events(notify)] == ["physician_referral"]
    assert {m["Message-ID"] for m in smtp_sink.messages} == {
        f"<{event['id']}.client@inscope.local>",
        f"<{event['id']}.physician@inscope.local>",
    }
