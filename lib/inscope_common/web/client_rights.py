"""Every service's export of what it holds about one client (issue 12 item 8), for an
admin (the auth guard lets admins only in): JSON, recorded in the service's audit log as
an ``export``. The staff hub's bundle calls this on each service as the signed-in admin,
so each service records the export under that admin's name."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify

from inscope_common.audit import record_event
from inscope_common.auth import ADMIN, access, current_actor, declare
from inscope_common.client_rights import RECORDS_EXTENSION, export_client
from inscope_common.runtime import runtime

bp = Blueprint("client_rights", __name__)
# What the service holds about one client, as JSON (issue 12 item 8).
declare(bp, export_client_data=access(ADMIN))


@bp.get("/admin/clients/<client_id>/export")
def export_client_data(client_id: str) -> Any:
    records = current_app.extensions.get(RECORDS_EXTENSION)
    if records is None or len(client_id) > 64:
        abort(404)
    rt = runtime()
    export = export_client(rt.session_factory, rt.settings.service, records, client_id)
    counts = ", ".join(f"{name} {len(rows)}" for name, rows in export["tables"].items())
    record_event(rt.session_factory, current_app.extensions["inscope_audit"], current_actor(),
                 "export", "client", client_id, client_id, detail=counts[:300])  # fmt: skip
    return jsonify(export)
