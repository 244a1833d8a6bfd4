"""Local mail catcher: an SMTP server that files every message as a .eml, and a page to read them.

The SMTP side is aiosmtpd; every accepted message is written to ``<dir>/<UTC time>-<id>.eml``
(names sort by arrival time).  The web side is a stdlib HTTP server:

- ``/``                    messages, newest first
- ``/messages.json``       the same list as JSON
- ``/messages/<name>``     one message: headers, text part, raw source
- ``/messages/<name>/raw`` the raw .eml as text/plain
- ``/messages/<name>/html`` the HTML part, sandboxed so its scripts cannot run

Run it with ``python -m inscope_common.devtools.mailcatcher --smtp-port 2525
--http-port 8025 --dir var/mail``; tests use :class:`MailCatcher` in-process.
Port 0 on either side picks a free port; read the real one from the instance.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import re
import signal
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("inscope.mailcatcher")

HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 2525
DEFAULT_HTTP_PORT = 8025
DEFAULT_DIR = Path("var/mail")
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
TIME_FORMAT = "%Y%m%dT%H%M%S.%f"
# Only names this module writes are served, so a request can never reach outside the folder.
NAME_RE = re.compile(r"^\d{8}T\d{6}\.\d{6}-[0-9a-f]{8}\.eml$")


# ---------------------------------------------------------------- storage


@dataclass(frozen=True)
class MessageSummary:
    name: str
    received: str
    from_: str
    to: str
    subject: str
    date: str
    message_id: str

    def as_json(self) -> dict[str, str]:
        return {("from" if key == "from_" else key): value for key, value in asdict(self).items()}


def new_message_name(now: datetime | None = None) -> str:
    """A file name that sorts by arrival time and is unique within the folder."""
    now = now or datetime.now(UTC)
    return f"{now.strftime(TIME_FORMAT)}-{uuid.uuid4().hex[:8]}.eml"


def save_message(folder: Path, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> Path:
    """Write one message atomically, with its envelope recorded in two leading headers.

    The envelope matters because Bcc recipients appear nowhere else.  Line endings
    become LF, as a local mail delivery on Unix stores them: with SMTP's CRLF kept,
    Python's email parser returns every text part with a stray "\\r" per line.
    Writing to a temporary name and renaming means the web page never reads half a
    message.
    """
    envelope = f"Return-Path: <{mail_from}>\nX-Original-To: {', '.join(rcpt_tos)}\n"
    path = folder / new_message_name()
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(envelope.encode() + raw.replace(b"\r\n", b"\n"))
    os.replace(tmp, path)
    return path


def _received(name: str) -> str:
    stamp = datetime.strptime(name.split("-", 1)[0], TIME_FORMAT).replace(tzinfo=UTC)
    return stamp.isoformat(timespec="milliseconds")


def summarize(path: Path) -> MessageSummary:
    with path.open("rb") as fh:
        headers = BytesHeaderParser(policy=policy.default).parse(fh)
    return MessageSummary(
        name=path.name,
        received=_received(path.name),
        from_=str(headers.get("From", "")),
        to=str(headers.get("To", "")),
        subject=str(headers.get("Subject", "")),
        date=str(headers.get("Date", "")),
        message_id=str(headers.get("Message-ID", "")),
    )


def list_messages(folder: Path) -> list[MessageSummary]:
    """Every stored message, newest first."""
    names = sorted((p.name for p in folder.glob("*.eml") if NAME_RE.match(p.name)), reverse=True)
    return [summarize(folder / name) for name in names]


def load_message(folder: Path, name: str) -> tuple[bytes, EmailMessage] | None:
    if not NAME_RE.match(name) or not (folder / name).is_file():
        return None
    raw = (folder / name).read_bytes()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # guaranteed by policy.default
    return raw, message


def _body_text(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    return None if part is None else str(part.get_content())


# ---------------------------------------------------------------- SMTP side


class _FolderHandler:
    """aiosmtpd handler: accept everything, file it, log one line."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        path = save_message(self.folder, raw, envelope.mail_from or "", envelope.rcpt_tos)
        # No addresses: they are the clients' and physicians' (issue 12 item 9). The
        # message itself, with its recipients, is on the catcher's page.
        log.info("received %s for %d recipient(s)", path.name, len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # With port 0 the OS picked the port when the server bound; learn it before
        # aiosmtpd's start-up self-test connects to self.port.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


# ---------------------------------------------------------------- HTTP side

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.2em .8em;text-align:left}}
pre{{background:#f4f4f4;padding:1em;white-space:pre-wrap}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str) -> bytes:
    return _PAGE.format(title=html.escape(title), body=body).encode()


def render_index(messages: list[MessageSummary]) -> bytes:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(m.received)}</td><td>{e(m.from_)}</td><td>{e(m.to)}</td>"
        f'<td><a href="/messages/{quote(m.name)}">{e(m.subject or "(no subject)")}</a></td></tr>'
        for m in messages
    )
    body = (
        f"<p>{len(messages)} message(s), newest first. "
        '<a href="/messages.json">JSON</a></p>'
        "<table><tr><th>Received (UTC)</th><th>From</th><th>To</th><th>Subject</th></tr>"
        f"{rows}</table>"
    )
    return _page("InScope mail catcher", body)


