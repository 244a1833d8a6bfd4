"""Seed the intake and referral databases with many clients for ``make bench-scale``.

Rows are written through each service's own models (SQLAlchemy bulk inserts, a chunk at
a time, never all in memory): a client and their intake in the intake database; the
case, the screening decision and, when it calls for one, the referral in the referral
database.  The decisions are the clinical engine's own (``inscope_clinical.decide`` on a
handful of intake variants, weighted like a busy gym), the referral's letter request is
built by the code the referral service uses, and the board's stored row of each client
is computed by ``inscope_referral.board_index`` (as the service's hook does on every
change) and written with the case.  Clocks are in a steady state: every reminder and
progress report due before "now" has been sent, so a sweep at the next beat tick finds
what a real one would.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker

from inscope_clinical import decide
from inscope_clinical.letters.request import build_request
from inscope_common.db import new_id
from inscope_intake.models import Client, Intake, name_key
from inscope_referral import board_index, lifecycle
from inscope_referral.models import ClientCase, Decision, Referral
from inscope_referral.referrals import REFERRING_OUTCOMES
from inscope_referral.tokens import new_nonce

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "intake.json"
PRIVATE_SECTIONS = ("physician", "consent")  # what the intake keeps from the bus
CHUNK = 2000
DAY = dt.timedelta(days=1)

# (name, share of clients, change to the example intake)
VARIANTS: tuple[tuple[str, float, Callable[[dict[str, Any]], None]], ...] = (
    ("in scope", 0.50, lambda s: None),
    ("known CV disease", 0.05, lambda s: s["acsm"].update(known_cv_disease=True)),
    ("PAR-Q+ yes, follow-ups missing", 0.05, lambda s: s["parq"]["general"].update(g1=True)),
    ("pregnant: routine clearance", 0.12, lambda s: s["parq"]["delay"].update(pregnant=True)),
    (
        "chest discomfort: urgent clearance",
        0.08,
        lambda s: s["acsm"]["signs_symptoms"].update(ischaemic_discomfort=True),
    ),
    (
        "knee pain: physical therapist",
        0.15,
        lambda s: s.update(pain=[{"region": "knee", "side": "right", "nprs_rest": 0,
                                  "nprs_activity": 3, "night_pain": False}]),
    ),  # fmt: skip
    (
        "night pain: urgent physician",
        0.04,
        lambda s: s.update(pain=[{"region": "knee", "side": "right", "nprs_rest": 5,
                                  "nprs_activity": 8, "night_pain": True}]),
    ),  # fmt: skip
    ("chest pain now: emergency", 0.01, lambda s: s.update(red_flags={"chest_pain_now": True})),
)
# Where a referral stands, by share (answers: cleared, with restrictions, not cleared).
REFERRAL_STATUSES = (
    (lifecycle.NEEDED, 0.08),
    (lifecycle.SENT, 0.12),
    (lifecycle.DELIVERED, 0.20),
    (lifecycle.VIEWED, 0.08),
    (lifecycle.OVERDUE, 0.10),
    (lifecycle.ANSWERED, 0.32),
    (lifecycle.CLOSED, 0.10),
)
ANSWERS = ("cleared", "cleared", "cleared_with_restrictions", "not_cleared")
SYLLABLES = (
    "an", "ba", "bel", "ca", "da", "del", "do", "el", "fa", "ga", "ha", "in", "jo", "ka",
    "la", "li", "lo", "ma", "mi", "mo", "na", "ni", "no", "ol", "pa", "ra", "ri", "ro",
    "sa", "se", "so", "ta", "te", "to", "va", "vi", "wen", "ya", "za", "zo",
)  # fmt: skip
REAL_NAMES = ("Rivera", "José", "Zoë", "Nguyễn", "O'Brien", "Müller", "Kowalski", "Shah")


@dataclass(frozen=True)
class Template:
    name: str
    weight: float
    intake: dict[str, Any]  # the whole document, as the intake API accepts it
    screening: dict[str, Any]  # what the referral service receives
    result: dict[str, Any]  # the engine's decision


@dataclass
class Settings:
    reminder_days: float = 7.0
    max_reminders: int = 2
    progress_weeks: float = 12.0
    emergency_number: str = "911"


@functools.cache
def templates() -> tuple[Template, ...]:
    """The engine's decision on each variant (computed once per process)."""
    document = json.loads(EXAMPLE.read_text())["intake"]
    out = []
    for name, weight, change in VARIANTS:
        intake = copy.deepcopy(document)
        change(intake)
        screening = {k: v for k, v in intake.items() if k not in PRIVATE_SECTIONS}
        result = json.loads(json.dumps(decide(screening, age_years=38), default=str))
        out.append(Template(name, weight, intake, screening, result))
    return tuple(out)


