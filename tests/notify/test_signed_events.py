"""Signed events (issue 12 item 6), per publisher: the attack the review made, a forged
``referral.decided.v1`` pointing the physician's letter at a phishing site, reaches the
notify consumer and sends nothing; it lands in the dead letters with its reason, logged
at ERROR. That holds for an attacker who holds another service's private key (a
compromised intake): it signs only as intake, and intake does not publish decisions.
Keys rotate: a publisher's new public key is listed beside the old one."""

from __future__ import annotations

import copy
import logging

import pytest
from sqlalchemy import select

from inscope_common.events import EventKeys, SignatureError
from inscope_common.events.routing import PUBLISHERS, SUBSCRIPTIONS
from inscope_common.events.signing import (
    KEY_ID,
    SIGNATURE,
    canonical_json,
    dev_public_keys,
    keygen,
)
from tests.conftest import sqlite_only
from tests.notify.conftest import by_recipient, consume_as_is, decided, deliveries
from tests.services.conftest import example

database_backend = sqlite_only("which signatures a consumer accepts")

PHISHING = "https://inscope-answers.evil.test/referrals/answer/x"
# The attacker's own key pair, under referral's key id.
ATTACKER_SIGNING, ATTACKER_PUBLIC = keygen("attacker", "dev-referral")
ATTACKER = EventKeys.parse("attacker", ATTACKER_SIGNING, ATTACKER_PUBLIC)
INTAKE = EventKeys.development("intake")  # a compromised intake holds this private key


def _unsigned(event: dict) -> dict:
    return {k: v for k, v in event.items() if k not in (SIGNATURE, KEY_ID)}


def _as_intake(event: dict) -> dict:
    """Intake's own key, its own name as the source: a valid intake signature."""
    return INTAKE.sign({**event, "source": "/inscope/intake"})


def _unknown_kid(event: dict) -> dict:
    signing, public = keygen("referral", "evil")
    return EventKeys.parse("referral", signing, public).sign(event)


def _phishing_decision(submit) -> tuple[dict, dict]:
    """A genuine-looking decision for a real client whose letter links to PHISHING."""
    created = submit()
    event = decided(created, example("assessment-pain.json"))
    event["data"]["referral"]["answer_url"] = PHISHING
    return created, event


def _dead_letters(app) -> list:
    from inscope_notify.models import platform

    with app.extensions["inscope"].session_factory() as session:
        return session.scalars(select(platform.DeadLetter)).all()


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (_unsigned, "unsigned event"),
        (ATTACKER.sign, "does not match the content for referral's key id 'dev-referral'"),
        (_unknown_kid, "key id 'evil', which is not a key of referral"),
        # A compromised intake: its key, the decision still claiming referral...
        (INTAKE.sign, "key id 'dev-intake', which is not a key of referral"),
        # ...or claiming itself, validly signed: intake does not publish decisions.
        (_as_intake, "referral.decided.v1 is published by referral, not intake"),
    ],
    ids=["unsigned", "attackers-key", "unknown-key-id", "intakes-key", "intake-as-publisher"],
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
    assert letter.error.startswith("refused, not signed by its publisher:")
    assert reason in letter.error, letter.error
    logged = [r.msg for r in caplog.records if r.levelno == logging.ERROR]
    assert [line["event"] for line in logged] == ["event given up: stored as a dead letter"]
    assert reason in logged[0]["error"] and logged[0]["event_type"] == "referral.decided.v1"


def test_a_genuine_decision_altered_in_transit_is_refused(notify, submit, smtp_sink):
    """Signed with referral's key, then its link swapped: the signature no longer fits."""
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


def test_a_publishers_key_rotates_while_its_events_are_in_flight(make_notify, submit):
    """Rotation: referral's new public key listed beside the old one everywhere; then
    referral signs with the new key; events signed with the old key meanwhile (in the
    broker, scheduled retries) still verify until the old public key is removed."""
    old = EventKeys.development("referral")
    new_signing, new_public = keygen("referral", "k2")
    both = f"{dev_public_keys()},{new_public}"
    event = decided(submit(), example("assessment-pain.json"))
    in_flight = decided(submit(), example("assessment-pain.json"))  # signed before
    new = EventKeys.parse("referral", new_signing, both)
    assert new.sign(event)[KEY_ID] == "k2" and old.sign(event)[KEY_ID] == "dev-referral"
    own = f"dev-notify:{_dev_seed('notify')}"
    notify = make_notify(INSCOPE_EVENT_SIGNING_KEY=own, INSCOPE_EVENT_PUBLIC_KEYS=both)
    assert consume_as_is(notify, new.sign(event)) == "processed"
    assert consume_as_is(notify, old.sign(in_flight)) == "processed"
    # Once the old public key is gone from the list, its events are refused.
    without_old = ",".join(e for e in both.split(",") if not e.startswith("referral:dev-"))
    later = make_notify(INSCOPE_EVENT_SIGNING_KEY=own, INSCOPE_EVENT_PUBLIC_KEYS=without_old)
    stale = decided(submit(), example("assessment-pain.json"))
    assert consume_as_is(later, old.sign(stale)) == "dead_lettered"


def _dev_seed(service: str) -> str:
    from inscope_common.events.signing import dev_signing_key

    return dev_signing_key(service)


def test_every_event_type_has_one_publisher():
    assert set(PUBLISHERS) == set(SUBSCRIPTIONS)
    assert set(PUBLISHERS.values()) == {"intake", "assessment", "referral", "notify"}


def test_the_signature_covers_every_attribute_and_the_key_id():
    keys = EventKeys.development("referral")
    event = keys.sign({"id": "e1", "type": "t", "source": "/inscope/referral",
                       "data": {"b": 1, "a": [1.5, None, "é"]}})  # fmt: skip
    keys.verify(event)
    EventKeys.development("notify").verify(event)  # any service verifies with the public key
    assert canonical_json(event) == (
        '{"data":{"a":[1.5,null,"é"],"b":1},"id":"e1","signaturekeyid":"dev-referral",'
        '"source":"/inscope/referral","type":"t"}'
    ).encode()
    for change in ({"id": "e2"}, {"data": {"b": 1}}, {KEY_ID: "other"}, {"extra": 1},
                   {"source": "/inscope/notify"}, {"source": "/elsewhere"}):  # fmt: skip
        with pytest.raises(SignatureError):
            keys.verify({**event, **change})
    with pytest.raises(SignatureError, match="not an event envelope"):
        keys.verify(["not", "a", "mapping"])


def test_a_key_list_without_the_services_own_public_key_is_refused():
    from inscope_common.events.signing import EventKeysError

    signing, _ = keygen("intake")
    with pytest.raises(EventKeysError, match="must list this service's own public key"):
        EventKeys.parse("intake", signing, dev_public_keys())
    with pytest.raises(EventKeysError, match="not an Ed25519 private key"):
        EventKeys.parse("intake", "k1:change-me-intake-event-signing-key", dev_public_keys())
