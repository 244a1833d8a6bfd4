"""HTTP API of the referral service."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from inscope_clinical import ClientSchema
from inscope_clinical.schemas import PhysicianSchema, single_line
from inscope_common.audit import record_change, record_view
from inscope_common.auth import (
    ADMIN,
    FRONT_DESK,
    STAFF_SECURITY,
    TRAINER,
    access,
    current_actor,
    declare,
)
from inscope_common.events.schemas import (
    ANSWERS,
    REFERRAL_STATUSES,
    TARGETS,
    URGENCIES,
    RestrictionsSchema,
)
from inscope_common.http import Blueprint
from inscope_common.runtime import runtime
from inscope_referral import inbound, lifecycle, referrals, service, status_stamps
from inscope_referral.identity.accounts import list_accounts
from inscope_referral.models import AuditEntry

blp = Blueprint("clients", __name__, description="Where each client stands")
referrals_blp = Blueprint(
    "referrals", __name__, description="Referrals to clinicians, tracked until closed (staff)"
)
inbound_blp = Blueprint("inbound", __name__, description="Clinics referring patients to the gym")
people_blp = Blueprint("people", __name__, description="Staff members (names and roles)")


class StaffMemberSchema(Schema):
    account_id = fields.String()
    name = fields.String()
    role = fields.String()
    credential = fields.String(allow_none=True)


# Staff names and roles: whom the front desk names responsible for a client.
declare(people_blp, StaffMembers=access(FRONT_DESK, TRAINER, ADMIN))


@people_blp.route("/staff-members")
class StaffMembers(MethodView):
    @people_blp.response(200, StaffMemberSchema(many=True))
    @people_blp.doc(security=STAFF_SECURITY)
    def get(self) -> list[dict[str, Any]]:
        """The active staff members, by name: whom the front desk may name as
        responsible for a client on the intake (issue 15 item 5; no email, no client data)."""
        return sorted(
            (
                {"account_id": a.id, "name": a.name, "role": a.role, "credential": a.credential}
                for a in list_accounts(runtime())
                if a.active
            ),
            key=lambda member: member["name"].casefold(),
        )


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


class VerificationRecordSchema(Schema):
    verified_with = fields.String()
    method = fields.String(metadata={"enum": list(referrals.VERIFICATION_METHODS)})
    verified_at = fields.String()
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_by_account = fields.String()
    recorded_at = fields.String()


class AnswerSchema(Schema):
    answer = fields.String(metadata={"enum": list(ANSWERS)})
    restrictions = fields.Nested(RestrictionsSchema, allow_none=True)
    answered_by = fields.String(allow_none=True)
    profession = fields.String(allow_none=True)
    registration = fields.String(allow_none=True)
    # emailed_link (the clinician's own) or client_carried_letter (unverified until staff
    # record a verification with the clinician)
    channel = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    verified = fields.Boolean()
    verification = fields.Nested(VerificationRecordSchema, allow_none=True)


class VerifySchema(Schema):
    verified_with = fields.String(
        required=True, validate=[validate.Length(min=1, max=200), single_line]
    )
    method = fields.String(required=True, validate=validate.OneOf(referrals.VERIFICATION_METHODS))
    verified_at = fields.AwareDateTime(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReferralSchema(Schema):
    id = fields.String()
    client_id = fields.String()
    intake_id = fields.String()
    decision_id = fields.String()
    outcome = fields.String(metadata={"enum": ["refer", "clearance"]})
    target = fields.String(allow_none=True, metadata={"enum": list(TARGETS)})
    urgency = fields.String(metadata={"enum": list(URGENCIES)})
    request = fields.Dict(
        metadata={
            "description": (
                "kind, evaluation, treatment, clearance_for_intensity, restrictions, "
                "exercise_guidelines, meanwhile, meanwhile_intensity, rules, summary"
            )
        }
    )
    status = fields.String(metadata={"enum": list(REFERRAL_STATUSES)})
    status_reason = fields.String(
        allow_none=True, metadata={"description": "why the letter did not go out (REF-4)"}
    )
    reminders_sent = fields.Integer()
    last_reminder_at = fields.DateTime(allow_none=True)
    last_progress_at = fields.DateTime(allow_none=True)
    answer = fields.Nested(AnswerSchema, allow_none=True)
    closed_reason = fields.String(allow_none=True)
    timestamps = fields.Dict(
        keys=fields.String(),
        values=fields.DateTime(),
        metadata={"description": "when the referral reached each status it went through"},
    )


class TrendRowSchema(Schema):
    """One scored assessment in figures (inscope_clinical.trends.trend_rows)."""

    at = fields.String(metadata={"description": "the day it was scored (ISO date)"})
    assessment_id = fields.String(allow_none=True)
    fms_total = fields.Integer(allow_none=True, metadata={"description": "0-21"})
    fms_scores = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(allow_none=True),
        metadata={"description": "each FMS test's score (0-3), null when not done"},
    )
    asymmetries = fields.List(fields.String())
    compensations = fields.List(fields.String())
    painful = fields.List(fields.String())
    change = fields.Integer(
        allow_none=True, metadata={"description": "FMS total against the assessment before"}
    )
    step = fields.String(
        metadata={"description": "first, hold, progress or regress (CEC-2 acute variables)"}
    )


class StatusSchema(Schema):
    client_id = fields.String()
    intake_id = fields.String()
    intake_version = fields.Integer(metadata={"description": "the intake version screened"})
    assessment_id = fields.String(allow_none=True)
    status = fields.String(
        metadata={
            "description": (
                "screening_pending, emergency, on_hold, clearance_needed, referred, "
                "answer_to_verify, awaiting_assessment or program_ready "
                "(shared/domain/client-journey.md; computed by inscope_clinical.journey)"
            )
        }
    )
    journey = fields.Dict(
        metadata={
            "description": "status, urgency, labels, headline, reason, next action, "
            "do_not_train and whether the assessment may go ahead (DEC-6)"
        }
    )
    emergency = fields.Boolean()
    emergency_instruction = fields.String(
        allow_none=True,
        metadata={"description": "set when the latest decision is an emergency: act on it now"},
    )
    decision = fields.Nested(DecisionSchema, allow_none=True)
    program = fields.Dict(
        allow_none=True,
        metadata={
            "description": "the program in effect: the decision's, or the one built within "
            "the clinician's clearing answer (DEC-7); restrictions.clinician holds the "
            "restrictions it respects, restrictions.excluded_exercises what they left out"
        },
    )
    referrals = fields.List(fields.Nested(ReferralSchema))
    trend = fields.List(
        fields.Nested(TrendRowSchema),
        metadata={"description": "every scored assessment, oldest first (re-assessment trend)"},
    )


def _audit_view(record: str, record_id: str | None, client_id: str | None) -> None:
    rt = runtime()
    record_view(rt.session_factory, AuditEntry, current_actor(), record, record_id, client_id)


# Client status and decisions carry the clinical reasons: trainers and admins.
declare(
    blp,
    ClientStatus=access(TRAINER, ADMIN),
    ClientDecisions=access(TRAINER, ADMIN),
)

declare(
    referrals_blp,
    Referrals=access(TRAINER, ADMIN),
    ReferralById=access(TRAINER, ADMIN),
    CloseReferral=access(TRAINER, ADMIN),
    VerifyAnswer=access(TRAINER, ADMIN),
)

# A clinic's referral reaches the front desk, which turns it into an intake.
declare(
    inbound_blp,
    InboundReferrals=access(FRONT_DESK, ADMIN),
    InboundById=access(FRONT_DESK, TRAINER, ADMIN),
)


# GET /clients/<id>/status reads its query and header by hand (``_wait``): it is asked
# again and again while a decision is awaited, and webargs' parsing of them was a fifth
# of a 304's cost. Documented here instead.
STATUS_PARAMETERS = [
    {
        "in": "query",
        "name": "wait",
        "required": False,
        "schema": {"type": "number", "minimum": 0, "maximum": status_stamps.MAX_WAIT_S,
                   "default": 0},
        "description": (
            "seconds (at most 25) to hold a request whose If-None-Match names the "
            "current ETag: answered as soon as the client's status changes (200), 304 "
            "when the wait is over. The service holds a few requests per process at "
            "once; others are answered at once, so ask again after a pause when a 304 "
            "comes back early"
        ),
    },
    {
        "in": "header",
        "name": "If-None-Match",
        "required": False,
        "schema": {"type": "string"},
        "description": (
            "the ETag of the status already held: 304 Not Modified, without a body, "
            "while nothing has changed since"
        ),
    },
]
ETAG_HEADER = {
    "ETag": {
        "description": "the status's version (weak); send it back in If-None-Match",
        "schema": {"type": "string"},
    }
}


def _wait() -> float:
    """``?wait=``: seconds, 0 to MAX_WAIT_S (422 otherwise)."""
    raw = request.args.get("wait")
    if raw is None:
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= status_stamps.MAX_WAIT_S:  # NaN fails too
        abort(422, errors={"query": {"wait": [
            f"Must be a number of seconds from 0 to {status_stamps.MAX_WAIT_S:g}."]}})
    return seconds


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    return response


@blp.route("/clients/<client_id>/status")
class ClientStatus(MethodView):
    @blp.response(200, StatusSchema, headers=ETAG_HEADER)
    @blp.alt_response(
        304, description="nothing has changed since the ETag sent in If-None-Match",
        headers=ETAG_HEADER,
    )
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.doc(security=STAFF_SECURITY, parameters=STATUS_PARAMETERS)
    def get(self, client_id: str) -> Any:
        """Where the client stands, with the latest decision and its reasons.

        Pages and clients following a client ask again with the ETag they hold in
        If-None-Match (304 while nothing changed, from one Redis read) and ``wait``
        (held until the status changes): a decision shows as soon as it is committed,
        without asking over and over (issue 13). A 404 (the client not screened yet)
        carries an ETag too, followed the same way."""
        stamps = current_app.extensions[status_stamps.EXTENSION]
        held = request.if_none_match
        deadline = time.monotonic() + _wait()
        while True:
            # The version before the status: a change committed after this read gives
            # a new version, so a status is never sent under a version newer than it.
            etag = stamps.etag(client_id)
            if etag is not None and not held.star_tag and held.contains_weak(etag):
                if stamps.wait_change(client_id, etag, deadline - time.monotonic()):
                    continue
                return _not_modified(etag)
            headers = {"ETag": f'W/"{etag}"'} if etag is not None else {}
            status = service.status_of(runtime(), client_id)
            if status is None:
                # With its version too: asked again with it, 304 (or held) while the
                # client is still unknown (the first questions after an intake).
                abort(
                    404, message=f"no client {client_id} known to the referral service yet",
                    headers=headers,
                )
            _audit_view("client", client_id, client_id)
            return status, 200, headers


@blp.route("/clients/<client_id>/decisions")
class ClientDecisions(MethodView):
    @blp.response(200, DecisionSchema(many=True))
    @blp.doc(security=STAFF_SECURITY)
    def get(self, client_id: str) -> list[dict[str, Any]]:
        """Every decision taken for the client, oldest first."""
        decisions = service.decisions_of(runtime(), client_id)
        if decisions:
            _audit_view("decisions", None, client_id)
        return decisions


class ReferralQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(REFERRAL_STATUSES))
    client_id = fields.String(validate=validate.Length(min=1, max=64))


class CloseSchema(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), single_line])


@referrals_blp.route("/referrals")
class Referrals(MethodView):
    @referrals_blp.arguments(ReferralQuerySchema, location="query")
    @referrals_blp.response(200, ReferralSchema(many=True))
    @referrals_blp.doc(security=STAFF_SECURITY)
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Referrals, oldest first; filter by status (e.g. overdue) and client."""
        rows = referrals.list_referrals(runtime(), **query)
        if rows:
            _audit_view("referrals", None, query.get("client_id"))
        return rows


