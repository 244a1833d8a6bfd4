"""The pre-visit link (issue 15 item 2) through the Flask test client: the front desk
sends it, the client fills in the questions with no account, the answers wait as a
draft until the desk completes and signs them (screening starts then), an emergency
answer is screened at once; tampered, expired and used links get clear 4xx pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from inscope_common.audit import entries
from inscope_common.db import utcnow
from inscope_intake import previsit
from inscope_intake.models import AuditEntry, Intake, PrevisitLink
from tests.conftest import as_service, sqlite_only
from tests.web.test_intake_page import desk, example_form, intake_app  # noqa: F401 - fixtures

database_backend = sqlite_only("the pre-visit link and its pages")


def rt(app):
    return app.extensions["inscope"]


def events(app, kind: str) -> list[dict]:
    model = rt(app).models.OutboxEvent
    with rt(app).session_factory() as session:
        return [row.envelope for row in session.scalars(select(model).where(model.type == kind))]


def send(desk, email: str = "dana@example.com") -> PrevisitLink:  # noqa: F811
    response = desk.post("/previsit", data={"first_name": "Dana", "last_name": "Rivera",
                                            "email": email, "csrf_token": desk.csrf})
    assert response.status_code == 303
    link_id = re.search(r"sent=([0-9a-f-]+)", response.headers["Location"]).group(1)
    with rt(desk.application).session_factory() as session:
        return session.get(PrevisitLink, link_id)


def token_of(app, row: PrevisitLink) -> str:
    with app.app_context():
        return previsit.link_url(rt(app), row).rsplit("/", 1)[1]


def client_form(page: str) -> dict[str, str]:
    """What the client's browser sends: the questions answered as in the example intake,
    the page's form key, no signature (signed at the desk)."""
    form = {k: v for k, v in example_form().items() if not k.startswith(previsit_pages_staff())}
    form["form_key"] = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    return form


def previsit_pages_staff() -> tuple[str, ...]:
    from inscope_intake.previsit_pages import STAFF_ONLY

    return STAFF_ONLY


@pytest.fixture
def phone(intake_app):  # noqa: F811
    """The client's phone: no staff credential at all."""
    return intake_app.test_client(role=None)


def test_the_desk_sends_a_link_and_notify_is_asked_to_email_it(desk, intake_app):  # noqa: F811
    row = send(desk)
    assert row.status == "sent" and row.expires_at - row.created_at == timedelta(days=7)
    (event,) = events(intake_app, "intake.previsit_invited.v1")
    data = event["data"]
    assert data["invitation_id"] == row.id and "/previsit/" in data["link_url"]
    assert "dana@example.com" not in str(event)  # notify reads the address when it sends
    page = desk.get(f"/previsit?sent={row.id}").get_data(as_text=True)
    assert "Link sent to Dana Rivera" in page and "Waiting" in page
    assert ">Pre-visit links</a>" in page  # in the front desk's navigation
    internal = intake_app.test_client(role=None).get(
        f"/internal/previsit/{row.id}/contact", headers=as_service("notify"))
    assert internal.get_json()["email"] == "dana@example.com"
    bad = desk.post("/previsit", data={"first_name": "", "last_name": "R", "email": "nope",
                                       "csrf_token": desk.csrf})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "First name is required." in html and "Email must be an email address" in html


