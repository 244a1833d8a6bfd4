"""HTTP API of the intake service."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate, validates

from inscope_clinical import ClientSchema, IntakeSchema
from inscope_clinical import review as review_rules
from inscope_clinical.journey import Journey, client_texts
from inscope_clinical.schemas import (
    CLIENT_LANGUAGES,
    ConsentSchema,
    PhysicianSchema,
    plain_copy,
)
from inscope_common.audit import record_event
from inscope_common.auth import (
    ADMIN,
    FRONT_DESK,
    SERVICE_ONLY,
    STAFF_SECURITY,
    TRAINER,
    access,
    current_actor,
    declare,
)
from inscope_common.http import Blueprint
from inscope_common.idempotency import IdempotencyHeaderSchema, api_claim, api_run_once
from inscope_common.runtime import runtime
from inscope_common.service_auth import require_service
from inscope_intake import directory, previsit, service
from inscope_intake.models import AuditEntry, IdempotencyKey

blp = Blueprint("intakes", __name__, description="Client intakes from the front desk")


class IntakeRequestSchema(Schema):
    client = fields.Nested(ClientSchema, required=True)
    intake = fields.Nested(IntakeSchema, required=True)


class CorrectionRequestSchema(IntakeRequestSchema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=1000),
        metadata={"description": "why the intake is corrected (kept with the old version)"},
    )


class IntakeCreatedSchema(Schema):
    id = fields.String()
    client_id = fields.String()
    status = fields.String()
    submitted_at = fields.DateTime()
    version = fields.Integer()


class CorrectedSchema(IntakeCreatedSchema):
    corrected_at = fields.DateTime()


class VersionSchema(Schema):
    version = fields.Integer(metadata={"description": "the version this correction replaced"})
    valid_from = fields.DateTime()
    replaced_at = fields.DateTime()
    corrected_by = fields.String()
    corrected_by_name = fields.String()
    corrected_by_role = fields.String()
    reason = fields.String()
    client = fields.Dict()
    intake = fields.Dict()


class ScreeningStatusSchema(Schema):
    """Where the client stands (inscope_clinical.journey), for the confirmation page."""

    intake_id = fields.String()
    client_id = fields.String()
    version = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    urgency = fields.String(allow_none=True)
    urgency_label = fields.String(allow_none=True)
    badge = fields.String()
    headline = fields.String()
    reason = fields.String()
    next_action = fields.String()
    do_not_train = fields.Boolean()
    assessment_allowed = fields.Boolean()
    assessment_block_reason = fields.String(allow_none=True)
    emergency_instruction = fields.String(allow_none=True)
    tone = fields.String(metadata={"description": "emergency, stop, hold, go or pending"})


def tone_of(status: str, do_not_train: bool, allowed: bool) -> str:
    """How loud the result is shown (the words always say it)."""
    if status == "emergency":
        return "emergency"
    if status == "screening_pending":
        return "pending"
    if status in ("on_hold", "answer_to_verify"):
        return "hold"
    if do_not_train and not allowed:
        return "stop"
    if status in ("referred", "clearance_needed"):
        return "hold"
    return "go"


# The client catalogs (``make messages``): the status box speaks the client's language.
TRANSLATIONS = Path(__file__).parent / "translations"


@cache
def client_translations(language: str) -> NullTranslations:
    """A client language's catalog of the intake's client text; none: English."""
    return Translations.load(str(TRANSLATIONS), [language], "messages")


class StatusArgs(Schema):
    language = fields.String(
        validate=validate.OneOf(CLIENT_LANGUAGES),
        metadata={"description": "the client's language: the texts a client reads (headline, "
                  "reason, next action, labels) in it; without it, the staff's English"},
    )


def status_dict(row: Any, journey: Journey, language: str | None = None) -> dict[str, Any]:
    """Where the client stands; in ``language`` (a client's) when it is not the English
    source: translated by the journey's codes (its English names people and dates)."""
    found = {
        "intake_id": row.id,
        "client_id": row.client_id,
        "version": row.version or 1,
        "status": journey.status,
        "status_label": journey.status_label,
        "urgency": journey.urgency,
        "urgency_label": journey.urgency_label,
        "badge": journey.badge,
        "headline": journey.headline,
        "reason": journey.reason,
        "next_action": journey.next_action,
        "do_not_train": journey.do_not_train,
        "assessment_allowed": journey.assessment_allowed,
        "assessment_block_reason": journey.assessment_block_reason,
        "emergency_instruction": journey.emergency_instruction,
        "tone": tone_of(journey.status, journey.do_not_train, journey.assessment_allowed),
    }
    if language and language != "en":
        gettext = client_translations(language).gettext
        found.update(client_texts(journey, gettext, runtime().settings.emergency_number))
    return found


def refuse_bad_dates(client: dict[str, Any], intake: dict[str, Any]) -> None:
    """422 naming each field whose date makes no sense (future, implausible age)."""
    problems = service.check_dates(runtime(), client, intake)
    if problems:
        abort(422, errors={"json": problems}, message="Some dates make no sense.")


class IntakeSchemaOut(IntakeCreatedSchema):
    client = fields.Nested(ClientSchema)
    intake = fields.Nested(IntakeSchema)


class ContactSchema(Schema):
    intake_id = fields.String()
    client_id = fields.String()
    client = fields.Nested(ClientSchema)
    physician = fields.Nested(PhysicianSchema, allow_none=True)
    consent = fields.Nested(ConsentSchema, allow_none=True)
    language = fields.String(metadata={
        "description": "the language to write to the client in: their preferred language, "
        "or the facility's (FACILITY_LANGUAGE)"})


def client_dict(row: Any) -> dict[str, Any]:
    client = row.client
    found = {
        "first_name": client.first_name,
        "last_name": client.last_name,
        "date_of_birth": client.date_of_birth.isoformat(),
        "email": client.email,
        "phone": client.phone,
        "preferred_language": client.preferred_language,
    }
    return {key: value for key, value in found.items() if value is not None}


def _created(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "client_id": row.client_id,
        "status": "submitted",
        "submitted_at": row.submitted_at,
        "version": row.version or 1,
    }


# Built once (issue 13): a new instance builds every nested schema again, which was a
# quarter of POST /intakes' CPU. Dumping does not change a schema.
_CREATED = IntakeCreatedSchema()


def _created_response(row: Any) -> tuple[int, Any]:
    """What an idempotency key replays: the 201 exactly as first sent."""
    return 201, _CREATED.dump(_created(row))


# Who may call each endpoint (inscope_common.auth.declare). The front desk enters
# intakes and reads them back; names only for the board's search and one page of names
# (no health data); where the client stands after screening; corrections by the front
# desk or a trainer; flags the engine raised, confirmed or dismissed by clinical staff.
# The contact reads are service-to-service: their views name the services they admit.
declare(
    blp,
    Intakes=access(FRONT_DESK, ADMIN),
    IntakeById=access(FRONT_DESK, TRAINER, ADMIN),
    ClientSearch=access(FRONT_DESK, TRAINER, ADMIN),
    ClientNames=access(FRONT_DESK, TRAINER, ADMIN),
    IntakeStatus=access(FRONT_DESK, TRAINER, ADMIN),
    IntakeCorrections=access(FRONT_DESK, TRAINER, ADMIN),
    IntakeReview=access(TRAINER, ADMIN),
    IntakeContact=SERVICE_ONLY,
    PrevisitContact=SERVICE_ONLY,
)


@blp.route("/intakes")
class Intakes(MethodView):
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(IntakeRequestSchema)
    @blp.response(201, IntakeCreatedSchema)
    @blp.doc(security=STAFF_SECURITY)
    def post(self, headers: dict[str, Any], body: dict[str, Any]) -> Any:
        """Submit a client's intake; publishes ``intake.submitted``.

        With an ``Idempotency-Key`` header, a retry of the same request creates nothing
        and gets the first response again (header ``Idempotent-Replayed: true``).

        Dates are checked for sense: a date of birth in the future or giving an age
        outside INTAKE_MIN_AGE_YEARS..INTAKE_MAX_AGE_YEARS (14..100), or any other date
        in the future or before birth, is refused with 422 naming the field."""
        rt, actor = runtime(), current_actor()
        # The loaded documents are JSON-ready already: dumping them again through their
        # schemas only made an equal copy, at a tenth of the request's CPU (issue 13;
        # tests/clinical/test_schemas.py: dump(load(x)) == load(x), field types pinned).
        client = plain_copy(body["client"])
        intake = plain_copy(body["intake"])
        refuse_bad_dates(client, intake)
        claim = api_claim(
            IdempotencyKey, "POST /intakes", headers, body, actor.account_id, _created_response
        )
        replay, row = api_run_once(
            claim,
            rt.session_factory,
            lambda: service.submit_intake(rt, client, intake, actor, claim=claim),
        )
        return replay or _created(row)


@blp.route("/intakes/<intake_id>")
class IntakeById(MethodView):
    @blp.response(200, IntakeSchemaOut)
    @blp.doc(security=STAFF_SECURITY)
    def get(self, intake_id: str) -> dict[str, Any]:
        """Read an intake back."""
        row = service.get_intake(runtime(), intake_id, current_actor())
        if row is None:
            abort(404, message=f"no intake {intake_id}")
        return {
            "id": row.id,
            "client_id": row.client_id,
            "status": "submitted",
            "submitted_at": row.submitted_at,
            "version": row.version or 1,
            "client": client_dict(row),
            "intake": row.document,
        }


@blp.route("/intakes/<intake_id>/status")
class IntakeStatus(MethodView):
    @blp.arguments(StatusArgs, location="query")
    @blp.response(200, ScreeningStatusSchema)
    @blp.doc(security=STAFF_SECURITY)
    def get(self, args: dict[str, Any], intake_id: str) -> dict[str, Any]:
        """Where the client stands after screening, in words (the confirmation page polls
        this). Learned from the referral service's ``referral.status_changed`` events."""
        found = service.screening_status(runtime(), intake_id)
        if found is None:
            abort(404, message=f"no intake {intake_id}")
        return status_dict(*found, language=args.get("language"))


@blp.route("/intakes/<intake_id>/corrections")
class IntakeCorrections(MethodView):
    @blp.arguments(CorrectionRequestSchema)
    @blp.response(201, CorrectedSchema)
    @blp.doc(security=STAFF_SECURITY)
    def post(self, body: dict[str, Any], intake_id: str) -> dict[str, Any]:
        """Correct an intake: the whole corrected intake and why. The current version is
        kept as it was (who, when, why), the intake becomes the next version and the
        client is screened again (``intake.corrected``); what was decided or sent on the
        old version is superseded by the referral service."""
        client = plain_copy(body["client"])
        intake = plain_copy(body["intake"])
        refuse_bad_dates(client, intake)
        try:
            row = service.correct_intake(
                runtime(), intake_id, client, intake, current_actor(), body["reason"]
            )
        except service.IntakeNotFound:
            abort(404, message=f"no intake {intake_id}")
        return {
            "id": row.id,
            "client_id": row.client_id,
            "status": "corrected",
            "submitted_at": row.submitted_at,
            "version": row.version,
            "corrected_at": row.corrected_at,
        }

    @blp.response(200, VersionSchema(many=True))
    @blp.doc(security=STAFF_SECURITY)
    def get(self, intake_id: str) -> list[dict[str, Any]]:
        """The versions corrections replaced, oldest first, with who, when and why."""
        row = service.get_intake(runtime(), intake_id, current_actor())
        if row is None:
            abort(404, message=f"no intake {intake_id}")
        return [version_dict(v) for v in service.versions_of(runtime(), intake_id)]


def version_dict(v: Any) -> dict[str, Any]:
    return {
        "version": v.version,
        "valid_from": v.valid_from,
        "replaced_at": v.replaced_at,
        "corrected_by": v.corrected_by,
        "corrected_by_name": v.corrected_by_name,
        "corrected_by_role": v.corrected_by_role,
        "reason": v.reason,
        "client": v.client,
        "intake": v.document,
    }


class ReviewRequestSchema(Schema):
    key = fields.String(
        required=True, validate=validate.Length(min=1, max=40),
        metadata={"description": "the flagged item's key (GET .../review)"},
    )
    action = fields.String(required=True, validate=validate.OneOf(review_rules.ACTIONS))
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=900),
        metadata={"description": "why; required to dismiss"},
    )


