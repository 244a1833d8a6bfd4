"""Schema migrations (Alembic), one history per service.

Each service ships its migrations inside its package, ``inscope_<service>/migrations``
(``env.py`` calls :func:`run_env`; revisions under ``versions/``), so ``pip install``
carries them. Every service keeps its own version table, ``alembic_version_<service>``,
so two services could even share one database without mixing histories.

* ``inscope-<service> migrate`` (:func:`upgrade`) brings a database to the newest
  revision; ``make run``'s suite and compose's one-shot ``<service>-migrate`` containers
  run it before any other process of the service starts.
* Services expect a migrated database: start-up (:func:`prepare_schema`) checks that the
  database is at the code's head revision and refuses to start otherwise, naming the
  command to run.
* Tests may take the fast path instead (``INSCOPE_SCHEMA=create``): tables created from
  the models and stamped at head. ``tests/platform/test_migrations.py`` proves both paths
  give the same schema.

On PostgreSQL a session-level advisory lock per service serialises concurrent
``migrate`` runs (two containers, a restarted one): the second waits, then finds the
database at head and does nothing. On SQLite, :func:`inscope_common.db.make_engine`'s
``BEGIN IMMEDIATE`` does the same.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, TypeDecorator, inspect, text

from inscope_common.db import make_engine

log = logging.getLogger(__name__)

class SchemaNotReady(RuntimeError):
    """The database is not at the revision this code expects."""


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def migrations_dir(service: str) -> Path:
    """The service package's migrations folder (``inscope_<service>/migrations``)."""
    return Path(str(files(f"inscope_{service}").joinpath("migrations")))


def alembic_config(service: str, connection: Connection | None = None) -> Config:
    """An Alembic configuration for one service, no alembic.ini needed."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(service)))
    cfg.attributes["service"] = service
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def _script(service: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(service))


def head_revision(service: str) -> str:
    heads = _script(service).get_heads()
    if len(heads) != 1:
        raise SchemaNotReady(
            f"{service} has {len(heads)} migration heads {sorted(heads)}: merge them "
            f"(alembic merge) so there is exactly one"
        )
    return heads[0]


def current_revisions(conn: Connection, service: str) -> tuple[str, ...]:
    context = MigrationContext.configure(conn, opts={"version_table": version_table(service)})
    return tuple(context.get_current_heads())


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our TypeDecorators (e.g. UTCDateTime) as their plain SQL type, so a
    migration never imports application code that may change later."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _configure(context: Any, conn: Connection, metadata: MetaData, service: str) -> None:
    context.configure(
        connection=conn,
        target_metadata=metadata,
        version_table=version_table(service),
        render_as_batch=True,  # ALTERs as table copies on SQLite; plain ALTERs elsewhere
        compare_type=True,
        render_item=_render_item,
    )


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``.

    Uses the connection the caller put in ``config.attributes`` (the ``migrate``
    command, tests), or else ``sqlalchemy.url`` from the configuration (plain
    ``alembic -x`` use). Offline (SQL script) mode is not supported.
    """
    from alembic import context

    cfg = context.config
    service = cfg.attributes["service"]
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported")
    conn = cfg.attributes.get("connection")
    if conn is not None:
        _configure(context, conn, metadata, service)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(cfg.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _configure(context, conn, metadata, service)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


@contextmanager
def _locked(engine: Engine, service: str) -> Iterator[Connection]:
    """A connection holding the service's migration lock for as long as it is used.

    PostgreSQL: a transaction-scoped advisory lock; the migrations run inside that
    transaction (PostgreSQL has transactional DDL). SQLite: BEGIN IMMEDIATE.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            key = zlib.crc32(f"inscope-schema-{service}".encode())
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        yield conn


def upgrade(database_url: str, service: str, revision: str = "head") -> tuple[str, ...]:
    """Bring the database to ``revision`` (the newest by default). Returns where it is."""
    engine = make_engine(database_url)
    try:
        with _locked(engine, service) as conn:
            if not current_revisions(conn, service) and _own_tables(conn):
                raise SchemaNotReady(
                    f"the {service} database has tables but no migration history (it was "
                    f"made before migrations existed): delete it if it holds development "
                    f"data only (var/db/{service}.sqlite3), or, if its tables are exactly "
                    f"those of a revision, record that with `inscope-{service} migrate "
                    f"--stamp <revision>` and migrate again"
                )
            command.upgrade(alembic_config(service, conn), revision)
            return current_revisions(conn, service)
    finally:
        engine.dispose()


def _own_tables(conn: Connection) -> list[str]:
    return [n for n in inspect(conn).get_table_names() if not n.startswith("alembic_version")]


def stamp(database_url: str, service: str, revision: str) -> tuple[str, ...]:
    """Record that the database is at ``revision`` without running anything (adopting a
    database whose tables were made another way). Returns where it is."""
    engine = make_engine(database_url)
    try:
        with _locked(engine, service) as conn:
            command.stamp(alembic_config(service, conn), revision)
            return current_revisions(conn, service)
    finally:
        engine.dispose()


def downgrade(database_url: str, service: str, revision: str) -> tuple[str, ...]:
    """Take the database back to ``revision`` (``base``: no tables). Returns where it is."""
    engine = make_engine(database_url)
    try:
        with _locked(engine, service) as conn:
            command.downgrade(alembic_config(service, conn), revision)
            return current_revisions(conn, service)
    finally:
        engine.dispose()


def status(database_url: str, service: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            current = current_revisions(conn, service)
        return {
            "service": service,
            "current": list(current),
            "head": head_revision(service),
            "at_head": current == (head_revision(service),),
        }
    finally:
        engine.dispose()


def schema_diff(conn: Connection, metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match ``metadata``
    (empty when they match). Alembic's own version tables are ignored."""
    context = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "include_name": lambda name, type_, _parent: not (
                type_ == "table" and (name or "").startswith("alembic_version")
            ),
        },
    )
    return compare_metadata(context, metadata)


