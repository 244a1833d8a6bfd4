"""The front desk's intake page, through the Flask test client (the browser test drives
the same page in Chromium)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from inscope_common.audit import entries
from inscope_common.auth import FRONT_DESK, SESSION_COOKIE, TRAINER, Principal
from inscope_intake import questions
from inscope_intake.intake_form import screener_values
from tests.conftest import signer, sqlite_only
from tests.web.conftest import example, ids_folded_under_details

database_backend = sqlite_only("the intake page")


def flat(prefix: str, value: Any, out: dict[str, str]) -> dict[str, str]:
    """A JSON document as the form's field names and values."""
    if isinstance(value, dict):
        for key, inner in value.items():
            flat(f"{prefix}.{key}" if prefix else key, inner, out)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            flat(f"{prefix}.{index}", inner, out)
    elif isinstance(value, bool):
        checkbox = prefix.split(".")[-1] in {"doms", "assessed_by_clinician"} or re.match(
            r"intake\.(red_flags|parq\.delay)\.", prefix
        )
        if checkbox:
            if value:
                out[prefix] = "on"
        else:
            out[prefix] = "yes" if value else "no"
    elif value is not None:
        out[prefix] = str(value)
    return out


def example_form() -> dict[str, str]:
    document = example("intake.json")
    document["intake"]["consent"].pop("signed_at")
    form = flat("", document, {})
    form["signature.typed"] = "Dana Rivera"
    # Each warning-sign group's "Any of these?", as the clerk answers it.
    form.update(screener_values(form, questions.RED_FLAGS))
    return form


