"""The pre-visit link's pages: the front desk sends links and sees what came back
(signed-in staff), and the client's own page, opened through the link with no account
(inscope_intake.previsit explains the link; docs/web-pages.md the pages)."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.wrappers import Response

from inscope_clinical.red_flags import emergency_flags
from inscope_clinical.schemas import CLIENT_LANGUAGES, one_line_text
from inscope_common.audit import record_view
from inscope_common.auth import (
    ADMIN,
    FRONT_DESK,
    PUBLIC_PAGE,
    access,
    clear_session_cookie,
    current_actor,
    declare,
    end_this_session,
)
from inscope_common.db import utcnow
from inscope_common.logs import get_logger
from inscope_common.runtime import runtime
from inscope_common.web import S_, use_language
from inscope_intake import pages, previsit, questions
from inscope_intake.api import IntakeRequestSchema
from inscope_intake.models import AuditEntry

bp = Blueprint("previsit", __name__, template_folder="templates")
log = get_logger(__name__)

# What the client's page says when a link cannot be used (status code, heading, advice).
PROBLEMS: dict[str, tuple[LazyString, LazyString]] = {
    "invalid": (
        _l("This link is not valid"),
        _l(
            "It may have been copied incompletely or changed. Open it again from the "
            "email we sent you, or ask the front desk for a new one."
        ),
    ),
    "expired": (
        _l("This link has expired"),
        _l(
            "Links are open for a limited time. Ask the front desk for a new one, or "
            "fill in the questions with them when you come in."
        ),
    ),
    "used": (
        _l("These answers have already been sent"),
        _l(
            "Thank you: we have them. The front desk will go through them with you when "
            "you come in. To change an answer, tell them then."
        ),
    ),
    "withdrawn": (_l("This link has been withdrawn"), _l("Ask the front desk for a new one.")),
    "forbidden": (
        _l("This form could not be accepted"),
        _l("Open the link from the email again and send the form from that page."),
    ),
}
# Sections only staff fill in (a clinician's documents, measured values): not on the
# client's page, and dropped if a posted form carries them anyway.
STAFF_ONLY = (
    "intake.history.clinician_guidelines.",
    "intake.history.written_clearances.",
    "intake.vitals.",
    "signature.",
)


# On the desk's tablet the client's link is the tablet's: what a problem page says there.
TABLET_WORDS: dict[str, tuple[LazyString, LazyString]] = {
    "no_tablet": (
        _l("No client questions are open on this tablet"),
        _l("Please hand the tablet back to the front desk."),
    ),
    "used": (
        _l("These answers have already been sent"),
        _l("Thank you: please hand the tablet back to the front desk."),
    ),
    "expired": (_l("This session has ended"), _l("Please hand the tablet back to the front desk.")),
    "withdrawn": (
        _l("This session has ended"),
        _l("Please hand the tablet back to the front desk."),
    ),
}


class SendLinkForm(Schema):
    first_name = one_line_text(100, required=True)
    last_name = one_line_text(100, required=True)
    email = fields.Email(required=True)
    language = fields.String(validate=validate.OneOf(CLIENT_LANGUAGES))


TABLET_FIELDS = ("tablet_first_name", "tablet_last_name", "tablet_language")


class TabletForm(Schema):
    tablet_first_name = one_line_text(100, required=True)
    tablet_last_name = one_line_text(100, required=True)
    tablet_language = fields.String(validate=validate.OneOf(CLIENT_LANGUAGES))


# The front desk sends pre-visit links, completes their drafts and hands the tablet
# over; the client's own pages are open (the signed link, or the tablet's cookie, is
# the key).
declare(
    bp,
    links=access(FRONT_DESK, ADMIN, kind="page"),
    review=access(FRONT_DESK, ADMIN, kind="page"),
    withdraw=access(FRONT_DESK, ADMIN, kind="page"),
    start_tablet=access(FRONT_DESK, ADMIN, kind="page"),
    tablet_return=access(FRONT_DESK, ADMIN, kind="page"),
    client_page=PUBLIC_PAGE,
    tablet_page=PUBLIC_PAGE,
)


@bp.after_request
def _same_origin_referrer(response: Response) -> Response:
    # The platform's "no-referrer" makes a browser send "Origin: null" with the client's
    # form; "same-origin" names this service to itself only (the URL holds the link).
    if request.endpoint in ("previsit.client_page", "previsit.tablet_page"):
        response.headers["Referrer-Policy"] = "same-origin"
    return response


# --- the front desk ------------------------------------------------------------------


@bp.route("/previsit", methods=["GET", "POST"])
def links() -> Any:
    """Send a client a link; the links sent lately and where each stands."""
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {
            k: (request.form.get(k) or "").strip()
            for k in ("first_name", "last_name", "email", "language")
        }
        try:
            loaded = SendLinkForm().load({k: v for k, v in values.items() if v})
        except ValidationError as exc:
            errors = {k: [_worded(k, m) for m in v] for k, v in exc.messages.items()}
            status = 422
        else:
            row = previsit.send_link(
                runtime(),
                loaded["first_name"],
                loaded["last_name"],
                loaded["email"],
                current_actor(),
                loaded.get("language"),
            )
            return redirect(url_for("previsit.links", sent=row.id), code=303)
    return _links_page(values, errors, status)


def _links_page(values: dict[str, str], errors: dict[str, list[str]], status: int) -> Response:
    body = render_template(
        "previsit_links.html",
        links=previsit.recent_links(runtime()),
        values={"language": pages.default_language(),
                "tablet_language": pages.default_language(), **values},
        errors=errors,
        sent=previsit.get_link(runtime(), request.args.get("sent", "")),
        ended=previsit.get_link(runtime(), request.args.get("ended", "")),
        now=utcnow(),
        languages=pages.language_choices(),
    )
    return make_response(body, status)


_FIELD_WORDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "language": "Client's language",
    "tablet_first_name": "The client’s first name",
    "tablet_last_name": "The client’s last name",
    "tablet_language": "Client's language",
}


def _worded(field: str, message: str) -> str:
    if message == "Missing data for required field.":
        return f"{_FIELD_WORDS[field]} is required."
    if field in ("language", "tablet_language"):
        return "Client's language: choose one of the list."
    if field == "email":
        return "Email must be an email address (name@example.com)."
    return f"{_FIELD_WORDS[field]}: {message}"


@bp.route("/previsit/<link_id>/withdraw", methods=["POST"])
def withdraw(link_id: str) -> Response:
    """The desk stops a link that waits for the client; the list says so."""
    try:
        row = previsit.withdraw(runtime(), link_id, current_actor())
    except previsit.LinkProblem:
        abort(409, description=S_("The client has already sent their answers."))
    if row is None:
        abort(404)
    return redirect(url_for("previsit.links"), code=303)


@bp.route("/previsit/<link_id>/review")
def review(link_id: str) -> Any:
    """The client's draft in the desk's intake form: the clerk checks each answer with
    the client, has them confirm the consent and sign, and submits (then screening)."""
    row = previsit.get_link(runtime(), link_id)
    if row is None:
        abort(404)
    if row.intake_id or row.status != "submitted":
        why = (
            S_("The client's answers are already an intake.")
            if row.intake_id
            else S_("The client has not sent their answers yet.")
        )
        abort(409, description=why)
    record_view(
        runtime().session_factory, AuditEntry, current_actor(), "previsit_draft", row.id, None
    )
    values = {**(row.draft or {}), "previsit": row.id}
    values.pop("csrf_token", None)
    values.pop("idempotency_key", None)
    return pages._form_page(values, {}, previsit=row, form_action=url_for("pages.new_intake"))


# --- the client ----------------------------------------------------------------------


@bp.route("/previsit/<token>", methods=["GET", "POST"])
def client_page(token: str) -> Response:
    """The client's own questions, on their phone; no account: the link is the key."""
    return _answer(token, tablet=False)


