"""Following a client's status cheaply (issue 13): GET /clients/<id>/status carries a
version (ETag); asked again with it in If-None-Match, an unchanged status is a 304 from
one Redis read (no SQL, no audit row), and ``?wait=`` holds the request until a commit
changes the client's status. Staff credentials are checked before any of it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from inscope_referral import status_stamps
from inscope_referral.models import AuditEntry
from tests.conftest import sqlite_only
from tests.referral.conftest import events_of, notification
from tests.referral.test_queries_per_event import _engine, _sql, _statements

database_backend = sqlite_only("following a status through Redis")


def _audit_rows(app) -> int:
    with app.extensions["inscope"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def _later(seconds: float, action) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_an_unchanged_status_is_a_304_without_sql_or_audit_row(app, flow):
    who, ref = flow.referred_client()
    web = app.test_client()
    url = f"/clients/{who['client_id']}/status"
    first = web.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    audited = _audit_rows(app)
    statements = _statements(
        _engine(app), lambda: setattr(web, "last", web.get(url, headers={"If-None-Match": etag}))
    )
    assert web.last.status_code == 304 and web.last.data == b""
    assert web.last.headers["ETag"] == etag
    assert _sql(statements) == [], statements
    assert _audit_rows(app) == audited  # nothing was shown: no view to audit
    # Another version (or none) is answered in full.
    assert web.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    # A letter's fate changes the status: the old version is answered in full, anew.
    flow.deliver(notification(who, ref["referral_id"], "sent"))
    changed = web.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["referrals"][0]["status"] == "delivered"
    assert web.get(url, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304


def test_a_waiting_request_is_answered_when_the_decision_commits(app, flow):
    who, _ref = flow.referred_client()
    web = app.test_client()
    url = f"/clients/{who['client_id']}/status"
    etag = web.get(url).headers["ETag"]
    # Nothing changes: held for the wait, asleep (no CPU spent asking Redis over and
    # over), then 304.
    started, cpu = time.monotonic(), time.process_time()
    held = web.get(f"{url}?wait=1.5", headers={"If-None-Match": etag})
    assert held.status_code == 304 and time.monotonic() - started >= 1.5
    assert time.process_time() - cpu < 0.1
    # A re-assessment commits a new decision while the request waits: answered then,
    # long before its wait is over.
    from tests.services.conftest import example

    scorer = _later(0.5, lambda: flow.score(who, example("assessment-clear.json"), "assess-2"))
    started = time.monotonic()
    answered = web.get(f"{url}?wait=20", headers={"If-None-Match": etag})
    took = time.monotonic() - started
    scorer.join()
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["assessment_id"] == "assess-2"
    assert answered.headers["ETag"] != etag
    assert 0.4 <= took < 10, took


def test_a_client_not_known_yet_is_waited_for(app, flow):
    """The first question after an intake: the referral service has not screened the
    client yet (404, with a version); asked again with it and ?wait=, the answer comes
    when the screening commits."""
    created = flow.intake.post("/intakes", json=_intake(), headers=flow.front_desk).get_json()
    url = f"/clients/{created['client_id']}/status"
    web = app.test_client()
    unknown = web.get(url)
    assert unknown.status_code == 404
    etag = unknown.headers["ETag"]
    assert web.get(url, headers={"If-None-Match": etag}).status_code == 304

    def screen() -> None:
        event = next(
            e
            for e in events_of(flow.redis, "inscope.referral", "intake.submitted.v1")
            if e["data"]["intake_id"] == created["id"]
        )
        assert flow.consume.apply(args=[event]).get() == "processed"

    screener = _later(0.5, screen)
    started = time.monotonic()
    answered = web.get(f"{url}?wait=20", headers={"If-None-Match": etag})
    took = time.monotonic() - started
    screener.join()
    assert answered.status_code == 200
    assert answered.get_json()["status"] == "awaiting_assessment"
    assert answered.headers["ETag"] != etag
    assert 0.4 <= took < 10, took
    # Without the version (or another one) a 404 is not held: nothing to compare with.
    started = time.monotonic()
    assert web.get("/clients/nobody/status?wait=5").status_code == 404
    held = {"If-None-Match": 'W/"other"'}
    assert web.get("/clients/nobody/status?wait=5", headers=held).status_code == 404
    assert time.monotonic() - started < 4


def test_staff_credentials_are_checked_before_the_cheap_answer(app, flow):
    who, _ref = flow.referred_client()
    url = f"/clients/{who['client_id']}/status"
    etag = app.test_client().get(url).headers["ETag"]
    current = {"If-None-Match": etag}
    nobody = app.test_client(role=None)
    assert nobody.get(url, headers=current).status_code == 401
    assert nobody.get(f"{url}?wait=5", headers=current).status_code == 401
    assert app.test_client(role="front_desk").get(url, headers=current).status_code == 403
    forged = {**current, "Authorization": "Bearer not-a-token"}
    assert app.test_client().get(url, headers=forged).status_code == 401
    assert app.test_client(role="trainer").get(url, headers=current).status_code == 304


def test_waiting_requests_are_bounded_per_process(app, flow, monkeypatch):
    """A request that finds every waiting slot taken is answered at once (304), so
    held requests never take all the web process's threads."""
    who, _ref = flow.referred_client()
    url = f"/clients/{who['client_id']}/status"
    stamps = app.extensions[status_stamps.EXTENSION]
    monkeypatch.setattr(stamps, "_slots", threading.BoundedSemaphore(1))
    etag = app.test_client().get(url).headers["ETag"]
    current = {"If-None-Match": etag}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(lambda: app.test_client().get(f"{url}?wait=3", headers=current))
        deadline = time.monotonic() + 3
        while stamps._slots._value and time.monotonic() < deadline:
            time.sleep(0.01)  # until the first one holds the only slot
        assert not stamps._slots._value
        started = time.monotonic()
        second = app.test_client().get(f"{url}?wait=3", headers=current)
        assert second.status_code == 304
        assert time.monotonic() - started < 1.0
        assert first.result().status_code == 304


