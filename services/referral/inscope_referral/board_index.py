"""The board's row of each client, kept up to date in the same transaction as the change.

The board sorts by urgency, then the longest waiting first, and filters by where the
client stands; at 100,000 clients that has to happen in SQL, on an index, not in Python
over every client. So the sort key and the filters are stored on ``client_cases``
(``board_status``, ``board_rank``, ``waiting_since``, ``decision_id``,
``referral_status``, ``needs_review``) and recomputed from ``inscope_clinical.journey`` whenever a
decision, a referral or an emergency action of the client is written: a session hook
(``install``) collects those clients at each flush and refreshes their rows once, just
before the transaction commits, whichever code path made the change (a caller that
reads the same inputs anyway, ``journeys.stage_status_changed``, stores the row from
them: ``stored_from``).

The journey's inputs are read here in batches (``load``): one query per table for a
whole board page, the same code for one client in the hook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, defer, sessionmaker

from inscope_clinical.journey import URGENCY_RANK, Journey, journey
from inscope_common.db import utcnow
from inscope_referral import lifecycle, rows
from inscope_referral.models import ClientCase, Decision, EmergencyAction, Referral

# Statuses whose urgency orders the board; every other status sorts after routine.
WAITING_ON_A_CLINICIAN = frozenset({"clearance_needed", "referred", "answer_to_verify"})
LAST_RANK = 3
_DIRTY = "inscope_board_dirty"
_DECIDED = "inscope_board_decided"


def rank_of(j: Journey) -> int:
    """0 emergency, 1 urgent, 2 routine (while a clinician is waited for), 3 the rest."""
    if j.status == "emergency":
        return 0
    if j.status in WAITING_ON_A_CLINICIAN:
        return max(1, URGENCY_RANK.get(j.urgency, LAST_RANK))
    return LAST_RANK


@dataclass
class Inputs:
    """What the journey of one client is computed from."""

    case: ClientCase
    decision: Decision | None
    referral: Referral | None  # the current referral to the decision's clinician
    latest_referral: Referral | None  # the newest of any kind (the board's filter)
    emergency: dict[str, Any] | None
    # Every referral of the client, as read (the status API lists them all).
    referrals: list[Referral] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        case: ClientCase,
        decision: Decision | None,
        referrals: list[Referral],
        actions: Iterable[EmergencyAction] = (),
    ) -> Inputs:
        """The inputs from the client's latest decision, all their referrals and the
        emergency actions on that decision, already read (``load`` reads them; a handler
        that has just written them all passes its own)."""
        return cls(
            case=case,
            decision=decision,
            referral=current_referral(case, decision, referrals),
            latest_referral=max(referrals, key=lambda r: (r.needed_at, r.id), default=None),
            emergency=emergency_state(list(actions)) if decision else None,
            referrals=referrals,
        )

    def decision_dict(self) -> dict[str, Any] | None:
        d = self.decision
        if d is None:
            return None
        return {
            "stage": d.stage,
            "outcome": d.outcome,
            "urgency": d.urgency,
            "target": d.target,
            "program_state": d.program_state,
            "reasons": d.reasons,
            "flags": d.flags,
            "program": d.program,
            "referrals": d.referrals,
            "intensity_cap": d.intensity_cap,
            "decided_at": d.decided_at,
        }

    def answer(self) -> dict[str, Any] | None:
        r = self.referral
        if r is None or r.answered_at is None or not r.answer:
            return None
        return {
            "answer": r.answer.get("answer"),
            "restrictions": r.answer.get("restrictions"),
            "answered_by": r.answer.get("answered_by"),
            "answered_at": r.answered_at.isoformat(),
            "verified": r.answer.get("verified", True),
        }

    def referral_input(self, recipient: str | None = None) -> dict[str, Any] | None:
        r = self.referral
        if r is None:
            return None
        return {"status": r.status, "since": r.sent_at or r.needed_at, "recipient": recipient,
                "problem": r.status_reason}

    def journey(
        self, emergency_number: str, recipient: str | None = None, today: dt.date | None = None
    ) -> Journey:
        return journey(
            self.decision_dict(),
            answer=self.answer(),
            referral=self.referral_input(recipient),
            emergency_number=emergency_number,
            today=today,
            emergency=self.emergency,
        )

    def waiting_since(self) -> dt.datetime:
        """Since when the client has stood where they stand: the decision, the
        clinician's answer or the emergency's resolution, whichever came last."""
        moments = [self.case.updated_at or utcnow()]
        if self.decision is not None:
            moments = [self.decision.decided_at]
            if self.referral is not None and self.referral.answered_at is not None:
                moments.append(self.referral.answered_at)
            if self.emergency and self.emergency.get("resolved_at"):
                moments.append(self.emergency["resolved_at"])
        return max(moments)


def latest_decision_ids(session: Session, client_ids: Iterable[str]) -> dict[str, str]:
    """Each client's latest decision (newest first; the id breaks a tie)."""
    ids = list(client_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Decision.client_id, Decision.id, Decision.decided_at).where(
            Decision.client_id.in_(ids), *_not_superseded()
        )
    ).all()
    best: dict[str, tuple[dt.datetime, str]] = {}
    for client_id, decision_id, at in rows:
        if client_id not in best or (at, decision_id) > best[client_id]:
            best[client_id] = (at, decision_id)
    return {client_id: decision_id for client_id, (_, decision_id) in best.items()}


