"""Notify against real SMTP (aiosmtpd), real Redis and SQLite/PostgreSQL, with the
intake app served on a real port for the contact look-up; consumer tasks are driven
in-process."""

from __future__ import annotations

import copy
import datetime as dt
import io
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.serving import make_server

from inscope_clinical import screen
from inscope_clinical.letters.request import build_request
from tests.conftest import SMTPSink, free_port, make_event, signed
from tests.services.conftest import example

ANSWER_URL = "http://127.0.0.1:5103/referrals/answer/signed-token"


@pytest.fixture
def intake_server(service_env) -> Iterator[Any]:
    """The intake app on a real HTTP port, for notify's contact look-up."""
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
def make_notify(service_env, intake_server) -> Iterator[Callable[..., Any]]:
    """Build the notify app, optionally against another SMTP server or settings."""
    apps = []

    def build(**env: str) -> Any:
        from inscope_notify import create_app

        app = create_app({**service_env, "INSCOPE_RETRY_BACKOFF_BASE": "0.01", **env})
        apps.append(app)
        return app

    yield build
    for app in apps:
        close = getattr(app.extensions["notifier"].sender, "close", None)
        if close is not None:  # the pooled SMTP connection, as a stopping worker does
            close()
        app.extensions["inscope"].engine.dispose()


@pytest.fixture
def notify(make_notify) -> Any:
    return make_notify()


@pytest.fixture
def submit(intake_server) -> Callable[..., dict[str, Any]]:
    """POST an intake (examples/intake.json, changed by ``change``) and return its ids
    and the document, so a test can ask the engine for the real decision."""

    def post(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        body = copy.deepcopy(example("intake.json"))
        if change:
            change(body)
        response = intake_server.test_client().post("/intakes", json=body)
        assert response.status_code == 201, response.get_json()
        return {**response.get_json(), "body": body}

    return post


def decided(
    created: dict[str, Any],
    assessment: dict[str, Any] | None = None,
    *,
    referral: bool | dict[str, Any] = True,
    **overrides: Any,
) -> dict[str, Any]:
    """A referral.decided.v1 event carrying the engine's real decision for the intake."""
    document = {**created["body"], "assessment": assessment}
    result = screen(document, as_of=dt.date(2026, 11, 27))
    consent = created["body"]["intake"]["consent"]
    data = {
        "intake_id": created["id"],
        "client_id": created["client_id"],
        "decision_id": f"decision-{created['id'][:8]}",
        "stage": "assessment" if assessment else "screening",
        **{
            k: result[k]
            for k in (
                "outcome",
                "urgency",
                "target",
                "program_state",
                "reasons",
                "flags",
                "program",
                "referrals",
                "intensity_cap",
            )
        },
        "consent": {
            k: bool(consent.get(k)) for k in ("assessment", "share_with_physician", "email")
        },
        "has_physician_contact": bool(
            (created["body"]["intake"].get("physician") or {}).get("email")
        ),
    }
    if referral and result["outcome"] in ("refer", "clearance"):
        data["referral"] = {
            "referral_id": f"referral-{created['id'][:8]}",
            "answer_url": ANSWER_URL,
            "status": "needed",
            "target": result["target"],
            "urgency": result["urgency"],
            "request": referral if isinstance(referral, dict) else build_request(result),
        }
    data.update(overrides)
    return make_event(
        "referral.decided.v1", source="/inscope/referral", subject=created["client_id"], data=data
    )


def consume(app: Any, event: dict[str, Any]) -> str:
    """Deliver ``event`` to notify's consumer as its publisher would: signed (tests
    change events after building them; tests/notify/test_signed_events.py delivers
    unsigned and forged ones with consume_as_is)."""
    return consume_as_is(app, signed(event))


def consume_as_is(app: Any, envelope: Any) -> str:
    return app.extensions["celery"].tasks["notify.consume_event"].apply(args=[envelope]).get()


def deliveries(app: Any, client_id: str) -> list[dict[str, Any]]:
    response = app.test_client().get(f"/deliveries?client={client_id}")
    assert response.status_code == 200
    return response.get_json()


def sent_events(app: Any) -> list[dict[str, Any]]:
    """notification.sent envelopes written to notify's outbox."""
    from inscope_notify.models import platform

    with app.extensions["inscope"].session_factory() as session:
        rows = session.scalars(
            select(platform.OutboxEvent).order_by(platform.OutboxEvent.created_at)
        ).all()
        return [r.envelope for r in rows if r.type == "notification.sent.v1"]


def pdf_of(message: Any) -> tuple[str, str]:
    """(file name, extracted text) of the one PDF attached to a message."""
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    reader = PdfReader(io.BytesIO(part.get_content()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return part.get_filename(), " ".join(text.split())


def by_recipient(sink: SMTPSink) -> dict[str, Any]:
    return {str(m["To"]): m for m in sink.messages}


def text_of(message: Any) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: Any) -> str:
    return message.get_body(("html",)).get_content()
