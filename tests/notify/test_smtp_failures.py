"""SMTP failures: transient ones wait in the database for their next attempt over a
long, configurable budget, then fail visibly and can be resent; permanent ones fail at
once with the server's reply and can be resent after a fix; an accepted message is on
record before the SMTP session is closed, and a row abandoned mid-send is taken back."""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from inscope_common.db import utcnow
from tests.conftest import SMTPSink, free_port, sqlite_only
from tests.notify.conftest import consume, decided, deliveries, pdf_of, sent_events
from tests.services.conftest import example

database_backend = sqlite_only(
    "how an SMTP failure is waited for, failed and resent (the delivery claims run on"
    " both engines in test_delivery_paths and test_transactions_per_event)"
)

CLIENT = "dana.rivera@example.com"
PHYSICIAN = "p.shah@lakeside-clinic.example"
LATER = timedelta(days=3)


class FlakySink(SMTPSink):
    """Answers the first ``times`` messages with ``code`` (every one when None), then
    accepts. ``on_quit`` runs when the client says QUIT."""

    def __init__(self, code: str = "250 OK", times: int | None = 0, port: int | None = None):
        from aiosmtpd.controller import Controller

        self.messages = []
        self.envelopes = []
        self.port = port or free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.code = code
        self.times = times
        self.refused = 0
        self.quit_reply: str | None = None
        self.on_quit = None
        self.sessions = 0
        self.only_to: str | None = None  # refuse only messages to this address

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        if self.only_to is not None and self.only_to not in envelope.rcpt_tos:
            return await super().handle_DATA(server, session, envelope)
        if self.times is None or self.refused < self.times:
            self.refused += 1
            return self.code
        return await super().handle_DATA(server, session, envelope)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.sessions += 1  # one EHLO per connection
        session.host_name = hostname
        return responses

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        if self.on_quit is not None:
            self.on_quit()
        return self.quit_reply or "221 Bye"


@pytest.fixture
def sink_factory():
    sinks = []

    def start(code: str = "250 OK", times: int | None = 1, port: int | None = None) -> FlakySink:
        sink = FlakySink(code, times, port)
        sink.controller.start()
        sinks.append(sink)
        return sink

    yield start
    for sink in sinks:
        with contextlib.suppress(AssertionError):  # stopped by the test already
            sink.controller.stop()


def _only_the_client(body):
    body["intake"]["consent"]["share_with_physician"] = False


def _client_row(app, created):
    [row] = [d for d in deliveries(app, created["client_id"]) if d["kind"] == "client_update"]
    return row


def _reported(app, kind="client_update"):
    return [e["data"]["status"] for e in sent_events(app) if e["data"]["kind"] == kind]


def _notifier(app):
    return app.extensions["notifier"]


def _retry_at(app, when):
    """Run the retry sweep as if it were ``when``."""
    notifier = _notifier(app)
    notifier.clock = lambda: when
    try:
        return notifier.retry_due()
    finally:
        notifier.clock = utcnow


def test_a_4xx_waits_in_the_database_and_the_retry_sends_it_once(make_notify, submit, sink_factory):
    sink = sink_factory("451 4.3.0 Try again later", times=1)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    # The event is processed: the retry is the delivery row's business, not the broker's.
    assert consume(notify, decided(created, example("assessment-pain.json"))) == "processed"
    row = _client_row(notify, created)
    assert (row["status"], row["attempts"], sink.refused) == ("pending", 1, 1)
    assert row["next_attempt_at"] is not None and "451" in row["last_error"]
    assert _notifier(notify).retry_due() == 0  # not due yet (30 s by default)
    assert _retry_at(notify, utcnow() + LATER) == 1
    assert [str(m["To"]) for m in sink.messages] == [CLIENT]
    row = _client_row(notify, created)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert "451" in row["last_error"]  # the error it overcame stays on record
    assert _reported(notify) == []  # a client email's fate stays on its row (issue 13)
    assert _retry_at(notify, utcnow() + 2 * LATER) == 0  # nothing left


