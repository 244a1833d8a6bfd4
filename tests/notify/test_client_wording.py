"""Client emails a clinician would sign (issue 15 item 5): no condition the client did not
report, the movement screen explained, urgency in the clinic's days, the safety net only
where it applies and written for the client's situation."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from inscope_clinical import screen
from inscope_clinical.letters.request import build_request
from inscope_notify.config import load_notify_settings, load_settings
from inscope_notify.mail import render
from inscope_notify.messages import plan_decision
from tests.notify.scenarios import _flags, _followups
from tests.services.conftest import example

TODAY = dt.date(2026, 11, 27)


def _decision(change=None, assessment: str | None = None) -> tuple[dict, dict]:
    body = copy.deepcopy(example("intake.json"))
    if change:
        change(body)
    doc = {**body, "assessment": example(assessment) if assessment else None}
    result = screen(doc, as_of=TODAY)
    data: dict[str, Any] = {
        **result,
        "intake_id": "intake-1",
        "client_id": "client-1",
        "decision_id": "decision-1",
        "stage": "assessment" if assessment else "screening",
    }
    if result["outcome"] in ("refer", "clearance"):
        data["referral"] = {
            "referral_id": "referral-1",
            "answer_url": "https://referral.example/answer/token",
            "status": "needed",
            "target": result["target"],
            "urgency": result["urgency"],
            "request": build_request(result),
        }
    contact = {
        "client": body["client"],
        "physician": body["intake"].get("physician"),
        "consent": body["intake"]["consent"],
    }
    return data, contact


def _emails(change=None, assessment=None, **env: str) -> dict[str, Any]:
    settings = load_settings({"INSCOPE_ENV": "development", **env})
    setup = load_notify_settings(settings, env).setup
    decision, contact = _decision(change, assessment)
    planned = plan_decision(decision, contact, setup, TODAY)
    out = {}
    for email in planned:
        rendered = render(email.template, email.context)
        out[email.kind] = (rendered, email)
    return out


def _client_words(emails: dict[str, Any]) -> str:
    rendered, _ = emails["client_update"]
    return " ".join((rendered.subject + " " + rendered.text + " " + rendered.html).split())


def test_a_yes_to_a_compound_question_names_no_condition_the_client_did_not_report():
    # Follow-up 1b asks about "joint problems causing pain, a recent fracture, or a
    # displaced vertebra (spondylolisthesis) or pars defect": a YES says one of them.
    emails = _emails(lambda b: _followups(b, False, only="s1_arthritis"))
    client = _client_words(emails).lower()
    for never in ("spondylolisthesis", "pars defect", "vertebra", "fracture", "osteoporosis"):
        assert never not in client, never
    assert (
        "you answered yes to a follow-up health question about your joints, bones or back" in client
    )
    # The clinician's letter keeps the questionnaire's exact wording.
    letter = emails["physician_referral"][1].letter.plain()
    assert "displaced vertebra (spondylolisthesis) or pars defect" in letter


def test_the_movement_screen_score_is_explained_to_the_client():
    from inscope_clinical.letters.findings import findings_of

    [finding] = findings_of([{"rule": "FMS-x", "facts": {"fms.total": 9}}])
    assert "seven basic movements from 0 to 3" in finding.client
    assert "9 out of 21" in finding.client and "not a health test" in finding.client


def test_exertional_chest_pain_gets_its_own_instruction_and_number():
    emails = _emails(_flags("exertional_chest_discomfort_relieved_by_rest"), EMERGENCY_NUMBER="112")
    text = _client_words(emails)
    assert "stop exercising now. Call 112 if it comes at rest, lasts more than 5 minutes" in text
    assert "worse than usual" in text
    # Not the old catch-all list ("call ... if you notice chest pain").
    assert "if you notice chest pain" not in text
    assert "loss of bladder or bowel control" not in text


def test_a_program_ready_email_carries_no_emergency_box():
    emails = _emails(assessment="assessment-clear.json")
    rendered, email = emails["client_update"]
    assert email.context["decision"]["outcome"] == "in_scope"
    text = _client_words(emails)
    assert "If it gets worse" not in text and "IF IT GETS WORSE" not in text
    assert "emergency" not in text.lower()


def test_a_musculoskeletal_referral_gets_a_plain_safety_net_not_the_cardiac_one():
    emails = _emails(assessment="assessment-pain.json")
    text = _client_words(emails)
    assert "IF IT GETS WORSE" in text and "see a doctor the same day" in text
    assert "chest pain" not in text.lower()


def test_known_heart_disease_without_symptoms_gets_the_exertional_warning_signs():
    """A client with known cardiovascular disease and no symptom, cleared for moderate
    exercise until the physician answers (ACSM), reported no symptom that could "get
    much worse": the box names the warning signs to stop for, and their number."""

    def heart(body):
        body["intake"]["acsm"]["known_cv_disease"] = True
        body["intake"]["acsm"]["regular_exercise_3_months"] = True
        body["intake"]["acsm"]["desired_intensity"] = "vigorous"

    emails = _emails(heart, EMERGENCY_NUMBER="112")
    rendered, email = emails["client_update"]
    assert email.context["decision"]["outcome"] == "clearance"
    text = _client_words(emails)
    assert "IF IT GETS WORSE" in text
    assert ("If chest pain or pressure, unusual shortness of breath, dizziness or a racing "
            "heart comes on while you exercise or go about your day, stop and rest. Call 112 "
            "if it comes at rest, lasts more than 5 minutes or does not settle with rest."
            ) in text
    assert "If your symptoms suddenly get much worse" not in text

    def heart_and_chest_pain(body):
        heart(body)
        _flags("exertional_chest_discomfort_relieved_by_rest")(body)

    # With a cardiac symptom too: that symptom's own instruction, not both.
    text = _client_words(_emails(heart_and_chest_pain, EMERGENCY_NUMBER="112"))
    assert "stop exercising now. Call 112 if it comes at rest" in text
    assert "unusual shortness of breath, dizziness or a racing heart" not in text


