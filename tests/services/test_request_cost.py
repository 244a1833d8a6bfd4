"""What the two requests of every client cost the intake and assessment web (issue 13):
no marshmallow schema is built per request (a new instance builds every nested schema
again: a quarter of POST /intakes' CPU) and the statements each request runs are
counted, bounds at today's counts."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from tests.services.conftest import example
from tests.services.journey_events import status_event


class Cost:
    """Schemas built and SQL statements run (transaction control and PostgreSQL's
    audit lock aside) while a block runs."""

    def __init__(self, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.engine = app.extensions["inscope"].engine
        self.monkeypatch = monkeypatch
        self.schemas: list[str] = []
        self.dumps: list[str] = []
        self.statements: list[str] = []
        self.text_walks = 0
        self.orm_inserts: list[str] = []  # rows the ORM's flush inserted

    def __enter__(self) -> Cost:
        from inscope_common import http

        built, dump, walk = Schema.__init__, Schema.dump, http.bad_text_errors

        def counting(schema: Schema, *args: Any, **kwargs: Any) -> None:
            self.schemas.append(type(schema).__name__)
            built(schema, *args, **kwargs)

        def dumping(schema: Schema, *args: Any, **kwargs: Any) -> Any:
            self.dumps.append(type(schema).__name__)
            return dump(schema, *args, **kwargs)

        def walking(value: Any) -> Any:
            self.text_walks += 1
            return walk(value)

        self.monkeypatch.setattr(Schema, "__init__", counting)
        self.monkeypatch.setattr(Schema, "dump", dumping)
        self.monkeypatch.setattr(http, "bad_text_errors", walking)
        sa_event.listen(Session, "before_flush", self._flushing)
        sa_event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: Any) -> None:
        sa_event.remove(self.engine, "before_cursor_execute", self._record)
        sa_event.remove(Session, "before_flush", self._flushing)
        self.monkeypatch.undo()

    def _flushing(self, session: Session, *_args: Any) -> None:
        self.orm_inserts += [type(row).__name__ for row in session.new]

    def _record(self, _conn, _cursor, statement, *_args) -> None:
        # PostgreSQL's audit chain also takes its advisory lock: not counted.
        if not statement.lstrip().upper().startswith(
            ("BEGIN", "COMMIT", "ROLLBACK", "SELECT PG_ADVISORY_XACT_LOCK")
        ):
            self.statements.append(" ".join(statement.split())[:120])


def _intake(n: int) -> dict[str, Any]:
    body = example("intake.json")
    body["client"]["email"] = f"client-{n}@example.org"
    return body


def test_an_intake_builds_no_schema_and_runs_five_statements(intake_app, monkeypatch):
    web = intake_app.test_client(role="front_desk")
    assert web.post("/intakes", json=_intake(0)).status_code == 201  # schemas built here
    with Cost(intake_app, monkeypatch) as cost:
        created = web.post("/intakes", json=_intake(1))
    assert created.status_code == 201, created.get_json()
    assert cost.schemas == []
    # Only the response is dumped: the loaded client and intake are kept as loaded (a
    # dump of each made an equal copy), and a body without a \u escape is not walked
    # for NUL or surrogates (it cannot hold one).
    assert cost.dumps == ["IntakeCreatedSchema"]
    assert cost.text_walks == 0
    # The client and the intake go by Core INSERTs built once, not the ORM's flush.
    assert cost.orm_inserts == []
    # The client, the intake, the audit chain's last hash and the audit row, the outbox
    # row (7 before: the inbound referral id set by an UPDATE; 6: the outbox row's
    # publish mark, an UPDATE in a transaction of its own after the commit, which the
    # fast path now records in Redis with the pushes).
    assert len(cost.statements) == 5, cost.statements
    assert not [s for s in cost.statements if s.startswith("UPDATE")]


def test_an_assessment_builds_no_schema_and_runs_five_statements(assessment_app, monkeypatch):
    task = assessment_app.extensions["celery"].tasks["assessment.consume_event"]
    web = assessment_app.test_client(role="trainer")
    for n in (0, 1):
        assert task.apply(args=[status_event(f"intake-{n}", f"client-{n}")]).get() == "processed"

    def post(n: int) -> Any:
        body = {
            "intake_id": f"intake-{n}",
            "client_id": f"client-{n}",
            "assessment": example("assessment-clear.json"),
        }
        return web.post("/assessments", json=body)

    assert post(0).status_code == 202
    from inscope_assessment.models import KnownIntake

    loaded: list[Any] = []

    def on_load(row: Any, _context: Any) -> None:
        loaded.append(row)

    sa_event.listen(KnownIntake, "load", on_load)
    try:
        with Cost(assessment_app, monkeypatch) as cost:
            recorded = post(1)
    finally:
        sa_event.remove(KnownIntake, "load", on_load)
    assert recorded.status_code == 202, recorded.get_json()
    assert loaded == []  # the gate reads its row by a Core SELECT, no ORM object
    assert cost.schemas == []
    # Only the response is dumped, and the assessment inside it not at all (it was just
    # loaded: dumping it made an equal copy; 2 dumps of it before), and the body is not
    # walked for NUL or surrogates (no \u escape in it).
    assert cost.dumps[0] == "_RecordedOutSchema"
    assert cost.dumps.count("AssessmentSchema") == 0
    assert cost.text_walks == 0
    assert cost.orm_inserts == []  # the assessment row goes by a Core INSERT
    # The 202 is what AssessmentOutSchema makes of the stored row, to the byte.
    from inscope_assessment.api import AssessmentOutSchema, _out
    from inscope_assessment.models import Assessment

    with assessment_app.extensions["inscope"].session_factory() as session:
        stored = session.get(Assessment, recorded.get_json()["id"])
    with assessment_app.app_context():
        expected = assessment_app.json.response(AssessmentOutSchema().dump(_out(stored)))
    assert recorded.get_data() == expected.get_data()
    # The known intake (the gate), the assessment, the audit chain's last hash and the
    # audit row, the outbox row (and no publish mark after the commit: in Redis).
    assert len(cost.statements) == 5, cost.statements
    assert not [s for s in cost.statements if s.startswith("UPDATE")]


def test_a_contact_read_is_one_transaction_of_three_statements(intake_app, monkeypatch):
    """GET /internal/intakes/<id>/contact (notify reads it for every client's emails):
    the intake with its client in one query, and the audit row in the same transaction
    (two transactions and four statements before)."""
    from inscope_common.service_auth import signer_for
    from inscope_notify.config import load_settings

    created = intake_app.test_client(role="front_desk").post("/intakes", json=_intake(0))
    intake_id = created.get_json()["id"]
    settings = intake_app.extensions["inscope"].settings
    notify = load_settings({"INSCOPE_ENV": "development", "INSCOPE_DATA_DIR": settings.data_dir})
    web = intake_app.test_client(role=None)
    headers = signer_for(notify).headers("intake")
    url = f"/internal/intakes/{intake_id}/contact"
    assert web.get(url, headers=headers).status_code == 200
    begins: list[str] = []

    def begin(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("BEGIN"):
            begins.append(statement)

    engine = intake_app.extensions["inscope"].engine
    from inscope_intake.models import Client, Intake

    loaded: list[Any] = []

    def on_load(row: Any, _context: Any) -> None:
        loaded.append(row)

    with Cost(intake_app, monkeypatch) as cost:
        sa_event.listen(engine, "before_cursor_execute", begin)
        for model in (Intake, Client):
            sa_event.listen(model, "load", on_load)
        try:
            read = web.get(url, headers=headers)
        finally:
            sa_event.remove(engine, "before_cursor_execute", begin)
            for model in (Intake, Client):
                sa_event.remove(model, "load", on_load)
    # The intake and its client come from one Core SELECT (the joined load's SQL), put
    # in the session as persistent objects: no ORM loading.
    assert loaded == []
    assert read.status_code == 200, read.get_json()
    assert read.get_json()["client"]["email"] == "client-0@example.org"
    assert cost.schemas == []
    assert len(cost.statements) == 3, cost.statements
    if engine.dialect.name == "sqlite":  # PostgreSQL's BEGIN is not a statement
        assert len(begins) == 1, begins


def test_the_rows_a_core_insert_wrote_are_the_sessions_persistent_rows(intake_app):
    """store_intake writes the client and the intake by Core INSERTs and hands back the
    ORM objects as the session's persistent rows (every column loaded): found in the
    identity map without SQL, nothing left for a flush, equal to what a read gives."""
    from sqlalchemy import inspect

    from inscope_common.audit import Actor
    from inscope_intake import service
    from inscope_intake.models import Client, Intake

    rt = intake_app.extensions["inscope"]
    body = _intake(7)
    actor = Actor("test-front_desk", "Test front desk", "front_desk")
    with rt.unit_of_work() as uow:
        row = service.store_intake(uow, body["client"], body["intake"], actor, None)
        session = uow.session
        assert inspect(row).persistent and inspect(row.client).persistent
        assert not inspect(row).expired_attributes and not inspect(row.client).expired_attributes
        assert session.get(Intake, row.id) is row
        assert session.get(Client, row.client_id) is row.client
        assert not session.new and not session.dirty
    with rt.session_factory() as session:
        stored = session.get(Intake, row.id)
        columns = [c.key for c in Intake.__table__.columns]
        assert {c: getattr(stored, c) for c in columns} == {c: getattr(row, c) for c in columns}
        client_columns = [c.key for c in Client.__table__.columns]
        assert {c: getattr(stored.client, c) for c in client_columns} == {
            c: getattr(row.client, c) for c in client_columns
        }
    assert row.version == 1 and row.responsible_id == "test-front_desk"


def test_an_intake_read_by_core_is_the_orm_read(intake_app):
    """get_intake's Core SELECT gives the objects the ORM's joined load gave: every
    column of the intake and its client, persistent in the read's session."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import joinedload

    from inscope_intake import service
    from inscope_intake.models import Client, Intake

    created = intake_app.test_client().post("/intakes", json=_intake(8)).get_json()
    rt = intake_app.extensions["inscope"]
    with rt.session_factory() as session:
        assert service._read_intake(session, "no-such-intake") is None
        row = service._read_intake(session, created["id"])
        assert inspect(row).persistent and not inspect(row).expired_attributes
        assert session.get(Intake, row.id) is row
        assert session.get(Client, row.client_id) is row.client
    with rt.session_factory() as session:
        orm = session.get(Intake, created["id"], options=[joinedload(Intake.client)])
        for model, a, b in ((Intake, row, orm), (Client, row.client, orm.client)):
            columns = [c.key for c in model.__table__.columns]
            assert {c: getattr(a, c) for c in columns} == {c: getattr(b, c) for c in columns}


def test_the_contact_read_is_the_orm_read_as_plain_rows(intake_app):
    """read_contact (GET /internal/intakes/<id>/contact) gives the columns get_intake's
    ORM objects hold, by the same names, for the intake and its client; None for an
    intake nobody knows; and audits the read as get_intake does."""
    from inscope_common.audit import Actor
    from inscope_intake import service
    from inscope_intake.models import AuditEntry, Client, Intake

    created = intake_app.test_client().post("/intakes", json=_intake(9)).get_json()
    rt = intake_app.extensions["inscope"]
    actor = Actor("notify", "notify", "service")
    assert service.read_contact(rt, "no-such-intake", actor) is None
    plain = service.read_contact(rt, created["id"], actor)
    orm = service.get_intake(rt, created["id"], actor)
    for column in Intake.__table__.columns:
        assert getattr(plain, column.key) == getattr(orm, column.key), column.key
    for column in Client.__table__.columns:
        assert getattr(plain.client, column.key) == getattr(orm.client, column.key)
    with rt.session_factory() as session:
        views = session.query(AuditEntry).filter_by(
            action="view", record="intake", record_id=created["id"]
        ).all()
    assert len(views) == 2
