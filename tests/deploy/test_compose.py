"""docker-compose.yml agrees with the code.

No Docker engine runs where these tests run, so the compose file is checked by reading
it: every container's command, environment and dependencies are held against what the
code actually provides (entry points, Celery apps, queues and beat schedule, the variables
the config reads, the ports it defaults to, the event subscriptions), not against a list
copied into this test.

What a container needs is derived from the code it runs: its views (web), its event
handlers and tasks (worker), followed through the service package to every function they
name (:class:`PackageCode`). A relay and beat run platform code only (the outbox loop,
the scheduler).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
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
SERVICE_CONFIGS = sorted(REPO.glob("services/*/inscope_*/config.py"))


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
    kind: str  # "web", "worker", "relay", "beat" or "migrate"
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
        kinds = [k for k in ("worker", "beat") if k in argv]
        assert len(kinds) == 1, f"{name}: celery runs a worker or beat, got {argv}"
        package = target.split(".")[0].split(":")[0]
        kind = kinds[0]
    elif argv[0] in SCRIPTS:
        target = argv[0]
        assert argv[1:] in (["relay"], ["migrate"]), f"{name}: {argv} is not a relay or migrate"
        package = SCRIPTS[target].split(":")[0].split(".")[0]
        kind = argv[1]
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
        mp.setenv("INSCOPE_SCHEMA", "create")  # the tests' fast path: no migrate step
        yield data_dir


def package_source(package: str) -> str:
    module = importlib.import_module(package)
    root = Path(module.__file__).parent
    return "\n".join(p.read_text() for p in sorted(root.rglob("*.py")))


def dispose(app: Any) -> None:
    runtime = app.extensions.get("inscope")
    if runtime is not None:
        runtime.engine.dispose()


# ------------------------------------------------------------ what each role runs

ROLE_FREE = ("relay", "beat", "migrate")  # platform code only: outbox loop, scheduler, Alembic


@dataclass(frozen=True)
class Def:
    module: str
    qualname: str
    node: ast.AST
    source: str
    owner: str | None  # the class whose ``self`` the function sees


class PackageCode:
    """The functions of one service package, and the package functions each one names
    (directly, through an import, or as ``self.<method>``): enough to follow a view, an
    event handler or a task to the code it runs. A class named counts as all its methods.
    Calls through other objects are not followed, hence the check that every function
    that reads another service's URL is reached by some container."""

    def __init__(self, package: str) -> None:
        root = Path(importlib.import_module(package).__file__).parent
        files = {}
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root.parent).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
        self.modules = set(files)
        self.defs: dict[tuple[str, str], Def] = {}
        self.classes: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.imports: dict[str, dict[str, tuple[str, str | None]]] = {}
        for module, path in files.items():
            text = path.read_text()
            tree = ast.parse(text)
            self._index(module, tree.body, "", None, text)
            self.imports[module] = self._imports(module, tree, path.name == "__init__.py")

    def _index(
        self, module: str, body: list[ast.stmt], prefix: str, owner: str | None, text: str
    ) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                qual = prefix + node.name
                source = ast.get_source_segment(text, node) or ""
                self.defs[module, qual] = Def(module, qual, node, source, owner)
                if owner is not None and prefix == owner + ".":
                    self.classes[module, owner].append((module, qual))
                self._index(module, node.body, qual + ".<locals>.", owner, text)
            elif isinstance(node, ast.ClassDef):
                qual = prefix + node.name
                self.classes[module, qual] = []
                self._index(module, node.body, qual + ".", qual, text)

    def _imports(
        self, module: str, tree: ast.Module, is_package: bool
    ) -> dict[str, tuple[str, str | None]]:
        """name -> (module, None) for a package module, (module, attribute) otherwise."""
        names: dict[str, tuple[str, str | None]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = module.split(".")[: None if is_package else -1]
                    here = here[: len(here) - node.level + 1]
                    base = ".".join([*here, base] if base else here)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    found = (full, None) if full in self.modules else (base, alias.name)
                    names[alias.asname or alias.name] = found
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = (alias.name, None)
        return names

    def things(self, module: str, qualname: str) -> set[tuple[str, str]]:
        if (module, qualname) in self.defs:
            return {(module, qualname)}
        return set(self.classes.get((module, qualname), ()))

    def named_by(self, d: Def) -> set[tuple[str, str]]:
        imports = self.imports[d.module]
        out: set[tuple[str, str]] = set()
        for node in ast.walk(d.node):
            if isinstance(node, ast.Name):
                out |= self.things(d.module, node.id)
                module, attribute = imports.get(node.id, ("", None))
                if attribute is not None:
                    out |= self.things(module, attribute)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                base = node.value.id
                if base in ("self", "cls") and d.owner:
                    out |= self.things(d.module, f"{d.owner}.{node.attr}")
                elif base in imports and imports[base][1] is None:
                    out |= self.things(imports[base][0], node.attr)
        return out

    def reach(self, entries: set[tuple[str, str]]) -> list[Def]:
        seen, todo = set(), list(entries)
        while todo:
            key = todo.pop()
            if key in seen or key not in self.defs:
                continue
            seen.add(key)
            todo += self.named_by(self.defs[key])
        return [self.defs[k] for k in sorted(seen)]


def all_services() -> set[str]:
    return {service_of_package(config.parent.name) for config in SERVICE_CONFIGS}


_URL_KEY = re.compile(r"""urls\[\s*["'](\w+)["']\s*\]""")
_URL_BY_NAME = re.compile(r"""urls\[\s*[^\s"'\]]""")
_LITERAL = re.compile(r"""["'](\w+)["']""")


def services_named(service: str, sources: list[str]) -> set[str]:
    """The other services whose URL this code reads: ``urls["intake"]``, or, where it
    indexes ``urls`` by a variable (``self.urls[service]``), every other service whose
    name it spells."""
    text = "\n".join(sources)
    named = set(_URL_KEY.findall(text))
    if _URL_BY_NAME.search(text):
        named |= set(_LITERAL.findall(text))
    return (named & all_services()) - {service}


@dataclass(frozen=True)
class Uses:
    """What the code one container runs takes from its settings."""

    services: frozenset[str]  # other services whose URL it reads
    settings: frozenset[str]  # ServiceSettings fields it reads


def entries_of(role: Role, code: PackageCode, app: Any) -> set[tuple[str, str]]:
    entries: set[tuple[str, str]] = set()
    if role.kind == "web":
        for view in app.view_functions.values():
            target = getattr(view, "view_class", view)
            entries |= code.things(target.__module__, target.__qualname__)
    elif role.kind == "worker":
        handlers = 0
        for name, task in app.tasks.items():
            if name.startswith("celery."):
                continue
            fn = getattr(task.run, "__func__", task.run)
            entries |= code.things(fn.__module__, fn.__qualname__)
            # The platform's consumer task runs the service's event handlers.
            for value in inspect.getclosurevars(fn).nonlocals.values():
                for handler in (getattr(value, "handlers", None) or {}).values():
                    h = getattr(handler, "__func__", handler)
                    entries |= code.things(h.__module__, h.__qualname__)
                    handlers += 1
        assert handlers, f"{role.container}: found none of the service's event handlers"
    return entries


def uses_of(role: Role, reached: list[Def], app: Any, settings: ServiceSettings) -> Uses:
    sources = [d.source for d in reached]
    text = "\n".join(sources)
    names = {f.name for f in fields(settings)}
    used = set(re.findall(r"\.(\w+)\b", text)) & names
    # Read by platform code the service's code hands its settings to:
    if "require_internal_token(" in text:
        used.add("internal_token")  # the guard of an internal endpoint
    if "inscope_auth" in text or (role.kind == "web" and "inscope_auth" in app.extensions):
        used.add("auth_secret")  # staff credentials: checked by the guard, or minted
    services = services_named(role.service, sources)
    if "fetch_contact(" in text and role.service != "intake":
        # inscope_common.intake_contact: the shared reader of intake's contact record,
        # with the internal token.
        used |= {"internal_token", "urls"}
        services.add("intake")
    return Uses(frozenset(services), frozenset(used))


def role_app(role: Role) -> Any:
    """The Flask app a web container serves, or the Celery app a worker or beat loads."""
    if role.kind == "web":
        module_name, _, attr = role.target.partition(":")
        factory = getattr(importlib.import_module(module_name), attr.removesuffix("()"))
        assert callable(factory), role.target
        return factory() if attr.endswith("()") else factory
    return find_app(role.target)


def dispose_role_app(role: Role, app: Any) -> None:
    if role.kind == "web":
        dispose(app)
    else:
        flask_app = getattr(importlib.import_module(role.target.split(":")[0]), "flask_app", None)
        if flask_app is not None:
            dispose(flask_app)


@pytest.fixture(scope="module")
def uses(deployment: Deployment, isolated_env: Path) -> dict[str, Uses]:
    """container -> what its code takes from its settings; relays and beat are absent."""
    out: dict[str, Uses] = {}
    codes: dict[str, PackageCode] = {}
    reached: dict[str, set[tuple[str, str]]] = {}
    for role in deployment.roles:
        if role.kind in ROLE_FREE:
            continue
        code = codes.setdefault(role.package, PackageCode(role.package))
        app = role_app(role)
        try:
            defs = code.reach(entries_of(role, code, app))
            out[role.container] = uses_of(role, defs, app, deployment.settings[role.container])
        finally:
            dispose_role_app(role, app)
        reached.setdefault(role.package, set()).update((d.module, d.qualname) for d in defs)
    # Following calls is approximate: every function that reads another service's URL
    # must be reached from some container, or the scan missed a way in. (A nested
    # function is read as part of the one around it.)
    for package, code in codes.items():
        service = service_of_package(package)
        for key, d in code.defs.items():
            if "<locals>" not in key[1] and services_named(service, [d.source]):
                assert key in reached[package], (
                    f"{key[0]}.{key[1]} reads another service's URL, but the scan finds no "
                    f"container of {service} that runs it"
                )
    return out


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
        app = role_app(role)
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
        # An embedded beat would run one scheduler per worker container.
        assert not {"-B", "--beat"} & set(role.argv), f"{role.container}: beat runs on its own"
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


def test_one_beat_per_schedule_whose_tasks_a_worker_runs(
    deployment: Deployment, isolated_env: Path
) -> None:
    """Every Celery app with a beat schedule gets exactly one beat container (two would
    send every sweep twice), and what it schedules lands on a queue a worker consumes,
    in a worker that registers the task."""
    scheduling = set()
    for role in deployment.roles_of("worker"):
        if find_app(role.target).conf.beat_schedule:
            scheduling.add(role.target)
    beats = deployment.roles_of("beat")
    assert scheduling, "no Celery app has a beat schedule? the scan is broken"
    assert sorted(b.target for b in beats) == sorted(scheduling), (
        f"one beat per scheduling app {sorted(scheduling)}, got {[b.container for b in beats]}"
    )
    for beat in beats:
        app = find_app(beat.target)
        assert isinstance(app, Celery), f"{beat.target} exposes no Celery app"
        schedule = app.conf.beat_schedule
        assert schedule, f"{beat.container}: {beat.target} schedules nothing"
        for entry_name, entry in schedule.items():
            task = entry["task"]
            assert task in app.tasks, f"{beat.container}: {entry_name} names unknown {task}"
            queue = (entry.get("options") or {}).get("queue") or app.conf.task_default_queue
            runners = [
                w
                for w in deployment.roles_of("worker")
                if option(list(w.argv), "--queues", "-Q") == queue
                and task in find_app(w.target).tasks
            ]
            assert runners, f"{entry_name}: no worker consumes {queue} and runs {task}"
        check_schedule_file_is_writable(deployment, beat)


def check_schedule_file_is_writable(deployment: Deployment, beat: Role) -> None:
    """Beat writes its schedule file; the image runs as a non-root user. The file goes on
    a named volume whose folder the Dockerfile creates owned by that user (Docker fills
    an empty named volume from the image's folder, ownership included)."""
    path = option(list(beat.argv), "--schedule", "-s")
    assert path and path.startswith("/"), f"{beat.container}: --schedule <absolute path>"
    folder = path.rsplit("/", 1)[0]
    named = set(deployment.compose.get("volumes") or {})
    mounts = {}
    for volume in deployment.services[beat.container].get("volumes") or []:
        source, _, rest = str(volume).partition(":")
        mounts[rest.split(":")[0]] = source
    assert mounts.get(folder) in named, f"{beat.container}: mount a named volume at {folder}"

    dockerfile = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)[-1].split(":")[0]
    owners = {user}
    for m in re.finditer(
        r"useradd\b[^\n]*?--uid\s+(\d+)[^\n]*?\s(\w[\w-]*)\s*(?:&&|$)", dockerfile, re.MULTILINE
    ):
        if user in (m.group(1), m.group(2)):
            owners |= {m.group(1), m.group(2)}
    created = [
        m.group(2).split()
        for m in re.finditer(r"install\s+-d\s+-o\s+(\S+)[^\n&]*?((?:\s+/\S+)+)", dockerfile)
        if m.group(1) in owners
    ]
    assert any(folder in paths for paths in created), (
        f"the Dockerfile creates no {folder} owned by {user}: beat could not write there"
    )


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
    for path in SERVICE_CONFIGS:
        config = importlib.import_module(f"{path.parent.name}.config")
        recorder = Recorder()
        base = config.load_settings(recorder)
        # Every loader of the config module (notify's letter details, say): ``env`` is
        # the recorder, any other parameter the service's settings.
        for name, loader in vars(config).items():
            if name.startswith("load_") and inspect.isfunction(loader):
                params = inspect.signature(loader).parameters
                loader(*[recorder if p == "env" else base for p in params])
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
        for name, value in raw.items():
            if SECRET_NAME.search(name) or name == "SMTP_URL":
                assert re.fullmatch(rf"\$\{{{name}:\?[^}}]*\}}", value), (
                    f"{container}: {name} is the operator's, written ${{{name}:?...}}"
                )


