"""parse_event's compiled loads (issue 13) against marshmallow's own.

The property: for any envelope, ``parse_event`` returns exactly what the marshmallow
schemas return (same values, same key order), or refuses it with the same messages. The
envelopes: a valid one of every event type, then seeded random mutations of them (a
value replaced by another type or a long string, a key removed, an unknown key added).
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

from inscope_common.events import EnvelopeError, parse_event
from inscope_common.events import envelope as envelope_module
from inscope_common.events.schemas import DATA_SCHEMAS
from tests import mutations

ROOT = Path(__file__).resolve().parents[2]
WHO = {"intake_id": "intake-1", "client_id": "client-1"}
JUNK: list[Any] = [None, True, False, 0, 1, -1, 2, 11, 2.5, 3.0, "", "x", "3", "yes",
                   "x" * 300, "referral.decided.v1", "physician", "sent", "cleared", [],
                   ["x"], [{"rule": "r"}], {}, {"x": 1}, {"a": "b"}]


def _decision() -> dict[str, Any]:
    from inscope_clinical import IntakeSchema, decide

    intake = json.loads((ROOT / "examples" / "intake.json").read_text())["intake"]
    decision = decide(IntakeSchema().load(intake), age_years=38)
    decision.pop("engine_version", None)
    return decision


def _request() -> dict[str, Any]:
    return {"kind": "clearance", "evaluation": True, "treatment": False,
            "clearance_for_intensity": "moderate", "restrictions": True,
            "exercise_guidelines": True, "meanwhile": "no_training_until_cleared",
            "meanwhile_intensity": None, "rules": ["DEC-2"], "summary": "Please clear."}


def samples() -> list[dict[str, Any]]:
    d = _decision()
    screening = {"parq": {"general": {"g1": False}}, "notes": "fine"}
    consent = {"assessment": True, "share_with_physician": True, "email": True}
    data: dict[str, dict[str, Any]] = {
        "intake.submitted.v1": {**WHO, "screening": screening, "age_years": 38,
                                "consent": consent, "has_physician_contact": True},
        "intake.corrected.v1": {**WHO, "screening": screening, "age_years": None,
                                "consent": consent, "has_physician_contact": False,
                                "version": 2, "corrected_at": "2026-12-05T01:00:00+00:00",
                                "responsible_id": "staff-1"},
        "intake.previsit_invited.v1": {**WHO, "invitation_id": "inv-1",
                                       "link_url": "https://x.test/p/1", "expires_at": "t"},
        "assessment.recorded.v1": {**WHO, "assessment_id": "a-1"},
        "assessment.scored.v1": {**WHO, "assessment_id": "a-1", "assessment": {"fms": {}},
                                 "scoring": {"total": 3}, "assessed_by": None},
        "referral.decided.v1": {
            **WHO, "decision_id": "d-1", "stage": "assessment", "outcome": "refer",
            "urgency": "routine", "target": "physician", "program_state": d.get("program_state"),
            "reasons": d["reasons"], "flags": ["f1"], "program": d.get("program"),
            "referrals": [{"target": "physician"}], "intensity_cap": None, "consent": consent,
            "has_physician_contact": True, "corrected": False, "intake_version": 1,
            "referral": {"referral_id": "r-1", "answer_url": "https://x.test/a/1",
                         "status": "needed", "target": "physician", "urgency": "routine",
                         "request": _request(), "letter_version": 2},
            "signed_by": {"account_id": None, "name": "Lead", "basis": "lead"},
        },
        "notification.sent.v1": {**WHO, "delivery_id": "dl-1", "kind": "physician_referral",
                                 "referral_id": "r-1", "recipient_role": "physician",
                                 "status": "sent", "detail": None},
        "referral.answered.v1": {**WHO, "referral_id": "r-1", "answer": "cleared",
                                 "restrictions": {"max_intensity": "light",
                                                  "avoid_movements": ["squat"]},
                                 "answered_at": "t", "program": None},
        "referral.status_changed.v1": {**WHO, "intake_version": 1, "decision_id": "d-1",
                                       "decision": d, "answer": None, "status": "screened",
                                       "changed_at": "t"},
        "referral.reminder_due.v1": {**WHO, "referral_id": "r-1", "decision_id": "d-1",
                                     "reminder_number": 2, "answer_url": "u",
                                     "target": None, "urgency": "urgent"},
        "referral.progress_due.v1": {**WHO, "referral_id": "r-1", "period_start": "a",
                                     "period_end": "b", "reassessment_changes": [{"x": 1}]},
        "client.erasure_requested.v1": {"client_id": "client-1", "requested_by": "admin-1",
                                        "requested_by_name": "Admin", "reason": "asked"},
        "client.identity_erased.v1": {"client_id": "client-1", "requested_by": "admin-1",
                                      "requested_by_name": "Admin", "reason": "asked",
                                      "previsit_link_ids": ["p-1"],
                                      "screenings": [{"intake_id": "i-1", "screening": {}}]},
    }
    assert set(data) == set(DATA_SCHEMAS)  # a new event type gets a sample here
    # Built by hand, not by make_event (which parses: the code under test).
    return [
        {"specversion": "1.0", "id": f"event-{i}", "type": event_type, "source": "/inscope/x",
         "subject": "client-1", "time": "2026-12-05T01:00:00+00:00", "correlationid": "c-1",
         "causationid": None, "datacontenttype": "application/json", "data": body,
         "signaturekeyid": "k1", "signature": "c2ln"}
        for i, (event_type, body) in enumerate(data.items())
    ]


def marshmallow_parse(raw: Any) -> tuple[str, Any]:
    """What parse_event did before: the schemas' own loads."""
    try:
        event = envelope_module._ENVELOPE.load(raw)
        event["data"] = envelope_module._DATA[event["type"]].load(event["data"])
    except ValidationError as error:
        return "error", error.messages
    return "ok", json.dumps(event)  # key order counts too


