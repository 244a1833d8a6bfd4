"""Structured logs (structlog over the standard library's logging).

Every line carries the process's ``service`` and ``role`` (web, worker, relay, beat,
cli) and whatever is bound for the request or task at hand: ``request_id``,
``event_id``, ``event_type``, ``correlation_id``, ``client_id``. Those are identifiers
only: names, contact details and free text are never bound nor logged.

``INSCOPE_LOG_FORMAT=json`` (the default: deployment) writes one JSON object per line;
``console`` (what ``make run`` sets) writes readable ``key=value`` lines. Standard
library loggers (Celery, gunicorn, ours) go through the same formatter, so their lines
carry the same fields.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, merge_contextvars

# The fields a request or task may bind. Anything else passed to bind() is refused, so
# that a name or an email address cannot be bound by accident.
BINDABLE = frozenset(
    {
        "request_id",
        "event_id",
        "event_type",
        "correlation_id",
        "client_id",
        "intake_id",
        "referral_id",
        "delivery_id",
        "consumer",
        "task",
    }
)

# Third-party loggers whose INFO lines are start-up chatter, not operations.
QUIET_LOGGERS = (
    "celery",
    "kombu",
    "amqp",
    "gunicorn.error",
    "werkzeug",
    "urllib3",
    "mail.log",
    "alembic",
)

_process: dict[str, str] = {}
_HANDLER_NAME = "inscope"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test's capture, say), never to a
    stream closed since configuration."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


# Defence in depth (issue 12 item 9): whatever a message or an exception's text carries
# (an SMTP server's refusal quoting the address, a URL with an answer token), email
# addresses and answer-link tokens never reach a log line. Names cannot be recognised
# in text: the code logs identifiers only (BINDABLE), and the e2e test greps the suite's
# logs for every name the flow submitted.
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ANSWER_TOKEN = re.compile(r"(/answer/)[^/?#\s\"'<>]+")


def redact_text(text: str) -> str:
    return _ANSWER_TOKEN.sub(r"\1<token>", _EMAIL.sub("<email>", text))


def _redacting(renderer: Any) -> Any:
    """The renderer, then the redaction over the whole finished line (message, fields
    and any traceback alike)."""

    def render(logger: Any, name: str, event_dict: dict[str, Any]) -> Any:
        line = renderer(logger, name, event_dict)
        if isinstance(line, str) and ("@" in line or "/answer/" in line):
            return redact_text(line)
        return line

    return render


def _plain_columns(renderer: structlog.dev.ConsoleRenderer) -> structlog.dev.ConsoleRenderer:
    """The console renderer with each uncoloured key=value column as one f-string.
    structlog's column formatter writes every part of every field through a StringIO,
    styles and resets included (empty without colours): a third of a console line's
    CPU, and every consumed event and request logs a line (issue 13). Same text
    (tests/platform/test_logs.py compares it with structlog's own renderer)."""
    renderer.columns = [
        structlog.dev.Column(column.key, _plain_formatter(column.formatter, renderer))
        for column in renderer.columns
    ]
    return renderer


# The characters for which the console renderer shows a string value by its repr.
_NEEDS_REPR = re.compile("[ \t=\r\n\"']")


def _console_repr(value: object) -> str:
    """ConsoleRenderer._repr (repr_native_str off) without building a set of the
    value's characters for every string."""
    if isinstance(value, str):
        return repr(value) if _NEEDS_REPR.search(value) else value
    return repr(value)


def _plain_formatter(formatter: Any, renderer: structlog.dev.ConsoleRenderer) -> Any:
    """A KeyValueColumnFormatter without styles as a function giving the same text;
    any other formatter (the level's, a styled one) as it is."""
    if type(formatter) is not structlog.dev.KeyValueColumnFormatter or any(
        (formatter.key_style, formatter.value_style, formatter.reset_style)
    ):
        return formatter
    prefix, postfix = formatter.prefix, formatter.postfix
    value_repr, width = formatter.value_repr, formatter.width
    if value_repr == renderer._repr and not renderer._repr_native_str:  # noqa: SLF001
        value_repr = _console_repr
    if formatter.key_style is None:  # the value alone (timestamp, event, logger)

        def value_only(key: str, value: object) -> str:
            return f"{prefix}{value_repr(value).ljust(width)}{postfix}"

        return value_only

    def key_value(key: str, value: object) -> str:
        return f"{prefix}{key}={value_repr(value).ljust(width)}{postfix}"

    return key_value


def _add_process(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key, value in _process.items():
        event_dict.setdefault(key, value)
    return event_dict


def detect_role(argv: list[str] | None = None) -> str:
    """web, worker, beat, relay or cli, from how this process was started."""
    args = list(sys.argv if argv is None else argv)
    program = args[0].replace("\\", "/").split("/") if args else []
    if any(part.startswith("gunicorn") for part in program):
        return "web"
    if any(part.startswith("celery") for part in program):
        return "beat" if "beat" in args else "worker"
    if "relay" in args:
        return "relay"
    return "cli"


def configure_logging(
    service: str, *, fmt: str = "json", level: str = "INFO", role: str | None = None
) -> None:
    """Route every logger through one structlog formatter on stderr. Idempotent: a
    second call (another app in the same process) updates the fields and format."""
    _process.update(service=service, role=role or detect_role())
    shared: list[Any] = [
        merge_contextvars,
        _add_process,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso" if fmt == "json" else "%H:%M:%S", utc=True),
    ]
    if fmt == "json":
        renderer: Any = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = _plain_columns(
            structlog.dev.ConsoleRenderer(
                colors=False, pad_event_to=0, exception_formatter=structlog.dev.plain_traceback
            )
        )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    _redacting(renderer)],
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def set_role(role: str) -> None:
    _process["role"] = role


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - BINDABLE
    if unknown:
        raise ValueError(f"not a loggable identifier: {sorted(unknown)}")
    return {k: v for k, v in fields.items() if v is not None}


def bind(**fields: Any) -> None:
    """Bind identifiers for the rest of this request or task (see BINDABLE)."""
    bind_contextvars(**_checked(fields))


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Bind identifiers for the duration of a block (a task, an event)."""
    with bound_contextvars(**_checked(fields)):
        yield


def event_fields(event: Any) -> dict[str, Any]:
    """The identifiers of an event envelope worth binding (never its data)."""
    if not isinstance(event, Mapping):
        return {}
    return {
        "event_id": _text(event.get("id")),
        "event_type": _text(event.get("type")),
        "correlation_id": _text(event.get("correlationid")),
        "client_id": _text(event.get("subject")),
    }


def _text(value: Any) -> str | None:
    return str(value)[:100] if value else None
