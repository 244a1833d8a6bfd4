"""Alembic environment of the assessment service (run by `inscope-assessment migrate`)."""

from inscope_assessment.models import Base
from inscope_common.migrations import run_env

run_env(Base.metadata)