SECRET_NAME = re.compile(r"(?:SECRET|TOKEN|PASSWORD)$")


def one_machine_only(value: Any) -> bool:
    """A default the code means for `make run` only: a development secret, or an
    address on the loopback interface (in a container, the container itself)."""
    if not isinstance(value, str):
        return False
    if value.startswith("dev-"):
        return True
    return "://" in value and urlsplit(value).hostname in ("127.0.0.1", "localhost")


def test_code_never_runs_on_a_one_machine_default(
    deployment: Deployment, uses: dict[str, Uses]
) -> None:
    """A setting the container's code uses, whose default only works on a development
    machine (a dev secret, a 127.0.0.1 address), gets a deployment value."""
    checked = set()
    for role in deployment.roles:
        if role.container not in uses:
            continue
        defaults = load_settings_for(role, {})
        settings = deployment.settings[role.container]
        for name in sorted(uses[role.container].settings - {"urls"}):  # urls: next tests
            if one_machine_only(getattr(defaults, name)):
                value = getattr(settings, name)
                assert not one_machine_only(value), (
                    f"{role.container}: its code uses {name}, left at {value!r}"
                )
                checked.add(name)
    assert {"internal_token", "auth_secret"} <= checked, f"the scan is broken: {checked}"


def test_secrets_only_where_their_code_runs(deployment: Deployment, uses: dict[str, Uses]) -> None:
    """A container gets a secret only if the code it runs uses it (a relay and beat use
    none)."""
    for role in deployment.roles:
        used = uses[role.container].settings if role.container in uses else frozenset()
        defaults = load_settings_for(role, {})
        for name in deployment.raw_env[role.container]:
            if not SECRET_NAME.search(name):
                continue
            probed = load_settings_for(role, {name: "probe-value"})
            fed = {
                f.name
                for f in fields(probed)
                if getattr(probed, f.name) != getattr(defaults, f.name)
                and one_machine_only(getattr(defaults, f.name))
            }
            assert fed, f"{role.container}: {name} feeds no secret setting"
            assert fed <= used, f"{role.container} sets {name}, but its code never uses it"


