"""What a referral asks of the clinician, and the letter the answer page shows (pure)."""

from __future__ import annotations

from datetime import date

from inscope_clinical.letters import referral_letter, sender_from
from inscope_clinical.letters.request import build_request, equivalence_key


def decision(**overrides):
    base = {
        "outcome": "clearance",
        "urgency": "routine",
        "target": "physician",
        "program_state": "hold_pending_clearance",
        "intensity_cap": None,
        "reasons": [
            {"rule": "PARQ-2", "outcome": "in_scope", "summary": "cleared", "facts": {}},
            {
                "rule": "ACSM-3",
                "outcome": "clearance",
                "summary": "Clearance recommended.",
                "facts": {"acsm.known_cv_disease": True, "acsm.desired_intensity": "vigorous"},
            },
        ],
    }
    return {**base, **overrides}


def test_clearance_for_the_intensity_the_client_wants_and_no_training_meanwhile():
    request = build_request(decision(), desired_intensity="vigorous")
    assert request["kind"] == "clearance"
    assert request["clearance_for_intensity"] == "vigorous"
    assert request["meanwhile"] == "no_training_until_cleared"
    assert request["rules"] == ["ACSM-3"]  # the cleared PAR-Q+ is no reason to refer
    assert request["restrictions"] and request["exercise_guidelines"]
    assert "medically cleared for vigorous-intensity exercise" in request["summary"]


def test_moderate_meanwhile_while_vigorous_waits_for_clearance():
    request = build_request(
        decision(program_state="build_moderate_only_until_clearance", intensity_cap="moderate"),
        desired_intensity="vigorous",
    )
    assert request["clearance_for_intensity"] == "vigorous"
    assert request["meanwhile"] == "moderate_intensity_only_until_cleared"
    assert request["meanwhile_intensity"] == "moderate"


def test_a_physical_therapist_is_asked_for_evaluation_treatment_and_return_guidelines():
    request = build_request(decision(outcome="refer", target="physical_therapist"), "moderate")
    assert request["kind"] == "evaluation"
    assert request["evaluation"] and request["treatment"]
    assert "return to training at moderate intensity" in request["summary"]


def test_an_emergency_asks_for_follow_up_after_emergency_care():
    request = build_request(
        decision(
            outcome="refer",
            urgency="emergency",
            target="emergency_services",
            program_state="none_emergency",
        ),
        None,
    )
    assert request["kind"] == "emergency_follow_up"
    assert request["clearance_for_intensity"] == "moderate"  # nothing stated: moderate
    assert request["meanwhile"] == "no_training_emergency_care_first"


def test_equivalent_requests_share_a_key():
    a = build_request(decision(), "moderate")
    assert equivalence_key("physician", "routine", a) == equivalence_key(
        "physician", "routine", build_request(decision(), "moderate")
    )
    assert equivalence_key("physician", "routine", a) != equivalence_key("physician", "urgent", a)


def _contact(**consent):
    return {
        "client": {"first_name": "Dana", "last_name": "Rivera", "date_of_birth": "1988-04-12"},
        "physician": {"name": "Dr. Priya Shah", "clinic": "Lakeside"},
        "consent": {
            "share_with_physician": True,
            "signed_at": "2026-11-26T09:30:00+00:00",
            "version": "consent-2026-01",
            **consent,
        },
    }


def test_the_letter_lists_identifiers_consent_findings_request_and_urgency():
    request = build_request(decision(), "moderate")
    referral = {"target": "physician", "urgency": "urgent", "request": request}
    letter = referral_letter(
        sender=sender_from("Studio", {}),
        today=date(2026, 11, 27),
        contact=_contact(),
        decision=decision(),
        referral=referral,
        with_answer_block=False,
    )
    text = letter.plain()
    assert "Re: Dana Rivera, date of birth 1988-04-12" in text
    assert "2026-11-26" in text and "consent-2026-01" in text
    # Findings in words, never raw keys (issue 9: no "acsm.known_cv_disease: yes").
    assert "acsm." not in text and "known_cv_disease" not in text
    assert "Desired exercise intensity: vigorous." in text
    assert letter.title.startswith("URGENT") and letter.urgent
    assert "Urgent: we would be grateful" in text
    assert "Training is on hold" in text
    assert all(b.heading != "Your answer" for b in letter.blocks)


def test_without_consent_the_letter_says_the_client_brought_it():
    letter = referral_letter(
        sender=sender_from("Studio", {}),
        today=date(2026, 11, 27),
        contact=_contact(share_with_physician=False),
        decision=decision(),
        referral=None,
    )
    assert "bring this letter to you themselves" in letter.plain()


def test_the_request_points_to_the_findings_where_the_letter_has_them():
    request = build_request(decision(outcome="refer", target="physician"), "moderate")
    letter = referral_letter(
        sender=sender_from("Studio", {}),
        today=date(2026, 11, 27),
        contact=_contact(),
        decision=decision(outcome="refer", target="physician"),
        referral={"target": "physician", "urgency": "routine", "request": request},
        with_answer_block=False,
    )
    headings = [b.heading for b in letter.blocks]
    asks = letter.blocks[headings.index("What we ask of you")]
    assert "Evaluation of the findings above." in asks.bullets
    assert headings.index("Findings") < headings.index("What we ask of you")
