"""The page text in message catalogs (issue 15 item 6, Flask-Babel): a client reads the
pre-visit page in the language the link was sent in (Spanish ships), the staff pages
and a client who named none get the facility's language, English is the default, and
the language a client reads is kept on the intake (``preferred_language``)."""

from __future__ import annotations

import re

import pytest

from inscope_common.audit import Actor
from inscope_common.config import ConfigError
from inscope_intake import previsit, questions
from inscope_intake.models import Client
from tests.conftest import as_service, sqlite_only
from tests.web.test_intake_page import desk, example_form, intake_app  # noqa: F401 - fixtures
from tests.web.test_previsit import send, token_of

database_backend = sqlite_only("the language a page is in")


def _link(app, language):
    with app.app_context():
        return previsit.send_link(app.extensions["inscope"], "Ana", "Ruiz", "ana@example.com",
                                  Actor("a", "Admin", "admin", "page"), language)


def test_a_client_who_reads_spanish_gets_the_pre_visit_page_in_spanish(intake_app):  # noqa: F811
    phone = intake_app.test_client(role=None)
    page = phone.get(f"/previsit/{token_of(intake_app, _link(intake_app, 'es'))}"
                     ).get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "<h1>Antes de su primera visita</h1>" in page and "Enviar mis respuestas" in page
    assert ">Sí</label>" in page and "(obligatorio)" in page
    # The PAR-Q+ and the steps in Spanish, the language the emails go in chosen.
    assert ("¿Alguna vez su médico le ha dicho que tiene una enfermedad del corazón o la "
            "presión arterial alta?") in page
    assert "Preguntas de salud" in page and "Paso 2 de 5:" in page
    assert re.search(r'<option value="es" selected>Español</option>', page)
    # The words intake.js writes (the step counter, the step's check) come from the page.
    assert 'data-step="Paso {n} de {m}:"' in page and 'data-yes-no="Responda Sí o No."' in page
    for english in ("Health questions", "Has your doctor ever said", "Send my answers",
                    "Warning signs", "(required)"):
        assert english not in page, english
    # A broken link's page has no link language: the facility's (English).
    assert "This link is not valid" in phone.get("/previsit/" + "x" * 44).get_data(as_text=True)


def test_english_is_the_default(desk, intake_app):  # noqa: F811
    page = desk.get(f"/previsit/{token_of(intake_app, send(desk))}").get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Before your first visit</h1>" in page
    assert str(questions.GENERAL["g1"]) in page
    assert re.search(r'<option value="en" selected>English</option>', page)
    assert 'data-step="Step {n} of {m}:"' in page


def test_the_desk_sends_the_link_in_the_client_s_language(desk, intake_app):  # noqa: F811
    response = desk.post("/previsit", data={"first_name": "Ana", "last_name": "Ruiz",
                                            "email": "ana@example.com", "language": "es",
                                            "csrf_token": desk.csrf})
    assert response.status_code == 303
    link_id = re.search(r"sent=([0-9a-f-]+)", response.headers["Location"]).group(1)
    with intake_app.app_context():
        contact = previsit.contact_of(intake_app.extensions["inscope"], link_id)
    assert contact["language"] == "es"
    refused = desk.post("/previsit", data={"first_name": "Ana", "last_name": "Ruiz",
                                           "email": "ana@example.com", "language": "xx",
                                           "csrf_token": desk.csrf})
    assert refused.status_code == 422


def _contact(app, intake_id):
    client = app.test_client(role=None)
    return client.get(f"/internal/intakes/{intake_id}/contact",
                      headers=as_service("notify")).get_json()


@pytest.mark.parametrize("chosen", ["es", None])
def test_the_intake_keeps_the_language_the_client_reads(chosen, desk, intake_app):  # noqa: F811
    form = example_form()
    if chosen:
        form["client.preferred_language"] = chosen
    else:
        form.pop("client.preferred_language", None)
    response = desk.post("/intakes/new", data={**form, "csrf_token": desk.csrf})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    intake_id = re.search(r"/intakes/([^/]+)/view", response.headers["Location"]).group(1)
    with intake_app.extensions["inscope"].session_factory() as session:
        (stored,) = session.query(Client.preferred_language).all()
    contact = _contact(intake_app, intake_id)
    assert stored[0] == chosen
    # The contact read notify writes by: the client's language, else the facility's.
    assert contact["language"] == (chosen or "en")
    assert contact["client"].get("preferred_language") == chosen


def test_the_desk_form_offers_the_client_languages_with_the_facility_s_chosen(desk):  # noqa: F811
    page = desk.get("/intakes/new").get_data(as_text=True)
    assert 'name="client.preferred_language"' in page
    assert re.search(r'<option value="en" selected>English</option>', page)
    assert '<option value="es">Español</option>' in page


def test_the_facility_language_must_be_a_language(service_env):
    from inscope_intake.config import load_settings

    assert load_settings({**service_env, "FACILITY_LANGUAGE": "pt-BR"}).language == "pt_BR"
    with pytest.raises(ConfigError, match="FACILITY_LANGUAGE"):
        load_settings({**service_env, "FACILITY_LANGUAGE": "klingon!"})


def test_a_spanish_client_s_mistakes_are_worded_in_spanish(intake_app):  # noqa: F811
    from tests.web.test_previsit import client_form

    phone = intake_app.test_client(role=None)
    url = f"/previsit/{token_of(intake_app, _link(intake_app, 'es'))}"
    form = client_form(phone.get(url).get_data(as_text=True))
    form["intake.pain.0.nprs_activity"] = "11"  # a pain area begun, out of range
    page = phone.post(url, data=form).get_data(as_text=True)
    assert "<h2>Revise 5 respuestas</h2>" in page
    assert "Zona de dolor 1: dolor con la actividad: debe estar entre 0 y 10." in page
    assert "Zona de dolor 1: zona del cuerpo: falta la respuesta." in page
    assert "Zona de dolor 1: ¿Dolor por la noche? Responda Sí o No." in page
    for english in ("must be", "is required", "Pain area", "Answer Yes or No"):
        assert english not in page, english
