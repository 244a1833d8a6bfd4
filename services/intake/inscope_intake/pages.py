"""The front desk's intake pages (server-rendered HTML; the guard in inscope_common.auth
admits signed-in staff and checks the form's CSRF token before these views run)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from babel import Locale
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from inscope_clinical import vocab
from inscope_clinical.journey import NEXT_LABEL
from inscope_clinical.red_flags import emergency_flags
from inscope_clinical.schemas import CLIENT_LANGUAGES
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
from inscope_common.db import utcnow
from inscope_common.idempotency import (
    PAGE_FIELD,
    PAGE_REUSED,
    KeyReused,
    form_key,
    page_claim,
    run_once,
)
from inscope_common.runtime import runtime
from inscope_intake import form_words, inbound, previsit, questions, service, staff
from inscope_intake.api import (
    IntakeRequestSchema,
    client_dict,
    client_translations,
    status_dict,
    version_dict,
)
from inscope_intake.intake_form import (
    CLINICIAN_ROWS,
    ROW_DEFAULTS,
    ROWS,
    build_document,
    flatten_errors,
    form_values,
    implied_answers,
    page_checks,
    read_signature,
    screener_values,
)
from inscope_intake.models import IdempotencyKey

bp = Blueprint("pages", __name__, template_folder="templates")


# Who may open each page (inscope_common.auth.declare).
declare(
    bp,
    new_intake=access(FRONT_DESK, ADMIN, kind="page"),
    show_intake=access(FRONT_DESK, TRAINER, ADMIN, kind="page"),
    correct_intake=access(FRONT_DESK, TRAINER, ADMIN, kind="page"),
)


@bp.route("/intakes/new", methods=["GET", "POST"])
def new_intake() -> Any:
    """The intake form; a POST that fails validation comes back with every value kept."""
    if request.method == "GET":
        values: dict[str, str] = {}  # nothing pre-chosen, consent least of all
        inbound_referral = _inbound(request.args.get("inbound", ""))
        if inbound_referral:
            values.update(inbound.form_values(inbound_referral))
        return _form_page(values, {}, inbound_referral)
    form = request.form.to_dict()
    # Completing a client's pre-visit draft: the same form, said so at the top.
    draft = _draft_link(form.get("previsit", ""))
    if form.get("add"):  # "Add pain area" without JavaScript: the same form, one row more
        return _form_page(form, {}, previsit=draft)
    body, rows, errors = _read_form(form)
    signature, signature_errors = read_signature(form)
    errors.update(signature_errors)
    responsible = _responsible(form.get("responsible", ""), errors)
    if errors:
        return _form_page(form, errors, previsit=draft), 422
    loaded = IntakeRequestSchema().load(body)
    rt, actor = runtime(), current_actor()
    claim = page_claim(IdempotencyKey, "page /intakes/new", form, actor.account_id)
    try:
        replay, row = run_once(
            claim,
            rt.session_factory,
            lambda: service.submit_intake(
                rt, loaded["client"], loaded["intake"], actor, signature, claim=claim,
                previsit_id=form.get("previsit") or None,
                responsible=responsible,
                inbound_id=(form.get("inbound") or "")[:64] or None,
            ),
        )
    except KeyReused:
        return _form_page(form, {PAGE_FIELD: [PAGE_REUSED]}, previsit=draft), 422
    intake_id = replay.body["id"] if replay else row.id
    return redirect(url_for("pages.show_intake", intake_id=intake_id, created=1), code=303)


def _staff_members() -> list[dict[str, Any]] | None:
    return staff.read_staff(runtime().settings.urls["referral"], forwarded_credential())


def _responsible(chosen: str, errors: dict[str, list[str]]) -> service.Responsible | None:
    """The staff member the clerk named responsible for the client (None: the clerk
    themself, the default); one not among the active staff is refused."""
    if not chosen or chosen == require_principal().account_id:
        return None
    for member in _staff_members() or []:
        if member["account_id"] == chosen:
            return service.Responsible(chosen, member["name"])
    errors["responsible"] = [gettext("Choose the staff member responsible from the list.")]
    return None


def _draft_link(link_id: str) -> Any:
    """The pre-visit link whose draft the desk is completing (None: a plain intake)."""
    return previsit.get_link(runtime(), link_id) if link_id else None


def _read_form(
    form: dict[str, str],
) -> tuple[dict[str, Any], dict[tuple[str, int], int], dict[str, list[str]]]:
    """The request body the form makes, where its rows came from, and every problem:
    the schema's, and dates that make no sense (checked even when other fields fail).
    Answers settled by other answers (duplicate questions merged) are filled in first,
    into ``form`` itself, so a form sent back shows them."""
    form.update(implied_answers(form, questions.IMPLIED))
    body, rows = build_document(
        form,
        gates=vocab.PARQ_SECTIONS,
        general=vocab.PARQ_GENERAL,
        delay=vocab.PARQ_DELAY,
        acsm_signs=vocab.ACSM_SIGNS,
        red_flags=vocab.RED_FLAG_QUESTIONS,
        signed_at=utcnow().isoformat(timespec="seconds"),
    )
    errors: dict[str, list[str]] = {}
    try:
        IntakeRequestSchema().load(body)
    except ValidationError as exc:
        errors = flatten_errors(exc.messages, rows)
    # What the page asks beyond the API: every PAR-Q+ question shown, each warning-sign
    # group's "Any of these?" (and that its answer agrees with the signs ticked).
    for field, messages in page_checks(form, questions.RED_FLAGS).items():
        errors.setdefault(field, []).extend(messages)
    problems = service.check_dates(runtime(), body["client"], body["intake"])
    for field, messages in flatten_errors(problems, rows).items():
        errors.setdefault(field, []).extend(messages)
    return body, rows, errors


def _inbound(inbound_id: str) -> dict[str, Any] | None:
    if not inbound_id:
        return None
    return inbound.read_inbound(
        runtime().settings.urls["referral"],
        forwarded_credential(),
        inbound_id,
    )


STEPS = (
    ("contact", "Contact"),
    ("health", "Health questions"),
    ("symptoms", "Symptoms and warning signs"),
    ("pain", "Pain and history"),
    ("consent", "Physician and consent"),
)
ROW_PREFIX = {
    "pain": "intake.pain",
    **{s: f"intake.history.{s}" for s in (*ROWS, *CLINICIAN_ROWS) if s != "pain"},
}
ROW_LIMITS = {**ROWS, **CLINICIAN_ROWS}
# Fields whose value alone does not make a row "typed in" (a select's default).
_NOT_TYPED = ROW_DEFAULTS | {"restrictions.max_intensity"}


def _rows_shown(values: dict[str, str]) -> dict[str, int]:
    """How many rows of each repeating section the form shows: as many as the page
    showed before (``rows``), at least up to the last one typed in, one more for "Add"."""
    asked: dict[str, int] = {}
    for part in (values.get("rows") or "").split(";"):
        key, _, count = part.partition("=")
        if key in ROW_PREFIX and count.isdigit():
            asked[key] = int(count)
    shown = {}
    for section, prefix in ROW_PREFIX.items():
        count = asked.get(section, 0)
        for name, value in values.items():
            if not value or not name.startswith(prefix + "."):
                continue
            index, _, field = name[len(prefix) + 1:].partition(".")
            if index.isdigit() and field not in _NOT_TYPED:
                count = max(count, int(index) + 1)
        if values.get("add") == section:
            count += 1
        shown[section] = min(count, ROW_LIMITS[section])
    return shown


def _form_page(
    values: dict[str, str],
    errors: dict[str, list[str]],
    inbound_referral: dict[str, Any] | None = None,
    correcting: Any = None,
    page: str = "intake_new.html",
    **extra: Any,
) -> str:
    """The intake form (``page``: the desk's, or the client's pre-visit page with
    ``client_mode``), with every value kept and the errors in the form's words."""
    shown = _rows_shown(values)
    # The client's language: the facility's unless the client said otherwise.
    values = {"client.preferred_language": default_language(), **values}
    new_at_desk = correcting is None and not extra.get("client_mode")
    context: dict[str, Any] = {
        "staff_choices": (
            staff.choices(require_principal(), _staff_members()) if new_at_desk else {}
        ),
        "values": values,
        "q": questions,
        "steps": STEPS,
        "shown": shown,
        "shown_text": ";".join(f"{k}={v}" for k, v in shown.items()),
        "limits": ROW_LIMITS,
        "row_prefix": ROW_PREFIX,
        "correcting": correcting,
        "emergency_number": runtime().settings.emergency_number,
        "age": form_words.age_on(values.get("client.date_of_birth", ""), date.today()),
        "share_warning": _share_warning(values),
        "implied": json.dumps([[t, s, w, v, str(words)]
                               for t, s, w, v, words in questions.IMPLIED]),
        "languages": language_choices(),
        **extra,
    }
    # First the questions alone, to read what each element is called; then the errors
    # in the form's words, each anchored on an element that exists.
    labels = form_words.labels_on(render_template("intake_fields.html", errors={}, **context))
    problems = form_words.problems(errors, labels, gettext)  # in the page's language
    worded = {p.name: [p.message] for p in problems}
    fields = render_template("intake_fields.html", errors=worded, **context)
    return render_template(
        page,
        idempotency_key=form_key(values),
        fields=Markup(fields),
        problems=problems,
        inbound_id=request.args.get("inbound", "") if request.method == "GET" else "",
        inbound=inbound_referral,
        emergency_flags=emergency_flags(),
        **{k: v for k, v in context.items() if k != "values"},
        values=values,
    )


