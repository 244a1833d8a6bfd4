"""The referral letter: MIME structure, a valid PDF, escaping, and no PHI in subjects."""

from __future__ import annotations

import pytest

from inscope_notify.mail import RenderedEmail, build_message
from tests.conftest import sqlite_only
from tests.notify.conftest import (
    ANSWER_URL,
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

database_backend = sqlite_only("what a letter or email says and how it is built")


CLIENT = "dana.rivera@example.com"
PHYSICIAN = "p.shah@lakeside-clinic.example"


def test_the_letter_is_text_html_and_a_pdf_that_says_who_and_why(notify, submit, smtp_sink):
    created = submit()
    event = decided(created, example("assessment-pain.json"))
    assert consume(notify, event) == "processed"

    letter = by_recipient(smtp_sink)[PHYSICIAN]
    assert letter.get_content_type() == "multipart/mixed"
    alternative, attachment = letter.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "application/pdf"
    filename, pdf_text = pdf_of(letter)
    assert filename.startswith("inscope-referral-letter-") and filename.endswith(".pdf")
    assert "Rivera" not in filename  # the file name shows in every mail list

    # REF-1: sender and credential, facility and contacts, recipient, client identifiers,
    # consent with its version and date, reason, findings, request, meanwhile, urgency, link.
    for text in (pdf_text, " ".join(text_of(letter).split())):
        for expected in (
            "Alex Morgan",
            "Corrective Exercise Specialist (CES)",
            "+1 555 0100",
            "Dr. Priya Shah",
            "Lakeside Family Practice",
            "Dana Rivera",
            "1988-04-12",
            "consent form consent-2026-01, signed by Dana Rivera on 2026-11-26",
            "pain was reproduced during the movement screen",
            "shoulder clearing test, right side",
            "Evaluation by a physical therapist",
            "no exercise sessions until we receive your answer",
            "Routine",
            ANSWER_URL,
            "we do not diagnose",
        ):
            assert expected in text, expected
    assert f'href="{ANSWER_URL}"' in html_of(letter)
    assert letter["Reply-To"] == "coaching@inscope-studio.example"
    # No PHI in the subject line.
    assert letter["Subject"] == "Referral request from InScope Corrective Exercise Studio"
    for message in smtp_sink.messages:
        assert "Dana" not in message["Subject"] and "Rivera" not in message["Subject"]

    rows = {d["kind"]: d for d in deliveries(notify, created["client_id"])}
    assert rows["physician_referral"]["status"] == "sent"
    assert rows["physician_referral"]["referral_id"] == event["data"]["referral"]["referral_id"]
    reported = {e["data"]["recipient_role"]: e["data"] for e in sent_events(notify)}
    assert reported["physician"]["status"] == "sent"
    assert reported["physician"]["referral_id"] == event["data"]["referral"]["referral_id"]
    # Only the letter's fate is news (to the referral service); the client email's
    # stays on its delivery row (issue 13: one event and one task fewer per client).
    assert list(reported) == ["physician"]
    assert rows["client_update"]["status"] == "sent"


def test_the_client_email_is_plain_and_says_what_was_noticed(notify, submit, smtp_sink):
    created = submit()
    consume(notify, decided(created, example("assessment-pain.json")))
    mail = by_recipient(smtp_sink)[CLIENT]
    assert mail.get_content_type() == "multipart/alternative"  # nothing attached
    text = " ".join(text_of(mail).split())
    assert text.startswith("Hello Dana,")
    assert (
        "You felt pain during the shoulder mobility test, one of the movements your trainer "
        "asked you to do." in text
    )
    assert "A physical therapist can look at this properly" in text
    assert "How soon: at your next convenient appointment." in text
    assert "we have sent a letter with these details to Dr. Priya Shah" in text
    assert "We will pause your training until we hear back." in text
    # The safety net is written for a pain referral (no cardiac catch-all list).
    assert "If your symptoms suddenly get much worse" in text and "call 911" in text
    assert "chest pain" not in text
    assert "FMS-8" in text  # a reference for staff, at the end


def test_a_clearance_letter_asks_for_the_intensity_the_client_wants(notify, submit, smtp_sink):
    def known_disease_wants_vigorous(body):
        body["intake"]["acsm"]["known_metabolic_disease"] = True
        body["intake"]["acsm"]["desired_intensity"] = "vigorous"

    created = submit(known_disease_wants_vigorous)
    consume(notify, decided(created, example("assessment-clear.json")))
    letter = by_recipient(smtp_sink)[PHYSICIAN]
    _, pdf_text = pdf_of(letter)
    assert "Request for medical clearance" in pdf_text
    assert "Medical clearance for exercise at vigorous intensity" in pdf_text
    assert "moderate intensity at most until you clear the client for vigorous" in pdf_text
    assert "known metabolic disease" in pdf_text
    client = " ".join(text_of(by_recipient(smtp_sink)[CLIENT]).split())
    assert "at moderate intensity at most, until your doctor clears you" in client


def test_markup_in_a_name_arrives_inert_in_html_and_pdf(notify, submit, smtp_sink):
    hostile = "<script>alert(1)</script>"

    def rename(body):
        body["client"]["first_name"] = hostile

    created = submit(rename)
    consume(notify, decided(created, example("assessment-pain.json")))
    for message in smtp_sink.messages:
        html = html_of(message)
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _, pdf_text = pdf_of(by_recipient(smtp_sink)[PHYSICIAN])
    assert f"{hostile} Rivera" in pdf_text  # printed as text, not read as markup


@pytest.mark.parametrize("field", ["first_name", "last_name", "email"])
def test_header_injection_in_a_name_is_refused_at_intake(intake_server, field):
    body = example("intake.json")
    body["client"][field] = "Dana\r\nBcc: everyone@example.com"
    response = intake_server.test_client().post("/intakes", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]["client"]


@pytest.mark.parametrize("field", ["recipient", "sender", "message_id", "reply_to", "subject"])
def test_a_header_with_a_line_break_is_refused(field):
    """build_message's own check: its MIME classes would write the line break out."""
    fields = {
        "sender": "InScope <no-reply@inscope.local>",
        "recipient": "someone@example.com",
        "message_id": "<e.client@inscope.local>",
        "reply_to": "desk@example.com",
        "subject": "Your screening",
    }
    fields[field] += "\r\nBcc: everyone@example.com"
    subject = fields.pop("subject")
    with pytest.raises(ValueError):
        build_message(RenderedEmail(subject, "Text", "<p>HTML</p>"), **fields)


def test_the_letter_asks_what_the_referral_service_requests(notify, submit, smtp_sink):
    created = submit()
    request = {
        "kind": "evaluation",
        "evaluation": True,
        "treatment": True,
        "clearance_for_intensity": "moderate",
        "restrictions": True,
        "exercise_guidelines": False,
        "meanwhile": "no_training_until_cleared",
        "rules": ["FMS-8"],
        "summary": "Please evaluate the findings below.",
    }
    consume(notify, decided(created, example("assessment-pain.json"), referral=request))
    _, pdf_text = pdf_of(by_recipient(smtp_sink)[PHYSICIAN])
    assert "Whether the client may train at moderate intensity" in pdf_text
    assert "Any restrictions or contraindications" in pdf_text
    assert "Exercise guidelines we should follow" not in pdf_text


def test_an_urgent_letter_says_urgent_in_the_pdf_title_and_header_and_has_a_button(
    notify, submit, smtp_sink
):
    """Issue 9 item 2: urgency is visible at a glance; the email's link is a big button."""
    from io import BytesIO

    from pypdf import PdfReader

    created = submit()
    event = decided(created, example("assessment-pain.json"))
    event["data"]["referral"]["urgency"] = "urgent"
    assert consume(notify, event) == "processed"
    letter = by_recipient(smtp_sink)[PHYSICIAN]
    [part] = [p for p in letter.iter_attachments() if p.get_content_type() == "application/pdf"]
    reader = PdfReader(BytesIO(part.get_content()))
    assert reader.metadata.title.startswith("URGENT")
    first_page = reader.pages[0].extract_text()
    # The header: "URGENT" above the facility's name (the canvas footer extracts first).
    assert "URGENT" in first_page
    assert first_page.index("URGENT") < first_page.index("InScope Corrective Exercise Studio")
    assert ">Answer this referral</a>" in letter.get_body(("html",)).get_content()


def test_a_routine_letter_does_not_say_urgent(notify, submit, smtp_sink):
    created = submit()
    consume(notify, decided(created, example("assessment-pain.json")))
    _, pdf_text = pdf_of(by_recipient(smtp_sink)[PHYSICIAN])
    assert "URGENT" not in pdf_text


def test_letters_are_drawn_with_reportlabs_c_accelerator():
    """Issue 13: rl-accel is a dependency. Without it reportlab falls back to its pure
    Python string widths and number formatting: the same PDF bytes, about a quarter more
    CPU per letter drawn."""
    from reportlab.lib import rl_accel

    for name in ("fp_str", "instanceStringWidthTTF", "escapePDF", "unicode2T1"):
        assert getattr(rl_accel, name).__module__ == "_rl_accel", name
