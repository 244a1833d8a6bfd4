"""Alembic environment of the intake service (run by `inscope-intake migrate`)."""

from inscope_common.migrations import run_env
from inscope_intake.models import Base

run_env(Base.metadata)
