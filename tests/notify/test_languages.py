"""The client's emails in the client's language (issue 15 item 6): the language on the
intake (``preferred_language``) or the pre-visit link, else the facility's; English, the
source, by default. Staff emails and letters stay in the facility's language."""

from __future__ import annotations

import pytest

from inscope_notify.config import load_notify_settings, load_settings
from inscope_notify.mail import render
from inscope_notify.messages import plan_answer, plan_decision
from tests.conftest import sqlite_only
from tests.notify.conftest import by_recipient, consume, html_of, text_of
from tests.notify.scenarios import _flags
from tests.notify.test_client_wording import TODAY, _decision
from tests.notify.test_previsit_email import _invite

database_backend = sqlite_only("the language an email is in")


def _setup(**env: str):
    settings = load_settings({"INSCOPE_ENV": "development", **env})
    return load_notify_settings(settings, env).setup


def _client_update(language: str | None, change=None, **env: str):
    decision, contact = _decision(change)
    if language:
        contact["client"] = {**contact["client"], "preferred_language": language}
    planned = {e.kind: e for e in plan_decision(decision, contact, _setup(**env), TODAY)}
    email = planned["client_update"]
    return render(email.template, email.context), email


def _words(rendered) -> str:
    return " ".join(f"{rendered.subject} {rendered.text} {rendered.html}".split())


def test_a_client_who_reads_spanish_gets_the_update_in_spanish():
    rendered, email = _client_update("es", _flags("exertional_chest_discomfort_relieved_by_rest"),
                                     EMERGENCY_NUMBER="112")
    words = _words(rendered)
    assert email.context["language"] == "es"
    assert rendered.subject.startswith("Novedades sobre su entrenamiento en")
    assert '<html lang="es">' in rendered.html
    assert "Hola, " in rendered.text and "Qué pasa con su entrenamiento:" in words
    # The safety net, in Spanish, with the facility's number.
    assert "deje de hacer ejercicio en ese momento. Llame al 112 si aparece en reposo" in words
    assert "SI EMPEORA" in rendered.text and "Si empeora" in rendered.html
    for english in ("Hello", "What happens to your training", "stop exercising now",
                    "If it gets worse", "How soon"):
        assert english not in words, english


def test_english_is_the_default():
    rendered, email = _client_update(None)
    assert email.context["language"] == "en" and '<html lang="en">' in rendered.html
    assert rendered.subject.startswith("An update on your training at")
    assert "Hello " in rendered.text and "Hola" not in _words(rendered)


def test_a_client_who_named_no_language_reads_the_facility_s():
    rendered, email = _client_update(None, FACILITY_LANGUAGE="es")
    assert email.context["language"] == "es" and "Hola, " in rendered.text
    # ... and one who named English reads English there.
    rendered, _ = _client_update("en", FACILITY_LANGUAGE="es")
    assert "Hello " in rendered.text


def test_the_clinician_s_answer_reaches_the_client_in_spanish_and_the_trainer_in_english():
    _, contact = _decision()
    contact["client"] = {**contact["client"], "preferred_language": "es"}
    answer = {"referral_id": "referral-1", "intake_id": "intake-1",
              "answer": "cleared_with_restrictions",
              "restrictions": {"max_intensity": "moderate", "avoid_movements": ["running"]}}
    planned = {e.kind: e for e in plan_answer(answer, contact, _setup())}
    client = render(planned["client_answer"].template, planned["client_answer"].context)
    words = _words(client)
    assert "le ha dado el visto bueno para hacer ejercicio, con algunos límites" in words
    assert "Intensidad máxima de ejercicio por ahora: moderada." in client.text
    assert "- Correr" in client.text
    trainer = planned["trainer_answer"].context
    assert trainer["language"] == "en" and trainer["avoid"] == ["Running"]
    assert trainer["answer_words"] == "has cleared you for exercise, with some limits"


@pytest.mark.parametrize("language", ["es", None])
def test_the_pre_visit_email_is_in_the_language_the_link_was_sent_in(
        language, notify, intake_server, smtp_sink):
    row, event = _invite(intake_server, language=language)
    assert consume(notify, event) == "processed"
    mail = by_recipient(smtp_sink)["dana.rivera@example.com"]
    text = " ".join(text_of(mail).split())
    if language == "es":
        assert mail["Subject"].startswith("Antes de su primera visita a")
        assert "Hola, Dana:" in text and "funciona una sola vez, hasta el" in text
        assert '<html lang="es">' in html_of(mail)
    else:
        assert mail["Subject"].startswith("Before your first visit to")
        assert "Hello Dana," in text


