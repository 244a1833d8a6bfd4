"""Issue 9 item 5: a program the client can hold. The program-ready email carries the
program as a PDF; the text extracted from it names every exercise with its sets and
repetitions (and tempo/hold, rest, cues, the limits it keeps to) and no term the scope
guard blocks."""

from __future__ import annotations

import re

import pytest

from inscope_clinical import program_after_answer, score_assessment
from inscope_clinical.letters.vocabulary import questionnaire_wording
from inscope_clinical.library import LIBRARY
from inscope_clinical.program_sheet import line_of, program_sheet
from inscope_notify import scope_guard
from inscope_notify.program_pdf import render_program_pdf
from tests.conftest import make_event, sqlite_only
from tests.notify.conftest import by_recipient, consume, decided
from tests.services.conftest import example

database_backend = sqlite_only("what the program sheet says")


CLIENT = "dana.rivera@example.com"


def _pdfs(message) -> dict[str, str]:
    """Every attached PDF's file name and extracted text (whitespace collapsed)."""
    import io

    from pypdf import PdfReader

    out = {}
    for part in message.iter_attachments():
        if part.get_content_type() == "application/pdf":
            reader = PdfReader(io.BytesIO(part.get_content()))
            text = "\n".join(page.extract_text() for page in reader.pages)
            out[part.get_filename()] = " ".join(text.split())
    return out


def _check_every_exercise(text: str, program: dict) -> None:
    sheet = program_sheet(program)
    assert sheet.exercises()
    names = [e.name for e in sheet.exercises()]
    for i, e in enumerate(sheet.exercises()):
        start = text.find(e.name)
        assert start >= 0, e.name
        nxt = [text.find(n, start + len(e.name)) for n in names[i + 1:]]
        end = min([n for n in nxt if n > 0] or [len(text)])
        chunk = text[start:end]
        assert f"Sets: {e.sets}" in chunk and f"Reps: {e.reps}" in chunk, (e.name, chunk)
        assert f"Rest: {e.rest}" in chunk and "Tempo/hold:" in chunk, (e.name, chunk)
        if e.cues:
            assert e.cues[0] in chunk, (e.name, chunk)


def test_program_ready_email_attaches_the_program(notify, submit, smtp_sink):
    created = submit()
    event = decided(created, example("assessment-clear.json"), referral=False)
    program = event["data"]["program"]
    assert event["data"]["outcome"] == "in_scope" and program
    assert consume(notify, event) == "processed"
    mail = by_recipient(smtp_sink)[CLIENT]
    pdfs = _pdfs(mail)
    [name] = [n for n in pdfs if n.startswith("inscope-program-")]
    text = pdfs[name]
    assert "Your corrective exercise program for Dana Rivera" in text
    for title in ("1. Release", "2. Stretch", "3. Activate", "4. Whole movements"):
        assert title in text
    _check_every_exercise(text, program)
    assert scope_guard.check({"pdf": text}, allowed=questionnaire_wording()) == []
    assert "attached as a PDF" in mail.get_body(("plain",)).get_content()


def test_no_program_attachment_without_a_program(notify, submit, smtp_sink):
    """Control: a referral decision (no program) attaches no program."""
    created = submit()
    event = decided(created, example("assessment-pain.json"))
    assert not event["data"]["program"]
    consume(notify, event)
    mail = by_recipient(smtp_sink)[CLIENT]
    assert not [n for n in _pdfs(mail) if n.startswith("inscope-program-")]


def test_restricted_program_pdf_names_the_limits_it_keeps():
    """A program built within a clinician's answer: the PDF says which limits each
    exercise keeps to, and contains no exercise the restriction leaves out."""
    from inscope_clinical import AssessmentSchema, IntakeSchema

    body = example("intake.json")
    intake = IntakeSchema().load(body["intake"])
    assessment = AssessmentSchema().load(example("assessment-clear.json"))
    program = program_after_answer(
        intake, age_years=38, assessment=assessment, scoring=score_assessment(assessment),
        restrictions={"max_intensity": "moderate", "avoid_movements": ["overhead_pressing"],
                      "notes": None})
    sheet = program_sheet(program, client_name="Dana Rivera", facility="InScope")
    text = " ".join(_text_of(render_program_pdf(sheet, "InScope")).split())
    _check_every_exercise(text, program)
    assert "No overhead pressing." in text
    assert "Intensity: moderate at most." in text
    pressing = [e.name for e in LIBRARY if "overhead_pressing" in e.movements]
    assert pressing and not [n for n in pressing if n in text]
    assert scope_guard.check({"pdf": text}) == []


