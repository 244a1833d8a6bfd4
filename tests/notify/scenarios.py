"""Intakes that exercise every kind of decision, and every label the emails can print."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from inscope_clinical import screen
from inscope_clinical.letters.request import build_request
from inscope_clinical.vocab import ACSM_SIGNS, PARQ_SECTIONS, RED_FLAG_QUESTIONS
from tests.services.conftest import example


def _followups(body: dict[str, Any], answer: bool, only: str | None = None) -> None:
    parq = body["intake"]["parq"]
    parq["general"]["g1"] = True
    parq["followups"] = {}
    for key, subs in PARQ_SECTIONS.items():
        gate = answer if only is None else key == only
        section: dict[str, Any] = {"gate": gate}
        if gate:
            section.update({sub: answer if only is None else sub == "b" for sub in subs})
        parq["followups"][key] = section


def _flags(*names: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["intake"]["red_flags"] = {name: True for name in names}

    return change


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node = body["intake"]
        for key in parents:
            node = node[key]
        node[leaf] = value

    return change


def _all_acsm(body: dict[str, Any]) -> None:
    acsm = body["intake"]["acsm"]
    acsm["signs_symptoms"] = {s: True for s in ACSM_SIGNS}
    acsm.update(known_cv_disease=True, known_metabolic_disease=True, known_renal_disease=True)


def _history(body: dict[str, Any]) -> None:
    body["intake"]["history"] = {
        "injuries": [{"description": "rolled ankle", "region": "left ankle", "current": True}],
        "surgeries": [
            {
                "procedure": "knee arthroscopy",
                "region": "right knee",
                "ongoing_rehabilitation": True,
            }
        ],
        "physical_therapy": [{"region": "low back", "discharged": False}],
    }


PAIN = {
    "region": "front of right knee",
    "side": "right",
    "nprs_rest": 2,
    "nprs_activity": 5,
    "onset": "no_trauma",
    "night_pain": False,
}

INTAKES: dict[str, tuple[Callable[[dict[str, Any]], None] | None, str | None]] = {
    "in scope": (None, "assessment-clear.json"),
    "pain on the movement screen": (None, "assessment-pain.json"),
    "clearance before vigorous": (
        lambda b: (
            _set("acsm.known_cv_disease", True)(b),
            _set("acsm.desired_intensity", "vigorous")(b),
        ),
        "assessment-clear.json",
    ),
    "one PAR-Q+ follow-up YES": (lambda b: _followups(b, False, only="s3_heart"), None),
    "every PAR-Q+ follow-up YES": (lambda b: _followups(b, True), None),
    "every ACSM sign": (_all_acsm, None),
    "chest pain now": (_flags("chest_pain_now"), None),
    "every red flag": (_flags(*RED_FLAG_QUESTIONS), None),
    "weight loss": (_flags("unexplained_weight_loss"), None),
    "intake pain": (_set("pain", [PAIN]), None),
    "rest and night pain": (_set("pain", [{**PAIN, "nprs_rest": 8, "night_pain": True}]), None),
    "injury, surgery and therapy": (_history, None),
    "pregnant": (_set("parq.delay", {"pregnant": True}), None),
    "unwell": (_set("parq.delay", {"temporary_illness": True}), None),
    "PAR-Q+ incomplete": (_set("parq.general.g2", None), None),
    "free text": (_set("notes", "Chest tightness when running; no dizziness."), None),
}


def document(name: str) -> dict[str, Any]:
    change, assessment = INTAKES[name]
    body = copy.deepcopy(example("intake.json"))
    if change:
        change(body)
    return {**body, "assessment": example(assessment) if assessment else None}


def decision(name: str) -> dict[str, Any]:
    doc = document(name)
    result = screen(doc, as_of=dt.date(2026, 11, 27))
    data = {
        **result,
        "intake_id": "intake-1",
        "client_id": "client-1",
        "decision_id": "decision-1",
        "stage": "assessment" if doc["assessment"] else "screening",
    }
    if result["outcome"] in ("refer", "clearance"):
        data["referral"] = {
            "referral_id": "referral-1",
            "answer_url": "https://referral.example/answer/token",
            "status": "needed",
            "target": result["target"],
            "urgency": result["urgency"],
            "request": build_request(result),
        }
    return data


def contact(name: str, **consent: bool) -> dict[str, Any]:
    doc = document(name)
    return {
        "client": doc["client"],
        "physician": doc["intake"].get("physician"),
        "consent": {**doc["intake"]["consent"], **consent},
    }
