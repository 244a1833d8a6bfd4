"""The pre-visit link (issue 15 item 2): the front desk sends a client a signed,
expiring, single-purpose link; the client fills in their own contact details, PAR-Q+,
warning signs, pain and history on their phone; what they send is a draft that the
clerk reviews, completes and has signed at the desk. Screening starts only then, or at
once when the client reports an emergency-grade warning sign.

The link is ``/previsit/`` plus 44 characters: a purpose byte, the link id (16), the
issue time (4) and 12 bytes (96 bits) of HMAC-SHA256 over those and the link's random
nonce, keyed by INTAKE_PREVISIT_SECRET with a salt of its own (so it is no staff
credential and no other link). Checking it needs the nonce, so the row is read first;
the row's ``expires_at`` and ``status`` decide whether it still opens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from inscope_common.audit import Actor, add_entry
from inscope_common.db import utcnow
from inscope_common.events import make_event
from inscope_common.runtime import Runtime
from inscope_intake import service
from inscope_intake.models import AuditEntry, PrevisitLink

LINK_SALT = b"inscope.intake.previsit-link.v1"
PURPOSE = 0x50  # "P": a pre-visit link; the byte is signed, so no other link passes
LINK_LENGTH = 44
FORM_SALT = b"inscope.intake.previsit-form.v1"

# Whoever holds the link (the client it was emailed to): the link is the key.
PREVISIT_ACTOR = Actor("previsit-link", "holder of the pre-visit link", "client", "previsit_link")


class LinkProblem(Exception):
    """Why a link cannot be used; ``kind`` picks the page's words, ``status`` the code."""

    def __init__(self, kind: str, status: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status


@dataclass(frozen=True)
class Opened:
    link_id: str
    head: bytes
    mac: bytes


def _mac(secret: str, head: bytes, nonce: str) -> bytes:
    return hmac.new(secret.encode(), LINK_SALT + head + nonce.encode(), hashlib.sha256).digest()[
        :12
    ]


def issue(secret: str, link_id: str, nonce: str, issued_at: datetime) -> str:
    head = (
        bytes([PURPOSE]) + uuid.UUID(link_id).bytes + int(issued_at.timestamp()).to_bytes(4, "big")
    )
    return base64.urlsafe_b64encode(head + _mac(secret, head, nonce)).decode()


def open_token(token: str) -> Opened:
    """What a link names, unchecked; raises LinkProblem("invalid") if it cannot be one."""
    if len(token) != LINK_LENGTH:
        raise LinkProblem("invalid", 400)
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        raise LinkProblem("invalid", 400) from None
    if len(raw) != 33 or raw[0] != PURPOSE:
        raise LinkProblem("invalid", 400)
    return Opened(str(uuid.UUID(bytes=raw[1:17])), raw[:21], raw[21:])


def form_key(secret: str, token: str) -> str:
    """What the client's form carries back: only a page rendered for this link makes it."""
    return hmac.new(secret.encode(), FORM_SALT + token.encode(), hashlib.sha256).hexdigest()


def link_url(rt: Runtime, row: PrevisitLink) -> str:
    token = issue(rt.settings.previsit_secret, row.id, row.nonce, row.created_at)
    return f"{rt.settings.public_url}/previsit/{token}"


# --- the front desk ------------------------------------------------------------------


def send_link(
    rt: Runtime,
    first_name: str,
    last_name: str,
    email: str,
    actor: Actor,
    language: str | None = None,
) -> PrevisitLink:
    """A new link, its audit row and ``intake.previsit_invited`` (notify emails it) in
    one transaction. The event carries the link, never the address: notify reads the
    address from this service when it sends (README, PHI boundary)."""
    now = utcnow().replace(microsecond=0)  # the link carries whole seconds
    days = getattr(rt.settings, "previsit_link_days", 7.0)
    with rt.unit_of_work() as uow:
        row = PrevisitLink(
            id=str(uuid.uuid4()),
            first_name=first_name,
            last_name=last_name,
            email=email,
            # The client's language (the email and the page); the facility's if not said.
            language=language or rt.settings.language,
            nonce=secrets.token_urlsafe(16),
            created_at=now,
            expires_at=now + timedelta(days=days),
            sent_by=actor.account_id,
            sent_by_name=actor.name,
            status="sent",
            emergency=False,
        )
        uow.session.add(row)
        uow.session.flush()
        add_entry(uow.session, AuditEntry, actor, "create", "previsit_link", row.id, None)
        uow.add_event(
            make_event(
                "intake.previsit_invited.v1",
                source="/inscope/intake",
                subject=row.id,
                # No client or intake exists yet: the link stands in for both (notify keys
                # its delivery rows by them).
                data={
                    "intake_id": row.id,
                    "client_id": row.id,
                    "invitation_id": row.id,
                    "link_url": link_url(rt, row),
                    "expires_at": row.expires_at.isoformat(),
                },
            )
        )
    return row


# How long a tablet handed to a client opens: one sitting at the desk.
TABLET_HOURS = 2.0


def start_tablet(rt: Runtime, first_name: str, last_name: str, actor: Actor,
                 language: str | None = None) -> PrevisitLink:
    """The desk hands its tablet to the client (issue 15 item 2, "hand to client"): a
    link as the emailed one, opened on the tablet instead of emailed, so the client's
    answers become the same draft for the desk's review. No event: nothing is sent."""
    now = utcnow().replace(microsecond=0)
    with rt.unit_of_work() as uow:
        row = PrevisitLink(
            id=str(uuid.uuid4()),
            first_name=first_name,
            last_name=last_name,
            email="",
            language=language or rt.settings.language,
            nonce=secrets.token_urlsafe(16),
            created_at=now,
            expires_at=now + timedelta(hours=TABLET_HOURS),
            sent_by=actor.account_id,
            sent_by_name=actor.name,
            status="sent",
            emergency=False,
            channel="tablet",
        )
        uow.session.add(row)
        uow.session.flush()
        add_entry(
            uow.session,
            AuditEntry,
            actor,
            "create",
            "previsit_link",
            row.id,
            None,
            detail="handed the tablet to the client",
        )
    return row


def token_of(rt: Runtime, row: PrevisitLink) -> str:
    return issue(rt.settings.previsit_secret, row.id, row.nonce, row.created_at)


def tablet_link(rt: Runtime, token: str) -> PrevisitLink | None:
    """The link a tablet's cookie names, whatever its status (None: not a genuine one):
    the desk takes the tablet back from a client who finished, or who did not."""
    try:
        opened = open_token(token)
    except LinkProblem:
        return None
    row = get_link(rt, opened.link_id)
    if row is None or row.channel != "tablet":
        return None
    expected = _mac(rt.settings.previsit_secret, opened.head, row.nonce)
    if not hmac.compare_digest(opened.mac, expected):
        return None
    return row


def take_back(rt: Runtime, link_id: str, actor: Actor) -> PrevisitLink | None:
    """The desk signed in again on the tablet: a session the client never sent ends
    (withdrawn: it no longer opens); one answered waits for review as it is."""
    with rt.unit_of_work() as uow:
        row = uow.session.get(PrevisitLink, link_id, with_for_update=True)
        if row is None:
            return None
        if row.status == "sent":
            row.status = "withdrawn"
        add_entry(
            uow.session,
            AuditEntry,
            actor,
            "update",
            "previsit_link",
            row.id,
            None,
            detail=f"took the tablet back ({row.status})",
        )
    return row


def withdraw(rt: Runtime, link_id: str, actor: Actor) -> PrevisitLink | None:
    """Stop a link that waits for the client (sent to the wrong address, say): it no
    longer opens and is not emailed if notify has not sent it yet. None: no such link;
    a link already answered is left as it is (LinkProblem "used")."""
    with rt.unit_of_work() as uow:
        row = uow.session.get(PrevisitLink, link_id, with_for_update=True)
        if row is None:
            return None
        if row.status != "sent":
            raise LinkProblem("used", 409)
        row.status = "withdrawn"
        add_entry(
            uow.session,
            AuditEntry,
            actor,
            "update",
            "previsit_link",
            row.id,
            None,
            detail="withdrawn",
        )
    return row


def recent_links(rt: Runtime, limit: int = 50) -> list[PrevisitLink]:
    with rt.session_factory() as session:
        return list(
            session.scalars(
                select(PrevisitLink).order_by(PrevisitLink.created_at.desc()).limit(limit)
            )
        )


def get_link(rt: Runtime, link_id: str) -> PrevisitLink | None:
    with rt.session_factory() as session:
        return session.get(PrevisitLink, link_id)


def screened_online(rt: Runtime, intake_id: str) -> PrevisitLink | None:
    """The link whose emergency answer made this intake before the desk saw the client
    (the intake page says so: not yet checked with them, not signed at the desk)."""
    with rt.session_factory() as session:
        return session.scalar(
            select(PrevisitLink).where(
                PrevisitLink.intake_id == intake_id, PrevisitLink.status == "submitted"
            )
        )


def contact_of(rt: Runtime, link_id: str) -> dict[str, Any] | None:
    """What notify needs to email the link: the name to greet, the address, and whether
    the link still waits for the client (a used or withdrawn one is not emailed)."""
    row = get_link(rt, link_id)
    if row is None:
        return None
    return {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "language": row.language or rt.settings.language,
        "status": row.status,
        "expires_at": row.expires_at.isoformat(),
    }


# --- the client ----------------------------------------------------------------------


def open_link(rt: Runtime, token: str) -> PrevisitLink:
    """The link's row if the link is ours, unexpired and unused; raises LinkProblem."""
    opened = open_token(token)
    row = get_link(rt, opened.link_id)
    if row is None:
        raise LinkProblem("invalid", 400)
    return _check(rt, row, opened)


def _check(rt: Runtime, row: PrevisitLink, opened: Opened) -> PrevisitLink:
    expected = _mac(rt.settings.previsit_secret, opened.head, row.nonce)
    if not hmac.compare_digest(opened.mac, expected):
        raise LinkProblem("invalid", 400)
    if row.status == "withdrawn":
        raise LinkProblem("withdrawn", 410)
    if row.status != "sent":
        raise LinkProblem("used", 410)
    if utcnow() >= row.expires_at:
        raise LinkProblem("expired", 410)
    return row


def submit_draft(
    rt: Runtime,
    token: str,
    values: dict[str, str],
    emergency: bool,
    screen_now: dict[str, Any] | None = None,
) -> PrevisitLink:
    """Keep what the client sent as a draft (the link is then used) and audit it. With
    ``screen_now`` (an emergency-grade warning sign; the loaded request body) the intake
    is stored and screened at once, in the same transaction, so the board shows it."""
    opened = open_token(token)
    with rt.unit_of_work() as uow:
        row = uow.session.get(PrevisitLink, opened.link_id, with_for_update=True)
        if row is None:
            raise LinkProblem("invalid", 400)
        _check(rt, row, opened)  # again, under the lock: a link is used once
        row.draft = values
        row.submitted_at = utcnow()
        row.status = "submitted"
        row.emergency = emergency
        client_id = None
        if screen_now is not None:
            # The staff member who sent the link (or handed the tablet) is responsible.
            intake = service.store_intake(
                uow,
                screen_now["client"],
                screen_now["intake"],
                PREVISIT_ACTOR,
                None,
                service.Responsible(row.sent_by, row.sent_by_name),
            )
            row.intake_id, client_id = intake.id, intake.client_id
        add_entry(
            uow.session, AuditEntry, PREVISIT_ACTOR, "create", "previsit_draft", row.id, client_id
        )
    return row
