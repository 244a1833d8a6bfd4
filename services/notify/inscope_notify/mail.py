"""Email: templates rendered into an EmailMessage, sent through a sender interface.

One template folder per email (``subject.txt``, ``body.txt``, ``body.html``), after
pypi/warehouse. ``SMTPSender`` is the one transport; tests may pass their own sender.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from functools import cache
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from inscope_common.localtime import Locale, install_filters

_env = Environment(
    loader=PackageLoader("inscope_notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


install_filters(_env, Locale())  # UTC and ISO dates unless the facility sets its own


@cache
def _env_for(locale: Locale) -> Environment:
    """The templates with the facility's ``local_datetime``/``local_date`` filters."""
    env = _env.overlay()
    install_filters(env, locale)
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
    env = _env_for(locale) if locale is not None else _env
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
) -> EmailMessage:
    """Text and HTML alternatives, then any attachment (multipart/mixed). Header values
    come from our own records; EmailMessage refuses CR/LF in them."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    for item in attachments:
        msg.add_attachment(
            item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename
        )
    return msg


class EmailSender(Protocol):
    def send(self, message: EmailMessage, on_accepted: Callable[[], None] | None = None) -> None:
        """Send one message. ``on_accepted`` runs as soon as the server accepted it (its
        reply to DATA), before the session is closed, so the caller can record the send
        before anything else can fail."""
        ...


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
    def __init__(self, config: SMTPConfig) -> None:
        self.config = config

    def send(self, message: EmailMessage, on_accepted: Callable[[], None] | None = None) -> None:
        cfg = self.config
        try:
            if cfg.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
        try:
            try:
                if cfg.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.username:
                    smtp.login(cfg.username, cfg.password or "")
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                raise _classify(min(codes), str(exc)) from exc
            except smtplib.SMTPResponseException as exc:
                raise _classify(exc.smtp_code, str(exc)) from exc
            except (OSError, smtplib.SMTPException) as exc:
                raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
            # The server answered 250 to DATA: the message is its responsibility now.
            # Record that first; a failing QUIT afterwards must not look like a failed send.
            if on_accepted is not None:
                on_accepted()
        finally:
            _close_quietly(smtp)


def _close_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _classify(code: int, detail: str) -> Exception:
    if 500 <= code < 600:
        return PermanentSendError(f"{code}: {detail}")
    return TransientSendError(f"{code}: {detail}")
