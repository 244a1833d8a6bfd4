"""Service configuration, read from the environment in one place.

Each service calls :meth:`ServiceSettings.from_env` once (in its own ``config`` module);
nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from inscope_common import keys
from inscope_common.events.signing import (
    PUBLIC_VARIABLE,
    SIGNING_VARIABLE,
    EventKeys,
    EventKeysError,
    dev_key_values,
)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_SMTP_URL = "smtp://127.0.0.1:2525"
# The development staff token key pair (inscope_common.keys: derived from a public seed).
DEV_STAFF_PUBLIC_KEY = keys.dev_public_key(keys.STAFF_KEY)
DEV_STAFF_PRIVATE_KEY = keys.dev_private_key(keys.STAFF_KEY)
DEV_INTERNAL_TOKEN = "dev-internal-token"
# Secrets shorter than this are refused outside development mode.
MIN_SECRET_LENGTH = 32
# Values published in this repository (code defaults, deploy/compose.env.example): anyone
# can read them, so outside development mode a service refuses to start with one.
PUBLIC_SECRET_VALUES = frozenset(
    {
        *keys.dev_key_values(),
        DEV_INTERNAL_TOKEN,
        # The development event keys, private and public (inscope_common.events.signing).
        *dev_key_values(),
        "change-me",
        "change-me-too",
        "change-me-auth-secret",
        "change-me-previsit-secret",
        "change-me-staff-token-private-key",
        "change-me-staff-token-public-key",
        "change-me-notify-service-key",
        "change-me-notify-service-public-key",
        "change-me-referral-service-key",
        "change-me-referral-service-public-key",
        "change-me-referral-token-secret",
        "change-me-event-signing-key",
        # deploy/compose.env.example's event keys, one pair per service.
        *(f"change-me-{s}-event-{kind}-key" for s in ("intake", "assessment", "referral",
          "notify") for kind in ("signing", "public")),  # fmt: skip
        "change-me-redis-password",
    }
)
# INSCOPE_ENV=development (set by `make run`'s suite and the tests) lets the public
# development secrets through with one warning per process; anything else fails closed.
DEVELOPMENT = "development"
_log = logging.getLogger("inscope.secrets")
_warned_once = False


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


class InsecureSecrets(ConfigError):
    """Outside development mode, a secret is unset, public or too short."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _choice(
    env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str | None = None
) -> str:
    """One of ``choices`` (case as written there); unset or empty: ``default``, else the
    first choice."""
    raw = (env.get(name) or default or choices[0]).strip()
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")


if TYPE_CHECKING:
    from inscope_common.localtime import Locale


def _language(raw: str | None) -> str:
    from babel import Locale as BabelLocale
    from babel import UnknownLocaleError

    value = (raw or "").strip().replace("-", "_") or "en"
    try:
        BabelLocale.parse(value)
    except (ValueError, UnknownLocaleError):
        raise ConfigError(f"FACILITY_LANGUAGE must be a language code such as en or es, "
                          f"not {raw!r}") from None
    return value


def _locale(env: Mapping[str, str]) -> Locale:
    from inscope_common.localtime import Locale

    return Locale.from_env(env)