def _not_superseded() -> list[Any]:
    # A corrected intake marks the decisions of older versions superseded (when the
    # column exists: it arrives with intake corrections).
    column = getattr(Decision, "superseded_at", None)
    return [] if column is None else [column.is_(None)]


def current_referral(
    case: ClientCase, decision: Decision | None, referrals: list[Referral]
) -> Referral | None:
    """The referral to the decision's clinician that is still current: the newest one
    that is open or was answered (one staff closed after the answer still carries it;
    a superseded one does not), opened on the intake version screened."""
    if decision is None or decision.target is None:
        return None
    since = getattr(case, "version_at", None)
    found = [
        r
        for r in referrals
        if r.target == decision.target
        and (r.status != lifecycle.CLOSED or r.answered_at is not None)
        and (since is None or r.needed_at >= since)
    ]
    return max(found, key=lambda r: (r.needed_at, r.id), default=None)


def emergency_state(actions: list[EmergencyAction]) -> dict[str, Any] | None:
    """What staff did about one decision's emergency (None: nothing yet)."""
    state: dict[str, Any] = {}
    for a in sorted(actions, key=lambda a: a.at):
        if a.action == "acknowledged" and "acknowledged_at" not in state:
            state.update(acknowledged_at=a.at, acknowledged_by=a.account_name,
                         acknowledged_role=a.role, acknowledged_note=a.note)
        if a.action == "resolved" and "resolved_at" not in state:
            state.update(resolved_at=a.at, resolved_by=a.account_name,
                         resolved_role=a.role, note=a.note)
    return state or None


def load(
    session: Session,
    cases: list[ClientCase],
    *,
    fresh: bool = False,
    lean: bool = False,
    decisions: dict[str, Decision] | None = None,
    lock: bool = False,
) -> list[Inputs]:
    """The journey inputs of ``cases``: one query per table for all of them. ``fresh``
    finds each latest decision again (the hook); otherwise the stored one is used.
    ``lean`` (the board's rows) leaves each referral's letter request and program
    unread: the journey does not use them and they are the biggest documents.
    ``decisions``: the stored latest decisions by id, already read with the cases
    (``read_stored``). ``lock``: the referrals are read ``FOR UPDATE`` (a handler that
    moves one of them)."""
    ids = [c.client_id for c in cases]
    if fresh:
        latest = latest_decision_ids(session, ids)
    else:
        latest = {c.client_id: c.decision_id for c in cases if c.decision_id}
    if decisions is None:
        decisions = {}
        if latest:
            decisions = {
                d.id: d
                for d in session.scalars(select(Decision).where(Decision.id.in_(latest.values())))
            }
    referrals: dict[str, list[Referral]] = {i: [] for i in ids}
    if ids:
        query = _LEAN_REFERRALS_OF if lean else _LOCKED_REFERRALS_OF if lock else _REFERRALS_OF
        for r in session.scalars(query, {"ids": ids}):
            referrals[r.client_id].append(r)
    actions: dict[str, list[EmergencyAction]] = {}
    emergency_ids = [i for i in latest.values() if decisions.get(i) and
                     decisions[i].urgency == "emergency"]
    if emergency_ids:
        for a in session.scalars(
            select(EmergencyAction).where(EmergencyAction.decision_id.in_(emergency_ids))
        ):
            actions.setdefault(a.decision_id, []).append(a)
    out = []
    for case in cases:
        decision = decisions.get(latest.get(case.client_id) or "")
        taken = actions.get(decision.id, []) if decision else []
        out.append(Inputs.of(case, decision, referrals[case.client_id], taken))
    return out


def read_stored(
    session: Session, client_ids: Iterable[str], *, lock: bool = False
) -> list[Inputs]:
    """The inputs as the clients' board rows stand: each case with the decision its row
    names in one query (a join), then the referrals (and an emergency's actions). For
    the status API, polled while a screening is pending, and a commit that wrote no
    decision (``refresh``)."""
    rows = session.execute(_CASES_AND_DECISIONS, {"ids": list(client_ids)}).all()
    known = {decision.id: decision for _case, decision in rows if decision is not None}
    return load(session, [case for case, _decision in rows], decisions=known, lock=lock)


