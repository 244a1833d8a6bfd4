"""The client board around urgency and the next action: order, labels, emergencies
acknowledged and resolved by staff (who, when, audited), and the name search answered by
the intake service over HTTP, applied to every client and paged."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from html import unescape

import pytest
from werkzeug.serving import make_server

from inscope_common.audit import entries
from inscope_common.auth import FRONT_DESK, TRAINER
from tests.conftest import free_port, signed
from tests.services.conftest import example
from tests.services.test_redelivery import _intake_event


def deliver(app, event) -> None:
    app.extensions["celery"].tasks["referral.consume_event"].apply(args=[signed(event)]).get()


def screened(client_id: str, **red_flags: bool) -> dict:
    event = _intake_event(client_id=client_id, intake_id=f"intake-{client_id}")
    event["data"]["screening"]["red_flags"] = dict(red_flags)
    return event


def with_pain(client_id: str) -> dict:
    event = _intake_event(client_id=client_id, intake_id=f"intake-{client_id}")
    event["data"]["screening"]["pain"] = [
        {"region": "left knee", "side": "left", "nprs_rest": 2, "nprs_activity": 4}
    ]
    return event


@pytest.fixture
def intake_server(service_env) -> Iterator[str]:
    """The intake service on a real port: the referral service asks it for names."""
    from inscope_intake import create_app

    app = create_app(service_env)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def referral(service_env, intake_server):
    from inscope_referral import create_app

    url, _ = intake_server
    closed = f"http://127.0.0.1:{free_port()}"
    app = create_app({**service_env, "INTAKE_URL": url, "NOTIFY_URL": closed})
    yield app
    app.extensions["inscope"].engine.dispose()


def new_client(intake_app, first: str, last: str) -> str:
    body = example("intake.json")
    body["client"].update(first_name=first, last_name=last)
    response = intake_app.test_client().post("/intakes", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["client_id"]


def rows(html: str) -> list[tuple[str, str]]:
    """(client id, badge word) of each board row, in page order."""
    body = html.split('<table id="board"', 1)[1]
    return re.findall(r'<tr data-client="([^"]+)" data-status="[^"]+" data-badge="([^"]+)"', body)


def test_the_board_lists_emergency_then_urgent_then_routine_with_their_labels(referral):
    # Delivered least urgent first: the order on the board is not arrival order.
    deliver(referral, _intake_event(client_id="calm", intake_id="intake-calm"))
    deliver(referral, with_pain("knee"))
    deliver(referral, screened("chest-3d", chest_pain_12_to_72h=True))
    deliver(referral, screened("chest-now", chest_pain_now=True))
    for role in (FRONT_DESK, TRAINER):
        html = referral.test_client(role=role).get("/board").get_data(as_text=True)
        assert rows(html) == [
            ("chest-now", "Emergency"),
            ("chest-3d", "Urgent"),
            ("knee", "Routine"),
            ("calm", "Cleared"),
        ], role
        # The words are on the badges themselves, not only in a colour.
        for word, css in (("Emergency", "emergency"), ("Urgent", "urgent"),
                          ("Routine", "routine"), ("Cleared", "cleared")):
            assert f'<span class="badge b-{css}">{word}</span>' in html
    assert "Waiting for the physician since today" in html
    assert "Assess" in html


def test_within_an_urgency_the_longest_waiting_comes_first(referral):
    deliver(referral, screened("first", chest_pain_12_to_72h=True))
    deliver(referral, screened("second", chest_pain_12_to_72h=True))
    html = referral.test_client().get("/board").get_data(as_text=True)
    assert [c for c, _ in rows(html)] == ["first", "second"]


def test_acknowledging_an_emergency_records_who_and_when_and_resolving_needs_a_note(
    referral,
):
    from inscope_referral.models import AuditEntry, ClientCase, EmergencyAction

    rt = referral.extensions["inscope"]
    deliver(referral, screened("chest-now", chest_pain_now=True))
    desk = referral.test_client(role=FRONT_DESK)
    html = desk.get("/board").get_data(as_text=True)
    assert 'action="/clients/chest-now/emergency/acknowledge"' in html  # the desk can act

    done = desk.post("/clients/chest-now/emergency/acknowledge", data={"back": "/board"})
    assert done.status_code == 303
    with rt.session_factory() as session:
        (ack,) = session.query(EmergencyAction).all()
    assert (ack.action, ack.account_name, ack.role) == ("acknowledged", "Test front desk",
                                                        FRONT_DESK)
    assert ack.at is not None
    html = unescape(desk.get("/board").get_data(as_text=True))
    assert f"Acknowledged by Test front desk at {ack.at.strftime('%H:%M UTC')}" in html
    assert rows(html) == [("chest-now", "Emergency")]  # still an emergency until resolved
    again = desk.post("/clients/chest-now/emergency/acknowledge")
    assert again.status_code == 409

    trainer = referral.test_client(role=TRAINER)
    refused = trainer.post("/clients/chest-now/emergency/resolve", data={"note": "  "})
    assert refused.status_code == 422 and "note is required" in refused.get_data(as_text=True)
    resolved = trainer.post(
        "/clients/chest-now/emergency/resolve", data={"note": "ambulance called; to see GP"}
    )
    assert resolved.status_code == 303
    audited = [(e["role"], e["action"], e["record"], e["client_id"])
               for e in entries(rt.session_factory, AuditEntry)]
    assert (FRONT_DESK, "update", "emergency", "chest-now") in audited
    assert (TRAINER, "update", "emergency", "chest-now") in audited

    # Resolving does not unlock training: an urgent physician clearance now.
    with rt.session_factory() as session:
        case = session.get(ClientCase, "chest-now")
        assert (case.board_status, case.board_rank) == ("clearance_needed", 1)
    html = trainer.get("/board").get_data(as_text=True)
    assert "Emergency: act now" not in html
    assert rows(html) == [("chest-now", "Urgent")]
    page = unescape(trainer.get("/clients/chest-now/view").get_data(as_text=True))
    assert "Emergency resolved by Test trainer" in page
    assert "ambulance called; to see GP" in page
    assert "Do not train" in page
    assert trainer.post("/clients/chest-now/emergency/resolve",
                        data={"note": "again"}).status_code == 409


def test_the_emergency_banner_reads_the_emergency_actions_only(referral):
    """The banner is on every board view with up to 50 clients: it shows who and whether
    someone acknowledged, so it reads the stored rows and their emergency actions, not
    each client's decision, referrals and journey (make bench-scale: 40 % of a board
    view's CPU with 1,000 open emergencies)."""
    from sqlalchemy import event

    from inscope_referral import board

    rt = referral.extensions["inscope"]
    for name in ("chest-a", "chest-b", "chest-c"):
        deliver(referral, screened(name, chest_pain_now=True))
    desk = referral.test_client(role=FRONT_DESK)
    assert desk.post("/clients/chest-b/emergency/acknowledge").status_code == 303
    read: list[str] = []

    def tables(conn, cursor, statement, *_):
        read.extend(re.findall(r"\bFROM (\w+)", statement))

    event.listen(rt.engine, "before_cursor_execute", tables)
    try:
        banner = board.open_emergencies(rt)
    finally:
        event.remove(rt.engine, "before_cursor_execute", tables)
    assert set(read) == {"client_cases", "emergency_actions"}, read
    assert [r["client_id"] for r in banner] == ["chest-a", "chest-b", "chest-c"]
    states = {r["client_id"]: r["emergency_state"] for r in banner}
    assert states["chest-a"] is None and states["chest-c"] is None
    assert states["chest-b"]["acknowledged_by"] == "Test front desk"


