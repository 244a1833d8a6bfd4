"""Clients through the suite: intake, screening, assessment, and the emails that follow.

Each benchmark client gets its own addresses (``client-<n>@bench.example`` and
``physician-<n>@bench.example``) so every email the sink accepts maps back to one client.
The assessment has pain on a clearing test, so the decision is a referral and, with the
client's consent, two emails go out: one to the client and one to the physician.
"""

from __future__ import annotations

import copy
import json
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.smtp_sink import Accepted
from bench.suite import Suite, http

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DOMAIN = "bench.example"
EMAILS_PER_CLIENT = 2
_ADDRESS = re.compile(rf"^(client|physician)-(\d+)@{re.escape(DOMAIN)}$")


def load_example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


@dataclass
class Documents:
    intake: dict[str, Any]
    assessment: dict[str, Any]

    @classmethod
    def load(cls) -> Documents:
        return cls(load_example("intake.json"), load_example("assessment-pain.json"))

    def intake_for(self, n: int) -> dict[str, Any]:
        body = copy.deepcopy(self.intake)
        body["client"]["email"] = f"client-{n}@{DOMAIN}"
        body["intake"]["physician"]["email"] = f"physician-{n}@{DOMAIN}"
        return body


@dataclass
class ClientRun:
    n: int
    phase: str
    intake_post_at: float | None = None
    screened_at: float | None = None
    assessment_post_at: float | None = None  # monotonic, just before the POST
    assessment_post_wall: float | None = None  # time.time() at the same moment
    assessment_answered_at: float | None = None
    client_id: str | None = None
    intake_id: str | None = None
    assessment_id: str | None = None
    error: str | None = None
    status_polls: int = 0  # status GETs and assessment POSTs asked again
    status_requests: int = 0  # GET /clients/<id>/status, for the screening and decision
    status_etag: str | None = None  # the status's version last seen
    decision_seen_wall: float | None = None  # time.time() the decision was first read
    decision_requests: int = 0  # of status_requests, those after the assessment POST
    emails: list[Accepted] = field(default_factory=list)

    @property
    def posted(self) -> bool:
        return self.assessment_answered_at is not None and self.error is None

    @property
    def last_email_at(self) -> float | None:
        return max((m.at for m in self.emails), default=None)

    @property
    def latency(self) -> float | None:
        """Assessment POST to the last email accepted, once both emails are in."""
        if not self.posted or len(self.emails) < EMAILS_PER_CLIENT:
            return None
        return self.last_email_at - self.assessment_post_at


