"""Who the client and their physician are: read from the intake service when a page
needs them, never stored here (the PHI boundary, see README)."""

from inscope_common.intake_contact import ContactUnavailable, fetch_contact

__all__ = ["ContactUnavailable", "fetch_contact"]
