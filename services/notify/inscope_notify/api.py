"""HTTP API of the notify service."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from inscope_common.audit import record_view
from inscope_common.auth import (
    ADMIN,
    STAFF_SECURITY,
    TRAINER,
    access,
    current_actor,
    declare,
)
from inscope_common.http import Blueprint
from inscope_common.runtime import runtime
from inscope_notify.models import AuditEntry
from inscope_notify.service import deliveries_of

blp = Blueprint("deliveries", __name__, description="Emails sent (or attempted) per client")


class DeliveryQuerySchema(Schema):
    client = fields.String(required=True, validate=validate.Length(min=1, max=64))


class DeliverySchema(Schema):
    id = fields.String()
    event_id = fields.String()
    kind = fields.String()
    role = fields.String(metadata={"description": "client, physician or trainer"})
    client_id = fields.String()
    intake_id = fields.String()
    decision_id = fields.String(allow_none=True)
    referral_id = fields.String(allow_none=True)
    recipient = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    message_id = fields.String()
    status = fields.String(
        metadata={
            "description": "pending (due at next_attempt_at after a transient failure), "
            "sending, sent, failed (permanent SMTP error or the retry budget spent; "
            "resendable) or blocked (no consent, no contact, or the scope guard)"
        }
    )
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    blocked_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


# Who may call each endpoint (inscope_common.auth.declare).
declare(
    blp,
    Deliveries=access(TRAINER, ADMIN),
)


@blp.route("/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliverySchema(many=True))
    @blp.doc(security=STAFF_SECURITY)
    def get(self, query: dict[str, Any]) -> list[Any]:
        """Every email recorded for a client, oldest first: sent, failed, blocked and
        why, with the SMTP attempts."""
        rows = deliveries_of(runtime().session_factory, query["client"])
        if rows:
            client = query["client"]
            record_view(
                runtime().session_factory, AuditEntry, current_actor(), "deliveries", None, client
            )
        return rows