@pytest.mark.parametrize("days", ["10", "21"])
def test_urgency_is_in_the_days_the_clinic_sets(days):
    emails = _emails(_flags("chest_pain_12_to_72h"), URGENT_WITHIN_DAYS=days)
    rendered, email = emails["client_update"]
    assert email.context["decision"]["urgency"] == "urgent"
    assert f"How soon: within {days} days." in rendered.text
    letter = emails["physician_referral"][1].letter.plain()
    assert f"seen within {days} days" in letter


def test_a_wrong_urgent_days_setting_is_refused():
    with pytest.raises(ValueError, match="URGENT_WITHIN_DAYS"):
        load_notify_settings(load_settings({}), {"URGENT_WITHIN_DAYS": "two weeks"})


def test_the_setup_default_is_fourteen_days():
    setup = load_notify_settings(load_settings({}), {}).setup
    assert setup.sender.urgent_days == 14
    assert replace(setup.sender, urgent_days=3).urgent_days == 3


def _signed_emails(signer: dict[str, Any] | None) -> dict[str, Any]:
    settings = load_settings({"INSCOPE_ENV": "development"})
    setup = load_notify_settings(settings, {}).setup
    data, contact = _decision(assessment="assessment-pain.json")
    data["signed_by"] = signer
    return {
        e.kind: (render(e.template, e.context), e)
        for e in plan_decision(data, contact, setup, TODAY)
    }