def render_message(name: str, raw: bytes, message: EmailMessage) -> bytes:
    e = html.escape
    headers = "".join(
        f"<tr><th>{e(key)}</th><td>{e(str(message.get(key, '')))}</td></tr>"
        for key in ("Date", "From", "To", "Cc", "Subject", "Message-ID")
    )
    text = _body_text(message, "plain")
    links = [f'<a href="/messages/{quote(name)}/raw">raw .eml</a>']
    if _body_text(message, "html") is not None:
        links.append(f'<a href="/messages/{quote(name)}/html">HTML part</a>')
    body = (
        f'<p><a href="/">all messages</a> | {" | ".join(links)}</p>'
        f"<table>{headers}</table>"
        f"<h2>Text part</h2><pre>{e(text) if text is not None else '(none)'}</pre>"
        f"<h2>Raw source</h2><pre>{e(raw.decode('utf-8', 'replace'))}</pre>"
    )
    return _page(str(message.get("Subject", name)), body)


class _WebHandler(BaseHTTPRequestHandler):
    server: _WebServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = unquote(self.path.split("?", 1)[0])
        folder = self.server.folder
        if path == "/":
            self._send(HTTPStatus.OK, HTML, render_index(list_messages(folder)))
        elif path == "/messages.json":
            data = [m.as_json() for m in list_messages(folder)]
            self._send(HTTPStatus.OK, "application/json", json.dumps(data, indent=1).encode())
        elif path.startswith("/messages/"):
            self._message(folder, path.removeprefix("/messages/"))
        else:
            self._send(HTTPStatus.NOT_FOUND, TEXT, b"not found\n")

    def _message(self, folder: Path, rest: str) -> None:
        name, _, view = rest.partition("/")
        loaded = load_message(folder, name)
        if loaded is None:
            self._send(HTTPStatus.NOT_FOUND, TEXT, b"no such message\n")
            return
        raw, message = loaded
        html_part = _body_text(message, "html")
        if view == "":
            self._send(HTTPStatus.OK, HTML, render_message(name, raw, message))
        elif view == "raw":
            self._send(HTTPStatus.OK, TEXT, raw)
        elif view == "html" and html_part is not None:
            # The HTML part is the email's own markup: show it, but sandboxed, so a
            # script in a message cannot act on this page's origin.
            self._send(
                HTTPStatus.OK,
                HTML,
                html_part.encode(),
                {"Content-Security-Policy": "sandbox"},
            )
        else:
            self._send(HTTPStatus.NOT_FOUND, TEXT, b"no such view\n")

    def _send(
        self, status: HTTPStatus, ctype: str, body: bytes, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        # Page views would drown the interesting lines (messages received) in the suite log.
        log.debug(format, *args)


class _WebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], folder: Path) -> None:
        self.folder = folder
        super().__init__(address, _WebHandler)


# ---------------------------------------------------------------- the pair


class MailCatcher:
    """SMTP server plus web page, both in background threads of this process."""

    def __init__(
        self,
        folder: Path = DEFAULT_DIR,
        host: str = HOST,
        smtp_port: int = DEFAULT_SMTP_PORT,
        http_port: int = DEFAULT_HTTP_PORT,
    ) -> None:
        self.folder = Path(folder).resolve()
        self.host = host
        self.smtp_port = smtp_port
        self.http_port = http_port
        self._smtp: _Controller | None = None
        self._web: _WebServer | None = None
        self._web_thread: threading.Thread | None = None

    @property
    def smtp_url(self) -> str:
        return f"smtp://{self.host}:{self.smtp_port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}/"

    def start(self) -> MailCatcher:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._start_smtp()
        try:
            self._start_web()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_smtp(self) -> None:
        controller = _Controller(
            _FolderHandler(self.folder), hostname=self.host, port=self.smtp_port
        )
        try:
            controller.start()
        except BaseException:
            # aiosmtpd leaves its loop open when binding fails; close it so the
            # failure is an error, not an error plus a ResourceWarning.
            if controller._thread is not None:
                controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            raise
        self._smtp = controller
        self.smtp_port = controller.port

    def _start_web(self) -> None:
        self._web = _WebServer((self.host, self.http_port), self.folder)
        self.http_port = self._web.server_address[1]
        self._web_thread = threading.Thread(
            target=self._web.serve_forever, name="mailcatcher-http", daemon=True
        )
        self._web_thread.start()

    def stop(self) -> None:
        if self._web is not None:
            self._web.shutdown()
            self._web.server_close()
            self._web = None
        if self._web_thread is not None:
            self._web_thread.join()
            self._web_thread = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None

    def messages(self) -> list[MessageSummary]:
        return list_messages(self.folder)

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT)
    parser.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    return parser.parse_args(argv)


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # aiosmtpd logs every SMTP command at INFO; one line per message received is enough.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # Block the stop signals before any thread starts (threads inherit the mask) and
    # then wait for one synchronously: no handler can run in the middle of starting or
    # stopping the servers, and a signal that arrives during start-up is not lost.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        with MailCatcher(args.dir, args.host, args.smtp_port, args.http_port) as catcher:
            log.info(
                "mail catcher: SMTP %s, page %s, files in %s",
                catcher.smtp_url, catcher.http_url, catcher.folder,
            )  # fmt: skip
            signum = signal.sigwait(STOP_SIGNALS)
            log.info("mail catcher stopping on %s", signal.Signals(signum).name)
    except OSError as error:  # most likely a port already in use
        log.error("mail catcher could not start: %s", error)
        return 1
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
