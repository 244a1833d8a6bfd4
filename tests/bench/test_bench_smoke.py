"""The benchmark, run small: real Redis (a database of this run's own, or
TEST_BENCH_REDIS_URL), real SMTP
sink, the suite as real processes.  Checks the report's shape, not its figures."""

from __future__ import annotations

import json

import pytest

from bench.cli import main
from bench.flow import ClientRun, attach_emails
from bench.smtp_sink import Accepted
from bench.stats import percentile, summary

pytestmark = pytest.mark.e2e


def test_a_small_run_reports_every_figure_and_loses_nothing(tmp_path, capsys, run_redis):
    redis_url = run_redis.url("bench")
    argv = ["--clients", "3", "--paced-seconds", "2", "--paced-rate", "5", "--rates", "5"]
    argv += ["--baseline-chains", "10", "--redis-url", redis_url, "--results-dir", str(tmp_path)]
    status = main(argv)
    reports = list(tmp_path.glob("*.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    assert status == 0, report.get("traceback") or report.get("checks")
    assert "clients/s" in capsys.readouterr().out

    baseline = report["baseline"]
    assert baseline["hops"] == 4
    assert baseline["burst"]["chains"] == 10 and baseline["burst"]["chains_per_s"] > 0
    assert baseline["one_at_a_time"]["latency_ms"]["count"] == 10
    burst, paced = report["flow"]["burst"], report["flow"]["paced"]
    assert burst["clients"] == burst["completed_clients"] == 3
    assert burst["clients_per_s"] > 0
    assert paced["clients"] == 10 and paced["latency_ms"]["count"] == 10
    for key in ("p50", "p95", "p99"):
        assert paced["latency_ms"][key] > 0
    assert report["ratio"] == pytest.approx(
        burst["clients_per_s"] / baseline["burst"]["chains_per_s"], abs=1e-3
    )
    assert set(report["targets"]) == {
        "throughput_ratio", "cpu_ms_per_client", "paced_p99_ms", "decision_p99_ms"}
    assert all(isinstance(t["met"], bool) for t in report["targets"].values())
    assert all(t["value"] is not None for t in report["targets"].values())

    checks = report["checks"]
    assert checks["ok"] is True
    assert checks["lost_clients"] == checks["duplicated"] == checks["unexpected"] == []
    assert checks["duplicate_message_ids"] == [] and checks["failed_clients"] == []
    assert checks["clients"] == 1 + 3 + 10  # warm-up, burst, paced
    assert checks["emails_accepted"] == 2 * checks["clients"]
    assert report["breakdown"]["paced"]["available"] is True
    readable = report["breakdown"]["paced"]["decision_readable_ms"]
    assert readable["count"] == 10  # every paced client's decision, before its last email
    assert 0 < readable["p99"] <= report["breakdown"]["paced"]["total_ms"]["max"]
    assert report["settle_s"]["paced"] is not None  # every queue drained
    # The screening's wait follows the status as the client page does (If-None-Match,
    # ?wait=): a held request answered when the screening commits, not 12-23 polls.
    assert 1 <= burst["status_requests_per_client"] <= 5, burst
    # Paced, each decision is read the same way: POST -> decision seen, per client.
    seen = paced["decision_seen_ms"]
    assert seen["count"] == 10 and seen["p50"] > 0
    assert report["targets"]["decision_p99_ms"]["value"] == seen["p99"]
    assert report["hops"]["flow_celery_tasks_per_client"] >= 5  # 2 intake + 2 status + scored
    for phase in ("burst", "paced"):
        roles = report["cpu"][phase]["cpu_ms_per_client"]
        assert {"notify-worker", "referral-web", "bench", "smtp-sink"} <= set(roles)
    assert report["suite_exit_status"] == 0
    assert list(report["flow"]["rates"]) == ["5"]
    assert report["flow"]["rates"]["5"]["cpu_ms_per_client"] > 0
    for when in ("idle", "after"):
        memory = report["memory"][when]
        assert memory["suite_processes"] >= 10 and memory["suite_rss_mb"] > 0
        assert {"notify-worker", "referral-web", "smtp-sink"} <= set(memory["roles"])
    assert reports[0].name.startswith(report["machine_name"] + "-")
    assert report["headline"]["paced 5/s p99 ms"] == paced["latency_ms"]["p99"]


def _accepted(to: str, message_id: str, at: float = 1.0) -> Accepted:
    return Accepted(at=at, wall=at, to=(to,), rcpt_tos=(to,), message_id=message_id)


def test_the_check_finds_lost_duplicated_and_stray_emails():
    runs = [ClientRun(n, "burst", assessment_post_at=0.0, assessment_answered_at=0.1)
            for n in (1, 2, 3)]  # fmt: skip
    messages = [
        _accepted("client-1@bench.example", "<a>"),
        _accepted("physician-1@bench.example", "<b>"),
        _accepted("client-2@bench.example", "<c>"),  # physician-2 lost
        _accepted("client-3@bench.example", "<d>"),
        _accepted("physician-3@bench.example", "<e>"),
        _accepted("physician-3@bench.example", "<e>"),  # sent twice
        _accepted("someone@example.com", "<f>"),
    ]
    check = attach_emails(runs, messages)
    assert check.lost == [2]
    assert check.duplicated == [{"to": "physician-3@bench.example", "count": 2}]
    assert check.duplicate_message_ids == ["<e>"]
    assert [u["to"] for u in check.unexpected] == [["someone@example.com"]]
    assert not check.ok
    assert runs[0].latency == 1.0 and runs[1].latency is None


def test_percentiles_interpolate_between_ranks():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 99) == 5
    assert summary([0.001, 0.002, 0.003])["p50"] == 2.0
    assert summary([])["count"] == 0


def test_one_run_at_a_time_per_database(run_redis):
    from bench.lock import KEY, LockBusy, RunLock

    REDIS_URL = run_redis.url("bench")  # noqa: N806 - as the module constant was named

    first, second = RunLock(REDIS_URL), RunLock(REDIS_URL)
    first.flush_and_acquire(timeout=600, say=lambda _: None)
    try:
        with pytest.raises(LockBusy):
            second.flush_and_acquire(timeout=0, say=lambda _: None)
    finally:
        first.release()
    import socket

    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.get(KEY) is None
        client.set(KEY, f"{socket.gethostname()}:999999999:gone", nx=True, ex=60)
        third = RunLock(REDIS_URL)
        third.flush_and_acquire(timeout=0, say=lambda _: None)  # a dead holder is stale
        assert client.get(KEY).decode() == third.token
        third.release()
        assert client.get(KEY) is None
    finally:
        client.close()


def test_the_targets_show_a_ratio_to_its_third_decimal() -> None:
    from bench.cli import render

    report = {
        "machine": {"cpus": 2, "python": "3.11", "platform": "x", "git_commit": "c",
                    "git_dirty_files": 0},
        "parameters": {"redis_url": "redis://127.0.0.1:6379/13"},
        "targets": {"throughput_ratio": {"value": 0.0714, "target": 0.15, "met": False}},
    }  # fmt: skip
    assert "throughput_ratio      0.071  target 0.15     MISSED" in render(report)
