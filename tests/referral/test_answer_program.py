"""DEC-7 through the referral service (real Redis and database, the answer form as the
physician posts it): a clearing answer builds the program within the restrictions,
for real; the other answers move the client as client-journey.md says."""

from __future__ import annotations

import re
from typing import Any

import pytest

from inscope_clinical.restrictions import INTENSITY_ORDER
from tests.referral.conftest import clearance_intake, token_of
from tests.services.conftest import example

pytestmark = pytest.mark.usefixtures("database_backend")

ORIGIN = {"Origin": "http://localhost"}
RESTRICTED = {
    "answer": "cleared_with_restrictions",
    "max_intensity": "moderate",
    "avoid_movements.overhead_pressing": "on",
    "notes": "Progress gradually.",
}


def _answer(app, ref: dict[str, Any], **fields: str):
    token = token_of(ref["answer_url"])
    client = app.test_client()
    page = client.get(f"/answer/{token}").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)
    data = {"form_key": key, "answered_by": "Dr. Lee", "profession": "physician",
            "registration": "CPSO 12345", **fields}
    done = client.post(f"/answer/{token}", data=data, headers=ORIGIN)
    assert done.status_code == 200, done.get_data(as_text=True)[:500]


def _status(app, who: dict[str, str]) -> dict[str, Any]:
    return app.test_client().get(f"/clients/{who['client_id']}/status").get_json()


def _exercises(program: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for phase in program["phases"] for e in phase["exercises"]]


def _low_back_pain_assessment() -> dict[str, Any]:
    """Arms fall forward (pressing work fits) and pain on spinal flexion clearing: a
    routine physical-therapist referral that leaves the shoulders free."""
    assessment = example("assessment-clear.json")
    assessment["fms"]["clearing"]["spinal_flexion"] = True
    assessment["pain_during"] = [
        {"test": "spinal_flexion_clearing", "region": "lower back", "side": "bilateral",
         "nprs": 3}]
    return assessment


def _referred(flow) -> tuple[dict[str, str], dict[str, Any]]:
    """Referred to a physical therapist after the assessment (no intensity limit on
    file, so only the clinician's answer can leave pressing work out)."""
    who = flow.submit_intake()
    flow.score(who, _low_back_pain_assessment(), "a-1")
    ref = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1]
    return who, ref["data"]["referral"]


def _above_moderate(exercise: dict[str, Any]) -> bool:
    return INTENSITY_ORDER.index(exercise["intensity"]) > INTENSITY_ORDER.index("moderate")


def test_cleared_with_restrictions_rebuilds_the_program_within_them(app, flow):
    who, ref = _referred(flow)
    assert _status(app, who)["program"] is None  # no program while clearance is needed
    _answer(app, ref, **RESTRICTED)
    status = _status(app, who)
    assert status["status"] == "program_ready"
    chosen = _exercises(status["program"])
    assert chosen
    assert [e["id"] for e in chosen if "overhead_pressing" in e["movements"]] == []
    assert [e["id"] for e in chosen if _above_moderate(e)] == []
    clinician = status["program"]["restrictions"]["clinician"]
    assert clinician["avoid_movements"] == ["overhead_pressing"]
    assert "int_squat_to_press" in {
        x["id"] for x in status["program"]["restrictions"]["excluded_exercises"]}
    page = app.test_client().get(f"/clients/{who['client_id']}/view")
    if page.status_code == 200:  # the staff page, where the test app serves it
        text = page.get_data(as_text=True)
        assert 'id="program-restrictions"' in text and "Overhead pressing" in text


def test_control_cleared_without_restrictions_includes_overhead_pressing(app, flow):
    who, ref = _referred(flow)
    _answer(app, ref, answer="cleared")
    status = _status(app, who)
    assert status["status"] == "program_ready"
    pressing = [e["id"] for e in _exercises(status["program"])
                if "overhead_pressing" in e["movements"]]
    assert pressing, "the control must contain an overhead-pressing exercise"


