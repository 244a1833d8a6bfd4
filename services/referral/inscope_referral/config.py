"""The referral service's configuration: the environment, read here and nowhere else."""

from collections.abc import Mapping

from inscope_common.config import ServiceSettings

SERVICE = "referral"


def load_settings(env: Mapping[str, str] | None = None) -> ServiceSettings:
    return ServiceSettings.from_env(SERVICE, env)
