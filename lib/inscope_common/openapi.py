"""flask-smorest set-up shared by the services."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Flask
from flask_smorest import Api
from flask_smorest.error_handler import ErrorSchema as SmorestErrorSchema

_ANY_OBJECT_OR_NULL = {"type": "object", "nullable": True}


class ProblemSchema(ma.Schema):
    field = ma.fields.String(metadata={"description": "The field, as a dotted path"})
    message = ma.fields.String(metadata={"description": "What is wrong, in the form's words"})


class ErrorSchema(SmorestErrorSchema):
    """flask-smorest's error body plus ``problems``: each field's problem in the words
    of the form (lib/inscope_common/http.py adds it to 4xx bodies with ``errors``)."""

    problems = ma.fields.List(ma.fields.Nested(ProblemSchema))


class InScopeApi(Api):
    ERROR_SCHEMA = ErrorSchema


def make_api(app: Flask, title: str) -> Api:
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH=None,
    )
    api = InScopeApi(app)
    # A calling service's own short-lived credential (inscope_common.service_auth).
    api.spec.components.security_scheme("serviceToken", {"type": "http", "scheme": "bearer"})
    api.ma_plugin.converter.add_attribute_function(exact_nullable_nested)
    return api


def exact_nullable_nested(self: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict:
    """A nullable nested schema is that schema or null, not "any object or that schema".

    apispec writes ``Nested(S, allow_none=True)`` for OpenAPI 3.0 as
    ``anyOf: [{type: object, nullable: true}, {$ref: S}]``, which admits every object;
    this rewrites it as ``allOf: [{$ref: S}], nullable: true``."""
    any_of = ret.get("anyOf")
    if isinstance(any_of, list) and _ANY_OBJECT_OR_NULL in any_of:
        del ret["anyOf"]
        ret["allOf"] = [schema for schema in any_of if schema != _ANY_OBJECT_OR_NULL]
        ret["nullable"] = True
    return {}
