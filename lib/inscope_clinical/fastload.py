"""A compiled loader for the marshmallow schemas: valid documents fast, the rest through
marshmallow itself.

Validating a screening document with marshmallow costs more than scoring and deciding
it (about 0.3 ms a document: every field goes through several generic method calls).
``compiled(schema)`` walks the schema's fields once and builds plain closures that do
the same work for the field types the engine uses (booleans, strict integers, finite
floats, strings, ISO dates, nested objects, lists), running each field's own validators
(lengths, choices, ranges, e-mail, single line) and the schema's ``validates_schema``
hooks. Anything it is not sure about - a missing required field, a wrong type, a failing
validator, an unknown key, a field type or hook it does not know - makes it give up and
load the whole document with marshmallow, so error messages (per field, 422) and every
edge case stay marshmallow's. The property test (tests/clinical/test_fastload.py) checks
that both give the same result or both fail, over valid and mutated documents.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.utils import missing

from .schemas import Boolean, Float, IsoDate, IsoDateTime

Plan = Callable[[Any], Any]


class _GiveUp(Exception):
    """The fast path is not sure: marshmallow loads the document instead."""


def compiled(schema: Schema) -> Callable[[Any], Any]:
    """``schema.load`` with a fast path for documents it can check field by field."""
    plan = _schema_plan(schema, {})

    def load(data: Any) -> Any:
        try:
            return plan(data)
        except _GiveUp:
            return schema.load(data)

    return load


def _schema_plan(schema: Schema, seen: dict[int, Plan]) -> Plan:
    if id(schema) in seen:
        return seen[id(schema)]
    hooks = schema._hooks  # noqa: SLF001 - marshmallow's own record of decorated methods
    if (hooks[PRE_LOAD] or hooks[POST_LOAD] or hooks[VALIDATES] or schema.unknown != RAISE
            or schema.many):
        return _marshmallow(schema.load)
    checks = [getattr(schema, name) for name, many, kw in hooks[VALIDATES_SCHEMA]
              if not many and not kw.get("pass_original")]
    if len(checks) != len(hooks[VALIDATES_SCHEMA]):
        return _marshmallow(schema.load)
    steps = []
    for name, field in schema.load_fields.items():
        key = field.data_key if field.data_key is not None else name
        steps.append((key, field.attribute or name, field, _field_plan(field, seen)))
    known = frozenset(key for key, *_ in steps)

    def load(data: Any) -> dict[str, Any]:
        if type(data) is not dict or not known.issuperset(data):
            raise _GiveUp
        out: dict[str, Any] = {}
        for key, attr, field, plan in steps:
            value = data.get(key, missing)
            if value is missing:
                if field.required:
                    raise _GiveUp
                default = field.load_default
                if default is not missing:
                    out[attr] = default() if callable(default) else default
            elif value is None:
                if not field.allow_none:
                    raise _GiveUp
                out[attr] = None
            else:
                out[attr] = plan(value)
        for check in checks:
            try:
                check(out, partial=None, many=False, unknown=RAISE)
            except ValidationError as error:
                raise _GiveUp from error
        return out

    seen[id(schema)] = load
    return load


def _marshmallow(load: Callable[[Any], Any]) -> Plan:
    def run(value: Any) -> Any:
        try:
            return load(value)
        except ValidationError as error:
            raise _GiveUp from error

    return run


def _field_plan(field: fields.Field, seen: dict[int, Plan]) -> Plan:
    """The value's type check and conversion, then the field's validators."""
    convert = _converter(field, seen)
    validators = tuple(field.validators)
    if getattr(field, "pre_load", None) or getattr(field, "post_load", None):
        return _marshmallow(field.deserialize)
    if not validators:
        return convert

    def plan(value: Any) -> Any:
        out = convert(value)
        try:
            for validator in validators:
                validator(out)
        except ValidationError as error:
            raise _GiveUp from error
        return out

    return plan


def _converter(field: fields.Field, seen: dict[int, Plan]) -> Plan:
    kind = type(field)
    if kind is Boolean:
        return _boolean
    if kind is fields.Integer and field.strict:  # type: ignore[attr-defined]
        return _strict_integer
    if kind is Float:
        return _float
    if kind in (fields.String, fields.Email):
        return _string
    if kind in (IsoDate, IsoDateTime):
        return _marshmallow(lambda value: field._deserialize(value, None, None))  # noqa: SLF001
    if kind is fields.Nested and not (field.many or field.only or field.exclude  # type: ignore[attr-defined]
                                      or field.unknown):  # type: ignore[attr-defined]
        return _schema_plan(field.schema, seen)  # type: ignore[attr-defined]
    if kind is fields.List:
        return _list(_field_plan(field.inner, seen))  # type: ignore[attr-defined]
    return _marshmallow(lambda value: field.deserialize(value))


def _boolean(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise _GiveUp


def _strict_integer(value: Any) -> int:
    if type(value) is int:
        return value
    raise _GiveUp


def _float(value: Any) -> float:
    if type(value) is float or type(value) is int:
        out = float(value)
        if math.isfinite(out):
            return out
    raise _GiveUp


def _string(value: Any) -> str:
    if type(value) is str:
        return value
    raise _GiveUp


def _list(item: Plan) -> Plan:
    def plan(value: Any) -> list[Any]:
        if type(value) is not list:
            raise _GiveUp
        return [item(x) for x in value]

    return plan
