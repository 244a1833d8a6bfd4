"""What the referral service reads and writes per event and per status request (issue
13): each table a step needs is read once, not once per helper that needs it, and no
count grows with what the client already has (no N+1). The statements are counted with
SQLAlchemy's cursor hook on the referral engine; bounds are today's counts."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import event

from tests.referral.conftest import clearance_intake, notification
from tests.services.conftest import example


def _statements(engine, run) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _reads(statements: list[str]) -> Counter:
    return Counter(m.group(1) for s in statements if (m := re.match(r"SELECT .*? FROM (\w+)", s)))


def _sql(statements: list[str]) -> list[str]:
    """The statements without SQLite's transaction control (PostgreSQL's is not seen)."""
    return [s for s in statements if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


def _case_writes(statements: list[str]) -> list[str]:
    """INSERT or UPDATE, for each statement that writes client_cases."""
    return [s.split()[0] for s in statements
            if s.startswith(("INSERT INTO client_cases", "UPDATE client_cases"))]  # fmt: skip


def _engine(app):
    return app.extensions["inscope"].engine


def test_a_scored_assessment_reads_each_table_it_needs_once(app, flow):
    who = flow.submit_intake()
    statements = _statements(
        _engine(app), lambda: flow.score(who, example("assessment-pain.json"), "assessment-1")
    )
    reads = _reads(statements)
    # The referrals once, by the handler (answers, open ones, the one it takes up): the
    # status event's journey and the board row are computed from what it read and wrote.
    assert reads["referrals"] == 1, statements
    assert reads["assessment_records"] == 1, statements
    # The decisions once: the last published one (the new one is the latest).
    assert reads["decisions"] == 1, statements
    # The signer goes in with the decision's row: no second write of it.
    assert not [s for s in statements if s.startswith("UPDATE decisions")], statements
    # The case once: its assessment and its board row in one UPDATE.
    assert _case_writes(statements) == ["UPDATE"], statements
    # 12: inbox row, case, trend records and the new one, referrals, last decision,
    # the signer's account, the case's update, decision, referral, two outbox rows (18
    # before issue 13's reads from memory, 14 before the case's one write, 13 before
    # the fast path recorded its publish in Redis instead of an UPDATE).
    assert len(_sql(statements)) == 12, statements
    assert flow.decided()[-1]["data"]["referral"]["status"] == "needed"


def test_screening_a_new_client_reads_no_decision_or_referral_back(app, flow):
    """A client new to the service has no referrals: neither the screening's referral
    (ACSM clearance here) nor the status event's journey reads any back."""
    statements = _statements(_engine(app), lambda: flow.submit_intake(clearance_intake()))
    reads = _reads(statements)
    assert reads["referrals"] == 0, statements
    assert reads["decisions"] == 0, statements
    assert reads["client_cases"] == 1, statements  # is the client known?
    # ... asked of the key alone (a Core probe), not with the ORM's look-up of the case.
    assert "SELECT client_cases.client_id FROM client_cases WHERE" in " ".join(statements)
    # The case goes in once, with its board row (no UPDATE after the INSERT).
    assert _case_writes(statements) == ["INSERT"], statements
    # 8: inbox row, case, its insert, the signer's account, decision, referral, two
    # outbox rows (14 before, 10 before the one write, 9 before the fast path recorded
    # its publish in Redis instead of an UPDATE).
    assert len(_sql(statements)) == 8, statements
    assert flow.decided()[-1]["data"]["referral"]["status"] == "needed"


def test_a_physicians_notification_keeps_the_stored_latest_decision(app, flow):
    """A letter's fate moves a referral, not the decision: the board row's refresh
    reads the decision the row names (with the case), not the client's decisions."""
    who, ref = flow.referred_client()
    statements = _statements(
        _engine(app), lambda: flow.deliver(notification(who, ref["referral_id"], "sent"))
    )
    reads = _reads(statements)
    # The case with the decision its row names, in one query; the client's referrals,
    # locked, once: the one the letter moves is among them, and the board row is stored
    # from what the handler read (the commit's hook reads nothing again).
    assert reads == Counter({"client_cases": 1, "referrals": 1}), statements
    assert not [s for s in statements if "decisions.decided_at FROM decisions" in s], statements
    # The case as a plain row of the columns the journey and the board row read, not
    # its screening and assessment documents; the referrals without their letter
    # request and program (board_index.read_for_step, issue 13).
    read = " ".join(s for s in statements if s.startswith("SELECT"))
    for unread in ("client_cases.screening", "client_cases.assessment,", "referrals.request"):
        assert unread not in read, statements
    # 5: inbox row, case and decision, referrals, the board row, the referral's update
    # (9 before issue 13, 6 with the referral looked up alone).
    assert len(_sql(statements)) == 5, statements
    # The referral moved and the board row says so, as the hook's refresh wrote it.
    from inscope_referral.models import ClientCase, Referral

    with app.extensions["inscope"].session_factory() as session:
        assert session.get(Referral, ref["referral_id"]).status == "delivered"
        case = session.get(ClientCase, who["client_id"])
        assert (case.referral_status, case.board_status) == ("delivered", "referred")
        # What the hook's refresh would store from the client's rows, read afresh.
        from inscope_referral import board_index

        stored = {k: getattr(case, k) for k in board_index._BOARD_KEYS}
        emergency_number = app.extensions["inscope"].settings.emergency_number
        board_index.refresh(session, [who["client_id"]], emergency_number)
        assert {k: getattr(case, k) for k in board_index._BOARD_KEYS} == stored


