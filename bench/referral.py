"""What the referral service spends per event and per status request (issue 13), in-process.

``python -m bench.referral --redis-url redis://127.0.0.1:6379/N [--clients 100]
[--profile intake.submitted.v1|assessment.scored.v1|notification.sent.v1|status]``

One referral runtime in this process (SQLite under a temporary directory, real Redis for
its outbox's fast publish) consumes, per client, the events the suite's referral worker
consumes for one bench client, through the consumer's own path (signature check,
envelope, inbox row, handler, outbox, commit, publish): ``intake.submitted`` (the
screening), ``assessment.scored`` (the decision and its referral) and the physician's
``notification.sent``; then ``GET /clients/<id>/status`` is asked as the bench polls it
(404 before the client is known, 200 after), through the Flask app with an admin token.

Reports, per event type and for the status request, CPU ms (this process's user+system
time, so other load disturbs it less than wall time) and SQL statements, each the mean
over the clients. ``--profile KIND`` runs that kind under cProfile and prints the
functions with the largest cumulative time. The Redis database is flushed first.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import json
import os
import pstats
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import event as sa_event
from sqlalchemy import select

from bench.procs import PACKAGE_ROOT

DEFAULT_REDIS_URL = os.environ.get("TEST_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/13"
KINDS = ("intake.submitted.v1", "assessment.scored.v1", "notification.sent.v1")


def _screening() -> dict[str, Any]:
    """The screening ``intake.submitted`` carries for the example intake."""
    intake = json.loads((PACKAGE_ROOT / "examples" / "intake.json").read_text())["intake"]
    return {k: v for k, v in intake.items() if k not in ("physician", "consent")}


def _signed(event: dict[str, Any]) -> dict[str, Any]:
    from inscope_common.events import EventKeys
    from inscope_common.events.signing import publisher_of

    return EventKeys.development(publisher_of(event) or "referral").sign(event)


class Counter:
    """SQL statements on one engine, counted while ``active``."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.active = False
        sa_event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        if self.active:
            self.count += 1


class Measure:
    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.cpu: dict[str, float] = defaultdict(float)
        self.statements: dict[str, int] = defaultdict(int)
        self.runs: dict[str, int] = defaultdict(int)
        self.profile: cProfile.Profile | None = None
        self.profiled = ""

    def __call__(self, kind: str, run: Callable[[], Any]) -> Any:
        profile = self.profile if kind == self.profiled else None
        self.counter.count, self.counter.active = 0, True
        started = time.process_time()
        if profile is not None:
            profile.enable()
        try:
            return run()
        finally:
            if profile is not None:
                profile.disable()
            self.cpu[kind] += time.process_time() - started
            self.counter.active = False
            self.statements[kind] += self.counter.count
            self.runs[kind] += 1

    def table(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": kind,
                "n": self.runs[kind],
                "cpu_ms": round(1000 * self.cpu[kind] / self.runs[kind], 2),
                "statements": round(self.statements[kind] / self.runs[kind], 2),
            }
            for kind in self.runs
        ]