@dataclass(frozen=True)
class ServiceSettings:
    service: str
    data_dir: Path
    database_url: str
    redis_url: str
    smtp_url: str
    # How long a message a worker took may stay unacknowledged before Redis gives it to
    # another worker (a worker parent SIGKILLed while holding it). Must stay above the
    # longest task; retries wait in the database (scheduled_retries, the notify
    # deliveries' next_attempt_at), never as countdowns held by a worker, so it is short.
    visibility_timeout_s: int = 90
    # The delivery ledger (inscope_common.delivery_ledger): an event a consumer has not
    # settled this long after it was sent is published to it again from the outbox
    # (kombu can lose a message a worker parent popped and died holding). Defaults to
    # the visibility timeout; keep it well above the longest task.
    redeliver_after_s: float = 90.0
    max_retries: int = 5
    retry_backoff_base_s: float = 2.0
    retry_backoff_max_s: float = 300.0
    relay_interval_s: float = 1.0
    # The relay leaves fresh rows to the publish-right-after-commit path.
    relay_grace_s: float = 2.0
    publish_timeout_s: float = 2.0
    # The fast path right after a commit gives up on the broker within this time (one
    # try, no reconnection), and a circuit breaker then skips it for breaker_cooldown_s.
    fast_publish_timeout_s: float = 0.1
    breaker_cooldown_s: float = 5.0
    max_body_bytes: int = 256 * 1024
    # This service's own key for calls to other services (inscope_common.service_auth,
    # <SERVICE>_SERVICE_KEY), and the public keys of the services that may call it
    # (<SERVICE>_SERVICE_PUBLIC_KEY; development keys only in development mode).
    service_key: str = ""
    service_public_keys: Mapping[str, str] = field(default_factory=dict)
    # Verifies staff session cookies and API tokens (inscope_common.auth), which only the
    # identity owner signs (its private key is in its own settings). The default is for
    # development only: every deployment sets INSCOPE_STAFF_TOKEN_PUBLIC_KEY.
    staff_token_public_key: str = DEV_STAFF_PUBLIC_KEY
    # Signs the events this service stages with its own Ed25519 key and verifies those
    # it consumes with their publisher's public key (inscope_common.events.signing):
    # INSCOPE_EVENT_SIGNING_KEY and INSCOPE_EVENT_PUBLIC_KEYS; unset: the development
    # keys of this service (refused outside development mode).
    event_keys: EventKeys = None  # type: ignore[assignment]  # set in __post_init__
    urls: Mapping[str, str] = field(default_factory=dict)
    mail_from: str = "InScope <no-reply@inscope.local>"
    facility_name: str = "InScope Corrective Exercise Studio"
    # Named wherever an emergency is shown (inscope_clinical.journey, REF-3).
    emergency_number: str = "911"
    # Test-only fault injection: hold a consumer between its work and its commit so a
    # test can SIGKILL the worker mid-task. Unset in every real deployment.
    fault_hold_file: str | None = None
    # How start-up treats the schema: "check" (every deployment: the database must be at
    # the code's newest migration, see inscope_common.migrations) or "create" (tests'
    # fast path: create the tables from the models and stamp the newest revision).
    schema_mode: str = "check"
    # Logs (inscope_common.logs): JSON lines by default (deployment), "console" for
    # readable lines (make run sets it); the level of this package's and the root logger.
    log_format: str = "json"
    log_level: str = "INFO"
    # Metrics (inscope_common.metrics): the port a worker or relay serves /metrics on
    # (web processes serve it on their own port); unset: no metrics server.
    metrics_port: int | None = None
    # Touched by workers, relays and beat while they work: their container healthcheck.
    heartbeat_file: str | None = None
    # Set by `make run` (inscope-suite), which states the development defaults once.
    under_suite: bool = False
    # INSCOPE_ENV: "production" (the default: weak secrets refused at start-up) or
    # "development" (`make run`, the tests: public defaults accepted with a warning).
    environment: str = "production"
    # Revocation (inscope_common.revocation): how long a service trusts its copy of the
    # revocation list before reading it again; a signed-in session idle this long ends;
    # the longest an API token may live (the CLI and the admin page refuse more).
    revocation_cache_s: float = 2.0
    session_idle_s: int = 30 * 60
    api_token_max_days: float = 90.0
    # Reverse proxies in front of the web services whose X-Forwarded-For/-Proto the
    # apps trust (werkzeug ProxyFix); 0 = none (the app is reached directly).
    proxy_hops: int = 0
    # Idempotency keys (inscope_common.idempotency) are kept this long, then swept by the
    # relay: a retry with the same key within it replays, after it creates anew.
    idempotency_retention_s: float = 24 * 3600.0
    # How long the relay keeps published events, inbox rows, dead letters and failed
    # sign-ins (inscope_common.retention; INSCOPE_RETENTION_<KIND>_DAYS, 0 = for ever).
    retention_s: Mapping[str, float] = field(default_factory=lambda: _retention({}))
    # The facility's time zone, date format and paper size (FACILITY_TIME_ZONE,
    # FACILITY_LOCALE, FACILITY_PAPER; inscope_common.localtime).
    locale: Locale = field(default_factory=lambda: _locale({}))
    # The facility's language (FACILITY_LANGUAGE, e.g. "en", "es"): the staff pages,
    # letters and the default for a client who names no language of their own; "en" is
    # the source text (message catalogs, docs/languages.md).
    language: str = "en"

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None) -> ServiceSettings:
        env = os.environ if env is None else env
        prefix = service.upper()
        data_dir = Path(env.get("INSCOPE_DATA_DIR") or "var").resolve()
        database_url = (
            env.get(f"{prefix}_DATABASE_URL")
            or env.get("DATABASE_URL")
            or f"sqlite:///{data_dir / 'db' / (service + '.sqlite3')}"
        )
        urls = {
            name: env.get(f"{name.upper()}_URL") or f"http://127.0.0.1:{port}"
            for name, port in (
                ("intake", 5101),
                ("assessment", 5102),
                ("referral", 5103),
                ("notify", 5104),
            )
        }
        return cls(
            service=service,
            data_dir=data_dir,
            database_url=database_url,
            redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            smtp_url=env.get("SMTP_URL") or DEFAULT_SMTP_URL,
            visibility_timeout_s=_int(env, "INSCOPE_VISIBILITY_TIMEOUT", 90),
            redeliver_after_s=_float(
                env, "INSCOPE_REDELIVER_AFTER", float(_int(env, "INSCOPE_VISIBILITY_TIMEOUT", 90))
            ),
            max_retries=_int(env, "INSCOPE_MAX_RETRIES", 5),
            retry_backoff_base_s=_float(env, "INSCOPE_RETRY_BACKOFF_BASE", 2.0),
            retry_backoff_max_s=_float(env, "INSCOPE_RETRY_BACKOFF_MAX", 300.0),
            relay_interval_s=_float(env, "INSCOPE_RELAY_INTERVAL", 1.0),
            relay_grace_s=_float(env, "INSCOPE_RELAY_GRACE", 2.0),
            publish_timeout_s=_float(env, "INSCOPE_PUBLISH_TIMEOUT", 2.0),
            fast_publish_timeout_s=_float(env, "INSCOPE_FAST_PUBLISH_TIMEOUT", 0.1),
            breaker_cooldown_s=_float(env, "INSCOPE_BREAKER_COOLDOWN", 5.0),
            max_body_bytes=_int(env, "INSCOPE_MAX_BODY_BYTES", 256 * 1024),
            service_key=key_setting(
                env, keys.key_variable(service), keys.dev_private_key(service), private=True
            ),
            service_public_keys=_service_public_keys(env),
            staff_token_public_key=key_setting(
                env, "INSCOPE_STAFF_TOKEN_PUBLIC_KEY", DEV_STAFF_PUBLIC_KEY, private=False
            ),
            event_keys=_event_keys(env, service),
            urls=urls,
            mail_from=env.get("MAIL_FROM") or "InScope <no-reply@inscope.local>",
            facility_name=env.get("FACILITY_NAME") or "InScope Corrective Exercise Studio",
            emergency_number=(env.get("EMERGENCY_NUMBER") or "911").strip() or "911",
            fault_hold_file=env.get("INSCOPE_FAULT_HOLD_FILE") or None,
            schema_mode=_choice(env, "INSCOPE_SCHEMA", ("check", "create")),
            log_format=_choice(env, "INSCOPE_LOG_FORMAT", ("json", "console"), "json"),
            log_level=_choice(
                env, "INSCOPE_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"
            ),
            metrics_port=_int(env, "INSCOPE_METRICS_PORT", 0) or None,
            heartbeat_file=env.get("INSCOPE_HEARTBEAT_FILE") or None,
            under_suite=env.get("INSCOPE_SUITE") == "1",
            environment=_choice(env, "INSCOPE_ENV", ("production", DEVELOPMENT)),
            revocation_cache_s=_float(env, "INSCOPE_REVOCATION_CACHE_S", 2.0),
            session_idle_s=int(_float(env, "INSCOPE_SESSION_IDLE_MINUTES", 30.0) * 60),
            api_token_max_days=_float(env, "INSCOPE_API_TOKEN_MAX_DAYS", 90.0),
            proxy_hops=_int(env, "INSCOPE_PROXY_HOPS", 0),
            idempotency_retention_s=_float(env, "INSCOPE_IDEMPOTENCY_RETENTION_HOURS", 24.0)
            * 3600.0,
            locale=_locale(env),
            retention_s=_retention(env),
            language=_language(env.get("FACILITY_LANGUAGE")),
        )

    def __post_init__(self) -> None:
        if self.event_keys is None:
            object.__setattr__(self, "event_keys", EventKeys.development(self.service))

    @property
    def development(self) -> bool:
        return self.environment == DEVELOPMENT

    def secret_values(self) -> dict[str, str]:
        """Every secret this service's settings hold, by the variable that sets it (a
        key setting's entries as ``VARIABLE[key id]``)."""
        event_keys = self.event_keys.secret_values()
        return {
            # Not a secret, but a public (development) one pairs with a public private key.
            "INSCOPE_STAFF_TOKEN_PUBLIC_KEY": self.staff_token_public_key,
            keys.key_variable(self.service): self.service_key,
            **{
                keys.public_key_variable(name): self.service_public_keys.get(name, "")
                for name in keys.SERVICES
            },
            # The broker's password travels in its URL (redis://:PASSWORD@host/db).
            "REDIS_URL": redis_password(self.redis_url),
            **event_keys,
        }

    def public_secret_values(self) -> frozenset[str]:
        """Values a secret must never have outside development mode."""
        return PUBLIC_SECRET_VALUES

    @property
    def queue(self) -> str:
        return queue_for(self.service)


