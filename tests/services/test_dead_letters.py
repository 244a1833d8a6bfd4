"""Operators list dead letters and replay them with the service CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner

from inscope_common.config import queue_for
from inscope_common.delivery_ledger import ledger_key
from tests.conftest import signed
from tests.services.test_outbox_redis import queued_events
from tests.services.test_redelivery import _intake_event


def test_list_and_replay_a_dead_letter(monkeypatch, service_env, referral_app, redis_client):
    for key, value in service_env.items():
        monkeypatch.setenv(key, value)
    consumer = referral_app.extensions["celery"].tasks["referral.consume_event"]
    event = _intake_event()
    event["data"]["age_years"] = "not a number"  # breaks the contract: dead-lettered at once
    event = signed(event)  # by its publisher: the contract, not the signature, fails
    assert consumer.apply(args=[event]).get() == "dead_lettered"

    from inscope_referral.cli import cli

    runner = CliRunner()
    listed = runner.invoke(cli, ["dead-letters", "list"])
    assert listed.exit_code == 0, listed.output
    letters = json.loads(listed.output[listed.output.index("[") :])
    assert [(d["event_id"], d["consumer"]) for d in letters] == [(event["id"], "referral")]
    assert "age_years" in letters[0]["error"]

    replayed = runner.invoke(cli, ["dead-letters", "replay", str(letters[0]["id"])])
    assert replayed.exit_code == 0, replayed.output
    queued = queued_events(redis_client, queue_for("referral"))
    assert [m["event"]["id"] for m in queued] == [event["id"]]
    # Marked in the delivery ledger before the push, as every publish is: lost, it is
    # sent again.
    assert redis_client.zscore(ledger_key("referral"), event["id"]) is not None

    again = runner.invoke(cli, ["dead-letters", "replay", str(letters[0]["id"])])
    assert again.exit_code == 1  # already replayed
    remaining = runner.invoke(cli, ["dead-letters", "list"])
    assert json.loads(remaining.output[remaining.output.index("[") :]) == []