def read_one(session: Session, client_id: str, *, lock: bool = False) -> Inputs | None:
    """One client's inputs as the board row stands (``read_stored``; ``lock``: the
    referrals ``FOR UPDATE``); None: no such client."""
    found = read_stored(session, [client_id], lock=lock)
    return found[0] if found else None


def read_plain(session: Session, client_id: str) -> Inputs | None:
    """``read_one`` for a reader that changes nothing and keeps nothing (the status API,
    followed while a decision is awaited): the same two queries (three with an
    emergency's actions) as Core statements, the case, decision and referrals as plain
    rows instead of ORM objects (issue 13: loading them was most of a full answer's
    reading). None: no such client."""
    connection = session.connection()
    found = connection.execute(_PLAIN_CASE_AND_DECISION, {"client_id": client_id}).first()
    if found is None:
        return None
    values = tuple(found)
    split = len(_CASE_KEYS)
    case = SimpleNamespace(**dict(zip(_CASE_KEYS, values[:split], strict=True)))
    decision = None
    if values[split + _DECISION_KEYS.index("id")] is not None:
        decision = SimpleNamespace(**dict(zip(_DECISION_KEYS, values[split:], strict=True)))
    referrals = connection.execute(_PLAIN_REFERRALS, {"client_id": client_id}).all()
    actions: list[Any] = []
    if decision is not None and decision.urgency == "emergency":
        actions = list(
            session.scalars(
                select(EmergencyAction).where(EmergencyAction.decision_id == decision.id)
            )
        )
    return Inputs.of(case, decision, list(referrals), actions)  # type: ignore[arg-type]


def read_for_step(session: Session, client_id: str) -> Inputs | None:
    """``read_one(lock=True)`` for a handler that moves one of the client's referrals
    and then stores the board row (a letter's fate, ``notification.sent``): the case's
    key, clocks and board columns and the decision it names as one plain row (Core, no
    ORM objects; the case's screening, consent and assessment documents left unread),
    the referrals as ORM objects ``FOR UPDATE`` without their letter request and
    program (the journey reads neither). Store the row with ``stored_plain``. None: no
    such client. (Issue 13: the read as ORM objects of every column was 0.54 ms of the
    event's 1.9 in process; this one 0.38.)"""
    found = session.connection().execute(_STEP_CASE_AND_DECISION, {"client_id": client_id})
    values = found.first()
    if values is None:
        return None
    split = len(_STEP_CASE_KEYS)
    case = SimpleNamespace(**dict(zip(_STEP_CASE_KEYS, values[:split], strict=True)))
    decision = None
    if values[split + _DECISION_KEYS.index("id")] is not None:
        decision = SimpleNamespace(**dict(zip(_DECISION_KEYS, values[split:], strict=True)))
    referrals = list(session.scalars(_LOCKED_LEAN_REFERRALS_OF, {"ids": [client_id]}))
    actions: list[Any] = []
    if decision is not None and decision.urgency == "emergency":
        actions = list(
            session.scalars(
                select(EmergencyAction).where(EmergencyAction.decision_id == decision.id)
            )
        )
    return Inputs.of(case, decision, referrals, actions)  # type: ignore[arg-type]


# Built once: the status API runs them at every poll, the board hook at every commit.
_CASES_AND_DECISIONS = (
    select(ClientCase, Decision)
    .outerjoin(Decision, Decision.id == ClientCase.decision_id)
    .where(ClientCase.client_id.in_(bindparam("ids", expanding=True)))
)
_REFERRALS_OF = select(Referral).where(Referral.client_id.in_(bindparam("ids", expanding=True)))
_LEAN_REFERRALS_OF = _REFERRALS_OF.options(defer(Referral.request), defer(Referral.program))
_LOCKED_REFERRALS_OF = _REFERRALS_OF.with_for_update()
_CASES, _DECISIONS = ClientCase.__table__, Decision.__table__
_CASE_KEYS = tuple(c.key for c in _CASES.c)
_DECISION_KEYS = tuple(c.key for c in _DECISIONS.c)
_PLAIN_CASE_AND_DECISION = (
    select(*_CASES.c, *_DECISIONS.c)
    .select_from(_CASES.outerjoin(_DECISIONS, _DECISIONS.c.id == _CASES.c.decision_id))
    .where(_CASES.c.client_id == bindparam("client_id"))
)
# read_for_step: the case's columns the journey and its board row read, with the
# decision the row names.
_BOARD_KEYS = ("board_status", "board_rank", "waiting_since", "decision_id", "referral_status",
               "needs_review")  # fmt: skip
