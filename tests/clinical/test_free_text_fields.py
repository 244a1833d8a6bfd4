"""DEC-2: every free-text field is read; a clinician's own words are listed, not re-graded."""

from __future__ import annotations

from clinical_builders import raw_assessment, raw_intake, run

from inscope_clinical import free_text

DISCHARGED = {"discharged": True, "discharge_status": "symptom_free",
              "cleared_for_activity": True, "region": "lower back"}


def test_each_client_field_is_graded() -> None:
    words = "my foot is dropping and I keep tripping"
    docs = [
        (raw_intake(notes=words), None),
        (raw_intake(history={"injuries": [{"description": words, "current": False}]}), None),
        (raw_intake(history={"surgeries": [{"procedure": words,
                                            "ongoing_rehabilitation": False}]}), None),
        (raw_intake(), raw_assessment(notes=words)),
    ]
    for intake, assessment in docs:
        result = run(intake, assessment=assessment)
        assert result["urgency"] == "emergency", (intake, assessment)
        assert "review:free_text" in result["flags"]


def test_a_clinicians_guidelines_are_listed_not_regraded() -> None:
    therapy = {**DISCHARGED, "guidelines": "Known osteoporosis: avoid loaded spinal flexion. "
               "Stop and seek help if chest pain occurs."}
    result = run(raw_intake(history={"physical_therapy": [therapy]}))
    assert result["outcome"] == "in_scope"
    assert "review:free_text" in result["flags"]
    noted = [r for r in result["reasons"] if r["rule"] == "SYS-7" and r["facts"].get("flags")]
    assert noted and noted[0]["facts"]["field"].startswith("intake.history.physical_therapy[0]")


def test_texts_lists_every_free_text_field() -> None:
    intake = {"notes": "a", "pain": [{"region": "b"}],
              "history": {"injuries": [{"description": "c", "region": "d"}],
                          "surgeries": [{"procedure": "e"}],
                          "physical_therapy": [{"guidelines": "f"}],
                          "clinician_guidelines": [{"guidelines": "g",
                                                    "restrictions": {"notes": "h"}}],
                          "written_clearances": [{"restrictions": {"notes": "i"}}]}}
    found = [text for _, text in free_text.texts(intake, {"notes": "j",
                                                          "pain_during": [{"region": "k"}]})]
    assert found == list("abcdefghijk")


def test_a_text_read_again_gives_the_same_and_shares_nothing() -> None:
    """Issue 13: scan() keeps what it read in a text (an intake's words are read again
    when its assessment is decided). Screening again gives exactly what screening the
    text as new gives, and a result changed by its caller changes nothing later."""
    intake = raw_intake(notes="Chest pain? no. Dad had a heart attack. Knee pain on stairs.")
    free_text.forget_texts()
    fresh = run(intake)
    again = run(intake)
    assert again == fresh
    aside = [r for r in again["reasons"] if r["facts"].get("negated_mentions")]
    assert aside, "the negated chest pain is listed as set aside"
    for row in aside[0]["facts"]["negated_mentions"]:
        row["why"] = "changed by a caller"
    assert run(intake) == fresh
    free_text.forget_texts()
    assert run(intake) == fresh
