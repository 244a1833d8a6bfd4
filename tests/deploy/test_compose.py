"""docker-compose.yml agrees with the code.

No Docker engine runs where these tests run, so the compose file is checked by reading
it: every container's command, environment and dependencies are held against what the
code actually provides (entry points, Celery apps and queues, the variables the config
reads, the ports it defaults to, the event subscriptions), not against a list copied
into this test.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from sqlalchemy.engine import make_url

from inscope_common.config import ServiceSettings, queue_for
from inscope_common.events.routing import SUBSCRIPTIONS, consume_task_name

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / "deploy" / "compose.env.example"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SCRIPTS: dict[str, str] = PYPROJECT["project"]["scripts"]
INITDB_DIR = "/docker-entrypoint-initdb.d"


# --------------------------------------------------------------------------- parsing


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def load_env_example() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env


_VAR = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group("name") or m.group("bare")
        op, arg = m.group("op"), m.group("arg")
        current = env.get(name)
        if op in (":-", ":?") and not current:
            current = None
        if current is not None:
            return current
        if op in ("-", ":-"):
            return arg
        if op in ("?", ":?"):
            raise AssertionError(f"{name} is required: {arg}")
        return ""

    return _VAR.sub(sub, value)


def required_vars(text: str) -> set[str]:
    return {m.group("name") for m in _VAR.finditer(text) if m.group("op") in ("?", ":?")}


def argv_of(spec: Mapping[str, Any]) -> list[str]:
    command = spec.get("command") or []
    assert isinstance(command, list), "commands are written in exec form (a list)"
    return [str(a) for a in command]


def option(argv: list[str], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name:
                return argv[i + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


@dataclass(frozen=True)
class Role:
    container: str
    kind: str  # "web", "worker" or "relay"
    package: str  # the import package, e.g. "inscope_intake"
    service: str  # the service's own name, from its config module
    target: str  # gunicorn app target, celery -A module, or console script
    argv: tuple[str, ...]


def service_of_package(package: str) -> str:
    config = importlib.import_module(f"{package}.config")
    return config.SERVICE


def classify(name: str, spec: Mapping[str, Any]) -> Role:
    argv = argv_of(spec)
    assert argv, f"{name}: an InScope container needs a command (one role per container)"
    if argv[0] == "gunicorn":
        target = argv[-1]
        assert re.fullmatch(r"[\w.]+:[\w.]+(\(\))?", target), f"{name}: app target {target!r}"
        package = target.split(":")[0].split(".")[0]
        kind = "web"
    elif argv[0] == "celery":
        target = option(argv, "-A", "--app") or ""
        assert "worker" in argv, f"{name}: celery runs a worker"
        package = target.split(".")[0].split(":")[0]
        kind = "worker"
    elif argv[0] in SCRIPTS:
        target = argv[0]
        assert argv[1:] == ["relay"], f"{name}: {argv} is not a relay command"
        package = SCRIPTS[target].split(":")[0].split(".")[0]
        kind = "relay"
    else:
        raise AssertionError(f"{name}: {argv[0]!r} is neither gunicorn, celery nor a script")
    return Role(name, kind, package, service_of_package(package), target, tuple(argv))


def is_infra(spec: Mapping[str, Any], kind: str) -> bool:
    return str(spec.get("image", "")).split(":")[0].split("/")[-1] == kind


@dataclass
class Deployment:
    compose: dict[str, Any]
    sample_env: dict[str, str]
    roles: list[Role]
    env: dict[str, dict[str, str]]  # container -> environment, interpolated
    raw_env: dict[str, dict[str, str]]  # container -> environment, as written
    settings: dict[str, ServiceSettings]  # container -> what the code makes of it

    @property
    def services(self) -> dict[str, Any]:
        return self.compose["services"]

    def infra(self, kind: str) -> list[str]:
        return [n for n, s in self.services.items() if is_infra(s, kind)]

    def roles_of(self, kind: str) -> list[Role]:
        return [r for r in self.roles if r.kind == kind]

    def web_of(self, service: str) -> Role:
        webs = [r for r in self.roles_of("web") if r.service == service]
        assert len(webs) == 1, f"{service}: expected one web container, got {webs}"
        return webs[0]


def load_settings_for(role: Role, env: Mapping[str, str]) -> ServiceSettings:
    config = importlib.import_module(f"{role.package}.config")
    return config.load_settings(dict(env))


def build_deployment() -> Deployment:
    compose = load_compose()
    sample = load_env_example()
    roles, env, raw_env, settings = [], {}, {}, {}
    for name, spec in compose["services"].items():
        if is_infra(spec, "redis") or is_infra(spec, "postgres"):
            continue
        role = classify(name, spec)
        roles.append(role)
        raw = spec.get("environment") or {}
        assert isinstance(raw, dict), f"{name}: environment is written as a mapping"
        raw_env[name] = {k: str(v) for k, v in raw.items()}
        env[name] = {k: interpolate(v, sample) for k, v in raw_env[name].items()}
        settings[name] = load_settings_for(role, env[name])
    return Deployment(compose, sample, roles, env, raw_env, settings)


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return build_deployment()


@pytest.fixture(scope="module")
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The process environment while app factories and worker modules are imported:
    SQLite under a temporary folder, whatever the developer's shell holds."""
    data_dir = tmp_path_factory.mktemp("deploy-data")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.endswith("DATABASE_URL"):
                mp.delenv(name)
        mp.setenv("INSCOPE_DATA_DIR", str(data_dir))
        yield data_dir


