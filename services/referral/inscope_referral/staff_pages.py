"""The staff hub's pages: the client board, a client's page (signing in and out and
the accounts page are staff identity's: inscope_referral.identity.pages).

Server-rendered HTML. The guard in inscope_common.auth admits signed-in staff (and
checks each form's CSRF token) before these views run; the login form, open to all,
carries a double-submit token of its own.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale as BabelLocale
from babel.support import Translations
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
)
from flask_babel import gettext as _
from markupsafe import Markup

from inscope_clinical import trends
from inscope_clinical.explain import explain, target_words
from inscope_clinical.free_text import labels
from inscope_clinical.library import client_words
from inscope_clinical.program import ABOVE_CAP, AVOIDED, PAINFUL
from inscope_clinical.program_sheet import line_of, program_sheet
from inscope_clinical.restrictions import MOVEMENT_LABELS
from inscope_clinical.schemas import CLIENT_LANGUAGES
from inscope_common.audit import record_view
from inscope_common.auth import (
    ADMIN,
    FRONT_DESK,
    TRAINER,
    access,
    current_actor,
    declare,
    forwarded_credential,
    require_principal,
)
from inscope_common.runtime import runtime
from inscope_common.web import CODE_WORDS, N_
from inscope_referral import board, lifecycle, referrals, status_stamps
from inscope_referral.contact import ContactUnavailable
from inscope_referral.directory import Reader
from inscope_referral.models import AuditEntry, Referral
from inscope_referral.pages import letter_of
from inscope_referral.tokens import CARRIED

bp = Blueprint("staff", __name__, template_folder="templates")


# Who may open each page (inscope_common.auth.declare). Everyone sees the board (the
# front desk without clinical detail); whoever is at the desk when an emergency happens
# acknowledges and resolves it; a client-carried answer applies only once clinical
# staff verified it (DEC-7).
declare(
    bp,
    client_board=access(FRONT_DESK, TRAINER, ADMIN, kind="page"),
    client_page=access(TRAINER, ADMIN, kind="page"),
    print_program=access(TRAINER, ADMIN, kind="page"),
    print_letter=access(TRAINER, ADMIN, kind="page"),
    emergency_action=access(FRONT_DESK, TRAINER, ADMIN, kind="page"),
    review_action=access(TRAINER, ADMIN, kind="page"),
    verify_answer=access(TRAINER, ADMIN, kind="page"),
)


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
            search_problem = _("The intake service did not answer the name search; try again.")
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
        return render_template("emergency_problem.html", message=exc.text), exc.status
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
        return render_template("review_problem.html", message=_("Give the date and time."),
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
        return render_template("review_problem.html", message=exc.text,
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
        message = _("The intake service did not answer; nothing was changed. Try again.")
        code = 503
    return render_template("review_problem.html", message=message or _("Not done."),
                           back=f"/clients/{client_id}/view"), code


@bp.route("/clients/<client_id>/view")
def client_page(client_id: str) -> str:
    require_principal()
    rt = runtime()
    # The status's version, read before the status (status_stamps): client.js follows
    # GET /clients/<id>/status with it and reloads the page when the status changes.
    etag = current_app.extensions[status_stamps.EXTENSION].etag(client_id)
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
        status_etag=etag,
    )


def _review_label(code: str) -> str:
    """What the review reads a flag (or an answer) as, in the staff language (the
    free-text lexicon's label, in the staff catalog); a code without one as itself."""
    label = labels().get(code)
    return _(label) if label else code


def _exercise_words(exercise: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """A program's exercise (name, cues) in the staff language: the library's words for
    its id (the staff catalog holds them, as the client catalog does for the sheet)."""
    return client_words(exercise, _)


def _excluded_words(reason: str) -> str:
    """Why an exercise was left out (``inscope_clinical.program.why_excluded``, stored
    English) in the staff language; a reason of another form as it is."""
    avoided = _stored(AVOIDED, reason)
    if avoided is not None:
        return _(AVOIDED, movements=", ".join(
            _(MOVEMENT_LABELS[m]) if m in MOVEMENT_LABELS else m for m in avoided.split(", ")))
    cap = _stored(ABOVE_CAP, reason)
    if cap is not None:
        return _(ABOVE_CAP, cap=_(CODE_WORDS.get(cap, cap)))
    return _(reason) if reason == PAINFUL else reason


def _stored(template: str, text: str) -> str | None:
    """The one value of a ``%(name)s`` template that gave ``text``, or None."""
    before, _sep, after = template.partition("%(")
    after = after.partition(")s")[2]
    if text.startswith(before) and text.endswith(after) and len(text) > len(before + after):
        return text[len(before):len(text) - len(after)]
    return None


def render_client_page(
    status: dict[str, Any],
    inputs: Any,
    person: dict[str, Any],
    deliveries: list[dict[str, Any]] | None,
    emergency_number: str,
    status_etag: str | None = None,
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
        closed_reason_text=referrals.closed_reason_text,
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
        review_label=_review_label,
        exercise_words=_exercise_words,
        excluded_words=_excluded_words,
        reviewed=(getattr(getattr(inputs, "case", None), "screening", None) or {}).get(
            "review") or {},
        just_reviewed=request.args.get("reviewed") == "1",
        status_etag=status_etag,
    )


@bp.route("/clients/<client_id>/program/print")
def print_program(client_id: str) -> str:
    """The program a client can hold (issue 9 item 5): the same plain words as the PDF
    attached to the program-ready email (inscope_clinical.program_sheet), in the same
    language, the client's (``preferred_language`` on the intake, else the facility's),
    laid out for the browser's Print (no script needed). ``?language=`` prints it in
    another client language (a copy in the facility's language for the trainer)."""
    require_principal()
    rt = runtime()
    status = board.client_detail(rt, client_id, current_actor())
    if status is None or not status.get("program") or status["journey"]["do_not_train"]:
        abort(404)
    reader = Reader(rt.settings.urls, forwarded_credential())
    person = (reader.client_names([client_id]) or {}).get(client_id) or {}
    name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
    clients = person.get("language") or rt.settings.language
    language = request.args.get("language", "")
    if language not in CLIENT_LANGUAGES:
        language = clients if clients in CLIENT_LANGUAGES else "en"
    sheet = program_sheet(status["program"], client_name=name,
                          facility=rt.settings.facility_name,
                          gettext=client_translations(language).gettext,
                          date_text=rt.settings.locale.date)
    other = next((lang for lang in (clients, rt.settings.language)
                  if lang != language and lang in CLIENT_LANGUAGES), None)
    return render_template("program_print.html", sheet=sheet, line_of=line_of,
                           client_id=client_id, sheet_language=language,
                           other_language=other,
                           other_language_name=_language_name(other) if other else "")


@bp.route("/clients/<client_id>/referrals/<referral_id>/letter")
def print_letter(client_id: str, referral_id: str) -> str:
    """The referral's current letter, for the client to carry (issue 15 item 4: a letter
    the client did not consent to share becomes the task "Ask the client to consent, or
    print the letter for them"). The letter notify would send, with the link printed on
    the copy a client carries (an answer through it waits for staff to verify it with
    the clinician, DEC-7), laid out for the browser's Print. Refused (409) once the
    referral is answered or closed: its link no longer opens."""
    require_principal()
    rt = runtime()
    with rt.session_factory() as session:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.client_id != client_id:
            abort(404)
        session.expunge(referral)
    if referral.status in (lifecycle.ANSWERED, lifecycle.CLOSED):
        abort(409, description=N_("This referral is answered or closed: there is no letter "
                                  "to print"))
    try:
        letter = letter_of(rt, referral, referrals.answer_url(rt.settings, referral, CARRIED))
    except ContactUnavailable:
        abort(503, description=N_("The intake service did not answer, so the letter cannot "
                                  "be shown. Try again shortly"))
    # The letter names the client, their date of birth and findings: a view.
    record_view(rt.session_factory, AuditEntry, current_actor(), "referral_letter",
                referral.id, client_id)
    return render_template("letter_print.html", letter=letter, client_id=client_id)


# The program sheet's words in each client language: this service's client catalog
# (inscope_referral/translations/messages.*; the same translations as notify's, which
# writes the emailed PDF; docs/languages.md).
TRANSLATIONS = Path(__file__).parent / "translations"


@cache
def client_translations(language: str) -> NullTranslations:
    """A language's catalog of the program sheet's words; none: the English source."""
    return Translations.load(str(TRANSLATIONS), [language], "messages")


def _language_name(language: str) -> str:
    """The language's own name ("español", "English") for the link to that copy."""
    return BabelLocale.parse(language).get_display_name(language) or language
