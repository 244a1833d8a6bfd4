"""``python -m bench.scale`` (``make bench-scale``): the staff pages and the beat's sweeps
with 100,000 clients.

1. Migrate fresh intake, referral and notify databases with the services' own Alembic
   revisions (SQLite files in a temp dir; PostgreSQL with ``--postgres-url``: databases
   ``<prefix>_<service>`` are created there and dropped at the end).
2. Seed ``--clients`` clients (:mod:`bench.scale_seed`): intakes, decisions, referrals
   and each client's board row, through the services' models.
3. Start the intake and notify apps on local ports (threads of this process, as the
   referral pages call them over HTTP as the signed-in person) and measure, as a
   trainer, ``--repeat`` times each, p50/p95 of: the board's first page; the board
   filtered (a status and a referral status, still in urgency order); a page deep in
   the board (a cursor half-way down); a name search across services (intake answers
   with ids, referral filters and sorts); the client page; and the intake's search and
   names endpoints on their own.
4. Run the beat's sweeps (reminders/overdue, progress reports) at the next tick over all
   referrals: seconds, what was due, and the growth of this process's RSS meanwhile.
5. Print a table, write JSON to ``bench/results/<machine>-scale-<time>.json`` and print
   the change against the previous run of this machine (:mod:`bench.results`).

Timings on a shared machine are noisy; targets: board first page, urgency-ordered pages
and name search p95 <= 200 ms, sweeps <= 30 s, at 100,000 clients.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import psutil
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from bench.baseline import DEFAULT_REDIS_URL
from bench.cli import hide_password, machine
from bench.lock import RunLock
from bench.results import diff_lines, machine_name, previous_report, report_path
from bench.scale_seed import Seeder
from bench.stats import summary
from inscope_common.auth import SESSION_COOKIE, Principal
from inscope_common.migrations import upgrade

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SERVICES = ("intake", "referral", "notify")
TARGET_MS = 200.0
SWEEP_TARGET_S = 30.0
TIMED = ("board first page", "board filtered", "board deep page", "name search")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per figure")
    parser.add_argument(
        "--postgres-url",
        help="a PostgreSQL server (SQLAlchemy URL, e.g. postgresql+psycopg://postgres@"
        "127.0.0.1:5432/postgres): databases <prefix>_<service> are made there",
    )
    parser.add_argument("--database-prefix", default=f"inscope_scale_{os.getpid()}")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="flushed first!")
    parser.add_argument("--lock-timeout", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--no-sweeps", action="store_true", help="skip the sweeps")
    parser.add_argument(
        "--data-dir", type=Path,
        help="keep the databases (SQLite files here; PostgreSQL: keep <prefix>_<service>, "
        "remembered here); a later run with the same dir (and prefix) migrates them (new "
        "indexes) and measures again without seeding",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.clients < 1 or args.repeat < 1:
        parser.error("--clients and --repeat must be at least 1")
    return args


def say(text: str) -> None:
    print(f"[bench-scale {time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- databases --------------------------------------------------------------------


@contextlib.contextmanager
def databases(args: argparse.Namespace, root: Path) -> Iterator[dict[str, str]]:
    """A fresh database URL per service; PostgreSQL ones are dropped afterwards."""
    if not args.postgres_url:
        (root / "db").mkdir(parents=True, exist_ok=True)
        yield {s: f"sqlite:///{root / 'db' / f'{s}.sqlite3'}" for s in SERVICES}
        return
    server = make_url(args.postgres_url)
    names = {s: f"{args.database_prefix}_{s}".lower() for s in SERVICES}
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    reuse = args.data_dir is not None and (args.data_dir / "seeded.json").exists()
    try:
        if not reuse:
            with admin.connect() as conn:
                for name in names.values():
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield {s: server.set(database=n).render_as_string(hide_password=False)
               for s, n in names.items()}  # fmt: skip
    finally:
        if args.data_dir is None:
            with admin.connect() as conn:
                for name in names.values():
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def environment(root: Path, urls: dict[str, str], redis_url: str) -> dict[str, str]:
    ports = {s: free_port() for s in ("intake", "notify")}
    return {
        "INSCOPE_DATA_DIR": str(root),
        "INSCOPE_ENV": "development",
        "INSCOPE_LOG_LEVEL": "WARNING",
        "REDIS_URL": redis_url,
        **{f"{s.upper()}_URL": f"http://127.0.0.1:{p}" for s, p in ports.items()},
        **{f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()},
    }


class Served:
    """An app answering HTTP on its port in a thread of this process."""

    def __init__(self, app: Flask, url: str) -> None:
        port = int(url.rsplit(":", 1)[1])
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


# --- timing -----------------------------------------------------------------------


def timed(repeat: int, call: Callable[[int], Any], warmup: int = 2) -> dict[str, Any]:
    """p50/p95 of ``call(i)`` (``warmup`` untimed calls first); each must answer 200.
    Also ``cpu_ms``: this process's CPU per call on average (the referral and intake
    apps and SQLite; not PostgreSQL's own), which other sessions' load barely moves
    while it stretches the wall-clock figures."""
    for i in range(warmup):
        call(i)
    seconds = []
    cpu_started = time.process_time()
    for i in range(repeat):
        started = time.perf_counter()
        status = call(i)
        seconds.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"answered {status}")
    cpu_ms = 1000 * (time.process_time() - cpu_started) / repeat
    return summary(seconds) | {"cpu_ms": round(cpu_ms, 2)}


class PeakRSS:
    """The largest RSS of this process while the block runs, sampled every 20 ms."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


