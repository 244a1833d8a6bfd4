"""What notify adds to its /metrics: deliveries by status, and deliveries stuck."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inscope_common.db import utcnow
from inscope_common.metrics import STUCK_AFTER_S
from inscope_notify.models import Delivery

STATUSES = ("pending", "sending", "sent", "failed", "blocked")


def deliveries(session: Session) -> Iterable[Metric]:
    counts = dict(
        session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    )
    family = GaugeMetricFamily(
        "inscope_deliveries", "Email deliveries by status.", labels=["service", "status"]
    )
    for status in sorted(set(STATUSES) | set(counts)):
        family.add_metric(["notify", status], counts.get(status, 0))
    yield family
    cutoff = utcnow() - timedelta(seconds=STUCK_AFTER_S)
    stuck = session.scalar(
        select(func.count()).where(
            Delivery.status.in_(("pending", "sending")), Delivery.created_at < cutoff
        )
    )
    stuck_family = GaugeMetricFamily("inscope_stuck_work", "", labels=["service", "kind"])
    stuck_family.add_metric(["notify", "delivery"], stuck)
    yield stuck_family
