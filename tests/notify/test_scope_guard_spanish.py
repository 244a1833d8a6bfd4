"""The scope guard reads Spanish (issue 15 item 6): a Spanish email that diagnoses,
names a cause or a cure, or prescribes a treatment or a medication is refused as an
English one is (scope_terms.json, the ``-es`` entry after each English one), accented or
not; every Spanish email the system writes passes."""

from __future__ import annotations

import pytest

from inscope_clinical.letters.vocabulary import questionnaire_wording
from inscope_notify import scope_guard
from inscope_notify.mail import render
from inscope_notify.messages import plan_answer, plan_decision
from inscope_notify.service import guard
from tests.notify.scenarios import INTAKES, contact, decision
from tests.notify.test_scope_guard import SETUP, TODAY

# The English DIAGNOSTIC list's sentences, in Spanish; each also without its accents.
DIAGNOSTICO = [
    "Usted tiene un síndrome patelofemoral.",
    "Su dolor de rodilla lo causan unos glúteos débiles.",
    "Este programa arreglará su dolor.",
    "Nuestro diagnóstico: problemas de movimiento.",
    "Los hallazgos indican una lesión del manguito rotador.",
    "Probablemente una ciática por una hernia discal.",
    "Una tendinopatía rotuliana clásica.",
    "Signos de artrosis en la rodilla derecha.",
    "Su desequilibrio muscular explica el dolor.",
    "Posible síndrome de la cola de caballo.",
    "Usted padece un síndrome cruzado inferior.",
    "Deje de tomar su medicación antes de entrenar.",
    "Rehabilitaremos su hombro.",
    "El ejercicio puede curar el dolor de espalda.",
    "Le recomendamos fisioterapia y un tratamiento antiinflamatorio.",
    "Necesita tratamiento para su esguince.",
]
ACCENTS = str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")


@pytest.mark.parametrize("sentence", DIAGNOSTICO + [s.translate(ACCENTS) for s in DIAGNOSTICO])
def test_a_spanish_diagnosis_is_refused_with_or_without_accents(sentence):
    found = scope_guard.check({"text": sentence}, allowed=questionnaire_wording())
    assert found, sentence
    # Caught by a Spanish entry, not only by an English word that happens to match.
    assert any(v.entry_id.endswith("-es") for v in found) or sentence.isascii(), found


def test_each_spanish_entry_follows_its_english_one():
    ids = [e.id for e in scope_guard.default_terms().entries]
    spanish = [i for i in ids if i.endswith("-es")]
    assert len(spanish) >= 19
    for entry in spanish:
        assert ids[ids.index(entry) - 1] == entry.removesuffix("-es")


def _spanish(name: str, **consent: bool) -> dict:
    people = contact(name, **consent)
    return {**people, "client": {**people["client"], "preferred_language": "es"}}


@pytest.mark.parametrize("name", sorted(INTAKES))
def test_every_spanish_email_the_system_writes_passes_the_guard(name):
    """Every decision, with and without consent to share: our own Spanish wording (the
    physician named, the physical therapist, what was found) is never blocked."""
    checked = 0
    for consent in ({}, {"share_with_physician": False}):
        for email in plan_decision(decision(name), _spanish(name, **consent), SETUP, TODAY):
            rendered = render(email.template, email.context)
            if email.guarded:
                assert guard(rendered, email) == [], (name, email.kind, consent)
                checked += 1
    assert checked


@pytest.mark.parametrize(
    "answer", ["cleared", "cleared_with_restrictions", "not_cleared", "needs_visit"]
)
def test_the_clinician_s_answer_in_spanish_passes_the_guard(answer):
    answered = {
        "intake_id": "intake-1", "client_id": "client-1", "referral_id": "referral-1",
        "answer": answer, "answered_at": "2026-12-01T10:00:00+00:00",
        "answered_by": "Dr. Priya Shah",
        "restrictions": {"max_intensity": "moderate", "avoid_movements": ["overhead pressing"],
                         "notes": "Recheck in six weeks."},
    }
    people = _spanish("pain on the movement screen")
    for email in plan_answer(answered, people, SETUP):
        if email.guarded:
            assert guard(render(email.template, email.context), email) == [], email.kind