def test_internal_token_is_shared_by_guard_and_callers(
    deployment: Deployment, uses: dict[str, Uses]
) -> None:
    # intake-web guards the contact endpoint (it may also call others, e.g. referral).
    guards = [
        r
        for r in deployment.roles_of("web")
        if r.service == "intake" and "internal_token" in uses[r.container].settings
    ]
    callers = [
        r
        for r in deployment.roles
        if r.container in uses
        and uses[r.container].services
        and "internal_token" in uses[r.container].settings
    ]
    assert guards and callers, "the scan for the internal token's users is broken"
    tokens = set()
    for role in guards + callers:
        assert "INSCOPE_INTERNAL_TOKEN" in deployment.raw_env[role.container], role.container
        tokens.add(deployment.raw_env[role.container]["INSCOPE_INTERNAL_TOKEN"])
    assert len(tokens) == 1, f"guard and callers disagree: {tokens}"


def test_a_variable_has_one_value_in_every_container(deployment: Deployment) -> None:
    """Shared secrets, addresses, names: a variable set in several containers agrees
    everywhere (the DATABASE_URL of each service is checked above)."""
    values: dict[str, dict[str, list[str]]] = {}
    for container, raw in deployment.raw_env.items():
        for name, value in raw.items():
            if name != "DATABASE_URL":
                values.setdefault(name, {}).setdefault(value, []).append(container)
    for name, by_value in values.items():
        assert len(by_value) == 1, f"{name} differs between containers: {by_value}"


