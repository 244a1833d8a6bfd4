"""The staff review loop in the engine (DEC-2, DEC-3; client-journey.md needs_review):
confirming turns the words into the structured answer, dismissing re-screens without
them (free text) or keeps the serious answer (contradiction); either stops asking."""

from __future__ import annotations

from typing import Any

import pytest
from clinical_builders import raw_intake, run

from inscope_clinical import review
from inscope_clinical.journey import journey

WHO = {"account_id": "acc-1", "name": "Sam Staff", "role": "trainer"}
AT = "2026-12-03T23:00:00+00:00"


def screened(doc: dict[str, Any]) -> dict[str, Any]:
    return {**run(doc), "stage": "screening"}


def only(decision: dict[str, Any], kind: str) -> dict[str, Any]:
    (item,) = [i for i in review.items(decision) if i["kind"] == kind]
    return item


def test_a_free_text_mention_is_one_item_with_its_words_and_answers() -> None:
    d = screened(raw_intake(notes="Gets chest tightness walking up stairs"))
    item = only(d, "free_text")
    assert item["words"] == "chest tightness walking up"
    assert "red_flags.exertional_chest_discomfort_relieved_by_rest" in item["flags"]
    # The structured NOs the words contradict are part of the same item (both sides).
    assert "parq.general.g2" in item["contradicts"]
    assert item["whose"] is None
    assert journey(d).needs_review == review.items(d)


def test_confirming_sets_the_structured_answer_and_stops_asking() -> None:
    doc = raw_intake(notes="Gets chest tightness walking up stairs")
    d = screened(doc)
    item = only(d, "free_text")
    fixed, entry = review.apply(doc, d, item["key"], "confirm", "", WHO, AT)
    assert fixed["red_flags"]["exertional_chest_discomfort_relieved_by_rest"] is True
    assert fixed["parq"]["general"]["g2"] is True  # the contradicted NO is corrected too
    assert entry["by_name"] == "Sam Staff" and entry["action"] == "confirm"
    assert doc.get("review") is None  # the old version is left alone
    again = screened(fixed)
    assert (again["urgency"], again["target"]) == (d["urgency"], d["target"]) == (
        "urgent", "physician")
    assert "review:free_text" not in again["flags"]
    assert "review:contradiction" not in again["flags"]
    assert journey(again).needs_review == []


def test_dismissing_needs_a_reason() -> None:
    doc = raw_intake(notes="Gets chest tightness walking up stairs")
    d = screened(doc)
    key = only(d, "free_text")["key"]
    with pytest.raises(review.ReviewProblem, match="reason"):
        review.apply(doc, d, key, "dismiss", "   ", WHO, AT)
    with pytest.raises(review.ReviewProblem, match="No such"):
        review.apply(doc, d, "g-000000000000", "confirm", "", WHO, AT)


def test_dismissing_a_mention_rescreens_without_it_and_keeps_it_on_record() -> None:
    """client-journey.md: "re-screen without it; the mention stays on record"."""
    doc = raw_intake(notes="Gets chest tightness walking up stairs")
    d = screened(doc)
    key = only(d, "free_text")["key"]
    fixed, _ = review.apply(doc, d, key, "dismiss", "Client meant a tight jacket", WHO, AT)
    assert fixed["notes"] == doc["notes"]  # the words stay
    assert {e["reason"] for e in fixed["review"]["dismissed"]} == {"Client meant a tight jacket"}
    again = screened(fixed)
    assert again["outcome"] == "in_scope" and again["target"] is None
    assert "review:free_text" not in again["flags"]
    listed = [r for r in again["reasons"] if "dismissed_mentions" in r["facts"]]
    assert listed and listed[0]["facts"]["dismissed_mentions"][0]["phrase"]
    assert journey(again).needs_review == []


def test_a_dismissed_mention_does_not_hide_other_words() -> None:
    doc = raw_intake(notes="Gets chest tightness walking up stairs. Ankles swell at night.")
    d = screened(doc)
    items = review.items(d)
    chest = next(i for i in items if "chest" in i["words"])
    fixed, _ = review.apply(doc, d, chest["key"], "dismiss", "tight jacket", WHO, AT)
    again = screened(fixed)
    left = [i for i in review.items(again) if i["kind"] == "free_text"]
    assert left and all("chest" not in i["words"] for i in left)
    assert "review:free_text" in again["flags"]


