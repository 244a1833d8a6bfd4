"""Where a client stands, as the referral service tells the others: the
``referral.status_changed`` event carries the inputs of ``inscope_clinical.journey``
(the latest decision, the clinician's answer that applies to it, what staff did about an
emergency), read by ``board_index.load`` (the one reader of those inputs, shared with the
board), so the intake and assessment services compute the same status as the board."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from inscope_clinical.journey import Journey
from inscope_common.db import utcnow
from inscope_common.events import make_event
from inscope_common.outbox import add_event
from inscope_referral import board_index
from inscope_referral.models import ClientCase, platform

SOURCE = "/inscope/referral"


def inputs_of(session: Session, client_id: str) -> board_index.Inputs | None:
    case = session.get(ClientCase, client_id)
    if case is None:
        return None
    return board_index.load(session, [case], fresh=True)[0]


def journey_of(session: Session, client_id: str, emergency_number: str) -> Journey | None:
    inputs = inputs_of(session, client_id)
    return inputs.journey(emergency_number) if inputs else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def stage_status_changed(
    session: Session,
    client_id: str,
    emergency_number: str,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    at: datetime | None = None,
    inputs: board_index.Inputs | None = None,
    new_rows: list[Any] = (),  # type: ignore[assignment]
) -> dict[str, Any] | None:
    """Add ``referral.status_changed`` to the outbox, in the caller's transaction.
    ``inputs``: the journey's inputs when the caller has every one of them in hand (a
    handler that just wrote the client's latest decision and read all their referrals);
    otherwise they are read here (after a flush). Given, nothing is flushed before the
    board row is stored from them (board_index.stored_from flushes once, after).
    ``new_rows``: rows the caller created and did not add to the session, written
    with the board row (``board_index.stored_from``)."""
    if inputs is None:
        session.flush()
        inputs = inputs_of(session, client_id)
    if inputs is None:
        return None
    case = inputs.case
    decision = inputs.decision_dict()
    event = make_event(
        "referral.status_changed.v1",
        source=SOURCE,
        subject=client_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        data={
            "intake_id": case.intake_id,
            "client_id": client_id,
            "intake_version": case.intake_version or 1,
            "decision_id": inputs.decision.id if inputs.decision else None,
            "decision": _jsonable(decision),
            "answer": inputs.answer(),
            "emergency": _jsonable(inputs.emergency),
            "status": board_index.stored_from(session, inputs, emergency_number, new_rows).status,
            "changed_at": (at or utcnow()).isoformat(),
        },
    )
    add_event(session, platform, event)
    return event
