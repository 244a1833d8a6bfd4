"""``python -m bench``: throughput and latency of the whole suite against a bare Celery
chain, on real Redis and a real SMTP sink, in one run.

1. Take the Redis database (``--redis-url``; FLUSHDB, and a key that makes any other
   benchmark run wait, see :mod:`bench.lock`).  Start a real SMTP sink (aiosmtpd in its
   own process, timestamps each message) and the suite (``inscope-suite``) in a temp
   data dir on free ports; wait for every /readyz.  Start the baseline's Celery worker.
2. Baseline: a chain of ``--baseline-hops`` no-op Celery hops (default 4, see below),
   same broker, own queue; a burst of ``--baseline-chains`` chains (chains/s), then the
   same number one at a time (latency p50/p95/p99).  The worker then stops.
3. Warm up with one client.  Burst: ``--clients`` clients, ``--threads`` at a time,
   each: POST /intakes, wait for ``awaiting_assessment``, POST /assessments; two emails
   per client (client and physician).  clients/s = clients / (first intake POST to
   last email accepted).
4. Paced, at each of ``--rates`` (default 5, 10, 20 and 40 clients/s) in turn: one new
   client every 1/rate s for ``--paced-seconds``; latency from assessment POST to the
   client's last email accepted (p50/p95/p99) and CPU per client, so how cost grows
   with load reads off one table.  ``--paced-rate`` (20) is the run the targets and the
   stage breakdown read.
5. Check: every client got its 2 emails, no email twice (Message-IDs unique), none
   stray.  RSS and PSS of every process, idle (before the load) and after the run.
   Print a report, write JSON to ``--results-dir`` (bench/results/<machine>-<time>.json,
   :mod:`bench.results`) and print the change against this machine's previous run.

Hops.  From an assessment POST to the last email the suite moves two Celery messages
(the assessment web scores in the request and stages assessment.scored for the referral
worker; referral.decided goes to the notify worker), then hands the emails to SMTP: three
deliveries, the last one to the mail server rather than a queue.  The baseline counts
four Celery hops, the chain the issue's reference figures were measured with (so the
ratio stays comparable with earlier runs).

Exit status: 0 when the run completed without a lost or duplicated email, whatever the
figures; 1 when an email was lost, duplicated or stray, or a client failed; 2 when
the run itself failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.baseline import DEFAULT_REDIS_URL
from bench.baseline_driver import BaselineWorker, run_baseline
from bench.breakdown import stage_breakdown, wait_stamped
from bench.cpu import memory, phase_cost, snapshot
from bench.flow import ClientRun, Documents, Driver, all_emails_in, attach_emails
from bench.lock import RunLock
from bench.results import diff_lines, machine_name, previous_report, report_path
from bench.smtp_sink import SMTPSink
from bench.stats import summary
from bench.suite import Suite

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Issue 13's targets (CPU per client: all the suite's processes and the driver, paced
# at --paced-rate); the long-run goal for the ratio is 0.5 (half the bare chain).
TARGETS = {"throughput_ratio": 0.15, "cpu_ms_per_client": 40.0, "paced_p99_ms": 500.0,
           "decision_p99_ms": 100.0}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--clients", type=int, default=200, help="clients in the burst")
    parser.add_argument("--threads", type=int, default=16, help="clients in flight (burst)")
    parser.add_argument("--paced-seconds", type=float, default=10.0, help="paced run length")
    parser.add_argument(
        "--paced-rate", type=float, default=20.0,
        help="the paced rate the targets and the stage breakdown read (added to --rates)",
    )  # fmt: skip
    parser.add_argument(
        "--rates", type=_rates, default=[5.0, 10.0, 20.0, 40.0],
        help="paced runs, clients per s, comma-separated, each --paced-seconds long",
    )  # fmt: skip
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="flushed first!")
    parser.add_argument("--baseline-chains", type=int, default=500, help="chains per phase")
    parser.add_argument(
        "--baseline-rounds", type=int, default=3, help="baseline bursts; the median one counts"
    )
    parser.add_argument("--baseline-hops", type=int, default=4, help="no-op hops per chain")
    parser.add_argument(
        "--email-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for the last email after the last POST",
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=600.0,
        help="seconds to wait while another benchmark run uses the same Redis database",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the suite's data dir (SQLite files) and print where",
    )
    args = parser.parse_args(argv)
    for name in ("clients", "threads", "baseline_chains", "baseline_hops", "baseline_rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.paced_rate <= 0 or args.paced_seconds <= 0:
        parser.error("--paced-rate and --paced-seconds must be positive")
    args.rates = sorted({*args.rates, args.paced_rate})
    return args


def _rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError("rates must be positive numbers, e.g. 5,10,20,40")
    return rates


def hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(parts.password, "***", 1)))


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True,
            text=True, timeout=10, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def machine() -> dict[str, Any]:
    status = _git("status", "--porcelain")
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty_files": None if status is None else len(status.splitlines()),
    }


def wait_for_emails(sink: SMTPSink, runs: list[ClientRun], timeout: float) -> bool:
    return sink.wait(lambda messages: all_emails_in(runs, messages), timeout)


def phase_figures(runs: list[ClientRun]) -> dict[str, Any]:
    latencies = [r.latency for r in runs if r.latency is not None]
    posts = [r.assessment_post_at for r in runs if r.assessment_post_at is not None]
    return {
        "clients": len(runs),
        "failed_clients": [{"n": r.n, "error": r.error} for r in runs if r.error],
        "latency_ms": summary(latencies),
        "screening_wait_ms": summary(
            [r.screened_at - r.intake_post_at for r in runs if r.screened_at is not None]
        ),
        "assessment_post_ms": summary(
            [r.assessment_answered_at - r.assessment_post_at for r in runs if r.posted]
        ),
        "status_polls_per_client": (
            round(sum(r.status_polls for r in runs) / len(runs), 2) if runs else None
        ),
        # GET /clients/<id>/status (the screening's wait and, paced, the decision's).
        "status_requests_per_client": (
            round(sum(r.status_requests for r in runs) / len(runs), 2) if runs else None
        ),
        "decision_requests_per_client": (
            round(sum(r.decision_requests for r in runs) / len(runs), 2) if runs else None
        ),
        # Assessment POST -> the decision read from GET /clients/<id>/status, followed
        # as the trainer's client page follows it (paced runs only).
        "decision_seen_ms": summary(
            [r.decision_seen_wall - r.assessment_post_wall for r in runs
             if r.decision_seen_wall is not None and r.assessment_post_wall is not None]
        ),
        "assessment_post_span_s": (max(posts) - min(posts)) if len(posts) > 1 else 0.0,
    }


def burst_figures(runs: list[ClientRun]) -> dict[str, Any]:
    figures = phase_figures(runs)
    starts = [r.intake_post_at for r in runs if r.intake_post_at is not None]
    ends = [r.last_email_at for r in runs if r.last_email_at is not None]
    complete = [r for r in runs if r.latency is not None]
    seconds = (max(ends) - min(starts)) if starts and ends else None
    figures.update(
        completed_clients=len(complete),
        seconds=seconds,
        clients_per_s=(len(complete) / seconds) if seconds else None,
    )
    return figures


def rate_key(rate: float) -> str:
    return f"{rate:g}"


def paced_figures(runs: list[ClientRun], rate: float, seconds: float) -> dict[str, Any]:
    figures = phase_figures(runs)
    span = figures["assessment_post_span_s"]
    figures.update(
        rate=rate,
        seconds=seconds,
        achieved_rate=((len(runs) - 1) / span) if span else None,
    )
    return figures


def _at_least(value: float | None, target: float) -> dict[str, Any]:
    return {"target": f">= {target}", "value": value,
            "met": value is not None and value >= target}


def _at_most(value: float | None, target: float) -> dict[str, Any]:
    return {"target": f"<= {target:g}", "value": value,
            "met": value is not None and value <= target}


def _decision_readable(report: dict[str, Any]) -> dict[str, Any] | None:
    """POST -> decision readable (paced): as the page reads it, when the run followed
    the decisions; else the upper bound from the decision's outbox stamp."""
    seen = (report["flow"].get("paced") or {}).get("decision_seen_ms") or {}
    if seen.get("count"):
        return seen
    return ((report.get("breakdown") or {}).get("paced") or {}).get("decision_readable_ms")


