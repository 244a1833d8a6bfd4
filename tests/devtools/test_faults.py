"""``make faults``, small: the suite on its own Redis server and SMTP sink, through every
fault of the table once (one suite start for all): the SMTP server down for a few
seconds, the Redis server restarted, the intake web worker SIGKILLed mid-request (the
client resubmits with the same Idempotency-Key), whole Celery workers and single
worker processes SIGKILLed every 2.5 s for 20 s, both notify worker processes SIGKILLed
while they hold messages and the next message popped off their queue and dropped, as a
worker killed right after its pop loses it (visibility timeout, and with it the
delivery ledger's redelivery age, shortened to 30 s by configuration), and one of the
two mid-send while the other goes on. Every intake accepted once, every email
received exactly once (the dropped message comes back through the delivery ledger),
nothing stuck (no ledger mark left either), the suite still running (email retries
shortened by configuration: NOTIFY_RETRY_BASE/MAX)."""

from __future__ import annotations

import shutil

import pytest

from bench.faults import HEADER, SCENARIOS, run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
# No notify process is killed here: no copy can be a window resend.
NO_NOTIFY_KILL = {"none", "redis_restart", "smtp_down", "kill_web_mid_request"}


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_small_faults_lose_nothing_and_duplicate_nothing():
    lines: list[str] = []
    results = run(
        list(SCENARIOS),
        clients=4,
        outage_s=4.0,
        settle_s=120.0,
        env={
            "NOTIFY_RETRY_BASE": "1",
            "NOTIFY_RETRY_MAX": "4",
            "INSCOPE_RETRY_BACKOFF_BASE": "0.5",
            "INSCOPE_RETRY_BACKOFF_MAX": "4",
            "INSCOPE_VISIBILITY_TIMEOUT": "30",
            # The delivery ledger sends a lost message again after 10 s, not 30.
            "INSCOPE_REDELIVER_AFTER": "10",
        },
        report=lines.append,
        chaos_s=20.0,
        chaos_every_s=2.5,
    )
    table = "\n".join(lines)
    assert lines[0] == HEADER
    assert [r.scenario for r in results] == list(SCENARIOS)
    for result in results:
        assert result.accepted == result.submitted == 4, table
        assert result.assessed == 4, table
        assert len(result.expected) == 6, table  # 4 clients, 2 referred physicians
        # Every email once, but a copy resent with its Message-ID in SMTP's own window
        # (the sender SIGKILLed after its final dot and before its accept mark was in
        # Redis, shown by the sink's session log and Redis's keyspace notifications:
        # bench/resends.py; docs/notifications.md), which the table reports apart.
        window = result.window_resends
        assert result.distinct_duplicates == 0 and result.resent == 0, table
        assert result.exactly_once + window == 6, table
        assert all(result.received_keys[key] >= 1 for key in result.expected), table
        assert result.duplicate_intakes == 0, table
        assert not any(result.stuck.values()), table
        assert result.settled_s is not None and result.settled_s <= 120, table
        assert result.ok, table
        if result.scenario in NO_NOTIFY_KILL:
            assert window == 0, table
    by_name = {r.scenario: r for r in results}
    # The faults happened: kills were made (the table's note says how many).
    assert by_name["kill_web_mid_request"].note.startswith(("1 ", "2 ", "3 ")), table
    assert "0 whole workers" not in by_name["kill_workers_repeatedly"].note, table
    assert "0 single worker processes" not in by_name["kill_workers_repeatedly"].note, table
    # A message popped and dropped (kombu's pop-to-unacked loss) came back through the
    # delivery ledger, not by chance.
    if "1 more popped and lost" in by_name["kill_notify_worker"].note:
        assert "the delivery ledger sent" in by_name["kill_notify_worker"].note, table