def test_re_assessments_cost_the_same_whatever_the_client_has(app, flow):
    """No N+1: the third and fourth assessments of a client (more decisions and
    assessment records each time) take as many statements as the second."""
    who = flow.submit_intake()
    flow.score(who, example("assessment-pain.json"), "assessment-1")
    counts = [
        len(
            _statements(
                _engine(app),
                lambda n=n: flow.score(who, example("assessment-pain.json"), f"assessment-{n}"),
            )
        )
        for n in (2, 3, 4)
    ]
    assert counts[0] == counts[1] == counts[2], counts


def test_the_status_request_reads_without_the_write_lock_in_three_queries(app, flow):
    """GET /clients/<id>/status (polled while a screening is pending): the case with the
    decision its board row names, the referrals and the trend; the write lock only for
    the view's audit row; as many statements however much the client has."""
    who, _ref = flow.referred_client()
    web = app.test_client()
    url = f"/clients/{who['client_id']}/status"

    def get() -> list[str]:
        return _statements(_engine(app), lambda: web.get(url))

    web.get(url)  # the first request reads the staff credentials' revocation list
    statements = get()
    reads = _reads(statements)
    assert reads == Counter(
        {"client_cases": 1, "referrals": 1, "assessment_records": 1, "audit_log": 1}
    ), statements
    writes = [s for s in _sql(statements) if not s.startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO audit_log"), statements
    if statements[0].startswith("BEGIN"):  # SQLite: the reads take no write lock
        assert statements[0] == "BEGIN", statements
    before = len(statements)
    flow.score(who, example("assessment-pain.json"), "assessment-2")
    flow.score(who, example("assessment-clear.json"), "assessment-3")
    assert len(get()) == before
    assert web.get(url).get_json()["client_id"] == who["client_id"]
    # A client not known yet: one query, no write.
    unknown = _statements(_engine(app), lambda: web.get("/clients/nobody/status"))
    assert len(_sql(unknown)) == 1, unknown


def test_an_events_rows_are_written_with_core_statements_not_the_orms_flush(app, flow):
    """The rows the three events of a referred client write (a new case, decisions, the
    referral, the assessment's record, the case's and referral's updates) go in with
    Core statements (inscope_referral.rows, issue 13): no flush of the handlers' session
    has anything to write. The rows carry what the flush would have given them."""
    from sqlalchemy import select

    from inscope_referral.models import AssessmentRecord, ClientCase, Decision, Referral

    factory = app.extensions["inscope"].session_factory
    flushed: list[str] = []

    def seen(session, _context) -> None:
        flushed.extend(type(o).__name__ for o in session.new)
        flushed.extend(type(o).__name__ for o in session.dirty if session.is_modified(o))

    event.listen(factory, "after_flush", seen)
    try:
        who = flow.submit_intake(clearance_intake())
        with factory() as session:
            screened_at = session.get(ClientCase, who["client_id"]).updated_at
        flow.score(who, example("assessment-pain.json"), "assessment-1")
        ref = flow.decided()[-1]["data"]["referral"]
        flow.deliver(notification(who, ref["referral_id"], "sent"))
    finally:
        event.remove(factory, "after_flush", seen)
    assert flushed == [], flushed
    with factory() as session:
        case = session.get(ClientCase, who["client_id"])
        assert case.assessment_id == "assessment-1" and case.updated_at > screened_at
        assert (case.board_status, case.referral_status) == ("clearance_needed", "delivered")
        referral = session.get(Referral, ref["referral_id"])
        assert (referral.letter_version, referral.reminders_sent) == (1, 0)
        assert referral.status == "delivered" and referral.delivered_at is not None
        assert referral.updated_at >= referral.needed_at
        decisions = session.scalars(
            select(Decision).where(Decision.client_id == who["client_id"])
        ).all()
        assert [d.stage for d in sorted(decisions, key=lambda d: d.decided_at)] == [
            "screening",
            "assessment",
        ]
        assert all(d.superseded_at is None and d.intake_version == 1 for d in decisions)
        record = session.get(AssessmentRecord, "assessment-1")
        assert record.client_id == who["client_id"] and record.summary


def test_the_status_apis_plain_read_answers_as_the_orm_read(app, flow):
    """GET /clients/<id>/status reads plain rows (board_index.read_plain, issue 13); the
    client page reads ORM objects (read_one). Both give the same status: a referred
    client whose letter was delivered and who was assessed again, a client in an
    emergency that staff acknowledged, and an unknown client."""
    from inscope_common.audit import Actor
    from inscope_common.auth import FRONT_DESK
    from inscope_referral import board, service
    from tests.conftest import signed
    from tests.services.test_redelivery import _intake_event

    rt = app.extensions["inscope"]

    def both(client_id: str) -> None:
        plain = service.status_of(rt, client_id)
        orm = service.status_of(rt, client_id, with_inputs=True)
        if orm is not None:
            orm.pop("journey_inputs")
        assert plain == orm

    who, ref = flow.referred_client()
    flow.deliver(notification(who, ref["referral_id"], "sent"))
    flow.score(who, example("assessment-clear.json"), "assessment-2")
    both(who["client_id"])
    assert service.status_of(rt, who["client_id"])["referrals"]
    emergency = _intake_event(client_id="chest-now", intake_id="intake-chest-now")
    emergency["data"]["screening"]["red_flags"] = {"chest_pain_now": True}
    assert flow.deliver(signed(emergency)) == "processed"
    board.act_on_emergency(rt, "chest-now", "acknowledged", "", Actor("desk-1", "Desk", FRONT_DESK))
    both("chest-now")
    assert service.status_of(rt, "chest-now")["status"] == "emergency"
    both("nobody")
