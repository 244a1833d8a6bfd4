"""One client from the front desk to two emails, through every real process."""

from __future__ import annotations

import base64
import json
import re
import signal
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import psutil
import pytest
import redis

from tests.e2e.conftest import HTTP_TIMEOUT_S, admin_token, descendants, http, wait_for
from tests.services.conftest import example

pytestmark = pytest.mark.e2e


def post_assessment(suite, body: dict) -> tuple[int, dict]:
    """POST /assessments once the assessment service has heard the screening (it answers
    409 "screening pending" until the referral service's status event reaches it)."""

    def attempt() -> tuple[int, dict] | None:
        status, answer = http("POST", suite.url("assessment", "/assessments"), body)
        if status == 409 and answer.get("client_status") == "screening_pending":
            return None
        return status, answer

    return wait_for(attempt, 20, "the assessment service to hear the screening")


@pytest.fixture(scope="module")
def referred_client(suite):
    """Intake (screening clear), then an assessment with pain on a clearing test."""
    status, created = http("POST", suite.url("intake", "/intakes"), example("intake.json"))
    assert status == 201, created
    client_id = created["client_id"]
    wait_for(
        lambda: (
            http("GET", suite.url("referral", f"/clients/{client_id}/status"))[1].get("status")
            == "awaiting_assessment"
        ),
        20,
        "screening decision",
    )
    body = {
        "intake_id": created["id"],
        "client_id": client_id,
        "assessment": example("assessment-pain.json"),
    }
    status, recorded = post_assessment(suite, body)
    assert status == 202, recorded
    wait_for(lambda: len(suite.smtp.messages) >= 2, 30, "two emails")
    return {"client_id": client_id, "intake_id": created["id"], "assessment_id": recorded["id"]}


def test_the_emails_reach_the_client_and_the_physician(suite, referred_client):
    by_recipient = {str(m["To"]): m for m in suite.smtp.messages}
    assert set(by_recipient) == {"dana.rivera@example.com", "p.shah@lakeside-clinic.example"}
    client_mail = by_recipient["dana.rivera@example.com"]
    letter = by_recipient["p.shah@lakeside-clinic.example"]
    assert (
        client_mail["Subject"] == "An update on your training at InScope Corrective Exercise Studio"
    )
    assert letter["Subject"] == "Referral request from InScope Corrective Exercise Studio"
    assert client_mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in client_mail.iter_parts()] == ["text/plain", "text/html"]
    # The letter: text and HTML alternatives, and the letter itself as a PDF.
    assert letter.get_content_type() == "multipart/mixed"
    alternative, pdf = list(letter.iter_parts())
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")
    text = client_mail.get_body(("plain",)).get_content()
    assert "Dana" in text and "physical therapist" in text
    assert (
        "You felt pain during the shoulder mobility test, one of the movements your trainer "
        "asked you to do." in text
    )
    assert "PARQ-2" not in text  # a cleared screen is not a reason for referral
    html = letter.get_body(("html",)).get_content()
    assert "Dana Rivera" in html and "1988-04-12" in html
    assert "Rivera" not in letter["Subject"]  # no PHI in the subject line
    # The answer link to the physician's page, served by the referral service.
    assert suite.urls["referral"] + "/answer/" in letter.get_body(("plain",)).get_content()


def test_the_status_and_deliveries_tell_where_the_client_stands(suite, referred_client):
    client_id = referred_client["client_id"]
    status = wait_for(
        lambda: (
            http("GET", suite.url("referral", f"/clients/{client_id}/status"))[1]
            if len(suite.smtp.messages) >= 2
            else None
        ),
        10,
        "status",
    )
    assert status["status"] == "referred"
    assert status["decision"]["target"] == "physical_therapist"
    assert "FMS-8" in {r["rule"] for r in status["decision"]["reasons"]}
    code, deliveries = http("GET", suite.url("notify", f"/deliveries?client={client_id}"))
    assert code == 200
    assert sorted((d["kind"], d["status"]) for d in deliveries) == [
        ("client_update", "sent"),
        ("physician_referral", "sent"),
    ]
    code, assessment = http(
        "GET", suite.url("assessment", f"/assessments/{referred_client['assessment_id']}")
    )
    assert assessment["status"] == "scored"
    assert assessment["scoring"]["fms"]["pain_zero"] == ["shoulder_mobility"]


