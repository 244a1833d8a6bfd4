"""HTTP API of the assessment service."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from inscope_assessment import service
from inscope_assessment.models import IdempotencyKey
from inscope_clinical import AssessmentSchema
from inscope_common.auth import STAFF_SECURITY, current_actor
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


def _recorded_response(row: Any) -> tuple[int, Any]:
    """What an idempotency key replays: the 202 exactly as first sent."""
    return 202, AssessmentOutSchema().dump(_out(row))


@blp.route("/assessments")
class Assessments(MethodView):
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(AssessmentRequestSchema)
    @blp.response(202, AssessmentOutSchema)
    @blp.doc(security=STAFF_SECURITY)
    def post(self, headers: dict[str, Any], body: dict[str, Any]) -> Any:
        """Record an assessment; a worker scores it and publishes ``assessment.scored``.

        With an ``Idempotency-Key`` header, a retry of the same request creates nothing
        and gets the first response again (header ``Idempotent-Replayed: true``)."""
        rt, actor = runtime(), current_actor()
        document = AssessmentSchema().dump(body["assessment"])
        claim = api_claim(
            IdempotencyKey, "POST /assessments", headers, body, actor.account_id,
            _recorded_response,
        )
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
        return replay or _out(row)


@blp.route("/assessments/<assessment_id>")
class AssessmentById(MethodView):
    @blp.response(200, AssessmentOutSchema)
    @blp.doc(security=STAFF_SECURITY)
    def get(self, assessment_id: str) -> dict[str, Any]:
        """Read an assessment and, once the worker is done, its scoring."""
        row = service.get_assessment(runtime(), assessment_id, current_actor())
        if row is None:
            abort(404, message=f"no assessment {assessment_id}")
        return _out(row)


@blp.route("/awaiting-assessment")
class Awaiting(MethodView):
    @blp.response(200, AwaitingSchema(many=True))
    @blp.doc(security=STAFF_SECURITY)
    def get(self) -> list[Any]:
        """Intakes this service has heard of that have no assessment yet."""
        return service.awaiting_assessment(runtime())
