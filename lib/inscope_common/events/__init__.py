"""Event contracts: the versioned envelope, one data schema per event type, and who
subscribes to what."""

from inscope_common.events.envelope import (
    EnvelopeError,
    make_event,
    parse_event,
)
from inscope_common.events.routing import SUBSCRIPTIONS, consume_task_name, subscribers_of
from inscope_common.events.signing import EventKeys, SignatureError

__all__ = [
    "SUBSCRIPTIONS",
    "EnvelopeError",
    "EventKeys",
    "SignatureError",
    "consume_task_name",
    "make_event",
    "parse_event",
    "subscribers_of",
]
