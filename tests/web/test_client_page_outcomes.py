"""Every outcome of the engine, rendered on the client page: a reason the combination
overrode (SYS-2, SYS-4) is never shown as a finding, and neither the headline card nor
the findings name a clinician other than the decision's target.

The decisions come from the engine itself: hand-built cases for the combinations the
issue names, and seeded random intakes and assessments (the generator of
tests/clinical/test_properties.py), with both settings of the PT-via-physician choice.
The oracle here is independent of inscope_clinical.explain: it re-derives from each
reason's own outcome and target what may be a finding.
"""

from __future__ import annotations

import random
import re
import sys
from html import unescape
from typing import Any

import pytest

from inscope_clinical import AssessmentSchema, IntakeSchema, decide
from inscope_clinical.config import EngineConfig
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "tests" / "clinical"))
from clinical_builders import AS_OF, raw_intake  # noqa: E402
from test_properties import random_assessment, random_intake  # noqa: E402

# Words that name each clinician on a page.
NAMES = {
    "physician": re.compile(r"\bphysician", re.I),
    "physical_therapist": re.compile(r"\bphysical therapist", re.I),
}
CONFIGS = (EngineConfig(), EngineConfig(pt_referral_via_physician=True))


@pytest.fixture(scope="module")
def page_app(tmp_path_factory):
    from inscope_referral import create_app

    var = tmp_path_factory.mktemp("var")
    app = create_app(
        {
            "INSCOPE_DATA_DIR": str(var),
            "REFERRAL_DATABASE_URL": f"sqlite:///{var}/r.sqlite3",
            "INSCOPE_SCHEMA": "create",
            "INSCOPE_ENV": "development",
        }
    )
    yield app
    app.extensions["inscope"].engine.dispose()


def render(app, decision: dict[str, Any]) -> str:
    from inscope_referral import board_index
    from inscope_referral.models import ClientCase, Decision
    from inscope_referral.staff_pages import render_client_page

    row = Decision(id="d1", client_id="c1", intake_id="i1", stage=decision["stage"],
                   **{k: decision.get(k) for k in (
                       "outcome", "urgency", "target", "program_state", "reasons", "flags",
                       "program", "referrals", "intensity_cap")})
    row.decided_at = AS_OF_DT
    inputs = board_index.Inputs(ClientCase(client_id="c1"), row, None, None, None)
    status = {"client_id": "c1", "intake_id": "i1", "assessment_id": None, "referrals": [],
              "decision": {**decision, "id": "d1", "decided_at": AS_OF_DT,
                           "engine_version": "test"}}
    with app.test_request_context("/clients/c1/view"):
        return unescape(render_client_page(status, inputs, {}, [], "911"))


def section(html: str, pattern: str) -> str:
    match = re.search(pattern, html, re.S)
    return match.group(1) if match else ""


def findings_of(html: str) -> list[tuple[str, str]]:
    """(text, rule) of each finding listed on the page."""
    block = section(html, r'<ul class="reasons findings" id="findings">(.*?)</ul>')
    return [(t.strip(), r) for t, r in
            re.findall(r'<li>(.*?) <span class="rule-tag"[^>]*>([^<]+)</span></li>', block, re.S)]


def may_be_a_finding(reason: dict[str, Any], decision: dict[str, Any]) -> bool:
    if decision["outcome"] == "in_scope":
        return True
    return reason["outcome"] != "in_scope" and reason["target"] in (None, decision["target"])


def check(app, decision: dict[str, Any]) -> None:
    html = render(app, decision)
    shown = findings_of(html)
    reasons = decision["reasons"]
    allowed = {(r["summary"].strip(), r["rule"]) for r in reasons if may_be_a_finding(r, decision)}
    overridden = {(r["summary"].strip(), r["rule"]) for r in reasons} - allowed
    assert not set(shown) & overridden, "an overridden reason is shown as a finding"
    assert set(shown) <= allowed
    # What the decision rests on is there (the page cannot pass by showing nothing).
    deciding = {(r["summary"].strip(), r["rule"]) for r in reasons
                if r["outcome"] == decision["outcome"] and r["urgency"] == decision["urgency"]
                and r["target"] == decision["target"]}
    assert deciding <= set(shown)
    elsewhere = section(html, r'<ul class="reasons superseded"[^>]*>(.*?)</ul>') + section(
        html, r'<ul class="reasons notes"[^>]*>(.*?)</ul>')
    for text, _ in overridden:
        assert text in elsewhere  # shown, but not as a finding
    headline = section(html, r'(<section class="headline.*?</section>)')
    assert headline
    words = headline + " ".join(t for t, _ in shown)
    for target, pattern in NAMES.items():
        if target != decision["target"]:
            assert not pattern.search(words), (target, decision["target"], words)
    # Reviewers' notes never reach the page.
    for r in reasons:
        if r.get("note"):
            assert r["note"] not in html
    assert not re.search(r"design choice|unconfirmed|unverified|variant of|vary by guideline",
                         html, re.I)


