"""Alembic environment of the notify service (run by `inscope-notify migrate`)."""

from inscope_common.migrations import run_env
from inscope_notify.models import Base

run_env(Base.metadata)
