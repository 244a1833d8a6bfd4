"""screen: validate one document, score the assessment and decide, in process."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from .config import EngineConfig
from .decision import decide
from .fastload import compiled
from .imbalances import probable_imbalances
from .schemas import ScreenDocumentSchema, plain_copy
from .scoring import score_assessment
from .version import ENGINE_VERSION

# Built once: a marshmallow schema instance copies every declared field and builds its
# nested schemas when constructed, which cost more than the load itself. load() keeps
# no state between calls, so one instance serves every call (and thread). The compiled
# loader checks valid documents without marshmallow's per-field machinery and hands
# anything doubtful (every invalid document) to marshmallow for its messages.
_LOAD = compiled(ScreenDocumentSchema())


def age_on(date_of_birth: str | dt.date, as_of: dt.date) -> int:
    """Completed years of age on ``as_of``."""
    born = dt.date.fromisoformat(str(date_of_birth))
    before_birthday = (as_of.month, as_of.day) < (born.month, born.day)
    return as_of.year - born.year - int(before_birthday)


@lru_cache(maxsize=8)
def _unassessed(table: str) -> dict[str, Any]:
    return probable_imbalances({}, table=table)


def _no_imbalances(table: str) -> dict[str, Any]:
    """The empty imbalance report of a client not yet assessed (the same every time:
    built once per table, copied per call)."""
    return plain_copy(_unassessed(table))  # type: ignore[no-any-return]


def load_document(document: dict[str, Any]) -> dict[str, Any]:
    """Validate ``{"client", "intake", "assessment"?}`` and return it loaded (defaults
    filled in, dates as ISO strings); raises marshmallow ValidationError."""
    return dict(_LOAD(document))


def screen(document: dict[str, Any], *, as_of: dt.date | None = None,
           table: str = "OHSA-T1", config: EngineConfig | None = None) -> dict[str, Any]:
    """Validate ``{"client", "intake", "assessment"?}`` (raises marshmallow
    ValidationError), then run score_assessment and decide."""
    loaded = load_document(document)
    as_of = as_of or dt.date.today()
    age = age_on(loaded["client"]["date_of_birth"], as_of)
    assessment = loaded.get("assessment")
    scoring = score_assessment(assessment, table=table, config=config) if assessment else None
    decision = decide(loaded["intake"], age_years=age, assessment=assessment,
                      scoring=scoring, as_of=as_of, config=config)
    return {
        "outcome": decision["outcome"],
        "urgency": decision["urgency"],
        "target": decision["target"],
        "program_state": decision["program_state"],
        "reasons": decision["reasons"],
        "referrals": decision["referrals"],
        "fms": scoring["fms"] if scoring else None,
        "imbalances": scoring["imbalances"] if scoring else _no_imbalances(table),
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
