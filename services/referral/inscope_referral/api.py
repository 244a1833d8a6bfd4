"""HTTP API of the referral service."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from inscope_common.runtime import runtime
from inscope_referral import service

blp = Blueprint("clients", __name__, description="Where each client stands")


class DecisionSchema(Schema):
    id = fields.String()
    stage = fields.String()
    outcome = fields.String()
    urgency = fields.String()
    target = fields.String(allow_none=True)
    program_state = fields.String(allow_none=True)
    reasons = fields.List(fields.Dict())
    flags = fields.List(fields.String())
    program = fields.Dict(allow_none=True)
    referrals = fields.List(fields.Dict())
    intensity_cap = fields.String(allow_none=True)
    engine_version = fields.String(allow_none=True)
    intake_id = fields.String()
    assessment_id = fields.String(allow_none=True)
    decided_at = fields.DateTime()


class StatusSchema(Schema):
    client_id = fields.String()
    intake_id = fields.String()
    assessment_id = fields.String(allow_none=True)
    status = fields.String(
        metadata={
            "description": (
                "screening_pending, awaiting_assessment, referred, clearance_needed, on_hold or "
                "program_ready"
            )
        }
    )
    emergency = fields.Boolean()
    decision = fields.Nested(DecisionSchema, allow_none=True)


@blp.route("/clients/<client_id>/status")
class ClientStatus(MethodView):
    @blp.response(200, StatusSchema)
    def get(self, client_id: str) -> dict[str, Any]:
        """Where the client stands, with the latest decision and its reasons."""
        status = service.status_of(runtime(), client_id)
        if status is None:
            abort(404, message=f"no client {client_id} known to the referral service yet")
        return status


@blp.route("/clients/<client_id>/decisions")
class ClientDecisions(MethodView):
    @blp.response(200, DecisionSchema(many=True))
    def get(self, client_id: str) -> list[dict[str, Any]]:
        """Every decision taken for the client, oldest first."""
        return service.decisions_of(runtime(), client_id)