def _answer(token: str, tablet: bool) -> Response:
    """The client's page and what it sends, for the emailed link and the desk's tablet
    alike: the same questions, the same checks, the same draft."""
    rt = runtime()
    try:
        row = previsit.open_link(rt, token)
    except previsit.LinkProblem as problem:
        return _problem(problem.kind, problem.status, tablet)
    use_language(row.language)  # the page speaks the language the link was sent in
    if request.method == "GET":
        values = {
            "client.first_name": row.first_name,
            "client.last_name": row.last_name,
            "client.email": row.email,
            "client.preferred_language": row.language,
        }
        return _client_form(token, values, {}, 200, tablet=tablet)
    key = previsit.form_key(rt.settings.previsit_secret, token)
    if not _same_origin() or not hmac.compare_digest(key, request.form.get("form_key", "")):
        return _problem("forbidden", 403, tablet)
    form = {k: v for k, v in request.form.to_dict().items() if not k.startswith(STAFF_ONLY)}
    if form.get("add"):  # "Add pain area" without JavaScript
        return _client_form(token, form, {}, 200, tablet=tablet)
    body, _rows, errors = pages._read_form(form)
    emergency = _emergency_signs(form)
    if errors:
        return _client_form(token, form, errors, 422, emergency, tablet=tablet)
    loaded = IntakeRequestSchema().load(body)
    draft = {k: v for k, v in form.items() if k not in ("form_key", "add")}
    try:
        previsit.submit_draft(
            rt, token, draft, bool(emergency), screen_now=loaded if emergency else None
        )
    except previsit.LinkProblem as problem:  # sent twice at once: the first one counts
        return _problem(problem.kind, problem.status, tablet)
    body_html = render_template(
        "previsit_done.html",
        title=gettext("Thank you: your answers are sent"),
        facility=rt.settings.facility_name,
        emergency=emergency,
        emergency_number=rt.settings.emergency_number,
        tablet=tablet,
        hand_back_url=_hand_back_url() if tablet else None,
    )
    return make_response(body_html, 200)


