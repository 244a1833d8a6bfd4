"""The xdist groups of tests/conftest.py reach the scheduler: under ``make test``
(``--dist loadgroup``) a grouped test's id ends in ``@<group>``, the key xdist's
scheduler groups by. Without it every group silently fell apart (pytest 9.2 with xdist
3.8): the suite-starting tests ran on both workers at once, and a module's suite started
once on each, its later tests missing what its earlier ones did."""

from __future__ import annotations

import pytest


@pytest.mark.xdist_group("real-processes")
def test_a_grouped_test_carries_its_group_in_its_id(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under pytest-xdist's --dist loadgroup, as make test runs")
    assert request.node.nodeid.endswith("@real-processes")


@pytest.mark.e2e
def test_a_test_that_starts_processes_joins_their_group(request: pytest.FixtureRequest) -> None:
    """No process started: the e2e mark alone puts a test in the group."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under pytest-xdist's --dist loadgroup, as make test runs")
    assert request.node.nodeid.endswith("@real-processes")


def test_in_process_fuzzing_stays_out_of_the_group(request: pytest.FixtureRequest) -> None:
    """schemathesis is slow but starts no process: ungrouped, either worker takes it."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under pytest-xdist's --dist loadgroup, as make test runs")
    fuzzing = [i for i in request.session.items if i.path.name == "test_schemathesis.py"]
    if not fuzzing:
        pytest.skip("tests/services/test_schemathesis.py is not in this run")
    assert all(i.get_closest_marker("slow") for i in fuzzing)
    assert not [i.nodeid for i in fuzzing if "@" in i.nodeid.rpartition("]")[2]]


@pytest.fixture(scope="module")
def _set_up_once() -> object:
    return object()


def test_the_tests_of_a_module_fixture_share_one_worker(
    request: pytest.FixtureRequest, _set_up_once: object
) -> None:
    """A module-scoped fixture is set up once per worker that runs one of its tests: a
    module whose tests use one stays on one worker (its own group), not split over both
    (a gunicorn server, an app or the golden results set up twice)."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under pytest-xdist's --dist loadgroup, as make test runs")
    assert request.node.nodeid.endswith("@module:tests/devtools/test_xdist_groups.py")
    golden = [i for i in request.session.items if i.path.name == "test_engine_golden.py"]
    assert all(i.nodeid.endswith("@module:tests/clinical/test_engine_golden.py")
               for i in golden)
