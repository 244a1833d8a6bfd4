"""A worker process SIGKILLed in the middle of a task: the task runs again (acks_late
with reject_on_worker_lost) and its effect happens once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from inscope_common.config import queue_for
from inscope_common.events import consume_task_name
from tests.services.test_redelivery import _intake_event


def _wait(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_reruns_the_task_and_decides_once(tmp_path, service_env, referral_app):
    from inscope_referral.models import Decision, platform

    hold = tmp_path / "hold"
    hold.write_text("hold the first delivery until killed")
    env = {**os.environ, **service_env, "INSCOPE_FAULT_HOLD_FILE": str(hold)}
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed in finally
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "inscope_referral.worker",
            "worker",
            "--queues",
            queue_for("referral"),
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        event = _intake_event(client_id="client-kill", intake_id="intake-kill")
        referral_app.extensions["celery"].send_task(
            consume_task_name("referral"), args=[event], queue=queue_for("referral")
        )
        marker = Path(str(hold) + ".pid")
        _wait(marker.exists, 60, "the task to start")
        time.sleep(0.2)
        child = int(marker.read_text())
        assert child != worker.pid  # the prefork pool process running the task
        os.kill(child, signal.SIGKILL)

        rt = referral_app.extensions["inscope"]

        def decisions() -> int:
            with rt.session_factory() as session:
                return session.scalar(select(func.count()).select_from(Decision))

        _wait(lambda: decisions() == 1, 60, "the rerun to decide")
        time.sleep(1.0)  # room for a wrong second effect to show up
        assert decisions() == 1
        with rt.session_factory() as session:
            processed = session.scalars(select(platform.ProcessedEvent.event_id)).all()
        assert processed == [event["id"]]
        log_text = (tmp_path / "worker.log").read_text(errors="replace")
        assert "WorkerLostError" in log_text or "SIGKILL" in log_text
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        log.close()