class ReviewItemSchema(Schema):
    key = fields.String()
    kind = fields.String(metadata={"description": "free_text, unread (words in a language the "
                                                  "screening does not read: dismiss only) or "
                                                  "contradiction"})
    field = fields.String(allow_none=True)
    words = fields.String(allow_none=True)
    language = fields.String(allow_none=True, metadata={
        "description": "unread: es, pt, fr, de, it, or other (another script)"})
    flags = fields.List(fields.String())
    contradicts = fields.List(fields.String())
    answer = fields.String()
    against = fields.List(fields.Dict())
    urgency = fields.String(allow_none=True)


class ReviewStateSchema(Schema):
    intake_id = fields.String()
    client_id = fields.String()
    version = fields.Integer()
    screened = fields.Boolean(metadata={"description": "false while the current version "
                                                        "is being screened"})
    needs_review = fields.List(fields.Nested(ReviewItemSchema))
    confirmed = fields.List(fields.Dict())
    dismissed = fields.List(fields.Dict())


class ReviewDoneSchema(CorrectedSchema):
    review = fields.Dict()


def review_dict(row: Any, items: list[dict[str, Any]], current: bool) -> dict[str, Any]:
    done = row.document.get("review") or {}
    return {
        "intake_id": row.id,
        "client_id": row.client_id,
        "version": row.version or 1,
        "screened": current,
        "needs_review": items,
        "confirmed": done.get("confirmed") or [],
        "dismissed": done.get("dismissed") or [],
    }