def names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct made-up names of two or three syllables, and a few real ones."""
    found: set[str] = set(REAL_NAMES)
    while len(found) < count:
        found.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3)))).title())
    return sorted(found)


def by_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` ordered by the columns they have a value for. An ORM bulk INSERT leaves a
    None out and sends one statement per run of rows with the same columns, so rows of
    mixed shapes in random order went a few at a time (on PostgreSQL about one INSERT
    per decision and per referral: most of the seeding time)."""
    return sorted(rows, key=lambda r: sorted(k for k, v in r.items() if v is not None))


class Seeder:
    """Writes ``clients`` clients, ``CHUNK`` at a time, into both databases."""

    def __init__(
        self,
        intake: sessionmaker,
        referral: sessionmaker,
        now: dt.datetime,
        seed: int = 13,
        settings: Settings | None = None,
    ) -> None:
        self.intake, self.referral = intake, referral
        self.now = now
        self.rng = random.Random(seed)
        self.settings = settings or Settings()
        self.templates = templates()
        self.firsts = names(self.rng, 600)
        self.lasts = names(self.rng, 2000)
        self.counts: dict[str, int] = {"clients": 0, "decisions": 0, "referrals": 0}

    def seed(self, clients: int, say: Callable[[str], None] = print) -> dict[str, int]:
        for start in range(0, clients, CHUNK):
            self._chunk(min(CHUNK, clients - start))
            if (start // CHUNK) % 10 == 9:
                say(f"seeded {start + CHUNK:,} clients")
        return self.counts

    def _chunk(self, size: int) -> None:
        clients, intakes, cases, decisions, referrals = [], [], [], [], []
        weights = [t.weight for t in self.templates]
        for template in self.rng.choices(self.templates, weights, k=size):
            client_id, intake_id = new_id(), new_id()
            first, last = self.rng.choice(self.firsts), self.rng.choice(self.lasts)
            submitted = self.now - self.rng.uniform(1, 360) * DAY
            clients.append(self._client(client_id, first, last, submitted))
            intakes.append({"id": intake_id, "client_id": client_id,
                            "document": template.intake, "submitted_at": submitted})  # fmt: skip
            case = self._case(client_id, intake_id, template, submitted)
            decision = self._decision(client_id, intake_id, template, submitted)
            referral = None
            if template.result["outcome"] in REFERRING_OUTCOMES:
                referral = self._referral(decision, template)
                referrals.append(referral)
            cases.append(case | self._board_row(case, decision, referral))
            decisions.append(decision)
        with self.intake() as session, session.begin():
            session.execute(insert(Client), clients)
            session.execute(insert(Intake), intakes)
        with self.referral() as session, session.begin():
            session.execute(insert(ClientCase), by_columns(cases))
            session.execute(insert(Decision), by_columns(decisions))
            if referrals:
                session.execute(insert(Referral), by_columns(referrals))
        self.counts["clients"] += size
        self.counts["decisions"] += len(decisions)
        self.counts["referrals"] += len(referrals)

    def _board_row(
        self, case: dict[str, Any], decision: dict[str, Any], referral: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The client's board columns, by the service's own code (``board_index``: the
        inputs, the journey, the row) from the rows about to be written, as a handler
        that has just written them passes its own; written with the case, so the
        database is not read back and updated row by row (one statement per client).
        No emergency action exists yet."""
        mine = [Referral(**referral)] if referral else []
        inputs = board_index.Inputs.of(ClientCase(**case), Decision(**decision), mine)
        return board_index.board_row(inputs, self.settings.emergency_number)[1]

    def _client(self, client_id: str, first: str, last: str, at: dt.datetime) -> dict[str, Any]:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=self.rng.randrange(20000))
        return {"id": client_id, "first_name": first, "last_name": last,
                "first_key": name_key(first), "last_key": name_key(last),
                "date_of_birth": born, "email": f"{client_id}@example.test",
                "created_at": at}  # fmt: skip

    @staticmethod
    def _case(
        client_id: str, intake_id: str, template: Template, at: dt.datetime
    ) -> dict[str, Any]:
        return {"client_id": client_id, "intake_id": intake_id,
                "screening": template.screening, "age_years": 38,
                "consent": {"assessment": True, "share_with_physician": True, "email": True},
                "has_physician_contact": True, "intake_version": 1, "version_at": at,
                "updated_at": at, "waiting_since": at}  # fmt: skip

    @staticmethod
    def _decision(
        client_id: str, intake_id: str, template: Template, at: dt.datetime
    ) -> dict[str, Any]:
        r = template.result
        return {"id": new_id(), "client_id": client_id, "intake_id": intake_id,
                "stage": "screening", "outcome": r["outcome"], "urgency": r["urgency"],
                "target": r.get("target"), "program_state": r.get("program_state"),
                "reasons": r["reasons"], "flags": r.get("flags", []),
                "program": r.get("program"), "referrals": r.get("referrals", []),
                "intensity_cap": r.get("intensity_cap"),
                "engine_version": r.get("engine_version"), "published": True,
                "decided_at": at + dt.timedelta(seconds=2), "intake_version": 1}  # fmt: skip

    def _referral(self, decision: dict[str, Any], template: Template) -> dict[str, Any]:
        desired = template.screening["acsm"].get("desired_intensity")
        status = self.rng.choices(*zip(*REFERRAL_STATUSES, strict=True))[0]
        row = {"id": new_id(), "client_id": decision["client_id"],
               "intake_id": decision["intake_id"], "decision_id": decision["id"],
               "correlation_id": new_id(), "outcome": decision["outcome"],
               "target": decision["target"], "urgency": decision["urgency"],
               "request": build_request(template.result, desired), "status": status,
               "token_nonce": new_nonce(), "reminders_sent": 0,
               "needed_at": decision["decided_at"]}  # fmt: skip
        row.update(self._clocks(status, decision["decided_at"]))
        return row

    def _clocks(self, status: str, needed: dt.datetime) -> dict[str, Any]:
        """Timestamps and reminder counts as if every sweep before now had run."""
        s, every = self.settings, dt.timedelta(days=self.settings.reminder_days)
        if status == lifecycle.NEEDED:
            return {}
        if status in lifecycle.AWAITING_ANSWER:
            # Still awaited: sent within the reminders' span, reminded on schedule.
            out = self.now - self.rng.uniform(0, (s.max_reminders + 1) * s.reminder_days) * DAY
            sent = min(int((self.now - out) / every), s.max_reminders)
            return {"sent_at": out, "delivered_at": None if status == lifecycle.SENT else out,
                    "viewed_at": out + DAY if status == lifecycle.VIEWED else None,
                    "reminders_sent": sent,
                    "last_reminder_at": out + sent * every if sent else None,
                    "needed_at": min(needed, out)}  # fmt: skip
        out = needed + dt.timedelta(minutes=1)
        times: dict[str, Any] = {"sent_at": out, "delivered_at": out}
        if status == lifecycle.OVERDUE:
            at = out + (s.max_reminders + 1) * every
            return times | {"reminders_sent": s.max_reminders, "overdue_at": at,
                            "last_reminder_at": out + s.max_reminders * every}  # fmt: skip
        answered = min(out + self.rng.uniform(1, 20) * DAY, self.now - DAY)
        answer = {"answer": self.rng.choice(ANSWERS), "answered_by": "Dr. Seed",
                  "restrictions": None, "verified": True}  # fmt: skip
        times |= {"answered_at": answered, "answer": answer}
        if status == lifecycle.CLOSED:
            return times | {"closed_at": answered + DAY, "closed_reason": "seeded"}
        period = dt.timedelta(weeks=s.progress_weeks)
        reports = int((self.now - answered) / period) if answered < self.now else 0
        return times | {"last_progress_at": answered + reports * period if reports else None}