def test_letters_carry_the_operators_details_not_demo_ones(deployment: Deployment) -> None:
    """A config's DEFAULTS are demo values: the containers that send mail never run on
    them (required, or a default of the compose file's own), and no other container
    gets them."""
    demo_configs = 0
    for path in SERVICE_CONFIGS:
        config = importlib.import_module(f"{path.parent.name}.config")
        demo: Mapping[str, str] = getattr(config, "DEFAULTS", {})
        if not demo:
            continue
        demo_configs += 1
        senders = {
            r.container
            for r in deployment.roles
            if r.service == config.SERVICE
            and r.kind == "worker"
            and "import smtplib" in package_source(r.package)
        }
        assert senders, f"{config.SERVICE}: no container sends its letters"
        # Read by every service (inscope_common.config), not only in letters: every
        # container that runs the code sets it, and never to the demo value.
        platform_wide = {
            name for name in demo if f'"{name}"' in package_source("inscope_common")
        }
        for role in deployment.roles:
            raw = deployment.raw_env[role.container]
            for name, demo_value in demo.items():
                if role.container not in senders and name not in platform_wide:
                    assert name not in raw, f"{role.container} sends no mail but sets {name}"
                    continue
                assert name in raw, f"{role.container}: set {name} (the code's is a demo value)"
                try:
                    unset = interpolate(raw[name], {})
                except AssertionError:
                    continue  # required: the operator must give it
                assert unset.strip() not in ("", demo_value), (
                    f"{role.container}: {name} falls back to the demo value"
                )
    assert demo_configs, "no config declares demo DEFAULTS? the scan is broken"