def test_the_banner_looks_its_words_up_once_not_per_emergency(referral):
    """Up to 50 emergencies are on every board view: the words of their buttons and
    labels are translated once per page (each lookup asks Flask-Babel for the locale
    and catalog: 36 -> 32 ms of a board view's CPU with 1,000 open emergencies)."""
    import functools

    env = referral.jinja_env
    original = env.globals["gettext"]
    looked_up: list[str] = []

    @functools.wraps(original)
    def counted(*args, **kwargs):
        looked_up.append(args[-1] if args else "")
        return original(*args, **kwargs)

    trainer = referral.test_client(role=TRAINER)
    for name in ("chest-1", "chest-2", "chest-3"):
        deliver(referral, screened(name, chest_pain_now=True))
    env.globals["gettext"] = counted
    try:
        html = trainer.get("/board").get_data(as_text=True)
    finally:
        env.globals["gettext"] = original
    assert html.count(">Acknowledge</button>") == html.count(">Resolve</button>") == 3
    for word in ("open", "Acknowledge", "What was done", "Resolve"):
        assert looked_up.count(word) == 1, (word, looked_up.count(word))


def test_resolving_an_emergency_tells_the_assessment_service_and_keeps_it_closed(
    referral, redis_client, service_env
):
    """The resolution is published (referral.status_changed with the emergency's
    handling): the assessment service still refuses, now for the physician's clearance."""
    from inscope_assessment import create_app
    from tests.referral.conftest import events_of

    deliver(referral, screened("chest-now", chest_pain_now=True))
    referral.test_client(role=TRAINER).post(
        "/clients/chest-now/emergency/resolve", data={"note": "ambulance called"}
    )
    changed = events_of(redis_client, "inscope.assessment", "referral.status_changed.v1")
    assert [e["data"]["status"] for e in changed] == ["emergency", "clearance_needed"]
    assert changed[-1]["data"]["emergency"]["note"] == "ambulance called"
    assessment = create_app(service_env)
    try:
        consume = assessment.extensions["celery"].tasks["assessment.consume_event"]
        for event in [_intake_event(client_id="chest-now", intake_id="intake-chest-now"),
                      *changed]:
            consume.apply(args=[event]).get()
        (row,) = assessment.test_client().get("/awaiting-assessment").get_json()
        assert row["status"] == "clearance_needed" and row["assessment_allowed"] is False
        assert "urgent physician clearance pending" in row["assessment_block_reason"]
    finally:
        assessment.extensions["inscope"].engine.dispose()