def language_choices() -> dict[str, str]:
    """The languages a client can read their pages and emails in, each in its own words
    ("English", "Español")."""
    return {code: Locale.parse(code).get_display_name(code).capitalize()
            for code in CLIENT_LANGUAGES}


def default_language() -> str:
    """The facility's language when clients can read it, else the source (English)."""
    language = runtime().settings.language.split("_")[0]
    return language if language in CLIENT_LANGUAGES else "en"


def _share_warning(values: dict[str, str]) -> bool:
    """Physician details given but sharing answered No: the clerk is told that the
    letter will not go (it becomes a task on the board)."""
    physician = any(values.get(f"intake.physician.{k}") for k in ("name", "email"))
    return physician and values.get("intake.consent.share_with_physician") == "no"


@bp.route("/intakes/<intake_id>/view")
def show_intake(intake_id: str) -> Response | str:
    """The intake, and where the client stands: the page follows the screening (it
    polls ``GET /intakes/<id>/status``) and shows the result in words."""
    row = service.get_intake(runtime(), intake_id, current_actor())
    if row is None:
        abort(404)
    signature = service.get_signature(runtime(), intake_id)
    found = service.screening_status(runtime(), intake_id)
    assert found is not None
    return render_template(
        "intake_show.html",
        row=row,
        client=client_dict(row),
        doc=row.document,
        signature=signature,
        created=request.args.get("created") == "1",
        corrected=request.args.get("corrected") == "1",
        status=status_dict(*found, language=row.client.preferred_language),
        client_language=row.client.preferred_language or "en",
        next_label=client_translations(row.client.preferred_language or "en").gettext(
            NEXT_LABEL),
        versions=[version_dict(v) for v in service.versions_of(runtime(), intake_id)],
        emergency_number=runtime().settings.emergency_number,
        q=questions,
        online_only=previsit.screened_online(runtime(), intake_id),
        languages=language_choices(),
    )