def test_every_process_of_a_service_waits_for_its_migration(deployment: Deployment) -> None:
    """Services refuse a database that is not migrated: each service has one one-shot
    migrate container, and every other container of the service starts only after it
    completed successfully."""
    migrators = {r.service: r.container for r in deployment.roles_of("migrate")}
    assert set(migrators) == {r.service for r in deployment.roles}, migrators
    for role in deployment.roles:
        spec = deployment.services[role.container]
        if role.kind == "migrate":
            assert spec.get("restart") == "no", f"{role.container} runs once"
            continue
        needs = spec.get("depends_on") or {}
        assert needs.get(migrators[role.service]) == {
            "condition": "service_completed_successfully"
        }, f"{role.container} must wait for {migrators[role.service]}"


def test_every_long_running_container_is_restarted_when_it_dies(
    deployment: Deployment,
) -> None:
    """One crash is one crash (issue 11, item 5): Docker restarts a web, worker, relay,
    beat, Redis or PostgreSQL container that exits; only the one-shot migrations run once."""
    for name, spec in deployment.services.items():
        if name.endswith("-migrate"):
            continue
        assert spec.get("restart") in ("unless-stopped", "always", "on-failure"), (
            f"{name}: set restart: unless-stopped"
        )


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


def test_visibility_timeout_is_short_and_outlasts_the_fallback_countdown(
    deployment: Deployment,
) -> None:
    """Retries wait in the database; only the fallback countdown (database away too)
    waits in the broker. A dead worker's message comes back within 2 minutes (the
    timeout plus kombu's 10 s scan)."""
    from inscope_common.consumer import SHORT_COUNTDOWN_S

    timeouts = set()
    for container, settings in deployment.settings.items():
        assert SHORT_COUNTDOWN_S < settings.visibility_timeout_s <= 110, container
        timeouts.add(settings.visibility_timeout_s)
    assert len(timeouts) == 1, f"every Celery client agrees on the timeout: {timeouts}"


