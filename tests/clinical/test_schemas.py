"""The marshmallow schemas are the API contract of the intake and assessment services."""

from __future__ import annotations

import json

import pytest
from clinical_builders import raw_assessment, raw_client, raw_intake
from marshmallow import ValidationError

from inscope_clinical import (
    AssessmentSchema,
    ClientSchema,
    IntakeSchema,
    ScreenDocumentSchema,
)


def test_loaded_intake_is_plain_json_and_round_trips() -> None:
    schema = IntakeSchema()
    loaded = schema.load(raw_intake())
    assert json.loads(json.dumps(loaded)) == loaded
    assert schema.dump(loaded) == loaded
    assert schema.load(schema.dump(loaded)) == loaded
    assert loaded["consent"]["signed_at"] == "2025-02-28T10:00:00+00:00"
    assert loaded["red_flags"]["saddle_numbness"] is False
    assert loaded["parq"]["delay"] == {
        "temporary_illness": False, "pregnant": False, "health_change": False}


def test_blank_general_answers_load_as_none() -> None:
    doc = raw_intake()
    del doc["parq"]["general"]["g3"]
    doc["parq"]["general"]["g4"] = None
    loaded = IntakeSchema().load(doc)
    assert loaded["parq"]["general"]["g3"] is None
    assert loaded["parq"]["general"]["g4"] is None


def test_client_dates_are_iso_strings_and_dump_works() -> None:
    loaded = ClientSchema().load(raw_client())
    assert loaded["date_of_birth"] == "1985-06-15"
    assert ClientSchema().dump(loaded)["date_of_birth"] == "1985-06-15"


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("bad", ["Alex\r\nBcc: x@example.com", "A\nB", "A\rB"])
def test_names_reject_cr_lf(field: str, bad: str) -> None:
    doc = raw_client() | {field: bad}
    with pytest.raises(ValidationError) as err:
        ClientSchema().load(doc)
    assert field in err.value.messages


