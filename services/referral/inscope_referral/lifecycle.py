"""A referral's status machine: which step moves it where, and who may take it (pure).

    needed -> sent -> delivered -> viewed -> answered -> closed
                  \\______________________/
                        -> overdue -> answered

Events arrive late, twice or out of order (notify reports a delivery after the
physician already opened the link), so a step never moves a referral backwards: a step
whose status is already behind the current one is *absorbed* (the status stays, its
timestamp is still worth recording). A step that makes no sense any more (answering a
closed referral) is *refused*.
"""

from __future__ import annotations

from dataclasses import dataclass

NEEDED = "needed"
SENT = "sent"
DELIVERED = "delivered"
VIEWED = "viewed"
OVERDUE = "overdue"
ANSWERED = "answered"
CLOSED = "closed"

# Progress order; overdue sits after viewed: it can follow any of sent/delivered/viewed
# and only an answer (or staff closing it) ends it.
ORDER = (NEEDED, SENT, DELIVERED, VIEWED, OVERDUE, ANSWERED, CLOSED)
STATUSES = frozenset(ORDER)
# Still waiting for the clinician: at most one such referral per client and target.
OPEN = frozenset({NEEDED, SENT, DELIVERED, VIEWED, OVERDUE})
# The letter is out and unanswered: reminders apply.
AWAITING_ANSWER = frozenset({SENT, DELIVERED, VIEWED})

# Who takes each step.
NOTIFY = "notify"  # reports what became of the letter (notification.sent)
PHYSICIAN = "physician"  # through the tokenised answer page
SCHEDULER = "scheduler"  # the beat sweep
STAFF = "staff"  # closes a referral by hand
REFERRAL_ENGINE = "referral_engine"  # a newer decision supersedes the referral

LETTER_QUEUED = "letter_queued"
LETTER_ACCEPTED = "letter_accepted"  # the physician's SMTP server accepted it
LETTER_NOT_SENT = "letter_not_sent"  # blocked (consent, contact, scope guard) or failed
PAGE_OPENED = "page_opened"
ANSWER_GIVEN = "answer_given"
REMINDERS_EXHAUSTED = "reminders_exhausted"
CLOSE = "close"
SUPERSEDE = "supersede"


@dataclass(frozen=True)
class Rule:
    actor: str
    to: str | None  # None: the step records something but moves nothing
    moves_from: frozenset[str]
    absorbed_in: frozenset[str]
    # A late report of something that did happen (the letter went out, the page was
    # opened): its time is recorded even when the status has moved past it.
    late_report: bool = False


def _rule(
    actor: str, to: str | None, moves: set[str], absorbed: set[str], late_report: bool = False
) -> Rule:
    return Rule(actor, to, frozenset(moves), frozenset(absorbed), late_report)


RULES: dict[str, Rule] = {
    LETTER_QUEUED: _rule(
        NOTIFY, SENT, {NEEDED}, {SENT, DELIVERED, VIEWED, OVERDUE, ANSWERED, CLOSED}, True
    ),
    LETTER_ACCEPTED: _rule(
        NOTIFY, DELIVERED, {NEEDED, SENT}, {DELIVERED, VIEWED, OVERDUE, ANSWERED, CLOSED}, True
    ),
    # REF-4: without consent or a contact the referral stays needed; the reason is kept.
    LETTER_NOT_SENT: _rule(NOTIFY, None, set(), set(STATUSES)),
    # A client may carry the letter (with its link) to the physician: needed -> viewed.
    PAGE_OPENED: _rule(PHYSICIAN, VIEWED, {NEEDED, SENT, DELIVERED}, {VIEWED, OVERDUE}, True),
    ANSWER_GIVEN: _rule(PHYSICIAN, ANSWERED, set(OPEN), set()),
    # The sweep may race an answer: then there is nothing left to flag.
    REMINDERS_EXHAUSTED: _rule(
        SCHEDULER, OVERDUE, set(AWAITING_ANSWER), {OVERDUE, ANSWERED, CLOSED}
    ),
    CLOSE: _rule(STAFF, CLOSED, set(OPEN) | {ANSWERED}, {CLOSED}),
    SUPERSEDE: _rule(REFERRAL_ENGINE, CLOSED, set(OPEN), {CLOSED}),
}


class TransitionRefused(ValueError):
    """The step is not allowed from this status, or not by this actor."""


@dataclass(frozen=True)
class Move:
    status: str  # the status after the step
    changed: bool  # the status moved
    stamp: str | None  # the timestamp column to fill when still empty


def apply(status: str, step: str, actor: str) -> Move:
    """Take ``step`` on a referral in ``status`` on behalf of ``actor``."""
    if status not in STATUSES:
        raise TransitionRefused(f"unknown status {status!r}")
    rule = RULES.get(step)
    if rule is None:
        raise TransitionRefused(f"unknown step {step!r}")
    if actor != rule.actor:
        raise TransitionRefused(f"{step} is taken by {rule.actor}, not {actor}")
    stamp = f"{rule.to}_at" if rule.to else None
    if status in rule.moves_from and rule.to is not None:
        return Move(rule.to, True, stamp)
    if status in rule.absorbed_in:
        return Move(status, False, stamp if rule.late_report else None)
    raise TransitionRefused(f"cannot {step.replace('_', ' ')}: the referral is {status}")


def is_open(status: str) -> bool:
    return status in OPEN


def steps_from(status: str) -> dict[str, str]:
    """The steps that move a referral out of ``status``, with the status each leads to."""
    return {
        step: rule.to
        for step, rule in RULES.items()
        if rule.to is not None and status in rule.moves_from
    }
