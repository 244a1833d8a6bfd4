"""The client's scored assessments in figures (inscope_clinical.trends), kept by the
referral service: the re-assessment trend on the client page, in the status API and in
progress reports, and the CEC-2 step (progress, hold, regress) of the program."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from inscope_clinical import trends
from inscope_common.db import utcnow
from inscope_referral.models import AssessmentRecord, ClientCase

# What the trend reads of each record, as Core statements built once (issue 13: rows,
# not ORM objects; the referral worker reads them at every assessment, the status API at
# every full answer).
_TABLE = AssessmentRecord.__table__
_COLUMNS = select(
    _TABLE.c.assessment_id, _TABLE.c.client_id, _TABLE.c.summary, _TABLE.c.scored_at
).order_by(_TABLE.c.scored_at, _TABLE.c.assessment_id)
_RECORDS_OF = _COLUMNS.where(_TABLE.c.client_id == bindparam("client_id"))
_RECORDS_OR_ONE = _COLUMNS.where(
    or_(
        _TABLE.c.client_id == bindparam("client_id"),
        _TABLE.c.assessment_id == bindparam("assessment_id"),  # kept under any client
    )
)


def keep_record(
    session: Session, case: ClientCase, *, flush: bool = True, created: list[Any] | None = None
) -> str:
    """The assessment in figures, for the trend (once per assessment). Returns the
    program's CEC-2 step (``progression_step``) from the same read of the client's
    records (issue 13: one query, not a look-up and then the list). ``flush=False``:
    the new record is written with the caller's next flush; ``created``: the new
    record is appended to it, not added to the session (the caller writes it:
    ``inscope_referral.rows``)."""
    ids = {"client_id": case.client_id, "assessment_id": case.assessment_id}
    read = session.connection().execute(_RECORDS_OR_ONE, ids).all()
    rows = [r for r in read if r.client_id == case.client_id]
    if all(r.assessment_id != case.assessment_id for r in read):
        record = AssessmentRecord(
            assessment_id=case.assessment_id,
            client_id=case.client_id,
            intake_id=case.intake_id,
            summary=trends.summary(case.assessment, case.scoring or {}),
            scored_at=utcnow(),
        )
        if created is not None:
            created.append(record)
        else:
            session.add(record)
            if flush:
                session.flush()
        rows.append(record)  # the newest: it sorts last, as the query would put it
    return _step([r.summary for r in rows])


def _records(session: Session, client_id: str) -> list[Any]:
    """The client's records, oldest first (rows: assessment_id, client_id, summary,
    scored_at)."""
    return list(session.connection().execute(_RECORDS_OF, {"client_id": client_id}))


def trend_points(session: Session, client_id: str) -> list[dict[str, Any]]:
    """Every scored assessment of the client in figures, oldest first."""
    return [
        {"at": r.scored_at.isoformat(), "assessment_id": r.assessment_id, "summary": r.summary}
        for r in _records(session, client_id)
    ]


def progression_step(session: Session, client_id: str) -> str:
    """first | hold | progress | regress: the latest assessment against the one before."""
    return _step([r.summary for r in _records(session, client_id)])


def _step(summaries: list[dict[str, Any]]) -> str:
    if not summaries:
        return "first"
    previous = summaries[-2] if len(summaries) > 1 else None
    return trends.step_between(previous, summaries[-1])
