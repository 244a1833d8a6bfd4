"""Staff text built in code comes from the staff catalogs (issue 15 item 6): a pseudo
catalog (tests/web/pseudo.py: every msgid of a service's staff .pot said as ⟦msgid⟧) is
put in place of a second staff language, and what staff read (the journey's headline,
reason and next action for every outcome, the board, the client page, the trainer's
pages) shows no English outside ⟦⟧ but data: names, ids, dates, numbers, what a
person typed."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import Any

import pytest

from inscope_clinical.journey import CLIENT_TEXTS, VISIT, journey
from tests.conftest import REPO, sqlite_only
from tests.web.pseudo import PSEUDO, english, pseudo_translations, speak_pseudo, visible
from tests.web.test_accounts_and_board import referral_env  # noqa: F401 - fixture
from tests.web.test_assessment_page import (  # noqa: F401 - fixtures
    csrf_of,
    intake_server,
    trainer,
    waiting,
)

database_backend = sqlite_only("where staff text comes from")


GOLDEN = REPO / "tests" / "clinical" / "golden" / "engine_golden.json"

ANSWERS = [
    None,
    {"answer": "cleared"},
    {"answer": "cleared_with_restrictions",
     "restrictions": {"max_intensity": "light", "avoid_movements": ["overhead_pressing"],
                      "notes": "no jumping"}},
    {"answer": "not_cleared", "answered_by": "Dr Who"},
    {"answer": "not_cleared"},
    {"answer": "needs_visit"},
    {"answer": "cleared", "verified": False},
]
REFERRALS = [None, {"recipient": "Dr Lee", "since": "2026-11-20"},
             {"since": "2026-11-30T10:00:00Z"}, {"problem": "no consent to share"}]
EMERGENCIES = [None, {"acknowledged_at": "x", "acknowledged_by": "Ann"}, {"acknowledged_at": "x"},
               {"resolved_at": "y", "resolved_by": "Bob", "note": "ambulance came"},
               {"resolved_at": "y"}]
DATA = ["Dr Who", "Dr Lee", "Ann", "Bob", "ambulance came", "no jumping"]


def decisions() -> list[dict[str, Any]]:
    """The engine's own decisions: the golden examples, the named combinations and
    seeded random intakes, screened and assessed (tests/web/test_client_page_outcomes)."""
    from tests.web.test_client_page_outcomes import (
        CONFIGS,
        decide_raw,
        named_cases,
        random_assessment,
        random_intake,
    )

    golden = json.loads(GOLDEN.read_text())
    found = [{**d, "stage": "assessment" if d.get("program") else "screening"}
             for d in golden["examples"]]
    found += [decide_raw(intake) for intake in named_cases()]
    for seed in range(30):
        rng = random.Random(seed)
        intake, assessment = random_intake(rng), random_assessment(rng)
        found += [decide_raw(intake, config=CONFIGS[seed % 2]),
                  decide_raw(intake, assessment, config=CONFIGS[seed % 2])]
    # The outcomes random intakes rarely give: unwell today, health changed, notes in
    # another language, and a physical therapist's referral that is not the
    # musculoskeletal case.
    from clinical_builders import with_acsm, with_parq

    unwell = with_acsm(signs=["ankle_oedema"])
    unwell["parq"]["delay"] = {"temporary_illness": True}
    unread = with_parq()
    unread["notes"] = "Tengo dolor en el pecho desde esta mañana"  # not read: on hold
    found += [decide_raw(unwell), decide_raw(with_parq(delay={"health_change": True})),
              decide_raw(unread)]
    pt = {"rule": "PAIN-2", "outcome": "refer", "urgency": "urgent",
          "target": "physical_therapist", "program_state": "hold_pending_clearance"}
    found.append({"outcome": "refer", "urgency": "urgent", "target": "physical_therapist",
                  "reasons": [pt], "flags": [], "program": None, "stage": "screening"})
    return found


def typed(decision: dict[str, Any] | None) -> list[str]:
    """What a client or trainer typed that a journey quotes: a warning phrase in the
    notes (SYS-7), a painful region the engine cannot place."""
    found = []
    for reason in (decision or {}).get("reasons") or []:
        facts = reason.get("facts") if isinstance(reason.get("facts"), dict) else {}
        found += [str(v) for k, v in facts.items()
                  if k == "phrase" or (k.endswith(".region") and isinstance(v, str))]
    return found


@pytest.mark.parametrize("service", ["referral", "assessment"])
def test_every_journey_text_staff_read_comes_from_the_staff_catalog(service, tmp_path):
    from inscope_clinical.journey import STAFF_FIELDS, staff_texts

    catalog = pseudo_translations(service, tmp_path)
    seen, left, codes = 0, {}, set()
    for decision in [None, *decisions()]:
        for answer in ANSWERS:
            for referral in REFERRALS:
                for emergency in EMERGENCIES:
                    j = journey(decision, answer=answer, referral=referral,
                                emergency=emergency, emergency_number="112",
                                today=dt.date(2026, 12, 1))
                    codes.add(j.text_code.partition(VISIT)[0])
                    said = staff_texts(j, catalog.gettext, catalog.ngettext)
                    for name in STAFF_FIELDS:
                        if said[name] is None:
                            continue
                        seen += 1
                        words = english(said[name], DATA + typed(decision))
                        if words:
                            left[getattr(j, name)] = words
    assert codes == set(CLIENT_TEXTS), "an outcome the cases do not reach"
    assert seen > 10_000
    assert left == {}, f"{len(left)} staff texts with English outside the catalog"


# --- The pages ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pseudo_referral(tmp_path_factory):
    """The referral service's pages in the pseudo language (FACILITY_LANGUAGE=eo)."""
    from inscope_referral import create_app

    var = tmp_path_factory.mktemp("var")
    app = create_app({
        "INSCOPE_DATA_DIR": str(var),
        "REFERRAL_DATABASE_URL": f"sqlite:///{var}/r.sqlite3",
        "INSCOPE_SCHEMA": "create",
        "INSCOPE_ENV": "development",
        "FACILITY_LANGUAGE": PSEUDO,
    })
    speak_pseudo(app, "referral", tmp_path_factory.mktemp("pseudo"))
    yield app
    app.extensions["inscope"].engine.dispose()