@referrals_blp.route("/referrals/<referral_id>")
class ReferralById(MethodView):
    @referrals_blp.response(200, ReferralSchema)
    @referrals_blp.doc(security=STAFF_SECURITY)
    def get(self, referral_id: str) -> dict[str, Any]:
        """One referral with its status history and the clinician's answer."""
        found = referrals.get_referral(runtime(), referral_id)
        if found is None:
            abort(404, message=f"no referral {referral_id}")
        _audit_view("referral", referral_id, found["client_id"])
        return found


@referrals_blp.route("/referrals/<referral_id>/close")
class CloseReferral(MethodView):
    @referrals_blp.arguments(CloseSchema)
    @referrals_blp.response(200, ReferralSchema)
    @referrals_blp.doc(security=STAFF_SECURITY)
    @referrals_blp.alt_response(409, description="the referral is closed already or cannot be")
    def post(self, body: dict[str, Any], referral_id: str) -> dict[str, Any]:
        """Staff close a referral: the loop is complete, or it is withdrawn."""
        try:
            closed = referrals.close_referral(runtime(), referral_id, body["reason"])
        except referrals.ReferralNotFound:
            abort(404, message=f"no referral {referral_id}")
        except lifecycle.TransitionRefused as exc:
            abort(409, message=str(exc))
        rt = runtime()
        record_change(rt.session_factory, AuditEntry, current_actor(), "referral", closed)
        return closed