def create_and_stamp(engine: Engine, metadata: MetaData, service: str) -> None:
    """Tests' fast path: create the tables from the models and stamp the head revision,
    under the same lock as :func:`upgrade`. Never used by a deployment."""
    with _locked(engine, service) as conn:
        if current_revisions(conn, service):
            return
        metadata.create_all(conn)
        context = MigrationContext.configure(conn, opts={"version_table": version_table(service)})
        context.stamp(_script(service), "head")


def check_at_head(engine: Engine, service: str) -> None:
    """Refuse to run against a database this code's migrations have not brought to head."""
    with engine.connect() as conn:
        current = current_revisions(conn, service)
        has_tables = bool(_own_tables(conn))
    head = head_revision(service)
    if current == (head,):
        return
    fix = f"run `inscope-{service} migrate` (make run and compose do it before starting)"
    if not current:
        state = "has tables but no migration history" if has_tables else "is empty"
        raise SchemaNotReady(f"the {service} database {state}: {fix}")
    raise SchemaNotReady(
        f"the {service} database is at revision {', '.join(current)}, this code expects "
        f"{head}: {fix}"
    )


def prepare_schema(engine: Engine, metadata: MetaData, service: str, mode: str) -> None:
    """Start-up: ``check`` (every deployment) or ``create`` (tests' fast path)."""
    if mode == "create":
        create_and_stamp(engine, metadata, service)
    else:
        check_at_head(engine, service)


def new_revision(service: str, message: str) -> Path:
    """Write a new revision of the service's schema, autogenerated from the difference
    between its models and its newest migration (found by migrating a scratch SQLite
    database to head). Review and edit the file before committing it."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / (service + '.sqlite3')}"
        upgrade(url, service)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                cfg = alembic_config(service, conn)
                cfg.set_main_option(
                    "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s"
                )
                script = command.revision(cfg, message=message, autogenerate=True)
        finally:
            engine.dispose()
    _script.cache_clear()
    if script is None or isinstance(script, list):
        raise RuntimeError("alembic wrote no single revision")
    path = Path(script.path)
    _tidy(path)
    return path


def _tidy(path: Path) -> None:
    """Format a generated revision with ruff (a development tool) when it is installed,
    so the file passes ``ruff check`` as written."""
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff:
        subprocess.run([ruff, "format", "--quiet", str(path)], check=False)
        subprocess.run([ruff, "check", "--fix", "--quiet", str(path)], check=False)