def structured_contradiction() -> dict[str, Any]:
    doc = raw_intake()
    doc["red_flags"] = {"chest_pain_12_to_72h": True}
    return doc


def test_dismissing_a_contradiction_keeps_the_serious_answer() -> None:
    """DEC-3: the more serious answer is taken; no rule lets a dismissal lower it."""
    doc = structured_contradiction()
    d = screened(doc)
    items = review.items(d)
    assert {i["answer"] for i in items} == {"parq.general.g2",
                                            "acsm.signs_symptoms.ischaemic_discomfort"}
    assert all(i["kind"] == "contradiction" and i["against"] for i in items)
    fixed, _ = review.apply(doc, d, items[0]["key"], "dismiss", "asked the client", WHO, AT)
    again = screened(fixed)
    assert [i["key"] for i in review.items(again)] == [items[1]["key"]]  # one left
    assert "review:contradiction" in again["flags"]
    fixed, _ = review.apply(fixed, again, items[1]["key"], "dismiss", "asked", WHO, AT)
    again = screened(fixed)
    assert (again["outcome"], again["urgency"], again["target"]) == (
        d["outcome"], d["urgency"], d["target"])
    assert "review:contradiction" not in again["flags"]
    rows = [row for r in again["reasons"] if r["rule"] == "DEC-3"
            for row in r["facts"]["contradictions"]]
    assert rows and all(row.get("dismissed") for row in rows)
    assert review.items(again) == []


def test_confirming_a_contradiction_answers_yes() -> None:
    doc = structured_contradiction()
    d = screened(doc)
    item = next(i for i in review.items(d) if i["answer"] == "parq.general.g2")
    fixed, _ = review.apply(doc, d, item["key"], "confirm", "", WHO, AT)
    assert fixed["parq"]["general"]["g2"] is True
    again = screened(fixed)
    assert "parq.general.g2" not in {i.get("answer") for i in review.items(again)}
    assert again["urgency"] == "urgent"


def test_confirmed_plain_pain_keeps_its_referral_without_asking_again() -> None:
    doc = raw_intake(notes="My left knee hurts when I run")
    d = screened(doc)
    item = only(d, "free_text")
    assert "rf4.musculoskeletal_pain" in item["flags"]
    fixed, _ = review.apply(doc, d, item["key"], "confirm", "", WHO, AT)
    again = screened(fixed)
    assert again["target"] == d["target"] == "physical_therapist"
    assert "review:free_text" not in again["flags"]


# -- words the screening cannot read (DEC-2 / SYS-8, inscope_clinical.languages) -------

SPANISH = "Quiero ponerme en forma. Tengo dolor en el pecho desde esta mañana."


def test_notes_in_another_language_hold_the_client_until_staff_read_them() -> None:
    d = screened(raw_intake(notes=SPANISH))
    assert (d["outcome"], d["program_state"], d["target"]) == (
        "hold", "hold_pending_unread_text", None)
    assert {"review:free_text", "blocked:assessment"} <= set(d["flags"])
    item = only(d, "unread")
    assert (item["field"], item["language"]) == ("intake.notes", "es")
    assert item["words"] == "Quiero ponerme en forma. Tengo dolor en el pecho desde esta mañana"
    j = journey(d)
    assert (j.status, j.text_code, j.do_not_train) == ("on_hold", "on_hold.unread_text", True)
    assert "language" in j.headline and "read" in j.next_action


def test_unread_words_are_dismissed_saying_what_they_say_never_confirmed() -> None:
    doc = raw_intake(notes=SPANISH)
    d = screened(doc)
    key = only(d, "unread")["key"]
    with pytest.raises(review.ReviewProblem, match="nothing to tick"):
        review.apply(doc, d, key, "confirm", "", WHO, AT)
    with pytest.raises(review.ReviewProblem, match="reason"):
        review.apply(doc, d, key, "dismiss", "", WHO, AT)
    # Staff who read Spanish found chest pain since this morning: they tick it on the
    # intake (the correction) and dismiss the flag saying so.
    fixed, entry = review.apply(doc, d, key, "dismiss",
                                "Read by Ana: chest pain since this morning, ticked", WHO, AT)
    assert entry["words"].startswith("Quiero ponerme") and fixed["review"]["dismissed"]
    fixed.setdefault("red_flags", {})["chest_pain_now"] = True
    again = screened(fixed)
    assert again["urgency"] == "emergency"
    assert "hold_pending_unread_text" not in {r["program_state"] for r in again["reasons"]}
    assert review.items(again) == [] or all(i["kind"] != "unread" for i in review.items(again))