def package_source(package: str) -> str:
    module = importlib.import_module(package)
    root = Path(module.__file__).parent
    return "\n".join(p.read_text() for p in sorted(root.rglob("*.py")))


def dispose(app: Any) -> None:
    runtime = app.extensions.get("inscope")
    if runtime is not None:
        runtime.engine.dispose()


# ------------------------------------------------------------------------ the checks


def test_every_container_is_infrastructure_or_a_known_role(deployment: Deployment) -> None:
    roles = {r.container for r in deployment.roles}
    for name, spec in deployment.services.items():
        assert name in roles or is_infra(spec, "redis") or is_infra(spec, "postgres"), name
        text = " ".join(argv_of(spec)) + " " + str(spec.get("image", ""))
        for catcher in ("mailhog", "mailpit", "maildev", "smtp4dev", "aiosmtpd", "devtools"):
            assert catcher not in text.lower(), f"{name}: no mail catcher or dev tool here"
    assert len(deployment.infra("redis")) == 1
    assert len(deployment.infra("postgres")) == 1
    # One role per container, one container per role.
    keys = [(r.service, r.kind) for r in deployment.roles]
    assert len(keys) == len(set(keys)), keys


def test_app_containers_build_the_repository_image(deployment: Deployment) -> None:
    images = set()
    for role in deployment.roles:
        spec = deployment.services[role.container]
        build = spec.get("build")
        assert build, f"{role.container}: built from this repository"
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "")
        assert (REPO / context).resolve() == REPO
        assert (REPO / context / (dockerfile or "Dockerfile")).is_file()
        images.add(spec.get("image"))
    assert len(images) == 1, f"one image for every role, got {images}"


def test_gunicorn_targets_build_the_service_app(deployment: Deployment, isolated_env: Path) -> None:
    webs = deployment.roles_of("web")
    assert webs
    for role in webs:
        module_name, _, attr = role.target.partition(":")
        factory = getattr(importlib.import_module(module_name), attr.removesuffix("()"))
        assert callable(factory), role.target
        app = factory() if attr.endswith("()") else factory
        try:
            rules = {rule.rule for rule in app.url_map.iter_rules()}
            assert "/readyz" in rules, f"{role.container}: the code serves no /readyz"
        finally:
            dispose(app)