# --- the run ----------------------------------------------------------------------


def run(args: argparse.Namespace, root: Path, report: dict[str, Any]) -> None:
    with databases(args, root) as urls:
        report["databases"] = {s: hide_password(u) for s, u in urls.items()}
        env = environment(root, urls, args.redis_url)
        for service, url in urls.items():
            upgrade(url, service, "head")
        apps = {s: import_module(f"inscope_{s}").create_app(env) for s in SERVICES}
        served = [Served(apps[s], env[f"{s.upper()}_URL"]) for s in ("intake", "notify")]
        try:
            _measure(args, apps, report)
        finally:
            for server in served:
                server.stop()
            for app in apps.values():
                app.extensions["inscope"].engine.dispose()


def _measure(args: argparse.Namespace, apps: dict[str, Flask], report: dict[str, Any]) -> None:
    intake_rt, referral_rt = (apps[s].extensions["inscope"] for s in ("intake", "referral"))
    marker = args.data_dir / "seeded.json" if args.data_dir else None
    if marker is not None and marker.exists():
        seeded = json.loads(marker.read_text())
        now = dt.datetime.fromisoformat(seeded["now"])
        report.update(seeded=seeded["counts"], seed_s=seeded["seconds"], reused=str(marker))
        say(f"reusing the {seeded['counts']['clients']:,} clients seeded in {args.data_dir}")
    else:
        now = dt.datetime.now(dt.UTC)
        seeder = Seeder(intake_rt.session_factory, referral_rt.session_factory, now,
                        args.seed, referral_rt.settings)  # fmt: skip
        say(f"seeding {args.clients:,} clients")
        started, cpu_started = time.perf_counter(), time.process_time()
        report["seeded"] = seeder.seed(args.clients, say)
        report["seed_s"] = round(time.perf_counter() - started, 1)
        report["seed_cpu_s"] = round(time.process_time() - cpu_started, 1)
        say(f"seeded in {report['seed_s']} s ({report['seed_cpu_s']} s CPU of this "
            f"process): {report['seeded']}")  # fmt: skip
        if marker is not None:
            marker.write_text(json.dumps({"now": now.isoformat(), "counts": report["seeded"],
                                          "seconds": report["seed_s"]}))  # fmt: skip
    for rt in (intake_rt, referral_rt):
        analyze(rt.engine)
    report["timings_ms"] = pages(args, apps, sample_ids(referral_rt))
    if not args.no_sweeps:
        report["sweeps"] = sweeps(referral_rt, now)


def sample_ids(rt: Any, count: int = 2000) -> list[str]:
    """Clients to time the pages on: ids are random (uuid4), so the first ones in id
    order are a random sample."""
    from inscope_referral.models import ClientCase

    with rt.session_factory() as session:
        return list(session.scalars(
            select(ClientCase.client_id).order_by(ClientCase.client_id).limit(count)))  # fmt: skip


