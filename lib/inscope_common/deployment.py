"""What a deployment must give each process of a service: a small declaration per
service (``inscope_<service>.deployment.CONTRACT``) that docker-compose.yml is checked
against (tests/deploy/test_compose.py). Change it with the code: a new setting, a new
call to another service, a new role.

Roles: ``migrate`` (one-shot ``inscope-<service> migrate``), ``web`` (gunicorn on the
service's port), ``worker`` (Celery on the service's own queue), ``relay`` (the outbox
relay) and ``beat`` (Celery beat; at most one per deployment).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Every process of every service gets these: its own database, the shared broker and
# the broker's visibility timeout (which every Celery client must agree on).
PLATFORM_ENV = ("DATABASE_URL", "REDIS_URL", "INSCOPE_VISIBILITY_TIMEOUT")
# And these, which the deployment must supply (read by every service's settings; the
# code's defaults are demo values): the emergency number named wherever an emergency is
# shown.
PLATFORM_REQUIRED = ("EMERGENCY_NUMBER",)
# Roles that stage or consume events sign or verify them (inscope_common.events.signing):
# they need the service's own private key and every publisher's public key.
EVENT_ROLES = ("web", "worker", "relay")
EVENT_KEYS = ("INSCOPE_EVENT_SIGNING_KEY", "INSCOPE_EVENT_PUBLIC_KEYS")
# Roles that talk to the broker need its password, carried in REDIS_URL.
BROKER_ROLES = ("web", "worker", "relay", "beat")
# And these, which a deployment may set (inscope_common.localtime; default UTC, ISO dates,
# Letter): the facility's time zone, date format and paper for every time shown.
PLATFORM_OPTIONAL = (
    "FACILITY_TIME_ZONE", "FACILITY_LOCALE", "FACILITY_PAPER", "FACILITY_LANGUAGE",
    # Retention periods the relay sweeps by (inscope_common.retention).
    "INSCOPE_RETENTION_EVENTS_DAYS", "INSCOPE_RETENTION_INBOX_DAYS",
    "INSCOPE_RETENTION_DEAD_LETTERS_DAYS", "INSCOPE_RETENTION_FAILED_LOGINS_DAYS",
    "INSCOPE_RETENTION_DELIVERY_BODIES_DAYS",
)
# Per role, what operations may set (inscope_common.metrics, inscope_common.heartbeat):
# the /metrics port of a worker or relay, and the heartbeat file of their healthcheck.
# What every web process may be told about its place behind the edge (werkzeug
# ProxyFix: how many proxy hops to trust; docker-compose.yml's Caddy is one).
WEB_ENV = {"INSCOPE_PROXY_HOPS"}
OBSERVABILITY_ENV = {
    "worker": {"INSCOPE_METRICS_PORT", "INSCOPE_HEARTBEAT_FILE"},
    "relay": {"INSCOPE_METRICS_PORT", "INSCOPE_HEARTBEAT_FILE"},
    "beat": {"INSCOPE_HEARTBEAT_FILE"},
}


@dataclass(frozen=True)
class Role:
    # Settings a deployment must supply itself (secrets, the facility's details): the
    # code's defaults are for development only. Compose takes them from .env.
    required: tuple[str, ...] = ()
    # Settings a deployment may tune; the code's defaults are fit for production.
    optional: tuple[str, ...] = ()
    # Services whose HTTP API this role calls (it needs <SERVICE>_URL).
    calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceContract:
    service: str
    port: int
    roles: dict[str, Role] = field(default_factory=dict)

    def required(self, role: str) -> tuple[str, ...]:
        """What a deployment must supply to a process of this role."""
        events = EVENT_KEYS if role in EVENT_ROLES else ()
        return (*PLATFORM_REQUIRED, *events, *self.roles[role].required)

    def secrets(self, role: str) -> tuple[str, ...]:
        """The settings :func:`inscope_common.config.enforce_secrets` checks for this
        role: the required ones that are secrets, and the broker's password in
        REDIS_URL (which compose builds from REDIS_PASSWORD)."""
        broker = ("REDIS_URL",) if role in BROKER_ROLES else ()
        return (*self.required(role), *broker)

    def env_names(self, role: str) -> set[str]:
        """Every variable a process of this role may be given."""
        spec = self.roles[role]
        urls = {f"{name.upper()}_URL" for name in spec.calls}
        observe = OBSERVABILITY_ENV.get(role, set())
        web = WEB_ENV if role == "web" else set()
        return (
            set(PLATFORM_ENV)
            | set(PLATFORM_OPTIONAL)
            | set(self.required(role))
            | set(spec.optional)
            | urls
            | observe
            | web
        )