def targets(report: dict[str, Any]) -> dict[str, Any]:
    """Issue 13's table: each figure of this run against its target."""
    paced = report["flow"].get("paced", {}).get("latency_ms", {})
    cpu = (report.get("cpu") or {}).get("paced") or {}
    readable = _decision_readable(report)
    return {
        "throughput_ratio": _at_least(report.get("ratio"), TARGETS["throughput_ratio"]),
        "cpu_ms_per_client": _at_most(cpu.get("suite_and_bench_cpu_ms_per_client"),
                                      TARGETS["cpu_ms_per_client"]),
        "paced_p99_ms": _at_most(paced.get("p99"), TARGETS["paced_p99_ms"]),
        "decision_p99_ms": _at_most((readable or {}).get("p99"), TARGETS["decision_p99_ms"]),
    }


def log_counts(log: str) -> dict[str, int]:
    """Lines in the suite's log that tell of trouble or of the slow path."""
    return {
        "relay_published": log.count("relay published"),
        "left_for_relay": log.count("left in the outbox for the relay"),
        "retries": log.count("retrying in"),
        "dead_lettered": log.count("dead-lettered"),
        "duplicates_skipped": log.count("skipped"),
        "tracebacks": log.count("Traceback (most recent call last)"),
        # One "event handled" line per consumed event (inscope_common.consumer's log).
        "tasks_succeeded": log.count("event handled"),
    }


