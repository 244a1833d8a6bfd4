"""The rows a consumed event writes, with Core statements instead of the ORM's flush
(issue 13: the flush's bookkeeping was the referral worker's biggest cost per event).

A decision, the referral it opens, the assessment's record and a client's new case are
written once and not changed again in the handler's transaction: the handler builds
them as (transient) ORM objects, reads them as it needs, and ``insert`` writes each
with one INSERT built once per table, after giving it the values the ORM's flush would
have (the columns' Python defaults). What the handler changed in rows it read (the
case's assessment and board columns, a referral's step) ``update`` writes with one
UPDATE per row, of the columns whose value changed (as the flush decides it, with the
``onupdate`` columns), and marks the objects clean. Either way the clients' status
versions are renewed after the commit, as for rows a flush wrote
(``status_stamps.note``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, inspect
from sqlalchemy import insert as core_insert
from sqlalchemy import update as core_update
from sqlalchemy.orm import Session

from inscope_referral import status_stamps
from inscope_referral.models import AssessmentRecord, ClientCase, Decision, Referral

# Parents first: the foreign keys are checked at each statement (SQLite).
ORDER = (ClientCase, AssessmentRecord, Decision, Referral)
_PLANS: dict[type, tuple[Any, list[tuple[str, Any]]]] = {}
_UPDATES: dict[type, tuple[Any, str, str, list[Any]]] = {}


def _plan(model: type) -> tuple[Any, list[tuple[str, Any]]]:
    """The INSERT of ``model``'s table and each column attribute with its default."""
    plan = _PLANS.get(model)
    if plan is None:
        mapper = inspect(model)
        columns = [(prop.key, prop.columns[0]) for prop in mapper.column_attrs]
        plan = _PLANS[model] = (core_insert(mapper.local_table), columns)
    return plan


def insert(session: Session, objects: list[Any]) -> None:
    """Write ``objects`` (transient ORM instances of the ORDER models, each never added
    to a session) in the session's transaction, parents first."""
    if not objects:
        return
    connection = session.connection()
    for obj in sorted(objects, key=lambda o: ORDER.index(type(o))):
        statement, columns = _plan(type(obj))
        state = obj.__dict__
        values = {}
        for key, column in columns:
            if key not in state:
                default = column.default
                if default is None or not (default.is_scalar or default.is_callable):
                    value = None  # NULL, as the ORM's INSERT leaves it
                else:
                    value = default.arg(None) if default.is_callable else default.arg
                setattr(obj, key, value)
            values[column.key] = state[key]
        connection.execute(statement, values)
    status_stamps.note(session, {obj.client_id for obj in objects})


def _update_plan(model: type) -> tuple[Any, str, str, list[Any]]:
    """The UPDATE of one row of ``model`` by its key (its SET clause is the values
    given), the key's attribute, and the columns with an ``onupdate``."""
    plan = _UPDATES.get(model)
    if plan is None:
        mapper = inspect(model)
        (key,) = mapper.primary_key
        statement = core_update(mapper.local_table).where(key == bindparam("row_key"))
        onupdate = [c for c in mapper.local_table.c if c.onupdate is not None]
        plan = _UPDATES[model] = (statement, mapper.get_property_by_column(key).key, key.key,
                                  onupdate)  # fmt: skip
    return plan


def update(session: Session, objects: list[Any]) -> None:
    """Write what changed in ``objects`` (persistent in ``session``; others are passed
    over) with one UPDATE each, then mark them clean, as the flush would."""
    written = set()
    connection = None
    for obj in objects:
        state = inspect(obj)
        if not state.persistent or not state.modified or state.session is not session:
            continue
        values = {}
        for key in state.committed_state:
            attr = state.attrs[key]
            added = attr.history.added
            if added:
                values[state.mapper.get_property(key).columns[0].key] = added[0]
        if values:
            statement, key_attr, key_column, onupdate = _update_plan(type(obj))
            for column in onupdate:
                if column.key not in values:
                    values[column.key] = column.onupdate.arg(None)
                    setattr(obj, column.key, values[column.key])
            values["row_key"] = getattr(obj, key_attr)
            connection = connection or session.connection()
            connection.execute(statement, values)
            written.add(obj.client_id)
        state._commit_all(state.dict, session.identity_map)  # clean: nothing to flush
    if written:
        status_stamps.note(session, written)


def update_case(session: Session, client_id: str, values: dict[str, Any]) -> None:
    """One UPDATE of the client's case: ``values`` (column keys) and the ``onupdate``
    columns not among them, as ``update`` writes a changed case read by the ORM; for a
    case read as a plain row (``board_index.read_for_step``)."""
    statement, _key_attr, _key_column, onupdate = _update_plan(ClientCase)
    values = dict(values)
    for column in onupdate:
        if column.key not in values:
            values[column.key] = column.onupdate.arg(None)
    values["row_key"] = client_id
    session.connection().execute(statement, values)
    status_stamps.note(session, {client_id})
