"""The stuck-work sweep: what should have moved on by now and has not, with the action
that fixes each, for the admin's dead-letter page.

- outbox events unpublished well after their commit (the relay is down, or cannot reach
  the broker): publish now;
- messages of this service's queue a worker took and never acknowledged, for longer
  than the visibility timeout (its worker died and no worker has restored them yet):
  put back on the queue;
- events of this service's outbox a consumer has still not settled after the relay
  sent them again repeatedly (the delivery ledger): send again now;
- whatever the service adds (notify: deliveries ``sending`` past their claim, and
  failed deliveries, with a resend).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from flask import Flask
from sqlalchemy import select

from inscope_common.db import read_only, utcnow
from inscope_common.delivery_ledger import REPEATED_REPUBLISHES
from inscope_common.outbox import CONSUMERS

# An outbox row this much older than the relay's grace period is stuck.
OUTBOX_STUCK_AFTER_S = 60.0
# kombu's Redis transport keeps taken, unacknowledged messages here.
UNACKED_KEY = "unacked"
UNACKED_INDEX_KEY = "unacked_index"


@dataclass(frozen=True)
class StuckItem:
    kind: str  # outbox | unacked | delivery_sending | delivery_failed
    ref: str  # what the action applies to
    since: datetime | None
    what: str  # what is stuck, in words
    fix: str  # what the action does, or what the operator should do
    action: str | None = None  # the button's label; None: nothing to press


Check = Callable[[Any], list[StuckItem]]
Action = Callable[[Any, str], bool]


def register(app: Flask, kind: str, check: Check, action: Action | None = None) -> None:
    """A service adds its own kind of stuck work (and the action that fixes it)."""
    app.extensions.setdefault("inscope_stuck_checks", {})[kind] = (check, action)


def checks(app: Flask) -> dict[str, tuple[Check, Action | None]]:
    return {
        "outbox": (stuck_outbox, publish_outbox_event),
        "unacked": (stuck_unacked, requeue_unacked),
        "ledger": (stuck_ledger, republish_ledger),
        **app.extensions.get("inscope_stuck_checks", {}),
    }


def sweep(app: Flask, rt: Any) -> tuple[list[StuckItem], list[str]]:
    """Every stuck item, and the checks that could not run (broker down, say)."""
    items: list[StuckItem] = []
    failed: list[str] = []
    for kind, (check, _action) in checks(app).items():
        try:
            items.extend(check(rt))
        except Exception:
            failed.append(kind)
    return items, failed


def act(app: Flask, rt: Any, kind: str, ref: str) -> bool:
    check_and_action = checks(app).get(kind)
    if check_and_action is None or check_and_action[1] is None:
        return False
    return check_and_action[1](rt, ref)


# --- the outbox -------------------------------------------------------------------------


def stuck_outbox(rt: Any, now: datetime | None = None) -> list[StuckItem]:
    OutboxEvent = rt.models.OutboxEvent
    cutoff = (now or utcnow()) - timedelta(seconds=OUTBOX_STUCK_AFTER_S)
    with read_only(rt.session_factory)() as session:
        rows = session.execute(
            select(OutboxEvent.id, OutboxEvent.type, OutboxEvent.created_at, OutboxEvent.attempts)
            .where(OutboxEvent.published_at.is_(None), OutboxEvent.created_at <= cutoff)
            .order_by(OutboxEvent.created_at)
            .limit(200)
        ).all()
    return [
        StuckItem(
            "outbox",
            event_id,
            created_at,
            f"{event_type} {event_id} not published ({attempts} relay attempt(s))",
            f"Publish it now; if it stays, check that `inscope-{rt.settings.service} relay` "
            "runs and reaches the broker.",
            "Publish now",
        )
        for event_id, event_type, created_at, attempts in rows
    ]


def publish_outbox_event(rt: Any, event_id: str) -> bool:
    return bool(rt.relay.publish_one(event_id))


# --- events a consumer never settles (the delivery ledger) -------------------------------


def stuck_ledger(rt: Any) -> list[StuckItem]:
    """Events of this service's outbox (or dead letters it replayed to itself) sent
    again ``REPEATED_REPUBLISHES`` times or more and still not settled by their
    consumer: it is down, or something eats them."""
    ledger = rt.relay.ledger
    if ledger is None:
        return []
    items = []
    for consumer in CONSUMERS:
        marks = [
            m
            for m in ledger.pending(consumer, ledger.redeliver_after_s)
            if m.republished >= REPEATED_REPUBLISHES
        ]
        envelopes = rt.relay.envelopes_for(consumer, [m.event_id for m in marks])
        for mark in marks:
            envelope = envelopes.get(mark.event_id)
            if envelope is None:
                continue  # another service's event
            items.append(
                StuckItem(
                    "ledger",
                    f"{consumer}:{mark.event_id}",
                    datetime.fromtimestamp(mark.sent_at, UTC),
                    f"{envelope.get('type')} {mark.event_id} sent to {consumer} "
                    f"{mark.republished + 1} times and never settled",
                    f"Send it again now; if it stays, check that `{consumer}`'s worker runs "
                    "and what it logs for this event.",
                    "Send again",
                )
            )
    return items


def republish_ledger(rt: Any, ref: str) -> bool:
    consumer, _, event_id = ref.partition(":")
    if consumer not in CONSUMERS or not event_id:
        return False
    return rt.relay.republish_to(consumer, event_id)


# --- messages a dead worker holds ---------------------------------------------------------


def _broker(rt: Any) -> redis.Redis:
    return redis.Redis.from_url(rt.settings.redis_url, socket_connect_timeout=0.5, socket_timeout=1)


def stuck_unacked(rt: Any, now: float | None = None) -> list[StuckItem]:
    """Messages of this service's queue taken more than the visibility timeout ago and
    still unacknowledged: a worker that died holding them."""
    ceiling = (now or time.time()) - rt.settings.visibility_timeout_s
    client = _broker(rt)
    try:
        tags = client.zrangebyscore(UNACKED_INDEX_KEY, 0, ceiling, withscores=True)
        items = []
        for tag, score in tags:
            raw = client.hget(UNACKED_KEY, tag)
            if raw is None:
                continue
            message, _exchange, routing_key = json.loads(raw)
            if routing_key != rt.settings.queue:
                continue
            task = (message.get("headers") or {}).get("task", "?")
            taken = datetime.fromtimestamp(score, UTC)
            items.append(
                StuckItem(
                    "unacked",
                    tag.decode() if isinstance(tag, bytes) else str(tag),
                    taken,
                    f"{task} message taken by a worker and never acknowledged",
                    "Put it back on the queue (a worker would restore it on its next scan; "
                    "none has).",
                    "Requeue",
                )
            )
        return items
    finally:
        client.close()


def requeue_unacked(rt: Any, tag: str) -> bool:
    """What kombu's restore does: back onto its queue (marked redelivered), out of the
    unacknowledged set, in one transaction."""
    client = _broker(rt)
    try:
        with client.pipeline() as pipe:
            pipe.watch(UNACKED_KEY)
            raw = pipe.hget(UNACKED_KEY, tag)
            if raw is None:
                return False
            message, _exchange, routing_key = json.loads(raw)
            if routing_key != rt.settings.queue:
                return False
            message.setdefault("headers", {})["redelivered"] = True
            pipe.multi()
            pipe.rpush(routing_key, json.dumps(message))
            pipe.zrem(UNACKED_INDEX_KEY, tag)
            pipe.hdel(UNACKED_KEY, tag)
            pipe.execute()
        return True
    except redis.WatchError:
        return False  # a worker restored or acknowledged it meanwhile
    finally:
        client.close()
