"""The client board: every client and where they stand, most urgent first, a page at a
time, in the words of ``inscope_clinical.journey``.

The order (urgency rank, then the longest waiting first, then the client id) and the
filters are columns of ``client_cases`` kept by :mod:`inscope_referral.board_index`, so
a page is one indexed query with a keyset cursor whatever the number of clients; the
journey of the rows shown is then computed from their inputs, loaded in one query per
table. A name search is answered by the intake service (names live there) as client
ids, and applied here in SQL to every client, never to the page already loaded.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select, true, tuple_
from sqlalchemy.orm import defer
from sqlalchemy.sql import Select

from inscope_clinical.journey import STATUS_LABELS, Text
from inscope_common.audit import Actor, add_entry, record_view
from inscope_common.db import UTCDateTime, utcnow
from inscope_common.outbox import staged_event_ids
from inscope_common.runtime import Runtime
from inscope_common.web import N_
from inscope_referral import board_index, journeys, service
from inscope_referral.models import AuditEntry, ClientCase, Decision, EmergencyAction

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# The emergency banner lists every open emergency, up to this many.
MAX_BANNER = 50
MAX_NOTE = 1000

CLIENT_STATUS_WORDS = dict(STATUS_LABELS)
# In the staff catalog (N_: the board translates them where it shows them).
REFERRAL_STATUS_WORDS = {
    "needed": N_("Needed"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "viewed": N_("Viewed"),
    "overdue": N_("Overdue"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
}
# The badge's colour class, by its label.
BADGE_CLASS = {
    "Emergency": "emergency",
    "Urgent": "urgent",
    "Routine": "routine",
    "Cleared": "cleared",
    "Cleared with limits": "limits",
    "Do not train": "hold",
    "Screening": "pending",
}


def emergency_number(rt: Runtime) -> str:
    return getattr(rt.settings, "emergency_number", "911")


# --- the cursor -------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in the board's order: rank, waiting since, client id."""

    rank: int
    since: dt.datetime
    client_id: str

    def encode(self) -> str:
        raw = json.dumps([self.rank, self.since.isoformat(), self.client_id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """None for anything that is not a cursor we made (the page starts over)."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            rank, since, client_id = json.loads(raw)
            at = dt.datetime.fromisoformat(since)
            if not isinstance(rank, int) or not isinstance(client_id, str) or at.tzinfo is None:
                return None
            return cls(rank, at, client_id)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            return None

    @classmethod
    def of(cls, case: ClientCase) -> Cursor:
        return cls(case.board_rank, case.waiting_since, case.client_id)


ORDER = (ClientCase.board_rank, ClientCase.waiting_since, ClientCase.client_id)
# "= true", not "IS TRUE": PostgreSQL uses an index only for the former (IS TRUE scanned
# every client on each board view, 150 ms at 100,000; make bench-scale).
NEEDS_REVIEW = ClientCase.needs_review == true()
# A board row needs the stored board columns, not the case's answers: leaving these
# JSON documents unread halves the cost of a page (each is kilobytes to decode).
BOARD_COLUMNS_ONLY = tuple(
    defer(c) for c in (ClientCase.screening, ClientCase.consent, ClientCase.assessment,
                       ClientCase.scoring)
)  # fmt: skip


def _position(cursor: Cursor) -> Any:
    return tuple_(
        literal(cursor.rank),
        literal(cursor.since, type_=UTCDateTime()),
        literal(cursor.client_id),
    )


@dataclass
class Query:
    status: str = ""
    referral: str = ""
    client_ids: list[str] | None = None  # a name search's matches; None: everyone
    review: bool = False  # only clients with flags to confirm or dismiss (DEC-2/DEC-3)

    def where(self, stmt: Select[Any]) -> Select[Any]:
        if self.review:
            stmt = stmt.where(NEEDS_REVIEW)
        if self.status:
            stmt = stmt.where(ClientCase.board_status == self.status)
        if self.referral:
            stmt = stmt.where(ClientCase.referral_status == self.referral)
        if self.client_ids is not None:
            stmt = stmt.where(ClientCase.client_id.in_(self.client_ids))
        return stmt


@dataclass
class Page:
    rows: list[dict[str, Any]]
    previous: str | None  # cursor of the page before (None: this is the first)
    next: str | None  # cursor of the page after (None: this is the last)
    total: int | None  # the matches of a name search (None: not counted)
    counts: dict[str, int]  # per status, for a name search


def board_page(
    rt: Runtime,
    query: Query,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
    today: dt.date | None = None,
) -> Page:
    """One page of the board in urgency order, after (or before) a cursor."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    with rt.session_factory() as session:
        stmt = query.where(select(ClientCase).options(*BOARD_COLUMNS_ONLY))
        if before is not None:
            stmt = stmt.where(tuple_(*ORDER) < _position(before))
            stmt = stmt.order_by(*(c.desc() for c in ORDER))
        else:
            if after is not None:
                stmt = stmt.where(tuple_(*ORDER) > _position(after))
            stmt = stmt.order_by(*ORDER)
        cases = list(session.scalars(stmt.limit(size + 1)))
        more = len(cases) > size
        cases = cases[:size]
        if before is not None:
            cases.reverse()
        inputs = board_index.load(session, cases, lean=True)
        rows = [_row(i, emergency_number(rt), today) for i in inputs]
        counts: dict[str, int] = {}
        if query.client_ids is not None:
            # A name search's matches (at most the intake's cap) are counted per status;
            # counting every client on each page view would cost a scan of them all.
            counts = dict(
                session.execute(
                    Query(referral=query.referral, client_ids=query.client_ids,
                          review=query.review)
                    .where(select(ClientCase.board_status, func.count()))
                    .group_by(ClientCase.board_status)
                ).all()
            )
    total = None
    if query.client_ids is not None:
        total = counts.get(query.status, 0) if query.status else sum(counts.values())
    first, last = (Cursor.of(cases[0]), Cursor.of(cases[-1])) if cases else (None, None)
    if before is not None:
        has_previous, has_next = more, True
    else:
        has_previous, has_next = after is not None, more
    return Page(
        rows=rows,
        previous=first.encode() if first and has_previous else None,
        next=last.encode() if last and has_next else None,
        total=total,
        counts=counts,
    )


def _row(inputs: board_index.Inputs, number: str, today: dt.date | None) -> dict[str, Any]:
    case = inputs.case
    j = inputs.journey(number, today=today)
    return {
        "client_id": case.client_id,
        "intake_id": case.intake_id,
        "status": case.board_status,
        "journey": j,
        "badge_class": BADGE_CLASS.get(j.badge, "pending"),
        "emergency": j.status == "emergency",
        "emergency_state": inputs.emergency,
        "referral_status": case.referral_status,
        "target": inputs.decision.target if inputs.decision else None,
        "waiting_since": case.waiting_since,
        "inputs": inputs,
    }


def with_recipients(
    rows: list[dict[str, Any]], names: dict[str, dict[str, Any]], number: str, today: dt.date
) -> None:
    """Name the physician in "Waiting for Dr ..." where the intake named one (the
    intake service's names call carries it; this service keeps no names)."""
    for row in rows:
        inputs: board_index.Inputs = row["inputs"]
        physician = (names.get(row["client_id"]) or {}).get("physician")
        if physician and inputs.decision is not None and inputs.decision.target == "physician":
            row["journey"] = inputs.journey(number, recipient=physician, today=today)


def open_emergencies(rt: Runtime, client_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Every client whose emergency is not resolved (acknowledged or not), oldest
    first: the banner shows them whatever page or search is on screen. It shows who and
    whether someone acknowledged, so only the emergency actions of the stored decisions
    are read: no journey, decision or referral (up to 50 of each on every board view)."""
    with rt.session_factory() as session:
        stmt = select(ClientCase.client_id, ClientCase.decision_id).where(
            ClientCase.board_status == "emergency"
        )
        if client_ids is not None:
            stmt = stmt.where(ClientCase.client_id.in_(client_ids))
        cases = session.execute(stmt.order_by(*ORDER).limit(MAX_BANNER)).all()
        actions: dict[str, list[EmergencyAction]] = {}
        decision_ids = [c.decision_id for c in cases if c.decision_id]
        if decision_ids:
            for a in session.scalars(
                select(EmergencyAction).where(EmergencyAction.decision_id.in_(decision_ids))
            ):
                actions.setdefault(a.decision_id, []).append(a)
        return [
            {"client_id": c.client_id,
             "emergency_state": board_index.emergency_state(actions.get(c.decision_id, []))}
            for c in cases
        ]  # fmt: skip


# --- emergencies: acknowledge, resolve --------------------------------------------


class EmergencyProblem(ValueError):
    """Why an emergency action cannot be done: ``str()`` the English, ``text`` the same
    as a msgid and values (the page says it in its language), ``status`` the HTTP code."""

    def __init__(self, message: Text, status: int) -> None:
        super().__init__(str(message))
        self.text = message
        self.status = status


def act_on_emergency(
    rt: Runtime, client_id: str, action: str, note: str, actor: Actor
) -> EmergencyAction:
    """Staff acknowledge (note optional) or resolve (note required) the emergency of the
    client's latest decision; recorded with who and when, and audited. Resolving never
    unlocks training: the journey then waits for a physician's clearance."""
    note = note.strip()
    if action not in ("acknowledged", "resolved"):
        raise EmergencyProblem(Text(N_("unknown action %(action)s"), action=repr(action)), 404)
    if action == "resolved" and not note:
        raise EmergencyProblem(
            Text(N_("Say what was done (a note is required to resolve).")), 422)
    if len(note) > MAX_NOTE:
        raise EmergencyProblem(Text(N_("The note is longer than %(max)s characters."),
                                    max=str(MAX_NOTE)), 422)
    with rt.session_factory() as session:
        with session.begin():
            case = session.get(ClientCase, client_id, with_for_update=True)
            if case is None:
                raise EmergencyProblem(Text(N_("no such client")), 404)
            decision_id = board_index.latest_decision_ids(session, [client_id]).get(client_id)
            decision = session.get(Decision, decision_id) if decision_id else None
            if decision is None or decision.urgency != "emergency":
                raise EmergencyProblem(Text(N_("This client has no emergency to act on.")), 409)
            done = {
                a.action
                for a in session.scalars(
                    select(EmergencyAction).where(EmergencyAction.decision_id == decision.id)
                )
            }
            if "resolved" in done:
                raise EmergencyProblem(Text(N_("This emergency is already resolved.")), 409)
            if action in done:
                raise EmergencyProblem(Text(N_("This emergency is already acknowledged.")), 409)
            row = EmergencyAction(
                client_id=client_id,
                decision_id=decision.id,
                action=action,
                note=note or None,
                account_id=actor.account_id,
                account_name=actor.name,
                role=actor.role,
                at=utcnow(),
            )
            session.add(row)
            session.flush()
            add_entry(session, AuditEntry, actor, "update", "emergency", row.id, client_id)
            # Resolving moves the client (to an urgent physician clearance): tell intake and
            # assessment, as for any change of where the client stands.
            journeys.stage_status_changed(
                session, client_id, rt.settings.emergency_number, at=row.at
            )
        staged = staged_event_ids(session)
    rt.relay.publish_now(staged)
    return row


def client_detail(rt: Runtime, client_id: str, actor: Actor) -> dict[str, Any] | None:
    """A client's status, decision, referrals and journey; the view is audited."""
    status = service.status_of(rt, client_id, with_inputs=True)
    if status is None:
        return None
    record_view(rt.session_factory, AuditEntry, actor, "client", client_id, client_id)
    return status


def review_count(rt: Runtime) -> int:
    """How many clients have flags to confirm or dismiss (on the board's index)."""
    with rt.session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(ClientCase).where(NEEDS_REVIEW)
        ) or 0