@pytest.mark.parametrize(
    "doc, field",
    [
        (raw_client() | {"first_name": ""}, "first_name"),
        (raw_client() | {"last_name": "x" * 101}, "last_name"),
        (raw_client() | {"date_of_birth": "15/06/1985"}, "date_of_birth"),
        (raw_client() | {"email": "not-an-email"}, "email"),
        (raw_client() | {"phone": "1" * 41}, "phone"),
        (raw_client() | {"nickname": "Al"}, "nickname"),
    ],
)
def test_client_rejects_invalid_fields(doc: dict, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        ClientSchema().load(doc)
    assert field in err.value.messages


def test_intake_requires_consent_and_rejects_unknown_fields() -> None:
    doc = raw_intake()
    del doc["consent"]
    doc["parq"]["general"]["g8"] = False
    with pytest.raises(ValidationError) as err:
        IntakeSchema().load(doc)
    assert "consent" in err.value.messages
    assert "g8" in err.value.messages["parq"]["general"]


def test_pain_nprs_must_be_0_to_10() -> None:
    pain = {"region": "knee", "side": "left", "nprs_rest": 11, "nprs_activity": 3,
            "night_pain": False}
    with pytest.raises(ValidationError) as err:
        IntakeSchema().load(raw_intake(pain=[pain]))
    assert "nprs_rest" in err.value.messages["pain"][0]


def test_discharge_status_required_when_discharged() -> None:
    history = {"physical_therapy": [{"discharged": True}]}
    with pytest.raises(ValidationError) as err:
        IntakeSchema().load(raw_intake(history=history))
    assert "discharge_status" in err.value.messages["history"]["physical_therapy"][0]


def test_weight_shift_requires_direction() -> None:
    comp = {"compensation": "asymmetrical_weight_shift", "view": "posterior", "side": "bilateral"}
    with pytest.raises(ValidationError) as err:
        AssessmentSchema().load(raw_assessment(ohsa={"compensations": [comp]}))
    assert "shift_toward" in err.value.messages["ohsa"]["compensations"][0]
    comp["shift_toward"] = "left"
    loaded = AssessmentSchema().load(raw_assessment(ohsa={"compensations": [comp]}))
    assert loaded["ohsa"]["compensations"][0]["shift_toward"] == "left"


def test_direction_only_for_weight_shift() -> None:
    comp = {"compensation": "knees_move_inward", "view": "anterior", "side": "left",
            "shift_toward": "left"}
    with pytest.raises(ValidationError):
        AssessmentSchema().load(raw_assessment(ohsa={"compensations": [comp]}))


@pytest.mark.parametrize("score", [-1, 4, 2.5, "2"])
def test_fms_raw_scores_are_integers_0_to_3(score: object) -> None:
    doc = raw_assessment()
    doc["fms"]["tests"]["deep_squat"] = score
    with pytest.raises(ValidationError):
        AssessmentSchema().load(doc)


def test_unknown_compensation_rejected() -> None:
    comp = {"compensation": "knees_wobble", "view": "anterior"}
    with pytest.raises(ValidationError):
        AssessmentSchema().load(raw_assessment(ohsa={"compensations": [comp]}))


def test_fms_is_optional_and_assessment_round_trips() -> None:
    schema = AssessmentSchema()
    loaded = schema.load({"ohsa": {"compensations": []}})
    assert "fms" not in loaded
    assert loaded["posture"]["forward_head"] is False
    full = schema.load(raw_assessment())
    assert schema.dump(full) == full
    assert json.loads(json.dumps(full)) == full


def test_screen_document_assessment_optional() -> None:
    doc = {"client": raw_client(), "intake": raw_intake()}
    loaded = ScreenDocumentSchema().load(doc)
    assert "assessment" not in loaded
    assert ScreenDocumentSchema().dump(loaded) == loaded


# ---- The APIs keep a loaded document as it is (issue 13) --------------------------
# POST /intakes, POST /intakes/<id>/corrections and POST /assessments used to dump the
# documents they had just loaded; they now take a plain copy of what loading gave. That
# is the same only while dumping a loaded document changes nothing: the two tests below
# hold it, over every example document and over every field the schemas have.


def _example_documents() -> list[tuple[object, dict[str, object]]]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found: list[tuple[object, dict[str, object]]] = []
    paths = [*root.glob("examples/*.json"), *root.glob("tests/clinical/examples/*.json")]
    for path in sorted(paths):
        doc = json.loads(path.read_text())
        if "client" in doc:
            found.append((ClientSchema, doc["client"]))
        if "intake" in doc:
            found.append((IntakeSchema, doc["intake"]))
        if doc.get("assessment"):
            found.append((AssessmentSchema, doc["assessment"]))
        if "fms" in doc or "ohsa" in doc:
            found.append((AssessmentSchema, doc))
    found += [
        (ClientSchema, raw_client()),
        (IntakeSchema, raw_intake()),
        (AssessmentSchema, raw_assessment()),
    ]
    return found


def test_a_loaded_document_dumps_to_an_equal_copy_byte_for_byte() -> None:
    from inscope_clinical.schemas import plain_copy

    documents = _example_documents()
    assert len(documents) > 30
    for schema_class, raw in documents:
        schema = schema_class()
        loaded = schema.load(raw)
        # Equal, keys in the same order (the stored JSON and the event are the same text).
        assert json.dumps(schema.dump(loaded)) == json.dumps(plain_copy(loaded))


def test_every_field_of_the_request_documents_dumps_what_it_loaded() -> None:
    """A field type whose dump differs from its load (an Enum, a Method, a data_key,
    a dump_default, a pre/post_dump hook) would make the plain copy wrong: it must not
    appear in these schemas without the views dumping again."""
    from marshmallow import fields, missing

    from inscope_clinical.schemas import Boolean, Float, IsoDate, IsoDateTime

    allowed = (
        fields.String,
        fields.Integer,
        Boolean,
        Float,
        IsoDate,
        IsoDateTime,
        fields.List,
        fields.Nested,
    )
    seen: set[type] = set()

    def check(schema: object) -> None:
        if type(schema) in seen:
            return
        seen.add(type(schema))
        hooks = getattr(schema, "_hooks", {})
        dumped = ("pre_dump", "post_dump", "post_load")
        assert not any(hooks.get(k) for k in dumped), type(schema)
        for name, field in schema.fields.items():
            check_field(f"{type(schema).__name__}.{name}", field)

    def check_field(where: str, field: object) -> None:
        assert isinstance(field, allowed), (where, type(field))
        assert type(field) in allowed or isinstance(field, fields.Email), (where, type(field))
        assert field.data_key is None and field.attribute is None, where
        assert field.dump_default is missing, where
        if isinstance(field, fields.Integer):
            assert field.strict, where  # a loaded int dumps as itself
        if isinstance(field, fields.List):
            check_field(where + "[]", field.inner)
        if isinstance(field, fields.Nested):
            check(field.schema)

    for schema_class in (ClientSchema, IntakeSchema, AssessmentSchema):
        check(schema_class())
