"""Transient SMTP failures are retried with backoff; permanent ones are not."""

from __future__ import annotations

import pytest

from tests.conftest import SMTPSink
from tests.notify.conftest import consume, decided, deliveries, sent_events
from tests.services.conftest import example


class FlakySink(SMTPSink):
    """Answers the first ``times`` messages with ``code`` (every one when None), then
    accepts."""

    def __init__(self, code: str, times: int | None) -> None:
        super().__init__()
        self.code = code
        self.times = times
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        if self.times is None or self.refused < self.times:
            self.refused += 1
            return self.code
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sink_factory():
    sinks = []

    def start(code: str, times: int | None = 1) -> FlakySink:
        sink = FlakySink(code, times)
        sink.controller.start()
        sinks.append(sink)
        return sink

    yield start
    for sink in sinks:
        sink.controller.stop()


def _only_the_client(body):
    body["intake"]["consent"]["share_with_physician"] = False


def test_a_4xx_is_retried_and_the_email_sent_once(make_notify, submit, sink_factory):
    sink = sink_factory("451 4.3.0 Try again later")
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    assert consume(notify, decided(created, example("assessment-pain.json"))) == "processed"
    assert sink.refused == 1
    assert [str(m["To"]) for m in sink.messages] == ["dana.rivera@example.com"]
    [row] = [d for d in deliveries(notify, created["client_id"]) if d["kind"] == "client_update"]
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert "451" in row["last_error"]  # the error it overcame stays on record
    statuses = [(e["data"]["kind"], e["data"]["status"]) for e in sent_events(notify)]
    assert statuses.count(("client_update", "sent")) == 1


def test_a_5xx_is_not_retried_and_the_delivery_fails(make_notify, submit, sink_factory):
    sink = sink_factory("550 5.1.1 Mailbox unavailable", times=None)
    notify = make_notify(SMTP_URL=sink.url)
    created = submit(_only_the_client)
    assert consume(notify, decided(created, example("assessment-pain.json"))) == "processed"
    assert sink.refused == 1 and sink.messages == []
    [row] = [d for d in deliveries(notify, created["client_id"]) if d["kind"] == "client_update"]
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "550" in row["last_error"]
    [failed] = [e["data"] for e in sent_events(notify) if e["data"]["kind"] == "client_update"]
    assert failed["status"] == "failed" and "550" in failed["detail"]


def test_a_4xx_that_never_clears_fails_after_the_last_retry(make_notify, submit, sink_factory):
    sink = sink_factory("421 4.4.2 Shutting down", times=None)
    notify = make_notify(SMTP_URL=sink.url, INSCOPE_MAX_RETRIES="2")
    created = submit(_only_the_client)
    assert consume(notify, decided(created, example("assessment-pain.json"))) == "processed"
    assert sink.refused == 3 and sink.messages == []
    [row] = [d for d in deliveries(notify, created["client_id"]) if d["kind"] == "client_update"]
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert row["last_error"].startswith("gave up after 3 attempts")
