"""Issue 8 gap: after staff resolve an emergency, the intake page and the trainer's
list show where the client stands now (client-journey.md: resolving never unlocks
training by itself: an urgent physician clearance), not "emergency". Intake, referral
and assessment in process; events through their real Redis queues."""

from __future__ import annotations

from html import unescape

from inscope_common.auth import FRONT_DESK, TRAINER
from tests.referral.conftest import events_of
from tests.services.test_intake_dates_and_corrections import Flow, body
from tests.web.test_board import intake_server, referral  # noqa: F401  (fixtures)

KINDS = ("intake.submitted.v1", "intake.corrected.v1", "referral.status_changed.v1")


def to_assessment(app, redis_client, done: set[str]) -> None:
    task = app.extensions["celery"].tasks["assessment.consume_event"]
    for kind in KINDS:
        for event in events_of(redis_client, "inscope.assessment", kind):
            if event["id"] not in done:
                done.add(event["id"])
                assert task.apply(args=[event]).get() == "processed"


def trainer_row(assessment, intake_id: str) -> str:
    html = unescape(assessment.test_client(role=TRAINER).get("/assess").get_data(as_text=True))
    return html.split(f'<tr data-intake="{intake_id}"', 1)[1].split("</tr>", 1)[0]


def test_after_resolve_the_intake_page_and_the_trainers_list_follow_the_journey(
    referral, intake_server, redis_client, service_env  # noqa: F811
):
    from inscope_assessment import create_app

    url, intake_app = intake_server
    assessment = create_app({**service_env, "INTAKE_URL": url})
    try:
        flow, done = Flow(intake_app, referral, redis_client), set()
        doc = body()
        doc["intake"]["red_flags"] = {"chest_pain_now": True}
        created = flow.intake.post("/intakes", json=doc).get_json()
        flow.pump()
        to_assessment(assessment, redis_client, done)
        page = unescape(flow.intake.get(f"/intakes/{created['id']}/view").get_data(as_text=True))
        assert 'data-status="emergency"' in page and "Emergency — call 911 now" in page
        row = trainer_row(assessment, created["id"])
        assert 'data-status="emergency"' in row and "Emergency — do not assess" in row

        desk = referral.test_client(role=FRONT_DESK)
        assert desk.post(f"/clients/{created['client_id']}/emergency/resolve",
                         data={"note": "ambulance called; to see GP"}).status_code == 303
        flow.pump()
        to_assessment(assessment, redis_client, done)

        status = flow.status(created["id"])
        assert (status["status"], status["urgency"]) == ("clearance_needed", "urgent")
        assert status["emergency_instruction"] is None and status["tone"] == "stop"
        page = unescape(flow.intake.get(f"/intakes/{created['id']}/view").get_data(as_text=True))
        assert 'data-status="clearance_needed"' in page
        assert "Emergency — call 911 now" not in page
        assert "Emergency resolved by Test front desk: ambulance called; to see GP." in page
        assert "urgent medical clearance (physician) before any exercise" in page

        row = trainer_row(assessment, created["id"])
        assert 'data-status="clearance_needed"' in row and 'data-allowed="no"' in row
        assert "Medical clearance needed" in row
        assert "Emergency resolved — urgent physician clearance pending, do not assess" in row
        assert "Assess<" not in row
        refused = assessment.test_client(role=TRAINER).post(
            "/assessments", json={"intake_id": created["id"], "client_id": created["client_id"],
                                  "assessment": {}})
        assert refused.status_code == 409, refused.get_json()
        assert "urgent physician clearance pending" in refused.get_data(as_text=True)
    finally:
        assessment.extensions["inscope"].engine.dispose()
