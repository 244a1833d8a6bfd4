"""Each service's migrations give exactly its models' schema, on SQLite and PostgreSQL;
every revision downgrades; start-up refuses a database that is not migrated; several
``migrate`` runs at once do not collide."""

from __future__ import annotations

import multiprocessing
from importlib import import_module

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from inscope_common import migrations
from inscope_common.db import make_engine
from tests.conftest import SERVICES


def _metadata(service: str):
    return import_module(f"inscope_{service}.models").Base.metadata


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _diff(url: str, service: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return migrations.schema_diff(conn, _metadata(service))
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_upgrading_an_empty_database_gives_exactly_the_models_schema(database_urls, service):
    url = database_urls[service]
    assert migrations.upgrade(url, service) == (migrations.head_revision(service),)
    assert _diff(url, service) == []
    assert migrations.version_table(service) in _tables(url)
    # Idempotent: a second run (another container, a restart) changes nothing.
    assert migrations.upgrade(url, service) == (migrations.head_revision(service),)


@pytest.mark.parametrize("service", SERVICES)
def test_every_revision_downgrades_to_base_and_back(database_urls, service):
    url = database_urls[service]
    script = ScriptDirectory.from_config(migrations.alembic_config(service))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions, "a service without a migration"
    for revision in revisions:  # one step at a time, oldest first
        assert migrations.upgrade(url, service, "+1") == (revision,)
    for expected in [*reversed(revisions[:-1]), None]:
        at = migrations.downgrade(url, service, "-1")
        assert at == ((expected,) if expected else ())
    assert _tables(url) <= {migrations.version_table(service)}
    migrations.upgrade(url, service)
    assert _diff(url, service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_tests_fast_path_matches_the_migrations(database_urls, service):
    url = database_urls[service]
    engine = make_engine(url)
    try:
        migrations.create_and_stamp(engine, _metadata(service), service)
        migrations.check_at_head(engine, service)
    finally:
        engine.dispose()
    assert _diff(url, service) == []


def test_start_up_refuses_a_database_that_is_not_migrated(service_env):
    from inscope_intake import create_app

    env = {**service_env}
    del env["INSCOPE_SCHEMA"]
    with pytest.raises(migrations.SchemaNotReady, match=r"run `inscope-intake migrate`"):
        create_app(env)
    migrations.upgrade(env["INTAKE_DATABASE_URL"], "intake")
    app = create_app(env)
    app.extensions["inscope"].engine.dispose()


def test_start_up_refuses_a_database_behind_the_code(database_urls):
    url = database_urls["referral"]
    migrations.upgrade(url, "referral")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version_referral SET version_num = 'older'")
        with pytest.raises(migrations.SchemaNotReady, match="at revision older"):
            migrations.check_at_head(engine, "referral")
    finally:
        engine.dispose()


def _migrate(url: str, barrier) -> None:
    barrier.wait(30)  # all start together, to make a collision likely
    migrations.upgrade(url, "referral")


def test_concurrent_migrate_runs_do_not_collide(database_urls):
    url = database_urls["referral"]
    # Four separate processes, each with its own engine and connections, as four
    # containers would be. A fork server imports what they run once per test worker
    # (for this test's SQLite and PostgreSQL variants both), not once per process as
    # spawn did: that import cost about ten seconds a process on CI's two loaded cores.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "inscope_referral.models"])
    barrier = context.Barrier(4)
    processes = [context.Process(target=_migrate, args=(url, barrier)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(90)
    assert [p.exitcode for p in processes] == [0] * 4
    assert _diff(url, "referral") == []


def test_a_database_made_before_migrations_is_refused_then_adopted(database_urls):
    url = database_urls["notify"]
    engine = make_engine(url)
    try:
        _metadata("notify").create_all(engine)  # what start-up did before migrations
    finally:
        engine.dispose()
    with pytest.raises(migrations.SchemaNotReady, match="no migration history"):
        migrations.upgrade(url, "notify")
    head = migrations.head_revision("notify")
    assert migrations.stamp(url, "notify", head) == (head,)
    assert migrations.upgrade(url, "notify") == (head,)
    assert _diff(url, "notify") == []
