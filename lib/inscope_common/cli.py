"""Command-line tools every service shares: the outbox relay, dead letters, OpenAPI."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask

from inscope_common.dead_letters import list_dead_letters, replay_dead_letter
from inscope_common.runtime import Runtime


def openapi_document(app: Flask) -> str:
    spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def make_service_cli(service: str, create_app: Callable[[], Flask]) -> click.Group:
    @click.group(help=f"InScope {service} service tools.")
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        app = create_app()
        ctx.obj = (app, app.extensions["inscope"])
        ctx.call_on_close(app.extensions["inscope"].engine.dispose)

    @cli.command(help="Publish outbox events the fast path missed (runs until stopped).")
    @click.option("--once", is_flag=True, help="One round, then exit.")
    @click.pass_obj
    def relay(obj: tuple[Flask, Runtime], once: bool) -> None:
        rt = obj[1]
        if once:
            click.echo(f"published {rt.relay.run_once()}")
            return
        rt.relay.run_forever(rt.settings.relay_interval_s)

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
            if replay_dead_letter(rt.session_factory, rt.models, rt.celery_app, letter_id):
                click.echo(f"replayed dead letter {letter_id}")
            else:
                click.echo(f"dead letter {letter_id} not found or already replayed", err=True)
                failed = True
        sys.exit(1 if failed else 0)

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
