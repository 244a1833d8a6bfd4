"""The admin's audit page, on every service over its own audit log: search by client,
staff member and date, and whether the hash chain is intact (the page twin of
``inscope-<service> audit verify``). The auth guard lets admins only in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request

from inscope_common.audit import search, verify_chain
from inscope_common.auth import ADMIN, access, declare
from inscope_common.runtime import runtime

bp = Blueprint("audit", __name__)
declare(bp, audit_page=access(ADMIN, kind="page"))


def _day(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


@bp.get("/admin/audit")
def audit_page() -> Any:
    rt = runtime()
    model = current_app.extensions["inscope_audit"]
    args = {k: request.args.get(k, "").strip()[:100] for k in ("client", "staff", "from", "to")}
    since, until = _day(args["from"]), _day(args["to"])
    rows = search(
        rt.session_factory,
        model,
        client_id=args["client"],
        staff=args["staff"],
        since=since,
        until=until + timedelta(days=1) if until else None,
    )
    return render_template(
        "audit.html",
        service=rt.settings.service,
        rows=rows,
        args=args,
        chain=verify_chain(rt.session_factory, model),
    )
