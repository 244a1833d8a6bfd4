"""``inscope-referral accounts ...``: staff accounts, API tokens, sign-in lockouts and
TOTP from the command line (the admin page at /admin/accounts does the same)."""

from __future__ import annotations

import click
from flask import Flask

from inscope_common.auth import ADMIN, ROLES
from inscope_common.runtime import Runtime
from inscope_referral.identity.accounts import (
    AccountError,
    create_account,
    disable_totp,
    enroll_totp,
    find_account,
    has_admin,
    has_password,
    issue_token,
    list_tokens,
    lockouts,
    reset_password,
    revoke_token,
    set_active,
    set_profile,
    set_role,
    unlock,
)

# DEMO ONLY: the account `make run` creates when no admin exists, so a first-time user
# can sign in. Printed at start-up; never use it for real data.
DEMO_EMAIL = "admin@inscope.demo"
DEMO_PASSWORD = "inscope-demo-only"



@click.group(help="Staff accounts (docs/accounts-and-security.md).")
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


@accounts.command("token", help="Issue a named API bearer token for an account (printed once).")
@click.argument("email")
@click.option("--name", required=True, help="What uses the token (listed, revocable).")
@click.option(
    "--days",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Days until it expires; at most INSCOPE_API_TOKEN_MAX_DAYS.",
)
@click.pass_obj
def token(obj: tuple[Flask, Runtime], email: str, name: str, days: float) -> None:
    app, rt = obj
    account = find_account(rt, email)
    if account is None or not account.active:
        raise click.ClickException(f"no active account {email}")
    try:
        _record, value = issue_token(
            rt, app.extensions["inscope_auth"], account, name, days, "command line"
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(value)


@accounts.command("tokens", help="List the API tokens in use (id, name, account, expiry).")
@click.option("--all", "include_old", is_flag=True, help="Also revoked and expired ones.")
@click.pass_obj
def tokens(obj: tuple[Flask, Runtime], include_old: bool) -> None:
    for record, account in list_tokens(obj[1], include_old):
        state = "revoked" if record.revoked_at else ""
        click.echo(
            f"{record.id}\t{record.name}\t{account.email}\t"
            f"expires {record.expires_at:%Y-%m-%d %H:%M}Z\t{state}".rstrip()
        )


@accounts.command("revoke-token", help="Revoke an API token by its id (see `tokens`).")
@click.argument("token_id")
@click.pass_obj
def revoke_token_cmd(obj: tuple[Flask, Runtime], token_id: str) -> None:
    if revoke_token(obj[1], token_id, "command line") is None:
        raise click.ClickException(f"no API token {token_id}")
    click.echo(f"revoked {token_id}")


@accounts.command("lockouts", help="List failed sign-ins of the last 24 h by account and address.")
@click.pass_obj
def lockouts_cmd(obj: tuple[Flask, Runtime]) -> None:
    for entry in lockouts(obj[1]):
        until = f"waiting until {entry.locked_until:%H:%M:%S}Z" if entry.locked_until else ""
        click.echo(f"{entry.email}\t{entry.address}\t{entry.failures}\t{until}".rstrip())


@accounts.command("unlock", help="Clear an account's failed sign-ins (all addresses, or one).")
@click.argument("email", required=False, default="")
@click.option(
    "--address",
    default="",
    help="Only those from this address (or, with no EMAIL, every account's from this address).",
)
@click.pass_obj
def unlock_cmd(obj: tuple[Flask, Runtime], email: str, address: str) -> None:
    try:
        cleared = unlock(obj[1], email, address)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"cleared {cleared} failed sign-in{'s' if cleared != 1 else ''}")


@accounts.command("totp-enroll", help="Give an account a TOTP second factor (prints the secret).")
@click.argument("email")
@click.pass_obj
def totp_enroll(obj: tuple[Flask, Runtime], email: str) -> None:
    try:
        secret, uri = enroll_totp(obj[1], email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"secret {secret}\n{uri}\n(add it to the person's authenticator app in person; "
               "from now on they sign in with its 6-digit code)")  # fmt: skip


@accounts.command("totp-disable", help="Remove an account's TOTP second factor.")
@click.argument("email")
@click.pass_obj
def totp_disable(obj: tuple[Flask, Runtime], email: str) -> None:
    try:
        disable_totp(obj[1], email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"TOTP removed from {email}")


@accounts.command("stop", help="Stop an account: its sessions and tokens end at once.")
@click.argument("email")
@click.pass_obj
def stop(obj: tuple[Flask, Runtime], email: str) -> None:
    account = find_account(obj[1], email)
    if account is None:
        raise click.ClickException(f"no account {email}")
    set_active(obj[1], account.id, False)
    click.echo(f"stopped {account.email}")


@accounts.command("set-role", help="Change an account's role (its sessions and tokens end).")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_obj
def set_role_cmd(obj: tuple[Flask, Runtime], email: str, role: str) -> None:
    account = find_account(obj[1], email)
    if account is None:
        raise click.ClickException(f"no account {email}")
    set_role(obj[1], account.id, role)
    click.echo(f"{account.email} is now {role}")


@accounts.command(
    "set-profile", help="The name, credential and registration letters are signed with."
)
@click.argument("email")
@click.option("--name", help="As it should appear under a letter.")
@click.option("--credential", help='e.g. "NASM Certified Personal Trainer, CES"; "" clears.')
@click.option("--registration", help='Registration or licence number; "" clears.')
@click.pass_obj
def set_profile_cmd(
    obj: tuple[Flask, Runtime],
    email: str,
    name: str | None,
    credential: str | None,
    registration: str | None,
) -> None:
    account = find_account(obj[1], email)
    if account is None:
        raise click.ClickException(f"no account {email}")
    try:
        set_profile(obj[1], account.id, name=name, credential=credential, registration=registration)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"profile of {account.email} updated")


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