def test_smtp_down_then_back_on_the_same_port_delivers_once(make_notify, submit, sink_factory):
    port = free_port()
    notify = make_notify(SMTP_URL=f"smtp://127.0.0.1:{port}")
    created = submit(_only_the_client)
    consume(notify, decided(created, example("assessment-pain.json")))
    row = _client_row(notify, created)
    assert row["status"] == "pending" and "Connection refused" in row["last_error"]
    # Still down a while later: another attempt, still pending, not failed.
    assert _retry_at(notify, utcnow() + timedelta(hours=1)) == 1
    assert _client_row(notify, created)["status"] == "pending"
    sink = sink_factory(times=0, port=port)
    _retry_at(notify, utcnow() + timedelta(hours=2))
    assert [str(m["To"]) for m in sink.messages] == [CLIENT]
    assert _client_row(notify, created)["status"] == "sent"


def test_the_relay_process_runs_the_retries(make_notify, submit, sink_factory):
    sink = sink_factory("421 4.4.2 Busy", times=1)
    notify = make_notify(SMTP_URL=sink.url, NOTIFY_RETRY_BASE="0.05")
    created = submit(_only_the_client)
    consume(notify, decided(created, example("assessment-pain.json")))
    relay = notify.extensions["inscope"].relay
    deadline = time.monotonic() + 30
    while _client_row(notify, created)["status"] != "sent" and time.monotonic() < deadline:
        relay.run_sweeps()
        time.sleep(0.05)
    assert _client_row(notify, created)["status"] == "sent"
    assert len(sink.messages) == 1


def test_a_spent_budget_fails_visibly_and_a_resend_delivers(
    make_notify, submit, sink_factory, caplog
):
    sink = sink_factory("421 4.4.2 Shutting down", times=None)
    notify = make_notify(SMTP_URL=sink.url, NOTIFY_RETRY_BUDGET="3", NOTIFY_RETRY_BASE="0.1")
    created = submit(_only_the_client)
    caplog.set_level(logging.WARNING, logger="inscope_notify.service")
    consume(notify, decided(created, example("assessment-pain.json")))
    deadline = time.monotonic() + 30
    while _client_row(notify, created)["status"] == "pending" and time.monotonic() < deadline:
        _notifier(notify).retry_due()
        time.sleep(0.05)
    row = _client_row(notify, created)
    assert row["status"] == "failed" and row["attempts"] >= 2
    assert row["last_error"].startswith(f"gave up after {row['attempts']} attempts over")
    assert "421" in row["last_error"] and sink.messages == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("gave up after" in r.getMessage() for r in errors)
    # The operator fixes the server, then resends (page or CLI): delivered once.
    sink.times = 0
    assert _notifier(notify).resend(row["id"]) is True
    assert _notifier(notify).resend(row["id"]) is False  # pending now, not failed
    _notifier(notify).retry_due()
    assert [str(m["To"]) for m in sink.messages] == [CLIENT]
    assert _client_row(notify, created)["status"] == "sent"
    assert _reported(notify) == []  # its row says it all; no referral moves


def test_a_5xx_fails_at_once_with_the_reply_and_is_resendable(make_notify, submit, sink_factory):
    sink = sink_factory("550 5.1.1 Mailbox unavailable", times=1)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    assert consume(notify, decided(created, example("assessment-pain.json"))) == "processed"
    row = _client_row(notify, created)
    assert (row["status"], row["attempts"], sink.messages) == ("failed", 1, [])
    assert "550" in row["last_error"] and "Mailbox unavailable" in row["last_error"]
    assert _retry_at(notify, utcnow() + LATER) == 0  # never retried alone
    assert _notifier(notify).resend(row["id"])
    _notifier(notify).retry_due()
    assert len(sink.messages) == 1 and _client_row(notify, created)["status"] == "sent"


def test_a_refused_letter_is_reported_failed_then_sent_after_a_resend(
    make_notify, submit, sink_factory
):
    """The referral service reads the letter's fate: every final state of it is
    reported once, a resend's too; the client email beside it reports nothing."""
    sink = sink_factory("550 5.1.1 Mailbox unavailable", times=1)
    sink.only_to = PHYSICIAN
    notify = make_notify(SMTP_URL=sink.url)
    created = submit()
    consume(notify, decided(created, example("assessment-pain.json")))
    [letter] = [d for d in deliveries(notify, created["client_id"]) if d["role"] == "physician"]
    assert letter["status"] == "failed" and [str(m["To"]) for m in sink.messages] == [CLIENT]
    assert _notifier(notify).resend(letter["id"])
    _notifier(notify).retry_due()
    reported = [(e["data"]["kind"], e["data"]["status"]) for e in sent_events(notify)]
    assert reported == [("physician_referral", "failed"), ("physician_referral", "sent")]
    [failed, _] = sent_events(notify)
    assert "550" in failed["data"]["detail"]
    assert failed["data"]["referral_id"] == letter["referral_id"]


