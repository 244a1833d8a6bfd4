"""score_assessment: FMS scores and probable imbalances from an assessment."""

from __future__ import annotations

from typing import Any

from .config import DEFAULT_CONFIG, EngineConfig
from .fms import score_fms
from .imbalances import dec8_findings, probable_imbalances
from .memo import Memo, key_of
from .version import ENGINE_VERSION

# Issue 13: an assessment is scored again whenever its client is decided again (a
# clinician's answer, a re-screen), and many assessments record the same findings:
# scored once per process for each set of findings, table and configuration, keyed on
# what scoring reads (not the free text: the notes, a pain's region, side and NPRS);
# every call gets its own copy.
_SCORED = Memo()
_NOT_READ = ("notes", "pain_during")


def score_assessment(assessment: dict[str, Any], *, table: str = "OHSA-T1",
                     config: EngineConfig | None = None) -> dict[str, Any]:
    """Score a loaded AssessmentSchema dict (FMS-2..8, OHSA-T1/T2 + OHSA-3, POST-1..5).

    ``table`` picks the compensation table and is recorded in the result.
    """
    cfg = config or DEFAULT_CONFIG
    pain_during = assessment.get("pain_during") or []
    key = key_of({k: v for k, v in assessment.items() if k not in _NOT_READ},
                 [entry.get("test") for entry in pain_during], table, config=cfg)
    if key is not None:
        kept = _SCORED.get(key)
        if kept is not None:
            return kept  # type: ignore[no-any-return]
    result = {
        "fms": score_fms(assessment.get("fms"), pain_during, cfg.fms_priority),
        "imbalances": probable_imbalances(assessment, table=table, cfg=cfg),
        "movement_assessments": dec8_findings(assessment),  # DEC-8
        "engine_version": ENGINE_VERSION,
    }
    if key is not None:
        _SCORED.put(key, result)
    return result
