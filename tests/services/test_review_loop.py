"""The staff review loop through the services (DEC-2, DEC-3; client-journey.md
needs_review): intake -> referral screens -> staff confirm or dismiss a flag on the
intake (a corrected version, audited) -> intake.corrected -> referral screens again ->
the new decision everywhere. Events go through their real Redis queues."""

from __future__ import annotations

from typing import Any

from inscope_common.audit import entries
from tests.services.test_intake_dates_and_corrections import Flow, body

WEIGHT_LOSS = "Lost 8 kg in two months without trying"
ON_PURPOSE = "Weight lost on purpose (diet with her GP); asked the client"


def flagged_intake(flow: Flow, notes: str) -> dict[str, Any]:
    doc = body()
    doc["intake"]["notes"] = notes
    created = flow.intake.post("/intakes", json=doc).get_json()
    flow.pump()
    return created


def review(flow: Flow, intake_id: str) -> dict[str, Any]:
    response = flow.trainer.get(f"/intakes/{intake_id}/review")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def decisions(flow: Flow, client_id: str) -> list[dict[str, Any]]:
    return flow.referral_app.test_client().get(f"/clients/{client_id}/decisions").get_json()


def test_confirming_a_free_text_flag_rescreens_with_the_structured_answer(
    intake_app, referral_app, redis_client
):
    flow = Flow(intake_app, referral_app, redis_client)
    created = flagged_intake(flow, WEIGHT_LOSS)
    state = review(flow, created["id"])
    assert state["screened"] and state["version"] == 1
    (item,) = state["needs_review"]
    assert item["kind"] == "free_text" and item["words"] == WEIGHT_LOSS
    assert item["flags"] == ["red_flags.unexplained_weight_loss"]
    assert flow.status(created["id"])["status"] == "clearance_needed"

    done = flow.trainer.post(f"/intakes/{created['id']}/review",
                             json={"key": item["key"], "action": "confirm"})
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["version"] == 2
    # The structured answer is set on the corrected version; the old one is kept.
    current = flow.intake.get(f"/intakes/{created['id']}").get_json()["intake"]
    assert current["red_flags"]["unexplained_weight_loss"] is True
    assert {e["by_name"] for e in current["review"]["confirmed"]} == {"Test trainer"}
    versions = flow.intake.get(f"/intakes/{created['id']}/corrections").get_json()
    assert versions[0]["intake"]["red_flags"] == {} or not any(
        versions[0]["intake"]["red_flags"].values())
    assert f"Confirmed flag '{WEIGHT_LOSS}'" in versions[0]["reason"]
    assert versions[0]["corrected_by_role"] == "trainer"

    assert flow.status(created["id"])["status"] == "screening_pending"
    flow.pump()  # intake.corrected -> referral screens version 2 -> status to intake
    status = flow.status(created["id"])
    assert status["version"] == 2 and status["status"] == "clearance_needed"
    latest = decisions(flow, created["client_id"])[-1]
    assert len(decisions(flow, created["client_id"])) == 2
    assert latest["urgency"] == "urgent"
    assert "review:free_text" not in latest["flags"]
    # Graded from the structured answer now, no longer from the words.
    graded = [r for r in latest["reasons"] if r["urgency"] == "urgent"]
    assert graded and all(r["rule"] != "SYS-7" for r in graded)
    first = decisions(flow, created["client_id"])[0]
    assert any(r["rule"] == "SYS-7" and r["urgency"] == "urgent" for r in first["reasons"])
    assert review(flow, created["id"])["needs_review"] == []

    from inscope_intake.models import AuditEntry

    audited = [(e["role"], e["action"], e["record"], e["record_id"])
               for e in entries(intake_app.extensions["inscope"].session_factory, AuditEntry)]
    assert ("trainer", "update", "review", item["key"]) in audited
    assert ("trainer", "correct", "intake", created["id"]) in audited


