"""The intake service's configuration: the environment, read here and nowhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from inscope_clinical.dates import MAX_AGE_YEARS, MIN_AGE_YEARS
from inscope_common.config import PUBLIC_SECRET_VALUES, ConfigError, ServiceSettings

SERVICE = "intake"
# DEV ONLY: signs the clients' pre-visit links (INTAKE_PREVISIT_SECRET in a deployment).
DEV_PREVISIT_SECRET = "dev-only-previsit-link-secret--set-INTAKE_PREVISIT_SECRET"


@dataclass(frozen=True)
class IntakeSettings(ServiceSettings):
    """The platform settings plus the plausible age range of a client and the pre-visit
    link's life and public address."""

    min_age_years: int = MIN_AGE_YEARS
    max_age_years: int = MAX_AGE_YEARS
    # How long a pre-visit link opens (INTAKE_PREVISIT_LINK_DAYS), and the address the
    # client's phone reaches the intake service at (INTAKE_PUBLIC_URL).
    previsit_link_days: float = 7.0
    public_url: str = "http://127.0.0.1:5101"
    # Signs the pre-visit links and their forms (inscope_intake.previsit): the intake
    # service's own secret, shared with no other service.
    previsit_secret: str = DEV_PREVISIT_SECRET

    def secret_values(self) -> dict[str, str]:
        return {**super().secret_values(), "INTAKE_PREVISIT_SECRET": self.previsit_secret}

    def public_secret_values(self) -> frozenset[str]:
        return PUBLIC_SECRET_VALUES | {DEV_PREVISIT_SECRET}


def load_settings(env: Mapping[str, str] | None = None) -> IntakeSettings:
    env = os.environ if env is None else env
    base = ServiceSettings.from_env(SERVICE, env)
    inherited = {f.name: getattr(base, f.name) for f in fields(ServiceSettings)}
    low = _years(env, "INTAKE_MIN_AGE_YEARS", MIN_AGE_YEARS)
    high = _years(env, "INTAKE_MAX_AGE_YEARS", MAX_AGE_YEARS)
    if low > high:
        raise ConfigError(f"INTAKE_MIN_AGE_YEARS ({low}) is above INTAKE_MAX_AGE_YEARS ({high})")
    days = _days(env.get("INTAKE_PREVISIT_LINK_DAYS"))
    public = (env.get("INTAKE_PUBLIC_URL") or base.urls["intake"]).rstrip("/")
    return IntakeSettings(**inherited, min_age_years=low, max_age_years=high,
                          previsit_link_days=days, public_url=public,
                          previsit_secret=env.get("INTAKE_PREVISIT_SECRET") or DEV_PREVISIT_SECRET)


def _days(raw: str | None) -> float:
    if not (raw or "").strip():
        return 7.0
    try:
        value = float(raw or "")
    except ValueError:
        raise ConfigError(f"INTAKE_PREVISIT_LINK_DAYS must be a number of days, not {raw!r}"
                          ) from None
    if not 0.01 <= value <= 60:
        raise ConfigError(f"INTAKE_PREVISIT_LINK_DAYS must be between 0.01 and 60, not {value}")
    return value


def _years(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of years, not {raw!r}") from None
    if not 0 <= value <= 130:
        raise ConfigError(f"{name} must be between 0 and 130, not {value}")
    return value