def test_the_client_fills_in_a_draft_and_nothing_is_screened_until_the_desk(
        desk, phone, intake_app):  # noqa: F811
    row = send(desk)
    token = token_of(intake_app, row)
    page = phone.get(f"/previsit/{token}").get_data(as_text=True)
    assert "Before your first visit" in page and 'value="Dana"' in page
    # Nothing chosen for the client: no answer, consent or sign pre-ticked on their phone.
    assert re.findall(r"<input[^>]*\bchecked\b[^>]*>", page) == []
    for flag in ("assessment", "share_with_physician", "email"):
        assert f'name="intake.consent.{flag}" value="yes"' in page
        assert f'name="intake.consent.{flag}" value="no"' in page
    assert "Typed signature" not in page and "Recorded values" not in page
    assert "Send my answers" in page
    response = phone.post(f"/previsit/{token}", data=client_form(page))
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    assert "Thank you" in response.get_data(as_text=True)
    with rt(intake_app).session_factory() as session:
        kept = session.get(PrevisitLink, row.id)
        assert kept.status == "submitted" and not kept.emergency and kept.intake_id is None
        assert session.scalar(select(Intake.id)) is None  # a draft, not an intake
    assert events(intake_app, "intake.submitted.v1") == []
    audit = entries(rt(intake_app).session_factory, AuditEntry)
    assert any(e["record"] == "previsit_draft" and e["role"] == "client"
               and e["channel"] == "previsit_link" for e in audit)
    # Used: the link does not open again.
    again = phone.get(f"/previsit/{token}")
    assert again.status_code == 410 and "already been sent" in again.get_data(as_text=True)
    # The desk reviews the draft in its own form: answers filled in, consent to confirm,
    # signature at the desk; submitting makes the intake and starts screening.
    listing = desk.get("/previsit").get_data(as_text=True)
    assert "Answers in" in listing and f"/previsit/{row.id}/review" in listing
    review = desk.get(f"/previsit/{row.id}/review").get_data(as_text=True)
    assert 'id="previsit-draft"' in review and 'action="/intakes/new"' in review
    assert 'name="intake.parq.general.g1" value="no" checked' in review
    assert f'name="previsit" value="{row.id}"' in review
    form = {**example_form(), "previsit": row.id, "csrf_token": desk.csrf}
    done = desk.post("/intakes/new", data=form)
    assert done.status_code == 303
    with rt(intake_app).session_factory() as session:
        kept = session.get(PrevisitLink, row.id)
        assert kept.status == "completed" and kept.intake_id
    assert 'id="previsit-online"' not in desk.get(f"/intakes/{kept.intake_id}/view").get_data(
        as_text=True)  # completed at the desk: signed there
    assert len(events(intake_app, "intake.submitted.v1")) == 1
    assert desk.get(f"/previsit/{row.id}/review").status_code == 409


def test_an_emergency_answer_says_what_to_do_and_is_screened_at_once(
        desk, phone, intake_app):  # noqa: F811
    row = send(desk)
    token = token_of(intake_app, row)
    page = phone.get(f"/previsit/{token}").get_data(as_text=True)
    assert "Emergency: call 911 now. Do not come in to exercise." in page  # the JS alert
    form = client_form(page)
    form["intake.red_flags.chest_pain_now"] = "on"
    form["screen.red_flags.1"] = "yes"
    html = phone.post(f"/previsit/{token}", data=form).get_data(as_text=True)
    alert = re.search(r'<div class="result emergency" id="emergency-now" role="alert">(.*?)</div>',
                      html, re.S)
    assert alert and "call 911 now. Do not come in to exercise." in alert.group(1)
    assert "Chest pain right now" in alert.group(1)
    assert "see the emergency on their screens now" in html
    assert "only then do we look" not in html  # not the plain thank-you
    (submitted,) = events(intake_app, "intake.submitted.v1")
    assert submitted["data"]["screening"]["red_flags"]["chest_pain_now"] is True
    with rt(intake_app).session_factory() as session:
        kept = session.get(PrevisitLink, row.id)
        assert kept.emergency and kept.intake_id == submitted["data"]["intake_id"]
    listing = desk.get("/previsit").get_data(as_text=True)
    assert "Emergency" in listing and f"/intakes/{kept.intake_id}/view" in listing
    shown = desk.get(f"/intakes/{kept.intake_id}/view").get_data(as_text=True)
    assert 'id="previsit-online"' in shown and "have not signed at the desk" in shown


