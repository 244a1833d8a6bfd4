"""The physician loop: the answer relayed to client and trainer, reminders repeating the
letter with its link, progress reports; none sent twice."""

from __future__ import annotations

import pytest

from tests.conftest import make_event, sqlite_only
from tests.notify.conftest import (
    by_recipient,
    consume,
    decided,
    deliveries,
    pdf_of,
    sent_events,
    text_of,
)
from tests.services.conftest import example

database_backend = sqlite_only("what the physician loop sends and when")

CLIENT = "dana.rivera@example.com"
PHYSICIAN = "p.shah@lakeside-clinic.example"
STAFF = "trainers@inscope-studio.example"
NEW_LINK = "http://127.0.0.1:5103/referrals/answer/second-token"


def _event(event_type, created, **data):
    return make_event(
        event_type,
        source="/inscope/referral",
        subject=created["client_id"],
        data={"intake_id": created["id"], "client_id": created["client_id"], **data},
    )


def _answered(created, answer, restrictions=None):
    return _event(
        "referral.answered.v1",
        created,
        referral_id="referral-1",
        answer=answer,
        restrictions=restrictions,
        answered_at="2026-12-01T10:00:00+00:00",
        answered_by="Dr. Priya Shah",
    )


def test_a_restricted_clearance_reaches_client_and_trainer(notify, submit, smtp_sink):
    created = submit()
    restrictions = {
        "max_intensity": "moderate",
        "avoid_movements": ["overhead_pressing"],  # the answer form's tag (DEC-7)
        "notes": "Follows a rotator cuff repair; progress slowly.",
    }
    event = _answered(created, "cleared_with_restrictions", restrictions)
    assert consume(notify, event) == "processed"
    assert consume(notify, event) == "duplicate"

    mails = by_recipient(smtp_sink)
    assert sorted(mails) == [CLIENT, STAFF]
    client = " ".join(text_of(mails[CLIENT]).split())
    assert "Dr. Priya Shah has cleared you for exercise, with some limits." in client
    assert "Highest exercise intensity for now: moderate." in client
    assert "- Overhead pressing" in client and "overhead_pressing" not in client
    assert "Your trainer will build your program within these limits." in client
    assert "rotator cuff" not in client  # the clinician's own words go to the trainer
    staff = " ".join(text_of(mails[STAFF]).split())
    assert "Answer: cleared with restrictions" in staff
    assert "Clinician's notes: Follows a rotator cuff repair; progress slowly." in staff
    assert "Dana Rivera" in staff and "Dana" not in mails[STAFF]["Subject"]
    # Both sent (their rows say so), and neither moves a referral: nothing reported.
    rows = deliveries(notify, created["client_id"])
    assert {(d["role"], d["status"]) for d in rows} >= {("client", "sent"), ("trainer", "sent")}
    assert sent_events(notify) == []


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("cleared", "has cleared you for exercise."),
        ("not_cleared", "has not cleared you for exercise for now."),
        ("needs_visit", "would like to see you before giving an answer."),
    ],
)
def test_each_answer_is_said_plainly(notify, submit, smtp_sink, answer, said):
    created = submit()
    consume(notify, _answered(created, answer))
    assert said in " ".join(text_of(by_recipient(smtp_sink)[CLIENT]).split())


def test_a_clinicians_restriction_that_names_a_pathology_is_not_sent_to_the_client(
    notify, submit, smtp_sink
):
    created = submit()
    restrictions = {"avoid_movements": ["anything loading the torn rotator cuff"]}
    consume(notify, _answered(created, "cleared_with_restrictions", restrictions))
    assert list(by_recipient(smtp_sink)) == [STAFF]
    [row] = [d for d in deliveries(notify, created["client_id"]) if d["kind"] == "client_answer"]
    assert row["status"] == "blocked" and "rotator-cuff" in row["blocked_reason"]


def test_a_reminder_repeats_the_letter_with_its_number_and_link(notify, submit, smtp_sink):
    created = submit()
    decision = decided(created, example("assessment-pain.json"))
    referral = decision["data"]["referral"]
    reminder = _event(
        "referral.reminder_due.v1",
        created,
        referral_id=referral["referral_id"],
        decision_id=decision["data"]["decision_id"],
        reminder_number=2,
        answer_url=NEW_LINK,
        target=referral["target"],
        urgency=referral["urgency"],
    )
    consume(notify, decision)
    assert consume(notify, reminder) == "processed"
    assert consume(notify, reminder) == "duplicate"
    notify.extensions["notifier"].on_reminder_due(None, reminder)

    letters = [m for m in smtp_sink.messages if str(m["To"]) == PHYSICIAN]
    assert len(letters) == 2
    sent = letters[1]
    assert sent["Subject"] == "Reminder 2: referral request from InScope Corrective Exercise Studio"
    assert sent["Message-ID"] == f"<{reminder['id']}.physician@inscope.local>"
    text = " ".join(text_of(sent).split())
    assert text.startswith("*** REMINDER 2: we have not yet received your answer")
    assert NEW_LINK in text
    _, pdf_text = pdf_of(sent)
    assert "REMINDER 2" in pdf_text and "pain was reproduced during the movement screen" in pdf_text
    [row] = [
        d for d in deliveries(notify, created["client_id"]) if d["kind"] == "physician_reminder"
    ]
    assert (row["status"], row["referral_id"]) == ("sent", referral["referral_id"])


