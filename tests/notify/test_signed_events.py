"""Signed events (issue 12 item 6): the attack the review made, a forged
``referral.decided.v1`` pointing the physician's letter at a phishing site, reaches the
notify consumer and sends nothing; it lands in the dead letters with its reason, logged
at ERROR. Keys rotate: a ring verifies with every key it lists."""

from __future__ import annotations

import copy
import logging

import pytest
from sqlalchemy import select

from inscope_common.config import DEV_EVENT_KEYS
from inscope_common.events import EventKeys, SignatureError
from inscope_common.events.signing import KEY_ID, SIGNATURE, canonical_json
from tests.notify.conftest import by_recipient, consume_as_is, decided, deliveries
from tests.services.conftest import example

PHISHING = "https://inscope-answers.evil.test/referrals/answer/x"
ATTACKER = EventKeys.parse("dev:" + "m" * 40)  # our key id, the attacker's own secret


def _phishing_decision(submit) -> tuple[dict, dict]:
    """A genuine-looking decision for a real client whose letter links to PHISHING."""
    created = submit()
    event = decided(created, example("assessment-pain.json"))
    event["data"]["referral"]["answer_url"] = PHISHING
    return created, event


def _unsigned(event: dict) -> dict:
    return {k: v for k, v in event.items() if k not in (SIGNATURE, KEY_ID)}


def _dead_letters(app) -> list:
    from inscope_notify.models import platform

    with app.extensions["inscope"].session_factory() as session:
        return session.scalars(select(platform.DeadLetter)).all()


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (_unsigned, "unsigned event"),
        (ATTACKER.sign, "signature does not match the content for key id 'dev'"),
        (EventKeys.parse("evil:" + "m" * 40).sign, "unknown key id 'evil'"),
    ],
    ids=["unsigned", "attackers-key", "unknown-key-id"],
)
def test_a_forged_decision_with_an_attackers_answer_link_sends_no_email(
    notify, submit, smtp_sink, caplog, forge, reason
):
    created, event = _phishing_decision(submit)
    with caplog.at_level(logging.ERROR):
        assert consume_as_is(notify, forge(event)) == "dead_lettered"
    assert smtp_sink.messages == []
    assert deliveries(notify, created["client_id"]) == []
    [letter] = _dead_letters(notify)
    assert letter.event_type == "referral.decided.v1" and letter.attempts == 1
    assert letter.error.startswith("refused, not signed by us:") and reason in letter.error
    logged = [r.msg for r in caplog.records if r.levelno == logging.ERROR]
    assert [line["event"] for line in logged] == ["event given up: stored as a dead letter"]
    assert reason in logged[0]["error"] and logged[0]["event_type"] == "referral.decided.v1"


def test_a_genuine_decision_altered_in_transit_is_refused(notify, submit, smtp_sink):
    """Signed with our own key, then its link swapped: the signature no longer fits."""
    created = submit()
    genuine = decided(created, example("assessment-pain.json"))
    altered = copy.deepcopy(genuine)
    altered["data"]["referral"]["answer_url"] = PHISHING
    assert consume_as_is(notify, altered) == "dead_lettered"
    assert smtp_sink.messages == []
    assert "forged or altered" in _dead_letters(notify)[0].error
    # The same decision as signed goes out: the refusal was the signature, nothing else.
    assert consume_as_is(notify, genuine) == "processed"
    assert by_recipient(smtp_sink)


def test_a_rotated_ring_verifies_old_and_new_keys_and_signs_with_the_first(make_notify, submit):
    """Rotation: add the new key second everywhere, then move it first; events signed
    with the old key meanwhile (in the broker, scheduled retries) still verify."""
    old = EventKeys.parse(DEV_EVENT_KEYS)
    ring = f"k2:{'n' * 40},{DEV_EVENT_KEYS}"
    notify = make_notify(INSCOPE_EVENT_KEYS=ring)
    event = decided(submit(), example("assessment-pain.json"))
    assert old.sign(event)[KEY_ID] == "dev"
    assert consume_as_is(notify, old.sign(event)) == "processed"
    rotated = notify.extensions["inscope"].settings.event_keys
    assert rotated.signing == "k2" and rotated.sign(event)[KEY_ID] == "k2"
    # Once the old key is gone from the ring, its events are refused.
    assert consume_as_is(make_notify(INSCOPE_EVENT_KEYS=ring.split(",")[0]), old.sign(event)) == (
        "dead_lettered"
    )


def test_the_signature_covers_every_attribute_and_the_key_id():
    keys = EventKeys.parse(DEV_EVENT_KEYS)
    event = keys.sign({"id": "e1", "type": "t", "data": {"b": 1, "a": [1.5, None, "é"]}})
    keys.verify(event)
    assert canonical_json(event) == (
        '{"data":{"a":[1.5,null,"é"],"b":1},"id":"e1","signaturekeyid":"dev","type":"t"}'
    ).encode()
    for change in ({"id": "e2"}, {"data": {"b": 1}}, {KEY_ID: "other"}, {"extra": 1}):
        with pytest.raises(SignatureError):
            keys.verify({**event, **change})
    with pytest.raises(SignatureError, match="not an event envelope"):
        keys.verify(["not", "a", "mapping"])
