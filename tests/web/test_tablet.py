"""The desk's tablet handed to the client (issue 15 item 2, "hand to client") through the
Flask test client: the staff session leaves the tablet, the client sees only their own
questions (the pre-visit page, no staff navigation), staff pages and other clients'
links do not open, and taking the tablet back needs a staff sign-in, after which the
desk reviews the draft exactly as a pre-visit link's."""

from __future__ import annotations

import re

from sqlalchemy import select

from inscope_common.auth import SESSION_COOKIE, Principal
from inscope_intake.models import Intake, PrevisitLink
from inscope_intake.previsit_pages import TABLET_COOKIE
from tests.conftest import signer, sqlite_only
from tests.web.test_intake_page import desk, example_form, intake_app  # noqa: F401 - fixtures
from tests.web.test_previsit import client_form, events, rt, send, token_of

database_backend = sqlite_only("the tablet handed to the client")


def hand_over(desk, first: str = "Dana", last: str = "Rivera"):  # noqa: F811
    return desk.post(
        "/previsit/tablet",
        data={"tablet_first_name": first, "tablet_last_name": last, "csrf_token": desk.csrf},
    )


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found is not None else None


def sign_in_again(client, app, name: str = "Robin Desk") -> None:
    """What the shared sign-in page does on the tablet: a new staff session cookie."""
    credentials = signer(app)
    client.set_cookie(
        SESSION_COOKIE, credentials.session_cookie(Principal("desk-1", name, "front_desk"))
    )


def test_handing_over_ends_the_staff_session_on_the_tablet(desk, intake_app):  # noqa: F811
    assert ">Hand the tablet to the client</button>" in desk.get("/previsit").get_data(as_text=True)
    response = hand_over(desk)
    assert response.status_code == 303 and response.headers["Location"].endswith("/tablet")
    set_cookies = response.headers.getlist("Set-Cookie")
    ended = [c for c in set_cookies if c.startswith(f"{SESSION_COOKIE}=")]
    assert ended and "Expires=Thu, 01 Jan 1970" in ended[0]
    tablet = [c for c in set_cookies if c.startswith(f"{TABLET_COOKIE}=")]
    assert tablet and "HttpOnly" in tablet[0] and "SameSite=Strict" in tablet[0]
    assert cookie(desk, SESSION_COOKIE) is None and cookie(desk, TABLET_COOKIE)
    with rt(intake_app).session_factory() as session:
        row = session.scalar(select(PrevisitLink))
        assert (row.channel, row.status, row.email, row.sent_by_name) == (
            "tablet",
            "sent",
            "",
            "Robin Desk",
        )
    assert events(intake_app, "intake.previsit_invited.v1") == []  # nothing is emailed

    page = desk.get("/tablet")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Before your first visit" in html
    assert 'id="tablet-note"' in html and 'value="Dana"' in html
    assert 'aria-label="Sections"' not in html and '/previsit"' not in html  # no staff nav
    assert "Typed signature" not in html and "Send my answers" in html
    back = re.search(r'id="hand-back" href="([^"]+)"', html).group(1)
    assert back.startswith("http") and "/login?next=" in back
    assert "%2Fprevisit%2Ftablet%2Freturn" in back