def test_web_ports_are_the_ports_the_code_defaults_to(deployment: Deployment) -> None:
    for role in deployment.roles_of("web"):
        bind = option(list(role.argv), "--bind", "-b")
        assert bind, f"{role.container}: gunicorn --bind"
        host, _, port = bind.rpartition(":")
        assert host == "0.0.0.0", f"{role.container}: listen on every interface in a container"
        default = ServiceSettings.from_env(role.service, {}).urls[role.service]
        assert int(port) == urlsplit(default).port, f"{role.container}: {bind} vs {default}"
        published = [
            str(p).rsplit(":", 1)[-1] for p in deployment.services[role.container].get("ports", [])
        ]
        assert port in published, f"{role.container}: publish {port}"


def test_web_healthchecks_probe_readyz_on_the_bound_port(deployment: Deployment) -> None:
    for role in deployment.roles_of("web"):
        health = deployment.services[role.container].get("healthcheck") or {}
        test = " ".join(health.get("test") or [])
        probe = re.search(r"http://[^/'\"\s]+:(\d+)/readyz", test)
        assert probe, f"{role.container}: healthcheck probes /readyz"
        bind = option(list(role.argv), "--bind", "-b") or ""
        assert probe.group(1) == bind.rsplit(":", 1)[-1], role.container


def test_celery_workers_load_their_app_and_consume_their_own_queue(
    deployment: Deployment, isolated_env: Path
) -> None:
    workers = deployment.roles_of("worker")
    assert workers
    for role in workers:
        app = find_app(role.target)
        assert isinstance(app, Celery), f"{role.target} exposes no Celery app"
        assert consume_task_name(role.service) in app.tasks, (
            f"{role.container}: {role.target} does not register the service's consumer"
        )
        queues = option(list(role.argv), "--queues", "-Q")
        assert queues == queue_for(role.service), f"{role.container}: --queues {queues}"
        hostname = option(list(role.argv), "--hostname", "-n") or ""
        assert hostname.startswith(f"{role.service}@"), role.container
        flask_app = getattr(importlib.import_module(role.target.split(":")[0]), "flask_app", None)
        if flask_app is not None:
            dispose(flask_app)


def test_every_consuming_service_has_a_worker_and_every_worker_consumes(
    deployment: Deployment,
) -> None:
    consumers = {svc for subscribers in SUBSCRIPTIONS.values() for svc in subscribers}
    workers = {r.service for r in deployment.roles_of("worker")}
    assert consumers <= workers, f"no worker container for {consumers - workers}"
    assert workers <= consumers, f"workers for services that consume nothing: {workers - consumers}"


def test_relays_run_a_real_relay_command_of_a_service_with_an_outbox(
    deployment: Deployment,
) -> None:
    relays = deployment.roles_of("relay")
    for role in relays:
        assert role.target in SCRIPTS, f"{role.target} is not in [project.scripts]"
        module_name = SCRIPTS[role.target].split(":")[0]
        module = importlib.import_module(module_name)
        groups = [v for v in vars(module).values() if isinstance(v, click.Group)]
        assert any("relay" in g.commands for g in groups), f"{role.target} has no relay command"
        models = importlib.import_module(f"{role.package}.models")
        assert hasattr(models, "platform"), f"{role.package} has no outbox to relay"
    # Every service that writes events to its outbox has a relay for the ones the
    # publish-after-commit path misses.
    publishers = {r.service for r in deployment.roles if "add_event(" in package_source(r.package)}
    assert publishers, "no service publishes? the scan is broken"
    assert publishers <= {r.service for r in relays}, publishers


def test_every_program_run_is_installed_by_the_project(deployment: Deployment) -> None:
    """Each command is one of the project's console scripts or one of a declared
    dependency's (gunicorn, celery)."""
    declared = {
        re.split(r"[\[<>=!~;\s]", req, maxsplit=1)[0].lower().replace("_", "-")
        for req in PYPROJECT["project"]["dependencies"]
    }
    for role in deployment.roles:
        program = role.argv[0]
        if program in SCRIPTS:
            continue
        providers = {
            ep.dist.name.lower().replace("_", "-")
            for ep in entry_points(group="console_scripts", name=program)
            if ep.dist is not None
        }
        assert providers & declared, f"{role.container}: {program} comes from no dependency"


