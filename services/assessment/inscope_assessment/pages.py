"""The trainer's assessment pages (server-rendered HTML; the guard in inscope_common.auth
admits signed-in trainers and admins and checks the form's CSRF token first)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from inscope_assessment import service, words
from inscope_assessment.api import AssessmentRequestSchema
from inscope_assessment.assessment_form import (
    CENTRAL,
    OHSA_VIEWS,
    PAIN_ROWS,
    PUSH_PULL,
    SINGLE_LEG,
    build_document,
    flatten_errors,
    labels_on,
    summary,
    worded,
)
from inscope_assessment.directory import client_names
from inscope_assessment.models import Assessment, AuditEntry, IdempotencyKey
from inscope_clinical import vocab
from inscope_common.audit import record_view
from inscope_common.auth import (
    ADMIN,
    TRAINER,
    access,
    current_actor,
    declare,
    forwarded_credential,
)
from inscope_common.idempotency import (
    PAGE_FIELD,
    PAGE_REUSED,
    KeyReused,
    form_key,
    page_claim,
    run_once,
)
from inscope_common.runtime import runtime

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.app_context_processor
def _vocabulary_words() -> dict:
    """The vocabulary's codes in the page's language (words.py)."""
    return dict(words.WORDS)


def _names(intake_ids: list[str]) -> dict[str, str]:
    rt = runtime()
    return client_names(
        rt.settings.urls["intake"],
        forwarded_credential(),
        intake_ids,
    )


# Who may open each page (inscope_common.auth.declare).
declare(
    bp,
    assess=access(TRAINER, ADMIN, kind="page"),
    show_assessment=access(TRAINER, ADMIN, kind="page"),
    assessment_status=access(TRAINER, ADMIN, kind="page"),
)


@bp.route("/assess", methods=["GET", "POST"])
def assess() -> Any:
    """Pick a client awaiting assessment, then record it. Clients whose screening does not
    allow the assessment (DEC-6) are listed with the reason and cannot be opened."""
    awaiting = service.awaiting_assessment(runtime())
    known = {a.intake_id: a for a in awaiting}
    if request.method == "GET":
        chosen = request.args.get("intake", "")
        if not chosen:
            names = _names([a.intake_id for a in awaiting])
            return render_template("assess_pick.html", awaiting=awaiting, names=names)
        if chosen not in known:
            again = service.reassessable(runtime(), chosen)
            if again is None:
                abort(404)
            return _form(again, {}, {}, again=True)
        if not known[chosen].journey.assessment_allowed:
            return _blocked(known[chosen]), 409
        return _form(known[chosen], {}, {})
    form = request.form.to_dict()
    rt, actor = runtime(), current_actor()
    claim = page_claim(IdempotencyKey, "page /assess", form, actor.account_id)
    try:
        done = claim.stored(rt.session_factory) if claim else None
    except KeyReused:
        done = None  # run_once below says so, once the form is known to be valid
    if done is not None:  # submitted twice: show what the first submit recorded
        return redirect(url_for("pages.show_assessment", assessment_id=done.body["id"]), code=303)
    target = known.get(form.get("intake_id", "")) or service.reassessable(
        rt, form.get("intake_id", "")
    )
    if target is None:
        abort(404)  # assessed meanwhile (and not in a program), or never heard of
    if not target.journey.assessment_allowed:
        return _blocked(target), 409
    document, rows = build_document(
        form, vocab.POSTURE_FINDINGS, vocab.FMS_TESTS, vocab.FMS_BILATERAL
    )
    body = {"intake_id": target.intake_id, "client_id": target.client_id, "assessment": document}
    try:
        loaded = AssessmentRequestSchema().load(body)
    except ValidationError as exc:
        errors = flatten_errors(exc.messages.get("assessment", {}), rows)
        return _form(target, form, errors), 422
    try:
        replay, row = run_once(
            claim,
            rt.session_factory,
            lambda: service.record_assessment(
                rt, target.intake_id, target.client_id, loaded["assessment"], actor, claim=claim
            ),
        )
    except KeyReused:
        return _form(target, form, {PAGE_FIELD: [PAGE_REUSED]}), 422
    except service.AssessmentRefused as exc:
        # The screening changed meanwhile, or a left-out movement was recorded anyway.
        return _form(target, form, {}, refused=exc.text), 409
    assessment_id = replay.body["id"] if replay else row.id
    return redirect(url_for("pages.show_assessment", assessment_id=assessment_id), code=303)


def _blocked(target: service.Waiting) -> str:
    return render_template(
        "assess_blocked.html",
        target=target,
        name=_names([target.intake_id]).get(target.intake_id, ""),
    )


def _form(
    target: service.Waiting,
    values: dict[str, str],
    errors: dict[str, list[str]],
    refused: Any = None,
    again: bool = False,
) -> str:
    excluded = target.journey.excluded_movements
    fms_left_out = [m for m in excluded if m in (*vocab.FMS_TESTS, *vocab.CLEARING_TESTS)]
    context = {
        "idempotency_key": form_key(values),
        "target": target,
        "status": target.journey,
        "name": _names([target.intake_id]).get(target.intake_id, ""),
        "values": values,
        "refused": refused,
        "vocab": vocab,
        "ohsa_views": OHSA_VIEWS,
        "dec8_single_leg": SINGLE_LEG,
        "dec8_push_pull": PUSH_PULL,
        "central": CENTRAL,
        "pain_rows": PAIN_ROWS,
        "excluded": excluded,
        "fms_left_out": fms_left_out,
        "pain_tests": [t for t in vocab.PAIN_TESTS if t not in excluded],
        "again": again or target.journey.status == "program_ready",
    }
    problems: list[tuple[str, str]] = []
    if errors:
        # The form alone first, to read what each field is called; then the errors in
        # the page's language, each summary link on the field it names.
        labels = labels_on(render_template("assess_form.html", errors={}, problems=[],
                                           **context))
        problems = summary(errors, labels, gettext)
        errors = {name: [worded(str(m), gettext) for m in messages]
                  for name, messages in errors.items()}
    return render_template("assess_form.html", errors=errors, problems=problems, **context)


@bp.route("/assessments/<assessment_id>/view")
def show_assessment(assessment_id: str) -> Response | str:
    """The recorded assessment and its scoring (one recorded by an earlier version may
    still wait for its worker: the page then polls the API), headed by the client's name
    (read from the intake service as the trainer, like the list's) and where the client
    stands; the ids are folded under Details."""
    rt = runtime()
    row = service.get_assessment(rt, assessment_id, current_actor())
    if row is None:
        abort(404)
    return render_template(
        "assess_show.html",
        row=row,
        vocab=vocab,
        name=_names([row.intake_id]).get(row.intake_id, ""),
        status=service.standing_since(rt, row),
    )


@bp.route("/assessments/<assessment_id>/view/status")
def assessment_status(assessment_id: str) -> Response | tuple[str, int] | str:
    """What the open assessment page follows until the referral service's decision
    arrives: 204 while it is still deciding (nothing read, nothing audited), then the
    status as the page shows it (the read audited once, like the page's)."""
    rt = runtime()
    with rt.session_factory() as session:
        row = session.get(Assessment, assessment_id)
    if row is None:
        abort(404)
    status = service.standing_since(rt, row)
    if status is None:
        return "", 204
    actor = current_actor()
    record_view(rt.session_factory, AuditEntry, actor, "assessment", row.id, row.client_id)
    return render_template("_client_status.html", status=status)