def run(clients: int, redis_url: str, profile: str | None, warmup: int = 5) -> dict[str, Any]:
    from inscope_clinical import AssessmentSchema, score_assessment
    from inscope_common.auth import ADMIN, Credentials, Principal
    from inscope_common.events import make_event
    from inscope_referral import create_app
    from inscope_referral.models import Referral

    redis.Redis.from_url(redis_url).flushdb()
    with tempfile.TemporaryDirectory(prefix="inscope-bench-referral-") as tmp:
        env = {
            "INSCOPE_DATA_DIR": str(Path(tmp) / "var"),
            "REDIS_URL": redis_url,
            "SMTP_URL": "smtp://127.0.0.1:9",
            "INSCOPE_ENV": "development",
            "INSCOPE_SCHEMA": "create",
            "INSCOPE_FAST_PUBLISH_TIMEOUT": "2",
            "INSCOPE_RELAY_GRACE": "0",
            "INSCOPE_LOG_LEVEL": "WARNING",
            "REFERRAL_TOKEN_SECRET": "bench-referral-secret",
            "REFERRAL_PUBLIC_URL": "http://referrals.bench",
        }
        app = create_app(env, role="worker")
        rt = app.extensions["inscope"]
        consume = app.extensions["celery"].tasks["referral.consume_event"]
        web = app.test_client()
        credentials = Credentials(
            rt.settings.staff_token_public_key, rt.settings.staff_token_private_key
        )
        token = credentials.api_token(Principal("bench-admin", "Bench admin", ADMIN))
        headers = {"Authorization": f"Bearer {token}"}
        screening = _screening()
        assessment = json.loads((PACKAGE_ROOT / "examples" / "assessment-pain.json").read_text())
        loaded = AssessmentSchema().load(copy.deepcopy(assessment))
        scoring = score_assessment(loaded)
        counter = Counter(rt.engine)
        measure = Measure(counter)
        if profile:
            measure.profile, measure.profiled = cProfile.Profile(time.process_time), profile
        scratch = Measure(counter)

        def client(m: Measure) -> None:
            intake_id, client_id = str(uuid.uuid4()), str(uuid.uuid4())
            who = {"intake_id": intake_id, "client_id": client_id}
            m("status 404", lambda: _get(web, client_id, headers, 404))
            submitted = _signed(make_event(
                "intake.submitted.v1", source="/inscope/intake", subject=client_id,
                data={**who, "screening": screening, "age_years": 38,
                      "consent": {"assessment": True, "share_with_physician": True,
                                  "email": True},
                      "has_physician_contact": True},
            ))  # fmt: skip
            m("intake.submitted.v1", lambda: _consumed(consume, submitted))
            m("status", lambda: _get(web, client_id, headers, 200))
            m("status", lambda: _get(web, client_id, headers, 200))
            scored = _signed(make_event(
                "assessment.scored.v1", source="/inscope/assessment", subject=client_id,
                data={**who, "assessment_id": str(uuid.uuid4()),
                      "assessment": copy.deepcopy(loaded), "scoring": scoring,
                      "assessed_by": None},
            ))  # fmt: skip
            m("assessment.scored.v1", lambda: _consumed(consume, scored))
            with rt.session_factory() as session:
                referral_id = session.scalar(
                    select(Referral.id).where(Referral.client_id == client_id)
                )
            assert referral_id, "the pain assessment opens a referral"
            for role, delivery in (("client", None), ("physician", referral_id)):
                sent = _signed(make_event(
                    "notification.sent.v1", source="/inscope/notify", subject=client_id,
                    data={**who, "delivery_id": str(uuid.uuid4()),
                          "kind": "physician_referral" if delivery else "client_decision",
                          "referral_id": delivery, "recipient_role": role,
                          "status": "sent", "detail": None},
                ))  # fmt: skip
                m(f"notification.sent.v1 ({role})", lambda e=sent: _consumed(consume, e))
            m("status after", lambda: _get(web, client_id, headers, 200))

        for _ in range(warmup):
            client(scratch)
        for _ in range(clients):
            client(measure)
        table = measure.table()
        rt.relay.ledger.close()
        rt.engine.dispose()
    out: dict[str, Any] = {"clients": clients, "per_kind": table}
    if measure.profile is not None:
        stats = pstats.Stats(measure.profile)
        stats.sort_stats("cumulative")
        out["profile"] = stats
    return out


def _consumed(consume: Any, envelope: dict[str, Any]) -> None:
    outcome = consume.apply(args=[envelope]).get()
    assert outcome in ("processed", "ignored"), outcome


def _get(web: Any, client_id: str, headers: dict[str, str], expected: int) -> None:
    response = web.get(f"/clients/{client_id}/status", headers=headers)
    assert response.status_code == expected, (response.status_code, response.data[:300])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--profile", default=None, help="a kind to run under cProfile")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--warmup", type=int, default=5, help="clients before measuring")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args(argv)
    out = run(args.clients, args.redis_url, args.profile, args.warmup)
    if args.json:
        print(json.dumps(out["per_kind"]))
        return 0
    for row in out["per_kind"]:
        print(
            f"{row['kind']:<36} n={row['n']:<4} cpu {row['cpu_ms']:>7.2f} ms"
            f"  statements {row['statements']:>6.2f}"
        )
    if "profile" in out:
        out["profile"].print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
