"""Staff identity's pages: sign in and out, and the admins' page of accounts, API tokens
and sign-in lockouts (the ``identity`` blueprint of the referral service, the identity
owner).

The login form, open to all, carries a double-submit CSRF token of its own; every other
view is guarded by inscope_common.auth (admins only) and checks each form's CSRF token.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

from inscope_common.audit import Actor, record_event
from inscope_common.auth import (
    ADMIN,
    CSRF_FIELD,
    FRONT_DESK,
    PRE_SESSION_COOKIE,
    PUBLIC_PAGE,
    ROLES,
    SESSION_COOKIE,
    SESSION_TTL_S,
    access,
    check_pre_session_csrf,
    clear_session_cookie,
    current_actor,
    declare,
    pre_session_csrf,
    require_principal,
    set_session_cookie,
)
from inscope_common.runtime import runtime
from inscope_common.web import N_
from inscope_referral.identity import accounts
from inscope_referral.models import AuditEntry

bp = Blueprint("identity", __name__)


def _landing(role: str) -> str:
    """Where each role starts its day."""
    urls = runtime().settings.urls
    if role == FRONT_DESK:
        return f"{urls['intake']}/intakes/new"
    if role == ADMIN:
        return "/board"
    return f"{urls['assessment']}/assess"


def _safe_next(target: str) -> str | None:
    """Only back to a local path or one of our own services (no open redirect).

    Browsers drop tabs and newlines from a Location and read a backslash as a slash,
    so ``/%09/evil.test/`` (a tab) or a backslash path would leave the site: any
    control character, space or backslash refuses the target outright."""
    if not target or any(c <= " " or c in "\\\x7f" for c in target):
        return None
    if target.startswith("/") and not target.startswith("//"):
        return target
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. http://[ (an unclosed IPv6 bracket)
        return None
    ours = {urlsplit(u).netloc for u in runtime().settings.urls.values()}
    return target if parts.scheme in ("http", "https") and parts.netloc in ours else None


# Signing in and out is open to all; the accounts page is for admins.
declare(
    bp,
    login=PUBLIC_PAGE,
    logout=PUBLIC_PAGE,
    staff_accounts=access(ADMIN, kind="page"),
    set_account_active=access(ADMIN, kind="page"),
    set_account_role=access(ADMIN, kind="page"),
    set_account_profile=access(ADMIN, kind="page"),
    issue_api_token=access(ADMIN, kind="page"),
    unlock_sign_in=access(ADMIN, kind="page"),
    revoke_api_token=access(ADMIN, kind="page"),
)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    new_cookies: dict[str, str] = {}
    token = pre_session_csrf(new_cookies)
    nxt = request.values.get("next", "")
    error = ""
    status = 200
    retry_after = 0
    if request.method == "POST":
        email = request.form.get("email", "")
        if not check_pre_session_csrf():
            error, status = gettext("The form had expired. Please sign in again."), 400
        else:
            address = request.remote_addr or "?"
            outcome = accounts.sign_in(
                runtime(), email, request.form.get("password", ""), address,
                request.form.get("code", ""),
            )
            _audit_sign_in(outcome, email, address)
            if outcome.principal is not None:
                credentials = current_app.extensions["inscope_auth"]
                target = _safe_next(nxt) or _landing(outcome.principal.role)
                response = redirect(target, code=303)
                set_session_cookie(response, credentials.session_cookie(outcome.principal))
                response.delete_cookie(PRE_SESSION_COOKIE, path="/")
                return response
            if outcome.refused == "totp_required":
                error, status = (
                    gettext("Admins sign in with a code from an authenticator app, and this "
                            "account has none yet: run `inscope-referral accounts totp-enroll "
                            "EMAIL` (or ask another admin), then sign in with the code."),
                    403,
                )
            elif outcome.refused == "throttled":
                minutes = (outcome.retry_after_s + 59) // 60
                error, status = (
                    ngettext("Too many failed attempts from here. Try again in %(num)d "
                             "minute, or ask an admin to unlock your account.",
                             "Too many failed attempts from here. Try again in %(num)d "
                             "minutes, or ask an admin to unlock your account.", minutes),
                    429,
                )
                retry_after = outcome.retry_after_s
            else:
                error, status = (
                    gettext("That email and password (and code, if your account uses one) "
                            "do not match an account."),
                    401,
                )
    response = make_response(
        render_template(
            "login.html",
            login_csrf=token,
            next=nxt,
            error=error,
            email=request.form.get("email", ""),
        ),
        status,
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    for name, value in new_cookies.items():
        response.set_cookie(
            name,
            value,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
            max_age=3600,
        )
    return response


def _audit_sign_in(outcome: accounts.SignIn, email: str, address: str) -> None:
    """Every sign-in, success or failure, with the address it came from."""
    p = outcome.principal
    if p is not None:
        actor = Actor(p.account_id, p.name, p.role, "page")
        action, detail = "sign_in", f"from {address}"
    else:
        # Who tried: the account the email names, else the email as typed.
        actor = Actor(outcome.account_id or "unknown",
                      accounts.normalise_email(email)[:200], "", "page")  # fmt: skip
        action, detail = "sign_in_failed", f"{outcome.refused} from {address}"
    _audit(actor, action, "account", actor.account_id, detail)


def _audit(
    actor: Actor, action: str, record: str, record_id: str | None, detail: str | None = None
) -> None:
    record_event(runtime().session_factory, AuditEntry, actor, action,  # type: ignore[arg-type]
                 record, record_id, detail=detail)  # fmt: skip


def _admin(record: str, record_id: str | None, detail: str) -> None:
    _audit(current_actor(), "admin", record, record_id, detail)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out: the session ends everywhere at once (it joins the revocation list, so
    a copy of the cookie no longer works either). Open to a stale or ended session,
    which only loses its cookie; a live session must send its CSRF token, so another
    site cannot sign a staff member out."""
    credentials = current_app.extensions["inscope_auth"]
    principal = credentials.read_session(request.cookies.get(SESSION_COOKIE, ""))
    if principal is not None and not credentials.is_revoked(principal):
        sent = request.form.get(CSRF_FIELD, "")
        expected = credentials.csrf_token(principal)
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            # The staff error page (not bare text): the sign-out form is a page's.
            abort(403, description=N_("The sign-out form is out of date or not from this site"))
        accounts.revoke_credential(
            runtime(), principal.credential_id, principal.issued_at + SESSION_TTL_S, "sign-out"
        )
        if credentials.activity is not None:
            credentials.activity.end(principal.session_id)
        _audit(Actor(principal.account_id, principal.name, principal.role, "page"),
               "sign_out", "account", principal.account_id)  # fmt: skip
    response = redirect("/login", code=303)
    clear_session_cookie(response)
    return response


