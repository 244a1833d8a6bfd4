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


def test_a_reminder_run_measures_the_reminder_alone(redis_url, capsys):
    """``--kind reminder``: each reminder's decision is handled first and counts in
    neither the figure nor the breakdown (no client email, no decision's rows)."""
    argv = ["--redis-url", redis_url, "--events", "2", "--rounds", "1", "--warmup", "1"]
    main([*argv, "--kind", "reminder", "--breakdown"])  # every email reached the sink
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "reminder" and report["cpu_ms_per_event"] > 0
    parts = report["breakdown_ms_per_event"]
    assert parts["letter PDF"] > 0 and parts["letter PDF"] < report["cpu_ms_per_event"]
    assert "keep letter" not in parts and "plan (messages)" not in parts
