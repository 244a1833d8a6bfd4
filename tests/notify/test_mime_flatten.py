"""Notify builds and flattens its messages itself (issue 13): the bytes smtplib's
send_message would put on the wire, for less CPU. Compared with the standard library's
BytesGenerator, on a message whose attachment the standard library's MIMEApplication
built, under the same random state (the one thing that differs from message to message:
the multipart boundaries)."""

from __future__ import annotations

import base64
import io
import random
import smtplib
from email.generator import BytesGenerator
from email.mime.application import MIMEApplication

import pytest

from inscope_notify import mail
from inscope_notify.mail import (
    Attachment,
    RenderedEmail,
    build_message,
    envelope_of,
    flatten,
)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 300  # about a letter's size, every byte value

HEADERS = {
    "sender": "InScope Studio <notify@inscope-studio.example>",
    "recipient": "p.shah@lakeside-clinic.example",
    "message_id": "<event-1.physician@inscope.local>",
    "reply_to": "trainers@inscope-studio.example",
}


def stdlib_wire(message) -> bytes:
    """What smtplib.SMTP.send_message flattens (its own BytesGenerator, CRLF)."""
    out = io.BytesIO()
    BytesGenerator(out).flatten(message, linesep="\r\n")
    return out.getvalue()


def both(email: RenderedEmail, attachments=(), seed: int = 7) -> tuple[bytes, bytes]:
    message = build_message(email, attachments=attachments, **HEADERS)
    message.replace_header("Date", "Fri, 04 Dec 2026 17:00:00 -0000")
    random.seed(seed)
    ours = flatten(message)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            mail, "_attachment_part", lambda item: MIMEApplication(item.content, item.subtype)
        )
        message = build_message(email, attachments=attachments, **HEADERS)
    message.replace_header("Date", "Fri, 04 Dec 2026 17:00:00 -0000")
    random.seed(seed)
    return ours, stdlib_wire(message)


@pytest.mark.parametrize(
    "email",
    [
        RenderedEmail("Referral request", "Dear Dr. Shah,\n\nSee the letter.\n", "<p>Hi</p>"),
        # Non-ASCII and long lines: quoted-printable, a UTF-8 encoded-word subject.
        RenderedEmail(
            "Ihr Programm für Łukasz",
            "Hola Łukasz,\n" + "palabra " * 40 + "\n\nGracias\n",
            "<p>Łukasz</p>\n<p>" + "x" * 120 + "</p>",
        ),
        # Carriage returns of every kind in a part.
        RenderedEmail("Mixed breaks", "one\r\ntwo\rthree\nfour\r\n", "<p>a</p>\r<p>b</p>"),
        RenderedEmail("No final break", "no break at the end", "<p>end</p>"),
        # Lines starting "From " are mangled (compat32), as the standard library does.
        RenderedEmail("From the studio", "Hi,\nFrom now on\n>From x\n", "<p>x</p>\nFrom y"),
    ],
)
def test_the_wire_bytes_are_the_standard_librarys(email):
    for attachments in ((), (Attachment("inscope-referral-letter-2026-12-04.pdf", PDF),)):
        ours, theirs = both(email, attachments)
        assert ours == theirs


@pytest.mark.parametrize("size", [0, 1, 2, 3, 56, 57, 58, 114, 115, 1000, len(PDF)])
def test_base64_lines_are_encodebytes(size):
    data = PDF[:size]
    assert mail.base64_lines(data) == base64.encodebytes(data)


def test_a_header_is_folded_as_the_standard_library_folds_it():
    """Folded headers are kept per process: the same header folds the same, a long one
    too (the multipart boundary, a long subject), and whatever the policy's line end."""
    long_subject = "Referral request: " + "word " * 30
    email = RenderedEmail(long_subject, "text", "<p>html</p>")
    for _ in range(2):
        ours, theirs = both(email, (Attachment("a.pdf", PDF),))
        assert ours == theirs
    message = build_message(email, **HEADERS)
    for linesep in ("\n", "\r\n"):
        out = io.BytesIO()
        mail._BytesGenerator(out).flatten(message, linesep=linesep)
        reference = io.BytesIO()
        BytesGenerator(reference).flatten(message, linesep=linesep)
        assert (
            out.getvalue().split(b"\n\n" if linesep == "\n" else b"\r\n\r\n")[0]
            == (reference.getvalue().split(b"\n\n" if linesep == "\n" else b"\r\n\r\n")[0])
        )


def test_a_boundary_that_occurs_in_the_text_is_changed_as_the_standard_library_does():
    """The text ends with a line that is the very boundary the random state will draw
    (the standard library's check finds it there: its ``$`` does not match before a
    CRLF), so both add the same suffix; a boundary only inside the text is as the
    standard library leaves it."""
    random.seed(11)
    drawn = BytesGenerator._make_boundary()
    email = RenderedEmail("Boundary", f"before\n--{drawn}\nafter\n", f"<p>x</p>\n--{drawn}")
    for seed in (11, 12):
        ours, theirs = both(email, (Attachment("a.pdf", PDF),), seed=seed)
        assert ours == theirs
    assert f"--{drawn}.0".encode() in both(email, seed=11)[0]


def test_the_envelope_is_send_messages():
    message = build_message(RenderedEmail("S", "T", "<p>H</p>"), **HEADERS)
    assert envelope_of(message) == (
        "notify@inscope-studio.example",
        ["p.shah@lakeside-clinic.example"],
    )
    # An international address needs SMTPUTF8: left to send_message.
    international = build_message(
        RenderedEmail("S", "T", "<p>H</p>"), **{**HEADERS, "recipient": "łukasz@example.pl"}
    )
    assert envelope_of(international) is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b".",
        b".\r\n",
        b"a\r\n.b\r\n..c\r\n",
        b".starts\r\nmid . dot\r\n.\r\n",
        b"no dot at a line start\r\n  .indented\r\n",
        b"lf only\n.dot\n",
        b"cr only\r.not a line start in smtplib's sense\r",
    ],
)
def test_dot_stuffing_is_smtplibs(data):
    assert mail.dot_stuffed(data) == smtplib._quote_periods(data)


def test_a_letter_email_is_not_searched_line_by_line_for_dots(monkeypatch):
    """The wire bytes of a letter email have no line starting with a dot (base64 has
    no dot): the regex is not run over them (issue 13), and they go as they are."""
    ran = []
    monkeypatch.setattr(smtplib, "_quote_periods", lambda data: ran.append(data) or data)
    message = mail.build_message(
        mail.RenderedEmail("Referral", "Dear Dr. Shah,\n\nPlease see the letter.\n", "<p>x</p>"),
        sender="InScope <no-reply@inscope.example>",
        recipient="physician@example.org",
        message_id="<e.physician@inscope.local>",
        attachments=(mail.Attachment("letter.pdf", bytes(range(256)) * 200),),
    )
    wire = mail.flatten(message)
    assert mail.dot_stuffed(wire) is wire and ran == []
    assert mail.dot_stuffed(wire + b".dot\r\n") and len(ran) == 1
