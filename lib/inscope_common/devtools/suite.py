"""``inscope-suite``: run the whole suite on one machine with nothing installed by hand.

Settings come from environment variables, read only in :meth:`SuiteSettings.from_env`:

=========================  =================  ==============================================
variable                   default            meaning
=========================  =================  ==============================================
INSCOPE_DATA_DIR           ``var``            SQLite files, broker AOF, caught mail
INSCOPE_WEB_BASE_PORT      5101               intake's port; assessment, referral, notify
                                              take the next three
REDIS_URL                  (unset)            use this broker instead of the embedded one
INSCOPE_START_BROKER       1 if no REDIS_URL  start the embedded broker
INSCOPE_BROKER_PORT        6390               embedded broker port
INSCOPE_BROKER_PASSWORD    (random per start) the embedded broker's password
SMTP_URL                   (unset)            send mail here instead of the mail catcher
INSCOPE_START_MAIL         1 if no SMTP_URL   start the mail catcher
INSCOPE_MAIL_SMTP_PORT     2525               mail catcher SMTP port
INSCOPE_MAIL_HTTP_PORT     8025               mail catcher web page port
INSCOPE_METRICS_BASE_PORT  web base + 100     /metrics of the workers and relays, one port
                                              each (5201...: the 4 workers, the 4
                                              relays, then notify's second worker)
INSCOPE_LOG_FORMAT         console            readable lines (json: one JSON object a line)
=========================  =================  ==============================================

Every process gets the caller's environment plus INSCOPE_DATA_DIR, REDIS_URL and
SMTP_URL.  A plain DATABASE_URL is dropped, because four services sharing it would
share one database; ``<SERVICE>_DATABASE_URL`` (e.g. INTAKE_DATABASE_URL) becomes
DATABASE_URL for that service's processes.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from inscope_common.devtools.broker import broker_argv, broker_url, is_serving
from inscope_common.devtools.supervisor import Process, run

HOST = "127.0.0.1"
SERVICES = ("intake", "assessment", "referral", "notify")
WORKER_SERVICES = ("intake", "assessment", "referral", "notify")
RELAY_SERVICES = ("intake", "assessment", "referral", "notify")
# Celery's pool per worker (issue 13). Intake, assessment and referral run short,
# DB-bound handlers: threads in the worker's own process spare prefork's per-task IPC
# (the parent pickling each task to a child over a pipe and reading its acks back) and
# two processes each. Intake and assessment run nothing but their consumer's one-row
# handlers (a millisecond or two each): the solo pool runs each in the event loop
# itself, without the hand-off to a pool thread and back (ThreadPoolExecutor, its
# locks and wake-ups: about 0.2 of 1.7 ms of CPU per consumed event, bench.consumer).
# Referral keeps two threads: its beat's sweeps (up to seconds over every referral)
# must not stop its events. Notify's PDFs are CPU-bound, so it needs both cores, which
# two threads under one GIL would not give it: it runs as two worker processes
# (WORKER_PROCESSES) consuming the same queue, each with one thread (no prefork IPC
# either; a thread rather than solo, so that the event loop keeps the heartbeat and
# the broker going while a send waits up to minutes for a server's final reply).
WORKER_POOLS = {
    "intake": "solo", "assessment": "solo", "referral": "threads", "notify": "threads"
}  # fmt: skip
WORKER_CONCURRENCY = {"intake": 1, "assessment": 1, "notify": 1}
# Worker processes per service (one unless said here): `make run` starts them as
# notify-worker, notify-worker-2; docker-compose.yml runs the container as replicas.
WORKER_PROCESSES = {"notify": 2}


def worker_args(service: str, instance: int = 1) -> list[str]:
    """The arguments after ``celery -A inscope_<service>.worker worker``: the same in
    ``make run`` and docker-compose.yml (tests/deploy/test_compose.py compares them;
    ``instance`` > 1 names the node of a second process on the same host).

    No gossip, mingle or heartbeat: with task events off these are the worker's only
    broadcast traffic (a heartbeat event every 2 s), and nothing here reads them (the
    container healthcheck reads inscope_common.heartbeat's file)."""
    pool = WORKER_POOLS.get(service, "prefork")
    concurrency = str(WORKER_CONCURRENCY.get(service, 2))
    node = service if instance == 1 else f"{service}{instance}"
    return [
        "--queues", f"inscope.{service}", "--pool", pool, "--concurrency", concurrency,
        "--hostname", f"{node}@%h", "--without-gossip", "--without-mingle",
        "--without-heartbeat",
    ]  # fmt: skip


def worker_processes() -> list[tuple[str, int]]:
    """(service, instance) of every Celery worker process of ``make run``."""
    return [(s, i) for s in WORKER_SERVICES for i in range(1, WORKER_PROCESSES.get(s, 1) + 1)]


def metrics_processes() -> list[tuple[str, str, int]]:
    """(process name, service, instance) of every process serving /metrics on a port of
    its own, in the order of INSCOPE_METRICS_BASE_PORT's ports: each service's (first)
    worker, the relays, then any further worker processes (notify-worker-2), so the
    first eight ports stay where they were."""
    first = [(f"{s}-worker", s, 1) for s in WORKER_SERVICES]
    relays = [(f"{s}-relay", s, 0) for s in RELAY_SERVICES]
    more = [(f"{s}-worker-{i}", s, i) for s, i in worker_processes() if i > 1]
    return first + relays + more


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SuiteSettings:
    data_dir: Path
    redis_url: str
    smtp_url: str
    start_broker: bool = True
    start_mail: bool = True
    web_base_port: int = 5101
    broker_port: int = 6390
    # The embedded broker's password (requirepass), new on every start unless
    # INSCOPE_BROKER_PASSWORD fixes it; REDIS_URL carries it to every process.
    broker_password: str = ""
    mail_smtp_port: int = 2525
    mail_http_port: int = 8025
    metrics_base_port: int = 5201
    python: str = sys.executable
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SuiteSettings:
        """Read every setting of the suite (from os.environ by default).

        Raises ValueError on a bad value or a contradiction.
        """
        env = dict(os.environ if environ is None else environ)
        broker_port = _int(env, "INSCOPE_BROKER_PORT", 6390)
        smtp_port = _int(env, "INSCOPE_MAIL_SMTP_PORT", 2525)
        start_broker = _flag(env, "INSCOPE_START_BROKER", not env.get("REDIS_URL"))
        start_mail = _flag(env, "INSCOPE_START_MAIL", not env.get("SMTP_URL"))
        if not start_broker and not env.get("REDIS_URL"):
            raise ValueError("INSCOPE_START_BROKER is off: set REDIS_URL to the broker to use")
        if not start_mail and not env.get("SMTP_URL"):
            raise ValueError("INSCOPE_START_MAIL is off: set SMTP_URL to the SMTP server to use")
        password = (env.get("INSCOPE_BROKER_PASSWORD") or secrets.token_urlsafe(32)) if (
            start_broker
        ) else ""
        return cls(
            data_dir=Path(env.get("INSCOPE_DATA_DIR") or "var").resolve(),
            redis_url=broker_url(broker_port, password=password)
            if start_broker
            else env["REDIS_URL"],
            broker_password=password,
            smtp_url=f"smtp://{HOST}:{smtp_port}" if start_mail else env["SMTP_URL"],
            start_broker=start_broker,
            start_mail=start_mail,
            web_base_port=_int(env, "INSCOPE_WEB_BASE_PORT", 5101),
            broker_port=broker_port,
            mail_smtp_port=smtp_port,
            mail_http_port=_int(env, "INSCOPE_MAIL_HTTP_PORT", 8025),
            metrics_base_port=_int(
                env,
                "INSCOPE_METRICS_BASE_PORT",
                _int(env, "INSCOPE_WEB_BASE_PORT", 5101) + 100,
            ),
            environ=env,
        )

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / "broker"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def mail_page_url(self) -> str:
        return f"http://{HOST}:{self.mail_http_port}/"

    @property
    def metrics_dir(self) -> Path:
        return self.data_dir / "metrics"

    def make_folders(self) -> None:
        """Create the folders the embedded broker and mail catcher write to, and a
        fresh metrics folder (counts start again with every run)."""
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        for folder in (self.data_dir, self.broker_dir, self.mail_dir, self.metrics_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def web_port(self, service: str) -> int:
        return self.web_base_port + SERVICES.index(service)

    def api_url(self, service: str) -> str:
        return f"http://{HOST}:{self.web_port(service)}"

    def process_env(
        self, service: str | None = None, name: str | None = None, metrics_port: int = 0
    ) -> dict[str, str]:
        """The environment of one process: the caller's, plus what the suite decides."""
        env = dict(self.environ)
        env["INSCOPE_SUITE"] = "1"
        env.setdefault("INSCOPE_LOG_FORMAT", "console")
        if name:
            # Each process (and its gunicorn workers or Celery children) counts into a
            # folder of its own (prometheus_client's multiprocess mode).
            # (inscope_common.metrics creates it.)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.metrics_dir / name)
        if metrics_port:
            env["INSCOPE_METRICS_PORT"] = str(metrics_port)
        if service:
            # Celery warns, at length, about running as root: development machines do.
            env.setdefault(
                "PYTHONWARNINGS", "ignore:You're running the worker with superuser privileges"
            )
        env.pop("DATABASE_URL", None)
        if service and env.get(f"{service.upper()}_DATABASE_URL"):
            env["DATABASE_URL"] = env[f"{service.upper()}_DATABASE_URL"]
        env["INSCOPE_DATA_DIR"] = str(self.data_dir)
        env["REDIS_URL"] = self.redis_url
        env["SMTP_URL"] = self.smtp_url
        # `make run` is a developer's suite: the services accept the public development
        # secrets (with one warning each) unless the caller says otherwise.
        env.setdefault("INSCOPE_ENV", "development")
        # Services reach one another where this suite serves them (notify reads contact
        # details from intake), unless the caller pointed them elsewhere.
        for name in SERVICES:
            env.setdefault(f"{name.upper()}_URL", self.api_url(name))
        return env


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE | FALSE:
        return value in TRUE
    raise ValueError(f"{name} must be 1 or 0, not {value!r}")


def suite_processes(settings: SuiteSettings) -> list[Process]:
    """The process table: edit here to add, remove or change a process."""
    py = settings.python
    table: list[Process] = []
    if settings.start_broker:
        url = settings.redis_url
        table.append(
            Process(
                "broker",
                [
                    *broker_argv(
                        settings.broker_dir, settings.broker_port, settings.broker_password
                    ),
                    "--loglevel",
                    "warning",
                ],
                env=settings.process_env(),
                ready=lambda: is_serving(url),
                # Valkey's advice for production hosts (vm.overcommit_memory), said at
                # every start; the embedded broker is for `make run` only.
                drop=("Memory overcommit must be enabled",),
            )
        )
    if settings.start_mail:
        mail = [py, "-m", "inscope_common.devtools.mailcatcher"]
        mail += ["--smtp-port", str(settings.mail_smtp_port)]
        mail += ["--http-port", str(settings.mail_http_port), "--dir", str(settings.mail_dir)]
        table.append(
            Process("mail", mail, env=settings.process_env(), ready=settings.mail_page_url)
        )
    for s in SERVICES:
        web = [py, "-m", "gunicorn", "--bind", f"{HOST}:{settings.web_port(s)}"]
        # Requests are logged by the app (inscope_common.http), with their ids.
        # The referral web holds up to 32 GET /clients/<id>/status?wait= requests (pages
        # and the bench following clients, REFERRAL_STATUS_WAITERS), asleep and without
        # a database connection: 32 more threads for them, 8 left for the rest.
        threads = "40" if s == "referral" else "8"
        web += ["--workers", "1", "--threads", threads, "--log-level", "warning"]
        web += _gunicorn_no_control_socket()
        env = settings.process_env(s, f"{s}-web")
        if s == "referral":
            env.setdefault("REFERRAL_STATUS_WAITERS", "32")
        table.append(Process(f"{s}-web", [*web, f"inscope_{s}:create_app()"], env))
    # Workers (notify's two in a row), then relays; the metrics ports go in the order
    # of metrics_processes, which keeps the first eight where they were.
    ports = {
        name: settings.metrics_base_port + i for i, (name, _, _) in enumerate(metrics_processes())
    }
    for s, instance in worker_processes():
        worker = [py, "-m", "celery", "-A", f"inscope_{s}.worker", "--quiet", "worker"]
        worker += worker_args(s, instance)
        name = f"{s}-worker" if instance == 1 else f"{s}-worker-{instance}"
        table.append(Process(name, worker, settings.process_env(s, name, ports[name])))
    for s in RELAY_SERVICES:
        relay = [py, "-m", f"inscope_{s}.cli", "relay"]
        name = f"{s}-relay"
        table.append(Process(name, relay, settings.process_env(s, name, ports[name])))
    # One beat per deployment: physician reminders, overdue referrals, progress reports.
    beat = [py, "-m", "celery", "-A", "inscope_referral.worker", "--quiet", "beat"]
    beat += ["--schedule", str(settings.data_dir / "referral-beat-schedule")]
    table.append(Process("referral-beat", beat, settings.process_env("referral")))
    # make run keeps going through one crash: the supervisor restarts the process that
    # died (with backoff), alone, and gives up only on one that crash-loops.
    for process in table:
        process.restart = True
    return table


def _gunicorn_no_control_socket() -> list[str]:
    """``--no-control-socket`` where gunicorn has it (25.1+).

    Its control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), so
    the suite's four gunicorns would fight over it ("Control server error: File exists").
    """
    import gunicorn.config  # imported here: only the table needs gunicorn

    names = {setting.name for setting in gunicorn.config.KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in names else []


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def banner(settings: SuiteSettings) -> str:
    lines = ["InScope suite"]
    lines += [f"  {s + ' API':<16} {settings.api_url(s)}" for s in SERVICES]
    if settings.start_mail:
        lines.append(f"  {'mail page':<16} {settings.mail_page_url}")
        lines.append(f"  {'.eml files':<16} {settings.mail_dir}")
    else:
        lines.append(f"  {'mail':<16} {_hide_password(settings.smtp_url)} (from SMTP_URL)")
    source = (
        f"embedded, AOF in {settings.broker_dir}" if settings.start_broker else "from REDIS_URL"
    )
    lines.append(f"  {'broker':<16} {_hide_password(settings.redis_url)} ({source})")
    lines.append(f"  {'data':<16} {settings.data_dir}")
    if settings.environ.get("INSCOPE_ENV", "development") == "development":
        lines.append("  development mode: public development secrets accepted; no real data")
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inscope-suite", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dry-run", action="store_true", help="print the settings and commands, start nothing"
    )
    args = parser.parse_args(argv)
    try:
        settings = SuiteSettings.from_env()
    except ValueError as error:
        parser.error(str(error))
    print(banner(settings), flush=True)
    processes = suite_processes(settings)
    if args.dry_run:
        for proc in processes:
            print(f"{proc.name}: {shlex.join(proc.argv)}")
        return 0
    clashes = port_clashes(settings)
    if clashes:
        for clash in clashes:
            print(f"inscope-suite: {clash}", file=sys.stderr)
        return 2
    settings.make_folders()
    if not migrate_databases(settings):
        return 1
    sign_in = ensure_demo_admin(settings)
    return run(processes, on_started=lambda stop, say: announce_ready(settings, sign_in, stop, say))


def migrate_databases(settings: SuiteSettings) -> bool:
    """Bring every service's database to its newest schema revision before any of its
    processes starts (they refuse a database that is not migrated). The four run at
    once, each as the service's own ``migrate`` command."""
    running = {
        s: subprocess.Popen(
            [settings.python, "-m", f"inscope_{s}.cli", "migrate"],
            env=settings.process_env(s),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for s in SERVICES
    }
    ok = True
    for service, proc in running.items():
        out, err = proc.communicate()
        if proc.returncode == 0:
            print(f"migrate: {out.strip()}", flush=True)
        else:
            ok = False
            print(f"migrate: {service} failed: {err.strip()[-1000:]}", flush=True)
    return ok


def ports(settings: SuiteSettings) -> list[tuple[int, str, str]]:
    """Every port the suite listens on: (port, what, the variable that moves it)."""
    table = [
        (settings.web_port(s), f"the {s} API", f"INSCOPE_WEB_BASE_PORT (+{i})")
        for i, s in enumerate(SERVICES)
    ]
    if settings.start_broker:
        table.append((settings.broker_port, "the embedded broker", "INSCOPE_BROKER_PORT"))
    if settings.start_mail:
        table.append((settings.mail_smtp_port, "the mail catcher's SMTP", "INSCOPE_MAIL_SMTP_PORT"))
        table.append((settings.mail_http_port, "the mail page", "INSCOPE_MAIL_HTTP_PORT"))
    names = [
        f"the {s} {'relay' if i == 0 else 'worker' if i == 1 else f'worker {i}'}"
        for _, s, i in metrics_processes()
    ]
    for i, name in enumerate(names):
        table.append(
            (
                settings.metrics_base_port + i,
                f"{name}'s metrics",
                f"INSCOPE_METRICS_BASE_PORT (+{i})",
            )
        )
    return table


def port_clashes(settings: SuiteSettings) -> list[str]:
    """A line per port already taken, naming it and the setting that moves it."""
    clashes = []
    for port, what, variable in ports(settings):
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                clashes.append(
                    f"port {port} ({what}) is already in use on {HOST}: stop what holds it, "
                    f"or set {variable.split()[0]} to move it"
                )
    return clashes


def ensure_demo_admin(settings: SuiteSettings) -> list[str]:
    """DEMO ONLY: the referral service (the staff hub) creates an admin account when it
    has none and says how to sign in. Run as its own command: this package never
    imports a service. Returns what it said, to repeat once the suite is ready."""
    argv = [settings.python, "-m", "inscope_referral.cli", "accounts", "ensure-demo-admin"]
    done = subprocess.run(
        argv, env=settings.process_env("referral"), capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        lines = [f"could not set up the demo admin: {done.stderr.strip()[-500:]}"]
    for line in lines:
        print(f"accounts: {line}", flush=True)
    return lines


def ready_urls(settings: SuiteSettings) -> list[str]:
    """What answers once everything is up: every service's /readyz (its database and
    the broker), the /metrics of every worker (served once the worker consumes) and
    relay, and the mail page."""
    urls = [f"{settings.api_url(s)}/readyz" for s in SERVICES]
    count = len(metrics_processes())
    urls += [
        f"http://{HOST}:{port}/metrics"
        for port in range(settings.metrics_base_port, settings.metrics_base_port + count)
    ]
    if settings.start_mail:
        urls.append(settings.mail_page_url)
    return urls


def announce_ready(
    settings: SuiteSettings,
    sign_in: list[str],
    stop: Callable[[], bool],
    say: Callable[[str], None],
    timeout_s: float = 180.0,
) -> None:
    """Once every service answers /readyz (and the mail page), one line says so."""
    waiting = ready_urls(settings)
    deadline = time.monotonic() + timeout_s
    while waiting and not stop():
        waiting = [url for url in waiting if not _answers(url)]
        if waiting and time.monotonic() > deadline:
            say(f"still not ready after {timeout_s:g}s: {', '.join(waiting)}")
            return
        if waiting:
            time.sleep(0.5)
    if stop():
        return
    mail = f", mail at {settings.mail_page_url}" if settings.start_mail else ""
    say(
        f"InScope is ready: pages at {settings.api_url('referral')}/board "
        f"(front desk {settings.api_url('intake')}/intakes/new, trainer "
        f"{settings.api_url('assessment')}/assess){mail}"
    )
    for line in sign_in:
        say(line)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