def secret_problems(settings: ServiceSettings, names: Iterable[str]) -> list[str]:
    """What is wrong with each of the named secrets (those a process needs)."""
    values = settings.secret_values()
    public = settings.public_secret_values()
    wanted = set(names)
    problems = []
    for label, value in sorted(values.items()):
        if label.partition("[")[0] not in wanted:
            continue
        base, _, kid = label.partition("[")
        name = SECRET_LABELS.get(base, base)
        of = f" (key id {kid.rstrip(']')!r})" if kid else ""
        if not value:
            problems.append(f"{name} is not set{of}")
        elif value in public:
            problems.append(f"{name} is unset or a public default/example value{of}")
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{name} is shorter than {MIN_SECRET_LENGTH} characters{of}")
    return problems


# How a problem names a secret that is part of a larger setting.
SECRET_LABELS = {"REDIS_URL": "the password in REDIS_URL (redis://:PASSWORD@host:port/db)"}


def redis_password(url: str) -> str:
    """The password a redis:// or rediss:// URL carries ('' without one)."""
    try:
        return unquote(urlsplit(url).password or "")
    except ValueError:
        return ""


def _retention(env: Mapping[str, str]) -> dict[str, float]:
    from inscope_common.retention import DAY_S, DEFAULT_DAYS, retention_variable

    periods = {}
    for kind, default in DEFAULT_DAYS.items():
        days = _float(env, retention_variable(kind), default)
        if days < 0:
            raise ConfigError(f"{retention_variable(kind)} must be 0 (keep) or more days")
        periods[kind] = days * DAY_S
    return periods


