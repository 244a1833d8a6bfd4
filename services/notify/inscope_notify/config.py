"""The notify service's configuration: the environment, read here and nowhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inscope_clinical.letters.letter import SENDER_DEFAULTS, sender_from
from inscope_common.config import ConfigError, ServiceSettings
from inscope_notify.mail import client_translations
from inscope_notify.messages import Setup

SERVICE = "notify"

DEFAULTS = {**SENDER_DEFAULTS, "STAFF_EMAIL": "trainers@inscope-studio.example"}


@dataclass(frozen=True)
class NotifySettings:
    """Who the letters come from and where staff copies go (REF-1 point 1)."""

    setup: Setup
    # Transient SMTP failures (connection errors, 4xx) are retried, as a mail transfer
    # agent does, for this long from the first attempt (NOTIFY_RETRY_BUDGET, seconds);
    # then the delivery is failed, logged at ERROR and resendable.
    retry_budget_s: float = 24 * 3600.0
    retry_base_s: float = 30.0  # NOTIFY_RETRY_BASE: the first wait, doubled each time
    retry_max_s: float = 1800.0  # NOTIFY_RETRY_MAX: the longest wait between attempts
    # NOTIFY_SEND_CLAIM: how long a worker holds a delivery it is sending; past it, the
    # row is reclaimed (the worker is taken for dead). Renewed right before each SMTP
    # transaction, so it covers one transaction (socket timeout 10 s per step).
    send_claim_s: float = 60.0

    @classmethod
    def from_env(
        cls, service: ServiceSettings, env: Mapping[str, str] | None = None
    ) -> NotifySettings:
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return (env.get(name) or DEFAULTS[name]).strip()

        sender = sender_from(service.facility_name, env)
        return cls(
            Setup(sender=sender, staff_email=get("STAFF_EMAIL"), locale=service.locale,
                  language=service.language, translations=client_translations),
            retry_budget_s=_seconds(env, "NOTIFY_RETRY_BUDGET", 24 * 3600.0),
            retry_base_s=_seconds(env, "NOTIFY_RETRY_BASE", 30.0),
            retry_max_s=_seconds(env, "NOTIFY_RETRY_MAX", 1800.0),
            send_claim_s=_seconds(env, "NOTIFY_SEND_CLAIM", 60.0),
        )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> ServiceSettings:
    return ServiceSettings.from_env(SERVICE, env)


def load_notify_settings(
    settings: ServiceSettings, env: Mapping[str, str] | None = None
) -> NotifySettings:
    return NotifySettings.from_env(settings, env)