def decide_raw(intake, assessment=None, config=None):
    loaded = IntakeSchema().load(intake)
    scored = AssessmentSchema().load(assessment) if assessment else None
    result = decide(loaded, age_years=40, assessment=scored, as_of=AS_OF, config=config)
    return {**result, "stage": "assessment" if assessment else "screening"}


import datetime as dt  # noqa: E402

AS_OF_DT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def named_cases() -> list[dict[str, Any]]:
    cases = []
    # Urgent physician (chest pain 12-72 h) beside a routine PT referral (knee pain).
    both = raw_intake()
    both["red_flags"] = {"chest_pain_12_to_72h": True}
    both["pain"] = [{"region": "knee", "side": "left", "nprs_rest": 2, "nprs_activity": 4,
                     "night_pain": False, "doms": False}]
    cases.append(both)
    # PAR-Q+ cleared, ACSM asks for clearance (SYS-4).
    sys4 = raw_intake()
    sys4["acsm"].update(regular_exercise_3_months=False, known_cv_disease=True)
    cases.append(sys4)
    # An emergency beside an urgent physician and a PT referral.
    worst = raw_intake()
    worst["red_flags"] = {"chest_pain_now": True, "unexplained_weight_loss": True}
    worst["pain"] = both["pain"]
    cases.append(worst)
    # ACSM signs and symptoms (the reason that carried a design note).
    signs = raw_intake()
    signs["acsm"]["signs_symptoms"]["dyspnoea_rest_or_mild_exertion"] = True
    cases.append(signs)
    return cases


@pytest.mark.parametrize("config", CONFIGS, ids=["pt", "via-physician"])
def test_named_combinations(page_app, config):
    outcomes = set()
    for intake in named_cases():
        decision = decide_raw(intake, config=config)
        outcomes.add((decision["outcome"], decision["urgency"], decision["target"]))
        check(page_app, decision)
    assert ("refer", "emergency", "emergency_services") in outcomes


def test_the_issues_example_reads_as_one_decision(page_app):
    decision = decide_raw(named_cases()[0])
    assert (decision["urgency"], decision["target"]) == ("urgent", "physician")
    html = render(page_app, decision)
    assert "Do not train — urgent medical clearance (physician)" in html
    superseded = section(html, r'<ul class="reasons superseded"[^>]*>(.*?)</ul>')
    assert "refer to a physical therapist" in superseded  # shown, as overridden
    assert 'class="rule-tag">SYS-2</span>' in superseded
    assert "<summary>Details</summary>" in html
    assert html.index('id="headline"') < html.index('id="findings"') < html.index('id="details"')
    assert "d1" not in html.split("<details", 1)[0]  # ids only under Details


def test_sys4_shows_the_cleared_par_q_as_overridden(page_app):
    decision = decide_raw(named_cases()[1])
    html = render(page_app, decision)
    superseded = section(html, r'<ul class="reasons superseded"[^>]*>(.*?)</ul>')
    assert "cleared for physical activity" in superseded
    assert 'class="rule-tag">SYS-4</span>' in superseded
    assert "cleared for physical activity" not in section(
        html, r'<ul class="reasons findings" id="findings">(.*?)</ul>')


@pytest.mark.parametrize("seed", range(120))
def test_every_random_outcome(page_app, seed):
    rng = random.Random(seed)
    intake, assessment = random_intake(rng), random_assessment(rng)
    config = CONFIGS[seed % 2]
    check(page_app, decide_raw(intake, config=config))
    check(page_app, decide_raw(intake, assessment, config=config))


@pytest.mark.parametrize("seed", range(120))
def test_the_letters_reason_agrees_with_the_page(seed):
    """The clinician's letter cites the same reasons the page shows as findings, and
    never a clinician other than the one it is addressed to."""
    from inscope_clinical.letters.findings import behind_outcome, findings_of
    from inscope_clinical.letters.letter import reason_sentence

    rng = random.Random(seed)
    intake = random_intake(rng) if seed else named_cases()[0]
    for decision in (decide_raw(intake, config=c) for c in CONFIGS):
        if decision["target"] not in NAMES:
            continue
        for r in behind_outcome(decision):
            assert may_be_a_finding(r, decision) and r["outcome"] != "in_scope"
        words = reason_sentence(decision) + " ".join(
            f.letter for f in findings_of(behind_outcome(decision)))
        for target, pattern in NAMES.items():
            if target != decision["target"]:
                assert not pattern.search(words), (target, words)
