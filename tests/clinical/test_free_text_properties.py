"""DEC-2 properties (hypothesis): free text only ever raises a decision.

1. Adding any red-flag / ACSM / PAR-Q+ phrase of the corpus's tuning part to any
   free-text field of any of several intakes never lowers the urgency or the outcome.
2. The same phrase answered "no" ("<phrase>? no") never takes an in-scope client out
   of scope (short, single-clause phrases: the form a clerk writes a question in).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import phrase_yaml
from clinical_builders import AS_OF, raw_assessment, raw_intake, with_acsm, with_red_flags
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inscope_clinical import AssessmentSchema, IntakeSchema, decide
from inscope_clinical.reasons import OUTCOMES, URGENCIES

SETTINGS = settings(max_examples=250, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
TUNING = Path(__file__).parent / "phrases" / "tuning"
PHRASES = sorted({p for path in TUNING.glob("*.yaml")
                  for p in phrase_yaml.load(path)["positives"]})
SHORT = [p for p in PHRASES if "," not in p and "?" not in p and len(p.split()) <= 8]


def _notes(doc: dict[str, Any], text: str) -> None:
    doc["intake"]["notes"] = text


def _injury(doc: dict[str, Any], text: str) -> None:
    doc["intake"]["history"] = {"injuries": [{"description": text, "current": False}]}


def _surgery(doc: dict[str, Any], text: str) -> None:
    doc["intake"]["history"] = {"surgeries": [{"procedure": text,
                                               "ongoing_rehabilitation": False}]}


def _assessment_notes(doc: dict[str, Any], text: str) -> None:
    doc["assessment"] = raw_assessment(notes=text)


FIELDS: list[Callable[[dict[str, Any], str], None]] = [_notes, _injury, _surgery,
                                                       _assessment_notes]
BASES = [raw_intake(), raw_intake(notes="runner, wants to tone up"),
         with_red_flags("chest_pain_12_to_72h"), with_acsm(known_cv_disease=True),
         with_acsm(regular_exercise_3_months=False, desired_intensity="vigorous"),
         raw_intake(pain=[{"region": "right knee", "side": "right", "nprs_rest": 0,
                           "nprs_activity": 3, "night_pain": False}])]


def _decide(doc: dict[str, Any]) -> dict[str, Any]:
    intake = IntakeSchema().load(doc["intake"])
    assessment = doc.get("assessment")
    loaded = AssessmentSchema().load(assessment) if assessment else None
    return decide(intake, age_years=39, assessment=loaded, as_of=AS_OF)


def _rank(result: dict[str, Any]) -> tuple[int, int]:
    return URGENCIES.index(result["urgency"]), OUTCOMES.index(result["outcome"])


@SETTINGS
@given(base=st.sampled_from(BASES), phrase=st.sampled_from(PHRASES),
       put=st.sampled_from(FIELDS))
def test_adding_a_phrase_to_any_field_never_lowers_the_decision(
        base: dict[str, Any], phrase: str, put: Callable[[dict[str, Any], str], None]) -> None:
    before_doc = {"intake": copy.deepcopy(base)}
    after_doc = copy.deepcopy(before_doc)
    if put is _notes and base.get("notes"):
        put(after_doc, f"{base['notes']}. {phrase}")
    else:
        put(after_doc, phrase)
    if put is _assessment_notes:
        _assessment_notes(before_doc, "")
    before, after = _decide(before_doc), _decide(after_doc)
    assert _rank(after)[0] >= _rank(before)[0], (phrase, before["urgency"], after["urgency"])
    assert _rank(after)[1] >= _rank(before)[1], (phrase, before["outcome"], after["outcome"])


@SETTINGS
@given(phrase=st.sampled_from(SHORT), put=st.sampled_from(FIELDS))
def test_a_phrase_answered_no_keeps_an_in_scope_client_in_scope(
        phrase: str, put: Callable[[dict[str, Any], str], None]) -> None:
    doc = {"intake": raw_intake()}
    put(doc, f"{phrase}? no")
    result = _decide(doc)
    assert result["outcome"] == "in_scope", (phrase, result["reasons"])
    assert result["urgency"] == "none"
    assert "review:free_text" not in result["flags"]
