"""The referral settings: defaults, and values the service refuses to start with."""

from __future__ import annotations

import pytest

from inscope_common.config import ConfigError
from inscope_referral.config import DEV_TOKEN_SECRET, load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.token_secret == DEV_TOKEN_SECRET and settings.uses_dev_token_secret
    assert settings.token_max_age_s == 30 * 86400
    assert settings.public_url == "http://127.0.0.1:5103"
    assert (settings.reminder_days, settings.max_reminders, settings.progress_weeks) == (7, 2, 12)
    assert settings.service == "referral" and settings.queue == "inscope.referral"


def test_the_public_url_follows_where_the_suite_serves_referral_unless_set():
    assert load_settings({"REFERRAL_URL": "http://127.0.0.1:6103"}).public_url == (
        "http://127.0.0.1:6103"
    )
    assert load_settings({"REFERRAL_PUBLIC_URL": "https://gym.example/ref/"}).public_url == (
        "https://gym.example/ref"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REFERRAL_REMINDER_DAYS", "0"),
        ("REFERRAL_REMINDER_DAYS", "soon"),
        ("REFERRAL_MAX_REMINDERS", "1.5"),
        ("REFERRAL_MAX_REMINDERS", "-1"),
        ("REFERRAL_PROGRESS_WEEKS", "nan"),
        ("REFERRAL_TOKEN_MAX_AGE_DAYS", "-3"),
        ("REFERRAL_STATUS_WAITERS", "2.5"),
    ],
)
def test_bad_values_are_refused_at_start_up(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_held_status_requests_default_to_half_of_eight_threads():
    assert load_settings({}).status_waiters == 4
    assert load_settings({"REFERRAL_STATUS_WAITERS": "8"}).status_waiters == 8
    assert load_settings({"REFERRAL_STATUS_WAITERS": "0"}).status_waiters == 0  # none held


def test_zero_reminders_is_allowed():
    assert load_settings({"REFERRAL_MAX_REMINDERS": "0"}).max_reminders == 0
