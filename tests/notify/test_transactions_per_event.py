"""What one referral.decided costs notify in database work (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from inscope_common.consumer import EventConsumer
from inscope_common.db import utcnow
from inscope_notify.models import Delivery, platform
from tests.conftest import signed
from tests.notify.conftest import by_recipient, consume, decided, deliveries, sent_events
from tests.services.conftest import example

DELIVERIES = Delivery.__table__


def decided_statements(notify, created) -> tuple[list[str], list[int]]:
    """Consume a referral.decided for ``created`` (with a letter): the SQL statements it
    ran (whitespace folded, BEGIN left out) and, per commit, how many had run by then."""
    engine = notify.extensions["inscope"].engine
    statements: list[str] = []
    commits: list[int] = []

    def record(_conn, _cursor, statement, *_rest) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(" ".join(statement.split()))

    def committed(_conn) -> None:
        commits.append(len(statements))

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", committed)
    try:
        assert consume(notify, decided(created, example("assessment-pain.json"))) == "processed"
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", committed)
    return statements, commits


def test_a_first_delivery_writes_its_rows_claimed_and_claims_nothing_after(
    notify, submit, smtp_sink
):
    """The rows an event's first delivery writes are written claimed for sending (one
    transaction, not an insert and then a claim); what happens to them after is as for a
    claimed row (sent once, attempt 1, recorded with the event's other outcomes)."""
    created = submit()
    statements, _ = decided_statements(notify, created)
    claims = [s for s in statements if "deliveries.attempts +" in s]
    assert claims == [], claims
    assert len(by_recipient(smtp_sink)) == 2
    rows = deliveries(notify, created["client_id"])
    assert {(d["role"], d["status"], d["attempts"]) for d in rows} == {
        ("client", "sent", 1),
        ("physician", "sent", 1),
    }


def test_a_referral_decided_writes_once_before_its_sends_and_reads_no_row_back(
    notify, submit, smtp_sink
):
    """Issue 13: the kept letter, the superseding of older unsent letters and the delivery
    rows are one transaction before the sends; the outcomes one after them, reported
    (notification.sent) from the rows as held, not read back."""
    created = submit()
    statements, commits = decided_statements(notify, created)
    assert len(by_recipient(smtp_sink)) == 2
    inserts = [i for i, s in enumerate(statements) if s.startswith("INSERT INTO deliveries")]
    kept = [i for i, s in enumerate(statements) if s.startswith("INSERT INTO referral_letters")]
    superseding = [
        i for i, s in enumerate(statements) if s.startswith("SELECT") and "deliveries.kind IN" in s
    ]
    assert kept and superseding and inserts
    # The three are in one transaction: no commit between the first and the last.
    first, last = min(kept + superseding + inserts), max(kept + superseding + inserts)
    assert not [c for c in commits if first < c <= last], (commits, first, last)
    settle = [
        i
        for i, s in enumerate(statements)
        if s.startswith("UPDATE deliveries SET") and "sent_at" in s
    ]
    assert settle
    read_back = [
        s
        for s in statements[min(settle) :]
        if s.startswith("SELECT") and "FROM deliveries" in s and "deliveries.id = " in s
    ]
    assert read_back == []
    [report] = [e for e in sent_events(notify) if e["data"]["kind"] == "physician_referral"]
    assert (report["data"]["status"], report["data"]["detail"]) == ("sent", None)


def test_a_referral_decided_costs_eight_statements(notify, submit, smtp_sink):
    """Issue 13: what a first referral.decided with a letter costs notify's database, in
    order: the inbox check; the letter kept (one INSERT ... ON CONFLICT, no read for a
    new referral), older unsent letters and the event's own rows looked for in one
    query (was two), the rows written (one INSERT for both); the two outcomes, the
    notification.sent outbox row and the inbox row, in one transaction (the outbox
    row's publish is recorded in Redis with the pushes: no UPDATE after). A statement
    or a transaction more fails here."""
    created = submit()
    statements, commits = decided_statements(notify, created)
    assert len(by_recipient(smtp_sink)) == 2
    shapes = [" ".join(s.split()[:3]) for s in statements]
    assert shapes == [
        "SELECT processed_events.id FROM",
        "INSERT INTO referral_letters",
        "SELECT deliveries.id, deliveries.kind,",
        "INSERT INTO deliveries",
        "UPDATE deliveries SET",
        "UPDATE deliveries SET",
        "INSERT INTO outbox_events",
        "INSERT INTO processed_events",
    ], statements
    # Two write transactions (rows; outcomes with the inbox row).
    assert commits == [4, 8], commits
    assert "deliveries.event_id = " in statements[2]  # the event's own rows, same query
    assert "ON CONFLICT" in statements[1]
    [kept] = [d for d in deliveries(notify, created["client_id"]) if d["role"] == "physician"]
    assert kept["status"] == "sent"


def test_an_event_whose_send_raised_keeps_no_inbox_row_and_is_handled_again(
    notify, submit, smtp_sink, monkeypatch
):
    """The inbox row goes with the outcomes only when every send is done: when a send
    raises, the outcomes known are recorded but not the inbox row, so the next delivery
    of the event is handled (not skipped as a duplicate) and sends what is left, once."""
    created = submit()
    notifier = notify.extensions["notifier"]
    rt = notify.extensions["inscope"]
    consumer = EventConsumer(rt.settings, rt.session_factory, platform, notifier.handlers())
    send = notifier.sender.send
    calls: list[str] = []

    def failing_once(message, on_accepted=None, **kwargs):
        calls.append(str(message["To"]))
        if len(calls) == 2:
            raise RuntimeError("the worker's own code failed between two sends")
        return send(message, on_accepted=on_accepted, **kwargs)

    monkeypatch.setattr(notifier.sender, "send", failing_once)
    envelope = signed(decided(created, example("assessment-pain.json")))

    def inbox_rows() -> int:
        with rt.session_factory() as session:
            return len(
                session.scalars(
                    select(platform.ProcessedEvent).where(
                        platform.ProcessedEvent.event_id == envelope["id"]
                    )
                ).all()
            )

    with pytest.raises(RuntimeError):
        consumer.process(envelope)
    assert inbox_rows() == 0
    assert {(d["role"], d["status"]) for d in deliveries(notify, created["client_id"])} == {
        ("client", "sent"),
        ("physician", "sending"),
    }
    later = utcnow() + timedelta(minutes=10)  # the physician row's claim has run out
    monkeypatch.setattr(notifier, "clock", lambda: later)
    assert consumer.process(envelope) == "processed"
    assert inbox_rows() == 1
    client, physician, again = calls  # the client's email was not sent again
    assert again == physician != client
    assert len(by_recipient(smtp_sink)) == 2
    assert {(d["role"], d["status"]) for d in deliveries(notify, created["client_id"])} == {
        ("client", "sent"),
        ("physician", "sent"),
    }
    assert consumer.process(envelope) == "duplicate"


def test_an_unsent_older_letter_is_still_superseded_and_read_with_its_event(
    notify, submit, smtp_sink
):
    """The client's rows and the event's own are read in one query; an older letter
    still waiting to be sent is read again with its event (to see its urgency and age)
    and superseded by the newer decision's letter, which goes out."""
    created = submit()
    older = decided(created, example("assessment-pain.json"))
    engine = notify.extensions["inscope"].engine
    with engine.begin() as connection:  # the older letter's row, waiting for a retry
        connection.execute(
            DELIVERIES.insert(),
            {
                "id": "older-letter",
                "event_id": "older-event",
                "kind": "physician_referral",
                "role": "physician",
                "client_id": created["client_id"],
                "intake_id": created["id"],
                "recipient": "physician@example.org",
                "message_id": "<older-event.physician@inscope.local>",
                "envelope": {**older, "id": "older-event", "time": "2026-01-01T00:00:00+00:00"},
                "status": "pending",
                "attempts": 1,
                "next_attempt_at": utcnow() + timedelta(hours=1),
            },
        )
    statements, _ = decided_statements(notify, created)
    rows = {d["id"]: d for d in deliveries(notify, created["client_id"])}
    assert rows["older-letter"]["status"] == "superseded"
    assert {(d["role"], d["status"]) for k, d in rows.items() if k != "older-letter"} == {
        ("client", "sent"),
        ("physician", "sent"),
    }
    again = [s for s in statements if "deliveries.envelope" in s and s.startswith("SELECT")]
    assert len(again) == 1 and "deliveries.id IN" in again[0], statements