def test_without_redis_every_answer_is_full_and_nobody_waits(app, flow, monkeypatch):
    who, _ref = flow.referred_client()
    url = f"/clients/{who['client_id']}/status"
    etag = app.test_client().get(url).headers["ETag"]
    monkeypatch.setitem(
        app.extensions, status_stamps.EXTENSION, status_stamps.StatusStamps("redis://127.0.0.1:9/0")
    )
    started = time.monotonic()
    answered = app.test_client().get(f"{url}?wait=5", headers={"If-None-Match": etag})
    assert answered.status_code == 200 and "ETag" not in answered.headers
    assert time.monotonic() - started < 4


def test_a_wait_beyond_the_limit_is_a_422(app):
    response = app.test_client().get("/clients/x/status?wait=26")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["query"]) == {"wait"}


def test_the_client_page_follows_the_status_it_was_drawn_from(app, flow):
    """The trainer's client page carries the status's version for client.js, which
    asks with it: unchanged, the service answers 304."""
    who, _ref = flow.referred_client()
    web = app.test_client(role="trainer")
    page = web.get(f"/clients/{who['client_id']}/view").get_data(as_text=True)
    assert f'data-follow="/clients/{who["client_id"]}/status"' in page
    assert "client.js" in page
    etag = page.split('data-etag="', 1)[1].split('"', 1)[0].replace("&#34;", '"')
    etag = etag.replace("&quot;", '"')
    status = web.get(f"/clients/{who['client_id']}/status", headers={"If-None-Match": etag})
    assert status.status_code == 304
    with web.get("/static/client.js") as script:
        assert script.status_code == 200 and b"If-None-Match" in script.data


def _intake():
    from tests.services.conftest import example

    return example("intake.json")


def _counting_pipelines(monkeypatch, client) -> list[list[str]]:
    """The commands of every pipeline ``client`` executes, by name."""
    executed: list[list[str]] = []
    pipeline = client.pipeline

    def counting(*args, **kwargs):
        pipe = pipeline(*args, **kwargs)
        execute = pipe.execute

        def counted(*a, **k):
            executed.append([str(c[0][0]) for c in pipe.command_stack])
            return execute(*a, **k)

        pipe.execute = counted
        return pipe

    monkeypatch.setattr(client, "pipeline", counting)
    return executed


def test_a_commit_sends_its_status_version_with_its_events(app, flow, monkeypatch):
    """A commit that changes a client's status and publishes events sends the new
    version in the fast path's one Redis round trip (issue 13: one fewer per commit);
    when that path is not taken (the breaker open), without it (in one pipeline with the
    consumer's ledger clear). Either way a page asking with the old version gets the new
    status."""
    who, _ref = flow.referred_client()
    web = app.test_client()
    url = f"/clients/{who['client_id']}/status"
    etag = web.get(url).headers["ETag"]
    stamps = app.extensions[status_stamps.EXTENSION]
    rt = app.extensions["inscope"]
    alone = _counting_pipelines(monkeypatch, stamps._redis)
    fast = _counting_pipelines(monkeypatch, rt.relay.fast_publisher.broker)
    from tests.services.conftest import example

    flow.score(who, example("assessment-clear.json"), "assess-2")
    assert alone == []
    [commands] = fast
    assert {"LPUSH", "SET", "PUBLISH", "ZADD"} <= set(commands)
    answered = web.get(url, headers={"If-None-Match": etag})
    assert answered.status_code == 200 and answered.headers["ETag"] != etag
    etag = answered.headers["ETag"]

    rt.relay.breaker.failed("ConnectionError")  # the events wait for the relay
    ledger = _counting_pipelines(monkeypatch, rt.relay.ledger.client)
    flow.score(who, example("assessment-clear.json"), "assess-3")
    # By themselves: with the consumer's ledger clear, in one pipeline.
    assert len(fast) == 1
    assert [c for c in [*alone, *ledger][0] if c in ("SET", "ZREM")] == ["ZREM", "SET"]
    answered = web.get(url, headers={"If-None-Match": etag})
    assert answered.status_code == 200 and answered.get_json()["assessment_id"] == "assess-3"


def test_an_emergency_badge_is_not_repeated_as_the_status(app, flow):
    """The badge says "Emergency"; the status beside it would say it again."""
    body = _intake()
    body["intake"]["red_flags"] = {"chest_pain_now": True}
    who = flow.submit_intake(body)
    web = app.test_client(role="trainer")
    page = web.get(f"/clients/{who['client_id']}/view").get_data(as_text=True)
    line = page.split('class="badge-line"', 1)[1].split("</p>", 1)[0]
    assert line.count("Emergency") == 2  # the badge, and the status hidden for tools
    assert 'id="client-status" hidden' in line
