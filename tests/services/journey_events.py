"""The ``referral.status_changed`` event the referral service publishes, built here from
the real engine for tests that run a service without the referral service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inscope_clinical import IntakeSchema, decide
from inscope_clinical.journey import journey
from tests.conftest import make_event
from tests.services.conftest import example


def screening_of(body: dict[str, Any] | None = None) -> dict[str, Any]:
    intake = (body or example("intake.json"))["intake"]
    return {k: v for k, v in intake.items() if k not in ("physician", "consent")}


def status_event(
    intake_id: str,
    client_id: str,
    screening: dict[str, Any] | None = None,
    *,
    answer: dict[str, Any] | None = None,
    version: int = 1,
) -> dict[str, Any]:
    # The engine reads neither the physician nor the consent; the schema wants them.
    loaded = IntakeSchema().load({**example("intake.json")["intake"], **(screening or {})})
    decision = {**decide(loaded, age_years=38), "stage": "screening"}
    decision.pop("engine_version", None)
    return make_event(
        "referral.status_changed.v1",
        source="/inscope/referral",
        subject=client_id,
        data={
            "intake_id": intake_id,
            "client_id": client_id,
            "intake_version": version,
            "decision_id": f"decision-{intake_id}",
            "decision": decision,
            "answer": answer,
            "status": journey(decision, answer=answer).status,
            "changed_at": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
