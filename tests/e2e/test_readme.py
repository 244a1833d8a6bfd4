"""The README's curl walk-through, pasted as a newcomer would, against a running suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import SERVICES

pytestmark = pytest.mark.e2e


def walk_through() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Try it with curl") :]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_readme_walk_through_runs_in_order_as_written(suite, tmp_path):
    script = walk_through()
    # Only where things are differs: the suite's ports, this venv, a private /tmp.
    for i, service in enumerate(SERVICES):
        script = script.replace(f"localhost:{5101 + i}", suite.urls[service][len("http://") :])
    script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
    script = script.replace("/tmp/inscope-", f"{tmp_path}/inscope-")
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=REPO,
        env={**os.environ, "INSCOPE_DATA_DIR": str(suite.data_dir)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert "gave up" not in out
    status_lines = [line for line in out.splitlines() if '"status":' in line]
    assert '"status":"awaiting_assessment"' in status_lines[0]
    assert any('"status":"referred"' in line for line in status_lines)
    deliveries = out.splitlines()[-1]
    assert deliveries.count('"status":"sent"') == 2, deliveries
