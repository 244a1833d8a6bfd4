"""The front desk's intake pages (server-rendered HTML; the guard in inscope_common.auth
admits signed-in staff and checks the form's CSRF token before these views run)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from inscope_clinical import vocab
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
from inscope_intake.api import IntakeRequestSchema, client_dict
from inscope_intake.intake_form import ROWS, build_document, flatten_errors, read_signature
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
        loaded = IntakeRequestSchema().load(body)
    except ValidationError as exc:
        errors = flatten_errors(exc.messages, rows)
    signature, signature_errors = read_signature(form)
    errors.update(signature_errors)
    if errors:
        return _form_page(form, errors), 422
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
    )


@bp.route("/intakes/<intake_id>/view")
def show_intake(intake_id: str) -> Response | str:
    row = service.get_intake(runtime(), intake_id, current_actor())
    if row is None:
        abort(404)
    signature = service.get_signature(runtime(), intake_id)
    return render_template(
        "intake_show.html",
        row=row,
        client=client_dict(row),
        doc=row.document,
        signature=signature,
        created=request.args.get("created") == "1",
        q=questions,
    )
