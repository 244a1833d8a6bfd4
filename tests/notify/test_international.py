"""Letters in any script, on the facility's paper, dated in its zone and format."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.notify.conftest import by_recipient, consume, decided, pdf_of, text_of
from tests.services.conftest import example

PHYSICIAN = "p.shah@lakeside-clinic.example"
NAMES = [("Łukasz", "Wiśniewski"), ("Nguyễn Thị", "Ánh"), ("Γιώργος", "Παπαδόπουλος")]


@pytest.mark.parametrize(("first", "last"), NAMES)
def test_a_name_in_any_script_prints_and_extracts_back_exactly(
    make_notify, submit, smtp_sink, first, last
):
    notify = make_notify(FACILITY_LOCALE="pl-PL", FACILITY_TIME_ZONE="Europe/Warsaw")

    def rename(body):
        body["client"]["first_name"] = first
        body["client"]["last_name"] = last

    created = submit(rename)
    consume(notify, decided(created, example("assessment-pain.json")))
    letter = by_recipient(smtp_sink)[PHYSICIAN]
    _, pdf_text = pdf_of(letter)
    assert f"Re: {first} {last}, date of birth 12.04.1988" in pdf_text
    assert f"{first} {last} authorised us in writing" in pdf_text
    assert "■" not in pdf_text
    [part] = [p for p in letter.iter_attachments() if p.get_content_type() == "application/pdf"]
    reader = PdfReader(io.BytesIO(part.get_content()))
    # A4 (595 x 842 pt) by the Polish locale; the font is embedded, not a base-14 name.
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and not any("Helvetica" in f for f in fonts), fonts
    assert all(
        "/FontFile2" in font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        if "/DescendantFonts" in font.get_object()
        else "/FontFile2" in font.get_object()["/FontDescriptor"]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    )
    # The consent was signed 2026-11-26T09:30Z: 10:30 in Warsaw, dated in its format.
    assert "on 26.11.2026" in " ".join(text_of(letter).split())


def test_the_default_paper_is_us_letter(notify, submit, smtp_sink):
    consume(notify, decided(submit(), example("assessment-pain.json")))
    letter = by_recipient(smtp_sink)[PHYSICIAN]
    [part] = [p for p in letter.iter_attachments() if p.get_content_type() == "application/pdf"]
    box = PdfReader(io.BytesIO(part.get_content())).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_the_letter_is_dated_the_facility_day_not_the_utc_day():
    from datetime import UTC, date, datetime

    from inscope_clinical.letters.letter import Sender, referral_letter
    from inscope_common.localtime import Locale

    chicago = Locale.from_env({"FACILITY_TIME_ZONE": "America/Chicago", "FACILITY_LOCALE": "en-US"})
    late_evening = datetime(2026, 12, 4, 3, 30, tzinfo=UTC)  # 21:30 on 3 December in Chicago
    today = chicago.today(late_evening)
    assert today == date(2026, 12, 3)
    letter = referral_letter(
        sender=Sender("Studio", "1 Street", "555", "a@b.example", "Alex Morgan", "CES"),
        today=today,
        contact={"client": {"first_name": "A", "last_name": "B", "date_of_birth": "1988-04-12"}},
        decision={"outcome": "refer", "urgency": "routine", "reasons": []},
        referral=None,
        locale=chicago,
    )
    assert letter.date == "12/03/2026" and "date of birth 04/12/1988" in letter.regarding


def test_the_times_an_email_gives_are_in_the_facility_zone():
    """Issue 15 item 6, "every time shown and sent": the pre-visit link's expiry in the
    client's email and the answer's time in the trainer's, in America/Chicago."""
    from inscope_common.localtime import Locale
    from inscope_notify.config import load_notify_settings, load_settings
    from inscope_notify.mail import render
    from inscope_notify.messages import plan_answer, plan_previsit
    from tests.notify.scenarios import contact

    setup = load_notify_settings(load_settings({"INSCOPE_ENV": "development"}), {}).setup
    chicago = Locale.from_env({"FACILITY_TIME_ZONE": "America/Chicago", "FACILITY_LOCALE": "en-US"})
    [previsit] = plan_previsit(
        {"link_url": "https://intake.example/previsit/token",
         "expires_at": "2026-12-11T09:00:00+00:00"},
        {"first_name": "Dana", "email": "dana@example.com", "status": "sent"},
        setup,
    )
    answered = {
        "intake_id": "intake-1", "client_id": "client-1", "referral_id": "referral-1",
        "answer": "cleared", "answered_at": "2026-12-01T10:00:00+00:00",
        "answered_by": "Dr. Priya Shah",
    }
    [trainer] = [e for e in plan_answer(answered, contact("pain on the movement screen"), setup)
                 if e.kind == "trainer_answer"]
    for email, said in ((previsit, "12/11/2026 03:00 CST"), (trainer, "12/01/2026 04:00 CST")):
        rendered = render(email.template, email.context, chicago)
        assert said in " ".join(rendered.text.split()), email.kind
        assert said in " ".join(rendered.html.split()), email.kind
        assert "UTC" not in rendered.text + rendered.html, email.kind


def test_the_program_sheet_dates_its_next_check_in_the_facility_format(
    make_notify, submit, smtp_sink
):
    """Issue 15 item 6, "date formats by locale setting": the program-ready email and
    the program PDF attached to it give the next movement check in the same format
    (en-GB: day first), not the stored ISO date."""
    notify = make_notify(FACILITY_LOCALE="en-GB", FACILITY_TIME_ZONE="Europe/London")
    event = decided(submit(), example("assessment-clear.json"), referral=False)
    iso = event["data"]["program"]["reassess_on"]
    year, month, day = iso.split("-")
    consume(notify, event)
    mail = by_recipient(smtp_sink)["dana.rivera@example.com"]
    said = f"{day}/{month}/{year}"
    assert f"around {said}" in " ".join(text_of(mail).split())
    [part] = [p for p in mail.iter_attachments()
              if p.get_content_type() == "application/pdf"
              and p.get_filename().startswith("inscope-program-")]
    reader = PdfReader(io.BytesIO(part.get_content()))
    pdf_text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert f"Next movement check: {said}." in pdf_text
    assert iso not in pdf_text
