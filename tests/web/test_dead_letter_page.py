"""Admins see each service's dead letters on a page and replay them; nobody else can."""

from __future__ import annotations

import re

import pytest

from inscope_common.auth import ADMIN, SESSION_COOKIE, TRAINER, Principal
from inscope_common.config import queue_for
from inscope_common.delivery_ledger import ledger_key
from tests.conftest import signed, signer
from tests.services.test_outbox_redis import queued_events
from tests.services.test_redelivery import _intake_event


def signed_in(app, role: str):
    client = app.test_client(role=None)
    credentials = signer(app)
    client.set_cookie(SESSION_COOKIE, credentials.session_cookie(Principal("p-1", "Pat", role)))
    return client


@pytest.fixture
def dead_letter(referral_app):
    consumer = referral_app.extensions["celery"].tasks["referral.consume_event"]
    event = _intake_event()
    event["data"]["age_years"] = "not a number"  # breaks the contract: dead-lettered at once
    event = signed(event)  # by its publisher: the contract, not the signature, fails
    assert consumer.apply(args=[event]).get() == "dead_lettered"
    return event


def test_an_admin_sees_and_replays_a_dead_letter(referral_app, dead_letter, redis_client):
    admin = signed_in(referral_app, ADMIN)
    page = admin.get("/admin/dead-letters").get_data(as_text=True)
    assert dead_letter["id"] in page and "age_years" in page
    letter_id = re.search(r'action="/admin/dead-letters/(\d+)/replay"', page).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    done = admin.post(f"/admin/dead-letters/{letter_id}/replay", data={"csrf_token": csrf})
    assert done.status_code == 303
    queued = queued_events(redis_client, queue_for("referral"))
    assert [m["event"]["id"] for m in queued] == [dead_letter["id"]]
    # Marked in the delivery ledger before the push, as every publish is: lost, it is
    # sent again.
    assert redis_client.zscore(ledger_key("referral"), dead_letter["id"]) is not None
    after = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Dead letter {letter_id} is back on the queue" in after
    assert dead_letter["id"] not in after.split("</p>", 2)[-1]  # no longer listed

    again = admin.post(f"/admin/dead-letters/{letter_id}/replay", data={"csrf_token": csrf})
    assert again.status_code == 409 and again.content_type.startswith("text/html")
    assert f"Dead letter {letter_id} was already replayed." in again.get_data(as_text=True)
    unknown = admin.post("/admin/dead-letters/99999/replay", data={"csrf_token": csrf})
    assert unknown.status_code == 404 and "There is no dead letter 99999." in unknown.get_data(True)
    assert admin.post("/admin/dead-letters/x/replay", data={"csrf_token": csrf}).status_code == 404


def test_the_page_shows_the_letter_escaped_in_the_admin_layout(referral_app, dead_letter):
    rt = referral_app.extensions["inscope"]
    with rt.session_factory() as session, session.begin():
        letter = session.query(rt.models.DeadLetter).one()
        letter.error = "<script>alert(1)</script>"
    page = signed_in(referral_app, ADMIN).get("/admin/dead-letters").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    row = page[page.index('<tr data-letter="') :]
    assert "<td>referral</td>" in row and "intake.submitted.v1" in row  # consumer, event type
    assert "Sign out" in page and "/admin/accounts" in page  # the shared admin layout
    board = signed_in(referral_app, ADMIN).get("/board").get_data(as_text=True)
    assert "/admin/dead-letters" in board  # linked from the admin's navigation


def test_a_replay_without_the_forms_token_is_refused(referral_app, dead_letter, redis_client):
    admin = signed_in(referral_app, ADMIN)
    page = admin.get("/admin/dead-letters").get_data(as_text=True)
    letter_id = re.search(r'action="/admin/dead-letters/(\d+)/replay"', page).group(1)
    assert admin.post(f"/admin/dead-letters/{letter_id}/replay").status_code == 403
    assert queued_events(redis_client, queue_for("referral")) == []


@pytest.mark.usefixtures("database_backend")  # apps are looked up by name
@pytest.mark.parametrize("app_name", ["intake_app", "assessment_app", "notify_app"])
def test_every_service_has_the_page_for_admins_only(request, app_name):
    app = request.getfixturevalue(app_name)
    assert signed_in(app, ADMIN).get("/admin/dead-letters").status_code == 200
    assert signed_in(app, TRAINER).get("/admin/dead-letters").status_code == 403
    anonymous = app.test_client(role=None).get("/admin/dead-letters")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
