"""Command-line tools every service shares: schema migrations, the outbox relay, dead
letters, OpenAPI."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask

from inscope_common import migrations
from inscope_common.audit import COMMAND_LINE_ACTOR, record_event, verify_chain
from inscope_common.client_rights import reapply_erasures
from inscope_common.config import ConfigError, ServiceSettings
from inscope_common.dead_letters import list_dead_letters, replay_dead_letter
from inscope_common.heartbeat import touch
from inscope_common.logs import configure_logging
from inscope_common.metrics import serve_metrics
from inscope_common.runtime import Runtime


def openapi_document(app: Flask) -> str:
    spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


# Commands that run before (or instead of) the app: the app refuses to start on a
# database that is not at the newest revision.
SCHEMA_COMMANDS = {"migrate", "new-migration"}
# The deployment role (inscope_common.deployment) whose secrets a command needs before
# the app starts (fail closed, inscope_common.config.enforce_secrets): `accounts` mints
# staff tokens as the web does; the others (relay, dead letters, OpenAPI) need none.
COMMAND_ROLES = {"accounts": "web"}


def make_service_cli(service: str, create_app: Callable[..., Flask]) -> click.Group:
    @click.group(help=f"InScope {service} service tools.")
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        settings = ServiceSettings.from_env(service)
        configure_logging(service, fmt=settings.log_format, level=settings.log_level)
        # Alembic announces its engine on every connection; the migrate command says what
        # it did in one line instead.
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
        if ctx.invoked_subcommand in SCHEMA_COMMANDS:
            return  # these work on a database the app may not be able to start on yet
        try:
            # configures logging again, the same way
            app = create_app(role=COMMAND_ROLES.get(ctx.invoked_subcommand or "", "relay"))
        except (migrations.SchemaNotReady, ConfigError) as exc:
            raise click.ClickException(str(exc)) from exc
        ctx.obj = (app, app.extensions["inscope"])
        ctx.call_on_close(app.extensions["inscope"].engine.dispose)

    @cli.command(
        help="Bring the database to the newest schema revision (or --revision), or take "
        "it back (--downgrade); --status shows where it is. Safe to run concurrently."
    )
    @click.option("--revision", default="head", show_default=True, help="Upgrade to this.")
    @click.option("--downgrade", "down_to", help="Downgrade to this (a revision, -1, base).")
    @click.option("--status", "show_status", is_flag=True, help="Print where it is.")
    @click.option("--stamp", "stamp_as", help="Record this revision, run nothing (adoption).")
    def migrate(
        revision: str, down_to: str | None, show_status: bool, stamp_as: str | None
    ) -> None:
        url = ServiceSettings.from_env(service).database_url
        if show_status:
            click.echo(json.dumps(migrations.status(url, service), indent=2))
            return
        before = migrations.status(url, service)["current"]
        try:
            if stamp_as:
                at = migrations.stamp(url, service, stamp_as)
            elif down_to:
                at = migrations.downgrade(url, service, down_to)
            else:
                at = migrations.upgrade(url, service, revision)
        except migrations.SchemaNotReady as exc:
            raise click.ClickException(str(exc)) from exc
        was = ", ".join(before) or "base (empty)"
        click.echo(f"{service} database at revision {', '.join(at) or 'base (empty)'} (was {was})")

    @cli.command(
        "new-migration",
        help="Write a new migration revision from the models' changes (for developers; "
        "review the file it prints before committing it).",
    )
    @click.argument("message")
    def new_migration(message: str) -> None:
        path = migrations.new_revision(service, message)
        click.echo(f"wrote {path}")

    @cli.command(help="Publish outbox events the fast path missed (runs until stopped).")
    @click.option("--once", is_flag=True, help="One round, then exit.")
    @click.pass_obj
    def relay(obj: tuple[Flask, Runtime], once: bool) -> None:
        rt = obj[1]
        if once:
            click.echo(f"published {rt.relay.run_once()}")
            click.echo(f"retries sent {rt.relay.publish_due_retries()}")
            rt.relay.run_sweeps()
            return
        if rt.settings.metrics_port:
            serve_metrics(rt.settings.metrics_port)
        rt.relay.run_forever(
            rt.settings.relay_interval_s,
            heartbeat=lambda: touch(rt.settings.heartbeat_file),
        )

    @cli.command(
        "reapply-erasures",
        help="After restoring a backup: erase again every client in the erasure log "
        "(INSCOPE_ERASURE_LOG, or FILE); docs/backups.md.",
    )
    @click.argument("log_file", required=False)
    @click.pass_obj
    def reapply_erasures_cmd(obj: tuple[Flask, Runtime], log_file: str | None) -> None:
        path = log_file or os.environ.get("INSCOPE_ERASURE_LOG")
        if not path:
            raise click.ClickException("name the erasure log (FILE or INSCOPE_ERASURE_LOG)")
        done = reapply_erasures(obj[0], path)
        click.echo(f"{service}: erasure re-applied for {len(done)} client(s)")

    @cli.group("dead-letters", help="Events that failed after their last retry.")
    def dead_letters() -> None:
        pass

    @dead_letters.command("list")
    @click.option("--all", "include_replayed", is_flag=True, help="Include replayed ones.")
    @click.pass_obj
    def list_cmd(obj: tuple[Flask, Runtime], include_replayed: bool) -> None:
        rt = obj[1]
        rows = list_dead_letters(rt.session_factory, rt.models, include_replayed=include_replayed)
        click.echo(json.dumps(rows, indent=2))

    @dead_letters.command("replay")
    @click.argument("letter_ids", type=int, nargs=-1, required=True)
    @click.pass_obj
    def replay_cmd(obj: tuple[Flask, Runtime], letter_ids: tuple[int, ...]) -> None:
        rt = obj[1]
        failed = False
        for letter_id in letter_ids:
            if replay_dead_letter(
                rt.session_factory, rt.models, rt.celery_app, letter_id, rt.relay.publisher
            ):
                record_event(rt.session_factory, obj[0].extensions["inscope_audit"],
                             COMMAND_LINE_ACTOR, "admin", "dead_letter", str(letter_id),
                             detail="replayed")  # fmt: skip
                click.echo(f"replayed dead letter {letter_id}")
            else:
                click.echo(f"dead letter {letter_id} not found or already replayed", err=True)
                failed = True
        sys.exit(1 if failed else 0)

    @cli.group(help="The audit log (docs/accounts-and-security.md).")
    def audit() -> None:
        pass

    @audit.command("verify", help="Recompute the audit log's hash chain; exit 1 if broken.")
    @click.pass_obj
    def audit_verify(obj: tuple[Flask, Runtime]) -> None:
        app, rt = obj
        check = verify_chain(rt.session_factory, app.extensions["inscope_audit"])
        legacy = f" ({check.legacy} older rows before the chain)" if check.legacy else ""
        if check.ok:
            click.echo(f"audit chain intact: {check.checked} rows{legacy}")
            return
        click.echo(
            f"audit chain BROKEN at row {check.broken_at}: {check.reason} "
            f"({check.checked} rows checked){legacy}",
            err=True,
        )
        sys.exit(1)

    @cli.command(help="Print the OpenAPI document, or write/check it against a file.")
    @click.option("--write", "write_path", type=click.Path(path_type=Path))
    @click.option("--check", "check_path", type=click.Path(path_type=Path))
    @click.pass_obj
    def openapi(
        obj: tuple[Flask, Runtime], write_path: Path | None, check_path: Path | None
    ) -> None:
        document = openapi_document(obj[0])
        if write_path:
            write_path.write_text(document)
        elif check_path:
            if not check_path.exists() or check_path.read_text() != document:
                click.echo(f"{check_path} is out of date; rerun with --write", err=True)
                sys.exit(1)
        else:
            click.echo(document, nl=False)

    return cli