def test_services_decide_as_the_command_line_engine_does(suite, referred_client):
    """One engine, two entry points: `inscope screen` gives the service's decision."""
    from inscope_clinical import screen

    client_id = referred_client["client_id"]
    status = http("GET", suite.url("referral", f"/clients/{client_id}/status"))[1]
    document = {**example("intake.json"), "assessment": example("assessment-pain.json")}
    expected = screen(document)
    decision = status["decision"]
    for key in (
        "outcome",
        "urgency",
        "target",
        "program_state",
        "flags",
        "referrals",
        "intensity_cap",
        "program",
    ):
        assert decision[key] == expected[key], key
    assert decision["reasons"] == expected["reasons"]


def test_redelivered_events_change_nothing(suite, referred_client):
    """Push every published event onto its queues a second time."""
    client = redis.Redis.from_url(suite.redis_url)
    events = []
    for service in ("intake", "assessment", "referral"):
        db = sqlite3.connect(suite.data_dir / "db" / f"{service}.sqlite3")
        events += [json.loads(row[0]) for row in db.execute("SELECT envelope FROM outbox_events")]
        db.close()
    from inscope_common.events import subscribers_of

    for event in events:
        for consumer in subscribers_of(event["type"]):
            client.lpush(f"inscope.{consumer}", _celery_message(event, consumer))
    client.close()
    deliveries = sum(len(subscribers_of(e["type"])) for e in events)
    # intake.submitted (to referral alone: the assessment service learns of the intake
    # from the screening's status change), assessment.scored (scored in the assessment
    # request: no assessment.recorded hop) and referral.decided once each,
    # referral.status_changed (screening, then assessment) to intake and assessment.
    assert deliveries == 7
    wait_for(lambda: _queues_empty(suite), 20, "queues drained")
    wait_for(lambda: suite.log().count("skipped") >= deliveries, 20, "every duplicate skipped")
    assert len(suite.smtp.messages) == 2
    db = sqlite3.connect(suite.data_dir / "db" / "referral.sqlite3")
    stages = sorted(r[0] for r in db.execute("SELECT stage FROM decisions"))
    db.close()
    assert stages == ["assessment", "screening"]


def test_the_physician_answers_through_the_link_in_the_letter(suite, referred_client):
    """The loop closed: link in the caught letter -> page -> answer -> client and trainer
    told. Runs after the redelivery test, which counts the first two emails."""
    letter = next(m for m in suite.smtp.messages if str(m["To"]).startswith("p.shah@"))
    text = letter.get_body(("plain",)).get_content()
    url = re.search(r"http://127\.0\.0\.1:\d+/answer/\S+", text).group(0)
    page = _fetch(url)
    assert page.status == 200 and "Dana Rivera" in page.body
    form_key = re.search(r'name="form_key" value="([^"]+)"', page.body).group(1)
    answer = {
        "answer": "cleared_with_restrictions",
        "max_intensity": "moderate",
        "avoid_movements.overhead_pressing": "on",
        "notes": "Progress gradually.",
        "answered_by": "Dr. Priya Shah",
        "profession": "physician",
        "registration": "CPSO 12345",
        "form_key": form_key,
    }
    done = _fetch(url, answer, origin=suite.urls["referral"])
    assert done.status == 200, done.body[:500]
    wait_for(lambda: len(suite.smtp.messages) >= 4, 30, "answer emails")
    recipients = sorted(str(m["To"]) for m in suite.smtp.messages[2:])
    assert "dana.rivera@example.com" in recipients and len(recipients) == 2
    code, referrals = http(
        "GET", suite.url("referral", f"/referrals?client_id={referred_client['client_id']}")
    )
    assert code == 200 and [r["status"] for r in referrals] == ["answered"]
    assert _fetch(url).status == 410  # the link is spent once answered


# Issue 9's end-to-end check: a client whose unrestricted program holds overhead pressing
# (above light intensity), so both limits of the answer have work to leave out.
RESTRICTED = {
    "answer": "cleared_with_restrictions",
    "max_intensity": "moderate",
    "avoid_movements.overhead_pressing": "on",
    "notes": "Progress gradually.",
}


def _low_back_pain_assessment() -> dict:
    """Pain on the spinal flexion clearing test (a routine physical-therapist referral,
    FMS-8) that leaves the shoulders free: pressing work fits the program."""
    assessment = example("assessment-clear.json")
    assessment["fms"]["clearing"]["spinal_flexion"] = True
    assessment["pain_during"] = [
        {"test": "spinal_flexion_clearing", "region": "lower back", "side": "bilateral",
         "nprs": 3}]
    return assessment