def _part(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return found.group(1)


def test_the_client_page_s_headline_card_is_in_the_staff_language(pseudo_referral):
    from tests.web.test_client_page_outcomes import render

    shown = 0
    for decision in decisions()[:40]:
        if decision.get("urgency") == "emergency":
            continue  # the emergency banner: below
        page = render(pseudo_referral, {**decision, "program": decision.get("program")})
        card = _part(page, r'(<section class="headline.*?</section>)')
        shown += 1
        assert english(visible(card), typed(decision)) == [], card
    assert shown > 20


def _client_page(app, decision: dict[str, Any], program: dict[str, Any],
                 deliveries: list[dict[str, Any]]) -> str:
    """The client page of ``decision`` with ``program`` and notify's ``deliveries``, as
    HTML (``visible`` unescapes it once: a summary's "power < 3/5" is text, not a tag)."""
    from inscope_referral import board_index
    from inscope_referral.models import ClientCase, Decision
    from inscope_referral.staff_pages import render_client_page
    from tests.web.test_client_page_outcomes import AS_OF_DT

    row = Decision(id="d1", client_id="c1", intake_id="i1", stage=decision["stage"],
                   **{k: decision.get(k) for k in (
                       "outcome", "urgency", "target", "program_state", "reasons", "flags",
                       "program", "referrals", "intensity_cap")})
    row.decided_at = AS_OF_DT
    inputs = board_index.Inputs(ClientCase(client_id="c1"), row, None, None, None)
    status = {"client_id": "c1", "intake_id": "i1", "assessment_id": None, "referrals": [],
              "program": program,
              "decision": {**decision, "id": "d1", "decided_at": AS_OF_DT,
                           "engine_version": "test"}}
    with app.test_request_context("/clients/c1/view"):
        return render_client_page(status, inputs, {}, deliveries, "911")


def test_the_client_page_s_reasons_review_program_and_emails_are_in_the_staff_language(
        pseudo_referral):
    """Each reason's summary, the superseded reasons' notes, the review's flag labels,
    the program's phases, variables and exercises, and the emails' kinds, recipients and
    statuses: no English outside ⟦⟧ but data."""
    from inscope_clinical.explain import explain
    from inscope_clinical.review import items

    found = [d for d in decisions()
             if any(r["kind"] == "superseded" for r in explain(d))
             and {"free_text", "contradiction"} <= {i["kind"] for i in items(d)}]
    assert found
    programs = [d["program"] for d in decisions() if d.get("program")]
    deliveries = [
        {"kind": kind, "subject": None, "role": role, "recipient": recipient,
         "status": status, "sent_at": None, "blocked_reason": None}
        for kind, role, recipient, status in (
            ("client_update", "client", "c@example.com", "sent"),
            ("physician_referral", "physician", "dr@example.com", "pending"),
            ("physician_reminder", "physician", "dr@example.com", "superseded"),
            ("physician_progress", "physician", None, "failed"),
            ("client_answer", "client", None, "sending"),
            ("trainer_answer", "trainer", "t@example.com", "blocked"))]
    excluded = 0
    for decision, program in zip(found[:3] * 2, programs[:3] + programs[-3:], strict=False):
        page = _client_page(pseudo_referral, decision, program, deliveries)
        excluded += 'id="program-restrictions"' in page
        assert 'id="superseded"' in page and 'class="review-item"' in page
        assert page.count("<h3>") >= 4 and page.count("<tr>") == 1 + len(deliveries)
        # Each reason's summary is said from the staff catalog too (the rule's template
        # the stored English matches: inscope_clinical.summaries); what a client typed
        # (the review's words) is data.
        assert 'id="findings"' in page
        shown = re.sub(r'<span class="review-words">.*?</span>', " ", page, flags=re.S)
        # The rules' ids, the decision's flags and engine version (codes, under Details).
        data = [*typed(decision), *re.findall(r'class="rule-tag"[^>]*>([^<]+)<', page),
                *decision["flags"], "test"]
        # An intake field the lexicon has no label for shows as its path (a code).
        data += [a["field"] for i in items(decision) for a in i.get("against") or []]
        # What a clinician wrote (the restrictions' notes) is quoted as written.
        notes = ((program.get("restrictions") or {}).get("clinician") or {}).get("notes")
        data += [notes] if isinstance(notes, str) else list(notes or [])
        left = english(visible(shown), data)
        assert left == [], " ".join(left)
    assert excluded  # a clinician's restrictions and the exercises they leave out


def test_every_reason_s_summary_staff_read_comes_from_the_staff_catalog(tmp_path):
    """Every summary the engine wrote in the cases (golden, named, random, both
    configurations) matches its rule's template: the English said back is the stored
    English, and the pseudo language leaves none outside ⟦⟧ but what a client typed."""
    from inscope_clinical.journey import Text, say
    from inscope_clinical.summaries import summary_text

    catalog = pseudo_translations("referral", tmp_path)
    seen, left = set(), {}
    for decision in decisions():
        for reason in decision.get("reasons") or []:
            stored = reason.get("summary")
            if not stored or stored in seen:
                continue
            seen.add(stored)
            text = summary_text(stored)
            assert isinstance(text, Text) and str(text) == stored, stored
            words = english(say(text, catalog.gettext, catalog.ngettext), typed(decision))
            if words:
                left[stored] = words
    assert len(seen) > 60
    assert left == {}, left


@pytest.fixture
def assessment_app(service_env, intake_server, tmp_path):  # noqa: F811
    """The assessment service's pages in the pseudo language."""
    from inscope_assessment import create_app

    app = create_app({**service_env, "FACILITY_LANGUAGE": PSEUDO})
    speak_pseudo(app, "assessment", tmp_path / "pseudo")
    yield app
    app.extensions["inscope"].engine.dispose()


TRAINER_DATA = ["Dana Rivera", "Dana", "Rivera", "Sam Trainer"]


def test_the_trainer_s_pages_and_form_errors_are_in_the_staff_language(trainer, waiting):  # noqa: F811
    listed = trainer.get("/assess").get_data(as_text=True)
    assert english(visible(listed), TRAINER_DATA) == []
    page = trainer.get(f"/assess?intake={waiting['id']}").get_data(as_text=True)
    assert english(visible(page), TRAINER_DATA) == []
    form = {"csrf_token": csrf_of(page), "intake_id": waiting["id"],
            "fms.tests.deep_squat": "2", "fms.tests.hurdle_step.left": "x",
            "posture.craniovertebral_angle_deg": "120",
            "pain_during.1.test": "deep_squat", "pain_during.1.nprs": "11"}
    refused = trainer.post("/assess", data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    summary = _part(html, r'(<div class="error-summary".*?</div>)')
    assert summary.count("<li>") >= 5
    # Each link lands on its field, and names it in the form's own words.
    for anchor in re.findall(r'href="#([^"]+)"', summary):
        assert f'id="{anchor}"' in html, anchor
    assert english(visible(html), TRAINER_DATA + [waiting["id"]]) == []


@pytest.fixture
def accounts_app(service_env, tmp_path):
    """The referral service's account pages in the pseudo language, with an admin."""
    from inscope_referral import create_app
    from inscope_referral.identity.accounts import create_account

    app = create_app({**service_env, "FACILITY_LANGUAGE": PSEUDO})
    speak_pseudo(app, "referral", tmp_path / "pseudo")
    create_account(app.extensions["inscope"], "boss@example.com", "Jo Admin", "admin",
                   "correct horse battery")
    yield app
    app.extensions["inscope"].engine.dispose()


def test_account_refusals_are_in_the_staff_language(accounts_app):
    from inscope_referral.identity.accounts import find_account
    from tests.web.test_accounts_and_board import sign_in

    admin = accounts_app.test_client(role=None)
    assert sign_in(admin, "boss@example.com", "correct horse battery").status_code == 303
    page = admin.get("/admin/accounts").get_data(as_text=True)
    data = ["Jo Admin", "kim@example.com", "Kim Lee"]
    assert english(visible(page), data) == []
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    new = {"email": "kim@example.com", "name": "Kim Lee", "role": "trainer",
           "csrf_token": csrf}
    for password, refusal in (("x", "at least"), ("password1234", "common"),
                              ("aaaaaaaaaaaaaa", "repeats")):
        refused = admin.post("/admin/accounts", data={**new, "password": password})
        assert refused.status_code == 422
        said = _part(refused.get_data(as_text=True), r'id="account-error">(.*?)</p>')
        assert refusal in said and english(said, data) == [], said
    taken = admin.post("/admin/accounts", data={**new, "email": "boss@example.com",
                                                "password": "correct horse battery"})
    said = _part(taken.get_data(as_text=True), r'id="account-error">(.*?)</p>')
    assert "boss@example.com" in said and english(said) == [], said
    bad_role = admin.post("/admin/accounts", data={**new, "role": "boss",
                                                   "password": "correct horse battery"})
    said = _part(bad_role.get_data(as_text=True), r'id="account-error">(.*?)</p>')
    assert english(said) == [], said
    token = admin.post("/admin/tokens", data={"email": "boss@example.com", "name": "ci",
                                              "days": "9999", "csrf_token": csrf})
    said = _part(token.get_data(as_text=True), r'id="token-error">(.*?)</p>')
    assert english(said) == [], said
    # An admin's own role: refused on the error page (a message the view gives).
    own = find_account(accounts_app.extensions["inscope"], "boss@example.com").id
    refused = admin.post(f"/admin/accounts/{own}/role",
                         data={"role": "trainer", "csrf_token": csrf})
    assert refused.status_code == 409
    message = _part(refused.get_data(as_text=True), r'class="error-message">(.*?)</p>')
    assert english(message) == [] and english(visible(refused.get_data(as_text=True)),
                                               data) == []


@pytest.fixture
def board_app(referral_env, tmp_path):  # noqa: F811
    """The referral service in the pseudo language, with the board's two clients."""
    from inscope_referral import create_app
    from tests.services.test_redelivery import _intake_event
    from tests.web.test_accounts_and_board import deliver

    app = create_app({**referral_env, "FACILITY_LANGUAGE": PSEUDO})
    speak_pseudo(app, "referral", tmp_path / "pseudo")
    deliver(app, _intake_event(client_id="client-calm", intake_id="intake-calm"))
    emergency = _intake_event(client_id="client-chest", intake_id="intake-chest")
    emergency["data"]["screening"]["red_flags"] = {"chest_pain_now": True}
    deliver(app, emergency)
    yield app
    app.extensions["inscope"].engine.dispose()


BOARD_DATA = ["client-calm", "client-chest", "intake-calm", "intake-chest", "Test admin",
              "Test trainer", "Test front desk"]


@pytest.mark.parametrize("role", ["front_desk", "trainer"])
def test_the_board_is_in_the_staff_language(board_app, role):
    page = board_app.test_client(role=role).get("/board").get_data(as_text=True)
    assert page.count("<tr data-client=") == 2
    assert english(visible(page), BOARD_DATA) == []


def test_every_file_that_marks_text_is_read_by_a_catalog():
    """A module that marks text (N_, S_, _l, gettext) but is in no babel-<domain>.cfg
    keeps its words out of every catalog (board.py's referral statuses were)."""
    from inscope_common.devtools.messages import CATALOGS

    listed = set()
    for catalog in CATALOGS:
        for line in catalog.config.read_text().splitlines():
            found = re.match(r"\[python: (.+)\]$", line.strip())
            if found:
                listed |= {p.relative_to(REPO) for p in REPO.glob(found[1])}
    marks = re.compile(r"\b(?:N_|S_|Sn_|_l|lazy_gettext|gettext|ngettext)\(")
    files = [*REPO.glob("services/*/inscope_*/**/*.py"), *REPO.glob("lib/inscope_common/**/*.py"),
             *REPO.glob("lib/inscope_clinical/**/*.py")]
    unread = [str(p.relative_to(REPO)) for p in files
              if marks.search(p.read_text()) and p.relative_to(REPO) not in listed]
    assert unread == []


def test_the_answer_form_s_words_and_errors_come_from_the_staff_catalog(tmp_path):
    """The physician's answer page (the facility's language): its choices and every error
    the form gives come from the referral's staff catalog."""
    from inscope_clinical.journey import say
    from inscope_clinical.restrictions import MOVEMENT_LABELS
    from inscope_referral.answer_form import ANSWERS, PROFESSIONS, read_answer_form

    catalog = pseudo_translations("referral", tmp_path)
    for label in [*ANSWERS.values(), *PROFESSIONS.values(), *MOVEMENT_LABELS.values()]:
        assert english(catalog.gettext(label)) == [], label
    bad = [
        {"answer": "maybe", "answered_by": "", "profession": "wizard", "registration": "",
         "max_intensity": "extreme", "avoid_movements.flying": "on", "notes": "x" * 6000},
        {"answer": "cleared_with_restrictions", "answered_by": "A\nB",
         "registration": "9" * 200},
        {"answer": "cleared", "max_intensity": "light"},
    ]
    said = set()
    for values in bad:
        for message in read_answer_form(values).errors.values():
            text = say(message, catalog.gettext, catalog.ngettext)
            said.add(str(message))
            assert english(text) == [], text
    assert len(said) >= 10


def test_emergency_and_verification_refusals_are_in_the_staff_language(board_app, tmp_path):
    from inscope_clinical.journey import say
    from inscope_referral import referrals

    desk = board_app.test_client(role="front_desk")
    refused = desk.post("/clients/client-chest/emergency/resolve", data={"note": "  "})
    assert refused.status_code == 422
    said = _part(refused.get_data(as_text=True), r'role="alert">(.*?)</p>')
    assert "(" in said and english(said) == [], said
    assert desk.post("/clients/client-chest/emergency/acknowledge").status_code == 303
    again = desk.post("/clients/client-chest/emergency/acknowledge")
    said = _part(again.get_data(as_text=True), r'role="alert">(.*?)</p>')
    assert english(said) == [], said
    catalog = pseudo_translations("referral", tmp_path)
    with pytest.raises(referrals.VerificationRefused) as refusal:
        referrals.verify_answer(board_app.extensions["inscope"], "r-none", None,
                                verified_with="", method="phone")
    assert english(say(refusal.value.text, catalog.gettext, catalog.ngettext)) == []