def test_an_emergency_sign_on_a_form_with_errors_still_says_what_to_do(
        desk, phone, intake_app):  # noqa: F811
    token = token_of(intake_app, send(desk))
    page = phone.get(f"/previsit/{token}").get_data(as_text=True)
    form = client_form(page)
    form["intake.red_flags.sudden_stroke_signs"] = "on"
    form["screen.red_flags.1"] = "yes"
    del form["intake.parq.general.g1"]
    response = phone.post(f"/previsit/{token}", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="emergency-now"' in html
    assert "Your answers are not sent yet" in html and 'id="error-summary"' in html


def test_tampered_expired_and_foreign_links_get_clear_pages(desk, phone, intake_app):  # noqa: F811
    row = send(desk)
    token = token_of(intake_app, row)
    flipped = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    for bad in (flipped, token[:-4], "x" * 44, "not-a-link"):
        response = phone.get(f"/previsit/{bad}")
        assert response.status_code in (400, 404), bad
        if response.status_code == 400:
            assert "This link is not valid" in response.get_data(as_text=True)
    page = phone.get(f"/previsit/{token}").get_data(as_text=True)
    form = client_form(page)
    forged = phone.post(f"/previsit/{token}", data={**form, "form_key": "0" * 64})
    assert forged.status_code == 403
    with rt(intake_app).session_factory() as session, session.begin():
        session.execute(update(PrevisitLink).where(PrevisitLink.id == row.id).values(
            expires_at=utcnow() - timedelta(seconds=1)))
    expired = phone.get(f"/previsit/{token}")
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    assert phone.post(f"/previsit/{token}", data=form).status_code == 410


def test_the_client_page_needs_no_account_but_the_desk_pages_do(intake_app, phone):  # noqa: F811
    assert phone.get("/previsit").status_code == 302  # to the login page
    trainer = intake_app.test_client(role="trainer")
    assert trainer.get("/previsit").status_code == 403


def test_the_desk_withdraws_a_link_and_it_no_longer_opens(desk, phone, intake_app):  # noqa: F811
    row = send(desk)
    token = token_of(intake_app, row)
    listing = desk.get("/previsit").get_data(as_text=True)
    assert f'action="/previsit/{row.id}/withdraw"' in listing
    assert desk.post(f"/previsit/{row.id}/withdraw",
                     data={"csrf_token": desk.csrf}).status_code == 303
    page = phone.get(f"/previsit/{token}")
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert "Withdrawn." in desk.get("/previsit").get_data(as_text=True)
    audit = entries(rt(intake_app).session_factory, AuditEntry)
    assert any(e["record"] == "previsit_link" and e["action"] == "update" for e in audit)
    # Once the client has answered, a link cannot be withdrawn.
    answered = send(desk)
    answered_token = token_of(intake_app, answered)
    form = client_form(phone.get(f"/previsit/{answered_token}").get_data(as_text=True))
    assert phone.post(f"/previsit/{answered_token}", data=form).status_code == 200
    assert desk.post(f"/previsit/{answered.id}/withdraw",
                     data={"csrf_token": desk.csrf}).status_code == 409


def test_a_relative_filling_in_the_form_says_so_and_the_desk_sees_it(
        desk, phone, intake_app):  # noqa: F811
    """DEC-2: on the client's own form the question is "Who is filling in this form?"
    (no staff choice); a relative's answer reaches the desk's review already chosen."""
    row = send(desk)
    token = token_of(intake_app, row)
    page = phone.get(f"/previsit/{token}").get_data(as_text=True)
    assert "Who is filling in this form?" in page and "Front desk staff" not in page
    form = {**client_form(page), "intake.notes_written_by": "relative_or_carer"}
    assert phone.post(f"/previsit/{token}", data=form).status_code == 200
    review = desk.get(f"/previsit/{row.id}/review").get_data(as_text=True)
    assert "Who wrote the notes and descriptions?" in review
    assert '<option value="relative_or_carer" selected>' in review