def _english_names() -> set[str]:
    """Every English name a client email or program sheet can print for a finding or an
    exercise: the vocabulary's labels, the library's exercise names and cues, the sheet's
    own words and the engine's stored program variables (short words such as "no" left
    out: they are Spanish too)."""
    from inscope_clinical import program_sheet as sheet
    from inscope_clinical.letters import vocabulary as v
    from inscope_clinical.library import LIBRARY
    from inscope_clinical.program import VARIABLES

    labels = [v.PARQ_GENERAL_CLIENT, v.PARQ_SECTIONS_CLIENT, v.PARQ_DELAY, v.ACSM_DISEASES,
              v.ACSM_SIGNS, v.RED_FLAGS, v.TESTS, v.DISCHARGE, v.ONSETS, sheet.PHASE_TITLES,
              sheet.PHASE_WHY, sheet.REST, sheet.TEMPO_WORDS, sheet.HOLD_WORDS, sheet.TECHNIQUE]
    names = {text for table in labels for text in table.values()}
    names |= {e.name for e in LIBRARY} | {c for e in LIBRARY for c in e.cues}
    names |= {str(value) for phase in VARIABLES.values() for value in phase.values()}
    names |= {"You told us about", "You felt pain", "movement screen", "Keeps to:", "How:",
              "Sets:", "Limits this program keeps to", "Your corrective exercise program"}
    return {n for n in names if len(n) > 8}


def _spanish_client_update(scenario: str):
    from tests.notify import scenarios

    contact = scenarios.contact(scenario)
    contact["client"] = {**contact["client"], "preferred_language": "es"}
    planned = {e.kind: e for e in plan_decision(scenarios.decision(scenario), contact,
                                                _setup(), TODAY)}
    email = planned["client_update"]
    return render(email.template, email.context), email


@pytest.mark.parametrize("scenario", [
    "in scope", "clearance before vigorous", "pain on the movement screen",
    "every PAR-Q+ follow-up YES", "every ACSM sign", "every red flag", "intake pain",
    "rest and night pain", "injury, surgery and therapy", "pregnant", "PAR-Q+ incomplete",
])
def test_a_spanish_client_reads_no_english_finding_or_exercise_name(scenario):
    """What the screening found ("What we noticed"), the program's exercises in the email
    and the program sheet attached as a PDF are all Spanish: translated by the vocabulary's
    and the library's codes (docs/languages.md)."""
    rendered, email = _spanish_client_update(scenario)
    shown = [_words(rendered)]
    if email.program is not None:
        from inscope_notify.program_pdf import render_program_pdf

        pdf = render_program_pdf(email.program, "InScope", "A4")
        shown.append(email.program.plain())
        shown.append(" ".join(_pdf_text(pdf).split()))
    words = " ".join(" ".join(shown).split())
    assert email.context["observations"] or email.context["first_phase"], scenario
    english = sorted(n for n in _english_names() if n in words)
    assert english == [], english


def _pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_spanish_program_sheet_names_the_exercises_in_spanish():
    rendered, email = _spanish_client_update("in scope")
    assert email.program is not None
    text = email.program.plain()
    assert "Rodillo de espuma: pantorrillas" in text or "Rodillo de espuma: aductores" in text
    assert "Series: " in text and "Respeta: " in text
    assert email.context["first_phase"]["exercises"][0]["name"] in rendered.text


def test_notes_the_screening_cannot_read_are_told_in_the_clients_language():
    """DEC-2 / SYS-8: a client held because their notes are in Spanish reads why in
    Spanish, in plain words, not the engine's English summary for staff."""
    def spanish(body):
        body["intake"]["notes"] = "Desde ayer me duele el pecho cuando subo escaleras."

    rendered, _ = _client_update("es", spanish)
    words = _words(rendered)
    assert "Parte de lo que escribió está en un idioma que nuestra evaluación no lee" in words
    assert "Empezaremos en cuanto nuestro personal haya leído sus notas." in words
    assert "Free text written in a language" not in words
    english, _ = _client_update(None, spanish)
    assert "Part of what you wrote is in a language our screening does not read" in _words(
        english)