def analyze(engine: Any) -> None:
    """Fresh planner statistics and (PostgreSQL) the visibility map, as autovacuum or
    SQLite's ``PRAGMA optimize`` would have them soon after a bulk load: without the
    map PostgreSQL cannot count on an index alone."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        return
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def pages(args: argparse.Namespace, apps: dict[str, Flask], ids: list[str]) -> dict[str, Any]:
    referral, intake = apps["referral"], apps["intake"]
    trainer = Principal("bench-trainer", "Bench Trainer", "trainer")
    web = referral.test_client()
    web.set_cookie(SESSION_COOKIE, referral.extensions["inscope_auth"].session_cookie(trainer))
    api = intake.test_client()
    # The identity owner (referral) signs; the intake service only verifies.
    token = referral.extensions["inscope_auth"].api_token(trainer)
    bearer = {"Authorization": f"Bearer {token}"}
    rng = random.Random(args.seed)
    searches = search_terms(intake, rng, ids)
    deep = deep_cursor(referral)

    def get(client: Any, path: str, **kw: Any) -> Callable[[int], int]:
        return lambda i: client.get(path.format(i=i, **{k: v(i) for k, v in kw.items()}),
                                    headers=bearer if client is api else None).status_code

    out: dict[str, Any] = {}
    cases = {
        "board first page": get(web, "/board"),
        "board filtered": get(web, "/board?status=clearance_needed&referral=delivered"),
        "board deep page": get(web, "/board?after={c}", c=lambda i: deep),
        "name search": get(web, "/board?q={q}", q=lambda i: searches[i % len(searches)]),
        "client page": get(web, "/clients/{c}/view", c=lambda i: ids[i % len(ids)]),
        "intake search API": get(api, "/clients/search?q={q}",
                                 q=lambda i: searches[i % len(searches)]),
        "intake names API (25 ids)": lambda i: api.post(
            "/clients/names", json={"client_ids": rng.sample(ids, min(25, len(ids)))},
            headers=bearer,
        ).status_code,
    }  # fmt: skip
    for name, call in cases.items():
        say(f"timing {name}")
        out[name] = timed(args.repeat, call, getattr(args, "warmup", 2))
    out["search terms"] = searches[:10]
    return out


def search_terms(intake: Flask, rng: random.Random, ids: list[str]) -> list[str]:
    """What staff type: a last name's first 3 letters, a whole last name, first and last."""
    from inscope_intake.models import Client

    rt = intake.extensions["inscope"]
    with rt.session_factory() as session:
        people = session.execute(
            select(Client.first_name, Client.last_name).where(Client.id.in_(ids[:60]))
        ).all()
    terms = []
    for first, last in people:
        terms += [last[:3], last, f"{first} {last[:2]}"]
    rng.shuffle(terms)
    return terms or ["a"]