def diagnosis(
    driver: Driver, runs: list[ClientRun], sink: SMTPSink, suite: Suite, limit: int = 5
) -> dict[str, Any]:
    """For clients whose emails did not all arrive: what the services say, and the
    suite log's warnings and errors."""
    attach_emails(driver.runs, sink.messages())
    trouble = [
        line
        for line in suite.log().splitlines()
        if any(word in line for word in ("ERROR", "WARNING", "Traceback", "Error"))
    ]
    return {
        "clients": [
            {**driver.diagnose(r), "emails": [m.to for m in r.emails]} for r in runs[:limit]
        ],
        "suite_log_trouble": trouble[-40:],
    }


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def measure(args: argparse.Namespace, root: Path, report: dict[str, Any]) -> None:
    """Everything that needs the suite up; fills ``report`` as it goes."""
    documents = Documents.load()
    lock = RunLock(args.redis_url)
    lock.flush_and_acquire(args.lock_timeout, say)
    try:
        _measure(args, root, report, documents)
    finally:
        lock.release()


def _measure(
    args: argparse.Namespace, root: Path, report: dict[str, Any], documents: Documents
) -> None:
    cpu: dict[str, Any] = {}
    report["cpu"] = cpu
    with SMTPSink(root) as sink:
        named = {"smtp-sink": sink.process.pid}
        suite = Suite(root, args.redis_url, sink.url)
        worker = BaselineWorker(args.redis_url, root / "baseline-worker.log")
        report["logs"] = {"suite": str(suite.log_path), "baseline_worker": str(worker.log_path)}

        def snap() -> tuple[dict[str, float], float]:
            """CPU seconds per role, and the time they were read."""
            return snapshot(args.redis_url, suite.pid, named), time.monotonic()

        try:
            say(f"starting the suite (log: {suite.log_path}) and the baseline worker")
            suite.start()
            worker.start()
            suite.wait_ready()
            say(f"baseline: {args.baseline_chains} chains of {args.baseline_hops} hops")
            report["baseline"] = run_baseline(
                args.redis_url,
                args.baseline_chains,
                args.baseline_hops,
                worker,
                args.baseline_rounds,
            )
            worker.stop()

            driver = Driver(suite, documents)
            say("warm-up: one client")
            warm = [driver.drive(driver.new_client("warmup"))]
            if warm[0].error:
                raise RuntimeError(f"warm-up client failed: {warm[0].error}")
            if not wait_for_emails(sink, warm, args.email_timeout):
                report["diagnosis"] = diagnosis(driver, warm, sink, suite)
                raise RuntimeError(
                    "warm-up client's emails never arrived: "
                    + json.dumps(report["diagnosis"], default=str)[:3000]
                )

            settle = report["settle_s"] = {"warmup": suite.wait_idle()}
            report["memory"] = {"idle": memory(suite.pid, named)}

            say(f"burst: {args.clients} clients, {args.threads} in flight")
            before = snap()
            burst = driver.burst(args.clients, args.threads)
            wait_for_emails(sink, burst, args.email_timeout)
            # CPU until every event the clients caused is handled, not just the emails.
            settle["burst"] = suite.wait_idle()
            after = snap()
            cpu["burst"] = phase_cost(before[0], after[0], len(burst), after[1] - before[1])

            by_rate: dict[float, list[ClientRun]] = {}
            driver.follow_decisions = True  # POST -> decision seen, as the page sees it
            for rate in args.rates:
                say(f"paced: {rate:g} clients/s for {args.paced_seconds:g}s")
                before = snap()
                runs = by_rate[rate] = driver.paced(rate, args.paced_seconds, args.threads)
                wait_for_emails(sink, runs, args.email_timeout)
                settle[f"paced@{rate_key(rate)}"] = suite.wait_idle()
                after = snap()
                cpu[f"paced@{rate_key(rate)}"] = phase_cost(
                    before[0], after[0], len(runs), after[1] - before[1]
                )
            paced = by_rate[args.paced_rate]
            settle["paced"] = settle[f"paced@{rate_key(args.paced_rate)}"]
            time.sleep(1.0)  # a late duplicate would show up here
            # The breakdown reads the outbox rows' publish stamps, which the relays
            # write a few seconds after the fast path's publish.
            settle["outbox_stamped"] = wait_stamped(suite.data_dir / "db")
            report["memory"]["after"] = memory(suite.pid, named)
            check = attach_emails(driver.runs, sink.messages())
            if check.lost:
                lost = [r for r in driver.runs if r.n in set(check.lost)]
                report["diagnosis"] = diagnosis(driver, lost, sink, suite)
        finally:
            worker.stop()
            say("stopping the suite")
            report["suite_exit_status"] = suite.stop()
        log = suite.log()
    report["flow"] = {
        "warmup": phase_figures(warm),
        "burst": burst_figures(burst),
        "paced": paced_figures(paced, args.paced_rate, args.paced_seconds),
        "rates": {
            rate_key(rate): {
                **paced_figures(runs, rate, args.paced_seconds),
                "cpu_ms_per_client": cpu[f"paced@{rate_key(rate)}"][
                    "suite_and_bench_cpu_ms_per_client"
                ],
            }
            for rate, runs in by_rate.items()
        },
    }
    cpu["paced"] = cpu[f"paced@{rate_key(args.paced_rate)}"]
    report["checks"] = {
        **check.as_dict(),
        "failed_clients": [{"n": r.n, "phase": r.phase, "error": r.error}
                           for r in driver.runs if r.error],
        "emails_accepted": len(sink.messages()),
        "clients": len(driver.runs),
    }  # fmt: skip
    report["checks"]["ok"] = check.ok and not report["checks"]["failed_clients"]
    report["suite_log_counts"] = log_counts(log)
    # Every task the clients caused (intake fan-out, notification.sent, ...), as counted
    # in the workers' logs, so the figure follows the code.
    report["hops"]["flow_celery_tasks_per_client"] = round(
        report["suite_log_counts"]["tasks_succeeded"] / max(1, len(driver.runs)), 2
    )
    report["breakdown"] = {
        "paced": stage_breakdown(suite.data_dir / "db", paced),
        "burst": stage_breakdown(suite.data_dir / "db", burst),
    }
    clients_per_s = report["flow"]["burst"]["clients_per_s"]
    chains_per_s = report["baseline"]["burst"]["chains_per_s"]
    report["ratio"] = round(clients_per_s / chains_per_s, 3) if clients_per_s else None
    report["targets"] = targets(report)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value}{unit}"