def _submit(suite, first: str, last: str) -> dict[str, str]:
    body = example("intake.json")
    body["client"].update(first_name=first, last_name=last,
                          email=f"{first}.{last}@example.com".lower())
    status, created = http("POST", suite.url("intake", "/intakes"), body)
    assert status == 201, created
    return {"intake_id": created["id"], "client_id": created["client_id"],
            "name": f"{first} {last}", "email": body["client"]["email"]}


def _answer_link(suite, who: dict[str, str]) -> str:
    """The answer link in the letter the physician received about this client."""
    for message in list(suite.smtp.messages):
        if str(message["To"]).startswith("p.shah@"):
            html = message.get_body(("html",)).get_content()
            if who["name"] in html:
                text = message.get_body(("plain",)).get_content()
                return re.search(r"http://127\.0\.0\.1:\d+/answer/\S+", text).group(0)
    return ""


def _answer_through(suite, url: str, answer: dict[str, str]) -> None:
    page = _fetch(url)
    assert page.status == 200, page.body[:300]
    form_key = re.search(r'name="form_key" value="([^"]+)"', page.body).group(1)
    form = {**answer, "answered_by": "Dr. Priya Shah", "profession": "physician",
            "registration": "CPSO 12345", "form_key": form_key}
    done = _fetch(url, form, origin=suite.urls["referral"])
    assert done.status == 200, done.body[:500]


def _mail_to(suite, address: str, subject_start: str):
    return next((m for m in list(suite.smtp.messages)
                 if str(m["To"]) == address and str(m["Subject"]).startswith(subject_start)),
                None)


def _pressing(program: dict) -> list[str]:
    return [e["id"] for phase in program["phases"] for e in phase["exercises"]
            if "overhead_pressing" in e["movements"]]


def test_a_restricted_answer_rebuilds_the_program_within_it(suite, referred_client):
    """Issue 9, through every real process: two clients referred after the assessment
    (low back pain); the physician answers one "cleared with restrictions (max moderate,
    avoid overhead pressing)" and the other, the control, "cleared". The restricted
    client's status moves to program_ready with limits (referral and intake services
    alike), the rebuilt program holds no overhead pressing and nothing above moderate,
    and the client's and the trainer's emails say so; the control's program does hold
    overhead pressing, so the check can fail. Runs after the counting tests above."""
    from inscope_clinical.restrictions import INTENSITY_ORDER

    restricted, control = _submit(suite, "Ana", "Restricted"), _submit(suite, "Ben", "Control")
    for who in (restricted, control):
        wait_for(lambda w=who: _status(suite, w)["status"] == "awaiting_assessment", 20,
                 "screening")
        body = {"intake_id": who["intake_id"], "client_id": who["client_id"],
                "assessment": _low_back_pain_assessment()}
        status, recorded = post_assessment(suite, body)
        assert status == 202, recorded
    links = {w["name"]: wait_for(lambda w=w: _answer_link(suite, w), 30, f"{w['name']}'s letter")
             for w in (restricted, control)}
    _answer_through(suite, links[restricted["name"]], RESTRICTED)
    _answer_through(suite, links[control["name"]], {"answer": "cleared"})

    ready = wait_for(lambda: _status(suite, restricted)["status"] == "program_ready"
                     and _status(suite, restricted), 20, "program_ready")
    assert ready["journey"]["badge"] == "Cleared with limits"
    assert ready["journey"]["next_action"] == "Build program within limits"
    program = ready["program"]
    assert program["phases"] and _pressing(program) == []
    assert [e["id"] for phase in program["phases"] for e in phase["exercises"]
            if INTENSITY_ORDER.index(e["intensity"]) > INTENSITY_ORDER.index("moderate")] == []
    assert program["restrictions"]["clinician"]["avoid_movements"] == ["overhead_pressing"]
    # The intake service hears the same status (referral.status_changed through Redis).
    intake_status = wait_for(
        lambda: (http("GET", suite.url("intake", f"/intakes/{restricted['intake_id']}/status"))[1]
                 if _intake_status(suite, restricted) == "program_ready" else None),
        20, "the intake service to hear program_ready")
    assert intake_status["status"] == "program_ready"
    # The board reads the same journey: the row moved, with its badge and next action.
    row = _board_row(suite, restricted["client_id"])
    assert 'data-status="program_ready" data-badge="Cleared with limits"' in row
    assert "Build program within limits" in row
    controlled = wait_for(lambda: _status(suite, control)["status"] == "program_ready"
                          and _status(suite, control), 20, "the control's program")
    assert _pressing(controlled["program"]), "the control must hold overhead pressing"

    told = wait_for(lambda: _mail_to(suite, restricted["email"], "Your clinician has answered"),
                    30, "the client's answer email")
    text = told.get_body(("plain",)).get_content()
    assert "has cleared you for exercise, with some limits" in text
    assert "Highest exercise intensity for now: moderate." in text
    assert "- Overhead pressing" in text
    [sheet] = [p for p in told.iter_attachments() if p.get_content_type() == "application/pdf"]
    sheet_text = _pdf_text(sheet.get_content())
    names = [e["name"] for phase in program["phases"] for e in phase["exercises"]]
    assert [n for n in names if n not in sheet_text] == [], sheet_text[:500]
    # The pressing work the control keeps is left out (named only as a limit kept).
    assert "Squat to overhead press" not in sheet_text
    assert "lunge to overhead press" not in sheet_text
    trainer = wait_for(
        lambda: next((m for m in list(suite.smtp.messages)
                      if str(m["Subject"]).strip().startswith(
                          "Clinician answer received (cleared with restrictions)")
                      and restricted["name"] in m.get_body(("plain",)).get_content()), None),
        30, "the trainer's answer email")
    staff_text = trainer.get_body(("plain",)).get_content()
    assert "Maximum intensity: moderate" in staff_text
    assert "Movements to avoid: Overhead pressing" in staff_text
    assert "Clinician's notes: Progress gradually." in staff_text


