"""The stuck-work sweep on the admin's dead-letter page: outbox rows the relay never
published, messages a dead worker holds past the visibility timeout, events the delivery
ledger sent again and still unsettled, notify's emails left sending past their claim
and failed ones; each with the action that fixes it."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

from sqlalchemy import update

from inscope_common.auth import ADMIN, TRAINER
from inscope_common.config import queue_for
from inscope_common.db import utcnow
from inscope_common.delivery_ledger import ledger_key, republished_key
from inscope_common.events import consume_task_name
from tests.services.conftest import example
from tests.services.test_outbox_redis import queued_events
from tests.services.test_redelivery import _intake_event
from tests.web.test_dead_letter_page import signed_in


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _rows(page: str, kind: str) -> list[str]:
    return re.findall(rf'data-stuck="{kind}" data-ref="([^"]+)"', page)


def test_an_unpublished_outbox_event_is_shown_and_published(intake_app, redis_client):
    rt = intake_app.extensions["inscope"]
    rt.relay.fast_publisher = type("Down", (), {"publish": lambda self, e: 1 / 0})()
    created = intake_app.test_client().post("/intakes", json=example("intake.json"))
    assert created.status_code == 201
    admin = signed_in(intake_app, ADMIN)
    assert _rows(admin.get("/admin/dead-letters").get_data(True), "outbox") == []  # fresh
    with rt.session_factory() as session, session.begin():  # two minutes on, still there
        session.execute(
            update(rt.models.OutboxEvent).values(created_at=utcnow() - timedelta(minutes=2))
        )
    page = admin.get("/admin/dead-letters").get_data(True)
    [event_id] = _rows(page, "outbox")
    assert "intake.submitted.v1" in page and "Publish now" in page
    done = admin.post(
        f"/admin/dead-letters/stuck/outbox/{event_id}", data={"csrf_token": _csrf(page)}
    )
    assert done.status_code == 303
    assert [m["event"]["id"] for m in queued_events(redis_client, "inscope.referral")] == [event_id]
    after = admin.get(done.headers["Location"]).get_data(True)
    assert _rows(after, "outbox") == [] and 'id="nothing-stuck"' in after
    again = admin.post(
        f"/admin/dead-letters/stuck/outbox/{event_id}", data={"csrf_token": _csrf(page)}
    )
    assert again.status_code == 409
    trainer = signed_in(intake_app, TRAINER)
    assert trainer.get("/admin/dead-letters").status_code == 403


def test_a_message_a_dead_worker_holds_is_shown_and_requeued(referral_app, redis_client):
    event = _intake_event()
    message = {
        "body": "e30=",
        "headers": {"task": consume_task_name("referral"), "id": event["id"]},
        "properties": {"delivery_info": {"routing_key": queue_for("referral")}},
    }
    timeout = referral_app.extensions["inscope"].settings.visibility_timeout_s
    # What kombu keeps for a message a worker took: the message, and when it was taken.
    redis_client.hset("unacked", "tag-old", json.dumps([message, "", queue_for("referral")]))
    redis_client.zadd("unacked_index", {"tag-old": time.time() - timeout - 30})
    redis_client.hset("unacked", "tag-new", json.dumps([message, "", queue_for("referral")]))
    redis_client.zadd("unacked_index", {"tag-new": time.time()})  # still within its time
    other = [message, "", queue_for("notify")]  # another service's: not this page's
    redis_client.hset("unacked", "tag-other", json.dumps(other))
    redis_client.zadd("unacked_index", {"tag-other": time.time() - timeout - 30})

    admin = signed_in(referral_app, ADMIN)
    page = admin.get("/admin/dead-letters").get_data(True)
    assert _rows(page, "unacked") == ["tag-old"]
    assert "referral.consume_event message taken by a worker" in page
    done = admin.post("/admin/dead-letters/stuck/unacked/tag-old", data={"csrf_token": _csrf(page)})
    assert done.status_code == 303
    [requeued] = [json.loads(raw) for raw in redis_client.lrange(queue_for("referral"), 0, -1)]
    assert requeued["headers"]["id"] == event["id"] and requeued["headers"]["redelivered"]
    assert redis_client.hget("unacked", "tag-old") is None
    assert redis_client.zscore("unacked_index", "tag-old") is None
    assert _rows(admin.get("/admin/dead-letters").get_data(True), "unacked") == []


def test_an_event_the_ledger_sent_again_twice_is_shown_and_sent_again(
    intake_app, redis_client
):
    created = intake_app.test_client().post("/intakes", json=example("intake.json"))
    assert created.status_code == 201
    redis_client.delete(queue_for("referral"))
    # A correction: an event with two subscribers (referral re-screens, assessment
    # forgets the old gate).
    fixed = intake_app.test_client().post(
        f"/intakes/{created.get_json()['id']}/corrections",
        json={**example("intake.json"), "reason": "Birthday typo"},
    )
    assert fixed.status_code == 201, fixed.get_json()
    [message] = queued_events(redis_client, queue_for("referral"))
    assert message["event"]["type"] == "intake.corrected.v1"
    event_id = message["event"]["id"]
    # Marked for both subscribers at the publish; neither consumer has settled it.
    assert redis_client.zscore(ledger_key("referral"), event_id) is not None
    assert redis_client.zscore(ledger_key("assessment"), event_id) is not None
    admin = signed_in(intake_app, ADMIN)
    assert _rows(admin.get("/admin/dead-letters").get_data(True), "ledger") == []  # fresh
    # Sent again twice by the relay, and the last send long ago: still never settled.
    redis_client.zadd(ledger_key("referral"), {event_id: time.time() - 600})
    redis_client.hset(republished_key("referral"), event_id, 2)
    page = admin.get("/admin/dead-letters").get_data(True)
    assert _rows(page, "ledger") == [f"referral:{event_id}"]
    assert "sent to referral 3 times and never settled" in page and "Send again" in page
    done = admin.post(
        f"/admin/dead-letters/stuck/ledger/referral:{event_id}", data={"csrf_token": _csrf(page)}
    )
    assert done.status_code == 303
    queued = [m["event"]["id"] for m in queued_events(redis_client, queue_for("referral"))]
    assert queued == [event_id, event_id]  # to that consumer only
    assert len(queued_events(redis_client, queue_for("assessment"))) == 1
    assert _rows(admin.get(done.headers["Location"]).get_data(True), "ledger") == []


def test_the_broker_down_is_said_not_hidden(service_env):
    from inscope_referral import create_app
    from tests.conftest import free_port

    app = create_app({**service_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    page = signed_in(app, ADMIN).get("/admin/dead-letters").get_data(True)
    assert 'id="stuck-unchecked"' in page and "unacked" in page
    app.extensions["inscope"].engine.dispose()


def test_notify_emails_left_sending_or_failed_are_shown_with_their_action(notify_app):
    from inscope_notify.models import Delivery

    rt = notify_app.extensions["inscope"]
    now = utcnow()
    # Rows keep the event they are built from (a row without one fails at once).
    envelope = {"id": "e-1", "type": "referral.decided.v1", "payload": {}}
    common = {
        "event_id": "e-1",
        "role": "client",
        "client_id": "c-1",
        "intake_id": "i-1",
        "envelope": envelope,
    }
    with rt.session_factory() as session, session.begin():
        session.add_all(
            [
                Delivery(
                    id="d-sending",
                    kind="client_update",
                    message_id="<a>",
                    status="sending",
                    attempts=1,
                    claimed_until=now - timedelta(seconds=5),
                    **common,
                ),
                Delivery(
                    id="d-held",
                    kind="client_answer",
                    message_id="<b>",
                    status="sending",
                    attempts=1,
                    claimed_until=now + timedelta(seconds=60),  # a live worker holds it
                    **common,
                ),
                Delivery(
                    id="d-failed",
                    kind="physician_referral",
                    message_id="<c>",
                    status="failed",
                    attempts=1,
                    last_error="550 5.1.1 Mailbox unavailable",
                    **common,
                ),
            ]
        )
    admin = signed_in(notify_app, ADMIN)
    page = admin.get("/admin/dead-letters").get_data(True)
    assert _rows(page, "delivery_sending") == ["d-sending"]
    assert _rows(page, "delivery_failed") == ["d-failed"]
    assert "550 5.1.1 Mailbox unavailable" in page and "Resend" in page
    csrf = _csrf(page)
    assert (
        admin.post(
            "/admin/dead-letters/stuck/delivery_sending/d-sending", data={"csrf_token": csrf}
        ).status_code
        == 303
    )
    assert (
        admin.post(
            "/admin/dead-letters/stuck/delivery_failed/d-failed", data={"csrf_token": csrf}
        ).status_code
        == 303
    )
    assert (
        admin.post(
            "/admin/dead-letters/stuck/delivery_sending/d-held", data={"csrf_token": csrf}
        ).status_code
        == 409
    )
    with rt.session_factory() as session:
        statuses = {d.id: d.status for d in session.query(Delivery)}
    assert statuses == {"d-sending": "pending", "d-failed": "pending", "d-held": "sending"}
    assert 'id="nothing-stuck"' in admin.get("/admin/dead-letters").get_data(True)
