"""The notify domain modules stay pure: no web, queue or database code (the same rule the
import-linter contract holds inscope_notify.messages to)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import inscope_notify

PURE = ["messages", "scope_guard"]
FORBIDDEN = {"flask", "flask_smorest", "celery", "kombu", "redis", "sqlalchemy", "inscope_common"}


@pytest.mark.parametrize("module", PURE)
def test_domain_module_imports_nothing_impure(module):
    path = Path(inscope_notify.__file__).parent / f"{module}.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN
    # Within the service, a pure module only leans on other pure modules.
    local = {
        n.module.split(".")[1]
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("inscope_notify.")
    }
    assert local <= set(PURE)