@bp.route("/intakes/<intake_id>/correct", methods=["GET", "POST"])
def correct_intake(intake_id: str) -> Any:
    """Correct an intake (front desk or trainer): the whole form, filled in from the
    current version, and why. The consent stays as it was signed."""
    row = service.get_intake(runtime(), intake_id, current_actor())
    if row is None:
        abort(404)
    if request.method == "GET":
        values = form_values(client_dict(row), row.document)
        values.update(screener_values(values, questions.RED_FLAGS))
        return _form_page(values, {}, correcting=row)
    form = request.form.to_dict()
    if form.get("add"):
        return _form_page(form, {}, correcting=row)
    body, rows, errors = _read_form(form)
    body["intake"]["consent"] = row.document.get("consent") or {}
    errors = {k: v for k, v in errors.items() if not k.startswith("intake.consent")}
    reason = (form.get("correction.reason") or "").strip()
    if len(reason) < 3 or len(reason) > 1000:
        errors["correction.reason"] = [
            gettext("Say why the intake is corrected (3 to 1000 characters).")]
    if errors:
        return _form_page(form, errors, correcting=row), 422
    loaded = IntakeRequestSchema().load(body)
    rt, actor = runtime(), current_actor()
    claim = page_claim(IdempotencyKey, f"page /intakes/{intake_id}/correct", form,
                       actor.account_id)
    try:
        run_once(
            claim,
            rt.session_factory,
            lambda: service.correct_intake(
                rt, intake_id, loaded["client"], loaded["intake"], actor, reason, claim=claim
            ),
        )
    except KeyReused:
        return _form_page(form, {PAGE_FIELD: [PAGE_REUSED]}, correcting=row), 422
    except service.IntakeNotFound:
        abort(404)
    return redirect(url_for("pages.show_intake", intake_id=intake_id, corrected=1), code=303)


# The API's validation errors in the form's own words (POST /intakes, corrections):
# the same labels and sentences as the page, beside the schema's nested errors.
_WORDED_ENDPOINTS = {"intakes.Intakes", "intakes.IntakeCorrections"}


def api_problems(errors: Any) -> list[dict[str, str]] | None:
    if request.endpoint not in _WORDED_ENDPOINTS or not isinstance(errors, dict):
        return None
    flat: dict[str, list[str]] = {}
    for location, messages in errors.items():  # webargs: {"json": {...}}
        if location == "json" and isinstance(messages, dict):
            flat.update(flatten_errors(messages, {}))
    if not flat:
        return None
    context = {
        "values": {}, "errors": {}, "q": questions, "steps": STEPS,
        "shown": ROW_LIMITS, "shown_text": "", "limits": ROW_LIMITS,
        "row_prefix": ROW_PREFIX, "correcting": None, "age": None,
        "share_warning": False, "emergency_number": runtime().settings.emergency_number,
        "languages": language_choices(),
    }
    labels = form_words.labels_on(render_template("intake_fields.html", **context))
    return [{"field": p.name, "message": p.summary}
            for p in form_words.problems(flat, labels)]
