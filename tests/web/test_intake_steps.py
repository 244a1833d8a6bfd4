"""The stepped intake through the Flask test client (no JavaScript): consent defaults,
"Add pain area" without a script, the warning-sign screeners, the clerk's warning when
sharing is No, the age shown, and errors in the form's own words."""

from __future__ import annotations

import re

from inscope_intake import form_words, questions
from tests.conftest import sqlite_only
from tests.services.conftest import example
from tests.web.test_intake_page import desk, example_form, intake_app  # noqa: F401 - fixtures

database_backend = sqlite_only("the stepped form, its questions and its words")


def post(desk, form):  # noqa: F811 - the fixture
    return desk.post("/intakes/new", data={**form, "csrf_token": desk.csrf})


def test_nothing_is_chosen_for_the_client_and_every_consent_is_yes_or_no(desk):  # noqa: F811
    page = desk.get("/intakes/new").get_data(as_text=True)
    assert " checked" not in page  # no answer, consent or sign pre-chosen
    for flag in ("assessment", "share_with_physician", "email"):
        assert f'name="intake.consent.{flag}" value="yes"' in page
        assert f'name="intake.consent.{flag}" value="no"' in page
    assert 'id="consent-text"' in page and "consent-2026-01" in page
    form = example_form()
    del form["intake.consent.share_with_physician"]
    html = post(desk, form).get_data(as_text=True)
    assert "May InScope share your screening with your physician? Answer Yes or No." in html


def test_the_five_steps_and_no_empty_rows(desk):  # noqa: F811
    page = desk.get("/intakes/new").get_data(as_text=True)
    titles = re.findall(r'data-step-link="[a-z]+">([^<]+)</a>', page)
    assert titles == ["Contact", "Health questions", "Symptoms and warning signs",
                      "Pain and history", "Physician and consent"]
    rows = re.findall(r'<fieldset class="row" id="f-intake-pain-\d+"[^>]*>', page)
    assert rows and all(" hidden" in row for row in rows)  # none shown at first
    assert 'data-add="pain"' in page and "Add pain area" in page and "Add surgery" in page