@pytest.fixture
def intake_app(service_env):
    from inscope_intake import create_app

    app = create_app(service_env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def desk(intake_app):
    """A browser signed in as the front desk: session cookie, and the form's CSRF token."""
    client = intake_app.test_client(role=None)
    credentials = signer(intake_app)
    cookie = credentials.session_cookie(Principal("desk-1", "Robin Desk", FRONT_DESK))
    client.set_cookie(SESSION_COOKIE, cookie)
    page = client.get("/intakes/new").get_data(as_text=True)
    client.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client


def test_the_form_labels_every_input(desk):
    page = desk.get("/intakes/new").get_data(as_text=True)
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', page))
    assert ids and set(ids) - {"signature-drawn"} <= labelled
    assert 'name="intake.parq.followups.s1_arthritis.a"' in page
    assert "https://" not in page and "http://cdn" not in page  # no external assets


def test_a_valid_intake_is_created_and_shown(desk, intake_app):
    form = {**example_form(), "csrf_token": desk.csrf}
    response = desk.post("/intakes/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    shown = desk.get(response.headers["Location"])
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "Intake saved" in html and "Dana Rivera" in html and "consent-2026-01" in html
    intake_id = re.search(r"/intakes/([^/]+)/view", response.headers["Location"]).group(1)
    api = intake_app.test_client(role=TRAINER).get(f"/intakes/{intake_id}").get_json()
    # The client's name first, then the screening result; the ids folded under Details.
    ids_folded_under_details(html, intake_id, api["client_id"])
    assert html.index("<h1>Intake: Dana Rivera</h1>") < html.index('id="screening-result"')
    expected = example("intake.json")["intake"]
    assert api["intake"]["parq"]["general"] == expected["parq"]["general"]
    assert api["intake"]["history"]["physical_therapy"][0]["discharge_status"] == "symptom_free"
    assert api["intake"]["consent"]["signed_by"] == "Dana Rivera"
    assert api["client"]["email"] == "dana.rivera@example.com"
    rt = intake_app.extensions["inscope"]
    from inscope_intake.models import AuditEntry

    actions = [
        (r["account_id"], r["action"], r["channel"])
        for r in entries(rt.session_factory, AuditEntry)
    ]
    assert actions[:2] == [("desk-1", "create", "page"), ("desk-1", "view", "page")]


def test_errors_show_next_to_their_fields_and_nothing_typed_is_lost(desk):
    form = {**example_form(), "csrf_token": desk.csrf}
    form["client.email"] = "not-an-email"
    del form["intake.parq.general.g3"]  # unanswered
    form["intake.parq.general.g6"] = "yes"
    form["intake.parq.followups.s1_arthritis.gate"] = "yes"
    form["intake.parq.followups.s1_arthritis.b"] = "yes"
    form["intake.pain.1.region"] = "lower back"  # second row, first left empty
    form["intake.pain.1.nprs_rest"] = "eleven"
    del form["signature.typed"]
    response = desk.post("/intakes/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field, message in [
        ("client.email", "Must be an email address (name@example.com)."),
        ("intake.pain.1.nprs_rest", "Must be a whole number."),
        ("intake.pain.1.side", "This is required."),
        ("intake.parq.general.g3", "Answer Yes or No."),
        ("signature", "Type or draw"),
    ]:
        fid = "f-" + field.replace(".", "-")
        error = re.search(rf'id="{fid}-error">(.*?)</p>', html, re.S)
        assert error and message in error.group(1), field
    # The summary in the form's words, each link landing on its question.
    summary = re.search(r'id="error-summary">(.*?)</div>', html, re.S).group(1)
    links = re.findall(r'<a href="#([^"]+)"[^>]*>(.*?)</a>', summary, re.S)
    said = [text for _, text in links]
    assert "Email must be an email address (name@example.com)." in said
    assert "Pain area 2: pain at rest must be a whole number." in said
    assert "Pain area 2: side is required." in said
    assert any(t.startswith("G3. Do you lose balance") and t.endswith("Answer Yes or No.")
               for t in said), said
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    assert links and all(target in ids for target, _ in links), [
        t for t, _ in links if t not in ids]
    assert not any("›" in text or "Missing data" in text for text in said), said
    assert 'id="f-client-email" data-label="Email" name="client.email" type="email" ' \
        'value="not-an-email"' in html
    assert 'value="lower back"' in html and 'value="eleven"' in html
    assert re.search(r'name="intake.parq.followups.s1_arthritis.b" value="yes" checked', html)
    assert 'value="Dana"' in html  # untouched fields are kept too


def test_sub_answers_under_a_no_gate_are_dropped_by_the_server(desk, intake_app):
    form = {**example_form(), "csrf_token": desk.csrf}
    form["intake.parq.general.g4"] = "yes"
    for section in questions.FOLLOWUPS:  # a general Yes: every section's first question
        form.setdefault(f"intake.parq.followups.{section}.gate", "no")
    form["intake.parq.followups.s2_cancer.gate"] = "no"
    form["intake.parq.followups.s2_cancer.a"] = "yes"  # stale: typed before the gate said no
    response = desk.post("/intakes/new", data=form)
    assert response.status_code == 303
    intake_id = re.search(r"/intakes/([^/]+)/view", response.headers["Location"]).group(1)
    api = intake_app.test_client().get(f"/intakes/{intake_id}").get_json()
    assert api["intake"]["parq"]["followups"]["s2_cancer"] == {
        "gate": False, "a": None, "b": None}


def test_a_drawn_signature_is_kept_and_a_forged_one_refused(desk, intake_app):
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    form = {**example_form(), "csrf_token": desk.csrf, "signature.typed": ""}
    bad = desk.post("/intakes/new", data={**form, "signature.drawn": "javascript:alert(1)"})
    assert bad.status_code == 422 and "could not be read" in bad.get_data(as_text=True)
    good = desk.post("/intakes/new", data={**form, "signature.drawn": png})
    assert good.status_code == 303
    assert png in desk.get(good.headers["Location"]).get_data(as_text=True)


def test_the_form_refuses_a_post_without_the_csrf_token(desk):
    response = desk.post("/intakes/new", data=example_form())
    assert response.status_code == 403


def test_a_trainer_may_not_open_the_intake_form(intake_app):
    client = intake_app.test_client(role=None)
    cookie = signer(intake_app).session_cookie(Principal("t", "T", TRAINER))
    client.set_cookie(SESSION_COOKIE, cookie)
    assert client.get("/intakes/new").status_code == 403


def test_an_inbound_referral_fills_in_what_the_clinic_sent(service_env):
    """The front desk follows an inbound referral's intake link: the page reads the
    referral from the referral service, as the front desk, and fills the form."""
    import threading

    from werkzeug.serving import make_server

    from inscope_intake import create_app as create_intake
    from inscope_referral import create_app as create_referral

    referral = create_referral(service_env)
    server = make_server("127.0.0.1", 0, referral, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    intake = create_intake({**service_env, "REFERRAL_URL": f"http://127.0.0.1:{server.port}"})
    try:
        body = {
            "referrer": {
                "name": "Dr. Ada Park",
                "clinic": "Harbour Physio",
                "email": "ada@hp.test",
            },
            "patient": {"first_name": "Lee", "last_name": "Chan", "date_of_birth": "1979-02-03"},
            "prescription": "Progressive loading of the left knee.",
            "restrictions": {"max_intensity": "light", "avoid_movements": ["jumping"]},
            "referral_date": "2026-11-20",
        }
        created = referral.test_client(role=FRONT_DESK).post("/referrals/inbound", json=body)
        assert created.status_code == 201, created.get_json()
        link = created.get_json()["intake_link"]
        assert "/intakes/new?inbound=" in link
        desk = intake.test_client(role=None)
        cookie = signer(intake).session_cookie(
            Principal("desk-1", "Robin Desk", FRONT_DESK)
        )
        desk.set_cookie(SESSION_COOKIE, cookie)
        html = desk.get("/intakes/new?" + link.split("?", 1)[1]).get_data(as_text=True)
        assert "Referred by Dr. Ada Park, Harbour Physio" in html
        assert "Progressive loading of the left knee." in html and "Avoid jumping." in html
        assert 'name="client.first_name" type="text" value="Lee"' in html
        assert 'name="intake.physician.email" type="email" value="ada@hp.test"' in html
        # The form carries the referral's id: the intake keeps it (erasure reaches it).
        assert f'name="inbound" value="{created.get_json()["id"]}"' in html
        unknown = desk.get("/intakes/new?inbound=no-such-referral").get_data(as_text=True)
        assert "could not be read" in unknown
    finally:
        server.shutdown()
        thread.join()
        referral.extensions["inscope"].engine.dispose()
        intake.extensions["inscope"].engine.dispose()


def test_the_intake_keeps_the_inbound_referral_it_was_started_from(desk, intake_app):
    from inscope_intake.models import Intake

    form = {**example_form(), "csrf_token": desk.csrf, "inbound": "inbound-7"}
    created = desk.post("/intakes/new", data=form)
    intake_id = re.search(r"/intakes/([^/]+)/view", created.headers["Location"]).group(1)
    with intake_app.extensions["inscope"].session_factory() as session:
        assert session.get(Intake, intake_id).inbound_referral_id == "inbound-7"


def test_an_impossible_date_of_birth_is_named_on_the_form(desk):
    form = {**example_form(), "csrf_token": desk.csrf, "client.date_of_birth": "2029-05-01"}
    page = desk.post("/intakes/new", data=form)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    error = re.search(r'id="f-client-date_of_birth-error">(.*?)</p>', html, re.S)
    assert error and "Date of birth 2029-05-01 is in the future." in error.group(1)
    assert 'value="Rivera"' in html  # nothing typed is lost


def test_emergency_signs_raise_an_inline_alert(desk):
    html = desk.get("/intakes/new").get_data(as_text=True)
    flags = re.search(r'data-emergency-flags="([^"]*)"', html).group(1).split()
    assert "chest_pain_now" in flags and "sudden_stroke_signs" in flags
    assert "chest_pain_12_to_72h" not in flags  # urgent, not an emergency
    assert 'id="emergency-alert"' in html and "call 911 now, do not exercise" in html


def test_the_front_desk_corrects_an_intake_on_its_page(desk, intake_app):
    created = desk.post("/intakes/new", data={**example_form(), "csrf_token": desk.csrf})
    intake_id = re.search(r"/intakes/([^/]+)/view", created.headers["Location"]).group(1)
    page = desk.get(f"/intakes/{intake_id}/correct").get_data(as_text=True)
    assert "Correct intake: Dana Rivera" in page and 'value="1988-04-12"' in page
    assert 'name="intake.parq.general.g1" value="no" checked' in page
    assert 'name="screen.red_flags.1" value="no" checked' in page  # no sign on file
    form = {k: v for k, v in flat("", example("intake.json"), {}).items()
            if not k.startswith("intake.consent")}
    form.update(screener_values(form, questions.RED_FLAGS))
    form.update({"csrf_token": desk.csrf, "client.date_of_birth": "1988-04-21"})
    refused = desk.post(f"/intakes/{intake_id}/correct", data=form)
    assert refused.status_code == 422
    assert "Say why the intake is corrected" in refused.get_data(as_text=True)
    form["correction.reason"] = "Birthday typed wrong"
    done = desk.post(f"/intakes/{intake_id}/correct", data=form)
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    shown = desk.get(done.headers["Location"]).get_data(as_text=True)
    assert "Correction saved" in shown and "1988-04-21" in shown
    versions = re.search(r'<table id="versions">(.*?)</table>', shown, re.S).group(1)
    assert "Robin Desk (front desk)" in versions and "Birthday typed wrong" in versions
    assert "1988-04-12" in versions
    api = intake_app.test_client(role=TRAINER).get(f"/intakes/{intake_id}").get_json()
    assert api["version"] == 2 and api["intake"]["consent"]["signed_by"] == "Dana Rivera"


def test_guidelines_clearance_and_recorded_values_reach_the_intake(desk, intake_app):
    """DEC-5, DEC-9, DEC-10: the form holds clinicians' guidelines and clearances (with
    their restrictions) and recorded values, in the shapes the engine reads."""
    form = {**example_form(), "csrf_token": desk.csrf}
    g = "intake.history.clinician_guidelines.0"
    c = "intake.history.written_clearances.0"
    form.update({
        f"{g}.profession": "chiropractor", f"{g}.guidelines": "No loaded flexion.",
        f"{g}.restrictions.avoid_movements.spinal_flexion": "on",
        f"{c}.clinician_name": "Dr Rivera", f"{c}.profession": "physician",
        f"{c}.date": "2026-10-01", f"{c}.document_seen": "yes",
        f"{c}.conditions.known_cv_disease": "on",
        f"{c}.restrictions.max_intensity": "moderate",
        "intake.vitals.resting_bp.systolic": "150", "intake.vitals.resting_bp.diastolic": "95",
        "intake.vitals.resting_bp.measured_on": "2026-11-20",
        "intake.vitals.resting_bp.on_medication": "no",
    })
    response = desk.post("/intakes/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    intake_id = re.search(r"/intakes/([^/]+)/view", response.headers["Location"]).group(1)
    api = intake_app.test_client(role=TRAINER).get(f"/intakes/{intake_id}").get_json()["intake"]
    assert api["history"]["clinician_guidelines"] == [{
        "profession": "chiropractor", "guidelines": "No loaded flexion.",
        "restrictions": {"max_intensity": None, "avoid_movements": ["spinal_flexion"],
                         "notes": None}}]
    clearance = api["history"]["written_clearances"][0]
    assert clearance["conditions"] == ["known_cv_disease"] and clearance["document_seen"] is True
    assert clearance["restrictions"]["max_intensity"] == "moderate"
    assert api["vitals"]["resting_bp"] == {"systolic": 150, "diastolic": 95,
                                           "measured_on": "2026-11-20", "on_medication": False}


def test_who_wrote_the_notes_reaches_the_intake_and_comes_back_to_correct(desk, intake_app):
    """DEC-2: the desk says a relative wrote the notes ("Mum has ..."), so the safety net
    reads "Mum" as the client; the answer is kept, shown again when correcting, and a
    value the form does not offer is refused on its field."""
    form = {**example_form(), "csrf_token": desk.csrf,
            "intake.notes": "Mum has had crushing chest pain since this morning.",
            "intake.notes_written_by": "relative_or_carer"}
    page = desk.get("/intakes/new").get_data(as_text=True)
    assert 'name="intake.notes_written_by"' in page and "A relative or carer" in page
    response = desk.post("/intakes/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    intake_id = re.search(r"/intakes/([^/]+)/view", response.headers["Location"]).group(1)
    api = intake_app.test_client(role=TRAINER).get(f"/intakes/{intake_id}").get_json()
    assert api["intake"]["notes_written_by"] == "relative_or_carer"
    again = desk.get(f"/intakes/{intake_id}/correct").get_data(as_text=True)
    assert '<option value="relative_or_carer" selected>' in again
    bad = desk.post("/intakes/new", data={**form, "intake.notes_written_by": "neighbour"})
    assert bad.status_code == 422
    assert "Must be one of" in bad.get_data(as_text=True)