def code_env_names() -> set[str]:
    """Every environment variable the services read, found by running their config
    loaders against a mapping that records each name asked for, plus any name read
    straight from os.environ anywhere in the shipped code."""

    class Recorder(dict):
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

    names: set[str] = set()
    for config in sorted(REPO.glob("services/*/inscope_*/config.py")):
        package = config.parent.name
        recorder = Recorder()
        importlib.import_module(f"{package}.config").load_settings(recorder)
        names |= recorder.asked
    direct = re.compile(r"""(?:environ(?:\.get)?\(?\[?|getenv\()\s*["'](\w+)["']""")
    for source in [*REPO.glob("lib/**/*.py"), *REPO.glob("services/**/*.py")]:
        if "devtools" not in source.parts:
            names |= set(direct.findall(source.read_text()))
    return names


def test_every_variable_set_is_one_the_code_reads(deployment: Deployment) -> None:
    known = code_env_names()
    assert {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "INTAKE_URL"} <= known, "recorder broke"
    for container, env in deployment.env.items():
        unknown = set(env) - known
        assert not unknown, f"{container} sets {sorted(unknown)}, which no code reads"


def test_each_service_has_its_own_postgres_database_created_at_init(
    deployment: Deployment,
) -> None:
    (postgres,) = deployment.infra("postgres")
    pg = deployment.services[postgres]
    pg_env = {k: str(v) for k, v in (pg.get("environment") or {}).items()}
    pg_user = pg_env.get("POSTGRES_USER", "postgres")
    created = set()
    for volume in pg.get("volumes", []):
        source, _, rest = str(volume).partition(":")
        if rest.startswith(INITDB_DIR) and source.startswith("."):
            script = (REPO / source).read_text()
            created |= set(re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)", script, re.IGNORECASE))
    assert created, f"no init script mounted into {INITDB_DIR} creates a database"

    by_service: dict[str, set[str]] = {}
    for role in deployment.roles:
        url = make_url(deployment.settings[role.container].database_url)
        assert url.get_backend_name() == "postgresql", f"{role.container}: {url.drivername}"
        url.get_dialect()  # the DBAPI driver named in the URL is installed
        assert url.host == postgres and (url.port or 5432) == 5432, role.container
        assert url.username == pg_user, role.container
        by_service.setdefault(role.service, set()).add(str(url.database))
    databases = {}
    for service, names in by_service.items():
        assert len(names) == 1, f"{service}'s containers disagree on the database: {names}"
        databases[service] = names.pop()
    assert len(set(databases.values())) == len(databases), f"shared database: {databases}"
    missing = set(databases.values()) - created
    assert not missing, f"databases not created by the init script: {missing}"


def test_secrets_come_from_the_environment_only(deployment: Deployment) -> None:
    (postgres,) = deployment.infra("postgres")
    pg_password = str(deployment.services[postgres]["environment"]["POSTGRES_PASSWORD"])
    assert required_vars(pg_password), "POSTGRES_PASSWORD comes from the operator"
    for container, raw in deployment.raw_env.items():
        credentials = raw["DATABASE_URL"].split("://", 1)[1].rpartition("@")[0]
        password = credentials.partition(":")[2]
        assert required_vars(password) == required_vars(pg_password), (
            f"{container}: the database password is the operator's POSTGRES_PASSWORD"
        )
        for name in ("SMTP_URL", "INSCOPE_INTERNAL_TOKEN"):
            if name in raw:
                assert required_vars(raw[name]) == {name}, f"{container}: {name} from env"


def calls_other_services(role: Role) -> bool:
    """Service-to-service HTTP calls happen in event handlers, which run in workers."""
    return role.kind == "worker" and bool(
        re.search(r"""urls\[["']\w+["']\]""", package_source(role.package))
    )