def test_the_email_and_letter_are_signed_by_the_assessing_trainer():
    import io

    from pypdf import PdfReader

    from inscope_notify.pdf import render_pdf

    emails = _signed_emails(
        {
            "account_id": "acc-1",
            "name": "Jordan Lee",
            "credential": "NASM CPT, CES",
            "registration": "NASM-445566",
            "basis": "assessed",
        }
    )
    client = emails["client_update"][0]
    assert "Jordan Lee, NASM CPT, CES (registration NASM-445566)" in client.text
    assert "Alex Morgan" not in client.text + client.html
    letter = emails["physician_referral"][1].letter
    assert letter.closing[1:3] == ("Jordan Lee", "NASM CPT, CES (registration NASM-445566)")
    pdf = PdfReader(io.BytesIO(render_pdf(letter)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Jordan Lee" in text and "NASM-445566" in text and "Alex Morgan" not in text


@pytest.mark.parametrize(
    ("signer", "closing"),
    [
        (
            {"account_id": "acc-2", "name": "Riley Park", "credential": None,
             "registration": None, "basis": "responsible"},
            ("Riley Park", ""),
        ),
        (
            {"account_id": None, "name": "Dr. Ewa Łukasiewicz",
             "credential": "ACSM Certified Exercise Physiologist", "registration": "EP-2231",
             "basis": "lead"},
            ("Dr. Ewa Łukasiewicz", "ACSM Certified Exercise Physiologist (registration EP-2231)"),
        ),
    ],
    ids=["responsible", "lead-from-settings"],
)
def test_a_screening_only_letter_and_email_show_their_signer(signer, closing):
    """Issue 15 item 5: before any assessment, the staff member responsible for the
    client or the facility's lead signs (the referral service chose which, by the
    FACILITY_SCREENING_SIGNER setting): the client's email, the letter and its PDF
    name them, and not the configured trainer."""
    import io

    from pypdf import PdfReader

    from inscope_notify.pdf import render_pdf

    settings = load_settings({"INSCOPE_ENV": "development"})
    setup = load_notify_settings(settings, {}).setup
    data, contact = _decision(lambda b: b["intake"]["acsm"].update(
        known_cv_disease=True, regular_exercise_3_months=False))  # ACSM clearance
    assert (data["stage"], data["outcome"]) == ("screening", "clearance")
    data["signed_by"] = signer
    emails = {e.kind: (render(e.template, e.context), e)
              for e in plan_decision(data, contact, setup, TODAY)}
    client = emails["client_update"][0]
    assert f"{signer['name']}{', ' + closing[1] if closing[1] else ''}\n" in client.text
    assert signer["name"] in client.html and "Alex Morgan" not in client.text + client.html
    letter = emails["physician_referral"][1].letter
    assert letter.closing[1] == closing[0]
    pdf = PdfReader(io.BytesIO(render_pdf(letter)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert signer["name"] in text and "Alex Morgan" not in text
    if closing[1]:
        assert closing[1] in text


def test_without_a_signer_the_configured_trainer_signs():
    emails = _signed_emails(None)
    text = emails["client_update"][0].text
    # The credential and the facility line stay on lines of their own.
    assert (
        "Alex Morgan, NASM Certified Personal Trainer, Corrective Exercise Specialist (CES)\n"
        "InScope Corrective Exercise Studio | +1 555 0100" in text
    )


CORRECTED = ("We have corrected the details of your intake. This update replaces the one we "
             "sent you before: please go by this one.")


@pytest.mark.parametrize("corrected", [True, False])
def test_after_a_correction_the_client_is_told_this_update_replaces_the_earlier_one(corrected):
    """Issue 8 item 5: a corrected intake that still needs a clinician (knee pain -> a
    physical therapist): the text and HTML open with the correction, then the referral as
    usual; a decision that is not a correction says nothing of the kind."""
    settings = load_settings({"INSCOPE_ENV": "development"})
    setup = load_notify_settings(settings, {}).setup
    decision, contact = _decision(lambda b: b["intake"].update(pain=[{
        "region": "front of right knee", "side": "right", "nprs_rest": 2,
        "nprs_activity": 5, "onset": "no_trauma", "night_pain": False}]))
    assert decision["outcome"] == "refer"
    decision.update(corrected=corrected, intake_version=2 if corrected else 1)
    [client] = [e for e in plan_decision(decision, contact, setup, TODAY)
                if e.kind == "client_update"]
    rendered = render(client.template, client.context)
    text, html = " ".join(rendered.text.split()), " ".join(rendered.html.split())
    assert (CORRECTED in text) is corrected
    assert ("<strong>We have corrected the details of your intake.</strong>" in html) is corrected
    assert "physical therapist" in text and "How soon:" in text
    if corrected:
        assert text.index(CORRECTED) < text.index("What we noticed")
