"""What the referral worker reads per event (issue 13): each table the handling of a
scored assessment needs is read once, not once per helper that needs it."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import event

from tests.services.conftest import example


def _statements(engine, run) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _reads(statements: list[str]) -> Counter:
    return Counter(
        m.group(1) for s in statements if (m := re.match(r"SELECT .*? FROM (\w+)", s))
    )


def test_a_scored_assessment_reads_each_table_it_needs_once(app, flow):
    who = flow.submit_intake()
    statements = _statements(
        app.extensions["inscope"].engine,
        lambda: flow.score(who, example("assessment-pain.json"), "assessment-1"),
    )
    reads = _reads(statements)
    # The referrals once by the handler (answers, open ones, the one it takes up) and
    # once by the board row's journey; the trend's records once (kept and stepped).
    assert reads["referrals"] == 2, statements
    assert reads["assessment_records"] == 1, statements
    # The signer goes in with the decision's row: no second write of it.
    assert not [s for s in statements if s.startswith("UPDATE decisions")], statements
    assert len(statements) <= 20, statements
    assert flow.decided()[-1]["data"]["referral"]["status"] == "needed"
