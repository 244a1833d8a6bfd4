"""The admin's view of a service's dead letters, with a replay button per letter: the
page twin of ``inscope-<service> dead-letters list|replay``; and of its stuck work
(inscope_common.stuck_work), each item with the action that fixes it. Every service mounts it
over its own dead-letter table (init_shared_web); the auth guard lets admins only in and
checks the form's CSRF token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request
from flask_babel import gettext

from inscope_common import stuck_work
from inscope_common.audit import record_event
from inscope_common.auth import ADMIN, access, current_actor, declare
from inscope_common.dead_letters import list_dead_letters, replay_dead_letter
from inscope_common.runtime import runtime

bp = Blueprint("dead_letters", __name__)
# Every service's dead letters and stuck work, on its own admin page.
declare(
    bp,
    dead_letters_page=access(ADMIN, kind="page"),
    replay_page=access(ADMIN, kind="page"),
    fix_stuck_page=access(ADMIN, kind="page"),
)


def _page(
    replayed: str = "", problem: str = "", status: int = 200, fixed: str = ""
) -> tuple[str, int]:
    rt = runtime()
    stuck, unchecked = stuck_work.sweep(current_app, rt)
    page = render_template(
        "dead_letters.html",
        service=rt.settings.service,
        letters=list_dead_letters(rt.session_factory, rt.models),
        replayed=replayed,
        problem=problem,
        stuck=stuck,
        unchecked=unchecked,
        fixed=fixed,
    )
    return page, status


def _audit(record: str, record_id: str, detail: str) -> None:
    """An admin action, in this service's audit log."""
    record_event(runtime().session_factory, current_app.extensions["inscope_audit"],
                 current_actor(), "admin", record, record_id, detail=detail)  # fmt: skip


@bp.post("/admin/dead-letters/stuck/<kind>/<path:ref>")
def fix_stuck_page(kind: str, ref: str) -> Any:
    rt = runtime()
    if stuck_work.act(current_app, rt, kind, ref):
        _audit("stuck_work", ref[:64], f"fixed {kind}")
        return redirect(f"/admin/dead-letters?fixed={kind}", code=303)
    return _page(problem=gettext("Nothing to do for %(kind)s %(ref)s: it moved on already.",
                                 kind=kind, ref=ref), status=409)


@bp.get("/admin/dead-letters")
def dead_letters_page() -> Any:
    fixed = request.args.get("fixed", "")
    return _page(
        replayed=request.args.get("replayed", ""),
        fixed=fixed if fixed in stuck_work.checks(current_app) else "",
    )


@bp.post("/admin/dead-letters/<letter_id>/replay")
def replay_page(letter_id: str) -> Any:
    # A string in the route, so an unknown id is refused by the guard before it is parsed.
    # Refusals are pages (the list again, with the reason), not the APIs' JSON errors.
    rt = runtime()
    if letter_id.isdigit() and replay_dead_letter(
        rt.session_factory, rt.models, rt.celery_app, int(letter_id), rt.relay.publisher
    ):
        _audit("dead_letter", letter_id, "replayed")
        return redirect(f"/admin/dead-letters?replayed={letter_id}", code=303)
    known = {
        str(d["id"])
        for d in list_dead_letters(rt.session_factory, rt.models, include_replayed=True)
    }
    if letter_id in known:
        return _page(problem=gettext("Dead letter %(id)s was already replayed.", id=letter_id),
                     status=409)
    return _page(problem=gettext("There is no dead letter %(id)s.", id=letter_id), status=404)
