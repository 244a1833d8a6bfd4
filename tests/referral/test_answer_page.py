"""The physician's answer page: view, answer, and every way a link can be wrong."""

from __future__ import annotations

import html
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from werkzeug.serving import make_server

from inscope_referral.referrals import tokens_for
from tests.conftest import free_port, sqlite_only
from tests.referral.conftest import events_of, token_of
from tests.services.conftest import example

database_backend = sqlite_only("the answer page and how a link can be wrong")

pytestmark = pytest.mark.usefixtures("database_backend")

ORIGIN = {"Origin": "http://localhost"}
IDENTITY = {"profession": "physician", "registration": "CPSO 12345"}


def form_key(page_html: str) -> str:
    return re.search(r'name="form_key" value="([0-9a-f]+)"', page_html).group(1)


def status_of(app, referral_id):
    return app.test_client().get(f"/referrals/{referral_id}").get_json()["status"]


def answer(client, token, key, headers=ORIGIN, **fields):
    data = {"form_key": key, "answered_by": "Dr. Lee", **IDENTITY, **fields}
    return client.post(f"/answer/{token}", data=data, headers=headers)


def test_the_page_shows_the_letter_and_opening_it_marks_the_referral_viewed(app, flow):
    who, ref = flow.referred_client()
    page = app.test_client().get(f"/answer/{token_of(ref['answer_url'])}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = html.unescape(page.get_data(as_text=True))
    for expected in (
        "Re: Dana Rivera, date of birth 1988-04-12",
        "Dr. Priya Shah, Lakeside Family Practice",
        "authorised us in writing to share this information with you",
        "signed by Dana Rivera on 2026-11-26",
        # The findings in the shared letter's words (inscope_clinical.letters.findings).
        "Pain during the shoulder clearing test: front of right shoulder, 3/10 (NPRS).",
        "Functional Movement Screen total: 12/21.",
        "Routine: at the client's next available appointment.",
        "Training is on hold: no exercise sessions until we receive your answer.",
        "Evaluation by a physical therapist, with treatment as appropriate",
    ):
        assert expected in text, expected
    # Human labels only: no engine field names such as "pain[0].onset" or "fms.total".
    assert not re.search(r"\b[a-z_]+(\[\d+\])?\.[a-z_]+: ", re.sub(r"<[^>]+>", " ", text))
    # Labelled inputs, a local stylesheet, and headers that keep the link to ourselves.
    for name in ("max_intensity", "avoid_movements.overhead_pressing", "notes", "answered_by"):
        assert f'<label for="{name}"' in text or f'id="{name}"' in text, name
    assert 'href="/static/answer.css"' in text
    stylesheet = app.test_client().get("/static/answer.css")
    assert stylesheet.status_code == 200 and "color:" in stylesheet.get_data(as_text=True)
    stylesheet.close()
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert status_of(app, ref["referral_id"]) == "viewed"


def test_answering_records_it_and_publishes_referral_answered_to_notify(app, flow, redis_client):
    who, ref = flow.referred_client()
    token = token_of(ref["answer_url"])
    client = app.test_client()
    key = form_key(client.get(f"/answer/{token}").get_data(as_text=True))
    done = answer(
        client,
        token,
        key,
        answer="cleared_with_restrictions",
        max_intensity="moderate",
        notes="Recheck in 6 weeks.",
        **{"avoid_movements.overhead_pressing": "on", "avoid_movements.squatting": "on"},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Thank you: your answer is recorded" in done.get_data(as_text=True)
    row = app.test_client().get(f"/referrals/{ref['referral_id']}").get_json()
    assert row["status"] == "answered"
    assert row["answer"] == {
        "answer": "cleared_with_restrictions",
        "restrictions": {
            "max_intensity": "moderate",
            "avoid_movements": ["squatting", "overhead_pressing"],
            "notes": "Recheck in 6 weeks.",
        },
        "answered_by": "Dr. Lee",
        **IDENTITY,
        # How, when and from where it came: the clinician's own link applies at once.
        "channel": "emailed_link",
        "answered_at": row["answer"]["answered_at"],
        "client_address": "127.0.0.1",
        "verified": True,
    }
    assert "Avoid: Overhead pressing" in html.unescape(done.get_data(as_text=True))
    [published] = events_of(redis_client, "inscope.notify", "referral.answered.v1")
    assert published["data"]["referral_id"] == ref["referral_id"]
    assert published["data"]["answer"] == "cleared_with_restrictions"
    assert published["data"]["restrictions"]["avoid_movements"] == [
        "squatting",
        "overhead_pressing",
    ]
    assert published["subject"] == who["client_id"]
    assert published["correlationid"] == flow.decided()[-1]["correlationid"]
    # No identifiers on the bus.
    assert "Rivera" not in str(published)
    # Intake and assessment hear where the client now stands, with the answer: the
    # physical-therapist referral after the assessment is cleared with limits.
    for queue in ("inscope.intake", "inscope.assessment"):
        changed = events_of(redis_client, queue, "referral.status_changed.v1")[-1]
        assert changed["data"]["answer"]["answer"] == "cleared_with_restrictions"
        assert changed["data"]["status"] == "program_ready"
        assert changed["data"]["decision"]["target"] == ref["target"]
        assert "Rivera" not in str(changed)
    status = app.test_client().get(f"/clients/{who['client_id']}/status").get_json()
    assert status["journey"]["badge"] == "Cleared with limits"
    assert status["journey"]["next_action"] == "Build program within limits"


def test_opening_and_answering_the_link_are_audited(app, flow):
    """Issue 12 item 7: the answer page shows the client's name, date of birth and
    findings; every opening is a recorded view, the answer a recorded change."""
    from inscope_common.audit import entries, verify_chain

    who, ref = flow.referred_client()
    token = token_of(ref["answer_url"])
    client = app.test_client(role=None)
    model, rt = app.extensions["inscope_audit"], app.extensions["inscope"]
    before = len(entries(rt.session_factory, model))
    key = form_key(client.get(f"/answer/{token}").get_data(as_text=True))
    client.get(f"/answer/{token}")
    assert answer(client, token, key, answer="cleared").status_code == 200
    rows = entries(rt.session_factory, model)[before:]
    assert [(r["action"], r["record"], r["channel"]) for r in rows] == [
        ("view", "referral_letter", "answer_link"),
        ("view", "referral_letter", "answer_link"),
        ("update", "referral", "answer_link"),
    ]
    assert {r["client_id"] for r in rows} == {who["client_id"]}
    assert {r["record_id"] for r in rows} == {ref["referral_id"]}
    assert verify_chain(rt.session_factory, model).ok


def test_a_reused_link_after_answering_is_gone(app, flow, redis_client):
    _who, ref = flow.referred_client()
    token = token_of(ref["answer_url"])
    client = app.test_client()
    key = form_key(client.get(f"/answer/{token}").get_data(as_text=True))
    assert answer(client, token, key, answer="cleared").status_code == 200
    again = client.get(f"/answer/{token}")
    assert again.status_code == 410
    assert "already been answered" in again.get_data(as_text=True)
    assert "Rivera" not in again.get_data(as_text=True)
    second = answer(client, token, key, answer="not_cleared")
    assert second.status_code == 410
    assert status_of(app, ref["referral_id"]) == "answered"
    assert len(events_of(redis_client, "inscope.notify", "referral.answered.v1")) == 1


def test_an_expired_link_is_gone(app, flow):
    _who, ref = flow.referred_client()
    rt = app.extensions["inscope"]
    from inscope_referral.models import Referral

    with rt.session_factory() as session:
        row = session.get(Referral, ref["referral_id"])
    past = time.time() - rt.settings.token_max_age_s - 60
    token = tokens_for(rt.settings).issue(row.id, row.token_nonce, clock=lambda: past)
    page = app.test_client().get(f"/answer/{token}")
    assert page.status_code == 410
    assert "This link has expired" in page.get_data(as_text=True)
    assert answer(app.test_client(), token, "x", answer="cleared").status_code == 410
    assert status_of(app, ref["referral_id"]) == "needed"


def test_a_tampered_link_is_refused(app, flow):
    _who, ref = flow.referred_client()
    token = token_of(ref["answer_url"])
    assert len(ref["answer_url"]) < 80  # a short link: it fits an email line
    forged = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]  # the signature
    other_channel = token[:21] + ("W" if token[21] != "W" else "Q") + token[22:]
    long_token = tokens_for(app.extensions["inscope"].settings).issue(ref["referral_id"], "n")
    payload, signature = long_token.rsplit(".", 1)
    forged_long = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (forged, other_channel, token[:-3], "garbage", forged_long, "x" * 44):
        page = app.test_client().get(f"/answer/{bad}")
        assert page.status_code == 400, bad
        assert "This link is not valid" in page.get_data(as_text=True)
    assert status_of(app, ref["referral_id"]) == "needed"


def test_a_short_link_expires_too(app, flow):
    _who, ref = flow.referred_client()
    rt = app.extensions["inscope"]
    from inscope_referral.models import Referral

    with rt.session_factory() as session:
        row = session.get(Referral, ref["referral_id"])
    past = time.time() - rt.settings.token_max_age_s - 60
    token = tokens_for(rt.settings).issue_short(row.id, row.token_nonce, clock=lambda: past)
    page = app.test_client().get(f"/answer/{token}")
    assert page.status_code == 410 and "This link has expired" in page.get_data(as_text=True)


def test_a_link_for_one_referral_cannot_act_on_another(app, flow):
    _a, ref_a = flow.referred_client()
    _b, ref_b = flow.referred_client()
    rt = app.extensions["inscope"]
    from inscope_referral.models import Referral

    with rt.session_factory() as session:
        nonce_a = session.get(Referral, ref_a["referral_id"]).token_nonce
    # Even correctly signed, B's id with A's nonce opens nothing.
    crossed = tokens_for(rt.settings).issue(ref_b["referral_id"], nonce_a)
    assert app.test_client().get(f"/answer/{crossed}").status_code == 403
    # A's form key does not answer B's link.
    client = app.test_client()
    key_a = form_key(client.get(f"/answer/{token_of(ref_a['answer_url'])}").get_data(True))
    assert answer(client, token_of(ref_b["answer_url"]), key_a, answer="cleared").status_code == (
        403
    )
    assert status_of(app, ref_b["referral_id"]) == "needed"


def test_a_post_from_another_site_or_without_the_form_key_is_refused(app, flow):
    _who, ref = flow.referred_client()
    token = token_of(ref["answer_url"])
    client = app.test_client()
    key = form_key(client.get(f"/answer/{token}").get_data(as_text=True))
    evil = {"Origin": "https://evil.example"}
    assert answer(client, token, key, headers=evil, answer="cleared").status_code == 403
    assert answer(client, token, key, headers={"Origin": "null"}, answer="cleared").status_code == (
        403
    )
    assert answer(client, token, "", answer="cleared").status_code == 403
    assert status_of(app, ref["referral_id"]) == "viewed"
    # The public address is ours too.
    public = {"Origin": "http://referrals.test"}
    assert answer(client, token, key, headers=public, answer="cleared").status_code == 200


@pytest.mark.parametrize("source", ["http://[", "http://[::1", "https://a]b/"])
def test_an_origin_that_does_not_parse_is_refused_not_a_500(app, flow, source):
    _who, ref = flow.referred_client()
    token = token_of(ref["answer_url"])
    client = app.test_client()
    key = form_key(client.get(f"/answer/{token}").get_data(as_text=True))
    for header in ("Origin", "Referer"):
        response = answer(client, token, key, headers={header: source}, answer="cleared")
        assert response.status_code == 403
    assert status_of(app, ref["referral_id"]) == "viewed"


def test_form_errors_come_back_per_field_with_what_was_typed_escaped(app, flow):
    _who, ref = flow.referred_client()
    token = token_of(ref["answer_url"])
    client = app.test_client()
    key = form_key(client.get(f"/answer/{token}").get_data(as_text=True))
    response = answer(
        client,
        token,
        key,
        answer="cleared_with_restrictions",
        max_intensity="extreme",
        notes="<script>alert(1)</script> Keep it light & easy",
        answered_by="",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="max_intensity-error"' in page and 'id="answered_by-error"' in page
    assert "Choose light, moderate or vigorous." in page
    assert "Give your name" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Keep it light &amp; easy</textarea>" in page
    assert "<script>" not in page
    assert 'value="cleared_with_restrictions" checked' in page
    assert status_of(app, ref["referral_id"]) == "viewed"


def test_the_page_escapes_what_the_intake_holds(app, flow):
    body = example("intake.json")
    body["client"]["first_name"] = "<script>alert(1)</script>"
    who = flow.submit_intake(body)
    flow.score(who, example("assessment-pain.json"), "a-1")
    ref = flow.decided()[-1]["data"]["referral"]
    page = app.test_client().get(f"/answer/{token_of(ref['answer_url'])}").get_data(True)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Rivera" in page


def test_intake_unreachable_shows_a_page_and_records_nothing(app, flow, referral_env):
    _who, ref = flow.referred_client()
    from inscope_referral import create_app

    broken = create_app({**referral_env, "INTAKE_URL": f"http://127.0.0.1:{free_port()}"})
    page = broken.test_client().get(f"/answer/{token_of(ref['answer_url'])}")
    assert page.status_code == 503 and "cannot be shown right now" in page.get_data(True)
    assert status_of(app, ref["referral_id"]) == "needed"
    broken.extensions["inscope"].engine.dispose()


@pytest.fixture
def referral_server(app):
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join()


def _fetch(url, data=None, headers=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_page_flow_over_a_real_http_port(app, flow, referral_server, redis_client):
    _who, ref = flow.referred_client()
    url = f"{referral_server}/answer/{token_of(ref['answer_url'])}"
    status, page = _fetch(url)
    assert status == 200 and "Dana Rivera" in page
    fields = {"form_key": form_key(page), "answer": "needs_visit", "answered_by": "Dr. Lee",
              **IDENTITY}
    same_origin = {"Origin": referral_server}
    status, done = _fetch(url, fields, same_origin)
    assert status == 200 and "I need to see the patient first" in done
    assert _fetch(url)[0] == 410
    assert _fetch(url, fields, same_origin)[0] == 410
    expired_free = url.replace("/answer/", "/answer/x")
    assert _fetch(expired_free)[0] == 400
    [event] = events_of(redis_client, "inscope.notify", "referral.answered.v1")
    assert event["data"]["answer"] == "needs_visit"
