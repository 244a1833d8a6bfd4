"""Retention of delivery bodies (issue 12 item 8): once an email is sent, blocked or
superseded, the event its delivery row kept to build it again is cleared after
INSCOPE_RETENTION_DELIVERY_BODIES_DAYS by notify's relay; the row, its status and times
stay, and a failed row keeps its event for a resend."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from inscope_common.db import utcnow
from tests.notify.conftest import consume, decided
from tests.services.conftest import example


def test_sent_emails_lose_their_kept_event_after_the_period(make_notify, submit):
    from inscope_notify.models import Delivery

    notify = make_notify(INSCOPE_RETENTION_DELIVERY_BODIES_DAYS="20")
    rt = notify.extensions["inscope"]
    created = submit()
    assert consume(notify, decided(created, example("assessment-pain.json"))) == "processed"
    with rt.session_factory() as session, session.begin():
        rows = session.scalars(select(Delivery)).all()
        assert {r.status for r in rows} == {"sent"} and len(rows) == 2
        old, failed = rows[0].id, rows[1].id
        session.execute(update(Delivery).values(created_at=utcnow() - timedelta(days=21)))
        session.execute(update(Delivery).where(Delivery.id == failed).values(status="failed"))
    rt.relay.run_sweeps()
    with rt.session_factory() as session:
        kept = {r.id: r for r in session.scalars(select(Delivery))}
    assert kept[old].envelope is None and kept[old].status == "sent" and kept[old].sent_at
    assert kept[failed].envelope is not None  # a resend builds the email from it
