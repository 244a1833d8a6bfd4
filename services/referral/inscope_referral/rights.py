"""The client's rights at the staff hub (issue 12 item 8), for admins:

- ``GET /admin/clients/<client_id>/export-bundle``: one JSON bundle of everything the
  four services hold about the client. The hub exports its own part and calls the other
  services' ``/admin/clients/<id>/export`` as the signed-in admin (a 60-second token with
  their own claims, like the staff pages' reads), so every service records the export in
  its own audit log under that admin's name. If a service cannot be reached the answer
  is 502 naming it: a partial bundle is never handed out as complete.
- ``POST /admin/clients/<client_id>/erasure`` (JSON ``{"reason": ...}``): stages
  ``client.erasure_requested.v1`` in the hub's outbox; each service (the hub included)
  erases what it holds when its worker handles it and audits it (202: accepted, not yet
  done everywhere). With ``INSCOPE_ERASURE_LOG`` set, the request is also appended to that
  file, which a restore from a backup replays (``reapply-erasures``, docs/backups.md).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from inscope_common.audit import add_entry, record_event
from inscope_common.auth import (
    ADMIN,
    access,
    current_actor,
    declare,
    forwarded_credential,
    require_principal,
)
from inscope_common.client_rights import ERASURE_REQUESTED, export_client, log_erasure
from inscope_common.db import utcnow
from inscope_common.events import make_event
from inscope_common.runtime import runtime
from inscope_referral.client_records import RECORDS
from inscope_referral.directory import Reader
from inscope_referral.models import AuditEntry

bp = Blueprint("rights", __name__)
OTHER_SERVICES = ("intake", "assessment", "notify")
SOURCE = "/inscope/referral"


def _bad_client_id(client_id: str) -> Any | None:
    if 1 <= len(client_id) <= 64:
        return None
    return jsonify(message="Invalid client id.", problems={"client_id": "1 to 64 characters"}), 422


# The client's rights (issue 12 item 8): admins only.
declare(
    bp,
    export_bundle=access(ADMIN),
    request_erasure=access(ADMIN),
)


@bp.get("/admin/clients/<client_id>/export-bundle")
def export_bundle(client_id: str) -> Any:
    if (bad := _bad_client_id(client_id)) is not None:
        return bad
    rt = runtime()
    principal = require_principal()
    reader = Reader(rt.settings.urls, forwarded_credential())
    parts = {"referral": export_client(rt.session_factory, "referral", RECORDS, client_id)}
    detail = "bundle: the other services audit their own part"
    record_event(rt.session_factory, AuditEntry, current_actor(), "export", "client",
                 client_id, client_id, detail=detail)  # fmt: skip
    for service in OTHER_SERVICES:
        parts[service] = reader.get(service, f"/admin/clients/{client_id}/export")
    missing = [name for name, part in parts.items() if not isinstance(part, dict)]
    if missing:
        return jsonify(
            message=f"Could not reach {', '.join(missing)}: no bundle was made; try again.",
            unreachable=missing,
        ), 502
    return jsonify(
        client_id=client_id,
        exported_at=utcnow().isoformat(),
        exported_by={"account_id": principal.account_id, "name": principal.name},
        services=parts,
    )


@bp.post("/admin/clients/<client_id>/erasure")
def request_erasure(client_id: str) -> Any:
    if (bad := _bad_client_id(client_id)) is not None:
        return bad
    body = request.get_json(silent=True)
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= 300:
        return jsonify(
            message="Say why the data is erased.",
            problems={"reason": "1 to 300 characters (e.g. the client's request and its date)"},
        ), 422
    principal = require_principal()
    event = make_event(
        ERASURE_REQUESTED,
        source=SOURCE,
        subject=client_id,
        data={"client_id": client_id, "requested_by": principal.account_id,
              "requested_by_name": principal.name, "reason": reason.strip()},
    )  # fmt: skip
    with runtime().unit_of_work() as uow:
        uow.add_event(event)
        add_entry(uow.session, AuditEntry, current_actor(), "admin", "client", client_id,
                  client_id, detail=f"erasure requested: {reason.strip()}"[:300])  # fmt: skip
    if runtime().settings.erasure_log:
        log_erasure(runtime().settings.erasure_log, event)
    return jsonify(event_id=event["id"], client_id=client_id, status="requested"), 202
