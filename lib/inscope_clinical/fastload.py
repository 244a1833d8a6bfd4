"""A compiled loader for the marshmallow schemas: valid documents fast, the rest through
marshmallow itself.

Validating a screening document with marshmallow costs more than scoring and deciding
it (about 0.3 ms a document: every field goes through several generic method calls).
``compiled(schema)`` walks the schema's fields once and builds plain closures that do
the same work for the field types the engine uses (booleans, strict integers, finite
floats, strings, ISO dates, nested objects, lists) and the event contracts use
(inscope_common.events: integers, dicts, raw values, nested schemas that keep unknown
keys), running each field's own validators
(lengths, choices, ranges, e-mail, single line) and the schema's ``validates_schema``
hooks. Anything it is not sure about - a missing required field, a wrong type, a failing
validator, an unknown key, a field type or hook it does not know - makes it give up and
load the whole document with marshmallow, so error messages (per field, 422) and every
edge case stay marshmallow's. The property test (tests/clinical/test_fastload.py) checks
that both give the same result or both fail, over valid and mutated documents.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, ValidationError, fields, validate
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
    if (hooks[PRE_LOAD] or hooks[POST_LOAD] or hooks[VALIDATES]
            or schema.unknown not in (RAISE, INCLUDE, EXCLUDE) or schema.many
            or schema.dict_class is not dict):
        return _marshmallow(schema.load)
    checks = [getattr(schema, name) for name, many, kw in hooks[VALIDATES_SCHEMA]
              if not many and not kw.get("pass_original")]
    if len(checks) != len(hooks[VALIDATES_SCHEMA]):
        return _marshmallow(schema.load)
    steps = []
    for name, field in schema.load_fields.items():
        key = field.data_key if field.data_key is not None else name
        steps.append((key, field.attribute or name, field, *_parts(field, seen)))
    load = _generated(steps, checks, schema.unknown)
    seen[id(schema)] = load
    return load


def _generated(steps: list[tuple[str, str, fields.Field, Plan, tuple[Any, ...]]],
               checks: list[Callable[..., Any]], unknown: str = RAISE) -> Plan:
    """One schema's loader as straight-line Python, one block per field in the schema's
    order (the output keeps marshmallow's key order): the same steps as a loop over the
    fields would take, without the loop, the attribute look-ups and, for booleans,
    strict integers and strings, the call to the field's plan. ``unknown``: the
    schema's policy for keys it does not declare (RAISE: give up; INCLUDE: kept as
    they are, after the fields, in the order marshmallow adds them; EXCLUDE: dropped)."""
    env: dict[str, Any] = {"_GiveUp": _GiveUp, "missing": missing, "RAISE": RAISE,
                           "ValidationError": ValidationError, "checks": tuple(checks),
                           "known": frozenset(key for key, *_ in steps)}
    lines = ["def load(data):",
             "    if type(data) is not dict or not known.issuperset(data):"
             if unknown == RAISE else "    if type(data) is not dict:",
             "        raise _GiveUp",
             "    out = {}",
             "    get = data.get"]
    for i, (key, attr, field, plan, validators) in enumerate(steps):
        target = f"out[{attr!r}]"
        default = field.load_default
        if field.required:
            absent = "        raise _GiveUp"
        elif default is missing:
            absent = "        pass"
        else:
            env[f"default{i}"] = default
            absent = (f"        {target} = default{i}()" if callable(default)
                      else f"        {target} = default{i}")
        none = f"        {target} = None" if field.allow_none else "        raise _GiveUp"
        test = _INLINE.get(plan)
        checked: list[str] = []
        for j, validator in enumerate(validators):
            env[f"check{i}_{j}"] = validator
            checked += _validator_lines(validator, f"check{i}_{j}", scalar=test is not None)
        valid = (["        try:", *checked, "        except ValidationError as error:",
                  "            raise _GiveUp from error"] if checked else []) + \
            [f"        {target} = v"]
        lines.append(f"    v = get({key!r}, missing)")
        if test is not None:  # the plan's own test, written out, first: a value given
            # (most fields) costs one test; the missing sentinel and None fail it
            lines += [f"    if {test}:", *valid, "    elif v is missing:", absent,
                      "    elif v is None:", none, "    else:", "        raise _GiveUp"]
        else:
            env[f"plan{i}"] = plan
            lines += ["    if v is missing:", absent, "    elif v is None:", none,
                      "    else:", f"        v = plan{i}(v)", *valid]
    if checks:
        lines += ["    for check in checks:",
                  "        try:",
                  "            check(out, partial=None, many=False, unknown=RAISE)",
                  "        except ValidationError as error:",
                  "            raise _GiveUp from error"]
    if unknown == INCLUDE:  # marshmallow's own loop (Schema._deserialize), same order
        lines += ["    for key in set(data) - known:", "        out[key] = data[key]"]
    lines.append("    return out")
    exec(compile("\n".join(lines), "<fastload>", "exec"), env)  # noqa: S102 - our own text
    return env["load"]  # type: ignore[no-any-return]


def _marshmallow(load: Callable[[Any], Any]) -> Plan:
    def run(value: Any) -> Any:
        try:
            return load(value)
        except ValidationError as error:
            raise _GiveUp from error

    return run


def _validator_lines(validator: Any, name: str, *, scalar: bool) -> list[str]:
    """A validator's call; marshmallow's Length and Range, and OneOf on a string, integer
    or boolean, written out (the same tests, failing the same values: the document then
    goes to marshmallow for the message)."""
    if type(validator) is validate.Length and validator.equal is None:
        tests = ([f"len(v) < {name}.min"] if validator.min is not None else []) + \
                ([f"len(v) > {name}.max"] if validator.max is not None else [])
        return [f"            if {' or '.join(tests)}:", "                raise _GiveUp"] \
            if tests else []
    if type(validator) is validate.OneOf and scalar:
        return [f"            if v not in {name}.choices:", "                raise _GiveUp"]
    if type(validator) is validate.Range:  # (numbers and scores: a call per field saved)
        tests = ([f"v {'<' if validator.min_inclusive else '<='} {name}.min"]
                 if validator.min is not None else []) + \
                ([f"v {'>' if validator.max_inclusive else '>='} {name}.max"]
                 if validator.max is not None else [])
        return [f"            if {' or '.join(tests)}:", "                raise _GiveUp"] \
            if tests else []
    return [f"            {name}(v)"]


def _parts(field: fields.Field, seen: dict[int, Plan]) -> tuple[Plan, tuple[Any, ...]]:
    """The value's type check and conversion, and the field's validators."""
    convert = _converter(field, seen)
    validators = tuple(field.validators)
    if getattr(field, "pre_load", None) or getattr(field, "post_load", None):
        return _marshmallow(field.deserialize), ()
    return convert, validators


def _field_plan(field: fields.Field, seen: dict[int, Plan]) -> Plan:
    """The value's type check and conversion, then the field's validators."""
    convert, validators = _parts(field, seen)
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
    if kind is Boolean or (kind is fields.Boolean and field.truthy is fields.Boolean.truthy  # type: ignore[attr-defined]
                           and field.falsy is fields.Boolean.falsy):  # type: ignore[attr-defined]
        return _boolean  # marshmallow's also takes "yes", 1...: those go to marshmallow
    if kind is fields.Integer:  # a non-strict one takes "3" and 3.0 too: marshmallow's
        return _strict_integer
    if kind is fields.Raw:
        return _raw
    if kind is fields.Dict:
        keys, values = field.key_field, field.value_field  # type: ignore[attr-defined]
        if keys is None and values is None:
            return _dict_copy
        return _mapping(_field_plan(keys, seen) if keys else _raw,
                        _field_plan(values, seen) if values else _raw)
    if kind is Float:
        return _float
    if kind in (fields.String, fields.Email):
        return _string
    if kind in (IsoDate, IsoDateTime):
        parse = _ISO_PARSE[kind]
        if field.format in (None, "iso", "iso8601") and \
                kind.DESERIALIZATION_FUNCS.get(field.format or "iso") == parse:  # type: ignore[attr-defined]
            return _iso(parse)
        return _marshmallow(lambda value: field._deserialize(value, None, None))  # noqa: SLF001
    if kind is fields.Nested and not (field.many or field.only or field.exclude  # type: ignore[attr-defined]
                                      or field.unknown):  # type: ignore[attr-defined]
        return _schema_plan(field.schema, seen)  # type: ignore[attr-defined]
    if kind is fields.List:
        return _list(_field_plan(field.inner, seen))  # type: ignore[attr-defined]
    return _marshmallow(lambda value: field.deserialize(value))


_ISO_PARSE: dict[type, Callable[[str], Any]] = {IsoDate: dt.date.fromisoformat,
                                               IsoDateTime: dt.datetime.fromisoformat}


def _iso(parse: Callable[[str], Any]) -> Plan:
    """An ISO date or datetime string kept as ISO (IsoDate, IsoDateTime): marshmallow's
    own parse for the "iso" format, then .isoformat(); anything else (not a string, not
    ISO) goes to marshmallow."""
    def plan(value: Any) -> str:
        if type(value) is str:
            try:
                return parse(value).isoformat()  # type: ignore[no-any-return]
            except ValueError:
                pass
        raise _GiveUp

    return plan


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


def _raw(value: Any) -> Any:
    return value


def _dict_copy(value: Any) -> dict[Any, Any]:
    """A Dict without key or value fields: marshmallow returns ``dict(value)``."""
    if type(value) is dict:
        return dict(value)
    raise _GiveUp


def _mapping(key: Plan, item: Plan) -> Plan:
    def plan(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            raise _GiveUp
        return {key(k): item(v) for k, v in value.items()}

    return plan


def _list(item: Plan) -> Plan:
    def plan(value: Any) -> list[Any]:
        if type(value) is not list:
            raise _GiveUp
        return [item(x) for x in value]

    return plan


# Plans whose check is written into a schema's generated loader instead of called (the
# value itself is the result): the same test as the function's.
_INLINE: dict[Plan, str] = {
    _boolean: "v is True or v is False",
    _strict_integer: "type(v) is int",
    _string: "type(v) is str",
}
