"""The referral service in-process against real Redis and a real database (SQLite or
PostgreSQL), with the intake service on a real port for the contact look-up."""

from __future__ import annotations

import base64
import copy
import json
import threading
from typing import Any

import pytest
import redis
from werkzeug.serving import make_server

from inscope_clinical import AssessmentSchema, score_assessment
from tests.conftest import free_port, make_event, signer
from tests.services.conftest import example

SECRET = "test-referral-secret"


def queued_events(client: redis.Redis, queue: str) -> list[dict[str, Any]]:
    """The events waiting on a service's queue, oldest first."""
    out = []
    for raw in reversed(client.lrange(queue, 0, -1)):  # Celery LPUSHes: newest first
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append(args[0])
    return out


def events_of(client: redis.Redis, queue: str, event_type: str) -> list[dict[str, Any]]:
    return [e for e in queued_events(client, queue) if e["type"] == event_type]


@pytest.fixture
def intake_server(service_env):
    """The intake app on a real HTTP port: the answer page reads contact details there."""
    from inscope_intake import create_app

    app = create_app(service_env)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service_env["INTAKE_URL"] = f"http://127.0.0.1:{port}"
    yield app
    server.shutdown()
    thread.join()
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def referral_env(service_env, intake_server) -> dict[str, str]:
    return {
        **service_env,
        "REFERRAL_TOKEN_SECRET": SECRET,
        "REFERRAL_PUBLIC_URL": "http://referrals.test",
    }


@pytest.fixture
def app(referral_env):
    from inscope_referral import create_app

    app = create_app(referral_env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def rt(app):
    return app.extensions["inscope"]


def front_desk_headers(
    intake_app, account_id: str = "test-front-desk", name: str = "Front desk"
) -> dict[str, str]:
    """A front-desk credential when the intake app checks staff credentials."""
    if intake_app.extensions.get("inscope_auth") is None:
        return {}
    credentials = signer(intake_app)
    from inscope_common.auth import FRONT_DESK, Principal

    token = credentials.api_token(Principal(account_id, name, FRONT_DESK))
    return {"Authorization": f"Bearer {token}"}


class Flow:
    """Drives one client through intake and assessment, as the workers would."""

    def __init__(self, app, intake_app, redis_client: redis.Redis) -> None:
        self.app = app
        self.intake = intake_app.test_client()
        self.front_desk = front_desk_headers(intake_app)
        self.redis = redis_client
        self.consume = app.extensions["celery"].tasks["referral.consume_event"]

    def submit_intake(
        self, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, str]:
        body = body or example("intake.json")
        created = self.intake.post("/intakes", json=body, headers=headers or self.front_desk)
        assert created.status_code == 201, created.get_json()
        created = created.get_json()
        event = next(
            e
            for e in events_of(self.redis, "inscope.referral", "intake.submitted.v1")
            if e["data"]["intake_id"] == created["id"]
        )
        assert self.consume.apply(args=[event]).get() == "processed"
        return {"intake_id": created["id"], "client_id": created["client_id"]}

    def score(
        self,
        who: dict[str, str],
        assessment: dict[str, Any],
        assessment_id: str,
        assessed_by: str | None = None,
    ) -> None:
        loaded = AssessmentSchema().load(copy.deepcopy(assessment))
        event = make_event(
            "assessment.scored.v1",
            source="/inscope/assessment",
            subject=who["client_id"],
            data={
                **who,
                "assessment_id": assessment_id,
                "assessment": loaded,
                "scoring": score_assessment(loaded),
                "assessed_by": assessed_by,
            },
        )
        assert self.consume.apply(args=[event]).get() == "processed"

    def deliver(self, event: dict[str, Any]) -> str:
        return self.consume.apply(args=[event]).get()

    def decided(self) -> list[dict[str, Any]]:
        return events_of(self.redis, "inscope.notify", "referral.decided.v1")

    def notified(self, event_type: str) -> list[dict[str, Any]]:
        return events_of(self.redis, "inscope.notify", event_type)

    def referred_client(self) -> tuple[dict[str, str], dict[str, Any]]:
        """A client referred to a physical therapist (pain on the shoulder clearing test);
        returns who, and the referral ref the decision carried."""
        who = self.submit_intake()
        self.score(who, example("assessment-pain.json"), "assessment-1")
        decided = [e for e in self.decided() if e["subject"] == who["client_id"]]
        return who, decided[-1]["data"]["referral"]


@pytest.fixture
def flow(app, intake_server, redis_client) -> Flow:
    return Flow(app, intake_server, redis_client)


def clearance_intake() -> dict[str, Any]:
    """Known cardiovascular disease, not regularly active: ACSM medical clearance."""
    body = example("intake.json")
    body["intake"]["acsm"]["known_cv_disease"] = True
    body["intake"]["acsm"]["regular_exercise_3_months"] = False
    return body


def notification(who: dict[str, str], referral_id: str, status: str, **extra: Any) -> dict:
    return make_event(
        "notification.sent.v1",
        source="/inscope/notify",
        subject=who["client_id"],
        data={
            **who,
            "delivery_id": extra.pop("delivery_id", "delivery-1"),
            "kind": extra.pop("kind", "physician_referral"),
            "referral_id": referral_id,
            "recipient_role": extra.pop("recipient_role", "physician"),
            "status": status,
            "detail": extra.pop("detail", None),
        },
    )


def token_of(answer_url: str) -> str:
    return answer_url.rsplit("/answer/", 1)[1]
