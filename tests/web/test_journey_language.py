"""A Spanish-reading client reads where they stand in Spanish (issue 15 item 6): the
status box on the intake's confirmation and the status API it refreshes from translate
the journey's texts by their codes (inscope_clinical.journey.CLIENT_TEXTS), not the
staff's English; without a language the API keeps the staff's English."""

from __future__ import annotations

import re
from html import unescape

import pytest

from inscope_clinical.journey import CLIENT_TEXTS
from tests.conftest import sqlite_only
from tests.services.journey_events import screening_of, status_event
from tests.web.test_intake_page import desk, example_form, intake_app  # noqa: F401 - fixtures

database_backend = sqlite_only("the language the status box is in")

# The journey's English a client could see: no Spanish box may show one of these.
ENGLISH = [text for texts in CLIENT_TEXTS.values() for text in texts] + [
    "Next:", "Emergency —", "Do not train", "Ready for the movement assessment",
    "Screening in progress", "Call emergency services",
]


def _spanish_intake(desk, intake_app) -> tuple[str, str]:  # noqa: F811
    form = {**example_form(), "client.preferred_language": "es", "csrf_token": desk.csrf}
    response = desk.post("/intakes/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    intake_id = re.search(r"/intakes/([^/]+)/view", response.headers["Location"]).group(1)
    api = desk.get(f"/intakes/{intake_id}/status").get_json()
    return intake_id, api["client_id"]


def _screened(intake_app, intake_id, client_id, screening=None, answer=None) -> None:  # noqa: F811
    event = status_event(intake_id, client_id, screening, answer=answer)
    consume = intake_app.extensions["celery"].tasks["intake.consume_event"]
    assert consume.apply(args=[event]).get() == "processed"


def _box(desk, intake_id) -> str:  # noqa: F811
    page = unescape(desk.get(f"/intakes/{intake_id}/view").get_data(as_text=True))
    return page.split('id="screening-result"', 1)[1].split("</div>", 1)[0]


def _assert_spanish(box: str) -> None:
    for english in ENGLISH:
        words = max(re.split(r"%\(\w+\)s", english), key=len).strip()
        assert words not in box, english


def _flag(name: str) -> dict:
    doc = screening_of()
    doc["red_flags"] = {name: True}
    return doc


def _parq_incomplete() -> dict:
    doc = screening_of()
    doc["parq"]["general"] = {**doc["parq"]["general"], "g1": True}  # no follow-ups
    return doc


@pytest.mark.parametrize(("screening", "answer", "headline", "next_action"), [
    (None, None, "Listo para la evaluación del movimiento",
     "Siguiente: La evaluación del movimiento"),
    (_flag("sudden_stroke_signs"), None, "Emergencia — llame al 911 ahora, no haga ejercicio",
     "Siguiente: Llame al 911 ahora"),
    (_flag("exertional_chest_discomfort_relieved_by_rest"), None,
     "No entrene — primero necesita la autorización de su médico",
     "Siguiente: A la espera de su médico"),
    (_flag("exertional_chest_discomfort_relieved_by_rest"), {"answer": "needs_visit"},
     "No entrene — primero necesita la autorización de su médico",
     "Siguiente: Cita pendiente con su médico"),
    (_flag("exertional_chest_discomfort_relieved_by_rest"),
     {"answer": "cleared", "verified": True},
     "Autorizado por su médico — listo para la evaluación del movimiento",
     "Siguiente: La evaluación del movimiento"),
    (_parq_incomplete(), None, "En espera — el cuestionario PAR-Q+ está incompleto",
     "Siguiente: Complete el cuestionario PAR-Q+"),
])
def test_a_spanish_client_reads_the_status_box_in_spanish(
    screening, answer, headline, next_action, desk, intake_app  # noqa: F811
):
    intake_id, client_id = _spanish_intake(desk, intake_app)
    pending = _box(desk, intake_id)
    assert 'lang="es"' in pending
    assert "Valoración en curso — esta página se actualiza sola" in pending
    assert "language=es" in pending  # the box refreshes in Spanish too
    _assert_spanish(pending)
    _screened(intake_app, intake_id, client_id, screening, answer)
    box = _box(desk, intake_id)
    assert headline in box and next_action in box
    _assert_spanish(box)
    spanish = desk.get(f"/intakes/{intake_id}/status?language=es").get_json()
    assert spanish["headline"] == headline
    assert next_action.endswith(spanish["next_action"])
    # Without a language the API stays the staff's English (backward compatible).
    english = desk.get(f"/intakes/{intake_id}/status").get_json()
    assert english["headline"] != headline
    assert english["headline"] in ENGLISH or english["headline"].startswith(
        ("Emergency —", "Do not train —", "Cleared by", "On hold —"))
    assert desk.get(f"/intakes/{intake_id}/status?language=xx").status_code == 422
