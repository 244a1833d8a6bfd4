"""Marshmallow schemas: the request bodies of the intake and assessment APIs.

Loaded output is a plain JSON-serialisable dict (dates and datetimes become ISO
strings) and ``schema.dump(schema.load(x))`` round-trips. Unknown fields are
rejected (marshmallow's default ``RAISE``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .clearances import CLEARANCE_CONDITIONS, CLEARANCE_PROFESSIONS
from .restrictions import RestrictionsSchema
from .vocab import (
    ACSM_SIGNS,
    COMPENSATIONS,
    DISCHARGE_STATUSES,
    INTENSITIES,
    NOTES_WRITERS,
    ONSETS,
    PAIN_SIDES,
    PAIN_TESTS,
    PARQ_DELAY,
    PARQ_SECTIONS,
    POSTURE_FINDINGS,
    PUSH_PULL_COMPENSATIONS,
    RED_FLAG_QUESTIONS,
    SIDES,
    SINGLE_LEG_SQUAT_COMPENSATIONS,
    VIEWS,
)

NAME_LENGTH = validate.Length(min=1, max=100)
NOTES_LENGTH = validate.Length(max=5000)


def single_line(value: str) -> None:
    """Reject CR/LF (header-injection guard for text that may reach an e-mail)."""
    if "\r" in value or "\n" in value:
        raise ValidationError("Must be a single line (no CR or LF characters).")


# The same rule as single_line, in the OpenAPI document (apispec copies metadata).
SINGLE_LINE = {"pattern": "^[^\\r\\n]*$"}


class Boolean(fields.Boolean):
    """JSON ``true`` or ``false`` only. marshmallow's Boolean also takes "yes", "on",
    1 and "true"; the OpenAPI document says boolean, and the server keeps to it."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class Float(fields.Float):
    """A JSON number only: marshmallow's Float also takes numeric strings ("1.5")."""

    def _validated(self, value: Any) -> float:
        if value is True or value is False or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class IsoDate(fields.Date):
    """A date validated on load and kept as an ISO string (JSON-ready)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).isoformat()

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        return super()._serialize(value, attr, obj, **kwargs)


class IsoDateTime(fields.DateTime):
    """A datetime validated on load and kept as an ISO string (JSON-ready)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).isoformat()

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return super()._serialize(value, attr, obj, **kwargs)


def answer() -> Boolean:
    """A YES/NO answer that may be left blank (None = unanswered, see PARQ-8)."""
    return Boolean(load_default=None, allow_none=True)


def flag() -> Boolean:
    """A structured yes/no question whose absence means "not reported"."""
    return Boolean(load_default=False)


def yes_no() -> Boolean:
    """A yes/no question that must be answered."""
    return Boolean(required=True)


def nprs(**kwargs: Any) -> fields.Integer:
    """PAIN-1: 11-point numeric pain rating scale."""
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=10), **kwargs)


def defaults_of(schema: type[Schema]) -> Any:
    """load_default for an optional nested object: its own defaults, filled in. The
    defaults are loaded once (a schema instance per call cost a tenth of a screening);
    each caller gets its own copy, since loaded documents are mutable dicts."""
    loaded: list[dict[str, Any]] = []
    flat: list[bool] = []

    def fresh() -> dict[str, Any]:
        if not loaded:
            loaded.append(schema().load({}))
            flat.append(not any(type(v) in _CONTAINERS for v in loaded[0].values()))
        if flat[0]:  # scalars only (most defaults): a shallow copy is a whole copy
            return loaded[0].copy()
        return plain_copy(loaded[0])  # type: ignore[no-any-return]

    return fresh


