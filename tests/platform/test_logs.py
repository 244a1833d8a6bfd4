"""Structured logs: JSON lines with the process's and the request's or task's ids, and
no name or contact detail of a client (inscope_common.logs)."""

from __future__ import annotations

import json

import pytest

from inscope_common.logs import bind, detect_role
from tests.services.conftest import example
from tests.services.test_redelivery import _intake_event


@pytest.fixture
def json_env(service_env):
    return {**service_env, "INSCOPE_LOG_FORMAT": "json"}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def phi_of(intake: dict) -> list[str]:
    client = intake["client"]
    return [client["first_name"], client["last_name"], client["email"], client["phone"],
            client["date_of_birth"]]  # fmt: skip


def test_a_request_logs_one_json_line_with_its_ids_and_no_phi(json_env, capsys):
    from inscope_intake import create_app

    app = create_app(json_env)
    body = example("intake.json")
    try:
        client = app.test_client()
        headers = {"X-Request-ID": "req-123", "X-Correlation-ID": "corr-9"}
        created = client.post("/intakes", json=body, headers=headers)
        assert created.status_code == 201
        assert created.headers["X-Request-ID"] == "req-123"
        intake_id = created.get_json()["id"]
        read = client.get(f"/intakes/{intake_id}")
        assert read.status_code == 200 and read.headers["X-Request-ID"] != "req-123"
    finally:
        app.extensions["inscope"].engine.dispose()
    err = capsys.readouterr().err
    lines = json_lines(err)
    post = next(line for line in lines if line.get("endpoint") == "/intakes")
    assert post["event"] == "request" and post["level"] == "info"
    assert post["service"] == "intake" and post["role"] in ("cli", "web")
    assert post["request_id"] == "req-123" and post["correlation_id"] == "corr-9"
    assert post["method"] == "POST" and post["status"] == 201
    assert post["timestamp"].endswith("Z") and post["duration_ms"] >= 0
    get = next(line for line in lines if line.get("endpoint") == "/intakes/<intake_id>")
    assert get["intake_id"] == intake_id and len(get["request_id"]) == 32  # generated
    for value in phi_of(body):
        assert value not in err, f"{value!r} was logged"


def test_a_handled_event_logs_its_ids_and_a_give_up_is_an_error(json_env, capsys):
    from inscope_referral import create_app

    app = create_app(json_env)
    task = app.extensions["celery"].tasks["referral.consume_event"]
    event = _intake_event(client_id="client-42", intake_id="intake-42")
    try:
        assert task.apply(args=[event]).get() == "processed"
        assert task.apply(args=[{"not": "an event"}]).get() == "dead_lettered"
    finally:
        app.extensions["inscope"].engine.dispose()
    lines = json_lines(capsys.readouterr().err)
    handled = next(line for line in lines if line["event"] == "event handled")
    assert handled["level"] == "info" and handled["outcome"] == "processed"
    assert handled["service"] == "referral" and handled["consumer"] == "referral"
    assert handled["event_id"] == event["id"]
    assert handled["correlation_id"] == event["correlationid"]
    assert handled["client_id"] == "client-42"
    assert handled["event_type"] == "intake.submitted.v1"
    gave_up = next(line for line in lines if line["event"].startswith("event given up"))
    assert gave_up["level"] == "error" and gave_up["outcome"] == "dead_lettered"


def test_only_identifiers_can_be_bound():
    with pytest.raises(ValueError, match="not a loggable identifier"):
        bind(email="dana@example.com")


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["/venv/bin/gunicorn", "--bind", "x", "inscope_intake:create_app()"], "web"),
        (["/venv/lib/site-packages/gunicorn/__main__.py", "--bind", "x"], "web"),
        (["/venv/bin/celery", "-A", "inscope_notify.worker", "worker"], "worker"),
        (["/venv/lib/site-packages/celery/__main__.py", "-A", "x", "--quiet", "beat"], "beat"),
        (["/venv/bin/inscope-intake", "relay"], "relay"),
        (["/venv/bin/inscope-referral", "accounts", "token", "a@b.c"], "cli"),
    ],
)
def test_the_role_comes_from_how_the_process_started(argv, role):
    assert detect_role(argv) == role


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_addresses_and_answer_tokens_never_reach_a_line(fmt, capsys):
    """Issue 12 item 9, defence in depth: an SMTP refusal quoting the address, a URL
    with an answer token, in a message, a field or a traceback."""
    import logging

    from inscope_common.logs import configure_logging, get_logger

    configure_logging("notify", fmt=fmt, role="worker")
    try:
        raise RuntimeError("550 5.1.1 <dana.rivera@example.com>: user unknown")
    except RuntimeError:
        logging.getLogger("inscope_notify.service").exception(
            "send to %s failed", "p.shah@lakeside-clinic.example"
        )
    get_logger("inscope").warning(
        "link", url="http://127.0.0.1:5103/answer/eyJyIjoicmVmLTEifQ.abc-DEF_123?x=1"
    )
    err = capsys.readouterr().err
    assert "user unknown" in err and "send to <email> failed" in err and "/answer/<token>" in err
    for secret in ("dana.rivera", "example.com", "p.shah", "eyJyIjoicmVmLTEifQ", "abc-DEF"):
        assert secret not in err, (secret, err)


def _console_event_dicts() -> list[dict]:
    """What reaches the console renderer: the level, logger, timestamp and event, the
    bound ids and the line's own fields, of every kind of value."""
    import sys

    values = ["plain", "two words", "a=b", 'say "hi"', "it's", "tab\there", "line\nbreak", "",
              "ünïcode", 0, 7, -1.5, None, True, False, ["a", 1], {"k": "v"}, ("t",)]  # fmt: skip
    dicts = []
    for i, value in enumerate(values):
        dicts.append({
            "event": "event handled" if i % 2 else value, "level": ["info", "warning",
            "error", "debug"][i % 4], "logger": "inscope_common.consumer",
            "timestamp": "01:02:03", "outcome": value, "client_id": "c-1", "zeta": i,
            "consumer": "assessment", "role": "worker", "service": "assessment",
        })  # fmt: skip
    dicts.append({"event": "no logger, no time", "level": "info", "x": "y"})
    dicts.append({"event": "named", "level": "info", "logger_name": "celery.worker"})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        dicts.append({"event": "failed", "level": "error", "exc_info": sys.exc_info()})
    dicts.append({"event": "with text", "level": "error", "exception": "Traceback: x"})
    dicts.append({"event": "with stack", "level": "info", "stack": "Stack (most recent)"})
    return dicts


def test_the_console_lines_are_structlogs_own_text():
    """Issue 13: the console renderer's uncoloured columns are plain f-strings, and its
    string check a regex; every line is still the text structlog's renderer gives."""
    import copy

    import structlog

    from inscope_common import logs

    ours = logs._plain_columns(
        structlog.dev.ConsoleRenderer(
            colors=False, pad_event_to=0, exception_formatter=structlog.dev.plain_traceback
        )
    )
    theirs = structlog.dev.ConsoleRenderer(
        colors=False, pad_event_to=0, exception_formatter=structlog.dev.plain_traceback
    )
    stock = type(theirs.columns[0].formatter)
    replaced = [c for c in ours.columns if type(c.formatter) is not stock]
    assert len(replaced) >= 4  # the key=value default, timestamp, event and loggers
    for event_dict in _console_event_dicts():
        expected = theirs(None, "info", copy.copy(event_dict))
        assert ours(None, "info", copy.copy(event_dict)) == expected, expected
