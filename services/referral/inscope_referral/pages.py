"""The physician's answer page: plain server-rendered HTML, no account, opened through
a signed single-referral link (docs/physician-loop.md explains the token and the form
defences)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, make_response, redirect, render_template, request
from flask.views import MethodView

from inscope_clinical.letters import Letter, referral_letter, signed_sender
from inscope_common.audit import Actor, record_event, record_view
from inscope_common.auth import (
    PUBLIC_PAGE,
    declare,
)
from inscope_common.http import Blueprint
from inscope_common.runtime import Runtime, runtime
from inscope_referral import referrals
from inscope_referral.answer_form import (
    ANSWERS,
    INTENSITIES,
    MOVEMENTS,
    PROFESSIONS,
    AnswerForm,
    read_answer_form,
)
from inscope_referral.contact import ContactUnavailable, fetch_contact
from inscope_referral.models import AuditEntry, Referral
from inscope_referral.referrals import TokenProblem
from inscope_referral.tokens import CARRIED

# Whoever holds an answer link (the physician it was sent to): the link is the key.
ANSWER_LINK_ACTOR = Actor("answer-link", "holder of the answer link", "physician", "answer_link")

blp = Blueprint(
    "answer",
    __name__,
    description="The physician's answer page (HTML; the signed link is the only key)",
)

HTML = {"text/html": {"schema": {"type": "string"}}}
PAGE_RESPONSES = {
    "400": {"description": "Tampered or malformed link", "content": HTML},
    "403": {"description": "Link withdrawn, or form not from this page", "content": HTML},
    "410": {"description": "Link expired, or referral already answered/closed", "content": HTML},
    "503": {"description": "Intake unreachable: the letter cannot be shown", "content": HTML},
}
PROBLEMS = {
    "invalid": (
        "This link is not valid",
        "The link may have been copied incompletely or changed. Please open it again from "
        "the letter or email you received.",
    ),
    "expired": (
        "This link has expired",
        "Answer links are valid for a limited time. Please contact us and we will send you "
        "a new one.",
    ),
    "withdrawn": (
        "This link has been withdrawn",
        "It no longer opens this referral. Please use the most recent letter or email, or "
        "contact us.",
    ),
    "answered": (
        "This referral has already been answered",
        "Thank you. An answer was recorded and the link cannot be used again. If you need "
        "to change your answer, please contact us.",
    ),
    "closed": (
        "This referral is closed",
        "It was completed or replaced by a newer referral. Please use the most recent "
        "letter or email, or contact us.",
    ),
    "forbidden": (
        "This form could not be accepted",
        "Please open the link from the letter again and submit the form from that page.",
    ),
    "unavailable": (
        "The letter cannot be shown right now",
        "Our records service did not answer. Nothing was recorded; please try again in a "
        "few minutes.",
    ),
}


# The physician's answer page: open to the holder of the signed link.
declare(
    blp,
    AnswerPage=PUBLIC_PAGE,
)


@blp.after_request
def _page_headers(response: Response) -> Response:
    # The URL holds a credential and the page holds health information: never cache it,
    # never frame it, never leak the URL to another site, load nothing from elsewhere.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return response


@blp.route("/answer/<token>")
class AnswerPage(MethodView):
    @blp.doc(
        responses={
            "200": {"description": "The letter and the answer form", "content": HTML},
            "303": {"description": "The link's letter was replaced: the current one"},
            **PAGE_RESPONSES,
        }
    )
    def get(self, token: str) -> Response:
        """The referral letter and the answer form; opening it marks the referral viewed."""
        rt = runtime()
        try:
            referral = referrals.referral_for_token(rt, token)
            letter = _letter(rt, referral)
            referrals.mark_viewed(rt, token)
            # The letter shows the client's name, date of birth and findings: a view.
            record_view(rt.session_factory, AuditEntry, ANSWER_LINK_ACTOR, "referral_letter",
                        referral.id, referral.client_id)  # fmt: skip
        except TokenProblem as problem:
            latest = referrals.current_letter_url(rt, token) if problem.kind == "closed" else None
            if latest:  # an old letter's link: say so, and open the current one
                return redirect(f"{latest}?replaced=1", code=303)
            return _problem(problem.kind, problem.status)
        except ContactUnavailable:
            return _problem("unavailable", 503)
        return _answer_page(rt, token, letter, AnswerForm(values={}), 200)

    @blp.doc(
        requestBody={
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": [
                            "answer",
                            "answered_by",
                            "profession",
                            "registration",
                            "form_key",
                        ],
                        "properties": {
                            "answer": {"type": "string", "enum": list(ANSWERS)},
                            "max_intensity": {"type": "string", "enum": ["", *INTENSITIES]},
                            "avoid_movements": {
                                "type": "string",
                                "description": "one movement per line",
                            },
                            "notes": {"type": "string"},
                            "answered_by": {"type": "string"},
                            "profession": {"type": "string", "enum": list(PROFESSIONS)},
                            "registration": {
                                "type": "string",
                                "description": "registration or licence number",
                            },
                            "form_key": {
                                "type": "string",
                                "description": "the value the page rendered for this link",
                            },
                        },
                    }
                }
            }
        },
        responses={
            "200": {"description": "Answer recorded", "content": HTML},
            "422": {"description": "The form again, a message per field", "content": HTML},
            **PAGE_RESPONSES,
        },
    )
    def post(self, token: str) -> Response:
        """Record the physician's answer; publishes ``referral.answered``."""
        rt = runtime()
        try:
            referral = referrals.referral_for_token(rt, token)
        except TokenProblem as problem:
            return _problem(problem.kind, problem.status)
        tokens = referrals.tokens_for(rt.settings)
        if not _same_origin(rt) or not tokens.form_key_matches(
            token, request.form.get("form_key", "")
        ):
            return _problem("forbidden", 403)
        form = read_answer_form(request.form)
        if not form.valid:
            try:
                letter = _letter(rt, referral)
            except ContactUnavailable:
                return _problem("unavailable", 503)
            return _answer_page(rt, token, letter, form, 422)
        try:
            recorded = referrals.record_answer(rt, token, form.answer, request.remote_addr)
        except TokenProblem as problem:
            return _problem(problem.kind, problem.status)
        record_event(rt.session_factory, AuditEntry, ANSWER_LINK_ACTOR, "update", "referral",
                     referral.id, referral.client_id, detail="answered")  # fmt: skip
        body = render_template(
            "answer_done.html",
            facility=rt.settings.facility_name,
            answer=ANSWERS[form.answer["answer"]],
            restrictions=form.answer["restrictions"],
            movements=MOVEMENTS,
            unverified=not recorded.answer.get("verified", True),
        )
        return make_response(body, 200)


