"""Alembic environment of the referral service (run by `inscope-referral migrate`)."""

from inscope_common.migrations import run_env
from inscope_referral.models import Base

run_env(Base.metadata)
