"""The notify service's configuration: the environment, read here and nowhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inscope_common.config import ServiceSettings
from inscope_notify.letter import Sender
from inscope_notify.messages import Setup

SERVICE = "notify"

# Demo values, plainly fake (555 numbers, example domains), so nothing real is written
# to by accident; every deployment sets its own.
DEFAULTS = {
    "FACILITY_PHONE": "+1 555 0100",
    "FACILITY_EMAIL": "coaching@inscope-studio.example",
    "FACILITY_ADDRESS": "100 Example Street, Springfield",
    "TRAINER_NAME": "Alex Morgan",
    "TRAINER_CREDENTIAL": "NASM Certified Personal Trainer, Corrective Exercise Specialist (CES)",
    "STAFF_EMAIL": "trainers@inscope-studio.example",
    "EMERGENCY_NUMBER": "911",
}


@dataclass(frozen=True)
class NotifySettings:
    """Who the letters come from and where staff copies go (REF-1 point 1)."""

    setup: Setup

    @classmethod
    def from_env(
        cls, service: ServiceSettings, env: Mapping[str, str] | None = None
    ) -> NotifySettings:
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return (env.get(name) or DEFAULTS[name]).strip()

        sender = Sender(
            facility=service.facility_name,
            address=get("FACILITY_ADDRESS"),
            phone=get("FACILITY_PHONE"),
            email=get("FACILITY_EMAIL"),
            trainer=get("TRAINER_NAME"),
            credential=get("TRAINER_CREDENTIAL"),
            emergency_number=get("EMERGENCY_NUMBER"),
        )
        return cls(Setup(sender=sender, staff_email=get("STAFF_EMAIL")))


def load_settings(env: Mapping[str, str] | None = None) -> ServiceSettings:
    return ServiceSettings.from_env(SERVICE, env)


def load_notify_settings(
    settings: ServiceSettings, env: Mapping[str, str] | None = None
) -> NotifySettings:
    return NotifySettings.from_env(settings, env)
