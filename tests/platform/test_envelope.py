import pytest

from inscope_common.events import EnvelopeError, make_event, parse_event


def _recorded(**data):
    return make_event(
        "assessment.recorded.v1",
        source="/inscope/assessment",
        subject="client-1",
        data={"intake_id": "i-1", "client_id": "client-1", "assessment_id": "a-1", **data},
    )


def test_make_event_carries_cloudevents_attributes():
    event = _recorded()
    assert event["specversion"] == "1.0"
    assert event["type"] == "assessment.recorded.v1"
    assert event["correlationid"] == event["id"]  # a new flow starts its own correlation
    assert event["time"].endswith("+00:00")


def test_unknown_event_type_is_rejected():
    event = _recorded()
    event["type"] = "assessment.recorded.v9"
    with pytest.raises(EnvelopeError) as info:
        parse_event(event)
    assert "type" in info.value.messages


def test_data_is_validated_against_the_schema_of_its_type():
    event = _recorded()
    del event["data"]["assessment_id"]
    with pytest.raises(EnvelopeError) as info:
        parse_event(event)
    assert "assessment_id" in info.value.messages


def test_data_fields_outside_the_contract_are_rejected():
    with pytest.raises(EnvelopeError):
        _recorded(client_email="someone@example.com")


@pytest.mark.parametrize("raw", [None, "text", [], {"id": "x"}])
def test_garbage_is_an_envelope_error(raw):
    with pytest.raises(EnvelopeError):
        parse_event(raw)
