"""The referral service's latest word on a client, as the intake and assessment
services keep it (inscope_common.latest_status): the newest word wins whatever order
the events arrive in, in one statement per event (issue 13), on SQLite and PostgreSQL;
the read-then-write path for other engines keeps the same rule."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event as sa_event

from inscope_common import latest_status
from tests.conftest import signed
from tests.services.journey_events import status_event


@pytest.fixture(params=["intake", "assessment"])
def keeper(request, service_env) -> Any:
    """The service's app, its consumer task and the model of its row per intake."""
    if request.param == "intake":
        from inscope_intake import create_app
        from inscope_intake.models import ScreeningStatus as model
    else:
        from inscope_assessment import create_app
        from inscope_assessment.models import KnownIntake as model
    app = create_app(service_env)
    yield app, app.extensions["celery"].tasks[f"{request.param}.consume_event"], model
    app.extensions["inscope"].engine.dispose()


def word(base: dict[str, Any], n: str, **changes: Any) -> dict[str, Any]:
    """Another word about the same intake: a new event id, changed data."""
    return signed({**base, "id": f"word-{n}", "data": {**base["data"], **changes}})


def _row(app: Any, model: Any, intake_id: str) -> dict[str, Any] | None:
    with app.extensions["inscope"].session_factory() as session:
        row = session.get(model, intake_id)
        if row is None:
            return None
        return {
            "client_id": row.client_id,
            "intake_version": row.intake_version,
            "decision_id": row.decision_id,
            "answer": row.answer,
            "emergency": row.emergency,
            "status_at": row.status_at.isoformat(),
        }


# (event changes, decision_id kept afterwards): each line after the first word.
SEQUENCE = [
    ({"changed_at": "2030-01-01T10:00:00+00:00", "decision_id": "first"}, "first"),
    # older word about the same version, arriving late: nothing changes
    ({"changed_at": "2030-01-01T09:00:00+00:00", "decision_id": "older"}, "first"),
    # the same moment again: nothing changes
    ({"changed_at": "2030-01-01T10:00:00+00:00", "decision_id": "same"}, "first"),
    # later, naive timestamp (read as UTC), with an answer and an emergency note
    ({"changed_at": "2030-01-01T11:00:00", "decision_id": "later",
      "answer": {"answer": "cleared", "verified": True}, "emergency": {"acknowledged": True}},
     "later"),
    # a correction's screening: a newer version wins even with an older timestamp
    ({"changed_at": "2030-01-01T08:00:00+00:00", "decision_id": "v2", "intake_version": 2},
     "v2"),
    # news about version 1 arriving after version 2's: nothing changes
    ({"changed_at": "2030-01-02T00:00:00+00:00", "decision_id": "v1-late"}, "v2"),
    # later news about version 2 (the answer cleared again: None)
    ({"changed_at": "2030-01-01T12:00:00+00:00", "decision_id": "v2-later",
      "intake_version": 2, "answer": None}, "v2-later"),
]  # fmt: skip


def test_the_newest_word_wins_in_one_statement_per_event(keeper):
    app, task, model = keeper
    base = status_event("intake-w", "client-w")
    engine = app.extensions["inscope"].engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    for n, (changes, kept) in enumerate(SEQUENCE):
        sa_event.listen(engine, "before_cursor_execute", record)
        try:
            assert task.apply(args=[word(base, str(n), **changes)]).get() == "processed"
        finally:
            sa_event.remove(engine, "before_cursor_execute", record)
        row = _row(app, model, "intake-w")
        assert row is not None and row["decision_id"] == kept, (n, row)
        assert row["client_id"] == "client-w"
    assert row["intake_version"] == 2
    assert row["answer"] is None and row["emergency"] is None  # the whole word, as sent
    assert row["status_at"] == "2030-01-01T12:00:00+00:00"
    # The inbox row and the word: two statements per event (18 for these seven before:
    # the inbox row, a read of the row, then its insert or update when the word was new).
    assert len(statements) == 2 * len(SEQUENCE), statements


def test_engines_without_upsert_keep_the_same_rule(keeper, monkeypatch):
    """The read-then-write path (for an engine without INSERT ... ON CONFLICT) gives the
    same rows as the statement, event for event."""
    app, task, model = keeper
    monkeypatch.setattr(latest_status, "_INSERTS", {})
    monkeypatch.setattr(latest_status, "_STATEMENTS", {})
    base = status_event("intake-o", "client-o")
    for n, (changes, kept) in enumerate(SEQUENCE):
        assert task.apply(args=[word(base, str(n), **changes)]).get() == "processed"
        row = _row(app, model, "intake-o")
        assert row is not None and row["decision_id"] == kept, (n, row)
    assert row["intake_version"] == 2 and row["answer"] is None
    assert row["emergency"] is None
