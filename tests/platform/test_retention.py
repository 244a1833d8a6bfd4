"""Retention sweeps (issue 12 item 8): published events, inbox rows and dead letters
past their period are deleted by the relay; unpublished events and scheduled retries
(work still to do) never are; 0 keeps for ever; the periods come from configuration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inscope_common.config import ConfigError, ServiceSettings
from inscope_common.db import utcnow
from inscope_common.retention import DAY_S, platform_rules, retention_sweep, sweep
from tests.platform.fakes import platform


def _count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def _rows(session_factory, days_ago: float) -> None:
    """One of each platform row, ``days_ago`` old."""
    at = utcnow() - timedelta(days=days_ago)
    tag = f"{days_ago}"
    with session_factory() as session, session.begin():
        session.add_all([
            platform.OutboxEvent(id=f"pub-{tag}", type="t", envelope={}, created_at=at,
                                 published_at=at),
            platform.OutboxEvent(id=f"unpub-{tag}", type="t", envelope={}, created_at=at),
            platform.ProcessedEvent(consumer="c", event_id=f"e-{tag}", event_type="t",
                                    processed_at=at),
            platform.DeadLetter(consumer="c", envelope={}, error="x", failed_at=at),
            platform.ScheduledRetry(consumer="c", envelope={}, due_at=at, created_at=at),
        ])  # fmt: skip


def test_rows_past_their_period_go_and_work_still_to_do_stays(session_factory):
    _rows(session_factory, 100)
    _rows(session_factory, 40)
    _rows(session_factory, 1)
    retention = ServiceSettings.from_env("referral", {}).retention_s
    gone = sweep(session_factory, platform_rules(platform, retention))
    # Defaults: events and inbox 30 days, dead letters 90.
    assert gone == {"events": 2, "inbox": 2, "dead_letters": 1}
    assert _count(session_factory, platform.OutboxEvent) == 4  # 1 published + 3 unpublished
    assert _count(session_factory, platform.ProcessedEvent) == 1
    assert _count(session_factory, platform.DeadLetter) == 2
    assert _count(session_factory, platform.ScheduledRetry) == 3


def test_periods_are_configurable_and_zero_keeps_for_ever(session_factory):
    _rows(session_factory, 100)
    _rows(session_factory, 3)
    retention = ServiceSettings.from_env(
        "referral",
        {"INSCOPE_RETENTION_EVENTS_DAYS": "2", "INSCOPE_RETENTION_INBOX_DAYS": "0",
         "INSCOPE_RETENTION_DEAD_LETTERS_DAYS": "365"},
    ).retention_s  # fmt: skip
    assert retention["events"] == 2 * DAY_S
    gone = sweep(session_factory, platform_rules(platform, retention))
    assert gone == {"events": 2}
    assert _count(session_factory, platform.ProcessedEvent) == 2


def test_the_relay_sweeps_at_most_once_per_interval(session_factory):
    now = [0.0]
    retention = ServiceSettings.from_env("referral", {}).retention_s
    run = retention_sweep(session_factory, platform_rules(platform, retention), 300, lambda: now[0])
    _rows(session_factory, 100)
    assert run() == 3  # one published event, inbox row and dead letter
    _rows(session_factory, 200)
    now[0] = 299.0
    assert run() == 0  # too soon
    now[0] = 301.0
    assert run() == 3  # one published event, inbox row and dead letter


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_a_bad_period_is_refused_naming_it(value):
    with pytest.raises(ConfigError, match="INSCOPE_RETENTION_DEAD_LETTERS_DAYS"):
        ServiceSettings.from_env("referral", {"INSCOPE_RETENTION_DEAD_LETTERS_DAYS": value})