def test_dismissing_needs_a_reason_and_rescreens_without_the_words(
    intake_app, referral_app, redis_client
):
    from inscope_intake.models import AuditEntry

    flow = Flow(intake_app, referral_app, redis_client)
    created = flagged_intake(flow, WEIGHT_LOSS)
    (item,) = review(flow, created["id"])["needs_review"]
    url = f"/intakes/{created['id']}/review"
    for reason in (None, "", "   "):
        payload = {"key": item["key"], "action": "dismiss"}
        if reason is not None:
            payload["reason"] = reason
        refused = flow.trainer.post(url, json=payload)
        assert refused.status_code == 422, refused.get_json()
        assert "reason is required" in refused.get_json()["message"]
    assert flow.intake.get(f"/intakes/{created['id']}").get_json()["version"] == 1
    assert flow.trainer.post(url, json={"key": "g-000000000000", "action": "confirm"}
                             ).status_code == 409
    assert flow.trainer.post("/intakes/nope/review",
                             json={"key": item["key"], "action": "confirm"}).status_code == 404

    assert flow.intake.post(url, json={"key": item["key"], "action": "dismiss",
                                       "reason": "x"}).status_code == 403  # front desk
    done = flow.trainer.post(url, json={"key": item["key"], "action": "dismiss",
                                        "reason": ON_PURPOSE})
    assert done.status_code == 201, done.get_json()
    entry = done.get_json()["review"]
    assert (entry["by_role"], entry["by_name"]) == ("trainer", "Test trainer")
    assert entry["reason"] == ON_PURPOSE and entry["at"]
    # While version 2 is screened, nothing more can be reviewed on it.
    assert flow.trainer.post(url, json={"key": item["key"], "action": "confirm"}
                             ).status_code == 409
    flow.pump()
    current = flow.intake.get(f"/intakes/{created['id']}").get_json()["intake"]
    assert current["notes"] == WEIGHT_LOSS  # the words stay on record
    assert current["review"]["dismissed"][0]["reason"].startswith("Weight lost on purpose")
    state = review(flow, created["id"])
    assert state["needs_review"] == [] and state["dismissed"]
    # DEC-2 / client-journey: re-screened without the dismissed words.
    status = flow.status(created["id"])
    assert status["version"] == 2 and status["status"] == "awaiting_assessment"
    audited = [(e["role"], e["action"], e["record"])
               for e in entries(intake_app.extensions["inscope"].session_factory, AuditEntry)]
    assert ("trainer", "update", "review") in audited


def test_a_dismissed_contradiction_stays_conservative(intake_app, referral_app, redis_client):
    """DEC-3: the more serious answer is taken; a dismissal only stops the review."""
    flow = Flow(intake_app, referral_app, redis_client)
    doc = body()
    doc["intake"]["red_flags"] = {"chest_pain_12_to_72h": True}  # PAR-Q+ 2 says NO
    created = flow.intake.post("/intakes", json=doc).get_json()
    flow.pump()
    before = flow.status(created["id"])
    items = review(flow, created["id"])["needs_review"]
    assert {i["kind"] for i in items} == {"contradiction"}
    for n, item in enumerate(items, start=2):
        done = flow.trainer.post(f"/intakes/{created['id']}/review",
                                 json={"key": item["key"], "action": "dismiss",
                                       "reason": "client re-asked"})
        assert done.status_code == 201, done.get_json()
        flow.pump()
        assert flow.status(created["id"])["version"] == n
    after = flow.status(created["id"])
    assert (after["status"], after["urgency"]) == (before["status"], before["urgency"]) == (
        "clearance_needed", "urgent")
    assert review(flow, created["id"])["needs_review"] == []


def test_a_review_of_an_older_version_does_not_overwrite_a_newer_correction(intake_app):
    """The corrected document is built from the version read; if someone corrected the
    intake meanwhile, the write is refused instead of undoing their correction."""
    import pytest

    from inscope_common.audit import Actor
    from inscope_intake import service

    rt = intake_app.extensions["inscope"]
    created = intake_app.test_client(role="front_desk").post("/intakes", json=body()).get_json()
    doc = body()
    actor = Actor("t", "Test trainer", "trainer")
    with pytest.raises(service.VersionChanged):
        service.correct_intake(rt, created["id"], doc["client"], doc["intake"], actor, "x",
                               expected_version=2)
    row = service.correct_intake(rt, created["id"], doc["client"], doc["intake"], actor,
                                 "typo", expected_version=1)
    assert row.version == 2


SPANISH = "Tengo dolor en el pecho desde esta mañana y me falta el aire."


def test_notes_in_another_language_hold_the_client_until_staff_read_and_dismiss_them(
    intake_app, referral_app, redis_client
):
    """DEC-2 / SYS-8: words the screening does not read could say anything: on hold (no
    assessment, no training) until someone who reads them dismisses the flag saying what
    they say; there is nothing to confirm."""
    flow = Flow(intake_app, referral_app, redis_client)
    created = flagged_intake(flow, SPANISH)
    assert flow.status(created["id"])["status"] == "on_hold"
    (decided,) = decisions(flow, created["client_id"])
    assert decided["program_state"] == "hold_pending_unread_text"
    assert "blocked:assessment" in decided["flags"]
    (item,) = review(flow, created["id"])["needs_review"]
    assert (item["kind"], item["language"], item["words"]) == (
        "unread", "es", SPANISH.rstrip("."))
    url = f"/intakes/{created['id']}/review"
    refused = flow.trainer.post(url, json={"key": item["key"], "action": "confirm"})
    assert refused.status_code == 422 and "nothing to tick" in refused.get_json()["message"]

    said = "Read by Ana (Spanish): chest pain since this morning and short of breath"
    done = flow.trainer.post(url, json={"key": item["key"], "action": "dismiss",
                                        "reason": said})
    assert done.status_code == 201, done.get_json()
    flow.pump()
    assert flow.status(created["id"])["status"] == "awaiting_assessment"
    current = flow.intake.get(f"/intakes/{created['id']}").get_json()["intake"]
    assert current["notes"] == SPANISH and current["review"]["dismissed"][0]["reason"] == said