def _lat(figures: dict[str, Any]) -> str:
    return "p50 {} / p95 {} / p99 {} ms (max {}, n={})".format(
        *(_fmt(figures.get(k)) for k in ("p50", "p95", "p99", "max", "count"))
    )


def render(report: dict[str, Any]) -> str:
    lines = ["", "InScope benchmark", "================="]
    m, p = report["machine"], report["parameters"]
    lines.append(f"machine      {m['cpus']} CPUs, Python {m['python']}, {m['platform']}")
    lines.append(f"commit       {m['git_commit']} ({m['git_dirty_files']} files changed)")
    lines.append(f"redis        {p['redis_url']}")
    if "baseline" in report:
        b = report["baseline"]
        lines.append(f"\nBare Celery baseline ({b['hops']}-hop no-op chain)")
        lines.append(
            f"  burst        {b['burst']['chains_per_s']:.1f} chains/s "
            f"({b['burst']['chains']} chains in {b['burst']['seconds']:.2f}s; median of "
            f"{b['burst_rounds_chains_per_s']})"
        )
        bcpu = b["burst"]["cpu"]
        lines.append(
            f"  CPU/chain    {_fmt(bcpu['suite_and_bench_cpu_ms_per_client'])} ms "
            f"{bcpu['cpu_ms_per_client']}; other processes "
            f"{_fmt(bcpu['other_processes_cpu_s'])} CPU s"
        )
        lines.append(f"  one at a time {_lat(b['one_at_a_time']['latency_ms'])}")
    flow = report.get("flow")
    if flow:
        burst, paced = flow["burst"], flow["paced"]
        lines.append("\nSuite (intake -> screening -> assessment -> 2 emails per client)")
        hops = report.get("hops", {})
        lines.append(
            f"  hops         {hops.get('flow_celery_hops_post_to_email')} Celery hops + SMTP "
            f"from assessment POST to email; "
            f"{_fmt(hops.get('flow_celery_tasks_per_client'))} Celery tasks per client in all"
        )
        lines.append(
            f"  burst        {_fmt(burst['clients_per_s'])} clients/s "
            f"({burst['completed_clients']}/{burst['clients']} clients in "
            f"{_fmt(burst['seconds'], 's')}, {p['threads']} in flight)"
        )
        lines.append(f"    latency    {_lat(burst['latency_ms'])}")
        lines.append(f"    screening  {_lat(burst['screening_wait_ms'])}")
        lines.append(
            f"  paced        {paced['rate']:g} clients/s for {paced['seconds']:g}s "
            f"(achieved {_fmt(paced['achieved_rate'])}/s)"
        )
        lines.append(f"    latency    {_lat(paced['latency_ms'])}")
        lines.append(f"    POST       {_lat(paced['assessment_post_ms'])}")
        if (paced.get("decision_seen_ms") or {}).get("count"):
            lines.append(f"    decision   {_lat(paced['decision_seen_ms'])} (POST -> read "
                         "by following the status, as the client page does)")
        lines.append(
            f"    status     {_fmt(burst.get('status_requests_per_client'))} requests per "
            f"client burst (screening), {_fmt(paced.get('status_requests_per_client'))} "
            f"paced ({_fmt(paced.get('decision_requests_per_client'))} of them for the "
            "decision)"
        )
    if report.get("ratio") is not None:
        lines.append(f"\nratio        clients/s / chains/s = {report['ratio']:.3f}")
    if "targets" in report:
        lines.append("\nTargets")
        for name, t in report["targets"].items():
            mark = "met" if t["met"] else "MISSED"
            value = t["value"]  # a ratio needs its third decimal: 0.071 is not "0.1"
            shown = f"{value:.3f}" if isinstance(value, float) and value < 1 else _fmt(value)
            lines.append(f"  {name:<18} {shown:>8}  target {t['target']:<8} {mark}")
    bd = report.get("breakdown", {}).get("paced")
    if bd and bd.get("available"):
        lines.append(f"\nWhere the time goes (paced, {bd['clients']} clients; ms)")
        dr = bd.get("decision_readable_ms") or {}
        lines.append(f"  POST -> decision readable (committed, upper bound): {_lat(dr)}")
        lines.append(f"  {'stage':<24} {'p50':>8} {'p95':>8} {'p99':>8}")
        for name, s in bd["stages"].items():
            lines.append(
                f"  {name:<24} {_fmt(s['p50']):>8} {_fmt(s['p95']):>8} {_fmt(s['p99']):>8}"
            )
    elif bd:
        lines.append(f"\nstage breakdown unavailable: {bd.get('why')}")
    lines += _rates_table(report)
    for phase, cost in report.get("cpu", {}).items():
        if phase.startswith("paced@"):
            continue  # in the rates table
        top = ", ".join(f"{k} {v:.1f}" for k, v in list(cost["cpu_ms_per_client"].items())[:8])
        lines.append(f"\nCPU per client ({phase}, ms): {top}")
        lines.append(
            f"  total {_fmt(cost['suite_and_bench_cpu_ms_per_client'])} ms/client; "
            f"machine busy {_fmt(cost['machine_busy_cpus'])} of {cost['cpus']} CPUs; "
            f"other processes {_fmt(cost['other_processes_cpu_s'])} CPU s"
        )
    checks = report.get("checks")
    if checks:
        lines.append("\nChecks")
        lines.append(f"  clients {checks['clients']}, emails accepted {checks['emails_accepted']}")
        lines.append(
            f"  lost clients {len(checks['lost_clients'])}, duplicated addresses "
            f"{len(checks['duplicated'])}, duplicate Message-IDs "
            f"{len(checks['duplicate_message_ids'])}, stray "
            f"{len(checks['unexpected'])}, failed clients "
            f"{len(checks['failed_clients'])}: {'OK' if checks['ok'] else 'FAILED'}"
        )
    if "suite_log_counts" in report:
        lines.append(f"  suite log: {report['suite_log_counts']}")
    lines += _memory_table(report.get("memory") or {})
    if report.get("error"):
        lines.append(f"\nRUN FAILED: {report['error']}")
    lines.append(f"\nJSON report  {report.get('report_path')}")
    return "\n".join(lines)  # fmt: skip


