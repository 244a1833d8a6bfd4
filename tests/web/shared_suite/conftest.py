"""Browser tests that share one started suite (about 20 s and 23 s of CPU saved per
module, on the one xdist worker that runs every process-starting test in turn): the
pre-visit and tablet flows, the trainer's gated list, the client page following its
status and the staff review loop. Package scope: the suite stops after this package's
last test, before the next module starts its own on the same Redis database
(tests/e2e/conftest.py).

What the modules here share, they must not trip over: each gives its clients names of
its own, and a list is asserted only for the module's own clients (the review loop's
"Needs review" board); tests/web/test_browser_board.py, which pages through the whole
board, and tests/web/test_browser.py keep a suite of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunRedis
from tests.e2e.conftest import Suite, started_suite
from tests.web.test_browser import create_accounts


@pytest.fixture(scope="package")
def suite(tmp_path_factory: pytest.TempPathFactory, run_redis: RunRedis) -> Iterator[Suite]:
    with started_suite(tmp_path_factory, run_redis) as started:
        yield started


@pytest.fixture(scope="package")
def accounts(suite: Suite) -> dict[str, tuple[str, str]]:
    return create_accounts(suite)