def test_the_client_cannot_reach_staff_pages_or_other_clients(desk, intake_app):  # noqa: F811
    other = send(desk, "other@example.com")  # another client's emailed link
    form = {**example_form(), "csrf_token": desk.csrf}
    made = desk.post("/intakes/new", data=form)
    intake_id = re.search(r"/intakes/([^/]+)/view", made.headers["Location"]).group(1)
    hand_over(desk)
    for path in (
        "/previsit",
        "/intakes/new",
        f"/intakes/{intake_id}/view",
        f"/intakes/{intake_id}/correct",
        f"/previsit/{other.id}/review",
        "/previsit/tablet/return",
        "/admin/dead-letters",
    ):
        response = desk.get(path)
        assert response.status_code == 302, path
        assert "/login?next=" in response.headers["Location"], path
    assert desk.get(f"/intakes/{intake_id}").status_code == 401  # the API: no credential
    # Starting another client's session, or withdrawing a link, needs staff too.
    for path in ("/previsit/tablet", f"/previsit/{other.id}/withdraw"):
        refused = desk.post(path, data={"tablet_first_name": "X", "tablet_last_name": "Y"})
        assert "/login?next=" in refused.headers["Location"], path
    assert cookie(desk, TABLET_COOKIE)  # still this client's tablet
    # The tablet's page is its own client's: another link does not ride on the cookie.
    desk.set_cookie(TABLET_COOKIE, token_of(intake_app, other)[:-2] + "AA")
    assert desk.get("/tablet").status_code == 400
    desk.delete_cookie(TABLET_COOKIE)
    nothing = desk.get("/tablet")
    assert nothing.status_code == 404
    assert "No client questions are open on this tablet" in nothing.get_data(as_text=True)


def test_the_draft_comes_back_for_review_after_a_staff_sign_in(desk, intake_app):  # noqa: F811
    hand_over(desk)
    page = desk.get("/tablet").get_data(as_text=True)
    form = client_form(page)
    form["intake.vitals.resting_hr"] = "300"  # staff-only fields are dropped
    done = desk.post("/tablet", data=form)
    html = done.get_data(as_text=True)
    assert done.status_code == 200, html[:3000]
    assert 'id="tablet-done"' in html and "hand the tablet back" in html
    with rt(intake_app).session_factory() as session:
        row = session.scalar(select(PrevisitLink))
        assert row.status == "submitted" and row.intake_id is None
        assert not any(k.startswith("intake.vitals.") for k in row.draft)
        assert session.scalar(select(Intake.id)) is None  # a draft, not an intake
    again = desk.get("/tablet")
    assert again.status_code == 410 and "already been sent" in again.get_data(as_text=True)
    # Taking it back: the sign-in page brings the staff member to the review.
    sign_in_again(desk, intake_app)
    back = desk.get("/previsit/tablet/return")
    assert back.status_code == 303
    assert back.headers["Location"].endswith(f"/previsit/{row.id}/review")
    assert cookie(desk, TABLET_COOKIE) is None  # the tablet left the client's mode
    review = desk.get(f"/previsit/{row.id}/review").get_data(as_text=True)
    assert 'id="previsit-draft"' in review and f'name="previsit" value="{row.id}"' in review
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', review).group(1)
    submitted = desk.post(
        "/intakes/new", data={**example_form(), "previsit": row.id, "csrf_token": csrf}
    )
    assert submitted.status_code == 303
    with rt(intake_app).session_factory() as session:
        assert session.get(PrevisitLink, row.id).status == "completed"
    assert len(events(intake_app, "intake.submitted.v1")) == 1
    listing = desk.get("/previsit").get_data(as_text=True)
    assert "On the desk’s tablet" in listing and "Intake completed at the desk." in listing


def test_a_session_the_client_did_not_send_ends_when_taken_back(desk, intake_app):  # noqa: F811
    hand_over(desk, "Omar", "Haddad")
    token = cookie(desk, TABLET_COOKIE)
    sign_in_again(desk, intake_app)
    back = desk.get("/previsit/tablet/return")
    assert "/previsit?ended=" in back.headers["Location"]
    note = desk.get(back.headers["Location"]).get_data(as_text=True)
    assert 'id="ended-note"' in note and "Omar Haddad did not send answers" in note
    desk.set_cookie(TABLET_COOKIE, token)  # the old cookie no longer opens the questions
    assert desk.get("/tablet").status_code == 410


def test_an_emergency_on_the_tablet_is_screened_at_once(desk, intake_app):  # noqa: F811
    hand_over(desk)
    form = client_form(desk.get("/tablet").get_data(as_text=True))
    form["intake.red_flags.chest_pain_now"] = "on"
    form["screen.red_flags.1"] = "yes"
    html = desk.post("/tablet", data=form).get_data(as_text=True)
    assert "call 911 now" in html and "hand the tablet back to the front desk straight away" in html
    (submitted,) = events(intake_app, "intake.submitted.v1")
    sign_in_again(desk, intake_app)
    back = desk.get("/previsit/tablet/return")
    assert back.headers["Location"].endswith(f"/intakes/{submitted['data']['intake_id']}/view")


