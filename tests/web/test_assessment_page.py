"""The trainer's assessment page, through the Flask test client."""

from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from inscope_common.auth import SESSION_COOKIE, TRAINER, Principal
from tests.conftest import free_port, make_event, signer, sqlite_only
from tests.referral.conftest import events_of
from tests.web.conftest import example, ids_folded_under_details

database_backend = sqlite_only("the assessment page")

CONSUME = "assessment.consume_event"


@pytest.fixture
def intake_server(service_env):
    """The intake app on a real port: the assessment page reads client names there."""
    from inscope_intake import create_app

    app = create_app(service_env)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service_env["INTAKE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join()
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def assessment_app(service_env, intake_server):
    from inscope_assessment import create_app

    app = create_app(service_env)
    yield app
    app.extensions["inscope"].engine.dispose()


def deliver(app, event):
    app.extensions["celery"].tasks[CONSUME].apply(args=[event]).get()


@pytest.fixture
def waiting(intake_server, assessment_app, redis_client):
    """Dana's intake, submitted at the desk, heard of by the assessment service and
    screened (in scope: the assessment may go ahead)."""
    from tests.services.journey_events import status_event
    from tests.services.test_redelivery import _intake_event

    created = intake_server.test_client().post("/intakes", json=example("intake.json"))
    ids = created.get_json()
    deliver(assessment_app, _intake_event(client_id=ids["client_id"], intake_id=ids["id"]))
    deliver(assessment_app, status_event(ids["id"], ids["client_id"]))
    return ids


@pytest.fixture
def trainer(assessment_app):
    client = assessment_app.test_client(role=None)
    credentials = signer(assessment_app)
    client.set_cookie(
        SESSION_COOKIE, credentials.session_cookie(Principal("tr-1", "Sam Trainer", TRAINER))
    )
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_trainer_picks_a_waiting_client_by_name(trainer, waiting):
    html = trainer.get("/assess").get_data(as_text=True)
    assert "Dana Rivera" in html
    assert f"/assess?intake={waiting['id']}" in html


def test_an_assessment_is_recorded_then_scored(trainer, waiting, assessment_app, redis_client):
    form_page = trainer.get(f"/assess?intake={waiting['id']}").get_data(as_text=True)
    assert "Assessment: Dana Rivera" in form_page
    form = {
        "csrf_token": csrf_of(form_page),
        "intake_id": waiting["id"],
        "posture.forward_head": "on",
        "ohsa.arms_fall_forward.left": "on",
        "ohsa.arms_fall_forward.right": "on",
        "ohsa.knees_move_inward.right": "on",
        "ohsa.asymmetrical_weight_shift.shift_toward": "left",
        "fms.tests.deep_squat": "2",
        "fms.tests.trunk_stability_push_up": "2",
        "fms.clearing.shoulder.left": "no",
        "fms.clearing.shoulder.right": "yes",
        "fms.clearing.spinal_extension": "no",
        "fms.clearing.spinal_flexion": "no",
        "pain_during.0.test": "shoulder_clearing",
        "pain_during.0.region": "front of right shoulder",
        "pain_during.0.side": "right",
        "pain_during.0.nprs": "3",
        # DEC-8: single-leg squat per standing leg, pushing assessment
        "single_leg_squat.left.knees_move_inward": "on",
        "pushing.done": "on",
        "pushing.shoulders_elevate": "on",
    }
    for test in ("hurdle_step", "in_line_lunge", "shoulder_mobility"):
        form[f"fms.tests.{test}.left"] = form[f"fms.tests.{test}.right"] = "2"
    form["fms.tests.active_straight_leg_raise.left"] = "2"
    form["fms.tests.rotary_stability.left"] = form["fms.tests.rotary_stability.right"] = "2"
    # One FMS score missing: the page says where, and keeps the rest.
    refused = trainer.post("/assess", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    error = re.search(r'id="f-fms-tests-active_straight_leg_raise-right-error">(.*?)</p>', html)
    assert error and "Missing data for required field." in error.group(1)
    assert 'name="ohsa.knees_move_inward.right" value="on" checked' in html
    assert 'value="front of right shoulder"' in html

    form["fms.tests.active_straight_leg_raise.right"] = "2"
    response = trainer.post("/assess", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    page = trainer.get(response.headers["Location"]).get_data(as_text=True)
    # Scored in the same request (issue 13: no worker hop): the page shows the scoring.
    assert "FMS: total 12 / 21" in page and "Pain: scored 0" in page
    assert "Scoring…" not in page
    assessment_id = re.search(r"/assessments/([^/]+)/view", response.headers["Location"]).group(1)
    api = trainer.get(f"/assessments/{assessment_id}").get_json()
    assert api["status"] == "scored" and api["scored_at"]
    assert api["scoring"]["fms"]["total"] == 12
    assert api["assessment"]["single_leg_squat"] == {"left": ["knees_move_inward"], "right": []}
    assert api["assessment"]["pushing"] == {"compensations": ["shoulders_elevate"]}
    assert "pulling" not in api["assessment"]  # not done
    compensations = api["assessment"]["ohsa"]["compensations"]
    assert {"compensation": "arms_fall_forward", "view": "lateral", "side": "bilateral"} in (
        compensations
    )
    assert {
        "compensation": "asymmetrical_weight_shift",
        "view": "posterior",
        "side": "bilateral",
        "shift_toward": "left",
    } in compensations
    # One assessment.scored, for the referral service, staged in the request's transaction.
    scored = [e for e in events_of(redis_client, "inscope.referral", "assessment.scored.v1")
              if e["data"]["assessment_id"] == assessment_id]  # fmt: skip
    assert len(scored) == 1
    assert scored[0]["data"]["scoring"] == api["scoring"]
    assert not events_of(redis_client, "inscope.assessment", "assessment.recorded.v1")
    assert waiting["id"] not in trainer.get("/assess").get_data(as_text=True)

    # The referral service's word on this assessment has not arrived: the page says
    # "Deciding" and follows its status route, which answers 204 (nothing audited) ...
    follow = f"/assessments/{assessment_id}/view/status"
    assert 'data-deciding="1"' in page and f'data-follow="{follow}"' in page
    audited = audit_count(assessment_app)
    assert trainer.get(follow).status_code == 204
    assert audit_count(assessment_app) == audited
    # ... until it does: then the status as the page shows it, the read audited once.
    from tests.services.journey_events import status_event

    deliver(assessment_app, status_event(waiting["id"], waiting["client_id"]))
    decided = trainer.get(follow)
    assert decided.status_code == 200
    assert "Deciding" not in decided.get_data(as_text=True)
    assert '<span class="tag' in decided.get_data(as_text=True)
    assert audit_count(assessment_app) == audited + 1
    assert 'data-deciding' not in trainer.get(response.headers["Location"]).get_data(as_text=True)


def audit_count(app) -> int:
    from sqlalchemy import func, select

    from inscope_assessment.models import AuditEntry

    with app.extensions["inscope"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def test_a_recorded_event_from_an_earlier_version_is_scored_once(
    trainer, waiting, assessment_app, redis_client
):
    """An ``assessment.recorded`` staged by the version that scored in the worker, still
    queued at the upgrade: the worker scores that assessment and publishes
    ``assessment.scored``; for an assessment already scored it does nothing."""
    from inscope_assessment.models import Assessment

    def recorded(assessment_id):
        return make_event(
            "assessment.recorded.v1",
            source="/inscope/assessment",
            subject=waiting["client_id"],
            data={
                "intake_id": waiting["id"],
                "client_id": waiting["client_id"],
                "assessment_id": assessment_id,
            },
        )

    def published(assessment_id):
        return [e for e in events_of(redis_client, "inscope.referral", "assessment.scored.v1")
                if e["data"]["assessment_id"] == assessment_id]  # fmt: skip

    # Control first: an assessment scored in its request is not scored or published again.
    form_page = trainer.get(f"/assess?intake={waiting['id']}").get_data(as_text=True)
    posted = trainer.post(
        "/assessments",
        json={
            "intake_id": waiting["id"],
            "client_id": waiting["client_id"],
            "assessment": example("assessment-clear.json"),
        },
        headers={"X-CSRF-Token": csrf_of(form_page)},
    )
    assert posted.status_code == 202, posted.get_json()
    assert posted.get_json()["status"] == "scored"
    new_id, scored_at = posted.get_json()["id"], posted.get_json()["scored_at"]
    deliver(assessment_app, recorded(new_id))
    assert trainer.get(f"/assessments/{new_id}").get_json()["scored_at"] == scored_at
    assert len(published(new_id)) == 1

    with assessment_app.extensions["inscope"].session_factory.begin() as session:
        old = Assessment(
            intake_id=waiting["id"],
            client_id=waiting["client_id"],
            document=example("assessment-pain.json"),
            assessed_by="test-trainer",
        )
        session.add(old)
        session.flush()
        old_id = old.id
    page = trainer.get(f"/assessments/{old_id}/view").get_data(as_text=True)
    assert "Scoring…" in page and "data-poll=" in page  # polls until the worker is done
    assert not published(old_id)
    deliver(assessment_app, recorded(old_id))
    api = trainer.get(f"/assessments/{old_id}").get_json()
    assert api["status"] == "scored"
    assert api["scoring"]["fms"]["pain_zero"] == ["shoulder_mobility"]
    assert "Scoring…" not in trainer.get(f"/assessments/{old_id}/view").get_data(as_text=True)
    assert len(published(old_id)) == 1


def test_the_form_refuses_an_unknown_intake(trainer, waiting):
    assert trainer.get("/assess?intake=nope").status_code == 404


def test_every_input_of_the_assessment_form_is_labelled(trainer, waiting):
    page = trainer.get(f"/assess?intake={waiting['id']}").get_data(as_text=True)
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', page))
    assert len(ids) > 60 and set(ids) <= labelled
    hidden = re.findall(r'<input type="hidden" name="([^"]+)"', page)
    assert set(hidden) == {"csrf_token", "idempotency_key", "intake_id"}


def test_a_recorded_assessment_leads_with_the_client_and_folds_the_ids(
    trainer, waiting, assessment_app
):
    """The page names the client (read from the intake service as the trainer) and where
    they stand once the referral service has decided on the assessment (not the status
    from before it); the assessment, client and intake ids are under Details."""
    from tests.services.journey_events import status_event

    form_page = trainer.get(f"/assess?intake={waiting['id']}").get_data(as_text=True)
    posted = trainer.post(
        "/assessments",
        json={
            "intake_id": waiting["id"],
            "client_id": waiting["client_id"],
            "assessment": example("assessment-clear.json"),
        },
        headers={"X-CSRF-Token": csrf_of(form_page)},
    )
    assert posted.status_code == 202, posted.get_json()
    assessment_id = posted.get_json()["id"]
    html = trainer.get(f"/assessments/{assessment_id}/view").get_data(as_text=True)
    shown = ids_folded_under_details(html, assessment_id, waiting["client_id"], waiting["id"])
    assert "<h1>Assessment recorded: Dana Rivera</h1>" in html
    assert "Recorded" in shown and "Scored" in shown
    assert "Deciding" in shown and "Ready for the movement assessment" not in shown
    # The referral service's word on the assessment: a program.
    data = status_event(waiting["id"], waiting["client_id"])["data"]
    data["decision"].update(stage="assessment", program={"reassess_on": "2027-01-08"})
    deliver(assessment_app, make_event("referral.status_changed.v1", source="/inscope/referral",
                                       subject=waiting["client_id"], data=data))
    html = trainer.get(f"/assessments/{assessment_id}/view").get_data(as_text=True)
    assert (
        '<dd id="client-status" aria-live="polite">'
        '<span class="tag cleared">Cleared</span> Program ready'
    ) in html


def test_the_form_and_the_do_not_assess_page_fold_the_ids(
    trainer, waiting, intake_server, assessment_app
):
    from tests.services.test_redelivery import _intake_event

    form = trainer.get(f"/assess?intake={waiting['id']}").get_data(as_text=True)
    ids_folded_under_details(form, waiting["client_id"], waiting["id"])
    assert "Assessment: Dana Rivera" in form
    # Heard of, not screened yet: the page says not to assess, by name.
    created = intake_server.test_client().post("/intakes", json=example("intake.json"))
    pending = created.get_json()
    deliver(assessment_app, _intake_event(client_id=pending["client_id"], intake_id=pending["id"]))
    blocked = trainer.get(f"/assess?intake={pending['id']}")
    assert blocked.status_code == 409
    html = blocked.get_data(as_text=True)
    ids_folded_under_details(html, pending["client_id"], pending["id"])
    assert "Dana Rivera: do not assess" in html
