"""The referral status machine: every step, who may take it, and what is absorbed."""

from __future__ import annotations

import pytest

from inscope_referral import lifecycle as lc


def walk(*steps: tuple[str, str]) -> list[str]:
    status, seen = lc.NEEDED, []
    for step, actor in steps:
        status = lc.apply(status, step, actor).status
        seen.append(status)
    return seen


def test_the_whole_loop_in_order():
    assert walk(
        (lc.LETTER_QUEUED, lc.NOTIFY),
        (lc.LETTER_ACCEPTED, lc.NOTIFY),
        (lc.PAGE_OPENED, lc.PHYSICIAN),
        (lc.ANSWER_GIVEN, lc.PHYSICIAN),
        (lc.CLOSE, lc.STAFF),
    ) == [lc.SENT, lc.DELIVERED, lc.VIEWED, lc.ANSWERED, lc.CLOSED]


@pytest.mark.parametrize("start", [lc.SENT, lc.DELIVERED, lc.VIEWED])
def test_an_unanswered_letter_goes_overdue_and_can_still_be_answered(start):
    move = lc.apply(start, lc.REMINDERS_EXHAUSTED, lc.SCHEDULER)
    assert move == lc.Move(lc.OVERDUE, True, "overdue_at")
    assert lc.apply(lc.OVERDUE, lc.ANSWER_GIVEN, lc.PHYSICIAN).status == lc.ANSWERED


def test_a_letter_that_was_not_sent_stays_needed():
    move = lc.apply(lc.NEEDED, lc.LETTER_NOT_SENT, lc.NOTIFY)
    assert move == lc.Move(lc.NEEDED, False, None)


def test_a_client_may_carry_the_letter_so_needed_can_be_viewed_and_answered():
    assert lc.apply(lc.NEEDED, lc.PAGE_OPENED, lc.PHYSICIAN).status == lc.VIEWED
    assert lc.apply(lc.NEEDED, lc.ANSWER_GIVEN, lc.PHYSICIAN).status == lc.ANSWERED


@pytest.mark.parametrize(
    ("status", "step", "actor"),
    [
        (lc.VIEWED, lc.LETTER_ACCEPTED, lc.NOTIFY),  # delivery reported after the visit
        (lc.ANSWERED, lc.LETTER_ACCEPTED, lc.NOTIFY),
        (lc.DELIVERED, lc.LETTER_QUEUED, lc.NOTIFY),
        (lc.OVERDUE, lc.PAGE_OPENED, lc.PHYSICIAN),
    ],
)
def test_late_reports_never_move_backwards_but_keep_their_time(status, step, actor):
    move = lc.apply(status, step, actor)
    assert move.status == status and not move.changed
    assert move.stamp is not None


@pytest.mark.parametrize("status", [lc.ANSWERED, lc.CLOSED])
def test_the_sweep_racing_an_answer_changes_nothing_and_records_nothing(status):
    assert lc.apply(status, lc.REMINDERS_EXHAUSTED, lc.SCHEDULER) == lc.Move(status, False, None)


@pytest.mark.parametrize(
    ("status", "step", "actor"),
    [
        (lc.ANSWERED, lc.ANSWER_GIVEN, lc.PHYSICIAN),  # a second answer
        (lc.CLOSED, lc.ANSWER_GIVEN, lc.PHYSICIAN),
        (lc.ANSWERED, lc.PAGE_OPENED, lc.PHYSICIAN),
        (lc.CLOSED, lc.PAGE_OPENED, lc.PHYSICIAN),
        (lc.NEEDED, lc.REMINDERS_EXHAUSTED, lc.SCHEDULER),  # nothing was sent to remind
        (lc.ANSWERED, lc.SUPERSEDE, lc.REFERRAL_ENGINE),  # an answer is never superseded
    ],
)
def test_steps_that_make_no_sense_are_refused(status, step, actor):
    with pytest.raises(lc.TransitionRefused):
        lc.apply(status, step, actor)


@pytest.mark.parametrize(
    ("step", "actor"),
    [
        (lc.ANSWER_GIVEN, lc.STAFF),  # staff cannot answer for the physician
        (lc.ANSWER_GIVEN, lc.NOTIFY),
        (lc.LETTER_ACCEPTED, lc.PHYSICIAN),
        (lc.REMINDERS_EXHAUSTED, lc.STAFF),
        (lc.CLOSE, lc.PHYSICIAN),
    ],
)
def test_only_the_right_actor_takes_a_step(step, actor):
    with pytest.raises(lc.TransitionRefused, match="is taken by"):
        lc.apply(lc.DELIVERED, step, actor)


def test_closing_is_idempotent_and_covers_open_and_answered_referrals():
    for status in (*lc.OPEN, lc.ANSWERED):
        assert lc.apply(status, lc.CLOSE, lc.STAFF).status == lc.CLOSED
    assert lc.apply(lc.CLOSED, lc.CLOSE, lc.STAFF) == lc.Move(lc.CLOSED, False, None)


def test_unknown_status_or_step_is_refused():
    with pytest.raises(lc.TransitionRefused):
        lc.apply("lost", lc.CLOSE, lc.STAFF)
    with pytest.raises(lc.TransitionRefused):
        lc.apply(lc.NEEDED, "teleport", lc.STAFF)


def test_statuses_match_the_event_contract():
    from inscope_common.events.schemas import REFERRAL_STATUSES

    assert set(lc.ORDER) == set(REFERRAL_STATUSES)
    assert lc.steps_from(lc.CLOSED) == {}
    assert lc.steps_from(lc.NEEDED)[lc.LETTER_ACCEPTED] == lc.DELIVERED
