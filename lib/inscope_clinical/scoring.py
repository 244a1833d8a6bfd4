"""score_assessment: FMS scores and probable imbalances from an assessment."""

from __future__ import annotations

from typing import Any

from .config import DEFAULT_CONFIG, EngineConfig
from .fms import score_fms
from .imbalances import dec8_findings, probable_imbalances
from .version import ENGINE_VERSION


def score_assessment(assessment: dict[str, Any], *, table: str = "OHSA-T1",
                     config: EngineConfig | None = None) -> dict[str, Any]:
    """Score a loaded AssessmentSchema dict (FMS-2..8, OHSA-T1/T2 + OHSA-3, POST-1..5).

    ``table`` picks the compensation table and is recorded in the result.
    """
    cfg = config or DEFAULT_CONFIG
    pain_during = assessment.get("pain_during") or []
    return {
        "fms": score_fms(assessment.get("fms"), pain_during, cfg.fms_priority),
        "imbalances": probable_imbalances(assessment, table=table, cfg=cfg),
        "movement_assessments": dec8_findings(assessment),  # DEC-8
        "engine_version": ENGINE_VERSION,
    }