class Driver:
    """Drives clients through one running suite; thread-safe.

    The wait for screening follows ``GET /clients/<id>/status`` as the trainer's client
    page does (``client.js``): with the version it last saw in If-None-Match and
    ``?wait=``, so the referral service answers when the client's status changes (304
    while it does not, at once when it has no room to hold the request). An answer back
    early without news is asked again after 20 ms, then 1.5 times longer each time up to
    200 ms. ``follow_decisions`` (the paced runs): after the assessment POST, the same
    until the assessment's decision is read: POST -> decision seen, as a page sees it.
    """

    def __init__(
        self,
        suite: Suite,
        documents: Documents,
        status_timeout: float = 60.0,
        poll_start: float = 0.02,
        poll_max: float = 0.2,
        wait: float = 10.0,
    ) -> None:
        self.suite = suite
        self.documents = documents
        self.status_timeout = status_timeout
        self.poll_start = poll_start
        self.poll_max = poll_max
        self.wait = wait
        self.follow_decisions = False
        self._next = 0
        self._lock = threading.Lock()
        self.runs: list[ClientRun] = []

    def new_client(self, phase: str) -> ClientRun:
        with self._lock:
            self._next += 1
            run = ClientRun(self._next, phase)
            self.runs.append(run)
            return run

    def drive(self, run: ClientRun) -> ClientRun:
        """Intake, wait for awaiting_assessment, assessment. Errors are kept, not raised."""
        try:
            self._drive(run)
        except Exception as exc:  # a measurement: record it, report it, go on
            run.error = f"{type(exc).__name__}: {exc}"
        return run

    def _drive(self, run: ClientRun) -> None:
        suite = self.suite
        run.intake_post_at = time.monotonic()
        status, created = http(
            "POST", suite.url("intake", "/intakes"), self.documents.intake_for(run.n)
        )
        if status != 201:
            raise RuntimeError(f"POST /intakes answered {status}: {created}")
        run.client_id, run.intake_id = created["client_id"], created["id"]
        self._wait_screened(run)
        run.screened_at = time.monotonic()
        body = {
            "intake_id": run.intake_id,
            "client_id": run.client_id,
            "assessment": self.documents.assessment,
        }
        run.assessment_post_wall = time.time()
        run.assessment_post_at = time.monotonic()
        status, recorded = http("POST", suite.url("assessment", "/assessments"), body)
        # The assessment service gates on the referral's status event (DEC-6): until it
        # arrives it answers 409 "screening pending", or 503 when it could not ask the
        # intake service (its look-up timed out under load); ask again, as a trainer
        # would (the bench sees the referral's commit at once, through the held status
        # request, while the event is still on its way).
        deadline = time.monotonic() + self.status_timeout
        while (
            (status == 409 and recorded.get("client_status") == "screening_pending"
             or status == 503)
            and time.monotonic() < deadline
        ):
            run.status_polls += 1
            time.sleep(self.poll_start)
            run.assessment_post_wall = time.time()
            run.assessment_post_at = time.monotonic()
            status, recorded = http("POST", suite.url("assessment", "/assessments"), body)
        run.assessment_answered_at = time.monotonic()
        if status != 202:
            raise RuntimeError(f"POST /assessments answered {status}: {recorded}")
        run.assessment_id = recorded["id"]
        if self.follow_decisions:
            before = run.status_requests
            self._follow(run, "the assessment's decision", self._decided(run.assessment_id))
            run.decision_seen_wall = time.time()
            run.decision_requests = run.status_requests - before

    def _wait_screened(self, run: ClientRun) -> None:
        self._follow(run, "awaiting assessment", _screened)

    @staticmethod
    def _decided(assessment_id: str | None) -> Any:
        def seen(body: dict[str, Any]) -> bool:
            return ((body.get("decision") or {}).get("assessment_id")) == assessment_id

        return seen

    def _follow(self, run: ClientRun, what: str, done: Any) -> None:
        """Follow the client's status (as client.js does) until ``done(body)``."""
        url = self.suite.url("referral", f"/clients/{run.client_id}/status?wait={self.wait:g}")
        deadline = time.monotonic() + self.status_timeout
        pause = self.poll_start
        last: Any = None
        while time.monotonic() < deadline:
            asked = time.monotonic()
            got: dict[str, str] = {}
            held = {"If-None-Match": run.status_etag} if run.status_etag else {}
            status, body = http("GET", url, headers=held, response_headers=got,
                                timeout=self.wait + 10)
            run.status_polls += 1
            run.status_requests += 1
            run.status_etag = got.get("ETag") or run.status_etag  # a 404 carries one too
            if status == 200:
                last = body
                if done(body):
                    return
                continue  # news, not the one awaited: ask again at once
            if status not in (304, 404):
                raise RuntimeError(f"GET status answered {status}: {body}")
            if time.monotonic() - asked < self.wait / 2 and (held or not run.status_etag):
                # Answered early without news: the service had no room to hold it.
                time.sleep(pause)
                pause = min(pause * 1.5, self.poll_max)
        raise TimeoutError(
            f"client {run.n}: not {what} after {self.status_timeout:.0f}s (last: {last})"
        )

    def diagnose(self, run: ClientRun) -> dict[str, Any]:
        """What the services say about a client whose emails did not all arrive."""
        found: dict[str, Any] = {"n": run.n, "phase": run.phase, "client_id": run.client_id}
        if run.client_id is None:
            return found
        for name, service, path in (
            ("status", "referral", f"/clients/{run.client_id}/status"),
            ("deliveries", "notify", f"/deliveries?client={run.client_id}"),
        ):
            try:
                found[name] = http("GET", self.suite.url(service, path))
            except OSError as exc:
                found[name] = f"{type(exc).__name__}: {exc}"
        if run.assessment_id:
            try:
                _, assessment = http(
                    "GET", self.suite.url("assessment", f"/assessments/{run.assessment_id}")
                )
                found["assessment_status"] = (
                    assessment.get("status") if isinstance(assessment, dict) else assessment
                )
            except OSError as exc:
                found["assessment_status"] = f"{type(exc).__name__}: {exc}"
        return found

    # ------------------------------------------------------------------ phases

    def burst(self, clients: int, threads: int) -> list[ClientRun]:
        """All clients at once, ``threads`` in flight."""
        runs = [self.new_client("burst") for _ in range(clients)]
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-burst") as pool:
            list(pool.map(self.drive, runs))
        return runs

    def paced(self, rate: float, seconds: float, threads: int) -> list[ClientRun]:
        """One client every 1/rate seconds for ``seconds``: open loop, arrivals do not
        wait for earlier clients, as long as 4 s of arrivals fit in the threads."""
        count = max(1, round(rate * seconds))
        runs = [self.new_client("paced") for _ in range(count)]
        # Following the decision too, each client holds its thread about twice as long.
        threads = max(threads, math.ceil((8 if self.follow_decisions else 4) * rate))
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-paced") as pool:
            started = time.monotonic()
            futures = []
            for i, run in enumerate(runs):
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(self.drive, run))
            for future in futures:
                future.result()
        return runs