@blp.route("/intakes/<intake_id>/review")
class IntakeReview(MethodView):
    @blp.response(200, ReviewStateSchema)
    @blp.doc(security=STAFF_SECURITY)
    def get(self, intake_id: str) -> dict[str, Any]:
        """What the client's current decision asks staff to review (DEC-2 free text with
        the words matched, DEC-3 contradictions with both sides), and what staff already
        confirmed or dismissed (who, when, why)."""
        found = service.review_state(runtime(), intake_id)
        if found is None:
            abort(404, message=f"no intake {intake_id}")
        return review_dict(*found)

    @blp.arguments(ReviewRequestSchema)
    @blp.response(201, ReviewDoneSchema)
    @blp.doc(security=STAFF_SECURITY)
    def post(self, body: dict[str, Any], intake_id: str) -> dict[str, Any]:
        """Confirm a flagged item (the mention becomes the structured answer) or dismiss
        it with a reason (422 without one). Either makes a corrected version of the
        intake recording who, when and why, audited, and the client is screened again
        (``intake.corrected``). 409 while the current version is being screened or when
        the item is no longer flagged."""
        try:
            row, entry = service.review_flag(
                runtime(), intake_id, body["key"], body["action"], body["reason"],
                current_actor(),
            )
        except service.IntakeNotFound:
            abort(404, message=f"no intake {intake_id}")
        except service.ReviewRefused as exc:
            abort(exc.status, message=str(exc))
        return {
            "id": row.id,
            "client_id": row.client_id,
            "status": "corrected",
            "submitted_at": row.submitted_at,
            "version": row.version,
            "corrected_at": row.corrected_at,
            "review": entry,
        }