def fast_parse(raw: Any) -> tuple[str, Any]:
    try:
        return "ok", json.dumps(parse_event(raw))
    except EnvelopeError as error:
        return "error", error.messages


def mutate(event: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    return mutations.mutate(event, rng, JUNK, ["extra", "text", "client_email", "rule"],
                            add_below=0.3)


def test_every_event_type_loads_the_same_without_marshmallow(monkeypatch):
    events = samples()
    for event in events:
        assert fast_parse(copy.deepcopy(event)) == marshmallow_parse(copy.deepcopy(event))
    # The compiled path really is taken for valid envelopes: no schema's load is called.
    monkeypatch.setattr(Schema, "load", lambda *a, **k: pytest.fail("marshmallow called"))
    for event in events:
        parse_event(event)


@pytest.mark.parametrize("seed", range(6))
def test_mutated_envelopes_load_the_same_or_are_refused_the_same(seed):
    rng = random.Random(seed)
    events = samples()
    for _ in range(120):
        event = mutate(rng.choice(events), rng)
        assert fast_parse(copy.deepcopy(event)) == marshmallow_parse(copy.deepcopy(event))


@pytest.mark.parametrize("change", [
    lambda e: e.update(specversion="2.0"),
    lambda e: e.update(type="referral.decided.v9"),
    lambda e: e.update(id=""),
    lambda e: e.update(client_email="someone@example.com"),
    lambda e: e["data"].update(status=7),
    lambda e: e["data"].pop("decision_id"),
    lambda e: e["data"].update(intake_version=True),
    lambda e: e["data"].update(intake_version=0),
    lambda e: e["data"].update(client_id="x" * 65),
    lambda e: e["data"].update(name="Jane Doe"),
])
def test_bad_envelopes_are_refused_with_marshmallows_messages(change):
    event = next(e for e in samples() if e["type"] == "referral.status_changed.v1")
    change(event)
    outcome, messages = fast_parse(copy.deepcopy(event))
    assert outcome == "error"
    assert (outcome, messages) == marshmallow_parse(event)


def test_reasons_keep_the_keys_their_schema_does_not_declare():
    event = next(e for e in samples() if e["type"] == "referral.decided.v1")
    assert {"summary", "urgency"} <= set(parse_event(event)["data"]["reasons"][0])


def test_a_parsed_event_shares_no_mutable_dict_with_the_input():
    status = next(e for e in samples() if e["type"] == "referral.status_changed.v1")
    parsed = parse_event(status)
    parsed["data"]["decision"]["outcome"] = "changed"  # a Dict field: marshmallow copies
    parsed["data"]["status"] = "changed"
    assert status["data"]["decision"]["outcome"] != "changed"
    assert status["data"]["status"] == "screened"
    event = next(e for e in samples() if e["type"] == "referral.decided.v1")
    parsed = parse_event(event)
    parsed["data"]["consent"]["email"] = False
    parsed["data"]["referral"]["request"]["rules"].append("x")
    parsed["data"]["reasons"].append({})
    assert event["data"]["consent"]["email"] is True
    assert event["data"]["referral"]["request"]["rules"] == ["DEC-2"]
    assert len(parsed["data"]["reasons"]) == len(event["data"]["reasons"]) + 1