def _text_of(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_every_library_exercise_reads_clean_for_the_client():
    """Every exercise the engine can choose, as the sheet words it, passes the guard."""
    program = {"phases": [{"order": i, "phase": phase,
                           "variables": {"sets": "1-2", "reps": "10-15", "tempo": "x"},
                           "exercises": [{"name": e.name, "cues": list(e.cues)}
                                         for e in LIBRARY if e.phase == phase]}
                          for i, phase in enumerate(("inhibit", "lengthen", "activate",
                                                     "integrate"), start=1)]}
    sheet = program_sheet(program)
    assert scope_guard.check({"sheet": sheet.plain()}) == []
    assert all(re.match(r"Sets: .+ · Reps: .+", line_of(e)) for e in sheet.exercises())


@pytest.mark.parametrize("term", ["rotator cuff", "tendinitis"])
def test_the_guard_would_catch_a_blocked_term_in_the_sheet(term):
    """The check above can fail: a cue with a blocked term is caught."""
    program = {"phases": [{"order": 1, "phase": "activate", "variables": {"sets": "1"},
                           "exercises": [{"name": "Band row", "cues": [f"Protect the {term}"]}]}]}
    assert scope_guard.check({"sheet": program_sheet(program).plain()}) != []


def test_a_restricted_answer_email_attaches_the_program_within_it(notify, submit, smtp_sink):
    """DEC-7 + item 5: the client told "cleared with limits" gets the program built
    within them; the trainer's copy carries no attachment; without a program (answer
    before the assessment) nothing is attached."""
    from inscope_clinical import AssessmentSchema, IntakeSchema

    created = submit()
    intake = IntakeSchema().load(example("intake.json")["intake"])
    assessment = AssessmentSchema().load(example("assessment-clear.json"))
    limits = {"max_intensity": "moderate", "avoid_movements": ["overhead_pressing"],
              "notes": None}
    program = program_after_answer(intake, age_years=38, assessment=assessment,
                                   scoring=score_assessment(assessment), restrictions=limits)

    def answered(program_or_none, referral_id):
        return make_event("referral.answered.v1", source="/inscope/referral",
                          subject=created["client_id"],
                          data={"intake_id": created["id"], "client_id": created["client_id"],
                                "referral_id": referral_id,
                                "answer": "cleared_with_restrictions", "restrictions": limits,
                                "answered_at": "2026-12-01T10:00:00+00:00",
                                "answered_by": "Dr. Priya Shah", "program": program_or_none})

    assert consume(notify, answered(program, "referral-1")) == "processed"
    mails = by_recipient(smtp_sink)
    [name] = [n for n in _pdfs(mails[CLIENT]) if n.startswith("inscope-program-")]
    text = _pdfs(mails[CLIENT])[name]
    _check_every_exercise(text, program)
    assert "No overhead pressing." in text
    assert not [m for r, m in mails.items() if r != CLIENT and _pdfs(m)]
    smtp_sink.messages.clear()
    assert consume(notify, answered(None, "referral-2")) == "processed"
    assert not _pdfs(by_recipient(smtp_sink)[CLIENT])


def test_an_answer_carried_over_to_the_assessment_sends_the_program(notify, submit, smtp_sink):
    """DEC-7 carry-over: an answer given before the assessment comes again once the
    program is built within it (``after_assessment``): the client gets the program as a
    PDF with the limits, worded for the assessment just done; the trainer a staff copy
    saying the earlier answer now applies."""
    from inscope_clinical import AssessmentSchema, IntakeSchema
    from tests.conftest import make_event

    created = submit()
    intake = IntakeSchema().load(example("intake.json")["intake"])
    assessment = AssessmentSchema().load(example("assessment-clear.json"))
    limits = {"max_intensity": "light", "avoid_movements": ["lunging_or_stepping"],
              "notes": "Go slowly."}
    program = program_after_answer(intake, age_years=38, assessment=assessment,
                                   scoring=score_assessment(assessment), restrictions=limits)
    event = make_event(
        "referral.answered.v1", source="/inscope/referral", subject=created["client_id"],
        data={"intake_id": created["id"], "client_id": created["client_id"],
              "referral_id": "referral-early", "answer": "cleared_with_restrictions",
              "restrictions": limits, "answered_at": "2026-12-01T10:00:00+00:00",
              "answered_by": "Dr. Priya Shah", "program": program, "after_assessment": True})
    assert consume(notify, event) == "processed"
    mails = by_recipient(smtp_sink)
    client = mails[CLIENT]
    assert client["Subject"] == (
        "Your program is ready, within your clinician's answer")
    words = " ".join(client.get_body(("plain",)).get_content().split())
    assert "Thank you for completing your movement assessment." in words
    assert "Dr. Priya Shah has cleared you for exercise, with some limits." in words
    assert "- Lunging or stepping" in words
    assert "Highest exercise intensity for now: light." in words
    assert "your trainer has built your corrective exercise program within these limits" in words
    assert "Your trainer will build" not in words  # that was said when they answered
    [name] = [n for n in _pdfs(client) if n.startswith("inscope-program-")]
    _check_every_exercise(_pdfs(client)[name], program)
    staff = mails["trainers@inscope-studio.example"]
    assert str(staff["Subject"]).strip().startswith(
        "Program built within an earlier clinician answer (cleared with restrictions)")
    staff_words = " ".join(staff.get_body(("plain",)).get_content().split())
    assert "given before the movement assessment now applies" in staff_words
    assert "Movements to avoid: Lunging or stepping" in staff_words