def test_the_accept_is_on_record_before_quit_and_a_bad_quit_sends_nothing_twice(
    make_notify, submit, sink_factory
):
    sink = sink_factory(times=0)
    sink.quit_reply = "421 4.3.2 Going down"
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    from inscope_notify.models import Delivery

    sf = notify.extensions["inscope"].session_factory
    at_quit = []

    def look():
        with sf() as session:
            at_quit.append(
                session.scalar(select(Delivery.status).where(Delivery.kind == "client_update"))
            )

    sink.on_quit = look
    consume(notify, decided(created, example("assessment-pain.json")))
    # The connection is pooled: it says QUIT when the worker process stops.
    _notifier(notify).sender.close()
    assert at_quit == ["sent"]  # recorded on the DATA reply, before the QUIT
    assert len(sink.messages) == 1
    assert _client_row(notify, created)["status"] == "sent"
    assert _retry_at(notify, utcnow() + LATER) == 0
    assert len(sink.messages) == 1


def test_a_delivery_left_sending_by_a_dead_worker_is_taken_back(make_notify, submit, sink_factory):
    sink = sink_factory("451 4.3.0 later", times=1)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    consume(notify, decided(created, example("assessment-pain.json")))
    from inscope_notify.models import Delivery

    sf = notify.extensions["inscope"].session_factory
    # As a worker SIGKILLed mid-send leaves it: claimed, `sending`, never settled.
    with sf() as session, session.begin():
        session.execute(
            update(Delivery).values(
                status="sending", claimed_until=utcnow() + timedelta(seconds=120)
            )
        )
    assert _notifier(notify).retry_due() == 0  # the claim still holds
    assert _retry_at(notify, utcnow() + timedelta(seconds=121)) == 1
    assert len(sink.messages) == 1
    assert _client_row(notify, created)["status"] == "sent"


def test_a_worker_killed_after_the_250_before_the_commit_is_not_sent_again(
    make_notify, submit, sink_factory, redis_client
):
    sink = sink_factory(times=0)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    consume(notify, decided(created, example("assessment-pain.json")))
    assert len(sink.messages) == 1
    from inscope_notify.accepts import PREFIX
    from inscope_notify.models import Delivery

    sf = notify.extensions["inscope"].session_factory

    def as_if_killed_before_the_commit() -> None:
        # The server said 250; the row's UPDATE to `sent` never committed.
        with sf() as session, session.begin():
            session.execute(
                update(Delivery)
                .where(Delivery.kind == "client_update")
                .values(status="sending", claimed_until=utcnow() - timedelta(seconds=1))
            )

    as_if_killed_before_the_commit()
    assert _notifier(notify).retry_due() == 1
    assert len(sink.messages) == 1  # the accept mark in Redis said it went
    assert _client_row(notify, created)["status"] == "sent"
    # Control: without the mark (Redis lost it) the row is sent again, as before.
    assert redis_client.delete(*redis_client.keys(PREFIX + "*")) == 1
    as_if_killed_before_the_commit()
    assert _notifier(notify).retry_due() == 1
    assert len(sink.messages) == 2


def test_a_row_taken_back_waits_while_its_accept_mark_cannot_be_read(
    make_notify, submit, sink_factory, redis_client
):
    """The worker died after the 250 (the mark is written) and before the commit, and
    Redis does not answer when the relay takes the row back: whether it went is unknown,
    so it is not sent (it was, here); the next attempt reads the mark and records it."""
    from inscope_notify.accepts import AcceptMarks
    from inscope_notify.models import Delivery

    sink = sink_factory(times=0)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    consume(notify, decided(created, example("assessment-pain.json")))
    assert len(sink.messages) == 1
    sf = notify.extensions["inscope"].session_factory
    with sf() as session, session.begin():
        session.execute(
            update(Delivery)
            .where(Delivery.kind == "client_update")
            .values(status="sending", claimed_until=utcnow() - timedelta(seconds=1))
        )
    notifier = _notifier(notify)
    reachable = notifier.accepts
    notifier.accepts = AcceptMarks.from_url("redis://127.0.0.1:1/0", timeout_s=0.05)
    try:
        assert notifier.retry_due() == 1
    finally:
        notifier.accepts.close()
        notifier.accepts = reachable
    assert len(sink.messages) == 1  # not sent again on an unknown
    row = _client_row(notify, created)
    assert row["status"] == "pending" and "accept mark unreadable" in row["last_error"]
    assert _retry_at(notify, utcnow() + timedelta(hours=1)) == 1
    assert len(sink.messages) == 1  # the mark said it went
    assert _client_row(notify, created)["status"] == "sent"