def deep_cursor(referral: Flask) -> str:
    """The board's cursor half-way down every client (a page deep in the list)."""
    from inscope_referral import board
    from inscope_referral.models import ClientCase

    rt = referral.extensions["inscope"]
    with rt.session_factory() as session:
        total = session.scalar(select(func.count()).select_from(ClientCase)) or 0
        case = session.scalars(select(ClientCase).order_by(*board.ORDER)
                               .offset(total // 2).limit(1)).first()  # fmt: skip
    return board.Cursor.of(case).encode() if case else ""


def sweeps(rt: Any, now: dt.datetime) -> dict[str, Any]:
    """Both sweeps at the next beat tick, over every referral."""
    from inscope_referral import lifecycle, sweeps
    from inscope_referral.models import Referral

    tick = now + dt.timedelta(seconds=rt.settings.sweep_interval_s)
    with rt.session_factory() as session:
        considered = dict(session.execute(
            select(Referral.status, func.count()).group_by(Referral.status)).all())  # fmt: skip
    out: dict[str, Any] = {"tick": tick.isoformat(), "referrals_by_status": considered,
                           "batch": sweeps.BATCH}  # fmt: skip
    for name, call in (("follow-ups", sweeps.send_due_follow_ups),
                       ("progress reports", sweeps.send_due_progress_reports)):  # fmt: skip
        say(f"sweep: {name}")
        with PeakRSS() as peak:
            started = time.perf_counter()
            done = call(rt, tick)
            seconds = time.perf_counter() - started
        scanned = sum(considered.get(s, 0) for s in lifecycle.AWAITING_ANSWER) \
            if name == "follow-ups" else considered.get(lifecycle.ANSWERED, 0)
        out[name] = {"seconds": round(seconds, 2), "done": done, "scanned": scanned,
                     "rss_growth_mb": peak.growth_mb}  # fmt: skip
    return out


# --- report -----------------------------------------------------------------------


def headline(report: dict[str, Any]) -> dict[str, float | None]:
    figures: dict[str, float | None] = {}
    for name, t in (report.get("timings_ms") or {}).items():
        if isinstance(t, dict):
            figures[f"{name} p50 ms"] = t.get("p50")
            figures[f"{name} p95 ms"] = t.get("p95")
            figures[f"{name} CPU ms"] = t.get("cpu_ms")
    for name, s in (report.get("sweeps") or {}).items():
        if isinstance(s, dict) and "seconds" in s:
            figures[f"sweep {name} s"] = s["seconds"]
            figures[f"sweep {name} RSS growth MB"] = s["rss_growth_mb"]
    figures["seed s"] = report.get("seed_s")
    figures["seed CPU s"] = report.get("seed_cpu_s")
    return figures


def render(report: dict[str, Any]) -> str:
    p = report["parameters"]
    lines = ["", f"InScope at scale: {p['clients']:,} clients on {report['backend']}",
             "=" * 60, f"seeded {report.get('seeded')} in {report.get('seed_s')} s "
             f"({report.get('seed_cpu_s')} s CPU)",
             f"\n  {'figure':<28} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} {'CPU ms':>8}  "
             "target"]  # fmt: skip
    for name, t in (report.get("timings_ms") or {}).items():
        if not isinstance(t, dict):
            continue
        target = ""
        if name in TIMED:
            met = t["p95"] is not None and t["p95"] <= TARGET_MS
            target = f"p95 <= {TARGET_MS:.0f}: {'met' if met else 'MISSED'}"
        cpu = t.get("cpu_ms")
        lines.append(f"  {name:<28} {t['p50']:>9.1f} {t['p95']:>9.1f} {t['max']:>9.1f} "
                     f"{'' if cpu is None else f'{cpu:.1f}':>8}  {target}")  # fmt: skip
    for name, s in (report.get("sweeps") or {}).items():
        if isinstance(s, dict) and "seconds" in s:
            met = "met" if s["seconds"] <= SWEEP_TARGET_S else "MISSED"
            lines.append(f"  sweep {name:<22} {s['seconds']:>8.2f}s over {s['scanned']:,} "
                         f"referrals, done {s['done']}, RSS +{s['rss_growth_mb']} MB  "
                         f"(<= {SWEEP_TARGET_S:.0f} s: {met})")  # fmt: skip
    lines.append(
        "\nTimings on a shared machine are noisy; compare runs of one quiet machine. "
        "CPU ms: this process's CPU per request (apps and SQLite, not PostgreSQL)."
    )
    if report.get("error"):
        lines.append(f"\nRUN FAILED: {report['error']}")
    lines.append(f"JSON report  {report.get('report_path')}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    report: dict[str, Any] = {
        "kind": "bench-scale",
        "machine_name": machine_name(),
        "started_at": started.isoformat(),
        "machine": machine(),
        "backend": "postgresql" if args.postgres_url else "sqlite",
        "clients": args.clients,
        "parameters": {"clients": args.clients, "repeat": args.repeat, "seed": args.seed,
                       "redis_url": hide_password(args.redis_url)},  # fmt: skip
    }
    path = report_path(args.results_dir, report["machine_name"], stamp, "bench-scale")
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="inscope-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    lock = RunLock(args.redis_url)
    status = 0
    try:
        lock.flush_and_acquire(args.lock_timeout, say)
        try:
            run(args, root, report)
        finally:
            lock.release()
    except Exception as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
        report["traceback"] = traceback.format_exc()
        status = 2
    finally:
        if args.data_dir is None:
            shutil.rmtree(root, ignore_errors=True)
        report["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
        report["headline"] = headline(report)
        report["report_path"] = str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(render(report), flush=True)
    previous = previous_report(args.results_dir, report["machine_name"], "bench-scale", path,
                               same={"backend": report["backend"], "clients": args.clients})
    print("\n".join(diff_lines(previous, report)), flush=True)
    if report.get("traceback"):
        print(report["traceback"], flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