def key_setting(env: Mapping[str, str], name: str, default: str, private: bool) -> str:
    """One Ed25519 key setting (inscope_common.keys), checked to be one; unset: the
    development key (refused outside development mode by enforce_secrets)."""
    value = (env.get(name) or "").strip() or default
    if value in PUBLIC_SECRET_VALUES:
        return value  # an example value: enforce_secrets refuses it, naming the variable
    try:
        (keys.private_key if private else keys.public_key)(value, name)
    except keys.KeyFormatError as exc:
        raise ConfigError(str(exc)) from exc
    return value


def _service_public_keys(env: Mapping[str, str]) -> dict[str, str]:
    """The callers' public service keys this process was given; in development mode the
    development key of every service not given (never outside it: an unset key admits
    no one)."""
    development = (env.get("INSCOPE_ENV") or "").strip().lower() == DEVELOPMENT
    found = {}
    for name in keys.SERVICES:
        variable = keys.public_key_variable(name)
        if (env.get(variable) or "").strip() or development:
            found[name] = key_setting(env, variable, keys.dev_public_key(name), private=False)
    return found


def _event_keys(env: Mapping[str, str], service: str) -> EventKeys:
    """The service's signing key and the publishers' public keys. Either half unset
    gives the development one; a published example value (no key) gives the development
    keys with the configured values kept: :func:`enforce_secrets` refuses development
    and example values outside development mode, naming the variable. Anything else
    must parse."""
    dev = EventKeys.development(service)
    signing = (env.get(SIGNING_VARIABLE) or "").strip() or f"{dev.signing_kid}:{dev.signing_text}"
    public = (env.get(PUBLIC_VARIABLE) or "").strip() or ",".join(
        f"{p}:{k}:{text}" for (p, k), text in dev.public_texts.items()
    )
    kid, _, signing_text = signing.partition(":")
    public_texts = {
        (entry.partition(":")[0], entry.partition(":")[2].partition(":")[0]):
            entry.partition(":")[2].partition(":")[2]
        for entry in (part.strip() for part in public.split(",")) if entry
    }  # fmt: skip
    try:
        return EventKeys.parse(service, signing, public)
    except EventKeysError as exc:
        published = {signing_text, *public_texts.values()} & PUBLIC_SECRET_VALUES
        if published:
            # An example value (no key at all): enforce_secrets names it.
            return replace(dev, signing_kid=kid or dev.signing_kid, signing_text=signing_text,
                           public_texts=public_texts)  # fmt: skip
        raise ConfigError(str(exc)) from exc


def enforce_secrets(settings: ServiceSettings, names: Iterable[str]) -> None:
    """Fail closed: refuse to start on a missing, public or short secret, naming it.

    In development mode (INSCOPE_ENV=development) log one warning per process instead.
    """
    global _warned_once
    problems = secret_problems(settings, names)
    if not problems:
        return
    if not settings.development:
        raise InsecureSecrets(
            f"{settings.service} refuses to start: {'; '.join(problems)}. Set each to a "
            f"random value of at least {MIN_SECRET_LENGTH} characters (e.g. `python -c "
            '"import secrets; print(secrets.token_urlsafe(48))"`), or set '
            "INSCOPE_ENV=development on a developer's machine."
        )
    if not _warned_once and not settings.under_suite:  # `make run`'s banner says it
        _warned_once = True
        _log.warning(
            "INSCOPE_ENV=development: running with insecure secrets (%s). Never use "
            "development mode with real data.",
            "; ".join(problems),
        )


def queue_for(service: str) -> str:
    """The durable Redis list a service's worker consumes."""
    return f"inscope.{service}"