def test_cleared_before_the_assessment_waits_for_it(app, flow):
    who = flow.submit_intake(clearance_intake())
    ref = flow.decided()[-1]["data"]["referral"]
    _answer(app, ref, **RESTRICTED)
    status = _status(app, who)
    assert status["status"] == "awaiting_assessment" and status["program"] is None


@pytest.mark.parametrize("kind, expected, next_action", [
    ("not_cleared", "on_hold", "No training"),
    ("needs_visit", "referred", "Appointment pending"),
])
def test_not_cleared_holds_and_needs_visit_waits(app, flow, kind, expected, next_action):
    who, ref = _referred(flow)
    _answer(app, ref, answer=kind)
    status = _status(app, who)
    assert status["status"] == expected
    assert status["journey"]["next_action"].startswith(next_action)
    assert status["program"] is None


# -- an answer given before the assessment carries over to the decision after it -----


def _cleared_then_assessed(app, flow, **fields: str) -> tuple[dict[str, str], dict[str, Any]]:
    """ACSM clearance at screening; the physician answers before the assessment; then
    the assessment is scored (the same clearance question, nothing new for them)."""
    who = flow.submit_intake(clearance_intake())
    ref = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1]["data"]["referral"]
    _answer(app, ref, **fields)
    assert _status(app, who)["status"] == "awaiting_assessment"
    letters_before = len([e for e in flow.decided() if e["subject"] == who["client_id"]])
    flow.score(who, example("assessment-clear.json"), "a-carry")
    return who, {"ref": ref, "letters_before": letters_before}


# The ACSM clearance keeps this client at light-to-moderate intensity whatever the
# physician says (ACSM-3), which already leaves pressing out: the restriction tested
# here is one the control's program would otherwise include.
EARLY_RESTRICTED = {
    "answer": "cleared_with_restrictions",
    "max_intensity": "light",
    "avoid_movements.lunging_or_stepping": "on",
}


def _lunging(exercise: dict[str, Any]) -> bool:
    return "lunging_or_stepping" in exercise["movements"]


def test_answer_before_the_assessment_carries_over(app, flow):
    who, seen = _cleared_then_assessed(app, flow, **EARLY_RESTRICTED)
    status = _status(app, who)
    assert status["status"] == "program_ready", status["journey"]
    # No second referral to the physician: the answer already given still stands.
    physician = [r for r in status["referrals"] if r["target"] == "physician"]
    assert [r["id"] for r in physician] == [seen["ref"]["referral_id"]]
    # No new letter: nothing new was asked of the physician.
    decided = [e for e in flow.decided() if e["subject"] == who["client_id"]]
    assert len(decided) == seen["letters_before"]
    chosen = _exercises(status["program"])
    assert chosen
    assert [e["id"] for e in chosen if _lunging(e)] == []
    assert status["program"]["intensity_cap"] == "light"  # the lower of ACSM's and theirs
    assert status["program"]["restrictions"]["clinician"]["avoid_movements"] == [
        "lunging_or_stepping"]


def test_control_answer_before_the_assessment_without_restrictions(app, flow):
    who, _seen = _cleared_then_assessed(app, flow, answer="cleared")
    status = _status(app, who)
    assert status["status"] == "program_ready", status["journey"]
    chosen = _exercises(status["program"])
    assert [e["id"] for e in chosen if _lunging(e)], "the control must contain lunging"
    assert status["program"]["intensity_cap"] == "light_to_moderate"  # ACSM-3 alone


def test_new_finding_after_an_early_answer_asks_again(app, flow):
    """Pain at the assessment is a new question (FMS-8): the early answer does not
    cover it, a new referral opens."""
    who = flow.submit_intake(clearance_intake())
    ref = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1]["data"]["referral"]
    _answer(app, ref, answer="cleared")
    flow.score(who, _low_back_pain_assessment(), "a-pain")
    status = _status(app, who)
    assert status["status"] != "program_ready"
    assert len(status["referrals"]) == 2


