"""Email: templates rendered into an EmailMessage, sent through a sender interface.

One template folder per email (``subject.txt``, ``body.txt``, ``body.html``), after
pypi/warehouse. ``SMTPSender`` is the one transport (one pooled connection per worker
process); tests may pass their own sender.
"""

from __future__ import annotations

import binascii
import io
import os
import random
import re
import select
import smtplib
import ssl
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from email.charset import QP, Charset
from email.generator import NLCRE, BytesGenerator
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.policy import Compat32, compat32
from email.utils import formatdate, getaddresses
from functools import cache, lru_cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse

from babel.support import Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from inscope_common.localtime import Locale, install_filters

# The client emails' message catalogs (``make messages``; docs/languages.md).
TRANSLATIONS = Path(__file__).parent / "translations"


@cache
def client_translations(language: str) -> NullTranslations:
    """A language's catalog of the client emails' text; none: the English source."""
    return Translations.load(str(TRANSLATIONS), [language], "messages")


@cache
def _env_for(locale: Locale, language: str = "en") -> Environment:
    """The templates with the facility's ``local_datetime``/``local_date`` filters, in
    ``language`` (``_()`` and ``{% trans %}`` from its catalog)."""
    env = Environment(
        loader=PackageLoader("inscope_notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    install_filters(env, locale)
    translations = client_translations(language)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


class TransientSendError(Exception):
    """Worth retrying: connection trouble or a 4xx reply."""


class PermanentSendError(Exception):
    """Not worth retrying: a 5xx reply (bad recipient, rejected message)."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render(template: str, context: dict[str, Any], locale: Locale | None = None) -> RenderedEmail:
    """The email in the language its context names (``language``: the client's; planned
    before it was kept, or a letter or staff email: English, the source). Times and dates
    in the facility's zone and format (none given: UTC and ISO dates)."""
    context = {"language": "en", **context}
    env = _env_for(locale if locale is not None else Locale(), context["language"])
    subject = env.get_template(f"{template}/subject.txt").render(context)
    return RenderedEmail(
        subject=" ".join(subject.split()),  # one line: no header folding surprises
        text=env.get_template(f"{template}/body.txt").render(context),
        html=env.get_template(f"{template}/body.html").render(context),
    )


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def build_message(
    email: RenderedEmail,
    *,
    sender: str,
    recipient: str,
    message_id: str,
    reply_to: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Message:
    """Text and HTML alternatives, then any attachment (multipart/mixed). Header values
    come from our own records; one with CR or LF is refused (ValueError), as
    ``EmailMessage`` refuses it.

    Built with the ``compat32`` MIME classes, not ``EmailMessage``: the same message on
    the wire for a fraction of the CPU (issue 13: ``EmailMessage`` parses every header
    through its registry, again at each content-type look-up; it was about 2.3 ms of
    the notify worker's time per email, this is about 0.5). Non-ASCII addresses, which
    need SMTPUTF8, keep the ``EmailMessage`` path."""
    headers = {"From": sender, "To": recipient, "Subject": email.subject, "Message-ID": message_id}
    if reply_to:
        headers["Reply-To"] = reply_to
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"{name} header value contains a line break")
    if not all(value.isascii() for value in (sender, recipient, reply_to or "")):
        return _international_message(email, headers, attachments)
    body = MIMEMultipart("alternative")
    body.attach(_text_part(email.text, "plain"))
    body.attach(_text_part(email.html, "html"))
    msg: Message = body
    if attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for item in attachments:
            part = _attachment_part(item)
            part.replace_header("Content-Type", f"{item.maintype}/{item.subtype}")
            part.add_header("Content-Disposition", "attachment", filename=item.filename)
            msg.attach(part)
    msg["From"] = sender
    msg["To"] = recipient
    if reply_to:
        msg["Reply-To"] = reply_to
    subject = email.subject
    msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id
    return msg


def _attachment_part(item: Attachment) -> Message:
    """``MIMEApplication(item.content, item.subtype)``: the same headers in the same
    order and the same base64, without the round trip it makes through the payload
    (the bytes decoded with surrogateescape and encoded back, one error-handler call per
    byte above 127: about half a millisecond for a letter's PDF, issue 13), and with
    ``base64_lines`` for ``base64.encodebytes``."""
    part = MIMENonMultipart("application", item.subtype)
    part.set_payload(base64_lines(item.content).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    return part


def base64_lines(data: bytes) -> bytes:
    """``base64.encodebytes(data)``: lines of 76 characters (57 bytes), each ending in
    LF. Encoded in one call and then cut, not one call and one list entry per line (a
    letter's PDF is about five hundred lines): 57 is a multiple of 3, so no line but
    the last has padding, and the lines cut are the ones encoded one by one."""
    if not data:
        return b""
    encoded = binascii.b2a_base64(data, newline=False)
    return b"\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + b"\n"


# Quoted-printable for UTF-8 text: readable in the raw message, as EmailMessage chose.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


def _text_part(text: str, subtype: str) -> MIMEText:
    if text.isascii() and all(len(line) <= 78 for line in text.splitlines()):
        return MIMEText(text, subtype, "us-ascii")  # 7bit, as it is
    return MIMEText(text, subtype, _UTF8_QP)


def _international_message(
    email: RenderedEmail, headers: dict[str, str], attachments: tuple[Attachment, ...]
) -> EmailMessage:
    msg = EmailMessage()
    for name in ("From", "To", "Reply-To", "Subject"):
        if name in headers:
            msg[name] = headers[name]
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = headers["Message-ID"]
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    for item in attachments:
        msg.add_attachment(
            item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename
        )
    return msg


class _BytesGenerator(BytesGenerator):
    """``BytesGenerator``'s bytes for less work (issue 13: flattening was most of the
    SMTP send's CPU, about 2.2 ms for a letter email, now about 0.8). A part's lines go
    out in one write, not one write and one encode per line (a letter's PDF is about a
    thousand lines of base64): splitting on line breaks and writing each line and a
    separator is replacing each break by the separator (a plain replace when the text
    holds no CR). A new boundary is looked for in the message's text as a substring
    first; only when it occurs does the line-anchored regex decide, as it always did."""

    def _write_headers(self, msg: Message) -> None:
        """``BytesGenerator._write_headers``, each header folded by ``_folded``: most of
        an email's headers (MIME-Version, the parts' Content-Type and
        Content-Transfer-Encoding, From, Reply-To, the attachment's disposition) are
        the same from email to email, and folding one through ``email.header`` costs
        more than the rest of writing it (issue 13)."""
        policy = self.policy
        if type(policy) is not Compat32:
            super()._write_headers(msg)
            return
        settings = (policy.linesep, policy.max_line_length, policy.cte_type == "7bit")
        write = self._fp.write
        for name, value in msg.raw_items():
            if value.__class__ is str:
                write(_folded(name, value, *settings))
            else:
                write(policy.fold_binary(name, value))
        self.write(self._NL)

    def _write_lines(self, lines: str) -> None:
        if lines:
            # Without a CR every break is an LF: a plain replace does what the regex does.
            self.write(
                NLCRE.sub(self._NL, lines) if "\r" in lines else lines.replace("\n", self._NL)
            )

    @classmethod
    def _make_boundary(cls, text: str | None = None) -> str:
        token = random.randrange(sys.maxsize)
        boundary = ("=" * 15) + (_BOUNDARY_FORMAT % token) + "=="
        if text is None:
            return boundary
        b = boundary
        counter = 0
        while _contains(text, "--" + b) and cls._compile_re(
            "^--" + re.escape(b) + "(--)?$", re.MULTILINE
        ).search(text):
            b = boundary + "." + str(counter)
            counter += 1
        return b


@lru_cache(maxsize=512)
def _folded(
    name: str, value: str, linesep: str, max_line_length: int | None, sanitize: bool
) -> bytes:
    """What ``Compat32.fold_binary`` makes of a header (a function of the name, the value
    and these three settings of the policy), once per process for the same header."""
    policy = compat32.clone(linesep=linesep, max_line_length=max_line_length)
    return policy._fold(name, value, sanitize=sanitize).encode("ascii", "surrogateescape")


# email.generator's boundary: '=' * 15, the token zero-padded to sys.maxsize's digits, '=='.
_BOUNDARY_FORMAT = f"%0{len(repr(sys.maxsize - 1))}d"


def _contains(text: str | bytes, needle: str) -> bool:
    return (needle.encode("ascii") if isinstance(text, bytes) else needle) in text


def flatten(message: Message) -> bytes:
    """The message as ``smtplib.SMTP.send_message`` puts it on the wire (CRLF), for an
    ASCII-only message (the compat32 one ``build_message`` makes)."""
    out = io.BytesIO()
    # The generator's "From " mangling (compat32's) runs a regex over every text part,
    # the PDF's base64 too; a message with no "From " anywhere in its parts is the same
    # without it, and a substring test is much cheaper (issue 13).
    mangle = any(
        isinstance(part._payload, str) and "From " in part._payload for part in message.walk()
    )
    _BytesGenerator(out, mangle_from_=None if mangle else False).flatten(message, linesep="\r\n")
    return out.getvalue()


def envelope_of(message: Message) -> tuple[str, list[str]] | None:
    """The envelope ``send_message`` derives from the headers (From; To and Cc), for a
    compat32 message with ASCII addresses and none of the headers ``send_message`` reads
    or strips (Sender, Bcc, Resent-*): the messages ``build_message`` makes. None for
    any other (an ``EmailMessage`` needing SMTPUTF8, say): ``send_message`` sends it."""
    if isinstance(message, EmailMessage) or any(
        message[name] is not None for name in ("Sender", "Bcc", "Resent-Date", "Resent-Bcc")
    ):
        return None
    sender = getaddresses([message["From"]])[0][1]
    fields = [message[name] for name in ("To", "Cc") if message[name] is not None]
    recipients = [address for _, address in getaddresses(fields)]
    if not all(address.isascii() for address in (sender, *recipients)):
        return None
    return sender, recipients


class EmailSender(Protocol):
    def send(
        self,
        message: Message,
        on_accepted: Callable[[], None] | None = None,
        holding: Callable[[], bool] | None = None,
    ) -> None:
        """Send one message. ``on_accepted`` runs as soon as the server accepted it (its
        reply to DATA), before the session is closed, so the caller can record the send
        before anything else can fail. ``holding``, when given, is asked right before
        the message's data goes out and then every second while the server's reply to
        it is awaited whether the caller still holds the delivery (and keeps holding
        it): False before the data, nothing is sent (``ClaimLost``); False while
        waiting, the wait stops."""
        ...


class ClaimLost(smtplib.SMTPException):
    """The caller's hold on the delivery was gone before the message's data went out:
    the transaction was dropped before its final dot, so the server has nothing."""


# RFC 5321 4.5.3.2.6, "DATA Termination: 10 minutes": once the final dot is written the
# server may take long to answer (it queues the message first), and a sender that gives
# up earlier sends again a message the server took (RFC 1047). smtplib waited one socket
# timeout (10 s): a server, or a machine, busy for longer got every such email twice.
FINAL_REPLY_WAIT_S = 600.0


class _FinalDot:
    """smtplib's DATA, as the standard library writes it, but around the final dot:
    ``holding`` (set per message by SMTPSender) is asked before the message goes out,
    and the server's reply to the dot is awaited for up to ``final_reply_wait_s``
    (asking ``holding`` again every second), not one socket timeout."""

    holding: Callable[[], bool] | None = None
    final_reply_wait_s: float = FINAL_REPLY_WAIT_S

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        smtp: Any = self
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")  # type: ignore[attr-defined]
        quoted = dot_stuffed(msg)
        if quoted[-2:] != b"\r\n":
            quoted += b"\r\n"
        if self.holding is not None and not self.holding():
            smtp.close()  # before the final dot: the server drops the transaction
            raise ClaimLost("the delivery was taken back before its message went out")
        smtp.send(quoted + b".\r\n")
        self._await_final_reply()
        return smtp.getreply()

    def _await_final_reply(self) -> None:
        """Until the reply to the final dot can be read (then ``getreply`` reads it as
        always, with the socket's timeout), for at most ``final_reply_wait_s``; every
        second without it (or socket timeout, if shorter), ``holding`` says whether to
        wait on (False: the read that follows times out as it did before)."""
        sock: Any = getattr(self, "sock", None)
        timeout = sock.gettimeout() if sock is not None else None
        if not timeout:
            return  # no timeout: the read waits as long as it takes anyway
        step = min(timeout, 1.0)  # a claim of a few seconds is still kept
        deadline = time.monotonic() + self.final_reply_wait_s
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        while True:
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                return
            left = deadline - time.monotonic()
            if left <= 0 or poller.poll(min(step, left) * 1000):
                return
            if self.holding is not None and not self.holding():
                return


def dot_stuffed(data: bytes) -> bytes:
    """``smtplib._quote_periods``: a line starting with a dot gets another (RFC 5321
    4.5.2). Its line-anchored regex walked every line of a letter email, about 0.2 ms
    for the PDF's base64, in which no line starts with a dot (issue 13); a substring
    search says first whether any line does."""
    if not data.startswith(b".") and b"\n." not in data:
        return data
    return smtplib._quote_periods(data)  # type: ignore[attr-defined]


class _SMTP(_FinalDot, smtplib.SMTP):
    pass


class _SMTP_SSL(_FinalDot, smtplib.SMTP_SSL):  # noqa: N801 - after smtplib's name
    pass


@dataclass(frozen=True)
class SMTPConfig:
    host: str
    port: int
    use_ssl: bool
    starttls: bool
    username: str | None
    password: str | None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str) -> SMTPConfig:
        """``smtp://user:pass@host:587?starttls=true`` or ``smtps://host:465``."""
        parts = urlparse(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, got {url!r}")
        query = parse_qs(parts.query)
        use_ssl = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (465 if use_ssl else 25),
            use_ssl=use_ssl,
            starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SMTPSender:
    """Sends over one SMTP connection kept open per process (and per thread), so an
    event's emails, and the next event's, go over the same session instead of a TCP
    connect, EHLO, STARTTLS, login and QUIT each (issue 13).

    A connection idle for more than ``check_after_s`` is asked NOOP before it is used
    again, and opened anew when the server has gone or answers anything but 250. Any
    failure during a transaction drops the connection; the next send opens a new one.
    The delivery guarantees do not change: ``on_accepted`` still runs on the server's
    reply to DATA, before anything else is said on the connection."""

    def __init__(self, config: SMTPConfig, check_after_s: float = 1.0) -> None:
        self.config = config
        self.check_after_s = check_after_s
        self.clock: Callable[[], float] = time.monotonic  # tests move it forward
        self._local = threading.local()
        self._lock = threading.Lock()
        self._held: dict[int, smtplib.SMTP] = {}  # every thread's connection, for close()
        self._pid = os.getpid()
        # A sender dropped without close() (a test's app, a process winding down) still
        # closes its sockets rather than leave them to the garbage collector.
        weakref.finalize(self, _close_all, self._held)
        self.opened = 0  # connections opened so far (a figure for tests and metrics)

    def send(
        self,
        message: Message,
        on_accepted: Callable[[], None] | None = None,
        holding: Callable[[], bool] | None = None,
    ) -> None:
        smtp = self._connection()
        smtp.holding = holding
        try:
            envelope = envelope_of(message)
            if envelope is None:
                smtp.send_message(message)  # SMTPUTF8, or headers send_message reads
            else:
                smtp.sendmail(*envelope, flatten(message))
        except smtplib.SMTPRecipientsRefused as exc:
            self._drop()
            codes = [code for code, _ in exc.recipients.values()]
            raise _classify(min(codes), str(exc)) from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise _classify(exc.smtp_code, str(exc)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            self._drop()  # ``holding`` raised, say: the session is mid-transaction
            raise
        finally:
            smtp.holding = None
        # The server answered 250 to DATA: the message is its responsibility now.
        # Record that first, before anything else of ours (the accept mark's window,
        # docs/notifications.md); nothing said on the connection afterwards (the next
        # message, a NOOP, QUIT) can make it look like a failed send.
        if on_accepted is not None:
            on_accepted()
        self._local.used_at = self.clock()

    def close(self) -> None:
        """QUIT every connection this process holds (worker shutdown, tests); a failing
        QUIT changes nothing."""
        with self._lock:
            _close_all(self._held)
        self._local = threading.local()

    def _drop(self) -> None:
        """After an error: this thread's connection is closed; the next send opens one."""
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        with self._lock:
            self._held.pop(threading.get_ident(), None)
        if smtp is not None:
            _close_quietly(smtp)

    def _connection(self) -> smtplib.SMTP:
        if self._pid != os.getpid():  # a forked child (Celery's pool): the parent's
            self._pid = os.getpid()  # sockets are not ours to use or QUIT
            self._local, self._lock = threading.local(), threading.Lock()
            self._held.clear()
        smtp = getattr(self._local, "smtp", None)
        idle = smtp is not None and self.clock() - self._local.used_at > self.check_after_s
        if idle and not _answers_noop(smtp):
            self._drop()  # the server went away, or timed the session out
            smtp = None
        if smtp is None:
            smtp = self._open()
            self._local.smtp = smtp
            with self._lock:
                self._held[threading.get_ident()] = smtp
        self._local.used_at = self.clock()
        return smtp

    def _open(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            if cfg.use_ssl:
                smtp: smtplib.SMTP = _SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = _SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
        try:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, cfg.password or "")
        except smtplib.SMTPResponseException as exc:
            _close_quietly(smtp)
            raise _classify(exc.smtp_code, str(exc)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(smtp)
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
        self.opened += 1
        return smtp


def _close_all(held: dict[int, smtplib.SMTP]) -> None:
    for smtp in list(held.values()):
        _close_quietly(smtp)
    held.clear()


def _answers_noop(smtp: smtplib.SMTP) -> bool:
    try:
        return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _close_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _classify(code: int, detail: str) -> Exception:
    if 500 <= code < 600:
        return PermanentSendError(f"{code}: {detail}")
    return TransientSendError(f"{code}: {detail}")