def _rates_table(report: dict[str, Any]) -> list[str]:
    rates = (report.get("flow") or {}).get("rates") or {}
    if not rates:
        return []
    lines = ["\nHow cost grows (paced runs; latency assessment POST -> last email, ms)",
             f"  {'clients/s':>9} {'achieved':>9} {'clients':>8} {'CPU ms/client':>14} "
             f"{'p50':>8} {'p99':>8}"]  # fmt: skip
    for rate, f in rates.items():
        lat = f["latency_ms"]
        lines.append(
            f"  {rate:>9} {_fmt(f['achieved_rate']):>9} {f['clients']:>8} "
            f"{_fmt(f['cpu_ms_per_client']):>14} {_fmt(lat.get('p50')):>8} "
            f"{_fmt(lat.get('p99')):>8}"
        )
    return lines


def _memory_table(mem: dict[str, Any]) -> list[str]:
    idle, after = mem.get("idle"), mem.get("after") or {}
    if not idle:
        return []
    lines = ["\nMemory per role (MB; RSS counts shared pages in each process, PSS shares them)",
             f"  {'role':<22} {'procs':>5} {'RSS idle':>9} {'RSS after':>10} "
             f"{'PSS idle':>9} {'PSS after':>10}"]  # fmt: skip
    roles = {**idle["roles"], **after.get("roles", {})}
    for role in roles:
        i, a = idle["roles"].get(role, {}), after.get("roles", {}).get(role, {})
        lines.append(
            f"  {role:<22} {_fmt(i.get('processes') or a.get('processes')):>5} "
            f"{_fmt(i.get('rss_mb')):>9} {_fmt(a.get('rss_mb')):>10} "
            f"{_fmt(i.get('pss_mb')):>9} {_fmt(a.get('pss_mb')):>10}"
        )
    lines.append(
        f"  suite (as make run)    {idle['suite_processes']:>5} {_fmt(idle['suite_rss_mb']):>9} "
        f"{_fmt(after.get('suite_rss_mb')):>10} {_fmt(idle['suite_pss_mb']):>9} "
        f"{_fmt(after.get('suite_pss_mb')):>10}"
    )
    return lines


