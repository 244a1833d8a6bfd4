"""docker-compose.yml gives each service what its declared contract says it needs.

Each service declares, in ``inscope_<service>/deployment.py``, its port, its roles and,
per role, the settings a deployment must supply, those it may tune and the services it
calls (inscope_common.deployment). These tests hold the compose file against those
declarations, and the declarations against the code where that is cheap (the entry
points exist, every declared variable is one the service's settings read). No Docker
engine runs here; ``docker compose config`` validates the file where one is installed.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from inscope_common.config import queue_for
from inscope_common.deployment import PLATFORM_ENV, ServiceContract
from inscope_common.devtools.suite import WORKER_PROCESSES, worker_args

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES_SPEC: dict[str, dict[str, Any]] = COMPOSE["services"]
SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
ENV_EXAMPLE = REPO / "deploy" / "compose.env.example"
INIT_SQL = (REPO / "deploy" / "postgres" / "init-databases.sql").read_text()
INFRA = {"redis", "postgres"}
EDGE = "edge"  # the reverse proxy in front of the web containers (deploy/caddy/Caddyfile)
NAMES = ("intake", "assessment", "referral", "notify")
CONTRACTS: dict[str, ServiceContract] = {
    name: importlib.import_module(f"inscope_{name}.deployment").CONTRACT for name in NAMES
}
CONTAINERS = [
    (f"{name}-{role}", contract, role)
    for name, contract in CONTRACTS.items()
    for role in contract.roles
]
REQUIRED = re.compile(r"^\$\{(\w+):\?[^}]+\}$")


def spec(container: str) -> dict[str, Any]:
    assert container in SERVICES_SPEC, f"docker-compose.yml has no {container}"
    return SERVICES_SPEC[container]


def environment(container: str) -> dict[str, str]:
    env = spec(container).get("environment") or {}
    assert isinstance(env, dict), f"{container}: environment as a mapping"
    return {k: str(v) for k, v in env.items()}


def test_the_containers_are_exactly_the_declared_roles():
    declared = {name for name, _, _ in CONTAINERS}
    # Tools behind a profile (Prometheus, Grafana, Mailpit) are not InScope roles; they
    # stay out of a plain `docker compose up` (tests/deploy/test_observability.py).
    optional = {name for name, spec in SERVICES_SPEC.items() if spec.get("profiles")}
    assert set(SERVICES_SPEC) - INFRA - {EDGE} - optional == declared
    beats = [name for name, _, role in CONTAINERS if role == "beat"]
    assert len(beats) <= 1, f"one Celery beat per deployment, got {beats}"


@pytest.mark.parametrize(("container", "contract", "role"), CONTAINERS)
def test_each_container_runs_its_role(container, contract, role):
    argv = [str(a) for a in spec(container)["command"]]
    service, package = contract.service, f"inscope_{contract.service}"
    if role == "web":
        assert argv[0] == "gunicorn" and argv[-1] == f"{package}:create_app()", argv
        assert argv[argv.index("--bind") + 1] == f"0.0.0.0:{contract.port}", argv
        assert spec(container).get("healthcheck"), f"{container} needs a healthcheck"
        published = [str(p).rsplit(":", 2)[-2:] for p in spec(container).get("ports", [])]
        assert published == [[str(contract.port), str(contract.port)]], published
    elif role in ("worker", "beat"):
        assert argv[:4] == ["celery", "-A", f"{package}.worker", role], argv
        if role == "worker":
            assert argv[argv.index("--queues") + 1] == queue_for(service), argv
            # The same pool and options as `make run` (issue 13: threads, notify's one
            # thread a process; no gossip, mingle or heartbeat), and as many processes:
            # notify's two are two replicas (each its own host name, so `%h` tells
            # their Celery nodes apart).
            assert argv[4:] == worker_args(service), argv
            replicas = (spec(container).get("deploy") or {}).get("replicas", 1)
            assert replicas == WORKER_PROCESSES.get(service, 1), container
            if replicas > 1:
                assert "container_name" not in spec(container), container
    else:
        assert role in ("relay", "migrate"), role
        assert argv == [f"inscope-{service}", role], argv
        assert f"inscope-{service}" in SCRIPTS
    if role == "migrate":
        assert spec(container).get("restart") == "no", f"{container} runs once"
    else:  # one crash is one crash: Docker restarts a long-running container that exits
        assert spec(container).get("restart") in ("unless-stopped", "always", "on-failure")


@pytest.mark.parametrize("name", sorted(INFRA))
def test_redis_and_postgres_are_restarted_when_they_die(name):
    assert spec(name).get("restart") in ("unless-stopped", "always", "on-failure")


@pytest.mark.parametrize(("container", "contract", "role"), CONTAINERS)
def test_each_container_gets_what_its_role_needs_and_nothing_else(container, contract, role):
    env = environment(container)
    allowed = contract.env_names(role)
    assert not set(env) - allowed, f"{container} sets {sorted(set(env) - allowed)}"
    assert set(PLATFORM_ENV) <= set(env), f"{container} lacks {set(PLATFORM_ENV) - set(env)}"
    url = env["DATABASE_URL"]
    assert re.fullmatch(rf"postgresql\+psycopg://\w+:\$\{{POSTGRES_PASSWORD:\?[^}}]+\}}@postgres:5432/{contract.service}", url), url  # noqa: E501
    assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379/0", env["REDIS_URL"])
    for name in contract.required(role):
        assert name in env, f"{container} must be given {name}"
        assert REQUIRED.match(env[name]), f"{container}: {name} comes from .env, required"
    for name in contract.roles[role].calls:
        target = CONTRACTS[name]
        assert env[f"{name.upper()}_URL"] == f"http://{name}-web:{target.port}"


@pytest.mark.parametrize(("container", "contract", "role"), CONTAINERS)
def test_each_container_starts_after_what_it_needs(container, contract, role):
    depends = spec(container).get("depends_on") or {}
    for infra in INFRA:
        assert depends.get(infra) == {"condition": "service_healthy"}, f"{container}: {infra}"
    migrate = f"{contract.service}-migrate"
    if role != "migrate":
        # Services refuse a database that is not at their newest migration.
        assert depends.get(migrate) == {"condition": "service_completed_successfully"}
    for name in contract.roles[role].calls:
        called = spec(f"{name}-web").get("depends_on") or {}
        if f"{contract.service}-web" in called:
            continue  # the other way round already (intake's page reads referral lazily)
        assert depends.get(f"{name}-web") == {"condition": "service_healthy"}, container
    if role in ("worker", "relay", "beat"):  # a service that cannot start fails in one place
        assert depends.get(f"{contract.service}-web") == {"condition": "service_healthy"}


def test_every_container_agrees_on_a_short_visibility_timeout():
    """Retries wait in the database; only the fallback countdown waits in the broker, and
    a dead worker's message comes back within the timeout plus kombu's 10 s scan."""
    from inscope_common.consumer import SHORT_COUNTDOWN_S

    timeouts = {environment(c)["INSCOPE_VISIBILITY_TIMEOUT"] for c, _, _ in CONTAINERS}
    assert len(timeouts) == 1, f"every Celery client agrees on the timeout: {timeouts}"
    assert SHORT_COUNTDOWN_S < int(timeouts.pop()) <= 110


def test_every_required_setting_has_an_example_and_every_service_a_database():
    example = {
        line.partition("=")[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    text = (REPO / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required <= example, f"missing from {ENV_EXAMPLE.name}: {required - example}"
    for name in NAMES:
        assert f"CREATE DATABASE {name};" in INIT_SQL


class Recorder(dict):
    """An environment that records what a settings loader asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return default

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return False


