"""Fixtures for the pages, the accounts and the role matrix."""

from __future__ import annotations

from tests.services.conftest import (  # noqa: F401 - the service app fixtures, by name
    StaffClient,
    assessment_app,
    example,
    intake_app,
    intake_body,
    notify_app,
    referral_app,
    staff,
)

__all__ = ["StaffClient", "example", "staff"]
