"""The staff hub's pages: sign in and out, the client board, a client's page.

Server-rendered HTML. The guard in inscope_common.auth admits signed-in staff (and
checks each form's CSRF token) before these views run; the login form, open to all,
carries a double-submit token of its own.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from inscope_clinical import trends
from inscope_clinical.explain import explain, target_words
from inscope_clinical.free_text import lexicon
from inscope_clinical.program_sheet import line_of, program_sheet
from inscope_clinical.restrictions import MOVEMENT_LABELS
from inscope_common.audit import Actor, record_event
from inscope_common.auth import (
    ADMIN,
    CSRF_FIELD,
    FRONT_DESK,
    PRE_SESSION_COOKIE,
    ROLES,
    SESSION_COOKIE,
    SESSION_TTL_S,
    check_pre_session_csrf,
    clear_session_cookie,
    current_actor,
    forwarded_credential,
    pre_session_csrf,
    require_principal,
    set_session_cookie,
)
from inscope_common.runtime import runtime
from inscope_referral import accounts, board, referrals
from inscope_referral.directory import Reader
from inscope_referral.models import AuditEntry

bp = Blueprint("staff", __name__, template_folder="templates")


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
            error, status = "The form had expired. Please sign in again.", 400
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
                    "Admins sign in with a code from an authenticator app, and this account "
                    "has none yet: run `inscope-referral accounts totp-enroll EMAIL` (or ask "
                    "another admin), then sign in with the code.",
                    403,
                )
            elif outcome.refused == "throttled":
                minutes = (outcome.retry_after_s + 59) // 60
                error, status = (
                    "Too many failed attempts from here. Try again in "
                    f"{minutes} minute{'s' if minutes != 1 else ''}, or ask an admin to "
                    "unlock your account.",
                    429,
                )
                retry_after = outcome.retry_after_s
            else:
                error, status = (
                    "That email and password (and code, if your account uses one) do not "
                    "match an account.",
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
            return make_response("The sign-out form is out of date or not from this site.", 403)
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


@bp.route("/board")
def client_board() -> Any:
    """Every client, most urgent first, a page at a time; a name search goes to the
    intake service (names live there) and filters every client, not the page."""
    principal = require_principal()
    rt = runtime()
    reader = Reader(rt.settings.urls, forwarded_credential())
    status_filter = request.args.get("status", "")
    referral_filter = request.args.get("referral", "")
    if status_filter not in board.CLIENT_STATUS_WORDS:
        status_filter = ""
    if referral_filter not in board.REFERRAL_STATUS_WORDS:
        referral_filter = ""
    review_filter = request.args.get("review", "") == "1"
    q = request.args.get("q", "").strip()[:100]
    query = board.Query(status=status_filter, referral=referral_filter, review=review_filter)
    search_problem, truncated = "", False
    if q:
        found = reader.search_clients(q)
        if found is None:
            search_problem = "The intake service did not answer the name search; try again."
            query.client_ids = []
        else:
            query.client_ids, truncated = found
    after = board.Cursor.decode(request.args.get("after", ""))
    before = board.Cursor.decode(request.args.get("before", "")) if after is None else None
    size = request.args.get("size", "")
    size_n = int(size) if size.isdigit() else board.PAGE_SIZE
    page = board.board_page(rt, query, after=after, before=before, size=size_n)
    emergencies = board.open_emergencies(rt)
    ids = list(dict.fromkeys([r["client_id"] for r in page.rows + emergencies]))
    names = reader.client_names(ids)
    today = dt.date.today()
    board.with_recipients(page.rows, names or {}, board.emergency_number(rt), today)
    keep = {k: v for k, v in (("q", q), ("status", status_filter),
                              ("referral", referral_filter),
                              ("review", "1" if review_filter else "")) if v}
    if size_n != board.PAGE_SIZE:
        keep["size"] = str(size_n)
    return render_template(
        "board.html",
        page=page,
        rows=page.rows,
        names=names or {},
        names_missing=names is None,
        emergencies=emergencies,
        q=q,
        search_problem=search_problem,
        truncated=truncated,
        status_filter=status_filter,
        referral_filter=referral_filter,
        review_filter=review_filter,
        review_count=board.review_count(rt) if principal.role != FRONT_DESK else None,
        statuses=board.CLIENT_STATUS_WORDS,
        referral_statuses=board.REFERRAL_STATUS_WORDS,
        clinical=principal.role != FRONT_DESK,
        previous_url=("/board?" + urlencode({**keep, "before": page.previous}))
        if page.previous else None,
        next_url=("/board?" + urlencode({**keep, "after": page.next})) if page.next else None,
        emergency_number=board.emergency_number(rt),
        target_words=target_words,
    )


@bp.route("/clients/<client_id>/emergency/<action>", methods=["POST"])
def emergency_action(client_id: str, action: str) -> Any:
    """Staff acknowledge an emergency, then resolve it with a note (audited)."""
    actions = {"acknowledge": "acknowledged", "resolve": "resolved"}
    if action not in actions:
        abort(404)
    try:
        board.act_on_emergency(
            runtime(), client_id, actions[action], request.form.get("note", ""), current_actor()
        )
    except board.EmergencyProblem as exc:
        return render_template("emergency_problem.html", message=str(exc)), exc.status
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/board",
                    code=303)


@bp.route("/clients/<client_id>/referrals/<referral_id>/verify", methods=["POST"])
def verify_answer(client_id: str, referral_id: str) -> Any:
    """Record who verified a client-carried answer with the clinician, how and when
    (audited); the answer then applies."""
    rt = runtime()
    row = referrals.get_referral(rt, referral_id)
    if row is None or row["client_id"] != client_id:
        abort(404)
    when = request.form.get("verified_at", "").strip()
    try:  # a datetime-local field: the facility's wall clock
        zone = rt.settings.locale.zone
        at = dt.datetime.fromisoformat(when).replace(tzinfo=zone) if when else None
    except ValueError:
        return render_template("review_problem.html", message="Give the date and time.",
                               back=f"/clients/{client_id}/view"), 422
    try:
        referrals.verify_answer(
            rt, referral_id, current_actor(),
            verified_with=request.form.get("verified_with", ""),
            method=request.form.get("method", ""),
            verified_at=at,
            note=request.form.get("note"),
        )
    except referrals.VerificationRefused as exc:
        return render_template("review_problem.html", message=str(exc),
                               back=f"/clients/{client_id}/view"), exc.status
    return redirect(f"/clients/{client_id}/view", code=303)


@bp.route("/clients/<client_id>/review", methods=["POST"])
def review_action(client_id: str) -> Any:
    """Confirm or dismiss one flagged item (DEC-2 / DEC-3) from the client page. The
    intake service owns the intake: it records who, when and why on a corrected version
    and has the client screened again; this page only forwards the staff member's
    choice (their own token) and shows its answer."""
    require_principal()
    rt = runtime()
    status = board.client_detail(rt, client_id, current_actor())
    if status is None:
        abort(404)
    reader = Reader(rt.settings.urls, forwarded_credential())
    code, body = reader.review(
        status["intake_id"],
        {"key": request.form.get("key", ""), "action": request.form.get("action", ""),
         "reason": request.form.get("reason", "")[:900]},
    )
    if code == 201:
        return redirect(f"/clients/{client_id}/view?reviewed=1", code=303)
    message = (body or {}).get("message") if isinstance(body, dict) else None
    if code is None:
        message = "The intake service did not answer; nothing was changed. Try again."
        code = 503
    return render_template("review_problem.html", message=message or "Not done.",
                           back=f"/clients/{client_id}/view"), code


@bp.route("/clients/<client_id>/view")
def client_page(client_id: str) -> str:
    require_principal()
    rt = runtime()
    status = board.client_detail(rt, client_id, current_actor())
    if status is None:
        abort(404)
    reader = Reader(rt.settings.urls, forwarded_credential())
    names = reader.client_names([client_id]) or {}
    return render_client_page(
        status,
        status["journey_inputs"],
        names.get(client_id) or {},
        reader.deliveries(client_id),
        board.emergency_number(rt),
    )


def render_client_page(
    status: dict[str, Any],
    inputs: Any,
    person: dict[str, Any],
    deliveries: list[dict[str, Any]] | None,
    emergency_number: str,
) -> str:
    """The client page: the decision in words first (the journey's headline), then its
    reasons sorted for people (inscope_clinical.explain), the ids under Details."""
    decision = status["decision"]
    physician = person.get("physician") if (decision or {}).get("target") == "physician" else None
    journey = inputs.journey(emergency_number, recipient=physician, today=dt.date.today())
    return render_template(
        "client.html",
        s=status,
        j=journey,
        badge_class=board.BADGE_CLASS.get(journey.badge, "pending"),
        explained=explain(decision) if decision else [],
        target_words=target_words,
        emergency_state=inputs.emergency,
        name=" ".join(p for p in (person.get("first_name"), person.get("last_name")) if p),
        deliveries=deliveries,
        statuses=board.CLIENT_STATUS_WORDS,
        referral_statuses=board.REFERRAL_STATUS_WORDS,
        movement_labels=MOVEMENT_LABELS,
        verification_methods=referrals.VERIFICATION_METHODS,
        # Built from numbers and escaped labels only (inscope_clinical.trends).
        trend_chart=Markup(trends.trend_svg(status["trend"])) if status.get("trend") else None,
        test_words=trends.TEST_WORDS,
        review_labels=lexicon().labels,
        reviewed=(getattr(getattr(inputs, "case", None), "screening", None) or {}).get(
            "review") or {},
        just_reviewed=request.args.get("reviewed") == "1",
    )


@bp.route("/clients/<client_id>/program/print")
def print_program(client_id: str) -> str:
    """The program a client can hold (issue 9 item 5): the same plain words as the PDF
    attached to the program-ready email (inscope_clinical.program_sheet), laid out for
    the browser's Print (no script needed)."""
    require_principal()
    rt = runtime()
    status = board.client_detail(rt, client_id, current_actor())
    if status is None or not status.get("program") or status["journey"]["do_not_train"]:
        abort(404)
    reader = Reader(rt.settings.urls, forwarded_credential())
    person = (reader.client_names([client_id]) or {}).get(client_id) or {}
    name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
    sheet = program_sheet(status["program"], client_name=name)
    return render_template("program_print.html", sheet=sheet, line_of=line_of,
                           client_id=client_id)


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
            error, status = str(exc), 422
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
        abort(409, description="an admin cannot change their own role")
    try:
        account = accounts.set_role(runtime(), account_id, request.form.get("role", ""))
    except accounts.AccountError as exc:
        return _accounts_page(error=str(exc), status=422)
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
        return _accounts_page(error=str(exc), status=422)
    if account is None:
        abort(404)
    return redirect("/admin/accounts", code=303)


@bp.route("/admin/accounts/unlock", methods=["POST"])
def unlock_sign_in() -> Any:
    """Clear an account's failed sign-ins (from one address, or every address)."""
    email = request.form.get("email", "")
    try:
        cleared = accounts.unlock(runtime(), email, request.form.get("address", ""))
    except accounts.AccountError as exc:
        return _accounts_page(error=str(exc), status=422)
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
        return _accounts_page(token_error="no account with that email", status=422)
    try:
        record, token = accounts.issue_token(
            rt, current_app.extensions["inscope_auth"], account,
            request.form.get("name", ""), days, current_actor().name,
        )
    except accounts.AccountError as exc:
        return _accounts_page(token_error=str(exc), status=422)
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
        abort(409, description="an admin cannot stop their own account")
    account = accounts.set_active(runtime(), account_id, active)
    if account is None:
        abort(404)
    _admin("account", account_id, f"{'reactivated' if active else 'stopped'} {account.email}")
    return redirect("/admin/accounts", code=303)
