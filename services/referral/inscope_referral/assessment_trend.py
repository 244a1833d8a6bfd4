"""The client's scored assessments in figures (inscope_clinical.trends), kept by the
referral service: the re-assessment trend on the client page, in the status API and in
progress reports, and the CEC-2 step (progress, hold, regress) of the program."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inscope_clinical import trends
from inscope_common.db import utcnow
from inscope_referral.models import AssessmentRecord, ClientCase


def keep_record(session: Session, case: ClientCase) -> None:
    """The assessment in figures, for the trend (once per assessment)."""
    if session.get(AssessmentRecord, case.assessment_id) is None:
        session.add(
            AssessmentRecord(
                assessment_id=case.assessment_id,
                client_id=case.client_id,
                intake_id=case.intake_id,
                summary=trends.summary(case.assessment, case.scoring or {}),
                scored_at=utcnow(),
            )
        )
        session.flush()


def trend_points(session: Session, client_id: str) -> list[dict[str, Any]]:
    """Every scored assessment of the client in figures, oldest first."""
    rows = session.scalars(
        select(AssessmentRecord)
        .where(AssessmentRecord.client_id == client_id)
        .order_by(AssessmentRecord.scored_at, AssessmentRecord.assessment_id)
    )
    return [
        {"at": r.scored_at.isoformat(), "assessment_id": r.assessment_id, "summary": r.summary}
        for r in rows
    ]


def progression_step(session: Session, client_id: str) -> str:
    """first | hold | progress | regress: the latest assessment against the one before."""
    points = trend_points(session, client_id)
    if not points:
        return "first"
    previous = points[-2]["summary"] if len(points) > 1 else None
    return trends.step_between(previous, points[-1]["summary"])