@pytest.mark.parametrize("name", NAMES)
def test_every_declared_setting_is_one_the_service_reads(name):
    """Keeps the contracts honest: a declared variable the code no longer reads (a
    renamed setting, say) fails here."""
    config = importlib.import_module(f"inscope_{name}.config")
    recorder = Recorder()
    base = config.load_settings(recorder)
    for attr, loader in vars(config).items():  # notify's letter details, say
        if attr.startswith("load_") and inspect.isfunction(loader):
            params = inspect.signature(loader).parameters
            loader(*[recorder if p == "env" else base for p in params])
    declared = set().union(*(CONTRACTS[name].env_names(r) for r in CONTRACTS[name].roles))
    unread = declared - recorder.asked - {"INSCOPE_VISIBILITY_TIMEOUT"} - {"REDIS_URL"}
    assert not unread, f"{name} declares {sorted(unread)}, which its settings never read"


@pytest.mark.parametrize("name", NAMES)
def test_the_declared_entry_points_exist(name):
    package = importlib.import_module(f"inscope_{name}")
    assert callable(package.create_app)
    cli = importlib.import_module(f"inscope_{name}.cli").cli
    assert {"migrate", "relay"} <= set(cli.commands)
    roles = CONTRACTS[name].roles
    if {"worker", "beat"} & set(roles):
        source = Path(package.__file__).with_name("worker.py").read_text()
        assert "celery_app" in source, f"inscope_{name}.worker exposes its Celery app"