def test_retry_budget_settings_are_checked():
    from inscope_common.config import ConfigError
    from inscope_notify.config import load_notify_settings, load_settings

    settings = load_settings({})
    assert load_notify_settings(settings, {}).retry_budget_s == 24 * 3600
    assert load_notify_settings(settings, {"NOTIFY_RETRY_BUDGET": "60"}).retry_budget_s == 60
    with pytest.raises(ConfigError, match="NOTIFY_RETRY_BUDGET"):
        load_notify_settings(settings, {"NOTIFY_RETRY_BUDGET": "soon"})


def test_a_delivery_recorded_before_rows_kept_their_event_fails_clearly_once(
    make_notify, submit, sink_factory, caplog
):
    """Rows written before the envelope column (issue 11; the migration leaves it NULL)
    cannot be built again: the sweep fails them with the reason at once (not retried for
    ever, no crash), the stuck-work page offers no button, and a resend refuses."""
    from sqlalchemy import null

    from inscope_notify.models import Delivery
    from inscope_notify.service import UNBUILDABLE

    sink = sink_factory("451 4.3.0 later", times=1)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    consume(notify, decided(created, example("assessment-pain.json")))
    row = _client_row(notify, created)
    assert row["status"] == "pending"  # waiting for its retry
    sf = notify.extensions["inscope"].session_factory
    with sf() as session, session.begin():  # as the migration leaves an older row
        session.execute(update(Delivery).values(envelope=null()))
    caplog.set_level(logging.ERROR, logger="inscope_notify.service")
    assert _retry_at(notify, utcnow() + LATER) == 0  # nothing to send again
    row = _client_row(notify, created)
    assert (row["status"], row["last_error"]) == ("failed", UNBUILDABLE)
    assert any("keeps no event" in r.getMessage() for r in caplog.records)
    assert _retry_at(notify, utcnow() + 2 * LATER) == 0 and sink.messages == []
    [item] = [i for i in _notifier(notify).stuck() if i.ref == row["id"]]
    assert item.action is None and "cannot be built again" in item.what
    assert _notifier(notify).resend(row["id"]) is False
    assert _notifier(notify).resend_refusal(row["id"]) == UNBUILDABLE  # the CLI says it
    assert _client_row(notify, created)["status"] == "failed"  # still, and visible


def test_the_claim_starts_again_before_the_smtp_transaction_and_a_lost_one_sends_nothing(
    make_notify, submit, sink_factory
):
    from inscope_notify.models import Delivery

    sink = sink_factory("451 4.3.0 later", times=1)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    consume(notify, decided(created, example("assessment-pain.json")))
    notifier = _notifier(notify)
    assert notifier.notify.send_claim_s == 60.0  # one SMTP transaction, renewed before it
    row_id = _client_row(notify, created)["id"]
    start = utcnow() + LATER
    notifier.clock = lambda: start
    try:
        row = notifier._claim([row_id])[row_id]
        notifier.clock = lambda: start + timedelta(seconds=50)  # renders, earlier sends
        assert notifier._renew_claim(row) is True
        sf = notify.extensions["inscope"].session_factory
        with sf() as session:
            until = session.get(Delivery, row_id).claimed_until
        assert until == start + timedelta(seconds=110)
        with sf() as session, session.begin():  # taken back and claimed by another
            session.execute(update(Delivery).values(claim_token="someone-else"))
        assert notifier._renew_claim(row) is False
    finally:
        notifier.clock = utcnow
    assert sink.messages == []


PHYSICIAN_EMAIL = "p.shah@lakeside-clinic.example"
CLIENT_EMAIL = "dana.rivera@example.com"


def _knee_pain(body):
    body["intake"]["pain"] = [
        {
            "region": "front of right knee",
            "side": "right",
            "nprs_rest": 2,
            "nprs_activity": 5,
            "onset": "no_trauma",
            "night_pain": False,
        }
    ]


