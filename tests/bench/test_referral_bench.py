"""bench.referral, run small: the referral service's consumer and status API in process,
real Redis. Checks the report's shape, not figures."""

from __future__ import annotations

import json

from bench.referral import main


def test_a_small_run_reports_cpu_and_statements_per_event_and_request(redis_url, capsys):
    main(["--redis-url", redis_url, "--clients", "2", "--warmup", "1", "--json"])
    rows = {row["kind"]: row for row in json.loads(capsys.readouterr().out)}
    for kind in ("intake.submitted.v1", "assessment.scored.v1", "status", "status 404"):
        assert rows[kind]["cpu_ms"] > 0 and rows[kind]["statements"] > 0, kind
    # A client's email moves no referral: settled without a transaction.
    assert rows["notification.sent.v1 (client)"]["statements"] == 0
    assert rows["notification.sent.v1 (physician)"]["statements"] > 0
