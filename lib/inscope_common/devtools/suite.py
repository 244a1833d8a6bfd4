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
SMTP_URL                   (unset)            send mail here instead of the mail catcher
INSCOPE_START_MAIL         1 if no SMTP_URL   start the mail catcher
INSCOPE_MAIL_SMTP_PORT     2525               mail catcher SMTP port
INSCOPE_MAIL_HTTP_PORT     8025               mail catcher web page port
=========================  =================  ==============================================

Every process gets the caller's environment plus INSCOPE_DATA_DIR, REDIS_URL and
SMTP_URL.  A plain DATABASE_URL is dropped, because four services sharing it would
share one database; ``<SERVICE>_DATABASE_URL`` (e.g. INTAKE_DATABASE_URL) becomes
DATABASE_URL for that service's processes.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from inscope_common.devtools.broker import broker_argv, broker_url, is_serving
from inscope_common.devtools.supervisor import Process, run

HOST = "127.0.0.1"
SERVICES = ("intake", "assessment", "referral", "notify")
WORKER_SERVICES = ("intake", "assessment", "referral", "notify")
RELAY_SERVICES = ("intake", "assessment", "referral", "notify")
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
    mail_smtp_port: int = 2525
    mail_http_port: int = 8025
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
        return cls(
            data_dir=Path(env.get("INSCOPE_DATA_DIR") or "var").resolve(),
            redis_url=broker_url(broker_port) if start_broker else env["REDIS_URL"],
            smtp_url=f"smtp://{HOST}:{smtp_port}" if start_mail else env["SMTP_URL"],
            start_broker=start_broker,
            start_mail=start_mail,
            web_base_port=_int(env, "INSCOPE_WEB_BASE_PORT", 5101),
            broker_port=broker_port,
            mail_smtp_port=smtp_port,
            mail_http_port=_int(env, "INSCOPE_MAIL_HTTP_PORT", 8025),
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

    def make_folders(self) -> None:
        """Create the folders the embedded broker and mail catcher write to."""
        for folder in (self.data_dir, self.broker_dir, self.mail_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def web_port(self, service: str) -> int:
        return self.web_base_port + SERVICES.index(service)

    def api_url(self, service: str) -> str:
        return f"http://{HOST}:{self.web_port(service)}"

    def process_env(self, service: str | None = None) -> dict[str, str]:
        """The environment of one process: the caller's, plus what the suite decides."""
        env = dict(self.environ)
        env.pop("DATABASE_URL", None)
        if service and env.get(f"{service.upper()}_DATABASE_URL"):
            env["DATABASE_URL"] = env[f"{service.upper()}_DATABASE_URL"]
        env["INSCOPE_DATA_DIR"] = str(self.data_dir)
        env["REDIS_URL"] = self.redis_url
        env["SMTP_URL"] = self.smtp_url
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
                broker_argv(settings.broker_dir, settings.broker_port),
                env=settings.process_env(),
                ready=lambda: is_serving(url),
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
        web += ["--workers", "1", "--threads", "8", "--access-logfile", "-"]
        web += _gunicorn_no_control_socket()
        table.append(
            Process(f"{s}-web", [*web, f"inscope_{s}:create_app()"], settings.process_env(s))
        )
    for s in WORKER_SERVICES:
        worker = [py, "-m", "celery", "-A", f"inscope_{s}.worker", "worker"]
        worker += ["--queues", f"inscope.{s}", "--concurrency", "2", "--hostname", f"{s}@%h"]
        worker += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        table.append(Process(f"{s}-worker", worker, settings.process_env(s)))
    for s in RELAY_SERVICES:
        relay = [py, "-m", f"inscope_{s}.cli", "relay"]
        table.append(Process(f"{s}-relay", relay, settings.process_env(s)))
    # One beat per deployment: physician reminders, overdue referrals, progress reports.
    beat = [py, "-m", "celery", "-A", "inscope_referral.worker", "beat", "--schedule"]
    beat += [str(settings.data_dir / "referral-beat-schedule"), "--loglevel", "INFO"]
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
    settings.make_folders()
    if not migrate_databases(settings):
        return 1
    ensure_demo_admin(settings)
    return run(processes)


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


def ensure_demo_admin(settings: SuiteSettings) -> None:
    """DEMO ONLY: the referral service (the staff hub) creates an admin account when it
    has none and says how to sign in. Run as its own command: this package never
    imports a service."""
    argv = [settings.python, "-m", "inscope_referral.cli", "accounts", "ensure-demo-admin"]
    done = subprocess.run(
        argv, env=settings.process_env("referral"), capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        lines = [f"could not set up the demo admin: {done.stderr.strip()[-500:]}"]
    for line in lines:
        print(f"accounts: {line}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
