"""InScope clinical engine: pure functions, standard library and marshmallow only.

Findings are "probable imbalances", never diagnoses. Every decision reason cites a
rule ID of the shared clinical-rules reference.
"""

from .config import DEFAULT_CONFIG, EngineConfig
from .decision import decide, program_after_answer
from .schemas import AssessmentSchema, ClientSchema, IntakeSchema, ScreenDocumentSchema
from .scoring import score_assessment
from .screen import screen
from .version import ENGINE_VERSION

__all__ = [
    "DEFAULT_CONFIG",
    "ENGINE_VERSION",
    "AssessmentSchema",
    "ClientSchema",
    "EngineConfig",
    "IntakeSchema",
    "ScreenDocumentSchema",
    "decide",
    "program_after_answer",
    "score_assessment",
    "screen",
]