def test_the_desk_names_the_client_before_handing_over(desk):  # noqa: F811
    response = hand_over(desk, "", "")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The client’s first name is required." in html
    assert 'href="#f-tablet_first_name"' in html
    assert cookie(desk, SESSION_COOKIE)  # still signed in: nothing was handed over


def test_the_intake_records_the_staff_member_responsible(desk, intake_app):  # noqa: F811
    """Issue 15 item 5: the clerk who submits an intake is responsible for the client by
    default; ``intake.submitted`` carries their account (it may sign screening-only
    letters); an emergency answered before the desk saw the client names the staff
    member who handed over the tablet or sent the link."""
    made = desk.post("/intakes/new", data={**example_form(), "csrf_token": desk.csrf})
    intake_id = re.search(r"/intakes/([^/]+)/view", made.headers["Location"]).group(1)
    with rt(intake_app).session_factory() as session:
        row = session.get(Intake, intake_id)
        assert (row.responsible_id, row.responsible_name) == ("desk-1", "Robin Desk")
    (event,) = events(intake_app, "intake.submitted.v1")
    assert event["data"]["responsible_id"] == "desk-1"
    shown = desk.get(f"/intakes/{intake_id}/view").get_data(as_text=True)
    assert re.search(r"Staff member responsible</dt>\s*<dd>Robin Desk</dd>", shown)

    hand_over(desk, "Omar", "Haddad")
    form = client_form(desk.get("/tablet").get_data(as_text=True))
    form["intake.red_flags.chest_pain_now"] = "on"
    form["screen.red_flags.1"] = "yes"
    desk.post("/tablet", data=form)
    emergency = [
        e for e in events(intake_app, "intake.submitted.v1") if e["data"]["intake_id"] != intake_id
    ]
    assert [e["data"]["responsible_id"] for e in emergency] == ["desk-1"]


def test_the_clerk_may_name_another_staff_member_responsible(desk, intake_app, monkeypatch):  # noqa: F811
    """The form's last step offers the active staff (read from the referral service),
    the clerk first; the one chosen is recorded and carried; one not on the list is
    refused in the form's words."""
    from inscope_intake import staff

    members = [
        {"account_id": "desk-1", "name": "Robin Desk", "role": "front_desk"},
        {"account_id": "trainer-7", "name": "Sam Lee", "role": "trainer"},
    ]
    monkeypatch.setattr(staff, "read_staff", lambda *a: members)
    page = desk.get("/intakes/new").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', responsible_select(page))
    assert options == [("desk-1", "You (Robin Desk)"), ("trainer-7", "Sam Lee (trainer)")]
    made = desk.post(
        "/intakes/new", data={**example_form(), "responsible": "trainer-7", "csrf_token": desk.csrf}
    )
    assert made.status_code == 303
    (event,) = events(intake_app, "intake.submitted.v1")
    assert event["data"]["responsible_id"] == "trainer-7"
    with rt(intake_app).session_factory() as session:
        assert session.scalar(select(Intake.responsible_name)) == "Sam Lee"
    refused = desk.post(
        "/intakes/new",
        data={**example_form(), "responsible": "someone-else", "csrf_token": desk.csrf},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Choose the staff member responsible from the list." in html
    assert 'href="#f-responsible"' in html
    monkeypatch.setattr(staff, "read_staff", lambda *a: None)  # the referral unreachable
    page = desk.get("/intakes/new").get_data(as_text=True)
    assert re.findall(r'<option value="([^"]*)">', responsible_select(page)) == ["desk-1"]


def responsible_select(page: str) -> str:
    start = page.index('id="f-responsible"')
    return page[start : page.index("</select>", start)]