def _physician_rows(app, created):
    return [d for d in deliveries(app, created["client_id"]) if d["role"] == "physician"]


def test_a_letter_not_yet_sent_is_replaced_by_the_newer_version_one_letter_goes_out(
    make_notify, submit, sink_factory
):
    """Issue 9 item 2: a screening letter followed by an assessment letter to the same
    clinician before the first went out is one letter; the newer one is not held back."""
    port = free_port()
    notify = make_notify(SMTP_URL=f"smtp://127.0.0.1:{port}")
    created = submit(_knee_pain)  # screening: knee pain -> a physical therapist's letter
    screening = decided(created)
    consume(notify, screening)
    [first] = _physician_rows(notify, created)
    assert first["status"] == "pending"  # SMTP down: waiting for a retry
    sink = sink_factory(times=0, port=port)
    assessment = decided(created, example("assessment-pain.json"))
    assessment["data"]["referral"]["letter_version"] = 2
    consume(notify, assessment)
    rows = {d["event_id"]: d for d in _physician_rows(notify, created)}
    assert rows[screening["id"]]["status"] == "superseded"
    assert rows[assessment["id"]]["status"] == "sent"
    _retry_at(notify, utcnow() + LATER)  # the replaced letter is not sent later either
    letters = [m for m in sink.messages if str(m["To"]) == PHYSICIAN_EMAIL]
    assert len(letters) == 1
    assert "UPDATED LETTER (version 2)" in letters[0].get_body(("plain",)).get_content()


@pytest.mark.parametrize("corrected", [True, False], ids=["corrected", "control"])
def test_a_correction_to_no_referral_withdraws_the_letter_waiting_for_a_retry(
    make_notify, submit, sink_factory, corrected
):
    """Issue 8 item 5: the intake is corrected while the old version's letter waits for
    an SMTP retry, and the corrected version needs no clinician. The first decision on
    the corrected version (``corrected``) withdraws the old letter and the old client
    update (superseded, never sent) and tells the client this update replaces the
    earlier one. Control: a decision that is not a correction withdraws nothing, and
    the retry sends the letter, so the test sees the difference."""
    port = free_port()
    notify = make_notify(SMTP_URL=f"smtp://127.0.0.1:{port}")
    created = submit(_knee_pain)  # version 1: knee pain -> a physical therapist's letter
    old = decided(created)
    consume(notify, old)
    assert {d["status"] for d in deliveries(notify, created["client_id"])} == {"pending"}
    sink = sink_factory(times=0, port=port)
    fixed = {**created, "body": copy.deepcopy(created["body"])}
    fixed["body"]["intake"]["pain"] = []  # the knee pain was ticked by mistake
    new = decided(fixed, decision_id="decision-v2", intake_version=2, corrected=corrected)
    assert new["data"]["outcome"] == "in_scope", new["data"]["reasons"]
    assert new["data"]["referral"] is None
    consume(notify, new)
    rows = {(d["event_id"], d["kind"]): d for d in deliveries(notify, created["client_id"])}
    _retry_at(notify, utcnow() + LATER)
    letters = [m for m in sink.messages if str(m["To"]) == PHYSICIAN_EMAIL]
    to_client = [m for m in sink.messages if str(m["To"]) == CLIENT_EMAIL]
    if not corrected:
        assert len(letters) == 1  # without the withdrawal the old letter goes out
        return
    assert rows[(old["id"], "physician_referral")]["status"] == "superseded"
    assert rows[(old["id"], "client_update")]["status"] == "superseded"
    assert (
        "intake corrected (version 2" in rows[(old["id"], "physician_referral")]["blocked_reason"]
    )
    assert letters == []
    [told] = to_client  # only the corrected update; the old one never goes out
    assert told["Subject"] == "An update on your training at InScope Corrective Exercise Studio"
    words = " ".join(told.get_body(("plain",)).get_content().split())
    assert (
        "We have corrected the details of your intake. This update replaces the one we "
        "sent you before: please go by this one." in words
    )
    assert "do not call for a check by a health professional before you start" in words
    assert "Next is your movement assessment" in words
    assert "physical therapist" not in words and "program is ready" not in words


# -- one pooled connection per worker process (issue 13) --------------------------------