@bp.route("/admin/accounts", methods=["GET", "POST"])
def staff_accounts() -> Any:
    """Admins list and create staff accounts (the CLI does the same)."""
    rt = runtime()
    error, status, values = "", 200, {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("email", "name", "role")}
        try:
            account = accounts.create_account(
                rt,
                values["email"],
                values["name"],
                values["role"],
                request.form.get("password", ""),
            )
        except accounts.AccountError as exc:
            error, status = exc.text, 422
        else:
            _admin("account", account.id, f"created {account.email} as {account.role}")
            return redirect(f"/admin/accounts?created={account.email}", code=303)
    return _accounts_page(error=error, values=values, status=status)


def _accounts_page(status: int = 200, **extra: Any) -> Any:
    rt = runtime()
    page = render_template(
        "accounts.html",
        accounts=accounts.list_accounts(rt),
        tokens=accounts.list_tokens(rt),
        lockouts=accounts.lockouts(rt),
        unlocked=request.args.get("unlocked", ""),
        roles=ROLES,
        created=request.args.get("created", ""),
        min_password=accounts.MIN_PASSWORD,
        max_token_days=rt.settings.api_token_max_days,
        **{"error": "", "values": {}, "token_error": "", "new_token": None, **extra},
    )
    response = make_response(page, status)
    return response