def _letter(rt: Runtime, referral: Referral) -> Letter:
    """The referral's current letter, the very one notify sends (inscope_clinical.letters),
    without its answer block: the form below is the answer."""
    return letter_of(rt, referral)


def letter_of(rt: Runtime, referral: Referral, answer_url: str | None = None) -> Letter:
    """The referral's current letter as notify words it. With ``answer_url``, the answer
    block too, with that link (the letter staff print for the client to carry: its
    carried link, as on the copy notify attaches to the client's email); without one,
    none (the answer page, whose form is the answer). Raises ContactUnavailable."""
    contact = fetch_contact(rt.settings, referral.intake_id)
    decision = referrals.letter_decision(rt, referral)
    return referral_letter(
        sender=signed_sender(rt.settings.sender, decision.get("signed_by")),
        today=rt.settings.locale.today(referral.letter_updated_at or referral.needed_at),
        contact=contact,
        decision=decision,
        referral={
            "target": referral.target,
            "urgency": referral.urgency,
            "request": referral.request,
        },
        version=referral.letter_version or 1,
        answer_url=answer_url,
        with_answer_block=answer_url is not None,
        locale=rt.settings.locale,
    )


def _answer_page(
    rt: Runtime, token: str, letter: Letter, form: AnswerForm, status: int
) -> Response:
    body = render_template(
        "answer_page.html",
        facility=rt.settings.facility_name,
        letter=letter,
        form=form,
        answers=ANSWERS,
        intensities=INTENSITIES,
        movements=MOVEMENTS,
        form_key=referrals.tokens_for(rt.settings).form_key(token),
        replaced=request.args.get("replaced") == "1",
        professions=PROFESSIONS,
        carried=referrals.link_channel(rt, token) == CARRIED,
    )
    return make_response(body, status)


def _problem(kind: str, status: int) -> Response:
    title, detail = PROBLEMS[kind]
    body = render_template(
        "answer_problem.html", title=title, detail=detail, facility=runtime().settings.facility_name
    )
    return make_response(body, status)


def _same_origin(rt: Runtime) -> bool:
    """A browser names the page a form came from; it must be ours. A client that sends
    neither header (curl, an old browser) still needs the form key."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    ours = {_origin(rt.settings.public_url), _origin(request.host_url)} - {None}
    return _origin(source) in ours


def _origin(url: str) -> str | None:
    """scheme://host[:port] of a URL; None for one that does not parse (``http://[``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else url
