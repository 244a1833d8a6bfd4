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
