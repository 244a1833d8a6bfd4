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


def ids_folded_under_details(html: str, *ids: str) -> str:
    """Assert that each id shows only inside the page's Details element, folded (no
    ``open``): the page's visible text before it leads with the client, not the ids.
    Returns that text, for the test's own checks."""
    import re

    before, found, rest = html.partition('<details class="ids" id="details">')
    assert found, "no folded Details element"
    inside = rest.split("</details>", 1)[0]
    shown = re.sub(r"<[^>]+>", " ", before)  # attributes (hrefs, data-poll) aside
    for record_id in ids:
        assert record_id not in shown, f"{record_id} shown before Details"
        assert record_id in inside, f"{record_id} not under Details"
    return shown
