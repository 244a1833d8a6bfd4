"""Dates that make sense, the confirmation's status, and corrections: intake, referral
and assessment in process, events through their real Redis queues."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from tests.referral.conftest import events_of
from tests.services.conftest import example


def body(**client: Any) -> dict[str, Any]:
    doc = copy.deepcopy(example("intake.json"))
    doc["client"].update(client)
    return doc


def years_ago(years: int, days: int = 0) -> str:
    today = dt.date.today()
    return (today.replace(year=today.year - years) - dt.timedelta(days=days)).isoformat()


# Dates relative to today are worked out when the test runs, not when it is collected
# (a run that crosses midnight would otherwise send "tomorrow" on the day it names).
@pytest.mark.parametrize(
    ("dob", "words"),
    [
        pytest.param(lambda: "2999-01-01", "is in the future", id="far-future"),
        pytest.param(
            lambda: (dt.date.today() + dt.timedelta(days=1)).isoformat(),
            "is in the future",
            id="tomorrow",
        ),
        pytest.param(lambda: "0001-01-01", "clients must be 14 to 100", id="year-1"),
        pytest.param(lambda: years_ago(101), "gives an age of 101", id="age-101"),
        pytest.param(lambda: years_ago(13), "gives an age of 13", id="age-13"),
    ],
)
def test_implausible_dates_of_birth_are_422_naming_the_field(intake_app, dob, words):
    response = intake_app.test_client().post("/intakes", json=body(date_of_birth=dob()))
    assert response.status_code == 422, response.get_json()
    messages = response.get_json()["errors"]["json"]["client"]["date_of_birth"]
    assert any(words in m and "Date of birth" in m for m in messages), messages


def test_the_age_limits_are_settings(service_env):
    from inscope_intake import create_app

    app = create_app({**service_env, "INTAKE_MIN_AGE_YEARS": "18"})
    try:
        refused = app.test_client().post("/intakes", json=body(date_of_birth=years_ago(16)))
        assert refused.status_code == 422
        assert "must be 18 to 100" in str(refused.get_json()["errors"])
        ok = app.test_client().post("/intakes", json=body(date_of_birth=years_ago(14)))
        assert ok.status_code == 422  # still under 18
        adult = app.test_client().post("/intakes", json=body(date_of_birth=years_ago(18)))
        assert adult.status_code == 201
    finally:
        app.extensions["inscope"].engine.dispose()


def test_edge_ages_are_accepted(intake_app):
    for dob in (years_ago(14), years_ago(100)):
        response = intake_app.test_client().post("/intakes", json=body(date_of_birth=dob))
        assert response.status_code == 201, (dob, response.get_json())


def test_other_dates_are_checked_for_sense(intake_app):
    doc = body()
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    doc["intake"]["history"]["physical_therapy"][0]["discharge_date"] = tomorrow
    doc["intake"]["history"]["injuries"] = [
        {"description": "sprain", "date": "1950-01-01", "current": False}
    ]
    doc["intake"]["parq"]["completed_on"] = tomorrow
    response = intake_app.test_client().post("/intakes", json=doc)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]["intake"]
    assert "is in the future" in errors["history"]["physical_therapy"]["0"]["discharge_date"][0]
    assert "before the date of birth" in errors["history"]["injuries"]["0"]["date"][0]
    assert "PAR-Q+ completed on" in errors["parq"]["completed_on"][0]


class Flow:
    """intake -> (intake.submitted/corrected) -> referral -> (status_changed) -> intake."""

    def __init__(self, intake_app, referral_app, redis_client) -> None:
        self.intake = intake_app.test_client(role="front_desk")
        self.trainer = intake_app.test_client(role="trainer")
        self.intake_task = intake_app.extensions["celery"].tasks["intake.consume_event"]
        self.referral_task = referral_app.extensions["celery"].tasks["referral.consume_event"]
        self.referral_app = referral_app
        self.redis = redis_client
        self.done: set[str] = set()

    def pump(self) -> None:
        """Deliver what is queued for referral, then what referral published for intake."""
        for queue, task in (("inscope.referral", self.referral_task),
                            ("inscope.intake", self.intake_task)):
            for kind in ("intake.submitted.v1", "intake.corrected.v1",
                         "referral.status_changed.v1"):
                for event in events_of(self.redis, queue, kind):
                    if (queue, event["id"]) not in self.done:
                        self.done.add((queue, event["id"]))
                        assert task.apply(args=[event]).get() == "processed"

    def status(self, intake_id: str) -> dict[str, Any]:
        return self.intake.get(f"/intakes/{intake_id}/status").get_json()


@pytest.fixture
def flow(intake_app, referral_app, redis_client) -> Flow:
    return Flow(intake_app, referral_app, redis_client)


def test_the_confirmation_status_follows_the_screening(flow):
    doc = body()
    doc["intake"]["red_flags"] = {"chest_pain_now": True}
    created = flow.intake.post("/intakes", json=doc).get_json()
    pending = flow.status(created["id"])
    assert pending["status"] == "screening_pending" and pending["tone"] == "pending"
    flow.pump()
    status = flow.status(created["id"])
    assert status["status"] == "emergency" and status["tone"] == "emergency"
    assert status["headline"] == "Emergency — call 911 now, do not exercise"
    page = flow.intake.get(f"/intakes/{created['id']}/view?created=1").get_data(as_text=True)
    assert "Emergency — call 911 now, do not exercise" in page
    assert 'data-status="emergency"' in page


def test_a_correction_keeps_the_old_version_and_rescreens(flow):
    from inscope_referral.models import Decision, Referral

    doc = body()
    doc["intake"]["acsm"]["signs_symptoms"]["ankle_oedema"] = True  # urgent clearance
    created = flow.intake.post("/intakes", json=doc).get_json()
    flow.pump()
    assert flow.status(created["id"])["status"] == "clearance_needed"

    fixed = body(date_of_birth="1988-04-21")
    response = flow.trainer.post(
        f"/intakes/{created['id']}/corrections",
        json={**fixed, "reason": "Oedema ticked by mistake; birthday typo"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2
    # Not the new result yet: the correction is being screened.
    assert flow.status(created["id"])["status"] == "screening_pending"
    flow.pump()
    status = flow.status(created["id"])
    assert status["version"] == 2 and status["status"] == "awaiting_assessment"

    versions = flow.intake.get(f"/intakes/{created['id']}/corrections").get_json()
    assert [v["version"] for v in versions] == [1]
    old = versions[0]
    assert old["reason"] == "Oedema ticked by mistake; birthday typo"
    assert old["corrected_by_role"] == "trainer" and old["corrected_by"] == "test-trainer"
    assert old["client"]["date_of_birth"] == "1988-04-12"
    assert old["intake"]["acsm"]["signs_symptoms"]["ankle_oedema"] is True
    current = flow.intake.get(f"/intakes/{created['id']}").get_json()
    assert current["version"] == 2 and current["client"]["date_of_birth"] == "1988-04-21"

    # The referral service superseded what it decided and opened on version 1.
    with flow.referral_app.extensions["inscope"].session_factory() as session:
        decisions = session.scalars(select(Decision).order_by(Decision.decided_at)).all()
        referrals = session.scalars(select(Referral)).all()
    assert [(d.intake_version, d.superseded_at is not None) for d in decisions] == [
        (1, True),
        (2, False),
    ]
    assert "intake corrected" in decisions[0].superseded_reason
    assert [r.status for r in referrals] == ["closed"]
    assert "superseded" in referrals[0].closed_reason
    status = flow.referral_app.test_client().get(
        f"/clients/{created['client_id']}/status"
    ).get_json()
    assert status["status"] == "awaiting_assessment" and status["intake_version"] == 2


def _decided_for(flow, client_id: str) -> list[dict[str, Any]]:
    return [e["data"] for e in events_of(flow.redis, "inscope.notify", "referral.decided.v1")
            if e["subject"] == client_id]


def _score(flow, created: dict[str, Any], assessment_id: str) -> None:
    from inscope_clinical import AssessmentSchema, score_assessment
    from tests.conftest import make_event

    loaded = AssessmentSchema().load(example("assessment-clear.json"))
    event = make_event(
        "assessment.scored.v1", source="/inscope/assessment", subject=created["client_id"],
        data={"intake_id": created["id"], "client_id": created["client_id"],
              "assessment_id": assessment_id, "assessment": loaded,
              "scoring": score_assessment(loaded)})
    assert flow.referral_task.apply(args=[event]).get() == "processed"


def test_a_correction_to_in_scope_tells_the_client_and_marks_it_a_correction(flow):
    """Issue 8 item 5: the client told "see a doctor" on version 1 hears the corrected
    decision even when it is "in scope so far" (published with ``corrected``, so notify
    withdraws what still waits and says this update replaces the earlier one); the
    assessment after it still sends the program. Control: an intake in scope from the
    start publishes nothing at screening."""
    doc = body()
    doc["intake"]["acsm"]["signs_symptoms"]["ankle_oedema"] = True  # urgent clearance
    created = flow.intake.post("/intakes", json=doc).get_json()
    flow.pump()
    [first] = _decided_for(flow, created["client_id"])
    assert first["outcome"] == "clearance" and first["corrected"] is False
    assert first["intake_version"] == 1
    fixed = flow.trainer.post(f"/intakes/{created['id']}/corrections",
                              json={**body(), "reason": "Oedema ticked by mistake"})
    assert fixed.status_code == 201, fixed.get_json()
    flow.pump()
    first, corrected = _decided_for(flow, created["client_id"])
    assert corrected["corrected"] is True and corrected["intake_version"] == 2
    assert (corrected["stage"], corrected["outcome"]) == ("screening", "in_scope")
    assert corrected["referral"] is None
    _score(flow, created, "a-after-correction")
    *_, program = _decided_for(flow, created["client_id"])
    assert program["stage"] == "assessment" and program["program"]
    assert program["corrected"] is False

    control = flow.intake.post("/intakes", json=body()).get_json()
    flow.pump()
    assert flow.status(control["id"])["status"] == "awaiting_assessment"
    assert _decided_for(flow, control["client_id"]) == []


def test_a_correction_needs_a_reason_and_sensible_dates(flow):
    created = flow.intake.post("/intakes", json=body()).get_json()
    url = f"/intakes/{created['id']}/corrections"
    no_reason = flow.intake.post(url, json=body())
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_json()["errors"]["json"]
    future = flow.intake.post(url, json={**body(date_of_birth="2999-01-01"), "reason": "typo"})
    assert future.status_code == 422
    assert "date_of_birth" in future.get_json()["errors"]["json"]["client"]
    missing = flow.intake.post("/intakes/nope/corrections", json={**body(), "reason": "typo"})
    assert missing.status_code == 404
    assert flow.intake.get(f"/intakes/{created['id']}").get_json()["version"] == 1


def test_the_emergency_number_is_a_setting(service_env):
    from inscope_intake import create_app
    from tests.services.journey_events import screening_of, status_event

    app = create_app({**service_env, "EMERGENCY_NUMBER": "112"})
    try:
        created = app.test_client().post("/intakes", json=body()).get_json()
        doc = screening_of()
        doc["red_flags"] = {"sudden_stroke_signs": True}
        event = status_event(created["id"], created["client_id"], doc)
        consume = app.extensions["celery"].tasks["intake.consume_event"]
        assert consume.apply(args=[event]).get() == "processed"
        status = app.test_client().get(f"/intakes/{created['id']}/status").get_json()
        assert status["headline"] == "Emergency — call 112 now, do not exercise"
        assert "(112)" in status["emergency_instruction"]
        form = app.test_client(role="front_desk").get("/intakes/new").get_data(as_text=True)
        assert "call 112 now, do not exercise" in form
    finally:
        app.extensions["inscope"].engine.dispose()