# --- the desk's tablet, handed to the client --------------------------------------------

TABLET_COOKIE = "inscope_tablet"


@bp.route("/previsit/tablet", methods=["POST"])
def start_tablet() -> Any:
    """The desk hands its tablet to the client: the staff session ends, on the server as
    at sign-out (a copy of its cookie opens nothing) and on this browser (the cookie is
    removed, so no staff page opens until someone signs in again), and the tablet opens
    only this client's questions (a cookie holding their link)."""
    values = {k: (request.form.get(k) or "").strip() for k in TABLET_FIELDS}
    try:
        loaded = TabletForm().load({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        errors = {k: [_worded(k, m) for m in v] for k, v in exc.messages.items()}
        return _links_page(values, errors, 422)
    rt = runtime()
    row = previsit.start_tablet(
        rt, loaded["tablet_first_name"], loaded["tablet_last_name"], current_actor(),
        loaded.get("tablet_language"),
    )
    response = redirect(url_for("previsit.tablet_page"), code=303)
    response.set_cookie(
        TABLET_COOKIE,
        previsit.token_of(rt, row),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        max_age=int(previsit.TABLET_HOURS * 3600),
    )
    if not end_this_session():
        log.warning("tablet_session_not_revoked",
                    detail="the identity owner did not answer; the idle-time key is gone")
    clear_session_cookie(response)
    return response


@bp.route("/tablet", methods=["GET", "POST"])
def tablet_page() -> Response:
    """The client's questions on the desk's tablet: no staff navigation, no account, and
    only the one link its cookie holds (no link in the address to copy or change)."""
    token = request.cookies.get(TABLET_COOKIE, "")
    if not token:
        return _problem("no_tablet", 404, True)
    return _answer(token, tablet=True)


@bp.route("/previsit/tablet/return")
def tablet_return() -> Response:
    """A staff member signed in again on the tablet (the sign-in page brings them here):
    the tablet leaves the client's mode and the desk reviews what the client sent, as a
    pre-visit link's draft; a session the client did not send ends."""
    rt = runtime()
    row = previsit.tablet_link(rt, request.cookies.get(TABLET_COOKIE, ""))
    if row is None:
        target = url_for("previsit.links")
    else:
        row = previsit.take_back(rt, row.id, current_actor()) or row
        if row.intake_id:
            target = url_for("pages.show_intake", intake_id=row.intake_id)
        elif row.status == "submitted":
            target = url_for("previsit.review", link_id=row.id)
        else:
            target = url_for("previsit.links", ended=row.id)
    response = redirect(target, code=303)
    response.delete_cookie(
        TABLET_COOKIE, path="/", httponly=True, samesite="Strict", secure=request.is_secure
    )
    return response


def _hand_back_url() -> str:
    """The shared sign-in page; after it, the tablet's return to the desk."""
    settings = runtime().settings
    back = f"{settings.urls['intake']}/previsit/tablet/return"
    return f"{settings.urls['referral']}/login?{urlencode({'next': back})}"


def _emergency_signs(form: dict[str, str]) -> list[str]:
    """The emergency-grade warning signs the client ticked, in the page's words."""
    words = {k: w for group in questions.RED_FLAGS.values() for k, w in group.items()}
    return [words.get(f, f) for f in emergency_flags() if form.get(f"intake.red_flags.{f}")]


def _client_form(
    token: str,
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int,
    emergency: list[str] | None = None,
    *,
    tablet: bool = False,
) -> Response:
    rt = runtime()
    body = pages._form_page(
        values,
        errors,
        page="previsit_client.html",
        client_mode=True,
        form_key=previsit.form_key(rt.settings.previsit_secret, token),
        facility=rt.settings.facility_name,
        emergency_now=emergency or [],
        tablet=tablet,
        hand_back_url=_hand_back_url() if tablet else None,
    )
    return make_response(body, status)


def _problem(kind: str, status: int, tablet: bool = False) -> Response:
    title, detail = TABLET_WORDS[kind] if tablet and kind in TABLET_WORDS else PROBLEMS[kind]
    body = render_template(
        "previsit_done.html",
        title=title,
        detail=detail,
        problem=True,
        facility=runtime().settings.facility_name,
        tablet=tablet,
        hand_back_url=_hand_back_url() if tablet else None,
    )
    return make_response(body, status)


def _same_origin() -> bool:
    """A browser names the page a form came from; it must be this service. A client
    that sends neither header still needs the form key."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    ours = {_origin(runtime().settings.public_url), _origin(request.host_url)} - {None}
    return _origin(source) in ours


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
