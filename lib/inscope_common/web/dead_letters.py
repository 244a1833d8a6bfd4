"""The admin's view of a service's dead letters, with a replay button per letter: the
page twin of ``inscope-<service> dead-letters list|replay``. Every service mounts it
over its own dead-letter table (init_shared_web); the auth guard lets admins only in and
checks the form's CSRF token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request
from werkzeug.wrappers import Response

from inscope_common.dead_letters import list_dead_letters, replay_dead_letter
from inscope_common.runtime import runtime

bp = Blueprint("dead_letters", __name__)


@bp.get("/admin/dead-letters")
def dead_letters_page() -> Any:
    rt = runtime()
    return render_template(
        "dead_letters.html",
        service=rt.settings.service,
        letters=list_dead_letters(rt.session_factory, rt.models),
        replayed=request.args.get("replayed", ""),
    )


@bp.post("/admin/dead-letters/<letter_id>/replay")
def replay_page(letter_id: str) -> Response:
    # A string in the route, so an unknown id is refused by the guard before it is parsed.
    if not letter_id.isdigit():
        abort(404, description=f"no dead letter {letter_id}")
    rt = runtime()
    if not replay_dead_letter(rt.session_factory, rt.models, rt.celery_app, int(letter_id)):
        abort(409, description=f"dead letter {letter_id} is unknown or already replayed")
    return redirect(f"/admin/dead-letters?replayed={letter_id}", code=303)
