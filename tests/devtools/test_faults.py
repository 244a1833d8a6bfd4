"""``make faults``, small: the suite on its own Redis server and SMTP sink, with the SMTP
server down for a few seconds and the Redis server restarted, every intake accepted and
every email received exactly once, nothing stuck (email retries shortened by
configuration: NOTIFY_RETRY_BASE/MAX)."""

from __future__ import annotations

import shutil

import pytest

from bench.faults import HEADER, run

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_small_faults_lose_nothing_and_duplicate_nothing():
    lines: list[str] = []
    results = run(
        ["none", "smtp_down", "redis_restart"],
        clients=4,
        outage_s=4.0,
        settle_s=120.0,
        env={
            "NOTIFY_RETRY_BASE": "1",
            "NOTIFY_RETRY_MAX": "4",
            "INSCOPE_RETRY_BACKOFF_BASE": "0.5",
            "INSCOPE_RETRY_BACKOFF_MAX": "4",
        },
        report=lines.append,
    )
    table = "\n".join(lines)
    assert lines[0] == HEADER
    for result in results:
        assert result.accepted == result.submitted == 4, table
        assert result.assessed == 4, table
        assert len(result.expected) == 6, table  # 4 clients, 2 referred physicians
        assert result.exactly_once == 6 and result.duplicates == 0, table
        assert not any(result.stuck.values()), table
        assert result.settled_s is not None, table
