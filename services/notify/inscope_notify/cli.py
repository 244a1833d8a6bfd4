"""``inscope-notify``: relay, dead letters and OpenAPI for the notify service."""

import json

import click
from flask import Flask

from inscope_common.cli import make_service_cli
from inscope_common.runtime import Runtime
from inscope_notify import create_app
from inscope_notify.service import failed_deliveries

cli = make_service_cli("notify", create_app)


@cli.group(help="Emails that failed: the server refused them, or the retry budget ran out.")
def deliveries() -> None:
    pass


@deliveries.command("failed", help="List failed deliveries as JSON (no addresses).")
@click.pass_obj
def failed_cmd(obj: tuple[Flask, Runtime]) -> None:
    app = obj[0]
    rows = failed_deliveries(app.extensions["inscope"].session_factory)
    click.echo(json.dumps(rows, indent=2))


@deliveries.command("resend", help="Send failed deliveries again (fresh retry budget).")
@click.argument("delivery_ids", nargs=-1, required=True)
@click.pass_obj
def resend_cmd(obj: tuple[Flask, Runtime], delivery_ids: tuple[str, ...]) -> None:
    notifier = obj[0].extensions["notifier"]
    refused = {}
    for delivery_id in delivery_ids:
        if notifier.resend(delivery_id):
            click.echo(f"queued {delivery_id}: the notify relay sends it within seconds")
        else:
            refused[delivery_id] = notifier.resend_refusal(delivery_id) or "moved on"
    if refused:
        raise click.ClickException(
            "not resent: " + "; ".join(f"{d}: {why}" for d, why in refused.items())
        )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
