"""HTTP API of the assessment service."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from inscope_assessment import service
from inscope_assessment.directory import intake_exists
from inscope_assessment.models import IdempotencyKey
from inscope_assessment.screening_wait import EXTENSION as SCREENING_WAIT
from inscope_assessment.screening_wait import ScreeningWait
from inscope_clinical import AssessmentSchema
from inscope_clinical.schemas import plain_copy
from inscope_common.auth import (
    ADMIN,
    STAFF_SECURITY,
    TRAINER,
    access,
    current_actor,
    declare,
    forwarded_credential,
)
from inscope_common.http import Blueprint
from inscope_common.idempotency import IdempotencyHeaderSchema, api_claim, api_run_once
from inscope_common.runtime import runtime

blp = Blueprint("assessments", __name__, description="Trainers' movement assessments")

_ID = validate.Length(min=1, max=64)


class AssessmentRequestSchema(Schema):
    intake_id = fields.String(required=True, validate=_ID)
    client_id = fields.String(required=True, validate=_ID)
    assessment = fields.Nested(AssessmentSchema, required=True)


class AssessmentOutSchema(Schema):
    id = fields.String()
    intake_id = fields.String()
    client_id = fields.String()
    status = fields.String()
    recorded_at = fields.DateTime()
    scored_at = fields.DateTime(allow_none=True)
    assessment = fields.Nested(AssessmentSchema)
    scoring = fields.Dict(allow_none=True)


class AwaitingSchema(Schema):
    intake_id = fields.String()
    client_id = fields.String()
    received_at = fields.DateTime()
    # Where the client stands (inscope_clinical.journey) and whether the assessment may
    # go ahead (DEC-6), with the reason when it may not.
    status = fields.String()
    status_label = fields.String()
    urgency = fields.String(allow_none=True)
    headline = fields.String()
    reason = fields.String()
    next_action = fields.String()
    assessment_allowed = fields.Boolean()
    assessment_block_reason = fields.String(allow_none=True)
    assessment_note = fields.String(allow_none=True)
    excluded_movements = fields.List(fields.String())
    intensity_cap = fields.String(allow_none=True)


class RefusedSchema(Schema):
    code = fields.Integer()
    status = fields.String()
    message = fields.String(metadata={"description": "why the assessment may not happen"})
    client_status = fields.String(metadata={"description": "the client's journey status"})
    excluded_movements = fields.List(fields.String())
    painful_movements_recorded = fields.List(fields.String())


def _waiting(w: service.Waiting) -> dict[str, Any]:
    j = w.journey
    return {
        "intake_id": w.intake_id,
        "client_id": w.client_id,
        "received_at": w.received_at,
        "status": j.status,
        "status_label": j.status_label,
        "urgency": j.urgency,
        "headline": j.headline,
        "reason": j.reason,
        "next_action": j.next_action,
        "assessment_allowed": j.assessment_allowed,
        "assessment_block_reason": j.assessment_block_reason,
        "assessment_note": j.assessment_note,
        "excluded_movements": j.excluded_movements,
        "intensity_cap": j.intensity_cap,
    }


def refused_response(exc: service.AssessmentRefused) -> Response:
    response = jsonify(
        {
            "code": 409,
            "status": "Conflict",
            "message": exc.reason,
            "client_status": exc.journey.status,
            "excluded_movements": exc.journey.excluded_movements,
            "painful_movements_recorded": exc.movements,
        }
    )
    response.status_code = 409
    return response


def _out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "intake_id": row.intake_id,
        "client_id": row.client_id,
        "status": row.status,
        "recorded_at": row.recorded_at,
        "scored_at": row.scored_at,
        "assessment": row.document,
        "scoring": row.scoring,
    }


class _RecordedOutSchema(AssessmentOutSchema):
    """AssessmentOutSchema for an assessment this request has just loaded and recorded:
    its document goes out as loaded, since dumping a loaded document through its schema
    only makes an equal copy (tests/clinical/test_schemas.py; a quarter of the 202's
    dump, issue 13). Not for a stored row read back (GET): an older document may hold
    what the schema no longer has."""

    assessment = fields.Raw()


_RECORDED = _RecordedOutSchema()


def _recorded_response(row: Any) -> tuple[int, Any]:
    """What an idempotency key replays: the 202 exactly as first sent."""
    return 202, _RECORDED.dump(_out(row))


def _recorded(row: Any) -> Response:
    """The 202 of a new assessment: AssessmentOutSchema's JSON, dumped as above (a
    response object, which flask-smorest sends as it is)."""
    status, body = _recorded_response(row)
    response = jsonify(body)
    response.status_code = status
    return response


# The screening reaches this service by event; a client the intake service already
# shows as screened may not have reached it yet (two consumers of one event).
NOT_YET_RECEIVED_RETRY_S = 2


def _screening_wait() -> ScreeningWait:
    found = current_app.extensions.get(SCREENING_WAIT)
    if found is None:
        found = current_app.extensions.setdefault(
            SCREENING_WAIT, ScreeningWait(runtime().settings.redis_url)
        )
    return found


def _unknown_intake(intake_id: str) -> Any:
    """404 for an intake nobody knows; 409 with Retry-After for one the intake service
    knows but whose screening has not reached this service yet; 503 with Retry-After
    when the intake service could not be asked (a slow or stopped intake service is no
    proof that the intake does not exist)."""
    known = intake_exists(
        runtime().settings.urls["intake"],
        forwarded_credential(),
        intake_id,
    )
    if known is False:
        abort(404, message=f"no intake {intake_id}")
    if known is None:
        return _retry_later(
            503,
            "Service Unavailable",
            f"Intake {intake_id} has not reached the assessment service and the intake "
            f"service did not answer; nothing was recorded. Try again in "
            f"{NOT_YET_RECEIVED_RETRY_S} seconds.",
        )
    return _retry_later(
        409,
        "Conflict",
        f"The screening of intake {intake_id} has not reached the assessment "
        f"service yet; try again in {NOT_YET_RECEIVED_RETRY_S} seconds.",
        client_status="screening_pending",
        excluded_movements=[],
        painful_movements_recorded=[],
    )


def _retry_later(code: int, status: str, message: str, **extra: Any) -> Any:
    response = jsonify({"code": code, "status": status, "message": message, **extra})
    response.status_code = code
    response.headers["Retry-After"] = str(NOT_YET_RECEIVED_RETRY_S)
    return response


# Who may call each endpoint (inscope_common.auth.declare).
declare(
    blp,
    Assessments=access(TRAINER, ADMIN),
    AssessmentById=access(TRAINER, ADMIN),
    Awaiting=access(TRAINER, ADMIN),
)


@blp.route("/assessments")
class Assessments(MethodView):
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(AssessmentRequestSchema)
    @blp.response(202, AssessmentOutSchema)
    @blp.alt_response(
        404, description="No intake with this id (the intake service does not know it either)"
    )
    @blp.alt_response(
        503,
        description="The intake is unknown here and the intake service did not answer: "
        "nothing was recorded; retry after Retry-After seconds",
    )
    @blp.alt_response(
        409,
        schema=RefusedSchema,
        description="The client may not be assessed (DEC-6): screening still pending, or "
        "the screening defers the assessment until a clinician clears the client, or the "
        "document records a painful movement that must be left out. The message says why.",
    )
    @blp.doc(security=STAFF_SECURITY)
    def post(self, headers: dict[str, Any], body: dict[str, Any]) -> Any:
        """Record an assessment and score it; ``assessment.scored`` goes to the referral
        service in the same transaction.

        202: the response already holds the scoring (``status`` "scored"); the decision
        and the emails follow asynchronously (the referral service decides from the
        event), hence Accepted rather than Created.

        Only clients whose screening allows it (DEC-6: in scope, the SYS-5 moderate-only
        case, a routine physical-therapist referral for musculoskeletal pain with the
        painful movements left out, or cleared by the clinician).

        With an ``Idempotency-Key`` header, a retry of the same request creates nothing
        and gets the first response again (header ``Idempotent-Replayed: true``)."""
        rt, actor = runtime(), current_actor()
        # Loaded, the document is JSON-ready: dumping it again through its schema only
        # made an equal copy (issue 13; tests/clinical/test_schemas.py pins it).
        document = plain_copy(body["assessment"])
        claim = api_claim(
            IdempotencyKey,
            "POST /assessments",
            headers,
            body,
            actor.account_id,
            _recorded_response,
        )
        # An intake unknown here may be a moment ahead of its screening's event: wait
        # for it once (inscope_assessment.screening_wait), then answer as before.
        waited = False
        while True:
            try:
                replay, row = api_run_once(
                    claim,
                    rt.session_factory,
                    lambda: service.record_assessment(
                        rt, body["intake_id"], body["client_id"], document, actor, claim=claim
                    ),
                )
            except service.ClientMismatch as exc:
                abort(422, errors={"json": {"client_id": [str(exc)]}})
            except service.UnknownIntake:
                if not waited:
                    waited = True
                    if _screening_wait().stored(body["intake_id"]):
                        continue
                return _unknown_intake(body["intake_id"])
            except service.AssessmentRefused as exc:
                return refused_response(exc)
            return replay or _recorded(row)


@blp.route("/assessments/<assessment_id>")
class AssessmentById(MethodView):
    @blp.response(200, AssessmentOutSchema)
    @blp.doc(security=STAFF_SECURITY)
    def get(self, assessment_id: str) -> dict[str, Any]:
        """Read an assessment and its scoring (scored when recorded; an assessment
        recorded by an earlier version may still be waiting for its worker)."""
        row = service.get_assessment(runtime(), assessment_id, current_actor())
        if row is None:
            abort(404, message=f"no assessment {assessment_id}")
        return _out(row)


@blp.route("/awaiting-assessment")
class Awaiting(MethodView):
    @blp.response(200, AwaitingSchema(many=True))
    @blp.doc(security=STAFF_SECURITY)
    def get(self) -> list[Any]:
        """Intakes this service has heard of that have no assessment yet, each with where
        the client stands and whether the assessment may go ahead (and why not)."""
        return [_waiting(w) for w in service.awaiting_assessment(runtime())]
