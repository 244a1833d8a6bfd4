"""The same event delivered twice has its effect once: one decision, one email."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.conftest import free_port, make_event
from tests.services.conftest import example


@pytest.fixture
def intake_server(service_env, intake_app):
    """The intake app on a real HTTP port, for notify's contact look-up."""
    port = free_port()
    server = make_server("127.0.0.1", port, intake_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service_env["INTAKE_URL"] = f"http://127.0.0.1:{port}"
    yield intake_app
    server.shutdown()
    thread.join()


def _count(app, model, *where):
    with app.extensions["inscope"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _consumer_of(app):
    return app.extensions["celery"].tasks


def _intake_event(client_id="client-1", intake_id="intake-1"):
    body = example("intake.json")["intake"]
    screening = {k: v for k, v in body.items() if k not in ("physician", "consent")}
    return make_event(
        "intake.submitted.v1",
        source="/inscope/intake",
        subject=client_id,
        data={
            "intake_id": intake_id,
            "client_id": client_id,
            "screening": screening,
            "age_years": 38,
            "consent": {"assessment": True, "share_with_physician": True, "email": True},
            "has_physician_contact": True,
        },
    )


def test_referral_decides_once_for_a_redelivered_event(referral_app):
    from inscope_referral.models import Decision

    task = _consumer_of(referral_app)["referral.consume_event"]
    event = _intake_event()
    assert task.apply(args=[event]).get() == "processed"
    assert task.apply(args=[event]).get() == "duplicate"
    assert _count(referral_app, Decision) == 1
    status = referral_app.test_client().get("/clients/client-1/status").get_json()
    assert status["status"] == "awaiting_assessment"


def test_notify_sends_one_email_per_recipient_for_a_redelivered_event(
    intake_server, intake_body, smtp_sink, service_env
):
    from inscope_notify import create_app
    from inscope_notify.models import Delivery

    created = intake_server.test_client().post("/intakes", json=intake_body).get_json()
    notify = create_app(service_env)
    task = _consumer_of(notify)["notify.consume_event"]
    event = make_event(
        "referral.decided.v1",
        source="/inscope/referral",
        subject=created["client_id"],
        data={
            "intake_id": created["id"],
            "client_id": created["client_id"],
            "decision_id": "d-1",
            "stage": "assessment",
            "outcome": "refer",
            "urgency": "routine",
            "target": "physical_therapist",
            "program_state": "hold_pending_clearance",
            "reasons": [
                {
                    "rule": "FMS-8",
                    "source": "FMS",
                    "facts": {"test": "x"},
                    "summary": "Pain was reported during the shoulder clearing test.",
                }
            ],
            "flags": [],
            "program": None,
            "consent": {"assessment": True, "share_with_physician": True, "email": True},
            "has_physician_contact": True,
        },
    )
    assert task.apply(args=[event]).get() == "processed"
    assert task.apply(args=[event]).get() == "duplicate"
    assert sorted(to for _, tos in smtp_sink.envelopes for to in tos) == [
        "dana.rivera@example.com",
        "p.shah@lakeside-clinic.example",
    ]
    assert _count(notify, Delivery, Delivery.status == "sent") == 2
    # The Message-ID is derived from the event, so even a resend could be recognised.
    ids = sorted(m["Message-ID"] for m in smtp_sink.messages)
    assert ids == sorted(f"<{event['id']}.{k}@inscope.local>" for k in ("client", "physician"))
    # Even if the inbox row were lost, a sent delivery row is never sent again.
    notify.extensions["notifier"].on_referral_decided(None, event)
    assert len(smtp_sink.messages) == 2
    notify.extensions["inscope"].engine.dispose()