def test_add_pain_area_without_a_script_shows_one_more_row_and_keeps_everything(desk):  # noqa: F811
    form = {"client.first_name": "Ines", "rows": "pain=0", "add": "pain"}
    response = post(desk, form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="error-summary"' not in page  # not saved
    assert 'value="Ines"' in page
    assert re.search(r'<fieldset class="row" id="f-intake-pain-0"[^>]*data-row="pain">', page)
    assert re.search(r'<fieldset class="row" id="f-intake-pain-1"[^>]*hidden>', page)
    again = post(desk, {"rows": "pain=1", "add": "pain",
                        "intake.pain.0.region": "knee"}).get_data(as_text=True)
    assert re.search(r'id="f-intake-pain-1"[^>]*data-row="pain">', again)
    assert 'value="knee"' in again


def test_each_warning_sign_group_is_asked_and_agrees_with_what_is_ticked(desk):  # noqa: F811
    form = example_form()
    del form["screen.red_flags.1"]
    html = post(desk, form).get_data(as_text=True)
    assert "Chest, heart and stroke signs: any of these? Answer Yes or No." in html
    form = example_form()
    form["intake.red_flags.chest_pain_12_to_72h"] = "on"  # ticked, but the group says No
    html = post(desk, form).get_data(as_text=True)
    assert "Answered No, but ticked: Chest pain 12 to 72 hours ago." in html
    # Kept ticked and shown: a warning sign is never dropped.
    assert re.search(r'name="intake.red_flags.chest_pain_12_to_72h" value="on" checked', html)
    form["screen.red_flags.1"] = "yes"
    assert post(desk, form).status_code == 303


def test_the_clerk_is_warned_when_a_physician_is_given_but_sharing_is_no(desk):  # noqa: F811
    form = example_form()
    form["intake.consent.share_with_physician"] = "no"
    form["client.date_of_birth"] = "2099-01-01"  # an error, so the form comes back
    html = post(desk, form).get_data(as_text=True)
    warning = re.search(r'<div class="warning" id="share-warning" role="status"([^>]*)>', html)
    assert warning and "hidden" not in warning.group(1)
    form["intake.consent.share_with_physician"] = "yes"
    html = post(desk, form).get_data(as_text=True)
    warning = re.search(r'<div class="warning" id="share-warning" role="status"([^>]*)>', html)
    assert warning and "hidden" in warning.group(1)


def test_the_age_is_shown_beside_the_date_of_birth(desk):  # noqa: F811
    form = example_form()
    form["client.date_of_birth"] = "2099-01-01"
    html = post(desk, form).get_data(as_text=True)
    assert "Date of birth 2099-01-01 is in the future." in html
    form["client.date_of_birth"] = "1990-01-01"
    form["client.email"] = "broken"
    html = post(desk, form).get_data(as_text=True)
    assert re.search(r'id="age-shown"[^>]*>Age today: \d\d<', html)


def test_schema_messages_in_the_forms_words():
    labels = {
        "f-intake-pain-0": "Pain area 1",
        "f-intake-pain-0-nprs_activity": "Pain with activity (0–10)",
        "f-intake-acsm-signs_symptoms-orthopnoea_or_pnd": "Breathlessness lying down",
        "f-intake-acsm-signs_symptoms-orthopnoea_or_pnd" + form_words.YES_NO: "",
        "f-intake-history-surgeries-1": "Surgery 2",
    }
    found = form_words.problems({
        "intake.pain.0.nprs_activity": [
            "Must be greater than or equal to 0 and less than or equal to 10."],
        "intake.acsm.signs_symptoms.orthopnoea_or_pnd": ["Missing data for required field."],
        "intake.history.surgeries.1._schema": ["Something the schema said."],
        "intake.pain": ["Not a valid list."],
    }, labels)
    said = {p.name: (p.anchor, p.summary, p.message) for p in found}
    assert said["intake.pain.0.nprs_activity"] == (
        "f-intake-pain-0-nprs_activity", "Pain area 1: pain with activity must be 0–10.",
        "Must be 0–10.")
    assert said["intake.acsm.signs_symptoms.orthopnoea_or_pnd"][1] == (
        "Breathlessness lying down? Answer Yes or No.")
    assert said["intake.history.surgeries.1._schema"][0] == "f-intake-history-surgeries-1"
    assert said["intake.history.surgeries.1._schema"][1] == (
        "Surgery 2: Something the schema said.")
    assert said["intake.pain"][0] == "intake-form"  # nothing nearer: the form itself


def test_the_api_says_its_problems_in_the_forms_words_too(intake_app):  # noqa: F811
    body = example("intake.json")
    body["intake"]["pain"] = [{"region": "knee", "side": "left", "nprs_rest": 2,
                               "nprs_activity": 11, "night_pain": False}]
    del body["intake"]["acsm"]["signs_symptoms"]["orthopnoea_or_pnd"]
    response = intake_app.test_client().post("/intakes", json=body)
    assert response.status_code == 422
    answer = response.get_json()
    assert "nprs_activity" in str(answer["errors"])  # the schema's errors stay as they were
    said = {p["field"]: p["message"] for p in answer["problems"]}
    assert said["intake.pain.0.nprs_activity"] == "Pain area 1: pain with activity must be 0–10."
    assert said["intake.acsm.signs_symptoms.orthopnoea_or_pnd"] == (
        "Breathlessness lying down or waking up breathless at night? Answer Yes or No.")
    # Other endpoints' errors are left as they are.
    search = intake_app.test_client().get("/clients/search?q=%20")
    assert search.status_code == 422 and "problems" not in search.get_json()


def test_the_saved_intake_repeats_the_warning_when_sharing_is_no(desk):  # noqa: F811
    form = example_form()
    form["intake.consent.share_with_physician"] = "no"
    saved = post(desk, form)
    assert saved.status_code == 303
    page = desk.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'id="share-warning"' in page and "ask the client to consent" in page
    form = example_form()
    shown = desk.get(post(desk, form).headers["Location"]).get_data(as_text=True)
    assert 'id="share-warning"' not in shown


def _all_followups_no(form: dict[str, str]) -> None:
    """Any general Yes asks every follow-up section's first question: all No here."""
    for section in questions.FOLLOWUPS:
        form[f"intake.parq.followups.{section}.gate"] = "no"


def _saved(desk, intake_app, form):  # noqa: F811 - the fixture
    response = post(desk, form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    intake_id = re.search(r"/intakes/([^/]+)/view", response.headers["Location"]).group(1)
    return intake_app.test_client().get(f"/intakes/{intake_id}").get_json()["intake"]


def test_a_question_another_answer_settles_is_not_asked_again(desk, intake_app):  # noqa: F811
    page = desk.get("/intakes/new").get_data(as_text=True)
    assert "data-implied=" in page and "already answered in G2" in page
    form = example_form()
    form["intake.parq.general.g2"] = "yes"  # chest pain: ACSM sign 1 is not asked again
    _all_followups_no(form)
    del form["intake.acsm.signs_symptoms.ischaemic_discomfort"]
    assert _saved(desk, intake_app, form)["acsm"]["signs_symptoms"]["ischaemic_discomfort"]
    form["intake.parq.general.g2"] = "no"  # nothing settles it: asked, and required
    html = post(desk, form).get_data(as_text=True)
    assert 'id="f-intake-acsm-signs_symptoms-ischaemic_discomfort-error"' in html


def test_a_heart_condition_or_stroke_is_a_known_cardiovascular_disease(desk, intake_app):  # noqa: F811
    form = example_form()
    form["intake.parq.general.g1"] = "yes"
    _all_followups_no(form)
    form["intake.parq.followups.s9_stroke.gate"] = "yes"
    for sub in ("a", "b", "c"):
        form[f"intake.parq.followups.s9_stroke.{sub}"] = "no"
    del form["intake.acsm.known_cv_disease"]
    assert _saved(desk, intake_app, form)["acsm"]["known_cv_disease"] is True


def test_vigorous_intent_answers_the_metabolic_follow_up_and_an_answer_given_is_kept(
        desk, intake_app):  # noqa: F811
    form = example_form()
    form["intake.parq.general.g4"] = "yes"
    _all_followups_no(form)
    form["intake.parq.followups.s5_metabolic.gate"] = "yes"
    for sub in ("a", "b", "c", "d"):
        form[f"intake.parq.followups.s5_metabolic.{sub}"] = "no"
    form["intake.acsm.desired_intensity"] = "vigorous"
    assert _saved(desk, intake_app, form)["parq"]["followups"]["s5_metabolic"]["e"] is True
    # Asked and answered on the form (no script hid it): the answer stands, and the
    # engine's contradiction check (DEC-3) sees the disagreement.
    form["intake.parq.followups.s5_metabolic.e"] = "no"
    form["idempotency_key"] = "another-submission"
    assert _saved(desk, intake_app, form)["parq"]["followups"]["s5_metabolic"]["e"] is False


def _spanish() -> object:
    from pathlib import Path

    from babel.support import Translations

    import inscope_intake

    folder = Path(inscope_intake.__file__).parent / "translations"
    return Translations.load(str(folder), ["es"], domain="messages")


def test_the_service_s_own_sentences_in_the_page_s_language():
    """Dates and signature: the sentences the service writes itself reach a Spanish page
    in Spanish (checked against what inscope_clinical.dates really writes)."""
    import datetime as dt

    from inscope_clinical.dates import date_problems
    from inscope_intake import intake_form

    today = dt.date(2026, 12, 4)
    errors = date_problems(
        {"date_of_birth": "1990-01-01"},
        {"parq": {"completed_on": "2027-01-01"},
         "history": {"surgeries": [{"date": "1980-05-01"}]},
         "consent": {"signed_at": "2027-02-01T10:00:00+00:00"}},
        today)
    written = [errors["intake"]["parq"]["completed_on"][0],
               errors["intake"]["history"]["surgeries"][0]["date"][0],
               errors["intake"]["consent"]["signed_at"][0],
               date_problems({"date_of_birth": "2030-01-01"}, {}, today)["client"]
               ["date_of_birth"][0],
               date_problems({"date_of_birth": "2020-01-01"}, {}, today)["client"]
               ["date_of_birth"][0]]
    written += [m for e in (intake_form.read_signature({})[1],) for ms in e.values() for m in ms]
    gettext = _spanish().gettext
    for message in written:
        said = form_words.worded(message, gettext)
        assert said != message, message
        assert not re.search(r"\b(is|the|date|before|future|signature)\b", said), said
    assert form_words.worded(written[1], gettext).startswith(
        "Fecha de la operación: 1980-05-01 es anterior")
    assert form_words.worded("Something else.", gettext) == "Something else."