def _status(suite, who: dict[str, str]) -> dict:
    return http("GET", suite.url("referral", f"/clients/{who['client_id']}/status"))[1]


def _board_row(suite, client_id: str) -> str:
    """The board's row for one client (searched by the client's last name, so the row is
    on the first page), as a trainer's browser gets it."""
    request = urllib.request.Request(
        suite.url("referral", "/board?q=Restricted"),
        headers={"Authorization": f"Bearer {admin_token()}"})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
        html = response.read().decode()
    return html.split(f'<tr data-client="{client_id}"', 1)[1].split("</tr>", 1)[0]


def _intake_status(suite, who: dict[str, str]) -> str | None:
    return http("GET", suite.url("intake", f"/intakes/{who['intake_id']}/status"))[1].get("status")


def _pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def _metrics(url: str) -> str:
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        return response.read().decode()


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the first sample of `name` whose labels include `labels`."""
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return None


def test_metrics_expose_the_named_series_after_the_flow(suite, referred_client):
    """Every web process serves /metrics; workers and relays serve theirs on their own
    port (INSCOPE_METRICS_BASE_PORT: the 4 workers, then the 4 relays)."""
    for service in ("intake", "assessment", "referral", "notify"):
        text = _metrics(suite.url(service, "/metrics"))
        queue = f"inscope.{service}"
        assert _sample(text, "inscope_queue_depth", queue=queue) is not None, service
        assert _sample(text, "inscope_broker_up") == 1.0
        assert _sample(text, "inscope_outbox_pending", service=service) is not None
        assert _sample(text, "inscope_outbox_lag_seconds", service=service) is not None
        assert _sample(text, "inscope_dead_letters_open", service=service) == 0.0
        assert _sample(text, "inscope_stuck_work", service=service, kind="outbox") == 0.0
        assert _sample(
            text, "inscope_http_request_duration_seconds_count", service=service, method="GET",
            endpoint="/readyz", status="200",
        ), service  # fmt: skip
    intake = _metrics(suite.url("intake", "/metrics"))
    assert _sample(
        intake, "inscope_http_request_duration_seconds_count", endpoint="/intakes",
        method="POST", status="201",
    ) == 3.0  # fmt: skip  (the flow's client, then the restricted-answer test's two)
    notify = _metrics(suite.url("notify", "/metrics"))
    assert _sample(notify, "inscope_deliveries", status="sent") >= 2.0
    assert _sample(notify, "inscope_stuck_work", service="notify", kind="delivery") == 0.0

    workers = {"intake": 0, "assessment": 1, "referral": 2, "notify": 3}
    for service, offset in workers.items():
        text = _metrics(f"http://127.0.0.1:{suite.metrics_base + offset}/metrics")
        task = f"{service}.consume_event"
        tasks = [line for line in text.splitlines() if line.startswith("inscope_tasks_total")]
        assert (_sample(text, "inscope_tasks_total", service=service, task=task,
                        outcome="processed") or 0) >= 1.0, (service, tasks)  # fmt: skip
        assert _sample(text, "inscope_task_duration_seconds_count", service=service,
                       outcome="processed") >= 1.0  # fmt: skip
        assert _sample(text, "inscope_task_retries_total", service=service) is not None
        assert _sample(text, "inscope_dead_lettered_total", service=service) is not None
    notify_worker = _metrics(f"http://127.0.0.1:{suite.metrics_base + 3}/metrics")
    assert _sample(notify_worker, "inscope_emails_total", outcome="sent") >= 2.0
    for offset in range(4, 8):  # the relays
        text = _metrics(f"http://127.0.0.1:{suite.metrics_base + offset}/metrics")
        assert "inscope_outbox_published" in text


def test_logs_say_ready_once_and_carry_the_flow_ids(suite, referred_client):
    log = suite.log()
    assert log.count("InScope is ready: pages at ") == 1
    assert "insecure secrets" not in log  # make run states its development mode once
    handled = [line for line in log.splitlines() if "event handled" in line]
    client = referred_client["client_id"]
    assert any(f"client_id={client}" in line for line in handled), handled[:5]
    assert all("correlation_id=" in line and "event_id=" in line for line in handled)
    assert sum("email sent" in line for line in log.splitlines()) >= 2
    assert "Traceback" not in log


def test_no_log_line_names_a_person_or_carries_an_answer_token(suite, referred_client):
    """Issue 12 item 9: after the whole flow (intake, assessment, letters, the physician's
    answer through the link, the answer emails), no line the suite logged (every web
    process, worker, relay, beat, the broker and the mail catcher) holds a name, email
    address, phone number or date of birth the flow submitted, nor the answer link's
    token. Runs after the physician answered (file order)."""
    body = example("intake.json")
    person, physician = body["client"], body["intake"]["physician"]
    dob = person["date_of_birth"]
    secrets = {
        "client first name": person["first_name"],
        "client last name": person["last_name"],
        "client email": person["email"],
        "client phone": person["phone"],
        "client phone digits": re.sub(r"\D", "", person["phone"]),
        "date of birth": dob,
        "date of birth (d/m/y)": "/".join(reversed(dob.split("-"))),
        "physician name": physician["name"],
        "physician surname": physician["name"].split()[-1],
        "physician email": physician["email"],
        "physician phone": physician["phone"],
        "answered_by": "Dr. Priya Shah",
    }
    letter = next(m for m in suite.smtp.messages if str(m["To"]).startswith("p.shah@"))
    url = re.search(r"/answer/(\S+)", letter.get_body(("plain",)).get_content())
    assert url, "the letter carries its answer link"
    secrets["answer token"] = url.group(1)
    secrets["answer token (signature)"] = url.group(1).rsplit(".", 1)[-1]
    log = suite.log()
    assert len(log.splitlines()) > 50 and "email sent" in log  # the flow was logged
    found = {
        what: [line[:200] for line in log.splitlines() if value.lower() in line.lower()][:3]
        for what, value in secrets.items()
    }
    assert not any(found.values()), {k: v for k, v in found.items() if v}


def test_ctrl_c_stops_every_process(suite, referred_client):
    children = descendants(suite.process.pid)
    assert len(children) >= 12  # 4 web, 4 workers, 4 relays and their children
    suite.process.send_signal(signal.SIGINT)
    suite.process.wait(timeout=30)
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []


@dataclass
class _Page:
    status: int
    body: str


def _fetch(url: str, form: dict | None = None, origin: str | None = None) -> _Page:
    """A browser-like request without credentials: the answer page needs none."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if form else "GET")
    if origin:
        request.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return _Page(response.status, response.read().decode())
    except urllib.error.HTTPError as exc:
        with exc:
            return _Page(exc.code, exc.read().decode())


def _queues_empty(suite) -> bool:
    client = redis.Redis.from_url(suite.redis_url)
    try:
        return all(client.llen(f"inscope.{s}") == 0 for s in ("referral", "assessment", "notify"))
    finally:
        client.close()


def _celery_message(event: dict, consumer: str) -> str:
    """A Celery protocol-2 message, as kombu writes it to a Redis list."""
    import uuid

    task_id = str(uuid.uuid4())
    body = base64.b64encode(
        json.dumps(
            [[event], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
        ).encode()
    )
    return json.dumps(
        {
            "body": body.decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                "lang": "py",
                "task": f"{consumer}.consume_event",
                "id": task_id,
                "root_id": task_id,
                "parent_id": None,
                "group": None,
                "retries": 0,
                "eta": None,
                "expires": None,
                "argsrepr": "",
                "kwargsrepr": "",
                "origin": "test",
            },
            "properties": {
                "correlation_id": task_id,
                "reply_to": "",
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": f"inscope.{consumer}"},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
    )
