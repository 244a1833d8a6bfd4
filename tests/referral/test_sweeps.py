"""The beat sweeps against the real database and broker, at frozen moments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from inscope_referral import referrals, sweeps
from inscope_referral.models import Referral
from tests.referral.conftest import events_of, notification, token_of
from tests.services.conftest import example

pytestmark = pytest.mark.usefixtures("database_backend")


def row(rt, referral_id) -> Referral:
    with rt.session_factory() as session:
        return session.get(Referral, referral_id)


def reminders(redis_client):
    return events_of(redis_client, "inscope.notify", "referral.reminder_due.v1")


def test_two_reminders_a_week_apart_then_overdue(app, rt, flow, redis_client):
    who, ref = flow.referred_client()
    flow.deliver(notification(who, ref["referral_id"], "sent"))
    out = row(rt, ref["referral_id"]).delivered_at
    week = timedelta(days=7)

    assert sweeps.send_due_follow_ups(rt, out + week - timedelta(minutes=1)) == {
        "reminders": 0,
        "overdue": 0,
    }
    assert sweeps.send_due_follow_ups(rt, out + week) == {"reminders": 1, "overdue": 0}
    # The same moment swept twice (two beat ticks, a slow worker): still one reminder.
    assert sweeps.send_due_follow_ups(rt, out + week) == {"reminders": 0, "overdue": 0}
    [first] = reminders(redis_client)
    assert first["data"]["reminder_number"] == 1
    assert first["data"]["referral_id"] == ref["referral_id"]
    assert first["data"]["decision_id"] == flow.decided()[-1]["data"]["decision_id"]
    assert first["correlationid"] == flow.decided()[-1]["correlationid"]
    claim = referrals.claim_of(rt, token_of(first["data"]["answer_url"]))
    assert claim.referral_id == ref["referral_id"]

    assert sweeps.send_due_follow_ups(rt, out + 2 * week - timedelta(minutes=1))["reminders"] == 0
    assert sweeps.send_due_follow_ups(rt, out + 2 * week) == {"reminders": 1, "overdue": 0}
    assert [e["data"]["reminder_number"] for e in reminders(redis_client)] == [1, 2]
    assert row(rt, ref["referral_id"]).status == "delivered"

    assert sweeps.send_due_follow_ups(rt, out + 3 * week - timedelta(minutes=1)) == {
        "reminders": 0,
        "overdue": 0,
    }
    assert sweeps.send_due_follow_ups(rt, out + 3 * week) == {"reminders": 0, "overdue": 1}
    overdue = row(rt, ref["referral_id"])
    assert overdue.status == "overdue" and overdue.overdue_at == out + 3 * week
    assert sweeps.send_due_follow_ups(rt, out + 30 * week) == {"reminders": 0, "overdue": 0}
    assert len(reminders(redis_client)) == 2, "never a third reminder"
    listed = app.test_client().get("/referrals?status=overdue").get_json()
    assert [r["id"] for r in listed] == [ref["referral_id"]]
    assert listed[0]["reminders_sent"] == 2

    # An overdue referral can still be answered through the link.
    page = app.test_client().get(f"/answer/{token_of(ref['answer_url'])}")
    assert page.status_code == 200
    assert row(rt, ref["referral_id"]).status == "overdue"


def test_a_letter_never_sent_is_not_chased(rt, flow, redis_client):
    who, ref = flow.referred_client()
    flow.deliver(notification(who, ref["referral_id"], "blocked", detail="no physician email"))
    needed_at = row(rt, ref["referral_id"]).needed_at
    assert sweeps.send_due_follow_ups(rt, needed_at + timedelta(days=60)) == {
        "reminders": 0,
        "overdue": 0,
    }
    assert reminders(redis_client) == []


def _answer(app, ref, answer="cleared"):
    import re

    client = app.test_client()
    token = token_of(ref["answer_url"])
    page = client.get(f"/answer/{token}").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)
    done = client.post(
        f"/answer/{token}",
        data={"form_key": key, "answer": answer, "answered_by": "Dr. Lee",
              "profession": "physician", "registration": "CPSO 12345"},
    )
    assert done.status_code == 200


def test_progress_report_twelve_weeks_after_a_clearance(app, rt, flow, redis_client):
    who, ref = flow.referred_client()  # assessment-1: pain, FMS total 12
    _answer(app, ref)
    flow.score(who, example("assessment-clear.json"), "a-2")  # re-assessed after clearance
    answered_at = row(rt, ref["referral_id"]).answered_at
    twelve_weeks = timedelta(weeks=12)

    assert (
        sweeps.send_due_progress_reports(rt, answered_at + twelve_weeks - timedelta(hours=1)) == 0
    )
    now = answered_at + twelve_weeks
    assert sweeps.send_due_progress_reports(rt, now) == 1
    assert sweeps.send_due_progress_reports(rt, now) == 0
    [report] = events_of(redis_client, "inscope.notify", "referral.progress_due.v1")
    data = report["data"]
    assert data["referral_id"] == ref["referral_id"]
    assert data["period_start"] == answered_at.isoformat()
    assert data["period_end"] == now.isoformat()
    assert data["attendance"] is None
    change = data["reassessment_changes"][0]
    assert (change["from_assessment_id"], change["to_assessment_id"]) == ("assessment-1", "a-2")
    assert change["fms_total"]["before"] == 12
    assert change["painful_patterns"]["no_longer_seen"] == ["shoulder_mobility"]
    assert data["current_phase"].startswith("corrective program of ")
    assert "inhibit -> lengthen -> activate -> integrate" in data["current_phase"]

    # The next one comes twelve weeks after this one, not before.
    assert sweeps.send_due_progress_reports(rt, now + twelve_weeks / 2) == 0
    assert sweeps.send_due_progress_reports(rt, now + twelve_weeks) == 1


def test_no_progress_report_for_a_client_who_was_not_cleared(app, rt, flow, redis_client):
    _who, ref = flow.referred_client()
    _answer(app, ref, answer="not_cleared")
    answered_at = row(rt, ref["referral_id"]).answered_at
    assert sweeps.send_due_progress_reports(rt, answered_at + timedelta(weeks=50)) == 0


def test_beat_schedules_both_sweeps_on_the_referral_queue(app, rt, flow, redis_client):
    celery_app = app.extensions["celery"]
    schedule = celery_app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        "referral.sweep_follow_ups",
        "referral.sweep_progress_reports",
    }
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks
        assert entry["schedule"] == rt.settings.sweep_interval_s
        assert entry["options"]["queue"] == "inscope.referral"
    # The task is thin: it sweeps at the real "now".
    who, ref = flow.referred_client()
    flow.deliver(notification(who, ref["referral_id"], "sent"))
    with rt.session_factory() as session, session.begin():
        referral = session.get(Referral, ref["referral_id"])
        referral.delivered_at = referral.sent_at = referral.delivered_at - timedelta(days=8)
    counts = celery_app.tasks["referral.sweep_follow_ups"].apply().get()
    assert counts == {"reminders": 1, "overdue": 0}
    assert celery_app.tasks["referral.sweep_progress_reports"].apply().get() == 0


def test_schedule_settings_come_from_the_environment(referral_env):
    from inscope_referral import create_app

    app = create_app(
        {
            **referral_env,
            "REFERRAL_SWEEP_INTERVAL": "60",
            "REFERRAL_REMINDER_DAYS": "3",
            "REFERRAL_MAX_REMINDERS": "1",
            "REFERRAL_PROGRESS_WEEKS": "4",
            "REFERRAL_TOKEN_MAX_AGE_DAYS": "10",
        }
    )
    settings = app.extensions["inscope"].settings
    assert (settings.reminder_days, settings.max_reminders, settings.progress_weeks) == (3, 1, 4)
    assert settings.token_max_age_s == 10 * 86400
    entries = app.extensions["celery"].conf.beat_schedule.values()
    assert {e["schedule"] for e in entries} == {60.0}
    app.extensions["inscope"].engine.dispose()


def test_a_reminder_already_sent_by_an_overlapping_sweep_is_not_sent_again(rt, flow, redis_client):
    who, ref = flow.referred_client()
    flow.deliver(notification(who, ref["referral_id"], "sent"))
    now = row(rt, ref["referral_id"]).delivered_at + timedelta(days=7)
    # Two sweeps both saw the referral as due; the second re-checks under the row lock.
    assert sweeps._follow_up(rt, ref["referral_id"], now, timedelta(days=7)) == "reminders"
    assert sweeps._follow_up(rt, ref["referral_id"], now, timedelta(days=7)) is None
    assert len(reminders(redis_client)) == 1


def test_the_progress_report_contains_the_trend(app, rt, flow, redis_client):
    """Issue 9 item 4: the report to the physician carries the re-assessment trend (every
    scored assessment in figures), and the PDF they receive says it in words."""
    import io

    from pypdf import PdfReader

    from inscope_notify.config import load_notify_settings, load_settings
    from inscope_notify.messages import plan_progress
    from inscope_notify.pdf import render_pdf
    from tests.notify.scenarios import contact

    who, ref = flow.referred_client()  # assessment-1: pain on shoulder clearing, total 12
    _answer(app, ref)
    flow.score(who, example("assessment-clear.json"), "a-2")  # total 13
    now = row(rt, ref["referral_id"]).answered_at + timedelta(weeks=12)
    assert sweeps.send_due_progress_reports(rt, now) == 1
    [report] = events_of(redis_client, "inscope.notify", "referral.progress_due.v1")
    trend = {c["measure"]: c for c in report["data"]["reassessment_changes"] if "measure" in c}
    total = trend["Movement screen total, out of 21"]
    assert total["before"].startswith("12 (") and total["after"].startswith("13 (")
    assert "Left-right differences" in trend and "Overhead squat compensations" in trend

    setup = load_notify_settings(load_settings({}), {}).setup
    [email] = plan_progress(report["data"], contact("in scope"), setup, now.date())
    reader = PdfReader(io.BytesIO(render_pdf(email.letter)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert f"Movement screen total, out of 21: {total['before']} then {total['after']}." in text
    assert "Shoulder mobility score, out of 3:" in text
    from inscope_notify.mail import render
    from inscope_notify.service import guard

    assert guard(render(email.template, email.context), email) == []  # the scope guard


def test_a_sweep_reads_the_referrals_a_batch_at_a_time(rt, flow, redis_client):
    """Memory stays bounded: no read of the sweep returns more than a batch, and every
    referral is still considered once (5 referrals, batches of 2: reads of 2, 2, 1)."""
    from sqlalchemy import event

    ids = []
    for _ in range(5):
        who, ref = flow.referred_client()
        flow.deliver(notification(who, ref["referral_id"], "sent"))
        ids.append(ref["referral_id"])
    out = max(row(rt, i).delivered_at for i in ids)
    reads: list[tuple[str, Any]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        text = statement.upper()
        if text.lstrip().startswith("SELECT") and "LIMIT" in text and "FROM REFERRALS" in text:
            reads.append((statement, parameters))

    batches = list(sweeps.clock_batches(
        rt, sweeps._FOLLOW_UP_COLUMNS, Referral.status == "delivered", sweeps._follow_up_clock, 2
    ))  # fmt: skip
    assert [len(b) for b in batches] == [2, 2, 1]
    assert sorted(c.referral_id for b in batches for c in b) == sorted(ids)

    event.listen(rt.engine, "before_cursor_execute", seen)
    try:
        counts = sweeps.send_due_follow_ups(rt, out + timedelta(days=7), batch=2)
    finally:
        event.remove(rt.engine, "before_cursor_execute", seen)
    assert counts == {"reminders": 5, "overdue": 0}
    assert len(reads) == 3, [s for s, _ in reads]  # three batch reads, no read of all
    assert len(reminders(redis_client)) == 5