def test_no_emergency_no_action(referral):
    deliver(referral, _intake_event(client_id="calm", intake_id="intake-calm"))
    response = referral.test_client().post("/clients/calm/emergency/acknowledge")
    assert response.status_code == 409
    assert referral.test_client().post("/clients/nobody/emergency/resolve",
                                       data={"note": "x"}).status_code == 404


def test_a_name_search_runs_in_the_intake_service_and_pages_across_every_client(
    referral, intake_server
):
    _, intake_app = intake_server
    garcias = [new_client(intake_app, f"Ana{i}", "García") for i in range(7)]
    others = [new_client(intake_app, f"Bo{i}", "Smith") for i in range(6)]
    for client_id in others:
        deliver(referral, _intake_event(client_id=client_id, intake_id=f"i-{client_id}"))
    for n, client_id in enumerate(garcias):
        urgent = {"chest_pain_12_to_72h": True} if n == 5 else {}
        deliver(referral, screened(client_id, **urgent))
    trainer = referral.test_client(role=TRAINER)

    seen: list[str] = []
    url = "/board?q=garc&size=3"  # case and accent ignored
    pages = 0
    while url:
        html = unescape(trainer.get(url).get_data(as_text=True))
        found = [c for c, _ in rows(html)]
        assert 0 < len(found) <= 3
        seen += found
        pages += 1
        assert "7 clients named" in html
        assert "García" in html and "Smith" not in html.split('<table id="board"', 1)[1]
        nxt = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = nxt.group(1) if nxt else None
    assert pages == 3 and sorted(seen) == sorted(garcias)
    assert seen[0] == garcias[5]  # the urgent one first, across pages
    # Back from the last page.
    prev = re.search(r'<a href="([^"]+)" rel="prev">', html).group(1)
    back = [c for c, _ in rows(unescape(trainer.get(prev).get_data(as_text=True)))]
    assert back == seen[3:6]
    # A full name narrows it; a name nobody has finds nobody.
    html = trainer.get("/board?q=ana3+garcia").get_data(as_text=True)
    assert [c for c, _ in rows(html)] == [garcias[3]]
    assert "No client matches." in trainer.get("/board?q=zzz").get_data(as_text=True)