@referrals_blp.route("/referrals/<referral_id>/verification")
class VerifyAnswer(MethodView):
    @referrals_blp.arguments(VerifySchema)
    @referrals_blp.response(200, ReferralSchema)
    @referrals_blp.doc(security=STAFF_SECURITY)
    @referrals_blp.alt_response(409, description="no unverified answer on this referral")
    def post(self, body: dict[str, Any], referral_id: str) -> dict[str, Any]:
        """Staff record who verified a client-carried answer with the clinician, how and
        when (audited); only then does the answer apply (DEC-7)."""
        try:
            return referrals.verify_answer(runtime(), referral_id, current_actor(), **body)
        except referrals.ReferralNotFound:
            abort(404, message=f"no referral {referral_id}")
        except referrals.VerificationRefused as exc:
            abort(exc.status, message=str(exc))


class ReferrerSchema(PhysicianSchema):
    """The referring clinician; a clinic and a way to reach them are required."""

    clinic = fields.String(required=True, validate=[validate.Length(min=1, max=200), single_line])

    @validates_schema
    def _reachable(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("email") and not data.get("phone"):
            raise ValidationError("Give an email address or a phone number.", field_name="email")


def _no_restrictions() -> dict[str, Any]:
    return {"max_intensity": None, "avoid_movements": [], "notes": None}


class InboundRequestSchema(Schema):
    referrer = fields.Nested(ReferrerSchema, required=True)
    patient = fields.Nested(ClientSchema, required=True)
    prescription = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "the prescription or exercise guidelines, as written"},
    )
    restrictions = fields.Nested(RestrictionsSchema, load_default=_no_restrictions)
    referral_date = fields.Date(required=True)

    @validates("referral_date")
    def _not_in_future(self, value: dt.date, **kwargs: Any) -> None:
        # One day of slack: the clinic may sit in a time zone ahead of ours.
        if value > dt.date.today() + dt.timedelta(days=1):
            raise ValidationError("The referral date cannot be in the future.")


