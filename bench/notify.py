"""What one event costs the notify worker, in-process (issue 13).

``python -m bench.notify --redis-url redis://127.0.0.1:6379/N [--events 50] [--rounds 3]
[--kind decided|answered|reminder] [--breakdown] [--profile [--top 45] [--callees REGEX]]``

The suite's events are handed to notify's real consumer task (``notify.consume_event``,
applied in this process as the tests do: signature check, inbox, handler, one
transaction for the outcomes), its emails sent over its pooled connection to a real SMTP
sink (``bench.smtp_sink``, its own process), the contact read over HTTP from the intake
app served on a thread here (its CPU is not counted: only this thread's is). Each
client is new (its own intake, addresses and referral, as in ``make bench``), so no
letter is drawn twice. ``decided``: the assessment's referral.decided with a referral
(client update and physician letter with its PDF, ``examples/assessment-pain.json``, as
``make bench`` sends); ``answered``: referral.answered (client and trainer);
``reminder``: referral.reminder_due after that decision (handled first, not measured):
the letter again as reminder 1, with its PDF, to the physician.

Reports CPU ms per event of this thread (``time.thread_time``: a loaded machine disturbs
it less than wall time), the median of ``--rounds`` rounds; ``--profile`` runs the
measured events under cProfile (wall time) and prints the top entries by inclusive time;
``--breakdown`` adds the CPU ms per event spent in each part of the handler (contact
look-up, rows, templates, scope guard, PDF, MIME, SMTP send, outcomes). The worker's
logs go to stderr. The Redis database is flushed first: give it one of your own.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import pstats
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import redis

from bench.procs import PACKAGE_ROOT
from bench.smtp_sink import SMTPSink
from bench.suite import admin_token

EXAMPLES = PACKAGE_ROOT / "examples"


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def _env(data_dir: Path, redis_url: str, smtp_url: str) -> dict[str, str]:
    return {
        "INSCOPE_DATA_DIR": str(data_dir),
        "REDIS_URL": redis_url,
        "SMTP_URL": smtp_url,
        "INSCOPE_ENV": "development",
        "INSCOPE_SCHEMA": "create",
        "PROMETHEUS_MULTIPROC_DIR": "",
    }


def _serve_intake(env: dict[str, str]) -> tuple[Any, Any]:
    from werkzeug.serving import make_server

    from inscope_intake import create_app

    app = create_app(env)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env["INTAKE_URL"] = f"http://127.0.0.1:{server.server_port}"
    return app, server


def _signed(event: dict[str, Any]) -> dict[str, Any]:
    from inscope_common.events import EventKeys
    from inscope_common.events.signing import publisher_of

    return EventKeys.development(publisher_of(event) or "referral").sign(event)


class Events:
    """Clients posted to the intake app, and the events notify receives for them."""

    def __init__(self, intake_app: Any) -> None:
        self.client = intake_app.test_client()
        self.intake = _example("intake.json")
        self.assessment = _example("assessment-pain.json")
        self.n = 0
        # Hands an event to notify unmeasured (a reminder's decision before it).
        self.deliver: Any = None

    def _post(self) -> dict[str, Any]:
        self.n += 1
        body = copy.deepcopy(self.intake)
        body["client"]["email"] = f"client-{self.n}@bench.example"
        body["intake"]["physician"]["email"] = f"physician-{self.n}@bench.example"
        response = self.client.post(
            "/intakes", json=body, headers={"Authorization": f"Bearer {admin_token()}"}
        )
        assert response.status_code == 201, response.get_json()
        return {**response.get_json(), "body": body}

    def decided(self) -> dict[str, Any]:
        """The assessment's decision, a referral with its letter (as ``make bench``)."""
        from inscope_clinical import screen
        from inscope_clinical.letters.request import build_request
        from inscope_common.events import make_event

        created = self._post()
        result = screen({**created["body"], "assessment": self.assessment})
        consent = created["body"]["intake"]["consent"]
        data = {
            "intake_id": created["id"],
            "client_id": created["client_id"],
            "decision_id": f"decision-{created['id']}",
            "stage": "assessment",
            **{
                k: result[k]
                for k in (
                    "outcome",
                    "urgency",
                    "target",
                    "program_state",
                    "reasons",
                    "flags",
                    "program",
                    "referrals",
                    "intensity_cap",
                )
            },
            "consent": {
                k: bool(consent.get(k)) for k in ("assessment", "share_with_physician", "email")
            },
            "has_physician_contact": True,
            "referral": {
                "referral_id": f"referral-{created['id']}",
                "answer_url": "http://127.0.0.1:5103/referrals/answer/signed-token",
                "status": "needed",
                "target": result["target"],
                "urgency": result["urgency"],
                "request": build_request(result),
                "letter_version": 1,
            },
        }
        assert result["outcome"] in ("refer", "clearance"), result["outcome"]
        return _signed(
            make_event(
                "referral.decided.v1",
                source="/inscope/referral",
                subject=created["client_id"],
                data=data,
            )
        )

    def reminder(self) -> dict[str, Any]:
        """The first reminder of a referral whose decision notify has handled (not
        measured): the letter again, marked as reminder 1, to the physician alone."""
        from inscope_common.events import make_event

        decided = self.decided()
        assert self.deliver is not None, "reminders need the decision handled first"
        self.deliver(decided)
        data = decided["data"]
        referral = data["referral"]
        return _signed(
            make_event(
                "referral.reminder_due.v1",
                source="/inscope/referral",
                subject=data["client_id"],
                data={
                    "intake_id": data["intake_id"],
                    "client_id": data["client_id"],
                    "referral_id": referral["referral_id"],
                    "decision_id": data["decision_id"],
                    "reminder_number": 1,
                    "answer_url": referral["answer_url"],
                    "target": referral["target"],
                    "urgency": referral["urgency"],
                },
            )
        )

    def answered(self) -> dict[str, Any]:
        """The clinician's answer (a restricted clearance), relayed to client and trainer."""
        from inscope_common.events import make_event

        created = self._post()
        return _signed(
            make_event(
                "referral.answered.v1",
                source="/inscope/referral",
                subject=created["client_id"],
                data={
                    "intake_id": created["id"],
                    "client_id": created["client_id"],
                    "referral_id": f"referral-{created['id']}",
                    "answer": "cleared_with_restrictions",
                    "restrictions": {
                        "max_intensity": "moderate",
                        "avoid_movements": ["overhead_pressing"],
                        "notes": "Follows a rotator cuff repair; progress slowly.",
                    },
                    "answered_at": "2026-12-01T10:00:00+00:00",
                    "answered_by": "Dr. Priya Shah",
                },
            )
        )


