"""bench.faults' counts (fast, no suite): an email resent with its Message-ID is told
apart from two different emails for one recipient and role, and both fail the row; a
window resend (bench/resends.py) is reported in its own column and fails nothing."""

from __future__ import annotations

from collections import Counter

from bench.faults import HEADER, FaultRun, Result, _role, chaos_round

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
    assert "| 2 → 1 | 0 | 1 + 0 / 0 |" in result.row()


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
    assert FaultRun(0.0).at is None


def test_a_window_resend_is_its_own_column_and_not_a_duplicate():
    result = _received(
        Result("kill_one_notify_worker"),
        ("<e1.client@inscope.local>", CLIENT[0]),
        ("<e1.physician@inscope.local>", DOCTOR[0]),
        ("<e1.physician@inscope.local>", DOCTOR[0]),
    )
    result.window_resends = 1
    assert (result.resent, result.distinct_duplicates, result.duplicates) == (0, 0, 0)
    assert result.exactly_once == 1 and result.received == 2 and result.ok
    assert "| 2 → 1 | 1 | 0 + 0 / 0 |" in result.row()
    # A third copy that is no window resend is still a duplicate.
    result.received_ids["<e1.physician@inscope.local>"] += 1
    result.received_keys[DOCTOR] += 1
    assert (result.resent, result.duplicates) == (1, 1) and not result.ok


def test_a_missing_email_fails_even_beside_a_window_resend():
    result = _received(
        Result("kill_one_notify_worker"),
        ("<e1.physician@inscope.local>", DOCTOR[0]),
        ("<e1.physician@inscope.local>", DOCTOR[0]),
    )
    result.window_resends = 1
    assert result.received == 1 and not result.ok


def test_the_header_has_a_column_per_figure_of_the_row():
    result = _received(Result("none"), ("<e1.client@inscope.local>", CLIENT[0]))
    assert HEADER.splitlines()[0].count("|") == result.row().count("|")
    assert "window resends" in HEADER


def test_kill_delay_takes_a_range_or_one_value():
    from bench.faults import _seconds_range

    assert _seconds_range("0-0.03") == (0.0, 0.03)
    assert _seconds_range("0.5") == (0.5, 0.5)


def test_from_the_kill_means_from_the_first_sigkill_the_fault_sent(tmp_path):
    """Not from when the fault began (listing the processes can take 0.1 s under load)."""
    from bench.faults import Faults
    from bench.resends import Kill

    faults = Faults(tmp_path, clients=1, outage_s=1, settle_s=1)
    faults.kills = [Kill("intake-web", 1, 5.0, 5.1), Kill("notify", 2, 10.0, 10.2)]
    faults.kills.append(Kill("notify", 3, 9.5, 9.6))
    assert faults._first_kill_since(1) == 9.5


def test_the_chaos_kills_single_processes_first_then_whole_workers():
    """kill_workers_repeatedly's first rounds take one process of a worker that has
    several (notify's two; there from the start), then every worker whole, one round per
    service of each kind;
    whole workers first left a short CI chaos at load average 20 with no pool child to
    kill while the notify worker restarted."""
    services, several = ["intake", "assessment", "referral", "notify"], ["notify"]
    rounds = [chaos_round(k, services, several) for k in range(12)]
    cycle = [(False, "notify")] + [(True, s) for s in services]
    assert rounds == (cycle * 3)[:12]
    # notify is in 5 of a 60 s chaos's 12 rounds (a kill every 5 s), so neither of its two
    # processes is killed six times: the supervisor gives up on 6 crashes in a row.
    assert sum(service == "notify" for _, service in rounds) == 5
