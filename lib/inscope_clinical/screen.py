"""screen: validate one document, score the assessment and decide, in process."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .config import EngineConfig
from .decision import decide
from .imbalances import probable_imbalances
from .schemas import ScreenDocumentSchema
from .scoring import score_assessment
from .version import ENGINE_VERSION


def age_on(date_of_birth: str | dt.date, as_of: dt.date) -> int:
    """Completed years of age on ``as_of``."""
    born = dt.date.fromisoformat(str(date_of_birth))
    before_birthday = (as_of.month, as_of.day) < (born.month, born.day)
    return as_of.year - born.year - int(before_birthday)


def screen(document: dict[str, Any], *, as_of: dt.date | None = None,
           table: str = "OHSA-T1", config: EngineConfig | None = None) -> dict[str, Any]:
    """Validate ``{"client", "intake", "assessment"?}`` (raises marshmallow
    ValidationError), then run score_assessment and decide."""
    loaded = ScreenDocumentSchema().load(document)
    as_of = as_of or dt.date.today()
    age = age_on(loaded["client"]["date_of_birth"], as_of)
    assessment = loaded.get("assessment")
    scoring = score_assessment(assessment, table=table, config=config) if assessment else None
    decision = decide(loaded["intake"], age_years=age, assessment=assessment,
                      scoring=scoring, as_of=as_of, config=config)
    empty = probable_imbalances({}, table=table)
    return {
        "outcome": decision["outcome"],
        "urgency": decision["urgency"],
        "target": decision["target"],
        "program_state": decision["program_state"],
        "reasons": decision["reasons"],
        "referrals": decision["referrals"],
        "fms": scoring["fms"] if scoring else None,
        "imbalances": scoring["imbalances"] if scoring else empty,
        "program": decision["program"],
        "flags": decision["flags"],
        "intensity_cap": decision["intensity_cap"],
        "assessment_gate": decision["assessment_gate"],
        "contradictions": decision["contradictions"],
        "clearances_on_file": decision["clearances_on_file"],
        "restrictions": decision["restrictions"],
        "age_years": age,
        "as_of": as_of.isoformat(),
        "engine_version": ENGINE_VERSION,
    }
