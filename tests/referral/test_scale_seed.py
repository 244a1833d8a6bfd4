"""make bench-scale's seeder and measurements, run small in-process (120 clients): the
rows are the services' own (board rows computed by board_index), the pages it times
answer, and the sweeps run over the seeded referrals."""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import func, select

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
        assert timings[name]["count"] == 1, name
    swept = sweeps(rt, now)
    assert set(swept["follow-ups"]["done"]) == {"reminders", "overdue"}
    assert swept["follow-ups"]["scanned"] + swept["progress reports"]["scanned"] > 0

    report = {"parameters": {"clients": 120}, "backend": "sqlite", "seeded": counts,
              "seed_s": 1.0, "timings_ms": timings, "sweeps": swept}  # fmt: skip
    figures = headline(report)
    assert figures["board first page p95 ms"] == timings["board first page"]["p95"]
    assert "sweep follow-ups s" in figures
    assert "name search" in render(report)