_STEP_CASE_KEYS = ("client_id", "version_at", "updated_at", *_BOARD_KEYS)
_STEP_CASE_AND_DECISION = (
    select(*(_CASES.c[k] for k in _STEP_CASE_KEYS), *_DECISIONS.c)
    .select_from(_CASES.outerjoin(_DECISIONS, _DECISIONS.c.id == _CASES.c.decision_id))
    .where(_CASES.c.client_id == bindparam("client_id"))
)
_LOCKED_LEAN_REFERRALS_OF = _LEAN_REFERRALS_OF.with_for_update()
_PLAIN_REFERRALS = select(Referral.__table__).where(
    Referral.__table__.c.client_id == bindparam("client_id")
)


def board_row(inputs: Inputs, emergency_number: str) -> tuple[Journey, dict[str, Any]]:
    """The journey of ``inputs`` and the board columns of its case computed from it."""
    j = inputs.journey(emergency_number)
    return j, {
        "board_status": j.status,
        "board_rank": rank_of(j),
        "waiting_since": inputs.waiting_since(),
        "decision_id": inputs.decision.id if inputs.decision else None,
        "referral_status": inputs.latest_referral.status if inputs.latest_referral else None,
        "needs_review": bool(j.needs_review),
    }


def store(inputs: Inputs, emergency_number: str) -> Journey:
    """Write the board row of ``inputs.case`` from its journey inputs; returns the journey."""
    case = inputs.case
    j, values = board_row(inputs, emergency_number)
    for key, value in values.items():
        if getattr(case, key) != value:
            setattr(case, key, value)
    return j


def refresh(
    session: Session, client_ids: Iterable[str], emergency_number: str, *, fresh: bool = True
) -> None:
    """Recompute the stored board row of each client (in the caller's transaction).
    ``fresh=False``: no decision was written, so each row's stored latest decision holds
    (read with its case: ``read_stored``)."""
    ids = list(client_ids)
    if fresh:
        cases = list(session.scalars(select(ClientCase).where(ClientCase.client_id.in_(ids))))
        found = load(session, cases, fresh=True)
    else:
        found = read_stored(session, ids)
    for inputs in found:
        store(inputs, emergency_number)


def stored_from(
    session: Session,
    inputs: Inputs,
    emergency_number: str,
    new_rows: list[Any] = (),  # type: ignore[assignment]
) -> Journey:
    """The caller just read ``inputs`` (fresh, after a flush) for its own use, or holds
    them with its rows not yet flushed: store the board row from them, so the commit
    does not read and compute the same again. Flushed here, so that a case still to be
    written goes in with its board columns (one INSERT or UPDATE) and the hook's
    collection of this flush is dropped with the rest. The rows go in with Core
    statements (``inscope_referral.rows``, issue 13): ``new_rows``, the caller's rows
    created outside the session (a new case among them), inserted first, then what
    changed in the case and the referrals read; the flush writes whatever else the
    caller changed."""
    j = store(inputs, emergency_number)
    rows.insert(session, list(new_rows))
    rows.update(session, [inputs.case, *inputs.referrals])
    session.flush()
    session.info.get(_DIRTY, set()).discard(inputs.case.client_id)
    return j


def stored_plain(session: Session, inputs: Inputs, emergency_number: str) -> Journey:
    """``stored_from`` for inputs read by ``read_for_step`` (the case a plain row): the
    board columns that changed go in with one Core UPDATE of the case
    (``rows.update_case``),
    what changed in the referrals as ``rows.update`` writes it."""
    case = inputs.case
    j, values = board_row(inputs, emergency_number)
    changed = {key: value for key, value in values.items() if getattr(case, key) != value}
    if changed:
        rows.update_case(session, case.client_id, changed)
    rows.update(session, inputs.referrals)
    session.flush()
    session.info.get(_DIRTY, set()).discard(case.client_id)
    return j


def install(session_factory: sessionmaker, emergency_number: str) -> None:
    """Keep board rows current for every session the service opens: the clients whose
    decisions, referrals or emergency actions a flush wrote are refreshed once, when
    the transaction commits (one read of their inputs per transaction, not per flush)."""

    def collect(session: Session, _context: Any) -> None:
        dirty = session.info.setdefault(_DIRTY, set())
        for obj in (*session.new, *session.dirty):
            if isinstance(obj, Decision | Referral | EmergencyAction):
                dirty.add(obj.client_id)
                if isinstance(obj, Decision):
                    session.info[_DECIDED] = True

    def before_commit(session: Session) -> None:
        session.flush()  # what is still pending is collected first
        dirty = session.info.pop(_DIRTY, None)
        # Only a decision written moves a client's latest one; a referral or an emergency
        # action alone (a letter's fate, an answer) keeps the row's (issue 13: one query
        # fewer per notification.sent).
        decided = session.info.pop(_DECIDED, False)
        if dirty:
            refresh(session, dirty, emergency_number, fresh=decided)

    event.listen(session_factory, "after_flush", collect)
    event.listen(session_factory, "before_commit", before_commit)
