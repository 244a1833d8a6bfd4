"""Fixtures for the pages, the accounts and the role matrix."""

from __future__ import annotations

from tests.services.conftest import StaffClient, example, staff

__all__ = ["StaffClient", "example", "staff"]
