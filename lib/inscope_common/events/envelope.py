"""The versioned event envelope (CloudEvents-style attributes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from inscope_clinical.fastload import compiled
from inscope_common.events.schemas import DATA_SCHEMAS

SPEC_VERSION = "1.0"


class EnvelopeError(ValueError):
    """An event that can never be processed: bad envelope, unknown type or bad data."""

    def __init__(self, messages: Any) -> None:
        super().__init__(str(messages))
        self.messages = messages


class EnvelopeSchema(Schema):
    specversion = fields.String(required=True, validate=validate.Equal(SPEC_VERSION))
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    type = fields.String(required=True, validate=validate.OneOf(sorted(DATA_SCHEMAS)))
    source = fields.String(required=True, validate=validate.Length(min=1, max=200))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    time = fields.String(required=True)
    correlationid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    causationid = fields.String(load_default=None, allow_none=True)
    datacontenttype = fields.String(load_default="application/json")
    data = fields.Dict(required=True)
    # The publisher's signature (inscope_common.events.signing), verified by the consumer
    # before it parses; absent only on an event just built and not yet staged.
    signaturekeyid = fields.String(load_default=None, validate=validate.Length(max=32))
    signature = fields.String(load_default=None, validate=validate.Length(max=100))


def make_event(
    event_type: str,
    *,
    source: str,
    subject: str,
    data: dict[str, Any],
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> dict[str, Any]:
    """Build and validate an envelope; raises EnvelopeError on a contract violation."""
    event_id = str(uuid.uuid4())
    event = {
        "specversion": SPEC_VERSION,
        "id": event_id,
        "type": event_type,
        "source": source,
        "subject": subject,
        "time": datetime.now(UTC).isoformat(),
        "correlationid": correlation_id or event_id,
        "causationid": causation_id,
        "datacontenttype": "application/json",
        "data": data,
    }
    return parse_event(event)


# Schema instances are reusable and costly to build: build them once.
_ENVELOPE = EnvelopeSchema()
_DATA = {event_type: schema() for event_type, schema in DATA_SCHEMAS.items()}
# Their loads compiled (issue 13: every event is parsed once by its publisher, in
# make_event, and once by each consumer; marshmallow's generic field machinery was most
# of that). A valid envelope loads to what marshmallow returns; anything the compiled
# check is not sure of is loaded by marshmallow itself, so every refusal and its
# messages stay marshmallow's (tests/platform/test_envelope_fastload.py).
_LOAD_ENVELOPE = compiled(_ENVELOPE)
_LOAD_DATA = {event_type: compiled(schema) for event_type, schema in _DATA.items()}


def parse_event(raw: Any) -> dict[str, Any]:
    """Validate an envelope and its data against the schema of its type."""
    try:
        event = _LOAD_ENVELOPE(raw)
        event["data"] = _LOAD_DATA[event["type"]](event["data"])
    except ValidationError as exc:
        raise EnvelopeError(exc.messages) from exc
    return event
