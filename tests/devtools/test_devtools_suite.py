"""The suite's settings, process table and banner, and its embedded parts run for real."""

from __future__ import annotations

import signal
import smtplib
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest
import redis

from inscope_common.devtools.broker import is_serving
from inscope_common.devtools.suite import SuiteSettings, banner, main, suite_processes

from .helpers import alive, free_port, wait_for

WEB = ["intake-web", "assessment-web", "referral-web", "notify-web"]
WORKERS = [
    "intake-worker", "assessment-worker", "referral-worker", "notify-worker", "notify-worker-2"
]  # fmt: skip
BACKGROUND = ["intake-relay", "assessment-relay", "referral-relay", "notify-relay", "referral-beat"]


def table(env: dict[str, str]) -> dict[str, list[str]]:
    return {p.name: p.argv for p in suite_processes(SuiteSettings.from_env(env))}


def test_defaults_start_broker_and_mail_catcher_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = SuiteSettings.from_env({})
    assert settings.data_dir == tmp_path / "var"
    # The embedded broker requires a password, new on every start, carried by REDIS_URL.
    password = settings.broker_password
    assert len(password) >= 32 and SuiteSettings.from_env({}).broker_password != password
    assert settings.redis_url == f"redis://:{password}@127.0.0.1:6390/0"
    assert settings.smtp_url == "smtp://127.0.0.1:2525"
    processes = suite_processes(settings)
    assert [p.name for p in processes] == ["broker", "mail", *WEB, *WORKERS, *BACKGROUND]
    broker, mail = processes[0].argv, processes[1].argv
    assert broker[broker.index("--port") + 1] == "6390"
    assert broker[broker.index("--requirepass") + 1] == password
    assert broker[broker.index("--dir") + 1] == str(tmp_path / "var" / "broker")
    assert mail[1:] == [
        "-m", "inscope_common.devtools.mailcatcher",
        "--smtp-port", "2525", "--http-port", "8025", "--dir", str(tmp_path / "var" / "mail"),
    ]  # fmt: skip
    # Infrastructure is waited for before the services start.
    assert processes[0].ready is not None and processes[1].ready == "http://127.0.0.1:8025/"


def test_service_commands_are_the_agreed_ones() -> None:
    commands = table({"INSCOPE_DATA_DIR": "/tmp/inscope-x"})
    web = commands["intake-web"]
    assert web[:11] == [
        sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:5101",
        "--workers", "1", "--threads", "8", "--log-level", "warning",
    ]  # fmt: skip
    assert web[-1] == "inscope_intake:create_app()"
    assert commands["notify-web"][4] == "127.0.0.1:5104"
    # The referral web holds pages' GET /clients/<id>/status?wait= requests (32 of them,
    # REFERRAL_STATUS_WAITERS): 32 threads more than the others.
    referral = commands["referral-web"]
    assert referral[referral.index("--threads") + 1] == "40"
    settings = SuiteSettings.from_env({"INSCOPE_DATA_DIR": "/tmp/inscope-x"})
    envs = {p.name: p.env or {} for p in suite_processes(settings)}
    assert envs["referral-web"]["REFERRAL_STATUS_WAITERS"] == "32"
    assert "REFERRAL_STATUS_WAITERS" not in envs["intake-web"]
    assert commands["assessment-worker"] == [
        sys.executable, "-m", "celery", "-A", "inscope_assessment.worker", "--quiet", "worker",
        "--queues", "inscope.assessment", "--pool", "solo", "--concurrency", "1",
        "--hostname", "assessment@%h", "--without-gossip", "--without-mingle",
        "--without-heartbeat",
    ]  # fmt: skip
    # Notify runs two worker processes of one thread each (CPU-bound PDFs on both cores,
    # no prefork IPC), consuming the same queue under node names of their own.
    for name, node in (("notify-worker", "notify@%h"), ("notify-worker-2", "notify2@%h")):
        notify = commands[name]
        assert notify[notify.index("--queues") + 1] == "inscope.notify"
        assert notify[notify.index("--pool") + 1] == "threads"
        assert notify[notify.index("--concurrency") + 1] == "1"
        assert notify[notify.index("--hostname") + 1] == node
    # Each worker and relay serves /metrics on a port of its own; the second notify
    # worker's comes after the relays'.
    ports = {
        p.name: int((p.env or {})["INSCOPE_METRICS_PORT"])
        for p in suite_processes(settings) if p.name.endswith(("-worker", "-worker-2", "-relay"))
    }  # fmt: skip
    assert ports["intake-worker"] == 5201 and ports["notify-worker"] == 5204
    assert ports["intake-relay"] == 5205 and ports["notify-worker-2"] == 5209
    assert sorted(ports.values()) == list(range(5201, 5210))
    assert commands["referral-relay"] == [sys.executable, "-m", "inscope_referral.cli", "relay"]