@blp.route("/internal/intakes/<intake_id>/contact")
class IntakeContact(MethodView):
    @blp.response(200, ContactSchema)
    @blp.doc(security=[{"serviceToken": []}])
    def get(self, intake_id: str) -> dict[str, Any]:
        """Who to write to, and what the client consented to (service-to-service: the
        notify service to send, the referral service for the physician's answer page)."""
        caller = require_service(runtime().settings, "notify", "referral")
        row = service.read_contact(runtime(), intake_id, caller)
        if row is None:
            abort(404, message=f"no intake {intake_id}")
        return {
            "intake_id": row.id,
            "client_id": row.client_id,
            "client": client_dict(row),
            "physician": row.document.get("physician"),
            "consent": row.document.get("consent"),
            "language": row.client.preferred_language or runtime().settings.language,
        }


class PrevisitContactSchema(Schema):
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()
    language = fields.String(metadata={"description": "the language the link was sent in"})
    status = fields.String(metadata={"description": "sent | submitted | completed | withdrawn"})
    expires_at = fields.String()


@blp.route("/internal/previsit/<link_id>/contact")
class PrevisitContact(MethodView):
    @blp.response(200, PrevisitContactSchema)
    @blp.doc(security=[{"serviceToken": []}])
    def get(self, link_id: str) -> dict[str, Any]:
        """Who a pre-visit link is for, to email it (service-to-service: the notify
        service only; audited)."""
        caller = require_service(runtime().settings, "notify")
        found = previsit.contact_of(runtime(), link_id)
        if found is None:
            abort(404, message=f"no pre-visit link {link_id}")
        record_event(runtime().session_factory, AuditEntry, caller, "view",
                     "previsit_link", link_id)
        return found