def headline(report: dict[str, Any]) -> dict[str, float | None]:
    """The figures a later run is compared with (bench.results)."""
    flow, cpu = report.get("flow") or {}, report.get("cpu") or {}
    figures: dict[str, float | None] = {
        "baseline chains/s": (report.get("baseline") or {}).get("burst", {}).get("chains_per_s"),
        "burst clients/s": (flow.get("burst") or {}).get("clients_per_s"),
        "ratio clients/chains": report.get("ratio"),
        "burst CPU ms/client": (cpu.get("burst") or {}).get("suite_and_bench_cpu_ms_per_client"),
    }
    for rate, f in (flow.get("rates") or {}).items():
        figures[f"paced {rate}/s CPU ms/client"] = f.get("cpu_ms_per_client")
        figures[f"paced {rate}/s p50 ms"] = f["latency_ms"].get("p50")
        figures[f"paced {rate}/s p99 ms"] = f["latency_ms"].get("p99")
    readable = _decision_readable(report) if report.get("flow") else None
    figures["paced POST->decision p99 ms"] = (readable or {}).get("p99")
    mem = report.get("memory") or {}
    for when in ("idle", "after"):
        if when in mem:
            figures[f"suite RSS MB {when}"] = mem[when]["suite_rss_mb"]
            figures[f"suite PSS MB {when}"] = mem[when]["suite_pss_mb"]
    return figures


