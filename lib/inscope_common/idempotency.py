"""Idempotency keys for the POSTs that create records (issue 11, item 3).

A client (a page, a script, a retrying proxy) sends ``Idempotency-Key: <key>`` with a
create. The key, a fingerprint of the request (its validated body and who sent it) and
the response are stored in the service's own database, in the same transaction as the
record created: either both exist or neither does. The same key again:

- with the same request: the original response is replayed (same status, same body,
  header ``Idempotent-Replayed: true``) and nothing is created;
- with a different request: 422, the key is not reusable.

Two requests with one key at the same moment: both may miss the stored key and run,
but the key's primary key lets only one transaction commit; the other rolls back whole
(its record with it) and answers as a replay.

Keys expire: the service's relay deletes keys older than
``INSCOPE_IDEMPOTENCY_RETENTION_HOURS`` (24 by default) at most every
``PURGE_EVERY_S`` seconds (:func:`expiry_sweep`), so a key is honoured for at least the
retention and at most that plus ``PURGE_EVERY_S``; after that the same key creates anew.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Response, jsonify
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import JSON, Integer, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from inscope_common.db import UTCDateTime, read_only, utcnow

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
PURGE_EVERY_S = 300.0
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
# Visible ASCII only: a UUID, a ULID, a random token.
KEY_PATTERN = "^[\\x21-\\x7e]{1,200}$"
_KEY = re.compile(KEY_PATTERN)
REUSED = "This Idempotency-Key was used with a different request; use a new key."


class IdempotencyHeaderSchema(Schema):
    """The optional header, as the OpenAPI documents show it."""

    idempotency_key = fields.String(
        data_key=HEADER,
        validate=[validate.Regexp(KEY_PATTERN), validate.Length(min=1, max=MAX_KEY_LENGTH)],
        metadata={
            "description": "Optional. The same key with the same body replays the first "
            "response and creates nothing; with a different body it is a 422. "
            "Pages send one per form render. A key is kept "
            "INSCOPE_IDEMPOTENCY_RETENTION_HOURS (24 by default), then expires."
        },
    )


def declare_idempotency_model(base: type[DeclarativeBase]) -> type:
    """The ``idempotency_keys`` table on a service's own metadata."""

    class IdempotencyKey(base):  # type: ignore[valid-type,misc]
        __tablename__ = "idempotency_keys"
        scope: Mapped[str] = mapped_column(String(100), primary_key=True)
        key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
        fingerprint: Mapped[str] = mapped_column(String(64))
        status_code: Mapped[int] = mapped_column(Integer)
        response: Mapped[Any] = mapped_column(JSON)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    return IdempotencyKey


def purge_expired(
    session_factory: sessionmaker, model: type, retention_s: float, now: datetime | None = None
) -> int:
    """Delete the keys stored more than ``retention_s`` ago; how many went."""
    cutoff = (now or utcnow()) - timedelta(seconds=retention_s)
    with session_factory() as session, session.begin():
        purged = session.execute(delete(model).where(model.created_at < cutoff)).rowcount
    if purged:
        log.info("%d idempotency key(s) expired", purged)
    return purged


def expiry_sweep(
    session_factory: sessionmaker,
    model: type,
    retention_s: float,
    every_s: float = PURGE_EVERY_S,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[], int]:
    """A relay sweep (OutboxRelay.sweeps) that purges expired keys, at most once every
    ``every_s`` seconds (the relay runs its sweeps every round, about once a second)."""
    last: list[float] = []

    def purge_expired_idempotency_keys() -> int:
        now = clock()
        if last and now - last[0] < every_s:
            return 0
        last[:] = [now]
        return purge_expired(session_factory, model, retention_s)

    return purge_expired_idempotency_keys


class KeyReused(ValueError):
    """The key was stored for a different request."""


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: Any


