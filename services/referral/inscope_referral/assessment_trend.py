"""The client's scored assessments in figures (inscope_clinical.trends), kept by the
referral service: the re-assessment trend on the client page, in the status API and in
progress reports, and the CEC-2 step (progress, hold, regress) of the program."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inscope_clinical import trends
from inscope_common.db import utcnow
from inscope_referral.models import AssessmentRecord, ClientCase


def keep_record(session: Session, case: ClientCase, *, flush: bool = True) -> str:
    """The assessment in figures, for the trend (once per assessment). Returns the
    program's CEC-2 step (``progression_step``) from the same read of the client's
    records (issue 13: one query, not a look-up and then the list). ``flush=False``:
    the new record is written with the caller's next flush."""
    read = session.scalars(
        select(AssessmentRecord)
        .where(
            or_(
                AssessmentRecord.client_id == case.client_id,
                AssessmentRecord.assessment_id == case.assessment_id,  # kept under any client
            )
        )
        .order_by(AssessmentRecord.scored_at, AssessmentRecord.assessment_id)
    ).all()
    rows = [r for r in read if r.client_id == case.client_id]
    if all(r.assessment_id != case.assessment_id for r in read):
        record = AssessmentRecord(
            assessment_id=case.assessment_id,
            client_id=case.client_id,
            intake_id=case.intake_id,
            summary=trends.summary(case.assessment, case.scoring or {}),
            scored_at=utcnow(),
        )
        session.add(record)
        if flush:
            session.flush()
        rows.append(record)  # the newest: it sorts last, as the query would put it
    return _step([r.summary for r in rows])


def _records(session: Session, client_id: str) -> list[AssessmentRecord]:
    return list(
        session.scalars(
            select(AssessmentRecord)
            .where(AssessmentRecord.client_id == client_id)
            .order_by(AssessmentRecord.scored_at, AssessmentRecord.assessment_id)
        )
    )


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
