"""bench.notify, run small: notify's consumer in process against a real SMTP sink, the
intake app for the contact look-up, real Redis. Checks the report's shape, not figures."""

from __future__ import annotations

import json

from bench.notify import PARTS, main


def test_a_small_run_reports_cpu_per_event_and_where_it_went(redis_url, capsys):
    argv = ["--redis-url", redis_url, "--events", "2", "--rounds", "2", "--warmup", "1"]
    main([*argv, "--breakdown"])  # raises unless every email reached the sink
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "decided" and len(report["rounds"]) == 2
    assert report["cpu_ms_per_event"] > 0
    parts = report["breakdown_ms_per_event"]
    for part in ("contact look-up", "letter PDF", "scope guard", "SMTP send (flatten + socket)"):
        assert part in PARTS and parts[part] > 0, part
    assert parts["letter PDF"] < report["cpu_ms_per_event"]