def test_a_reminder_for_a_referral_not_seen_yet_is_retried(make_notify, submit, smtp_sink):
    notify = make_notify(INSCOPE_MAX_RETRIES="1")
    created = submit()
    reminder = _event(
        "referral.reminder_due.v1",
        created,
        referral_id="unknown",
        decision_id="d",
        reminder_number=1,
        answer_url=NEW_LINK,
        target="physician",
        urgency="routine",
    )
    assert consume(notify, reminder) == "dead_lettered"  # after its retries, for replay
    assert smtp_sink.messages == []


def test_a_progress_report_goes_to_the_physician_with_facts_only(notify, submit, smtp_sink):
    created = submit()
    progress = _event(
        "referral.progress_due.v1",
        created,
        referral_id="referral-1",
        period_start="2026-09-01",
        period_end="2026-11-24",
        attendance={"attended": 20, "planned": 24},
        reassessment_changes=[{"test": "deep_squat", "before": 1, "after": 2}],
        current_phase="activate",
    )
    assert consume(notify, progress) == "processed"
    [report] = smtp_sink.messages
    assert str(report["To"]) == PHYSICIAN
    assert report["Subject"] == "Progress report from InScope Corrective Exercise Studio"
    _, pdf_text = pdf_of(report)
    for expected in (
        "Progress report",
        "Dana Rivera",
        "From 2026-09-01 to 2026-11-24.",
        "Attended 20 of 24 planned sessions.",
        "Deep squat: 1 then 2.",
        "Activate, within the limits you set.",
    ):
        assert expected in pdf_text, expected
    assert [(e["data"]["kind"], e["data"]["status"]) for e in sent_events(notify)] == [
        ("physician_progress", "sent")
    ]


def test_no_progress_report_without_consent_to_share(notify, submit, smtp_sink):
    def withhold(body):
        body["intake"]["consent"]["share_with_physician"] = False

    created = submit(withhold)
    progress = _event(
        "referral.progress_due.v1",
        created,
        referral_id="referral-1",
        period_start="2026-09-01",
        period_end="2026-11-24",
    )
    consume(notify, progress)
    assert smtp_sink.messages == []
    [row] = deliveries(notify, created["client_id"])
    assert (row["status"], row["blocked_reason"]) == ("blocked", "no consent to share")


def test_the_letter_the_client_carries_holds_the_carried_link_not_the_clinicians(
    notify, submit, smtp_sink
):
    """Issue 9 item 3: an answer through the client's copy must be told apart (it waits
    for staff verification), so that copy never carries the clinician's own link."""
    from tests.notify.conftest import ANSWER_URL, decided, pdf_of

    def withhold(body):
        body["intake"]["consent"]["share_with_physician"] = False

    created = submit(withhold)
    event = decided(created, example("assessment-pain.json"))
    carried = "http://127.0.0.1:5103/answer/carried-token"
    event["data"]["referral"]["carried_answer_url"] = carried
    consume(notify, event)
    [message] = smtp_sink.messages  # the client's email, with the letter to carry
    _, text = pdf_of(message)
    assert carried.replace(" ", "") in text.replace(" ", "")
    assert ANSWER_URL not in text.replace(" ", "")


def test_the_answer_reaches_the_client_signed_by_the_letter_signer(notify, submit, smtp_sink):
    """The trainer who assessed signed the letter; the clinician's answer relayed to the
    client comes from the same trainer (the kept decision's signed_by)."""
    created = submit()
    signer = {
        "account_id": "acc-jordan",
        "name": "Jordan Lee",
        "credential": "NASM CPT, CES",
        "registration": "NASM-445566",
        "basis": "assessed",
    }
    first = decided(created, example("assessment-pain.json"), signed_by=signer)
    assert consume(notify, first) == "processed"
    referral_id = first["data"]["referral"]["referral_id"]
    smtp_sink.messages.clear()
    answered = _event(
        "referral.answered.v1",
        created,
        referral_id=referral_id,
        answer="cleared",
        restrictions=None,
        answered_at="2026-12-01T10:00:00+00:00",
        answered_by="Dr. Priya Shah",
    )
    assert consume(notify, answered) == "processed"
    text = " ".join(text_of(by_recipient(smtp_sink)[CLIENT]).split())
    assert "Jordan Lee, NASM CPT, CES (registration NASM-445566)" in text
    assert "Alex Morgan" not in text