def _screened(body: dict[str, Any]) -> bool:
    if body.get("status") == "awaiting_assessment":
        return True
    if body.get("status") not in (None, "screening_pending"):
        raise RuntimeError(f"screening ended in {body.get('status')!r}, not awaiting")
    return False


def client_of(address: str) -> int | None:
    match = _ADDRESS.match(address)
    return int(match.group(2)) if match else None


@dataclass
class MailCheck:
    lost: list[int]
    duplicated: list[dict[str, Any]]
    unexpected: list[dict[str, Any]]
    duplicate_message_ids: list[str]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.duplicate_message_ids)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lost_clients": self.lost,
            "duplicated": self.duplicated,
            "unexpected": self.unexpected,
            "duplicate_message_ids": self.duplicate_message_ids,
        }


def expected_addresses(n: int) -> set[str]:
    return {f"client-{n}@{DOMAIN}", f"physician-{n}@{DOMAIN}"}


def all_emails_in(runs: Iterable[ClientRun], messages: list[Accepted]) -> bool:
    """Has every posted client got every email?  (A cheap predicate for the wait.)"""
    got: dict[int, int] = defaultdict(int)
    for message in messages:
        for address in message.to:
            n = client_of(address)
            if n is not None:
                got[n] += 1
    return all(got[r.n] >= EMAILS_PER_CLIENT for r in runs if r.posted)


def attach_emails(runs: Iterable[ClientRun], messages: list[Accepted]) -> MailCheck:
    """Give each run its emails, and check: none lost, none duplicated, none stray."""
    by_n = {r.n: r for r in runs}
    for run in by_n.values():
        run.emails = []
    unexpected = []
    per_address: dict[str, int] = defaultdict(int)
    ids: dict[str, int] = defaultdict(int)
    for message in messages:
        if message.message_id:
            ids[message.message_id] += 1
        owners = {client_of(a) for a in message.to}
        if len(message.to) != 1 or None in owners or not owners <= by_n.keys():
            unexpected.append({"to": list(message.to), "message_id": message.message_id})
            continue
        by_n[owners.pop()].emails.append(message)
        per_address[message.to[0]] += 1
    lost = [
        r.n
        for r in by_n.values()
        if r.posted and {m.to[0] for m in r.emails} != expected_addresses(r.n)
    ]
    duplicated = [
        {"to": address, "count": count} for address, count in per_address.items() if count > 1
    ]
    return MailCheck(
        lost=sorted(lost),
        duplicated=duplicated,
        unexpected=unexpected,
        duplicate_message_ids=sorted(i for i, c in ids.items() if c > 1),
    )
