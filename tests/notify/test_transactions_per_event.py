"""What one referral.decided costs notify in database work (issue 13)."""

from __future__ import annotations

from sqlalchemy import event

from tests.notify.conftest import by_recipient, consume, decided, deliveries
from tests.services.conftest import example


def test_a_first_delivery_writes_its_rows_claimed_and_claims_nothing_after(
    notify, submit, smtp_sink
):
    """The rows an event's first delivery writes are written claimed for sending (one
    transaction, not an insert and then a claim); what happens to them after is as for a
    claimed row (sent once, attempt 1, recorded with the event's other outcomes)."""
    created = submit()
    engine = notify.extensions["inscope"].engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_rest) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert consume(notify, decided(created, example("assessment-pain.json"))) == "processed"
    finally:
        event.remove(engine, "before_cursor_execute", record)
    claims = [s for s in statements if "deliveries.attempts +" in s]
    assert claims == [], claims
    assert len(by_recipient(smtp_sink)) == 2
    rows = deliveries(notify, created["client_id"])
    assert {(d["role"], d["status"], d["attempts"]) for d in rows} == {
        ("client", "sent", 1),
        ("physician", "sent", 1),
    }
