"""Where the time goes, per stage, read back from the services' own SQLite files.

Best effort and read-only: every service stamps its rows (recorded, scored, decided,
outbox published, delivery created and sent), so for each client the benchmark can
line those stamps up with its own (assessment POST, email accepted) on one wall
clock.  A schema this does not recognise yields an explanation instead of figures.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.flow import ClientRun
from bench.stats import summary

# (name, from point, to point, what happens in between)
STAGES = (
    ("http_to_scored", "post", "scored",
     "assessment web: HTTP, validation, scoring, INSERT (scored_at is stamped before it)"),
    ("scored_to_published", "scored", "scored_pub",
     "assessment web: commit, publish assessment.scored, mark published"),
    ("queue_to_decided", "scored_pub", "decided",
     "broker + referral worker pickup, inbox check, decision"),
    ("decided_to_published", "decided", "decided_pub",
     "referral worker: commit, publish referral.decided, mark published"),
    ("queue_to_delivery_row", "decided_pub", "delivery_created",
     "broker + notify worker pickup, inbox check, contact fetch over HTTP, first delivery row"),
    ("delivery_to_last_sent", "delivery_created", "last_sent",
     "notify worker, email after email: claim, render (letter PDF, scope guard), SMTP send, "
     "settle + notification.sent"),
    ("last_sent_to_accepted", "last_sent", "accepted",
     "sink acceptance vs sent_at stamp (negative: sent_at is stamped after the send)"),
)  # fmt: skip


def _when(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    stamp = datetime.fromisoformat(str(value))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _outbox(db: sqlite3.Connection, event_type: str) -> dict[str, dict[str, Any]]:
    """client id -> the latest event of that type (envelope subject is the client id)."""
    found: dict[str, dict[str, Any]] = {}
    rows = db.execute(
        "SELECT envelope, created_at, published_at, attempts FROM outbox_events"
        " WHERE type = ? ORDER BY created_at",
        (event_type,),
    )
    for envelope, created, published, attempts in rows:
        event = json.loads(envelope)
        found[event["subject"]] = {
            "created": _when(created),
            "published": _when(published),
            "attempts": attempts,
            "data": event.get("data") or {},
        }
    return found


def points_by_client(db_dir: Path) -> dict[str, dict[str, float | None]]:
    points: dict[str, dict[str, float | None]] = {}
    with contextlib.closing(_connect(db_dir / "assessment.sqlite3")) as db:
        for client_id, recorded, scored in db.execute(
            "SELECT client_id, recorded_at, scored_at FROM assessments"
        ):
            points[client_id] = {"recorded": _when(recorded), "scored": _when(scored)}
        for client_id, row in _outbox(db, "assessment.scored.v1").items():
            points.setdefault(client_id, {})["scored_pub"] = row["published"]
    with contextlib.closing(_connect(db_dir / "referral.sqlite3")) as db:
        for client_id, decided in db.execute(
            "SELECT client_id, max(decided_at) FROM decisions WHERE stage = 'assessment'"
            " GROUP BY client_id"
        ):
            points.setdefault(client_id, {})["decided"] = _when(decided)
        for client_id, row in _outbox(db, "referral.decided.v1").items():
            if row["data"].get("stage") == "assessment":
                points.setdefault(client_id, {})["decided_pub"] = row["published"]
    with contextlib.closing(_connect(db_dir / "notify.sqlite3")) as db:
        for client_id, created, sent in db.execute(
            "SELECT client_id, min(created_at), max(sent_at) FROM deliveries GROUP BY client_id"
        ):
            points.setdefault(client_id, {}).update(
                delivery_created=_when(created), last_sent=_when(sent)
            )
    return points


def wait_stamped(db_dir: Path, timeout: float = 20.0) -> float | None:
    """Wait until every outbox row has its ``published_at``: the fast path records its
    publishes in Redis and the relay stamps the rows from that record a few seconds
    later (its grace period and a round), and the breakdown reads those stamps. Seconds
    waited; None if rows were still unstamped at ``timeout``."""
    started = time.monotonic()
    while True:
        left = 0
        for path in db_dir.glob("*.sqlite3"):
            try:
                with contextlib.closing(_connect(path)) as db:
                    left += db.execute(
                        "SELECT count(*) FROM outbox_events WHERE published_at IS NULL"
                    ).fetchone()[0]
            except sqlite3.Error:
                continue  # no outbox in that database
        if left == 0:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        time.sleep(0.2)


def relay_publications(db_dir: Path) -> dict[str, int]:
    """Outbox rows that needed more than one publish attempt, per service."""
    counts = {}
    for service in ("intake", "assessment", "referral"):
        with contextlib.closing(_connect(db_dir / f"{service}.sqlite3")) as db:
            counts[service] = db.execute(
                "SELECT count(*) FROM outbox_events WHERE attempts > 1"
            ).fetchone()[0]
    return counts


def stage_breakdown(db_dir: Path, runs: Iterable[ClientRun]) -> dict[str, Any]:
    """Per stage: latency summary over the given clients, in milliseconds."""
    try:
        points = points_by_client(db_dir)
        retried = relay_publications(db_dir)
    except (sqlite3.Error, OSError, KeyError, ValueError) as exc:
        return {"available": False, "why": f"{type(exc).__name__}: {exc}"}
    samples: dict[str, list[float]] = {name: [] for name, *_ in STAGES}
    total: list[float] = []
    readable: list[float] = []
    for run in runs:
        if run.latency is None or run.client_id not in points:
            continue
        p = dict(points[run.client_id])
        p["post"] = run.assessment_post_wall
        p["accepted"] = max(m.wall for m in run.emails)
        total.append(p["accepted"] - p["post"])
        if p.get("decided_pub") is not None:
            readable.append(p["decided_pub"] - p["post"])
        for name, start, end, _ in STAGES:
            if p.get(start) is not None and p.get(end) is not None:
                samples[name].append(p[end] - p[start])
    return {
        "available": True,
        "clients": len(total),
        "total_ms": summary(total),
        # The decision is readable by the trainer's page once its transaction commits;
        # the outbox stamps `published_at` just after that commit, so POST -> that stamp
        # is an upper bound (a few ms high) of "POST -> decision readable".
        "decision_readable_ms": summary(readable),
        "stages": {name: {"what": what, **summary(samples[name])} for name, _, _, what in STAGES},
        "outbox_rows_with_more_than_one_publish_attempt": retried,
    }