# What --breakdown times (inclusive CPU of this thread), by where service.py finds it.
PARTS = {
    "contact look-up": ("Notifier", "fetch_contact"),
    "keep letter": ("Notifier", "_keep_letter"),
    "supersede": ("Notifier", "_supersede_unsent_letters"),
    "plan (messages)": ("module", "plan_decision"),
    "plan answer (messages)": ("module", "plan_answer"),
    "rows written": ("Notifier", "_ensure_deliveries"),
    "templates (jinja)": ("module", "render"),
    "scope guard": ("module", "guard"),
    "letter PDF": ("LetterPDFs", "get"),
    "program PDF": ("module", "render_program_pdf"),
    "MIME build": ("module", "build_message"),
    "SMTP send (flatten + socket)": ("sender", "send"),
    "outcomes (transaction)": ("Notifier", "_settle_all"),
}


class Breakdown:
    """Inclusive CPU ms of this thread in each of PARTS. A part inside another counts in
    both: the accept's Redis mark and log inside the send, and (since the pre-send
    writes became one transaction) keep letter and supersede inside rows written."""

    def __init__(self, notifier: Any) -> None:
        from inscope_notify import service

        self.spent: dict[str, float] = dict.fromkeys(PARTS, 0.0)
        self.paused = False  # while events are built (a reminder's decision is handled)
        owners = {
            "Notifier": notifier,
            "LetterPDFs": notifier.pdfs,
            "sender": notifier.sender,
            "module": service,
        }
        for part, (owner, name) in PARTS.items():
            target = owners[owner]
            if hasattr(target, name):
                setattr(target, name, self._timed(part, getattr(target, name)))

    def _timed(self, part: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.paused:
                return fn(*args, **kwargs)
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[part] += time.thread_time() - start

        return timed


def run(args: argparse.Namespace) -> dict[str, Any]:
    redis.Redis.from_url(args.redis_url).flushdb()
    with tempfile.TemporaryDirectory(prefix="inscope-bench-notify-") as tmp:
        workdir = Path(tmp)
        with SMTPSink(workdir / "sink") as sink:
            env = _env(workdir / "var", args.redis_url, sink.url)
            intake_app, server = _serve_intake(env)
            from inscope_notify import create_app

            notify = create_app(dict(env), role="worker")
            task = notify.extensions["celery"].tasks["notify.consume_event"]
            events = Events(intake_app)
            events.deliver = lambda event: task.apply(args=[event]).get()
            build = getattr(events, args.kind)
            per_round = []
            sent = 0
            profile = cProfile.Profile() if args.profile else None
            breakdown = None
            try:
                for _ in range(args.warmup):  # imports, templates, fonts, connection
                    assert task.apply(args=[build()]).get() == "processed"
                if args.breakdown:
                    breakdown = Breakdown(notify.extensions["notifier"])
                for _ in range(args.rounds):
                    if breakdown is not None:
                        breakdown.paused = True
                    batch = [build() for _ in range(args.events)]
                    if breakdown is not None:
                        breakdown.paused = False
                    spent = 0.0
                    for event in batch:
                        if profile is not None:
                            profile.enable()
                        start = time.thread_time()
                        outcome = task.apply(args=[event]).get()
                        spent += time.thread_time() - start
                        if profile is not None:
                            profile.disable()
                        assert outcome == "processed", outcome
                        sent += 1
                    per_round.append(spent * 1000 / len(batch))
            finally:
                notify.extensions["notifier"].sender.close()
                server.shutdown()
            # Two emails an event; a reminder's decision sent two before its one.
            expected = (args.warmup + sent) * (3 if args.kind == "reminder" else 2)
            if not sink.wait(lambda m: len(m) >= expected, timeout=30):
                raise SystemExit(f"the sink took {len(sink.messages())} emails of {expected}")
    report = {
        "kind": args.kind,
        "events": args.events,
        "rounds": [round(x, 2) for x in per_round],
        "cpu_ms_per_event": round(statistics.median(per_round), 2),
    }
    if breakdown is not None:
        count = args.events * args.rounds
        report["breakdown_ms_per_event"] = {
            part: round(spent * 1000 / count, 2) for part, spent in breakdown.spent.items() if spent
        }
    print(json.dumps(report, indent=1 if breakdown is not None else None))
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(args.top)
        if args.callees:
            stats.print_callees(args.callees)
        print(out.getvalue())
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notify", description=__doc__)
    parser.add_argument("--redis-url", required=True, help="a Redis database of your own")
    parser.add_argument("--events", type=int, default=50, help="events per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--kind", choices=("decided", "answered", "reminder"), default="decided")
    parser.add_argument("--profile", action="store_true", help="cProfile (wall time)")
    parser.add_argument("--breakdown", action="store_true", help="CPU ms in each part")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--callees", help="--profile: also what these functions call (regex)")
    args = parser.parse_args(argv)
    run(args)


if __name__ == "__main__":
    main()
