"""A worker process SIGKILLed in the middle of a task: the task runs again (acks_late
with reject_on_worker_lost) and its effect happens once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inscope_common.config import queue_for
from inscope_common.events import consume_task_name
from tests.conftest import make_event
from tests.services.test_redelivery import _intake_event

pytestmark = pytest.mark.slow  # fault injection: make test, not make test-fast


def _wait(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _scored_event(intake):
    import copy

    from inscope_clinical import score_assessment
    from inscope_clinical.schemas import AssessmentSchema
    from tests.services.conftest import example

    data = intake["data"]
    loaded = AssessmentSchema().load(copy.deepcopy(example("assessment-clear.json")))
    return make_event(
        "assessment.scored.v1",
        source="/inscope/assessment",
        subject=data["client_id"],
        data={
            "intake_id": data["intake_id"],
            "client_id": data["client_id"],
            "assessment_id": "assessment-r",
            "assessment": loaded,
            "scoring": score_assessment(loaded),
        },
    )


def _start_worker(env, log, pool="prefork"):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "inscope_referral.worker",
            "worker",
            "--queues",
            queue_for("referral"),
            "--pool",
            pool,
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


def _stop(worker):
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


# The referral worker runs threads in `make run` (WORKER_POOLS): one process, killed whole.
# Each pool once, not each pool on each engine (every run waits out the visibility
# timeout and kombu's 10 s scan): prefork on SQLite, threads as deployed, on PostgreSQL
# when the run has one. The other kills here run on both engines.
PAIRS = [
    ("sqlite", "prefork"),
    ("postgresql" if os.environ.get("TEST_POSTGRES_URL") else "sqlite", "threads"),
]


@pytest.mark.parametrize(("database_backend", "pool"), PAIRS, indirect=["database_backend"])
def test_a_message_held_by_a_sigkilled_worker_parent_comes_back_within_the_timeout(
    tmp_path, service_env, referral_app, pool
):
    """The whole worker (parent and pool child) SIGKILLed while it holds a message: no
    ack, no reject. Another worker gets the message once the visibility timeout has
    passed (kombu scans every 10 s), so the timeout must be short: here 5 s."""
    from inscope_referral.models import Decision

    hold = tmp_path / "hold"
    hold.write_text("hold the first delivery until killed")
    env = {
        **os.environ,
        **service_env,
        "INSCOPE_FAULT_HOLD_FILE": str(hold),
        "INSCOPE_VISIBILITY_TIMEOUT": "5",
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed in finally
    first = _start_worker(env, log, pool)
    second = None
    try:
        event = _intake_event(client_id="client-parent", intake_id="intake-parent")
        referral_app.extensions["celery"].send_task(
            consume_task_name("referral"), args=[event], queue=queue_for("referral")
        )
        _wait(Path(str(hold) + ".pid").exists, 60, "the task to start")
        os.killpg(first.pid, signal.SIGKILL)  # parent and child at once
        first.wait()
        killed_at = time.monotonic()
        hold.unlink()  # the next delivery runs through
        second = _start_worker(env, log, pool)
        rt = referral_app.extensions["inscope"]

        def decided() -> int:
            with rt.session_factory() as session:
                return session.scalar(select(func.count()).select_from(Decision))

        _wait(lambda: decided() == 1, 90, "the message to come back")
        # 5 s timeout + a 10 s scan + the new worker's start-up on a loaded machine.
        assert time.monotonic() - killed_at < 60
        time.sleep(1.0)
        assert decided() == 1
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                _stop(worker)
        log.close()


def test_a_failing_event_waits_in_the_database_not_in_the_broker(
    tmp_path, service_env, referral_app, redis_client
):
    """A real worker whose handler fails (an assessment before its intake): the retry is
    a row in scheduled_retries, the broker holds nothing; the relay sends it back when
    due, and it succeeds once the intake is known."""
    from inscope_referral.models import Decision, platform

    env = {**os.environ, **service_env, "INSCOPE_RETRY_BACKOFF_BASE": "0.2"}
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed in finally
    worker = _start_worker(env, log)
    rt = referral_app.extensions["inscope"]
    celery = referral_app.extensions["celery"]
    try:
        intake = _intake_event(client_id="client-r", intake_id="intake-r")
        scored = _scored_event(intake)
        celery.send_task(consume_task_name("referral"), args=[scored], queue=queue_for("referral"))

        def waiting() -> int:
            with rt.session_factory() as session:
                return session.scalar(select(func.count()).select_from(platform.ScheduledRetry))

        _wait(lambda: waiting() == 1, 60, "the retry to be scheduled")
        time.sleep(0.5)
        assert redis_client.hlen("unacked") == 0  # nothing parked in the broker
        assert redis_client.llen(queue_for("referral")) == 0
        celery.send_task(consume_task_name("referral"), args=[intake], queue=queue_for("referral"))

        def decisions() -> int:
            with rt.session_factory() as session:
                return session.scalar(select(func.count()).select_from(Decision))

        _wait(lambda: decisions() == 1, 60, "the screening decision")
        deadline = time.monotonic() + 60
        while decisions() < 2 and time.monotonic() < deadline:
            rt.relay.publish_due_retries()
            time.sleep(0.2)
        assert decisions() == 2 and waiting() == 0
    finally:
        _stop(worker)
        log.close()


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
