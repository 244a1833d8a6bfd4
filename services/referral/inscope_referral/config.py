"""The referral service's configuration: the environment, read here and nowhere else."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from inscope_clinical.letters import Sender, sender_from
from inscope_common import keys
from inscope_common.config import (
    DEV_STAFF_PRIVATE_KEY,
    DEV_STAFF_PUBLIC_KEY,
    PUBLIC_SECRET_VALUES,
    ConfigError,
    ServiceSettings,
    key_setting,
)

SERVICE = "referral"

# DEV ONLY. Anyone who knows this value can forge a physician's answer link. Every real
# deployment sets REFERRAL_TOKEN_SECRET to a long random value of its own.
DEV_TOKEN_SECRET = "dev-only-referral-token-secret--set-REFERRAL_TOKEN_SECRET"


@dataclass(frozen=True)
class ReferralSettings(ServiceSettings):
    """The platform settings plus what only the physician loop needs."""

    token_secret: str = DEV_TOKEN_SECRET
    token_max_age_days: float = 30.0
    # Where physicians reach the answer page: the base of every answer_url.
    public_url: str = "http://127.0.0.1:5103"
    reminder_days: float = 7.0
    max_reminders: int = 2
    progress_weeks: float = 12.0
    # How often beat runs the sweeps; they are idempotent, so a short interval only
    # costs a query.
    sweep_interval_s: float = 3600.0
    # GET /clients/<id>/status?wait= requests one web process holds at once
    # (REFERRAL_STATUS_WAITERS; inscope_referral.status_stamps): each holds one of
    # gunicorn's threads, so keep it well below --threads (half of 8 by default).
    status_waiters: int = 4
    # Who signs the clinician letter the answer page shows (the same FACILITY_* and
    # TRAINER_* settings notify signs the emailed letter with).
    sender: Sender = field(default_factory=lambda: sender_from("InScope", {}))
    # Who signs screening-only letters and emails (no trainer has assessed the client
    # yet), FACILITY_SCREENING_SIGNER: "responsible", the staff member responsible for
    # the client (the intake records them: the clerk who submitted it, or the one they
    # chose), or "lead", the facility's lead. The lead is the staff account
    # FACILITY_LEAD_EMAIL (its profile), or FACILITY_LEAD_NAME with _CREDENTIAL and
    # _REGISTRATION. Whichever is unknown, the other signs; neither: TRAINER_* settings.
    screening_signer: str = "responsible"
    lead_email: str | None = None
    lead_name: str | None = None
    lead_credential: str | None = None
    lead_registration: str | None = None

    # Admins sign in only with a TOTP code (INSCOPE_ADMIN_TOTP=required|optional):
    # required by default outside development mode (issue 12 item 5).
    admin_totp_required: bool = True
    # INSCOPE_ERASURE_LOG: a file (on storage the database backups do not hold) where
    # every erasure request is appended, so a restore re-applies them
    # (docs/backups.md; inscope_common.client_rights.reapply_erasures).
    erasure_log: str | None = None

    # The identity owner's own: signs every staff session and API token (Ed25519,
    # inscope_common.auth); the other services hold only the public key. The default is
    # for development only: every deployment sets INSCOPE_STAFF_TOKEN_PRIVATE_KEY.
    staff_token_private_key: str = DEV_STAFF_PRIVATE_KEY

    @property
    def token_max_age_s(self) -> int:
        return int(self.token_max_age_days * 86400)

    @property
    def uses_dev_token_secret(self) -> bool:
        return self.token_secret == DEV_TOKEN_SECRET

    def secret_values(self) -> dict[str, str]:
        return {
            **super().secret_values(),
            "REFERRAL_TOKEN_SECRET": self.token_secret,
            "INSCOPE_STAFF_TOKEN_PRIVATE_KEY": self.staff_token_private_key,
        }

    def public_secret_values(self) -> frozenset[str]:
        return PUBLIC_SECRET_VALUES | {DEV_TOKEN_SECRET}


def load_settings(env: Mapping[str, str] | None = None) -> ReferralSettings:
    env = os.environ if env is None else env
    base = ServiceSettings.from_env(SERVICE, env)
    inherited = {f.name: getattr(base, f.name) for f in fields(ServiceSettings)}
    return ReferralSettings(
        **inherited,
        token_secret=env.get("REFERRAL_TOKEN_SECRET") or DEV_TOKEN_SECRET,
        staff_token_private_key=_staff_private_key(env, base.staff_token_public_key),
        token_max_age_days=_number(env, "REFERRAL_TOKEN_MAX_AGE_DAYS", 30.0),
        # REFERRAL_URL is where other services reach us; physicians may need another
        # address (a public host name behind a proxy), hence a setting of its own.
        public_url=(env.get("REFERRAL_PUBLIC_URL") or base.urls["referral"]).rstrip("/"),
        reminder_days=_number(env, "REFERRAL_REMINDER_DAYS", 7.0),
        max_reminders=int(_number(env, "REFERRAL_MAX_REMINDERS", 2, whole=True)),
        progress_weeks=_number(env, "REFERRAL_PROGRESS_WEEKS", 12.0),
        sweep_interval_s=_number(env, "REFERRAL_SWEEP_INTERVAL", 3600.0),
        status_waiters=int(_number(env, "REFERRAL_STATUS_WAITERS", 4, whole=True)),
        sender=sender_from(base.facility_name, env),
        screening_signer=_screening_signer(env),
        lead_email=_text(env, "FACILITY_LEAD_EMAIL"),
        lead_name=_text(env, "FACILITY_LEAD_NAME"),
        lead_credential=_text(env, "FACILITY_LEAD_CREDENTIAL"),
        lead_registration=_text(env, "FACILITY_LEAD_REGISTRATION"),
        admin_totp_required=_admin_totp(env, base.development),
        erasure_log=(env.get("INSCOPE_ERASURE_LOG") or "").strip() or None,
    )


SCREENING_SIGNERS = ("responsible", "lead")


def _screening_signer(env: Mapping[str, str]) -> str:
    raw = (env.get("FACILITY_SCREENING_SIGNER") or "responsible").strip().lower()
    if raw not in SCREENING_SIGNERS:
        raise ConfigError(f"FACILITY_SCREENING_SIGNER must be responsible or lead, got {raw!r}")
    if raw == "lead" and not (
        _text(env, "FACILITY_LEAD_EMAIL") or _text(env, "FACILITY_LEAD_NAME")
    ):
        raise ConfigError(
            "FACILITY_SCREENING_SIGNER=lead needs FACILITY_LEAD_EMAIL (a staff account) or "
            "FACILITY_LEAD_NAME (with FACILITY_LEAD_CREDENTIAL, FACILITY_LEAD_REGISTRATION)"
        )
    return raw


def _text(env: Mapping[str, str], name: str) -> str | None:
    return (env.get(name) or "").strip() or None


def _admin_totp(env: Mapping[str, str], development: bool) -> bool:
    raw = env.get("INSCOPE_ADMIN_TOTP") or ("optional" if development else "required")
    if raw.strip().lower() not in ("required", "optional"):
        raise ConfigError(f"INSCOPE_ADMIN_TOTP must be required or optional, got {raw!r}")
    return raw.strip().lower() == "required"


def _number(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    """A number above 0 (a whole number, 0 allowed, when ``whole``)."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {raw!r}")
    if whole and (value < 0 or not value.is_integer()):
        raise ConfigError(f"{name} must be a whole number, 0 or more, got {raw!r}")
    if not whole and value <= 0:
        raise ConfigError(f"{name} must be above 0, got {raw!r}")
    return value


def _staff_private_key(env: Mapping[str, str], public: str) -> str:
    """INSCOPE_STAFF_TOKEN_PRIVATE_KEY, checked to be the pair of the public key every
    service verifies with (else no service would accept what this one signs). Unset: the
    development key with the development public key, else none (this process cannot sign;
    the web role, which must, is refused at start-up by enforce_secrets)."""
    name = "INSCOPE_STAFF_TOKEN_PRIVATE_KEY"
    if not (env.get(name) or "").strip():
        return DEV_STAFF_PRIVATE_KEY if public == DEV_STAFF_PUBLIC_KEY else ""
    private = key_setting(env, name, DEV_STAFF_PRIVATE_KEY, private=True)
    if PUBLIC_SECRET_VALUES & {private, public}:
        return private  # a public value: enforce_secrets names it
    if keys.public_text(keys.private_key(private, name)) != public:
        raise ConfigError(
            "INSCOPE_STAFF_TOKEN_PRIVATE_KEY is not the pair of INSCOPE_STAFF_TOKEN_PUBLIC_KEY"
        )
    return private
