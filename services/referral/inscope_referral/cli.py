"""``inscope-referral``: relay, dead letters, OpenAPI and staff accounts."""

from __future__ import annotations

import click
from flask import Flask

from inscope_common.auth import ADMIN, ROLES
from inscope_common.cli import make_service_cli
from inscope_common.runtime import Runtime
from inscope_referral import create_app
from inscope_referral.accounts import (
    AccountError,
    create_account,
    find_account,
    has_admin,
    has_password,
    principal_of,
    reset_password,
)

# DEMO ONLY: the account `make run` creates when no admin exists, so a first-time user
# can sign in. Printed at start-up; never use it for real data.
DEMO_EMAIL = "admin@inscope.demo"
DEMO_PASSWORD = "inscope-demo-only"

cli = make_service_cli("referral", create_app)


@cli.group(help="Staff accounts (docs/accounts-and-security.md).")
def accounts() -> None:
    pass


def _password(given: str | None) -> str:
    return given or click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _create(rt: Runtime, email: str, name: str, role: str, password: str | None) -> None:
    try:
        account = create_account(rt, email, name, role, _password(password))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {account.role} {account.email} ({account.id})")


@accounts.command("create-admin", help="Create an admin account (the first one, say).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", help="Prompted for when left out.")
@click.pass_obj
def create_admin(obj: tuple[Flask, Runtime], email: str, name: str, password: str | None) -> None:
    _create(obj[1], email, name, ADMIN, password)


@accounts.command("create", help="Create a staff account with a role.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password", help="Prompted for when left out.")
@click.pass_obj
def create(
    obj: tuple[Flask, Runtime], email: str, name: str, role: str, password: str | None
) -> None:
    _create(obj[1], email, name, role, password)


@accounts.command(
    "reset-password", help="Set a new password for an account (and clear its failed sign-ins)."
)
@click.argument("email")
@click.option("--password", help="Prompted for when left out.")
@click.pass_obj
def reset_password_cmd(obj: tuple[Flask, Runtime], email: str, password: str | None) -> None:
    try:
        account = reset_password(obj[1], email, _password(password))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    state = "" if account.active else " (the account is stopped: reactivate it to sign in)"
    click.echo(f"new password set for {account.email}{state}")


@accounts.command("token", help="Print an API bearer token for an account.")
@click.argument("email")
@click.option("--days", default=30.0, show_default=True, type=click.FloatRange(min=0.01))
@click.pass_obj
def token(obj: tuple[Flask, Runtime], email: str, days: float) -> None:
    app, rt = obj
    account = find_account(rt, email)
    if account is None or not account.active:
        raise click.ClickException(f"no active account {email}")
    credentials = app.extensions["inscope_auth"]
    click.echo(credentials.api_token(principal_of(account), ttl_s=int(days * 86400)))


@accounts.command("ensure-demo-admin", help="DEMO ONLY: create a demo admin if none exists.")
@click.option("--email", default=DEMO_EMAIL, show_default=True)
@click.option("--password", default=DEMO_PASSWORD, show_default=True)
@click.pass_obj
def ensure_demo_admin(obj: tuple[Flask, Runtime], email: str, password: str) -> None:
    rt = obj[1]
    login = f"{rt.settings.urls['referral']}/login"
    reset = f"inscope-referral accounts reset-password {email}"
    if has_admin(rt):
        if has_password(rt, email, password):
            click.echo(
                f"DEMO ONLY: sign in at {login} as {email}, password {password!r} "
                "(create real accounts, then retire this one)."
            )
        elif find_account(rt, email) is not None:
            click.echo(
                f"Sign in at {login} as {email} with the password you gave it "
                f"(forgotten: .venv/bin/{reset})."
            )
        else:
            click.echo(
                f"Sign in at {login} with an admin account "
                "(forgotten: .venv/bin/inscope-referral accounts reset-password EMAIL)."
            )
        return
    create_account(rt, email, "Demo admin", ADMIN, password)
    click.echo(
        f"DEMO ONLY: created the admin {email}, password {password!r}. Sign in at {login}, "
        "then create real accounts (inscope-referral accounts create) and retire this one."
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
