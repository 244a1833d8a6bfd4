"""What every service's HTTP side shares: health and readiness, JSON errors for every
4xx (never an HTML page or a 500 for bad input), a body size limit, hostile-input guards
(chunked framing, JSON depth and number size, NUL and unpaired surrogates in any text)
and an internal bearer token for service-to-service reads."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import flask_smorest
import redis
from flask import Flask, Response, abort, current_app, g, jsonify, request
from flask_smorest import Api
from marshmallow import RAISE, Schema, ValidationError, fields
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.flaskparser import abort as webargs_abort
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from inscope_clinical.fastload import compiled
from inscope_common.config import ServiceSettings
from inscope_common.db import read_only
from inscope_common.logs import bind, get_logger
from inscope_common.metrics import REQUEST_SECONDS, StateCollector, exposition

log = get_logger("inscope_common.http")
# Probes and scrapes are logged at DEBUG: they come every few seconds.
QUIET_ENDPOINTS = frozenset({"platform.healthz", "platform.readyz", "platform.metrics", "static"})
METRICS_READERS = "inscope_metrics_readers"
# app.extensions key: a callable turning an error response's ``errors`` into a list of
# {"field", "message"} in people's words (or None when it has nothing to say).
ERROR_WORDS = "inscope_error_words"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")



def init_platform_http(
    app: Flask, api: Api, settings: ServiceSettings, session_factory: sessionmaker
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    trust_proxies(app, settings.proxy_hops)
    install_security_headers(app, settings)
    # First of all before-request hooks: the auth guard reads forms (CSRF), and a body
    # must be whole and clean before anything reads it.
    app.before_request_funcs.setdefault(None, []).insert(0, _guard_request)
    api.register_blueprint(_health_blueprint(settings, session_factory))
    _observe_requests(app, settings)
    # Registered after flask-smorest's own handler so that every API error is JSON; a
    # page route's error (and an unknown address a browser asked for) is a styled page.
    service = settings.service

    def _http_error(exc: HTTPException) -> Any:
        data = getattr(exc, "data", None) or {}
        # Per-field refusals of hostile input (the guard's 422) stay JSON everywhere.
        structured = data.get("errors") or data.get("messages")
        if _answers_a_person(service) and not structured:
            return _html_http_error(exc)
        return _json_http_error(exc)

    app.register_error_handler(HTTPException, _http_error)


def trust_proxies(app: Flask, hops: int) -> None:
    """Believe X-Forwarded-For/-Proto/-Host from exactly ``hops`` proxies in front of
    us (INSCOPE_PROXY_HOPS; 0 = none): the client address (sign-in limits, audit) and
    the scheme (the session cookie's Secure flag) then come from the last proxy's
    headers, and whatever a client wrote into those headers itself is ignored."""
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=0, x_prefix=0
        )


def content_security_policy(settings: ServiceSettings) -> str:
    """No inline script or style anywhere (every page's script and style are files of
    its own service); forms may post to our own services (sign-out goes to the staff
    hub); no framing."""
    origins = sorted(
        {f"{u.scheme}://{u.netloc}" for u in map(urlsplit, settings.urls.values()) if u.netloc}
    )
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self' " + " ".join(origins),
            "frame-ancestors 'none'",
        )
    )


# Static files may be cached; everything else may carry health data or a signed-in
# person's page: never stored by a browser or a proxy.
CACHEABLE_ENDPOINTS = frozenset({"static", "inscope_web.static"})


def install_security_headers(app: Flask, settings: ServiceSettings) -> None:
    """Every answer of every service: CSP, no framing, no MIME sniffing, no referrer
    (answer links carry their token in the path), no-store on anything not static;
    HSTS when the request came over TLS (the proxy terminates it)."""
    csp = content_security_policy(settings)
    always = (
        ("Content-Security-Policy", csp),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        # Each header unless the view set its own (setdefault's rule), appended in this
        # order; the names already there read once instead of a scan per header (every
        # answer of every service passes here, issue 13).
        present = {name.lower() for name, _value in headers}
        for name, value in always:
            if name.lower() not in present:
                headers.add(name, value)
        if request.endpoint not in CACHEABLE_ENDPOINTS:
            headers["Cache-Control"] = "no-store"
            if "pragma" not in present:
                headers.add("Pragma", "no-cache")
        if request.is_secure:
            headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


class _CheckSchema(Schema):
    ok = fields.Boolean()
    detail = fields.String(
        metadata={"description": "what is wrong, in words (never the raw error)"}
    )


class HealthSchema(Schema):
    status = fields.String()
    service = fields.String()


class ReadinessSchema(HealthSchema):
    status = fields.String(
        metadata={
            "description": "ready; degraded (answering, with a part down: the broker, "
            "say, while the outbox keeps every event for the relay); not_ready (the "
            "database is unreachable)"
        }
    )
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(_CheckSchema))


# Events unpublished this long after their commit count as stuck (the relay is down or
# cannot reach the broker).
OUTBOX_STUCK_AFTER_S = 60.0


def _health_blueprint(settings: ServiceSettings, session_factory: sessionmaker) -> Blueprint:
    bp = Blueprint("platform", __name__, description="Health and readiness probes")

    @bp.get("/healthz")
    @bp.response(200, HealthSchema)
    def healthz() -> Any:
        """The process is up."""
        return {"status": "ok", "service": settings.service}

    @bp.get("/readyz")
    @bp.response(200, ReadinessSchema)
    @bp.alt_response(503, schema=ReadinessSchema, description="the database is unreachable")
    def readyz() -> Any:
        """Ready while the database answers. Every write goes through the outbox, so a
        broker that is down only degrades the service (the relay publishes later); the
        body says which part is degraded."""
        checks = {
            "database": _check("database", lambda: _ping_db(session_factory)),
            "broker": _check("broker", lambda: _ping_broker(settings.redis_url)),
        }
        if checks["database"]["ok"]:
            checks["outbox"] = _outbox_check()
        if not checks["database"]["ok"]:
            status = "not_ready"
        elif all(c["ok"] for c in checks.values()):
            status = "ready"
        else:
            status = "degraded"
        body = {"status": status, "service": settings.service, "checks": checks}
        return body, 503 if status == "not_ready" else 200

    @bp.get("/metrics")
    @bp.doc(
        summary="Prometheus metrics",
        description="Text exposition format: request latency, tasks, queue depth, "
        "outbox lag, dead letters, stuck work (see inscope_common.metrics).",
        responses={"200": {"description": "metrics", "content": {"text/plain": {}}}},
    )
    def metrics() -> Any:
        """Prometheus metrics of this service."""
        rt = current_app.extensions["inscope"]
        state = StateCollector(
            settings.service,
            settings.queue,
            settings.redis_url,
            rt.session_factory,
            rt.models,
            current_app.extensions.get(METRICS_READERS, ()),
        )
        body, content_type = exposition([state])
        return Response(body, content_type=content_type)

    return bp


def _observe_requests(app: Flask, settings: ServiceSettings) -> None:
    """Per request: an id (X-Request-ID, kept when the caller sent a sane one), the
    identifiers bound into every log line, one log line and one latency observation."""

    def start() -> None:
        g.inscope_started = time.perf_counter()
        supplied = request.headers.get("X-Request-ID", "")
        g.inscope_request_id = supplied if _SAFE_ID.match(supplied) else uuid.uuid4().hex
        correlation = request.headers.get("X-Correlation-ID", "")
        args = request.view_args or {}
        bind(
            request_id=g.inscope_request_id,
            correlation_id=correlation if _SAFE_ID.match(correlation) else None,
            client_id=_safe(args.get("client_id")),
            intake_id=_safe(args.get("intake_id")),
            referral_id=_safe(args.get("referral_id")),
        )

    # Before the request guards too, so that a request they refuse is timed and logged.
    app.before_request_funcs.setdefault(None, []).insert(0, start)

    @app.after_request
    def finish(response: Response) -> Response:
        started = g.pop("inscope_started", None)
        if started is None:
            return response
        seconds = time.perf_counter() - started
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(
            settings.service, request.method, endpoint, str(response.status_code)
        ).observe(seconds)
        response.headers["X-Request-ID"] = g.get("inscope_request_id", "")
        level = "debug" if request.endpoint in QUIET_ENDPOINTS else "info"
        getattr(log, level)(
            "request",
            method=request.method,
            endpoint=endpoint,
            status=response.status_code,
            duration_ms=round(seconds * 1000, 1),
        )
        return response

    @app.teardown_request
    def forget(_: BaseException | None) -> None:
        from structlog.contextvars import clear_contextvars

        clear_contextvars()


def _safe(value: Any) -> str | None:
    return value if isinstance(value, str) and _SAFE_ID.match(value) else None


_UNREACHABLE = {"database": "the database does not answer", "broker": "the broker does not answer"}


def _check(name: str, probe: Callable[[], None]) -> dict[str, Any]:
    try:
        probe()
    except Exception as exc:
        # The reason goes to the log; the body says what is down, not how (no host
        # names, driver messages or credentials in an unauthenticated answer).
        log.warning("readiness: %s check failed: %s: %s", name, type(exc).__name__, exc)
        return {"ok": False, "detail": _UNREACHABLE[name]}
    return {"ok": True}


def _outbox_check() -> dict[str, Any]:

    rt = current_app.extensions.get("inscope")
    if rt is None:
        return {"ok": True}
    try:
        late = rt.relay.unpublished_count(older_than_s=OUTBOX_STUCK_AFTER_S)
    except Exception as exc:
        log.warning("readiness: outbox check failed: %s: %s", type(exc).__name__, exc)
        return {"ok": False, "detail": "the outbox could not be read"}
    if late:
        return {
            "ok": False,
            "detail": f"{late} event(s) unpublished for over {OUTBOX_STUCK_AFTER_S:.0f} s "
            "(is the relay running, can it reach the broker?)",
        }
    return {"ok": True}


def _ping_db(session_factory: sessionmaker) -> None:
    with read_only(session_factory)() as session:
        session.execute(text("SELECT 1"))


def _ping_broker(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=0.2, socket_timeout=0.2)
    try:
        client.ping()
    finally:
        client.close()


def _answers_a_person(service: str) -> bool:
    """A page route, or an unknown address asked for by a browser (HTML preferred to
    JSON); an API route always answers JSON."""
    from inscope_common.auth import is_page

    endpoint = request.endpoint
    if endpoint is not None:
        return is_page(endpoint)
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > \
        request.accept_mimetypes["application/json"]


def _html_http_error(exc: HTTPException) -> Any:
    from inscope_common.web import error_page

    data = getattr(exc, "data", None) or {}
    said = data.get("message") or exc.description
    # Werkzeug's stock sentences are replaced by the page's own words.
    default = type(exc).description
    response = error_page(exc.code or 500, None if said == default else str(said))
    stock = exc.get_response().headers  # Allow (405), Retry-After...
    for name in ("Allow", "Retry-After"):
        if name in stock:
            response.headers[name] = stock[name]
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def _json_http_error(exc: HTTPException) -> Any:
    """Every HTTP error as JSON (413 body too large, 404 unknown route, 405 wrong
    method, and the APIs' own aborts), keeping what the code that aborted said: its
    ``message``, its ``errors`` (flask-smorest) or ``messages`` (webargs), its headers."""
    response = exc.get_response()
    data = getattr(exc, "data", None) or {}
    body: dict[str, Any] = {
        "code": exc.code,
        "status": exc.name,
        "message": data.get("message") or exc.description,
    }
    errors = data.get("errors") or data.get("messages")
    if errors:
        body["errors"] = errors
        # A service may also say each problem in its form's words ("Pain area 1: pain
        # with activity must be 0–10."), beside the machine-readable errors.
        words = current_app.extensions.get(ERROR_WORDS)
        if words is not None:
            try:
                problems = words(errors)
            except Exception:  # words are a courtesy; the errors above stand regardless
                log.exception("error words failed")
                problems = None
            if problems:
                body["problems"] = problems
    response.data = jsonify(body).get_data()
    response.content_type = "application/json"
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


# ---------------------------------------------------------------- hostile input

MAX_JSON_DEPTH = 32
MAX_INT_DIGITS = 30
BAD_TEXT_MESSAGE = "Must not contain NUL or unpaired surrogate characters."
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKETS = re.compile(r"[\[\]{}]")
_MAX_REPORTED = 50


def _guard_request() -> None:
    """Read a chunked body whole and bounded before anything else does, so that broken
    framing is a 400 and an oversize body a 413 (the server only knows the size of a
    chunked body once it is read); then refuse NUL or unpaired surrogates in the query
    string and form fields of every endpoint, page or API (422, naming each field)."""
    environ = request.environ
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 1 << 30
        try:
            data = _read_at_most(environ["wsgi.input"], limit + 1)
        except Exception:  # the server's own framing errors (gunicorn's ParseException...)
            abort(400, description="The request body's chunked framing is malformed.")
        if len(data) > limit:
            abort(413)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = False
    locations = {"query": request.args}
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        locations["form"] = request.form
    errors: dict[str, Any] = {}
    for location, values in locations.items():
        found = {
            key if not _BAD_TEXT.search(key) else "_schema": [BAD_TEXT_MESSAGE]
            for key, value in values.items(multi=True)
            if _BAD_TEXT.search(key) or _BAD_TEXT.search(value)
        }
        if found:
            errors[location] = found
    if errors:
        webargs_abort(422, messages=errors)


def _read_at_most(stream: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = stream.read(min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def bad_text_errors(value: Any) -> dict[str, Any] | None:
    """Per-field messages (marshmallow's nested shape) for every string, key or value,
    at any depth, that holds NUL or an unpaired surrogate; None when all is clean.

    Such text cannot be encoded as UTF-8 (surrogates) or stored in PostgreSQL (NUL), so
    it would fail later, far from the request that brought it."""
    errors: dict[str, Any] = {}
    count = 0
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack and count < _MAX_REPORTED:
        node, path = stack.pop()
        if isinstance(node, str):
            if _BAD_TEXT.search(node):
                _insert(errors, path or ("_schema",), BAD_TEXT_MESSAGE)
                count += 1
        elif isinstance(node, dict):
            for key, child in node.items():
                if isinstance(key, str) and _BAD_TEXT.search(key):
                    _insert(errors, (*path, "_schema"), "A field name: " + BAD_TEXT_MESSAGE)
                    count += 1
                    continue
                stack.append((child, (*path, key)))
        elif isinstance(node, list | tuple):
            stack.extend((child, (*path, i)) for i, child in enumerate(node))
    return errors or None


def _insert(tree: dict[str, Any], path: tuple[Any, ...], message: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):  # a message list already sits here
            return
        node = child
    leaf = node.setdefault(path[-1], [])
    if isinstance(leaf, list) and message not in leaf:
        leaf.append(message)


class _TooLarge(ValueError):
    pass


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise _TooLarge(f"an integer literal has more than {MAX_INT_DIGITS} digits")
    return int(literal)


def _no_constant(name: str) -> Any:
    raise _TooLarge(f"{name} is not JSON")


def safe_json_loads(raw: bytes | str) -> Any:
    """json.loads with limits: nesting deeper than MAX_JSON_DEPTH, integer literals
    longer than MAX_INT_DIGITS digits and NaN/Infinity raise json.JSONDecodeError
    (a 400), where the standard library would raise RecursionError or ValueError."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if text and _too_deep(text):
        raise json.JSONDecodeError(f"nested deeper than {MAX_JSON_DEPTH} levels", text, 0)
    try:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except _TooLarge as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deep", text, 0) from None


def _too_deep(text: str) -> bool:
    depth = 0
    for match in _JSON_BRACKETS.finditer(_JSON_STRINGS.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        else:
            depth -= 1
    return False


_WEBARGS_DEFAULT_UNKNOWN = webargs_core._UNKNOWN_DEFAULT_PARAM  # noqa: SLF001 - its sentinel


class SafeParser(FlaskParser):
    """webargs' Flask parser with the JSON limits of safe_json_loads, a 400 that says
    what was wrong with the JSON, and a 422 per field for NUL or unpaired surrogates.
    Unknown query parameters are refused like unknown body fields: the documents say
    ``additionalProperties: false`` for both."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[Schema], Schema] = {}
        # Each kept schema's compiled loader (inscope_clinical.fastload), built on its
        # first JSON body: keyed by the instance, which the parser keeps alive.
        self._loaders: dict[Schema, Callable[[Any], Any]] = {}

    def _get_schema(self, argmap: Any, req: Any) -> Any:
        """One instance per schema class, built on first use. webargs builds a new one
        for every request when given a class (flask-smorest gives it the class), and a
        new instance builds every nested schema again: 40% of the assessment web's CPU
        (issue 13). Loading does not change a schema, so one instance serves all."""
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)

    def _process_location_data(
        self,
        location_data: Any,
        schema: Any,
        req: Any,
        location: str,
        unknown: str | None,
        validators: Any,
    ) -> Any:
        """webargs' own steps, except that a JSON body is loaded by the schema's compiled
        loader (inscope_clinical.fastload: the same result as marshmallow's load for a
        valid document, and marshmallow itself loads anything it is not sure about, so
        every 422 and its per-field messages stay marshmallow's). marshmallow's field
        machinery was a fifth of POST /assessments' CPU (issue 13). Only for the schemas
        this parser keeps (one instance per class) and when the body's ``unknown`` policy
        is the schema's own (the loader checks unknown keys by the schema's)."""
        loader = self._loader(schema) if location == "json" else None
        if loader is None:
            return super()._process_location_data(
                location_data, schema, req, location, unknown, validators
            )
        if location_data is webargs_core.missing:
            location_data = {}
        if unknown == _WEBARGS_DEFAULT_UNKNOWN:  # webargs' precedence, as in its own
            unknown = (
                self.unknown
                if self.unknown != _WEBARGS_DEFAULT_UNKNOWN
                else self.DEFAULT_UNKNOWN_BY_LOCATION.get(location)
            )
        if unknown and unknown != schema.unknown:
            return super()._process_location_data(
                location_data, schema, req, location, unknown, validators
            )
        data = loader(self.pre_load(location_data, schema=schema, req=req, location=location))
        self._validate_arguments(data, validators)
        return data

    def _loader(self, schema: Any) -> Callable[[Any], Any] | None:
        loader = self._loaders.get(schema)
        if loader is None:
            if self._schemas.get(type(schema)) is not schema:
                return None  # a schema built for this request (a dict argmap...)
            loader = self._loaders.setdefault(schema, compiled(schema))
        return loader

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return webargs_core.missing
        return safe_json_loads(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        reason = getattr(error, "msg", None) or "not UTF-8"
        webargs_abort(400, exc=error, messages={"json": [f"Invalid JSON body: {reason}."]})

    def load_json(self, req: Any, schema: Any) -> Any:
        data = super().load_json(req, schema)
        # A NUL or a surrogate can only reach the parsed JSON through a \u escape: raw,
        # JSON refuses control characters in strings and strict UTF-8 refuses encoded
        # surrogates. A body without one needs no walk (issue 13: 3% of POST /intakes).
        if data is not webargs_core.missing and b"\\u" in req.get_data(cache=True):
            errors = bad_text_errors(data)
            if errors:
                webargs_abort(422, exc=ValidationError(errors), messages={"json": errors})
        return data


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the SafeParser: every service's API uses it."""

    ARGUMENTS_PARSER = SafeParser()