def test_service_urls_point_at_the_web_containers(
    deployment: Deployment, uses: dict[str, Uses]
) -> None:
    """A container whose code reads another service's URL gets it, pointing at that
    service's web container; no other container does."""
    pointed = 0
    for role in deployment.roles:
        settings = deployment.settings[role.container]
        named = uses[role.container].services if role.container in uses else frozenset()
        for name, url in settings.urls.items():
            var = f"{name.upper()}_URL"
            if var not in deployment.env[role.container]:
                assert name not in named, f"{role.container} calls {name} but has no {var}"
                continue
            assert name in named, f"{role.container} sets {var}, but its code never reads it"
            pointed += 1
            web = deployment.web_of(name)
            bind = option(list(web.argv), "--bind", "-b") or ""
            parts = urlsplit(url)
            assert parts.hostname == web.container, f"{role.container}: {url}"
            assert str(parts.port) == bind.rsplit(":", 1)[-1], f"{role.container}: {url}"
    assert pointed, "no container calls another service? the scan is broken"


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
            if target.endswith("-migrate"):  # one-shot: checked by the migration test
                continue
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
        # Two web containers that read each other at request time cannot both wait for
        # the other (compose refuses a cycle): the one whose call is only a page's
        # optional read (intake's inbound prefill, from referral) starts first.
        uses -= OPTIONAL_AT_START.get(role.container, set())
        depends = set(services[role.container].get("depends_on") or {})
        assert uses <= depends, f"{role.container} uses {uses - depends} without waiting"


OPTIONAL_AT_START = {"intake-web": {"referral-web"}}


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

    # The image installs the runtime lock (tests/deploy/test_lock.py keeps it in step
    # with pyproject.toml and free of suite and test tools), then the project alone.
    assert re.search(r"pip install --require-hashes -r requirements/runtime\.txt", dockerfile)
    locked = (REPO / "requirements" / "runtime.txt").read_text()
    for container, settings in deployment.settings.items():
        driver = make_url(settings.database_url).get_driver_name()
        assert re.search(rf"^{driver}==", locked, re.MULTILINE), (
            f"{container}: {driver} is not installed in the image"
        )

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