@bp.route("/admin/accounts/<account_id>/role", methods=["POST"])
def set_account_role(account_id: str) -> Any:
    """A new role ends the account's sessions and tokens (they name the old role)."""
    if require_principal().account_id == account_id:
        abort(409, description=N_("an admin cannot change their own role"))
    try:
        account = accounts.set_role(runtime(), account_id, request.form.get("role", ""))
    except accounts.AccountError as exc:
        return _accounts_page(error=exc.text, status=422)
    if account is None:
        abort(404)
    _admin("account", account_id, f"role of {account.email} set to {account.role}")
    return redirect("/admin/accounts", code=303)


@bp.route("/admin/accounts/<account_id>/profile", methods=["POST"])
def set_account_profile(account_id: str) -> Any:
    """The staff profile letters and emails are signed with (issue 15 item 5)."""
    require_principal()
    try:
        account = accounts.set_profile(
            runtime(),
            account_id,
            name=request.form.get("name", ""),
            credential=request.form.get("credential", ""),
            registration=request.form.get("registration", ""),
        )
    except accounts.AccountError as exc:
        return _accounts_page(error=exc.text, status=422)
    if account is None:
        abort(404)
    # What clinical letters and emails will be signed with, and who set it.
    signature = ", ".join(p for p in (account.name, account.credential) if p)
    if account.registration:
        signature += f" (registration {account.registration})"
    _admin("account", account_id, f"profile of {account.email} set: signs as {signature}")
    return redirect("/admin/accounts", code=303)


@bp.route("/admin/accounts/unlock", methods=["POST"])
def unlock_sign_in() -> Any:
    """Clear an account's failed sign-ins (from one address, or every address)."""
    email = request.form.get("email", "")
    try:
        cleared = accounts.unlock(runtime(), email, request.form.get("address", ""))
    except accounts.AccountError as exc:
        return _accounts_page(error=exc.text, status=422)
    where = request.form.get("address", "")
    _admin("sign_in_failures", None,
           f"unlocked {email or 'every account'}{' from ' + where if where else ''}: "
           f"{cleared} cleared")  # fmt: skip
    return redirect(f"/admin/accounts?{urlencode({'unlocked': cleared})}", code=303)


@bp.route("/admin/tokens", methods=["POST"])
def issue_api_token() -> Any:
    """Issue a named API token for an account; it is shown once, on this answer."""
    rt = runtime()
    account = accounts.find_account(rt, request.form.get("email", ""))
    days_raw = request.form.get("days", "")
    try:
        days = float(days_raw)
    except ValueError:
        days = 0.0
    if account is None:
        return _accounts_page(token_error=gettext("no account with that email"), status=422)
    try:
        record, token = accounts.issue_token(
            rt, current_app.extensions["inscope_auth"], account,
            request.form.get("name", ""), days, current_actor().name,
        )
    except accounts.AccountError as exc:
        return _accounts_page(token_error=exc.text, status=422)
    _admin("api_token", record.id, f"issued '{record.name}' for {account.email}, {days:g} days")
    response = _accounts_page(new_token={"token": token, "name": record.name,
                                         "email": account.email})
    return response


@bp.route("/admin/tokens/<token_id>/revoke", methods=["POST"])
def revoke_api_token(token_id: str) -> Response:
    revoked = accounts.revoke_token(runtime(), token_id, current_actor().name)
    if revoked is None:
        abort(404)
    _admin("api_token", token_id, f"revoked '{revoked.name}'")
    return redirect("/admin/accounts", code=303)


@bp.route("/admin/accounts/<account_id>/active", methods=["POST"])
def set_account_active(account_id: str) -> Response:
    active = request.form.get("active") == "1"
    if require_principal().account_id == account_id and not active:
        abort(409, description=N_("an admin cannot stop their own account"))
    account = accounts.set_active(runtime(), account_id, active)
    if account is None:
        abort(404)
    _admin("account", account_id, f"{'reactivated' if active else 'stopped'} {account.email}")
    return redirect("/admin/accounts", code=303)