def plain_copy(value: Any) -> Any:
    """A copy of loaded JSON data (dicts, lists, scalars): copy.deepcopy without its
    memo and dispatch, several times faster on these small documents."""
    if type(value) is dict:  # scalars are taken as they are, without a call each
        return {k: plain_copy(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if type(value) is list:
        return [plain_copy(v) if type(v) in _CONTAINERS else v for v in value]
    return value


_CONTAINERS = (dict, list)


def one_line_text(max_length: int, **kwargs: Any) -> fields.String:
    """Single-line text; required text must also be non-empty."""
    low = 1 if kwargs.get("required") else None
    return fields.String(
        validate=[validate.Length(min=low, max=max_length), single_line],
        metadata=SINGLE_LINE,
        **kwargs,
    )


# ---------------------------------------------------------------- client


# The languages a client can read their pages, emails and PAR-Q+ wording in (each has
# message catalogs in the intake and notify services; tests/web/test_catalogs.py).
CLIENT_LANGUAGES = ("en", "es")


class ClientSchema(Schema):
    first_name = one_line_text(100, required=True)
    last_name = one_line_text(100, required=True)
    date_of_birth = IsoDate(required=True)
    email = fields.Email()
    phone = one_line_text(40)
    # The language the client reads (their emails); absent: the facility's language.
    preferred_language = fields.String(validate=validate.OneOf(CLIENT_LANGUAGES))


# ---------------------------------------------------------------- PAR-Q+


def _section_schema(key: str, subs: tuple[str, ...]) -> type[Schema]:
    attrs: dict[str, Any] = {"gate": answer(), **{sub: answer() for sub in subs}}
    if key == "s4_blood_pressure":
        # PARQ-4 / SYS-8: "answer YES if resting BP is not known" for 4b.
        attrs["resting_bp_known"] = answer()
    return Schema.from_dict(attrs, name=f"ParqSection_{key}")


class ParqGeneralSchema(Schema):
    g1 = answer()
    g2 = answer()
    g3 = answer()
    g4 = answer()
    g5 = answer()
    g6 = answer()
    g7 = answer()


ParqFollowupsSchema = Schema.from_dict(
    {key: fields.Nested(_section_schema(key, subs)) for key, subs in PARQ_SECTIONS.items()},
    name="ParqFollowupsSchema",
)
ParqDelaySchema = Schema.from_dict({key: flag() for key in PARQ_DELAY}, name="ParqDelaySchema")


class ParqSchema(Schema):
    version = one_line_text(20, required=True)
    completed_on = IsoDate()
    general = fields.Nested(ParqGeneralSchema, required=True)
    followups = fields.Nested(ParqFollowupsSchema, load_default=dict)
    delay = fields.Nested(ParqDelaySchema, load_default=defaults_of(ParqDelaySchema))
    used_to_vigorous_exercise = answer()


# ---------------------------------------------------------------- ACSM

AcsmSignsSchema = Schema.from_dict({key: yes_no() for key in ACSM_SIGNS}, name="AcsmSignsSchema")


class AcsmSchema(Schema):
    regular_exercise_3_months = answer()
    known_cv_disease = yes_no()
    known_metabolic_disease = yes_no()
    known_renal_disease = yes_no()
    signs_symptoms = fields.Nested(AcsmSignsSchema, required=True)
    desired_intensity = fields.String(required=True, validate=validate.OneOf(INTENSITIES))
    medical_clearance_last_12_months = answer()


RedFlagsSchema = Schema.from_dict(
    {key: flag() for key in RED_FLAG_QUESTIONS}, name="RedFlagsSchema"
)

# ---------------------------------------------------------------- pain and history


class PainSchema(Schema):
    region = one_line_text(60, required=True)
    side = fields.String(required=True, validate=validate.OneOf(PAIN_SIDES))
    nprs_rest = nprs(required=True)
    nprs_activity = nprs(required=True)
    duration_weeks = Float(validate=validate.Range(min=0, max=5200))
    onset = fields.String(load_default="unknown", validate=validate.OneOf(ONSETS))
    night_pain = Boolean(required=True)
    doms = Boolean(load_default=False)
    assessed_by_clinician = Boolean(load_default=False)


class SurgerySchema(Schema):
    procedure = one_line_text(200, required=True)
    region = one_line_text(60)
    date = IsoDate()
    ongoing_rehabilitation = Boolean(required=True)


class InjurySchema(Schema):
    description = one_line_text(200, required=True)
    region = one_line_text(60)
    date = IsoDate()
    current = Boolean(required=True)


class PhysicalTherapySchema(Schema):
    region = one_line_text(60)
    discharged = Boolean(required=True)
    discharge_date = IsoDate()
    discharge_status = fields.String(validate=validate.OneOf(DISCHARGE_STATUSES))
    cleared_for_activity = answer()
    guidelines = fields.String(validate=validate.Length(max=5000))

    @validates_schema
    def _status_when_discharged(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("discharged") and not data.get("discharge_status"):
            raise ValidationError(
                "Required when discharged is true.", field_name="discharge_status"
            )


GUIDELINE_PROFESSIONS = ("physician", "physical_therapist", "chiropractor",
                         "sports_medicine_physician", "other_clinician")


class ClinicianGuidelinesSchema(Schema):
    """DEC-5: written exercise guidelines from any clinician (they satisfy PAIN-6 /
    SCOPE-4 as a physical therapist's discharge guidelines do)."""

    profession = fields.String(required=True, validate=validate.OneOf(GUIDELINE_PROFESSIONS))
    clinician_name = one_line_text(200)
    date = IsoDate()
    region = one_line_text(60)
    guidelines = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    restrictions = fields.Nested(RestrictionsSchema, allow_none=True)


class WrittenClearanceSchema(Schema):
    """DEC-9: a written clearance already on file."""

    clinician_name = one_line_text(200, required=True)
    profession = fields.String(required=True, validate=validate.OneOf(CLEARANCE_PROFESSIONS))
    date = IsoDate(required=True)
    conditions = fields.List(fields.String(validate=validate.OneOf(CLEARANCE_CONDITIONS)),
                             load_default=list)
    document_seen = Boolean(required=True)  # false: only reported by the client
    restrictions = fields.Nested(RestrictionsSchema, allow_none=True)


class HistorySchema(Schema):
    surgeries = fields.List(fields.Nested(SurgerySchema), load_default=list)
    injuries = fields.List(fields.Nested(InjurySchema), load_default=list)
    physical_therapy = fields.List(fields.Nested(PhysicalTherapySchema), load_default=list)
    clinician_guidelines = fields.List(fields.Nested(ClinicianGuidelinesSchema))
    written_clearances = fields.List(fields.Nested(WrittenClearanceSchema))


class PhysicianSchema(Schema):
    name = one_line_text(100, required=True)
    clinic = one_line_text(200)
    email = fields.Email()
    phone = one_line_text(40)


class ConsentSchema(Schema):
    version = one_line_text(40, required=True)
    assessment = Boolean(required=True)
    share_with_physician = Boolean(required=True)
    email = Boolean(required=True)
    signed_by = one_line_text(200, required=True)
    signed_at = IsoDateTime(required=True)


# ---------------------------------------------------------------- recorded values (DEC-10)


class RestingBpSchema(Schema):
    """A resting blood pressure reading: it decides PAR-Q+ 4b (>= 160/90 mmHg)."""

    systolic = fields.Integer(strict=True, required=True, validate=validate.Range(min=60, max=300))
    diastolic = fields.Integer(strict=True, required=True,
                               validate=validate.Range(min=30, max=200))
    measured_on = IsoDate(required=True)
    on_medication = Boolean(required=True)

    @validates_schema
    def _systolic_above_diastolic(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("systolic") is not None and data.get("diastolic") is not None \
                and data["systolic"] <= data["diastolic"]:
            raise ValidationError("Must be higher than the diastolic value.",
                                  field_name="systolic")


class RestingHeartRateSchema(Schema):
    """Resting heart rate: above 100 beats per minute is tachycardia (ACSM-2 sign 6)."""

    bpm = fields.Integer(strict=True, required=True, validate=validate.Range(min=20, max=250))
    measured_on = IsoDate(required=True)


class WeightChangeSchema(Schema):
    """A recent change in body weight: an unintended loss decides the RF-2 question
    "recent unexplained weight loss"."""

    change_kg = Float(required=True, validate=validate.Range(min=-150, max=150))
    over_weeks = Float(required=True, validate=validate.Range(min=0.5, max=520))
    intentional = Boolean(required=True)
    body_weight_kg = Float(validate=validate.Range(min=20, max=400))


class VitalsSchema(Schema):
    resting_bp = fields.Nested(RestingBpSchema, allow_none=True)
    resting_heart_rate = fields.Nested(RestingHeartRateSchema, allow_none=True)
    weight_change = fields.Nested(WeightChangeSchema, allow_none=True)


class ReviewEntrySchema(Schema):
    """One staff review of a flagged item (DEC-2 / DEC-3; inscope_clinical.review)."""

    key = one_line_text(40, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("free_text", "unread",
                                                                     "contradiction")))
    field = fields.String(allow_none=True, validate=validate.Length(max=200))
    flag = fields.String(allow_none=True, validate=validate.Length(max=200))
    words = fields.String(allow_none=True, validate=validate.Length(max=1000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    by = fields.String(validate=validate.Length(max=64))
    by_name = fields.String(validate=validate.Length(max=200))
    by_role = fields.String(validate=validate.Length(max=20))
    at = fields.String(validate=validate.Length(max=40))
    set = fields.List(fields.String(validate=validate.Length(max=200)))


class ReviewSchema(Schema):
    """Flags staff confirmed (the mention became the structured answer) or dismissed
    with a reason; the engine reads them on the next screening."""

    confirmed = fields.List(fields.Nested(ReviewEntrySchema), load_default=list)
    dismissed = fields.List(fields.Nested(ReviewEntrySchema), load_default=list)


class IntakeSchema(Schema):
    parq = fields.Nested(ParqSchema, required=True)
    acsm = fields.Nested(AcsmSchema, required=True)
    red_flags = fields.Nested(RedFlagsSchema, load_default=defaults_of(RedFlagsSchema))
    pain = fields.List(fields.Nested(PainSchema), load_default=list)
    history = fields.Nested(HistorySchema, load_default=defaults_of(HistorySchema))
    physician = fields.Nested(PhysicianSchema, allow_none=True)
    consent = fields.Nested(ConsentSchema, required=True)
    vitals = fields.Nested(VitalsSchema)  # DEC-10: values beat yes/no
    notes = fields.String(validate=NOTES_LENGTH)
    # who wrote the free text: "relative_or_carer" makes "Mum", "my husband" the client
    notes_written_by = fields.String(validate=validate.OneOf(NOTES_WRITERS))
    review = fields.Nested(ReviewSchema)  # staff review of flagged items (DEC-2/DEC-3)


# ---------------------------------------------------------------- assessment

PostureSchema = Schema.from_dict(
    {
        **{key: flag() for key in POSTURE_FINDINGS},
        "craniovertebral_angle_deg": Float(validate=validate.Range(min=0, max=90)),
    },
    name="PostureSchema",
)


class CompensationSchema(Schema):
    compensation = fields.String(required=True, validate=validate.OneOf(COMPENSATIONS))
    view = fields.String(required=True, validate=validate.OneOf(VIEWS))
    side = fields.String(load_default="bilateral", validate=validate.OneOf(SIDES))
    shift_toward = fields.String(validate=validate.OneOf(("left", "right")))

    @validates_schema
    def _shift_direction(self, data: dict[str, Any], **kwargs: Any) -> None:
        shift = data.get("compensation") == "asymmetrical_weight_shift"
        if shift and not data.get("shift_toward"):
            raise ValidationError(
                "Required for asymmetrical_weight_shift (OHSA-3).", field_name="shift_toward"
            )
        if not shift and data.get("shift_toward"):
            raise ValidationError(
                "Only allowed for asymmetrical_weight_shift.", field_name="shift_toward"
            )


class OhsaSchema(Schema):
    compensations = fields.List(fields.Nested(CompensationSchema), load_default=list)


def raw_score(**kwargs: Any) -> fields.Integer:
    """FMS-2: raw pattern score 0-3."""
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=3), **kwargs)


class SideScoresSchema(Schema):
    left = raw_score(required=True)
    right = raw_score(required=True)


def _side_scores() -> fields.Nested:
    return fields.Nested(SideScoresSchema, required=True)


class FmsTestsSchema(Schema):
    deep_squat = raw_score(required=True)
    hurdle_step = _side_scores()
    in_line_lunge = _side_scores()
    shoulder_mobility = _side_scores()
    active_straight_leg_raise = _side_scores()
    trunk_stability_push_up = raw_score(required=True)
    rotary_stability = _side_scores()


class ShoulderClearingSchema(Schema):
    left = Boolean(required=True)
    right = Boolean(required=True)


class ClearingSchema(Schema):
    """FMS-5: True means the client reported pain on the clearing test."""

    shoulder = fields.Nested(ShoulderClearingSchema, required=True)
    spinal_extension = Boolean(required=True)
    spinal_flexion = Boolean(required=True)


class FmsSchema(Schema):
    tests = fields.Nested(FmsTestsSchema, required=True)
    clearing = fields.Nested(ClearingSchema, required=True)


class PainDuringSchema(Schema):
    test = fields.String(required=True, validate=validate.OneOf(PAIN_TESTS))
    region = one_line_text(60, required=True)
    side = fields.String(required=True, validate=validate.OneOf(PAIN_SIDES))
    nprs = nprs(required=True)


class SingleLegSquatSchema(Schema):
    """DEC-8: NASM single-leg squat, per standing leg (OHSA-T2: knee valgus)."""

    left = fields.List(fields.String(validate=validate.OneOf(SINGLE_LEG_SQUAT_COMPENSATIONS)),
                       load_default=list)
    right = fields.List(fields.String(validate=validate.OneOf(SINGLE_LEG_SQUAT_COMPENSATIONS)),
                        load_default=list)


class PushPullSchema(Schema):
    """DEC-8: NASM pushing or pulling assessment (OHSA-T2: low back arches, shoulders
    elevate, head juts forward)."""

    compensations = fields.List(fields.String(validate=validate.OneOf(PUSH_PULL_COMPENSATIONS)),
                                load_default=list)


class AssessmentSchema(Schema):
    posture = fields.Nested(PostureSchema, load_default=defaults_of(PostureSchema))
    ohsa = fields.Nested(OhsaSchema, load_default=defaults_of(OhsaSchema))
    single_leg_squat = fields.Nested(SingleLegSquatSchema, allow_none=True)
    pushing = fields.Nested(PushPullSchema, allow_none=True)
    pulling = fields.Nested(PushPullSchema, allow_none=True)
    fms = fields.Nested(FmsSchema, allow_none=True)
    pain_during = fields.List(fields.Nested(PainDuringSchema), load_default=list)
    notes = fields.String(validate=NOTES_LENGTH)


class ScreenDocumentSchema(Schema):
    client = fields.Nested(ClientSchema, required=True)
    intake = fields.Nested(IntakeSchema, required=True)
    assessment = fields.Nested(AssessmentSchema, allow_none=True)