def fingerprint(request: Any, actor: str) -> str:
    """A stable hash of what was asked and by whom (a key is not shared across users)."""
    canonical = json.dumps(
        {"actor": actor, "request": request}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class IdempotencyClaim:
    """One create under a key: look for a stored response first, record one with the
    record created (``record`` runs inside the creating transaction)."""

    model: type
    scope: str
    key: str
    fingerprint: str
    respond: Callable[[Any], tuple[int, Any]] | None = None

    def stored(self, session_factory: sessionmaker) -> Replay | None:
        """The stored response for this key, or None; KeyReused for another request."""
        with read_only(session_factory)() as session:
            row = session.get(self.model, (self.scope, self.key))
            if row is None:
                return None
            if row.fingerprint != self.fingerprint:
                raise KeyReused(REUSED)
            return Replay(row.status_code, row.response)

    def record(self, session: Session, created: Any) -> None:
        """Store the response to this key in the transaction that created ``created``."""
        assert self.respond is not None
        status_code, body = self.respond(created)
        session.add(
            self.model(
                scope=self.scope,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=status_code,
                response=body,
            )
        )
        session.flush()  # a concurrent twin fails here (or at commit), rolling back all


def valid_key(value: str | None) -> bool:
    return value is not None and bool(_KEY.match(value))


def run_once(
    claim: IdempotencyClaim | None,
    session_factory: sessionmaker,
    create: Callable[[], Any],
) -> tuple[Replay | None, Any]:
    """Replay a stored response, or run ``create`` (which must call claim.record in
    its transaction). Returns (replay, None) or (None, what create returned); raises
    KeyReused. A concurrent twin that lost the race on the key answers as a replay."""
    if claim is None:
        return None, create()
    replay = claim.stored(session_factory)
    if replay is not None:
        return replay, None
    try:
        return None, create()
    except IntegrityError:
        replay = claim.stored(session_factory)
        if replay is None:
            raise
        return replay, None


# ---------------------------------------------------------------- for the API views


def api_claim(
    model: type,
    scope: str,
    headers: dict[str, Any],
    request: Any,
    actor_id: str,
    respond: Callable[[Any], tuple[int, Any]],
) -> IdempotencyClaim | None:
    """The claim of an API create whose headers (IdempotencyHeaderSchema) carry a key."""
    key = headers.get("idempotency_key")
    if key is None:
        return None
    return IdempotencyClaim(model, scope, key, fingerprint(request, actor_id), respond)


def api_run_once(
    claim: IdempotencyClaim | None, session_factory: sessionmaker, create: Callable[[], Any]
) -> tuple[Response | None, Any]:
    """run_once for an API view: a replay as a ready response, a reused key as a 422
    naming the header."""
    try:
        replay, created = run_once(claim, session_factory, create)
    except KeyReused as exc:
        abort(422, errors={"headers": {HEADER: [str(exc)]}})
    if replay is None:
        return None, created
    response = jsonify(replay.body)
    response.status_code = replay.status_code
    response.headers[REPLAYED_HEADER] = "true"
    return response, None


# ---------------------------------------------------------------- for the pages

# The hidden field a form carries: one new key per form render, kept when the page comes
# back with errors, so a double click or a resubmit after a timeout creates nothing twice.
PAGE_FIELD = "idempotency_key"
PAGE_REUSED = (
    "This form was already submitted with other answers. Open a new form to submit "
    "another."
)


def form_key(values: dict[str, str]) -> str:
    """The key a rendered form carries: the one it came back with, or a new one."""
    key = values.get(PAGE_FIELD)
    return key if valid_key(key) else str(uuid.uuid4())


def page_claim(
    model: type, scope: str, form: dict[str, str], actor_id: str
) -> IdempotencyClaim | None:
    """The claim of a page's form post; the response stored is the created record's id
    (the page replays it as the redirect to that record)."""
    key = form.get(PAGE_FIELD)
    if not valid_key(key):
        return None
    request = {name: value for name, value in form.items() if name != "csrf_token"}
    return IdempotencyClaim(
        model, scope, key, fingerprint(request, actor_id), lambda row: (303, {"id": row.id})
    )