def test_the_board_asks_for_names_once_per_page(referral, intake_server, monkeypatch):
    from inscope_referral.directory import Reader

    _, intake_app = intake_server
    for i in range(4):
        client_id = new_client(intake_app, f"C{i}", "Lee")
        deliver(referral, _intake_event(client_id=client_id, intake_id=f"i-{client_id}"))
    calls: list[str] = []
    original = Reader._call

    def counted(self, service, path, body=None):
        calls.append(path)
        return original(self, service, path, body)

    monkeypatch.setattr(Reader, "_call", counted)
    html = referral.test_client().get("/board").get_data(as_text=True)
    assert calls == ["/clients/names"]
    assert html.count(" Lee</") == 4


def test_intake_name_search_validates_and_caps(intake_server):
    _, intake_app = intake_server
    client = intake_app.test_client()
    for first in ("Zoé", "Zoe", "Zora"):
        new_client(intake_app, first, "Quinn")
    found = client.get("/clients/search?q=ZOE").get_json()
    assert len(found["client_ids"]) == 2 and found["truncated"] is False
    capped = client.get("/clients/search?q=quinn&limit=2").get_json()
    assert len(capped["client_ids"]) == 2 and capped["truncated"] is True
    bad = client.get("/clients/search?q=%20%2D%20")
    assert bad.status_code == 422 and "q" in bad.get_json()["errors"]["query"]
    assert client.get("/clients/search?q=a&limit=0").status_code == 422
    names = client.post("/clients/names", json={"client_ids": found["client_ids"] + ["nope"]})
    assert sorted(c["first_name"] for c in names.get_json()["clients"]) == ["Zoe", "Zoé"]
    assert client.post("/clients/names", json={"client_ids": []}).status_code == 422
    too_many = client.post("/clients/names", json={"client_ids": ["x"] * 201})
    assert too_many.status_code == 422


def test_the_stored_board_row_follows_every_change_to_the_referral(referral):
    """The sort key and filters are stored; they follow a change made by any code path
    (here the notify service's report that the letter was accepted)."""
    from inscope_referral.models import ClientCase, Referral
    from tests.referral.conftest import notification

    rt = referral.extensions["inscope"]
    deliver(referral, screened("chest-3d", chest_pain_12_to_72h=True))
    with rt.session_factory() as session:
        (row,) = session.query(Referral).all()
        case = session.get(ClientCase, "chest-3d")
        assert (case.board_status, case.board_rank, case.referral_status) == (
            "clearance_needed", 1, "needed")
        assert case.decision_id is not None and case.waiting_since is not None
    who = {"client_id": "chest-3d", "intake_id": "intake-chest-3d"}
    deliver(referral, notification(who, row.id, "sent"))
    with rt.session_factory() as session:
        assert session.get(ClientCase, "chest-3d").referral_status == "delivered"
    client = referral.test_client()
    html = client.get("/board?referral=delivered").get_data(as_text=True)
    assert [c for c, _ in rows(html)] == ["chest-3d"]
    assert "No client matches." in client.get("/board?referral=needed").get_data(as_text=True)


def test_a_corrected_intake_rescreens_and_the_board_shows_the_new_decision(referral):
    """Issue 8 (tests, last bullet): chest pain ticked by mistake (an emergency on the
    board), then corrected: the board's row for the client shows the new decision (in
    scope: "Cleared", next "Assess") and no emergency action; the other client's row,
    never corrected, keeps its badge."""
    from tests.conftest import make_event

    deliver(referral, screened("typo", chest_pain_now=True))
    deliver(referral, with_pain("knee"))
    board = referral.test_client(role=TRAINER)
    assert rows(board.get("/board").get_data(as_text=True)) == [
        ("typo", "Emergency"), ("knee", "Routine")]
    fixed = _intake_event(client_id="typo", intake_id="intake-typo")
    corrected = make_event("intake.corrected.v1", source="/inscope/intake", subject="typo",
                           data={**fixed["data"], "version": 2,
                                 "corrected_at": "2026-12-04T08:00:00+00:00"})
    deliver(referral, corrected)
    html = board.get("/board").get_data(as_text=True)
    assert rows(html) == [("knee", "Routine"), ("typo", "Cleared")]
    row = html.split('<tr data-client="typo"', 1)[1].split("</tr>", 1)[0]
    assert 'data-status="awaiting_assessment"' in row and "Assess" in row
    assert "acknowledge" not in row.lower()
