"""bench.faults' counts (fast, no suite): an email resent with its Message-ID is told
apart from two different emails for one recipient and role, and both fail the row."""

from __future__ import annotations

from collections import Counter

from bench.faults import FaultRun, Result, _role

CLIENT = ("client.b1c0@example.com", "client")
DOCTOR = ("doctor.b1c0@example.com", "physician")


def _received(result: Result, *messages: tuple[str, str]) -> Result:
    result.expected = {CLIENT, DOCTOR}
    result.received_ids = Counter(mid for mid, _ in messages)
    result.received_keys = Counter((to, _role(mid)) for mid, to in messages)
    result.submitted = result.accepted = result.assessed = 1
    result.settled_s = 1.0
    return result


def test_a_resend_with_the_same_message_id_counts_as_resent_and_fails():
    result = _received(
        Result("kill_notify_worker"),
        ("<e1.client@inscope.local>", CLIENT[0]),
        ("<e1.physician@inscope.local>", DOCTOR[0]),
        ("<e1.physician@inscope.local>", DOCTOR[0]),
    )
    assert (result.resent, result.distinct_duplicates, result.duplicates) == (1, 0, 1)
    assert result.exactly_once == 1 and not result.ok
    assert "| 2 → 1 | 1 + 0 / 0 |" in result.row()


def test_two_message_ids_for_one_recipient_and_role_are_a_distinct_duplicate():
    result = _received(
        Result("none"),
        ("<e1.client@inscope.local>", CLIENT[0]),
        ("<e2.client@inscope.local>", CLIENT[0]),
        ("<e1.physician@inscope.local>", DOCTOR[0]),
    )
    assert (result.resent, result.distinct_duplicates, result.duplicates) == (0, 1, 1)
    assert not result.ok


def test_exactly_once_is_ok():
    result = _received(
        Result("none"),
        ("<e1.client@inscope.local>", CLIENT[0]),
        ("<e1.physician@inscope.local>", DOCTOR[0]),
    )
    assert (result.resent, result.duplicates) == (0, 0) and result.ok
    assert FaultRun(0.0).killed == []