def test_an_events_emails_and_the_next_events_go_over_one_connection(
    make_notify, submit, sink_factory
):
    sink = sink_factory(times=0)
    notify = make_notify(SMTP_URL=sink.url)
    for created in (submit(), submit()):
        consume(notify, decided(created, example("assessment-pain.json")))
    assert len(sink.messages) == 4  # client and physician, twice
    assert sink.sessions == 1 and _notifier(notify).sender.opened == 1


def test_the_pooled_connection_is_checked_and_opened_again_after_the_server_drops_it(
    make_notify, submit, sink_factory
):
    first = sink_factory(times=0)
    notify = make_notify(SMTP_URL=first.url)
    sender = _notifier(notify).sender
    consume(notify, decided(submit(), example("assessment-pain.json")))
    first.controller.stop()  # the server restarts: the pooled connection is gone
    second = sink_factory(times=0, port=first.port)
    sender.clock = lambda: time.monotonic() + 60  # idle long enough to be asked NOOP
    created = submit()
    consume(notify, decided(created, example("assessment-pain.json")))
    # The dead connection was found by NOOP, not by a failed send: nothing waits.
    assert len(second.messages) == 2 and second.sessions == 1 and sender.opened == 2
    rows = deliveries(notify, created["client_id"])
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}


def test_a_failed_transaction_drops_the_connection_and_the_retry_opens_a_new_one(
    make_notify, submit, sink_factory
):
    sink = sink_factory("451 4.3.0 Try again later", times=1)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    consume(notify, decided(created, example("assessment-pain.json")))
    assert _retry_at(notify, utcnow() + LATER) == 1
    assert [str(m["To"]) for m in sink.messages] == [CLIENT]
    assert sink.sessions == 2 and _notifier(notify).sender.opened == 2


# -- each letter's PDF drawn once per worker process (issue 13) -------------------------


def _no_client_email(body):
    body["intake"]["consent"]["email"] = False


def test_a_letter_is_drawn_once_however_often_it_goes_out_and_again_for_a_new_version(
    make_notify, submit, sink_factory
):
    sink = sink_factory("451 4.3.0 Try again later", times=1)
    notify = make_notify(SMTP_URL=sink.url)
    pdfs = _notifier(notify).pdfs
    created = submit(_no_client_email)  # the physician's letter is the only email
    consume(notify, decided(created, example("assessment-pain.json")))
    assert (sink.refused, sink.messages, pdfs.drawn) == (1, [], 1)
    assert _retry_at(notify, utcnow() + LATER) == 1  # built again, the same letter
    # Another event carrying the same letter version (the decision published again).
    consume(notify, decided(created, example("assessment-pain.json")))
    assert pdfs.drawn == 1
    first, again = [pdf_of(m)[1] for m in sink.messages]  # (file names carry the day)
    assert first == again and "Dana Rivera" in first
    newer = decided(created, example("assessment-pain.json"))
    newer["data"]["referral"]["letter_version"] = 2
    consume(notify, newer)
    assert pdfs.drawn == 2
    assert "UPDATED LETTER (version 2)" in pdf_of(sink.messages[-1])[1]
    assert "UPDATED LETTER" not in first


class _SocketCallsAfterThe250:
    """Wraps the notifier's sender: from the moment ``on_accepted`` is called (the
    server's 250 is in), every socket method this thread calls, by name, until the
    callback returns."""

    def __init__(self, sender):
        self.sender = sender
        self.calls: list[list[str]] = []

    def send(self, message, on_accepted=None, **kwargs):
        def traced():
            import socket
            import sys

            calls: list[str] = []

            def profile(frame, event, arg):
                if event == "c_call" and isinstance(getattr(arg, "__self__", None), socket.socket):
                    calls.append(arg.__name__)

            sys.setprofile(profile)
            try:
                on_accepted()
            finally:
                sys.setprofile(None)
            self.calls.append(calls)

        self.sender.send(message, on_accepted=traced if on_accepted else None, **kwargs)

    def close(self):
        self.sender.close()


