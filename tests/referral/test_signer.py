"""Letters and client emails are signed by the trainer who assessed the client, from their
staff profile; screening-only decisions by the facility's lead (issue 15 item 5)."""

from __future__ import annotations

import pytest

from inscope_referral.identity.accounts import create_account, set_profile
from tests.services.conftest import example

pytestmark = pytest.mark.usefixtures("database_backend")
PASSWORD = "a-long-enough-password-for-tests"


def _trainer(rt, email: str, name: str, credential: str, registration: str | None) -> str:
    account = create_account(rt, email, name, "trainer", PASSWORD)
    set_profile(rt, account.id, credential=credential, registration=registration)
    return account.id


def test_the_assessing_trainer_signs_the_decision(app, rt, flow):
    _trainer(rt, "other@inscope.test", "Casey Other", "NSCA-CPT", "R-1")
    jordan = _trainer(rt, "jordan@inscope.test", "Jordan Lee", "NASM CPT, CES", "NASM-445566")
    who = flow.submit_intake()
    flow.score(who, example("assessment-pain.json"), "a-1", assessed_by=jordan)
    [decided] = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1:]
    assert decided["data"]["stage"] == "assessment"
    assert decided["data"]["signed_by"] == {
        "account_id": jordan,
        "name": "Jordan Lee",
        "credential": "NASM CPT, CES",
        "registration": "NASM-445566",
        "basis": "assessed",
    }


def test_without_a_known_assessor_or_lead_nobody_is_named(app, rt, flow):
    who = flow.submit_intake()
    flow.score(who, example("assessment-pain.json"), "a-1", assessed_by="no-such-account")
    decided = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1]
    assert decided["data"]["signed_by"] is None  # notify falls back to TRAINER_* settings


@pytest.fixture
def lead_app(referral_env):
    from inscope_referral import create_app

    app = create_app({**referral_env, "FACILITY_LEAD_EMAIL": "Lead@InScope.test"})
    yield app
    app.extensions["inscope"].engine.dispose()


def test_a_screening_only_decision_is_signed_by_the_facility_lead(
    lead_app, intake_server, redis_client
):
    from tests.referral.conftest import Flow, clearance_intake

    rt = lead_app.extensions["inscope"]
    lead = _trainer(rt, "lead@inscope.test", "Morgan Hale", "ACSM-EP", None)
    flow = Flow(lead_app, intake_server, redis_client)
    who = flow.submit_intake(clearance_intake())
    decided = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1]
    assert decided["data"]["stage"] == "screening"
    signer = decided["data"]["signed_by"]
    assert signer["account_id"] == lead and signer["basis"] == "lead"
    assert (signer["name"], signer["credential"], signer["registration"]) == (
        "Morgan Hale",
        "ACSM-EP",
        None,
    )


def _desk_of(intake_server, account_id: str, name: str) -> dict[str, str]:
    from tests.referral.conftest import front_desk_headers

    return front_desk_headers(intake_server, account_id, name)


def _signed_screening(app, intake_server, redis_client, desk_id: str, desk_name: str) -> dict:
    from tests.referral.conftest import Flow, clearance_intake

    flow = Flow(app, intake_server, redis_client)
    who = flow.submit_intake(clearance_intake(), _desk_of(intake_server, desk_id, desk_name))
    decided = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1]
    assert decided["data"]["stage"] == "screening"
    app.extensions["last_decided"] = decided["data"]  # for the answer page below
    return decided["data"]["signed_by"]


def _answer_page(app) -> str:
    """The physician's answer page for the last decision's referral: its letter."""
    from tests.referral.conftest import token_of

    url = app.extensions["last_decided"]["referral"]["answer_url"]
    page = app.test_client(role=None).get(f"/answer/{token_of(url)}")
    assert page.status_code == 200
    return " ".join(page.get_data(as_text=True).split())


def test_the_staff_member_responsible_signs_a_screening_only_decision(
    app, rt, intake_server, redis_client
):
    """By default (FACILITY_SCREENING_SIGNER=responsible) the staff member the intake
    names as responsible for the client (the clerk who submitted it) signs."""
    riley = create_account(rt, "riley@inscope.test", "Riley Park", "front_desk", PASSWORD)
    set_profile(rt, riley.id, credential="Client services coordinator", registration=None)
    signer = _signed_screening(app, intake_server, redis_client, riley.id, "Riley Park")
    assert signer == {
        "account_id": riley.id,
        "name": "Riley Park",
        "credential": "Client services coordinator",
        "registration": None,
        "basis": "responsible",
    }


@pytest.fixture
def lead_by_name_app(referral_env):
    from inscope_referral import create_app

    app = create_app(
        {
            **referral_env,
            "FACILITY_SCREENING_SIGNER": "lead",
            "FACILITY_LEAD_NAME": "Dr. Ewa Łukasiewicz",
            "FACILITY_LEAD_CREDENTIAL": "ACSM Certified Exercise Physiologist",
            "FACILITY_LEAD_REGISTRATION": "EP-2231",
        }
    )
    yield app
    app.extensions["inscope"].engine.dispose()


def test_the_facility_lead_setting_signs_even_when_a_responsible_is_known(
    lead_by_name_app, intake_server, redis_client
):
    rt = lead_by_name_app.extensions["inscope"]
    riley = create_account(rt, "riley@inscope.test", "Riley Park", "front_desk", PASSWORD)
    signer = _signed_screening(
        lead_by_name_app, intake_server, redis_client, riley.id, "Riley Park"
    )
    assert signer == {
        "account_id": None,
        "name": "Dr. Ewa Łukasiewicz",
        "credential": "ACSM Certified Exercise Physiologist",
        "registration": "EP-2231",
        "basis": "lead",
    }
    # The answer page's letter is signed as the emailed one, not by TRAINER_* settings.
    letter = _answer_page(lead_by_name_app)
    assert "Dr. Ewa Łukasiewicz" in letter and "EP-2231" in letter
    assert "Alex Morgan" not in letter


def test_the_lead_setting_needs_a_lead():
    from inscope_common.config import ConfigError
    from inscope_referral.config import load_settings

    with pytest.raises(ConfigError, match="FACILITY_SCREENING_SIGNER=lead needs"):
        load_settings({"FACILITY_SCREENING_SIGNER": "lead"})
    with pytest.raises(ConfigError, match="responsible or lead"):
        load_settings({"FACILITY_SCREENING_SIGNER": "trainer"})
    assert load_settings({}).screening_signer == "responsible"


def test_the_front_desk_reads_the_active_staff_by_name(app, rt):
    """Whom the intake form offers as responsible: active accounts, names and roles, no
    email addresses."""
    from inscope_referral.identity.accounts import set_active

    create_account(rt, "sam@inscope.test", "Sam Lee", "trainer", PASSWORD)
    gone = create_account(rt, "gone@inscope.test", "Gone Away", "trainer", PASSWORD)
    set_active(rt, gone.id, False)
    response = app.test_client(role="front_desk").get("/staff-members")
    assert response.status_code == 200
    members = response.get_json()
    assert [(m["name"], m["role"]) for m in members] == [("Sam Lee", "trainer")]
    assert "sam@inscope.test" not in response.get_data(as_text=True)
    assert app.test_client(role=None).get("/staff-members").status_code == 401
