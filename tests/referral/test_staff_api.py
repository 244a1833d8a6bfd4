"""Staff endpoints: the referral list, closing, the emergency instruction, inbound
referrals from clinics. Bad input is a 4xx with per-field messages."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from tests.conftest import sqlite_only
from tests.referral.conftest import notification
from tests.services.conftest import example

database_backend = sqlite_only("the staff endpoints' answers and validation")

pytestmark = pytest.mark.usefixtures("database_backend")


def test_referrals_filtered_by_status(app, flow):
    who_a, ref_a = flow.referred_client()
    _who_b, ref_b = flow.referred_client()
    flow.deliver(notification(who_a, ref_a["referral_id"], "sent"))
    client = app.test_client()
    assert [r["id"] for r in client.get("/referrals?status=delivered").get_json()] == [
        ref_a["referral_id"]
    ]
    assert [r["id"] for r in client.get("/referrals?status=needed").get_json()] == [
        ref_b["referral_id"]
    ]
    assert client.get("/referrals?status=answered").get_json() == []
    assert len(client.get("/referrals").get_json()) == 2
    delivered = client.get("/referrals?status=delivered").get_json()[0]
    assert set(delivered["timestamps"]) == {"needed", "sent", "delivered"}


@pytest.mark.parametrize("query", ["status=lost", "status=", "client_id="])
def test_an_unknown_status_is_a_422_naming_the_parameter(app, query):
    response = app.test_client().get(f"/referrals?{query}")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["query"]) == {query.split("=")[0]}


def test_staff_close_a_referral_and_its_link_stops_working(app, flow):
    _who, ref = flow.referred_client()
    client = app.test_client()
    closed = client.post(
        f"/referrals/{ref['referral_id']}/close", json={"reason": "client moved away"}
    )
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["closed_reason"] == "client moved away"
    again = client.post(f"/referrals/{ref['referral_id']}/close", json={"reason": "again"})
    assert again.status_code == 200 and again.get_json()["closed_reason"] == "client moved away"
    token = ref["answer_url"].rsplit("/", 1)[1]
    assert client.get(f"/answer/{token}").status_code == 410
    assert client.post("/referrals/nope/close", json={"reason": "x"}).status_code == 404
    bad = client.post(f"/referrals/{ref['referral_id']}/close", json={"reason": "a\nb"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["errors"]["json"]
    assert client.get("/referrals/nope").status_code == 404


def test_the_status_endpoint_gives_an_unmistakable_emergency_instruction(app, flow):
    body = example("intake.json")
    body["intake"]["red_flags"] = {"bladder_dysfunction": True}
    who = flow.submit_intake(body)
    status = app.test_client().get(f"/clients/{who['client_id']}/status").get_json()
    assert status["emergency"] is True
    assert status["emergency_instruction"].startswith("Call emergency services now")
    assert "follow the facility emergency plan" in status["emergency_instruction"]
    assert "documentation only" in status["emergency_instruction"]
    [referral] = status["referrals"]
    assert referral["urgency"] == "emergency" and referral["target"] == "emergency_services"
    assert referral["request"]["kind"] == "emergency_follow_up"
    decided = flow.decided()[-1]["data"]["referral"]
    assert decided["referral_id"] == referral["id"]


def test_no_emergency_instruction_otherwise(app, flow):
    who, ref = flow.referred_client()
    status = app.test_client().get(f"/clients/{who['client_id']}/status").get_json()
    assert status["emergency"] is False and status["emergency_instruction"] is None
    assert [r["id"] for r in status["referrals"]] == [ref["referral_id"]]


INBOUND = {
    "referrer": {
        "name": "Dr. Ana Ortiz",
        "clinic": "Harbour Physio",
        "email": "a.ortiz@harbour.example",
        "phone": "+1 555 0142",
    },
    "patient": {
        "first_name": "Sam",
        "last_name": "Okafor",
        "date_of_birth": "1979-02-03",
        "email": "sam@example.com",
    },
    "prescription": "Progressive hip and core strengthening, 2x/week, 8 weeks.",
    "restrictions": {
        "max_intensity": "moderate",
        "avoid_movements": ["running", "jumping"],
        "notes": "No loaded spinal flexion.",
    },
    "referral_date": "2026-11-20",
}


def test_a_clinic_refers_a_patient_and_the_front_desk_gets_an_intake_link(app, referral_env):
    client = app.test_client()
    created = client.post("/referrals/inbound", json=INBOUND)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["intake_link"] == (f"{referral_env['INTAKE_URL']}/intakes/new?inbound={body['id']}")
    assert body["restrictions"] == INBOUND["restrictions"]
    assert body["referrer"] == INBOUND["referrer"]
    assert body["patient"]["date_of_birth"] == "1979-02-03"
    fetched = client.get(f"/referrals/inbound/{body['id']}")
    assert fetched.status_code == 200 and fetched.get_json() == body
    assert client.get("/referrals/inbound/nope").status_code == 404
    # Issue 12 item 7: reading an inbound referral (identifiers, prescription) is audited.
    from inscope_common.audit import entries

    rows = entries(app.extensions["inscope"].session_factory, app.extensions["inscope_audit"])
    reads = [r for r in rows if r["record"] == "inbound_referral"]
    assert [(r["action"], r["record_id"]) for r in reads] == [("view", body["id"])]


def test_restrictions_are_optional(app):
    body = {k: v for k, v in INBOUND.items() if k != "restrictions"}
    created = app.test_client().post("/referrals/inbound", json=body)
    assert created.status_code == 201
    assert created.get_json()["restrictions"] == {
        "max_intensity": None,
        "avoid_movements": [],
        "notes": None,
    }


def _bad(**changes):
    body = copy.deepcopy(INBOUND)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = body
        for key in parents:
            target = target[key]
        if value is KeyError:
            del target[leaf]
        else:
            target[leaf] = value
    return body


TOMORROW_PLUS = (dt.date.today() + dt.timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (_bad(referrer__name=KeyError), ("referrer", "name")),
        (_bad(referrer__clinic=KeyError), ("referrer", "clinic")),
        (_bad(referrer__email="not-an-email"), ("referrer", "email")),
        (_bad(referrer__email=KeyError, referrer__phone=KeyError), ("referrer", "email")),
        (_bad(referrer__name="Dr. X\r\nBcc: all@example.com"), ("referrer", "name")),
        (_bad(patient__last_name=KeyError), ("patient", "last_name")),
        (_bad(patient__date_of_birth="yesterday"), ("patient", "date_of_birth")),
        (_bad(prescription=""), ("prescription",)),
        (_bad(restrictions__max_intensity="extreme"), ("restrictions", "max_intensity")),
        (_bad(restrictions__avoid_movements="running"), ("restrictions", "avoid_movements")),
        (_bad(referral_date=TOMORROW_PLUS), ("referral_date",)),
        (_bad(referral_date="20/11/2026"), ("referral_date",)),
        (_bad(favourite_colour="blue"), ("favourite_colour",)),
    ],
)
def test_bad_inbound_input_names_the_field(app, body, where):
    response = app.test_client().post("/referrals/inbound", json=body)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]["json"]
    for key in where:
        assert key in errors, errors
        errors = errors[key]


def test_malformed_inbound_json_is_a_400(app):
    response = app.test_client().post(
        "/referrals/inbound", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