def test_dismissed_unread_words_hold_again_when_the_words_change() -> None:
    doc = raw_intake(notes=SPANISH)
    d = screened(doc)
    fixed, _ = review.apply(doc, d, only(d, "unread")["key"], "dismiss", "read: nothing new",
                            WHO, AT)
    assert screened(fixed)["outcome"] == "in_scope"
    fixed["notes"] = SPANISH + " Y me falta el aire al subir escaleras."
    assert screened(fixed)["program_state"] == "hold_pending_unread_text"


def test_english_read_beside_a_foreign_sentence_still_decides() -> None:
    notes = "Crushing chest pain right now. Mi esposa dice que estoy muy cansado."
    d = screened(raw_intake(notes=notes))
    assert d["urgency"] == "emergency"
    assert only(d, "unread")["words"] == "Mi esposa dice que estoy muy cansado"


@pytest.mark.parametrize("notes", [
    "My abuela has diabetes, so I want to get fit with her",
    "Walking the Camino de Santiago in May, knees ache on long descents",
    "Señora García referred me; she says 'poco a poco'",
    "Hx of MI 2019 and CABG, stable, cleared by cardiology",
    "Ottawa -ve",
])
def test_english_with_foreign_names_or_words_is_read_as_english(notes: str) -> None:
    d = screened(raw_intake(notes=notes))
    assert "hold_pending_unread_text" not in {r["program_state"] for r in d["reasons"]}


# A relative's finding in notes that say nothing of the writer: staff are asked whose it
# is (the corpus reads "my dad has ..." as someone else's; a relative often writes for the
# client without saying so).
RELATIVE_ONLY = "Dad wakes up in the night gasping and has to sit up to get his breath."


def asked(decision: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in review.items(decision) if i["kind"] == "free_text"]


def test_a_relative_s_finding_with_nothing_about_the_writer_is_asked_about() -> None:
    d = screened(raw_intake(notes=RELATIVE_ONLY))
    assert d["outcome"] == "in_scope"  # no change to the decision on its own
    flags = {f for i in asked(d) for f in i["flags"]}
    assert "acsm.signs_symptoms.orthopnoea_or_pnd" in flags
    assert {i["whose"] for i in asked(d)} == {"relative"}  # the page says whose to ask
    assert "in a relative" in " ".join(r["summary"] for r in d["reasons"])
    assert journey(d).needs_review == review.items(d)


def settle(doc: dict[str, Any], action: str, reason: str) -> dict[str, Any]:
    d = screened(doc)
    for item in asked(d):
        doc, _ = review.apply(doc, d, item["key"], action, reason, WHO, AT)
        d = screened(doc)
    return d


def test_confirming_a_relative_s_finding_makes_it_the_client_s() -> None:
    again = settle(raw_intake(notes=RELATIVE_ONLY), "confirm", "")
    assert (again["outcome"], again["urgency"]) == ("clearance", "urgent")
    assert journey(again).needs_review == []


def test_dismissing_a_relative_s_finding_stops_asking() -> None:
    again = settle(raw_intake(notes=RELATIVE_ONLY), "dismiss", "Her father's; she is the client")
    assert again["outcome"] == "in_scope"
    assert "review:free_text" not in again["flags"]


@pytest.mark.parametrize("notes", [
    # the writer says who they are, or the relative's is a risk factor, not a finding
    "My dad wakes up gasping at night; I want to get fit so I can help him.",
    "Dad has diabetes and had a stroke.",
])
def test_no_question_where_the_writer_speaks_or_nothing_is_a_finding(notes: str) -> None:
    d = screened(raw_intake(notes=notes))
    assert not [i for i in review.items(d) if i["kind"] == "free_text"]


def test_notes_a_relative_wrote_are_the_client_s_without_a_question() -> None:
    d = screened(raw_intake(notes=RELATIVE_ONLY, notes_written_by="relative_or_carer"))
    assert d["outcome"] == "clearance"