def test_internal_token_is_shared_by_guard_and_callers(deployment: Deployment) -> None:
    dev_default = ServiceSettings.from_env("intake", {}).internal_token
    guards = [
        r
        for r in deployment.roles_of("web")
        if "require_internal_token(" in package_source(r.package)
    ]
    callers = [r for r in deployment.roles if calls_other_services(r)]
    assert guards and callers, "the scan for the internal token's users is broken"
    tokens = set()
    for role in guards + callers:
        assert "INSCOPE_INTERNAL_TOKEN" in deployment.raw_env[role.container], role.container
        token = deployment.settings[role.container].internal_token
        assert token != dev_default, f"{role.container} runs on the development token"
        tokens.add(deployment.raw_env[role.container]["INSCOPE_INTERNAL_TOKEN"])
    assert len(tokens) == 1, f"guard and callers disagree: {tokens}"


def test_all_containers_share_the_durable_broker(deployment: Deployment) -> None:
    (redis_name,) = deployment.infra("redis")
    urls = {deployment.settings[c].redis_url for c in deployment.settings}
    assert len(urls) == 1, f"fan-out needs one broker, got {urls}"
    url = urlsplit(urls.pop())
    assert url.scheme in ("redis", "rediss") and url.hostname == redis_name


def test_redis_keeps_what_it_queued(deployment: Deployment) -> None:
    (redis_name,) = deployment.infra("redis")
    spec = deployment.services[redis_name]
    argv = [interpolate(a, deployment.sample_env) for a in argv_of(spec)]
    assert argv and argv[0] == "redis-server"
    assert option(argv, "--appendonly") == "yes"
    assert option(argv, "--maxmemory-policy") == "noeviction"
    assert any(str(v).split(":")[1] == "/data" for v in spec.get("volumes", [])), "AOF volume"


def test_visibility_timeout_outlasts_the_longest_retry_wait(deployment: Deployment) -> None:
    timeouts = set()
    for container, settings in deployment.settings.items():
        assert settings.visibility_timeout_s > settings.retry_backoff_max_s, container
        timeouts.add(settings.visibility_timeout_s)
    assert len(timeouts) == 1, f"every Celery client agrees on the timeout: {timeouts}"


def test_service_urls_point_at_the_web_containers(deployment: Deployment) -> None:
    for role in deployment.roles:
        settings = deployment.settings[role.container]
        source = package_source(role.package)
        for name, url in settings.urls.items():
            reads = re.search(rf"""urls\[["']{name}["']\]""", source)
            if f"{name.upper()}_URL" not in deployment.env[role.container]:
                assert not (reads and calls_other_services(role)), (
                    f"{role.container} calls {name} but has no {name.upper()}_URL"
                )
                continue
            web = deployment.web_of(name)
            bind = option(list(web.argv), "--bind", "-b") or ""
            parts = urlsplit(url)
            assert parts.hostname == web.container, f"{role.container}: {url}"
            assert str(parts.port) == bind.rsplit(":", 1)[-1], f"{role.container}: {url}"


def test_mail_goes_through_the_operators_relay(deployment: Deployment) -> None:
    from inscope_notify.mail import SMTPConfig  # the one parser of SMTP_URL

    senders = {r.service for r in deployment.roles if "import smtplib" in package_source(r.package)}
    assert senders, "the scan for senders is broken"
    for role in deployment.roles:
        if role.service in senders and role.kind == "worker":
            assert "SMTP_URL" in deployment.raw_env[role.container], role.container
            config = SMTPConfig.from_url(deployment.settings[role.container].smtp_url)
            assert config.host not in ("127.0.0.1", "localhost"), role.container


