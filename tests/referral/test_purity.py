"""The referral domain modules stay pure: no web, queue, database or platform code.

(pyproject's import-linter contract names inscope_referral.status; these modules are
held to the same rule here until the contract lists them too.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "services" / "referral" / "inscope_referral"
PURE = ("lifecycle", "schedule", "answer_form", "status")
FORBIDDEN = {"flask", "flask_smorest", "celery", "kombu", "redis", "sqlalchemy", "inscope_common"}
ALLOWED_OWN = {f"inscope_referral.{m}" for m in PURE}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE)
def test_domain_module_is_pure(module):
    for name in imported(PACKAGE / f"{module}.py"):
        assert name.split(".")[0] not in FORBIDDEN, f"{module} imports {name}"
        if name.startswith("inscope_referral"):
            assert name in ALLOWED_OWN, f"{module} imports {name}, which is not pure"
