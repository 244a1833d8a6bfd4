"""make bench-scale's seeder and measurements, run small in-process (120 clients): the
rows are the services' own (board rows computed by board_index), the pages it times
answer, and the sweeps run over the seeded referrals."""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import event, func, select

from bench.scale import headline, pages, render, sample_ids, sweeps
from bench.scale_seed import Seeder
from inscope_intake.models import Client
from inscope_referral.models import ClientCase, Decision, Referral


def test_seeded_clients_are_on_the_board_and_swept(app, rt, intake_server):
    now = dt.datetime.now(dt.UTC)
    seeder = Seeder(intake_server.extensions["inscope"].session_factory, rt.session_factory,
                    now, seed=7)  # fmt: skip
    counts = seeder.seed(120, say=lambda _: None)
    assert counts["clients"] == counts["decisions"] == 120 and 0 < counts["referrals"] < 120
    with intake_server.extensions["inscope"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Client)) == 120
    with rt.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == counts["referrals"]
        statuses = dict(session.execute(
            select(ClientCase.board_status, func.count()).group_by(ClientCase.board_status)
        ).all())  # fmt: skip
        emergencies = session.scalar(
            select(func.count()).select_from(Decision).where(Decision.urgency == "emergency")
        )
        no_decision = session.scalar(
            select(func.count()).select_from(ClientCase).where(ClientCase.decision_id.is_(None))
        )
    # The board rows were computed (the default is "screening_pending" for everyone).
    assert "screening_pending" not in statuses and len(statuses) >= 3
    assert statuses.get("emergency", 0) == emergencies and no_decision == 0

    args = argparse.Namespace(repeat=1, seed=7, warmup=0)
    timings = pages(args, {"referral": app, "intake": intake_server}, sample_ids(rt))
    for name in ("board first page", "name search", "client page", "intake search API"):
        assert timings[name]["count"] == 1 and timings[name]["cpu_ms"] > 0, name
    swept = sweeps(rt, now)
    assert set(swept["follow-ups"]["done"]) == {"reminders", "overdue"}
    assert swept["follow-ups"]["scanned"] + swept["progress reports"]["scanned"] > 0

    report = {"parameters": {"clients": 120}, "backend": "sqlite", "seeded": counts,
              "seed_s": 1.0, "timings_ms": timings, "sweeps": swept}  # fmt: skip
    figures = headline(report)
    assert figures["board first page p95 ms"] == timings["board first page"]["p95"]
    assert figures["board first page CPU ms"] == timings["board first page"]["cpu_ms"]
    assert "sweep follow-ups s" in figures
    assert "name search" in render(report)


def test_seeding_writes_a_chunk_in_a_few_statements_and_the_hooks_board_rows(rt, intake_server):
    """Bulk means bulk: rows of mixed shapes (a None left out) go in one statement per
    shape, not a few rows each, and the board rows with the cases, not read back and
    updated one statement per client (on PostgreSQL seeding 100,000 took 4.7 minutes,
    mostly these round trips). The rows written are the ones the service's hook
    computes."""
    from inscope_referral import board_index

    writes: list[str] = []

    def count(conn, cursor, statement, *_):
        if statement.startswith(("INSERT", "UPDATE")):
            writes.append(statement.split("(")[0].split(" SET")[0])

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        seeder = Seeder(intake_server.extensions["inscope"].session_factory,
                        rt.session_factory, dt.datetime.now(dt.UTC), seed=11)  # fmt: skip
        counts = seeder.seed(300, say=lambda _: None)
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    assert counts["referrals"] > 50
    assert not [w for w in writes if w.startswith("UPDATE")]
    assert len(writes) <= 25, sorted(writes)

    with rt.session_factory() as session:
        ids = list(session.scalars(select(ClientCase.client_id)))
        board_index.refresh(session, ids, "911")
        assert len(ids) == 300 and not session.dirty  # the hook would change nothing