def test_depends_on_waits_for_what_each_container_uses(deployment: Deployment) -> None:
    services = deployment.services
    for name, spec in services.items():
        depends = spec.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on with conditions"
        for target, cond in depends.items():
            assert target in services, f"{name} depends on unknown {target}"
            assert cond.get("condition") == "service_healthy", f"{name} -> {target}"
            assert services[target].get("healthcheck"), f"{target} has no healthcheck"
    for role in deployment.roles:
        settings = deployment.settings[role.container]
        uses = {
            make_url(settings.database_url).host,
            urlsplit(settings.redis_url).hostname,
        }
        uses |= {
            urlsplit(url).hostname
            for name, url in settings.urls.items()
            if f"{name.upper()}_URL" in deployment.env[role.container]
        }
        uses.discard(role.container)
        depends = set(services[role.container].get("depends_on") or {})
        assert uses <= depends, f"{role.container} uses {uses - depends} without waiting"


def test_required_variables_are_documented(deployment: Deployment) -> None:
    required = required_vars(COMPOSE_FILE.read_text())
    assert required
    assert required <= set(deployment.sample_env), required - set(deployment.sample_env)


# ----------------------------------------------------------------- the image it runs


def dockerignore_excludes(path: str) -> bool:
    """Docker's .dockerignore rules: the last pattern that matches the path or one of
    its parent folders wins; ``!`` re-includes."""

    def regex(pattern: str) -> re.Pattern[str]:
        out, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out, i = out + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                out, i = out + ".*", i + 2
            elif pattern[i] == "*":
                out, i = out + "[^/]*", i + 1
            elif pattern[i] == "?":
                out, i = out + "[^/]", i + 1
            else:
                out, i = out + re.escape(pattern[i]), i + 1
        return re.compile(out)

    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = regex(line.lstrip("!").strip("/"))
        if any(pattern.fullmatch(c) for c in candidates):
            excluded = not negate
    return excluded


def test_dockerfile_installs_the_project_for_postgres_as_a_non_root_user(
    deployment: Deployment,
) -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    major_minor = re.search(r">=\s*(\d+\.\d+)", PYPROJECT["project"]["requires-python"])
    assert major_minor and bases
    assert all(b.startswith(f"python:{major_minor.group(1)}") for b in bases), bases

    install = re.search(r"pip install\s+['\"]?\.\[([\w,]+)\]", dockerfile)
    assert install, "the image installs this project with its extras"
    extras = install.group(1).split(",")
    declared = PYPROJECT["project"]["optional-dependencies"]
    assert all(e in declared for e in extras), extras
    tooling = [req for e in extras for req in declared[e] if req.startswith(("pytest", "ruff"))]
    assert not tooling, f"the image installs test tooling: {tooling}"
    installed = " ".join(
        PYPROJECT["project"]["dependencies"] + [req for e in extras for req in declared[e]]
    )
    for container, settings in deployment.settings.items():
        driver = make_url(settings.database_url).get_driver_name()
        assert driver in installed, f"{container}: {driver} is not installed in the image"

    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0"), users

    sources = ["pyproject.toml"]
    for where in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["where"]:
        sources += [str(p.relative_to(REPO)) for p in (REPO / where).rglob("*.py")]
        sources += [str(p.relative_to(REPO)) for p in (REPO / where).rglob("templates/**/*")]
    kept_out = [s for s in sources if "__pycache__" not in s and dockerignore_excludes(s)]
    assert not kept_out, f".dockerignore leaves out {kept_out[:5]}"
    assert dockerignore_excludes(".venv/bin/python") and dockerignore_excludes(".git/HEAD")


def compose_cli() -> list[str] | None:
    for cli in (["docker", "compose"], ["docker-compose"]):
        if not shutil.which(cli[0]):
            continue
        try:
            probe = subprocess.run(
                [*cli, "version"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return cli
    return None


def test_docker_compose_config_accepts_the_file() -> None:
    cli = compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is available")
    env = {k: v for k, v in os.environ.items() if k not in load_env_example()}
    result = subprocess.run(
        [*cli, "--env-file", str(ENV_EXAMPLE), "--file", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