def test_given_urls_replace_the_embedded_broker_and_mail_catcher() -> None:
    env = {"REDIS_URL": "redis://redis.local:6379/3", "SMTP_URL": "smtp://relay.local:587"}
    settings = SuiteSettings.from_env(env)
    processes = suite_processes(settings)
    assert [p.name for p in processes] == [*WEB, *WORKERS, *BACKGROUND]
    for proc in processes:
        assert proc.env is not None
        assert proc.env["REDIS_URL"] == "redis://redis.local:6379/3"
        assert proc.env["SMTP_URL"] == "smtp://relay.local:587"


def test_environment_of_each_process(tmp_path: Path) -> None:
    env = {
        "INSCOPE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "postgresql://shared/one",
        "INTAKE_DATABASE_URL": "postgresql://db/intake",
        "SOMETHING_ELSE": "kept",
        "INSCOPE_BROKER_PASSWORD": "fixed-broker-password",
    }
    by_name = {p.name: p.env for p in suite_processes(SuiteSettings.from_env(env))}
    for name, proc_env in by_name.items():
        assert proc_env is not None
        assert proc_env["INSCOPE_DATA_DIR"] == str(tmp_path / "data")
        assert proc_env["REDIS_URL"] == "redis://:fixed-broker-password@127.0.0.1:6390/0"
        assert proc_env["SMTP_URL"] == "smtp://127.0.0.1:2525"
        assert proc_env["SOMETHING_ELSE"] == "kept"
        if name.startswith("intake-"):
            assert proc_env["DATABASE_URL"] == "postgresql://db/intake"
        else:
            assert "DATABASE_URL" not in proc_env, name