def _compose() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_accepts_the_file():
    compose = _compose()
    if compose is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is available")
    done = subprocess.run(
        [*compose, "--env-file", str(ENV_EXAMPLE), "-f", "docker-compose.yml", "config", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# --- the edge (issue 12 item 4) --------------------------------------------------------


def test_the_edge_fronts_every_web_container_and_they_trust_exactly_one_hop():
    edge = spec(EDGE)
    assert edge["image"].startswith("caddy:")
    assert "./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro" in edge["volumes"]
    assert REQUIRED.match(str(edge["environment"]["INSCOPE_SITE"]))
    assert edge.get("restart") in ("unless-stopped", "always")
    caddyfile = (REPO / "deploy" / "caddy" / "Caddyfile").read_text()
    webs = [(c, contract) for c, contract, role in CONTAINERS if role == "web"]
    for container, contract in webs:
        assert environment(container)["INSCOPE_PROXY_HOPS"] == "1", container
        assert (edge["depends_on"] or {}).get(container) == {"condition": "service_healthy"}
        assert f"reverse_proxy {container}:{contract.port}" in caddyfile, container
    # TLS and HSTS, slow clients and sizes bounded, no credential or token in its log.
    assert "Strict-Transport-Security" in caddyfile
    assert re.search(r"read_header \d+s", caddyfile) and re.search(r"read_body \d+s", caddyfile)
    assert re.search(r"max_size \d+KB", caddyfile) and "max_header_size" in caddyfile
    for redacted in ("request>headers>Cookie delete", "request>headers>Authorization delete",
                     "resp_headers>Set-Cookie delete", "(/answer/|/previsit/)"):
        assert redacted in caddyfile, redacted
    assert "INSCOPE_SITE" in ENV_EXAMPLE.read_text()


def test_the_edge_redacts_answer_tokens_from_the_uri_it_logs():
    """The Caddyfile's regexp, applied as Caddy applies it (Go's RE2 syntax is a subset
    of Python's here): the token and any query string are gone."""
    caddyfile = (REPO / "deploy" / "caddy" / "Caddyfile").read_text()
    pattern, replacement = re.search(
        r'request>uri regexp "([^"]+)" "([^"]+)"', caddyfile
    ).groups()
    redact = lambda uri: re.sub(pattern, replacement.replace("${1}", r"\1"), uri)  # noqa: E731
    assert redact("/answer/eyJhbGciOi.secret-token") == "/answer/REDACTED"
    assert "secret" not in redact("/answer/abc.secret/submit?x=1")
    assert redact("/board?q=Robin") == "/boardREDACTED"
    assert redact("/intakes/new") == "/intakes/new"
    assert redact("/previsit/UGQx8Zy-secret_token") == "/previsit/REDACTED"
