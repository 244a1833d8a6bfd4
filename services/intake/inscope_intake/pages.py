"""The front desk's intake pages (server-rendered HTML; the guard in inscope_common.auth
admits signed-in staff and checks the form's CSRF token before these views run)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from inscope_clinical import vocab
from inscope_clinical.red_flags import emergency_flags
from inscope_common.auth import current_actor, require_principal
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
from inscope_intake import inbound, questions, service
from inscope_intake.api import IntakeRequestSchema, client_dict, status_dict, version_dict
from inscope_intake.intake_form import (
    ROWS,
    build_document,
    flatten_errors,
    form_values,
    read_signature,
)
from inscope_intake.models import IdempotencyKey

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.route("/intakes/new", methods=["GET", "POST"])
def new_intake() -> Any:
    """The intake form; a POST that fails validation comes back with every value kept."""
    if request.method == "GET":
        values = {"intake.consent.email": "on", "intake.consent.assessment": "on"}
        inbound_referral = _inbound(request.args.get("inbound", ""))
        if inbound_referral:
            values.update(inbound.form_values(inbound_referral))
        return _form_page(values, {}, inbound_referral)
    form = request.form.to_dict()
    body, rows, errors = _read_form(form)
    signature, signature_errors = read_signature(form)
    errors.update(signature_errors)
    if errors:
        return _form_page(form, errors), 422
    loaded = IntakeRequestSchema().load(body)
    rt, actor = runtime(), current_actor()
    claim = page_claim(IdempotencyKey, "page /intakes/new", form, actor.account_id)
    try:
        replay, row = run_once(
            claim,
            rt.session_factory,
            lambda: service.submit_intake(
                rt, loaded["client"], loaded["intake"], actor, signature, claim=claim
            ),
        )
    except KeyReused:
        return _form_page(form, {PAGE_FIELD: [PAGE_REUSED]}), 422
    intake_id = replay.body["id"] if replay else row.id
    return redirect(url_for("pages.show_intake", intake_id=intake_id, created=1), code=303)


def _read_form(
    form: dict[str, str],
) -> tuple[dict[str, Any], dict[tuple[str, int], int], dict[str, list[str]]]:
    """The request body the form makes, where its rows came from, and every problem:
    the schema's, and dates that make no sense (checked even when other fields fail)."""
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
    problems = service.check_dates(runtime(), body["client"], body["intake"])
    for field, messages in flatten_errors(problems, rows).items():
        errors.setdefault(field, []).extend(messages)
    return body, rows, errors


def _inbound(inbound_id: str) -> dict[str, Any] | None:
    if not inbound_id:
        return None
    return inbound.read_inbound(
        runtime().settings.urls["referral"],
        current_app.extensions["inscope_auth"],
        require_principal(),
        inbound_id,
    )


def _form_page(
    values: dict[str, str],
    errors: dict[str, list[str]],
    inbound_referral: dict[str, Any] | None = None,
    correcting: Any = None,
) -> str:
    return render_template(
        "intake_new.html",
        idempotency_key=form_key(values),
        values=values,
        errors=errors,
        q=questions,
        rows=ROWS,
        inbound_id=request.args.get("inbound", "") if request.method == "GET" else "",
        inbound=inbound_referral,
        correcting=correcting,
        emergency_flags=emergency_flags(),
        emergency_number=runtime().settings.emergency_number,
    )


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
        status=status_dict(*found),
        versions=[version_dict(v) for v in service.versions_of(runtime(), intake_id)],
        emergency_number=runtime().settings.emergency_number,
        q=questions,
    )


@bp.route("/intakes/<intake_id>/correct", methods=["GET", "POST"])
def correct_intake(intake_id: str) -> Any:
    """Correct an intake (front desk or trainer): the whole form, filled in from the
    current version, and why. The consent stays as it was signed."""
    row = service.get_intake(runtime(), intake_id, current_actor())
    if row is None:
        abort(404)
    if request.method == "GET":
        return _form_page(form_values(client_dict(row), row.document), {}, correcting=row)
    form = request.form.to_dict()
    body, rows, errors = _read_form(form)
    body["intake"]["consent"] = row.document.get("consent") or {}
    errors = {k: v for k, v in errors.items() if not k.startswith("intake.consent")}
    reason = (form.get("correction.reason") or "").strip()
    if len(reason) < 3 or len(reason) > 1000:
        errors["correction.reason"] = ["Say why the intake is corrected (3 to 1000 characters)."]
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