def test_logs_and_metrics_settings_of_each_process(tmp_path: Path) -> None:
    env = {"INSCOPE_DATA_DIR": str(tmp_path), "INSCOPE_WEB_BASE_PORT": "7101"}
    by_name = {p.name: p.env for p in suite_processes(SuiteSettings.from_env(env))}
    ports = []
    for name, proc_env in by_name.items():
        assert proc_env["INSCOPE_SUITE"] == "1" and proc_env["INSCOPE_LOG_FORMAT"] == "console"
        if name.endswith(("-web", "-worker", "-worker-2", "-relay")):
            assert proc_env["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "metrics" / name)
        if name.endswith(("-worker", "-worker-2", "-relay")):
            ports.append(int(proc_env["INSCOPE_METRICS_PORT"]))
    assert sorted(ports) == list(range(7201, 7210))  # web base + 100, one each
    json_env = {**env, "INSCOPE_LOG_FORMAT": "json"}
    assert all(
        p.env["INSCOPE_LOG_FORMAT"] == "json"
        for p in suite_processes(SuiteSettings.from_env(json_env))
    )


def test_a_port_clash_names_the_port_and_the_setting_that_moves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for key, value in {
            "INSCOPE_DATA_DIR": str(tmp_path),
            "INSCOPE_WEB_BASE_PORT": str(port - 2),
            "INSCOPE_BROKER_PORT": str(free_port()),
            "INSCOPE_MAIL_SMTP_PORT": str(free_port()),
            "INSCOPE_MAIL_HTTP_PORT": str(free_port()),
            "INSCOPE_METRICS_BASE_PORT": str(free_port()),
        }.items():
            monkeypatch.setenv(key, value)
        assert main([]) == 2
    err = capsys.readouterr().err
    assert f"port {port} (the referral API) is already in use" in err
    assert "set INSCOPE_WEB_BASE_PORT to move it" in err
    assert not (tmp_path / "metrics").exists()  # nothing was started


def test_ports_and_switches_are_overridable() -> None:
    env = {
        "INSCOPE_WEB_BASE_PORT": "7000",
        "INSCOPE_BROKER_PORT": "7390",
        "INSCOPE_MAIL_SMTP_PORT": "7525",
        "INSCOPE_MAIL_HTTP_PORT": "7025",
    }
    commands = table(env)
    assert commands["intake-web"][4] == "127.0.0.1:7000"
    assert commands["notify-web"][4] == "127.0.0.1:7003"
    assert commands["broker"][commands["broker"].index("--port") + 1] == "7390"
    assert "7525" in commands["mail"] and "7025" in commands["mail"]
    assert "broker" not in table({"INSCOPE_START_BROKER": "0", "REDIS_URL": "redis://x:1/0"})
    assert "mail" not in table({"INSCOPE_START_MAIL": "no", "SMTP_URL": "smtp://x:25"})


@pytest.mark.parametrize(
    "env, message",
    [
        ({"INSCOPE_START_BROKER": "0"}, "set REDIS_URL"),
        ({"INSCOPE_START_MAIL": "0"}, "set SMTP_URL"),
        ({"INSCOPE_BROKER_PORT": "sixty"}, "whole number"),
        ({"INSCOPE_START_MAIL": "maybe"}, "1 or 0"),
    ],
)
def test_contradictory_or_bad_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SuiteSettings.from_env(env)


def test_banner_says_where_everything_is_and_hides_passwords(tmp_path: Path) -> None:
    text = banner(SuiteSettings.from_env({"INSCOPE_DATA_DIR": str(tmp_path)}))
    assert "http://127.0.0.1:5101" in text and "http://127.0.0.1:5104" in text
    assert "http://127.0.0.1:8025/" in text
    assert str(tmp_path / "mail") in text
    assert "redis://:***@127.0.0.1:6390/0" in text

    external = {"REDIS_URL": "redis://:s3cret@redis:6379/0", "SMTP_URL": "smtp://u:pw@relay:587"}
    text = banner(SuiteSettings.from_env(external))
    assert "s3cret" not in text and "pw@" not in text
    assert "redis://:***@redis:6379/0" in text


def test_dry_run_prints_banner_and_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INSCOPE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SMTP_URL", raising=False)
    assert main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "InScope suite" in out
    assert "intake-web: " in out and "inscope_intake:create_app()" in out
    assert not (tmp_path / "var").exists()  # a dry run creates nothing


RUN_EMBEDDED = textwrap.dedent(
    """
    import sys
    from inscope_common.devtools.suite import SuiteSettings, suite_processes
    from inscope_common.devtools.supervisor import run
    settings = SuiteSettings.from_env()
    settings.make_folders()
    sys.exit(run([p for p in suite_processes(settings) if p.name in ("broker", "mail")]))
    """
)


def test_embedded_broker_and_mail_catcher_run_from_the_table_and_stop_cleanly(
    tmp_path: Path,
) -> None:
    broker_port, smtp_port, http_port = free_port(), free_port(), free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "INSCOPE_DATA_DIR": str(tmp_path / "var"),
        "INSCOPE_BROKER_PORT": str(broker_port),
        "INSCOPE_BROKER_PASSWORD": "broker-password-for-this-test-0123456789",
        "INSCOPE_MAIL_SMTP_PORT": str(smtp_port),
        "INSCOPE_MAIL_HTTP_PORT": str(http_port),
    }
    log_path = tmp_path / "suite.log"
    with log_path.open("wb") as log:
        suite = subprocess.Popen([sys.executable, "-c", RUN_EMBEDDED], env=env, stdout=log)
    try:
        wait_for(lambda: "all 2 processes started" in log_path.read_text(), what="start-up")
        children = psutil.Process(suite.pid).children(recursive=True)
        assert len(children) == 2
        # Without the password the broker answers nothing (requirepass).
        assert not is_serving(f"redis://127.0.0.1:{broker_port}/0")
        password = env["INSCOPE_BROKER_PASSWORD"]
        assert is_serving(f"redis://:{password}@127.0.0.1:{broker_port}/0")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.sendmail("a@example.org", ["b@example.org"], b"Subject: hi\r\n\r\nbody\r\n")
        client = redis.Redis(port=broker_port, password=password)
        client.rpush("kept", "1")
        client.close()
        suite.send_signal(signal.SIGTERM)
        assert suite.wait(timeout=20) == 0, log_path.read_text()
    finally:
        if suite.poll() is None:
            suite.kill()
            suite.wait()
    assert not any(alive(child.pid) for child in children)
    assert len(list((tmp_path / "var" / "mail").glob("*.eml"))) == 1
    assert (tmp_path / "var" / "broker" / "appendonlydir").is_dir()
    text = log_path.read_text()
    assert "mail catcher stopping on SIGTERM" in text
    assert "Valkey is now ready to exit" in text


def test_services_find_one_another_on_the_suites_ports() -> None:
    settings = SuiteSettings.from_env({"INSCOPE_WEB_BASE_PORT": "7000"})
    by_name = {p.name: p.env for p in suite_processes(settings)}
    worker_env = by_name["notify-worker"]
    assert worker_env is not None
    assert worker_env["INTAKE_URL"] == "http://127.0.0.1:7000"
    assert worker_env["NOTIFY_URL"] == "http://127.0.0.1:7003"
    given = SuiteSettings.from_env({"INTAKE_URL": "http://intake.internal:80"})
    given_env = {p.name: p.env for p in suite_processes(given)}["notify-worker"]
    assert given_env is not None and given_env["INTAKE_URL"] == "http://intake.internal:80"