def test_after_the_250_the_accept_mark_is_one_sendall_on_a_connection_made_before(
    make_notify, submit, sink_factory, redis_client
):
    """The window SMTP leaves (the server has the message, the sender has not recorded
    it) is narrowed to what the sender does after the 250: the accept mark's connection
    is open and checked and its command packed before the DATA, so the first thing on
    any socket after the 250 is the one ``sendall`` that hands the mark to the kernel
    (no connect, no handshake, no poll), then the reply is read (docs/notifications.md)."""
    from inscope_notify.accepts import PREFIX

    sink = sink_factory(times=0)
    notify = make_notify(SMTP_URL=sink.url)
    notifier = _notifier(notify)
    notifier.sender = tracing = _SocketCallsAfterThe250(notifier.sender)
    # A first mark in this process (a fresh prefork child's: no connection yet), then
    # a second on the pooled connection.
    for _ in range(2):
        created = submit(_only_the_client)
        consume(notify, decided(created, example("assessment-pain.json")))
        row = _client_row(notify, created)
        assert row["status"] == "sent" and redis_client.exists(PREFIX + row["id"])
    assert len(sink.messages) == 2
    assert [calls[0] for calls in tracing.calls] == ["sendall", "sendall"], tracing.calls


class SlowSink(FlakySink):
    """Takes ``delay`` seconds over each message between the final dot and its 250 (a
    busy server queueing it, or a busy machine); ``at_reply`` runs right before the
    250 goes out."""

    def __init__(self, delay: float):
        super().__init__(times=0)
        self.delay = delay
        self.at_reply = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        import asyncio

        await asyncio.sleep(self.delay)
        if self.at_reply is not None:
            self.at_reply()
        return await super().handle_DATA(server, session, envelope)


def test_a_server_slow_to_answer_the_final_dot_is_waited_for_and_the_email_goes_once(
    make_notify, submit
):
    """RFC 5321 (4.5.3.2.6) gives the reply to the final dot 10 minutes: the server may
    be queueing the message. A sender that gave up after one socket timeout (10 s) took
    a server, or a machine, slower than that for a failure, and its retry sent the
    message the server had taken a second time (RFC 1047). The sender waits, keeping its
    claim (renewed once less than half is left), so no sweep takes the row back meanwhile."""
    import dataclasses

    from inscope_notify.models import Delivery
    from inscope_notify.service import due_for_sweep

    sink = SlowSink(delay=1.5)  # six socket timeouts, one and a half claims
    sink.controller.start()
    try:
        notify = make_notify(SMTP_URL=sink.url, NOTIFY_SEND_CLAIM="1")
        notifier = _notifier(notify)
        notifier.sender.config = dataclasses.replace(notifier.sender.config, timeout=0.25)
        sf = notify.extensions["inscope"].session_factory
        taken_back = []

        def sweep_would_take_it_back():
            with sf() as session:
                taken_back.append(
                    session.scalar(
                        select(func.count()).where(
                            Delivery.kind == "client_update", due_for_sweep(utcnow())
                        )
                    )
                )

        sink.at_reply = sweep_would_take_it_back
        created = submit(_only_the_client)
        consume(notify, decided(created, example("assessment-pain.json")))
        assert len(sink.messages) == 1
        assert _client_row(notify, created)["status"] == "sent"
        assert taken_back == [0]  # the claim was still held when the 250 came
        assert _retry_at(notify, utcnow() + LATER) == 0
        assert len(sink.messages) == 1
        with sf() as session:
            attempts = select(Delivery.attempts).where(Delivery.kind == "client_update")
            assert session.scalar(attempts) == 1  # never tried again
    finally:
        sink.controller.stop()


def test_a_sender_whose_claim_is_gone_stops_before_the_final_dot(sink_factory):
    """Asked right before the message's data goes out, a holder that no longer holds the
    delivery (taken back while the transaction was slow) sends nothing: the session is
    dropped before the final dot, so the server has no message to keep."""
    from email.mime.text import MIMEText

    from inscope_notify.mail import SMTPConfig, SMTPSender, TransientSendError

    sink = sink_factory(times=0)
    sender = SMTPSender(SMTPConfig.from_url(sink.url))
    message = MIMEText("hello")
    message["From"], message["To"] = "no-reply@inscope.local", CLIENT
    message["Message-ID"] = "<e1.client@inscope.local>"
    asked = []
    with pytest.raises(TransientSendError, match="taken back"):
        sender.send(message, holding=lambda: asked.append(1) or False)
    assert asked == [1]
    sender.send(message, holding=lambda: True)  # a new connection; this one goes
    sender.close()
    assert len(sink.messages) == 1