def test_the_answered_event_carries_the_program_built_within_the_answer(app, flow):
    """Notify attaches it to the client's email (issue 9 item 5): the event names the
    rebuilt program, without the pressing work the answer excludes."""
    who, ref = _referred(flow)
    _answer(app, ref, **RESTRICTED)
    [answered] = [e for e in flow.notified("referral.answered.v1")
                  if e["subject"] == who["client_id"]]
    program = answered["data"]["program"]
    assert program and program == _status(app, who)["program"]
    assert not [e for e in _exercises(program) if "overhead_pressing" in e["movements"]]


def _answered_events(flow, who: dict[str, str]) -> list[dict[str, Any]]:
    return [e for e in flow.notified("referral.answered.v1") if e["subject"] == who["client_id"]]


def test_a_carried_over_answer_is_told_again_with_the_program(app, flow):
    """The client and the trainer get the program built within an early answer as a
    fresh answer gives it: ``referral.answered`` again, after the assessment, with the
    program (notify attaches it as the PDF); a re-assessment does not repeat it."""
    who, seen = _cleared_then_assessed(app, flow, **EARLY_RESTRICTED)
    first, again = _answered_events(flow, who)
    assert first["data"]["program"] is None and not first["data"]["after_assessment"]
    assert again["data"]["after_assessment"] is True
    assert again["data"]["referral_id"] == seen["ref"]["referral_id"]
    assert again["data"]["answer"] == "cleared_with_restrictions"
    assert again["data"]["restrictions"]["avoid_movements"] == ["lunging_or_stepping"]
    assert again["data"]["program"] == _status(app, who)["program"]
    assert not [e for e in _exercises(again["data"]["program"]) if _lunging(e)]
    flow.score(who, example("assessment-clear.json"), "a-carry-2")
    assert len(_answered_events(flow, who)) == 2  # told once; the program page follows


def test_an_answer_that_does_not_carry_over_is_not_told_again(app, flow):
    """Control: pain at the assessment is a new question; the early answer does not
    apply to it, so no program and no second answer email."""
    who = flow.submit_intake(clearance_intake())
    ref = [e for e in flow.decided() if e["subject"] == who["client_id"]][-1]["data"]["referral"]
    _answer(app, ref, answer="cleared")
    flow.score(who, _low_back_pain_assessment(), "a-pain-2")
    assert len(_answered_events(flow, who)) == 1


def test_the_answer_compiles_the_lexicon_before_it_takes_the_write_lock(app, flow, monkeypatch):
    """Rebuilding the program reads the intake's free text; compiling the lexicon takes
    seconds of CPU (half a minute on a loaded machine), and inside the answer's
    transaction it held SQLite's write lock for all of it: every other writer waited."""
    from contextlib import contextmanager

    from inscope_referral import referrals

    who, ref = _referred(flow)
    order: list[str] = []
    monkeypatch.setattr(referrals, "compiled_lexicon", lambda: order.append("lexicon"))
    rt = app.extensions["inscope"]
    opened = rt.unit_of_work

    @contextmanager
    def recorded():
        order.append("write transaction")
        with opened() as uow:
            yield uow

    monkeypatch.setattr(rt, "unit_of_work", recorded)
    _answer(app, ref, **RESTRICTED)
    assert order[:2] == ["lexicon", "write transaction"], order


def test_compiled_lexicon_compiles_in_one_thread_while_the_others_wait(monkeypatch):
    import threading
    import time

    from inscope_clinical import free_text

    inside, most = [0], [0]

    def slow_compile():
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.05)
        inside[0] -= 1

    monkeypatch.setattr(free_text, "lexicon", slow_compile)
    threads = [threading.Thread(target=free_text.compiled_lexicon) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1
