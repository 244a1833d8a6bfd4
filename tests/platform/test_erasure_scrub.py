"""Free text on erasure (inscope_common.client_rights.scrub): known identifiers in the
usual spellings, and any email address or phone number in prose, become "(erased)";
ids, timestamps and dates in prose stay; staff free text under its keys is deleted."""

from __future__ import annotations

from inscope_common.client_rights import STAFF_FREE_TEXT, identifiers, scrub, scrub_text

KNOWN = identifiers(["Ana", "Lee", "Ana Lee"], ["ana@example.org"], ["+1 555 0100"],
                    ["1988-04-12"])  # fmt: skip


def test_known_identifiers_in_the_usual_spellings_are_erased_as_whole_words():
    text = ("ana lee (12/04/1988, April 12, 1988, 12 April 1988) is on +1 555 0100; "
            "ANA@example.org; she likes bananas and Leeds")  # fmt: skip
    assert scrub_text(text, KNOWN) == (
        "(erased) ((erased), (erased), (erased)) is on (erased); (erased); "
        "she likes bananas and Leeds"
    )


def test_prose_loses_any_email_or_phone_but_keeps_dates_and_ids_stay_whole():
    assert scrub_text("call 020 7946 0958 or x.y@clinic.example, op on 2025-03-01") == (
        "call (erased) or (erased), op on 2025-03-01"
    )
    event = {"id": "12345678-1234-5678-1234-567812345678", "time": "2026-12-04T11:19:39",
             "data": {"notes": "Recheck in 6 weeks.", "answered_by": "Dr. Lee",
                      "avoid_movements": ["squatting"]}}  # fmt: skip
    cleaned = scrub(event, (), STAFF_FREE_TEXT)
    assert cleaned["id"] == event["id"] and cleaned["time"] == event["time"]
    assert cleaned["data"] == {"notes": "(erased)", "answered_by": "(erased)",
                               "avoid_movements": ["squatting"]}  # fmt: skip
