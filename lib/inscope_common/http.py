"""What every service's HTTP side shares: health and readiness, JSON errors for every
4xx (never an HTML page or a 500 for bad input), a body size limit, and an internal
bearer token for service-to-service reads."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, abort, jsonify, request
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import HTTPException

from inscope_common.config import ServiceSettings
from inscope_common.db import read_only


def init_platform_http(
    app: Flask, api: Api, settings: ServiceSettings, session_factory: sessionmaker
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    api.register_blueprint(_health_blueprint(settings, session_factory))
    # Registered after flask-smorest's own handler so that every HTTP error is JSON.
    app.register_error_handler(HTTPException, _json_http_error)


class _CheckSchema(Schema):
    ok = fields.Boolean()
    error = fields.String()


class HealthSchema(Schema):
    status = fields.String()
    service = fields.String()


class ReadinessSchema(HealthSchema):
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(_CheckSchema))


def _health_blueprint(settings: ServiceSettings, session_factory: sessionmaker) -> Blueprint:
    bp = Blueprint("platform", __name__, description="Health and readiness probes")

    @bp.get("/healthz")
    @bp.response(200, HealthSchema)
    def healthz() -> Any:
        """The process is up."""
        return {"status": "ok", "service": settings.service}

    @bp.get("/readyz")
    @bp.response(200, ReadinessSchema)
    @bp.alt_response(503, schema=ReadinessSchema, description="database or broker unreachable")
    def readyz() -> Any:
        """The database and the broker answer."""
        checks = {
            "database": _check(lambda: _ping_db(session_factory)),
            "broker": _check(lambda: _ping_broker(settings.redis_url)),
        }
        ready = all(c["ok"] for c in checks.values())
        body = {
            "status": "ready" if ready else "not_ready",
            "service": settings.service,
            "checks": checks,
        }
        return body, 200 if ready else 503

    return bp


def _check(probe: Callable[[], None]) -> dict[str, Any]:
    try:
        probe()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True}


def _ping_db(session_factory: sessionmaker) -> None:
    with read_only(session_factory)() as session:
        session.execute(text("SELECT 1"))


def _ping_broker(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _json_http_error(exc: HTTPException) -> Any:
    """flask-smorest already answers its own aborts as JSON; this covers the rest
    (413 body too large, 404 unknown route, 405 wrong method...)."""
    response = exc.get_response()
    body: dict[str, Any] = {"code": exc.code, "status": exc.name, "message": exc.description}
    data = getattr(exc, "data", None)
    if data and "messages" in data:
        body["errors"] = data["messages"]
    response.data = jsonify(body).get_data()
    response.content_type = "application/json"
    return response


def require_internal_token(settings: ServiceSettings) -> None:
    """Guard for service-to-service reads of directly identifying data."""
    header = request.headers.get("Authorization", "")
    expected = f"Bearer {settings.internal_token}"
    if not hmac.compare_digest(header.encode(), expected.encode()):
        abort(401, description="a valid internal bearer token is required")