class InboundSchema(Schema):
    id = fields.String()
    intake_link = fields.String(
        metadata={"description": "the front desk's intake page, pre-filled from this referral"}
    )
    received_at = fields.DateTime()
    referrer = fields.Dict()
    patient = fields.Dict()
    prescription = fields.String()
    restrictions = fields.Nested(RestrictionsSchema)
    referral_date = fields.String()


@inbound_blp.route("/referrals/inbound")
class InboundReferrals(MethodView):
    @inbound_blp.arguments(InboundRequestSchema)
    @inbound_blp.response(201, InboundSchema)
    @inbound_blp.doc(security=STAFF_SECURITY)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """A clinic refers a patient to the gym; answers with the front desk's intake link."""
        body = {**body, "referral_date": body["referral_date"].isoformat()}
        body["referrer"] = ReferrerSchema().dump(body["referrer"])
        body["patient"] = ClientSchema().dump(body["patient"])
        body["restrictions"] = RestrictionsSchema().dump(body["restrictions"])
        return inbound.receive_inbound(runtime(), body)


@inbound_blp.route("/referrals/inbound/<inbound_id>")
class InboundById(MethodView):
    @inbound_blp.response(200, InboundSchema)
    @inbound_blp.doc(security=STAFF_SECURITY)
    def get(self, inbound_id: str) -> dict[str, Any]:
        """An inbound referral, with its intake link."""
        found = inbound.get_inbound(runtime(), inbound_id)
        if found is None:
            abort(404, message=f"no inbound referral {inbound_id}")
        # The patient's and the clinician's details and the prescription: a recorded read
        # (no client id yet: the intake made from it names one).
        _audit_view("inbound_referral", inbound_id, None)
        return found