def write_report(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    report["report_path"] = str(path)
    path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    report: dict[str, Any] = {
        "kind": "bench",
        "machine_name": machine_name(),
        "started_at": started.isoformat(),
        "machine": machine(),
        "parameters": {
            "clients": args.clients,
            "threads": args.threads,
            "paced_rate": args.paced_rate,
            "rates": args.rates,
            "paced_seconds": args.paced_seconds,
            "baseline_chains": args.baseline_chains,
            "baseline_hops": args.baseline_hops,
            "baseline_rounds": args.baseline_rounds,
            "redis_url": hide_password(args.redis_url),
        },
        "hops": {
            "baseline_celery_hops": args.baseline_hops,
            "flow_celery_hops_post_to_email": 2,
            "flow_deliveries_post_to_email": 3,
            "note": "assessment.scored, referral.decided, then SMTP; "
            "per client also intake.submitted to referral and assessment",
        },
    }
    path = report_path(args.results_dir, report["machine_name"], stamp)
    root = Path(tempfile.mkdtemp(prefix="inscope-bench-"))
    status = 0
    try:
        measure(args, root, report)
        if not report["checks"]["ok"]:
            status = 1
    except Exception as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
        report["traceback"] = traceback.format_exc()
        status = 2
    finally:
        report["finished_at"] = datetime.now(UTC).isoformat()
        args.results_dir.mkdir(parents=True, exist_ok=True)
        for name, log_path in report.get("logs", {}).items():
            with contextlib.suppress(OSError):
                kept = path.with_suffix(f".{name}.log")
                shutil.copyfile(log_path, kept)
                report["logs"][name] = str(kept)
        if args.keep_data:
            report["data_dir"] = str(root)
        else:
            shutil.rmtree(root, ignore_errors=True)
        report["headline"] = headline(report)
        write_report(report, path)
    print(render(report), flush=True)
    previous = previous_report(args.results_dir, report["machine_name"], "bench", before=path)
    print("\n".join(diff_lines(previous, report)), flush=True)
    if report.get("traceback"):
        print(report["traceback"], file=sys.stderr)
    return status