class ClientSearchArgs(Schema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the start of a first or last name; every word must match"},
    )
    limit = fields.Integer(
        load_default=directory.MAX_MATCHES,
        validate=validate.Range(min=1, max=directory.MAX_MATCHES),
    )

    @validates("q")
    def has_a_word(self, value: str, **_: Any) -> None:
        if not directory.search_words(value):
            raise ValidationError("type at least one letter or digit of a name")


class ClientSearchSchema(Schema):
    client_ids = fields.List(fields.String())
    truncated = fields.Boolean(
        metadata={"description": "more clients matched than the limit: type more of the name"}
    )


class ClientNamesArgs(Schema):
    client_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=directory.MAX_NAMES),
    )


class ClientNameSchema(Schema):
    client_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    language = fields.String(allow_none=True, metadata={
        "description": "the language the client reads (preferred_language); null: none named"})
    physician = fields.String(allow_none=True, metadata={"description": "the physician's name"})


class ClientNamesSchema(Schema):
    clients = fields.List(fields.Nested(ClientNameSchema))


@blp.route("/clients/search")
class ClientSearch(MethodView):
    @blp.arguments(ClientSearchArgs, location="query")
    @blp.response(200, ClientSearchSchema)
    @blp.doc(security=STAFF_SECURITY)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Client ids whose first or last name starts with each word of ``q`` (case and
        accents ignored), for other services' pages to filter by name."""
        ids, truncated = directory.search(runtime(), args["q"], args["limit"])
        return {"client_ids": ids, "truncated": truncated}


@blp.route("/clients/names")
class ClientNames(MethodView):
    @blp.arguments(ClientNamesArgs)
    @blp.response(200, ClientNamesSchema)
    @blp.doc(security=STAFF_SECURITY)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Names only (with the client's language and the physician's name) for one page
        of client ids, in one call; unknown ids are left out."""
        return {"clients": directory.names(runtime(), body["client_ids"])}
