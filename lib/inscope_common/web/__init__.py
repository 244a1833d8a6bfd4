"""What the services' pages share: one stylesheet and the form macros, served and
loaded by every service that renders pages (services never import one another)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, make_response, render_template
from jinja2 import ChoiceLoader, PackageLoader

ASSETS = "inscope_web"

# The staff layout's links to each service's pages, and the roles that see them (a link
# shows only where it leads somewhere). Each page's own permission is declared next to
# its view in its service; tests/web/test_role_matrix.py checks these agree with them.
NAVIGATION: dict[tuple[str, str], tuple[str, ...]] = {
    ("intake", "pages.new_intake"): ("front_desk", "admin"),
    ("intake", "previsit.links"): ("front_desk", "admin"),
    ("assessment", "pages.assess"): ("trainer", "admin"),
    ("referral", "staff.client_board"): ("front_desk", "trainer", "admin"),
}


def init_shared_web(app: Flask, language: str = "en", translations: str | None = None,
                    domains: tuple[str, ...] = ("staff",)) -> None:
    """Serve the shared assets at /shared-static/ (endpoint ``inscope_web.static``), let
    the app's templates import the shared ones (e.g. ``macros.html``) and give them the
    message catalogs (``_()``; a service without catalogs shows the English source):
    ``domains`` are the catalogs in ``translations`` (``messages``: what clients read,
    ``staff``: the staff pages; see docs/languages.md)."""
    app.register_blueprint(
        Blueprint(ASSETS, __name__, static_folder="static", static_url_path="/shared-static")
    )
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, PackageLoader("inscope_common.web", "templates")]
    )
    from inscope_common.web.dead_letters import bp as dead_letters

    app.register_blueprint(dead_letters)
    from inscope_common.web.audit_page import bp as audit_page

    app.register_blueprint(audit_page)
    from inscope_common.web.client_rights import bp as client_rights

    app.register_blueprint(client_rights)
    _init_i18n(app, language, translations, domains)


def use_language(code: str | None) -> None:
    """This request's pages speak ``code`` (a client's own language: the pre-visit page
    in the language the link was sent in) instead of the facility's."""
    from flask_babel import refresh

    if code:
        g.inscope_language = code
        refresh()


def _init_i18n(app: Flask, language: str, translations: str | None,
               domains: tuple[str, ...]) -> None:
    """The page text in message catalogs (Flask-Babel): ``_()`` and ``{% trans %}`` in
    the templates, ``lazy_gettext`` in the code; the pages speak ``language`` (the
    facility's), or the request's own (``use_language``), from the catalogs in
    ``translations`` (none: the English source text)."""
    from flask_babel import Babel, get_locale

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([translations or ""] * len(domains))
    app.config["BABEL_DOMAIN"] = ";".join(domains)
    Babel(app, default_locale=language,
          locale_selector=lambda: g.get("inscope_language") or language)

    @app.context_processor
    def _html_lang() -> dict[str, str]:
        return {"html_lang": str(get_locale() or language).replace("_", "-")}

    app.add_template_filter(staff_words, "staff_words")
    app.add_template_filter(staff_say, "staff_say")
    app.add_template_filter(code_words, "code_words")


def staff_words(journey: Any) -> Any:
    """A journey (``inscope_clinical.journey.Journey``) whose staff texts (headline,
    reason, next action, why the assessment waits, its note) are said in the page's
    language, from the staff catalog; a page writes ``{% set j = j | staff_words %}``.
    None stays None. The API keeps the English (the Journey's own fields)."""
    if journey is None:
        return None
    from flask_babel import get_translations

    from inscope_clinical.journey import in_language

    catalog = get_translations()
    return in_language(journey, catalog.gettext, catalog.ngettext, _facility_day())


def staff_say(text: Any) -> str:
    """A staff text built in code (``inscope_clinical.journey.Text`` or ``Words``: a
    msgid and its values) in the page's language; a plain string as it is."""
    from flask_babel import get_translations

    from inscope_clinical.journey import say

    catalog = get_translations()
    return say(text, catalog.gettext, catalog.ngettext, _facility_day())


def _facility_day() -> Any:
    """Locale.date of the facility (its date format), which the app's templates use
    (inscope_common.localtime.install_filters); none before it is installed: ISO."""
    locale = current_app.jinja_env.globals.get("facility_locale")
    return locale.date if locale is not None else None


def N_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks text for the staff catalogs; the page translates it where it shows it."""
    return text


def S_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks staff text in a file a client catalog reads too: only the staff catalogs
    extract ``S_`` (inscope_common.devtools.messages.STAFF_KEYWORDS)."""
    return text


# Vocabulary codes the staff pages show (roles, intensity ceilings, a clinician's answer,
# professions, discharge statuses, overhead-squat compensations, urgencies, an email's
# kind and status, a decision's outcome and stage, a program's phases), in words for
# the staff catalogs: a page writes ``{{ code | code_words }}``; a code without words
# shows as itself with spaces (the English these pages showed before, unchanged).
CODE_WORDS: dict[str, str] = {
    "front_desk": N_("front desk"),
    "trainer": N_("trainer"),
    "admin": N_("admin"),
    "light": N_("light"),
    "light_to_moderate": N_("light to moderate"),
    "moderate": N_("moderate"),
    "vigorous": N_("vigorous"),
    "cleared": N_("cleared"),
    "cleared_with_restrictions": N_("cleared with restrictions"),
    "not_cleared": N_("not cleared"),
    "needs_visit": N_("needs visit"),
    "physician": N_("physician"),
    "physical_therapist": N_("physical therapist"),
    "emergency_services": N_("emergency services"),
    "nurse_practitioner": N_("nurse practitioner"),
    "physician_assistant": N_("physician assistant"),
    "other_licensed_clinician": N_("other licensed clinician"),
    "chiropractor": N_("chiropractor"),
    "sports_medicine_physician": N_("sports medicine physician"),
    "obstetric_clinician": N_("obstetric clinician"),
    "other_clinician": N_("other clinician"),
    "other": N_("other"),
    "symptom_free": N_("symptom free"),
    "ongoing_symptoms": N_("ongoing symptoms"),
    "new_symptoms": N_("new symptoms"),
    "feet_turn_out": N_("feet turn out"),
    "feet_flatten": N_("feet flatten"),
    "knees_move_inward": N_("knees move inward"),
    "knees_move_outward": N_("knees move outward"),
    "excessive_forward_lean": N_("excessive forward lean"),
    "low_back_arches": N_("low back arches"),
    "low_back_rounds": N_("low back rounds"),
    "arms_fall_forward": N_("arms fall forward"),
    "head_forward": N_("head forward"),
    "shoulders_elevate": N_("shoulders elevate"),
    "heels_rise": N_("heels rise"),
    "asymmetrical_weight_shift": N_("asymmetrical weight shift"),
    "left": N_("left"),
    "right": N_("right"),
    "routine": N_("routine"),
    "urgent": N_("urgent"),
    "emergency": N_("emergency"),
    # The client page's emails (notify's deliveries): who each is to, its kind and status.
    "client": N_("client"),
    "client_update": N_("client update"),
    "physician_referral": N_("physician referral"),
    "physician_reminder": N_("physician reminder"),
    "physician_progress": N_("physician progress"),
    "client_answer": N_("client answer"),
    "trainer_answer": N_("trainer answer"),
    "pending": N_("pending"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "blocked": N_("blocked"),
    "superseded": N_("superseded"),
    # A decision's outcome and stage (the client page's Details).
    "in_scope": N_("in scope"),
    "hold": N_("hold"),
    "clearance": N_("clearance"),
    "refer": N_("refer"),
    "screening": N_("screening"),
    "assessment": N_("assessment"),
    # The program's phases (inscope_clinical.library.PHASES).
    "inhibit": N_("inhibit"),
    "lengthen": N_("lengthen"),
    "activate": N_("activate"),
    "integrate": N_("integrate"),
}

# A page refused to a role (inscope_common.auth), said on the error page.
NOT_OPEN_TO_ROLE = N_("This page is not open to the %(role)s role")


def code_words(code: Any) -> str:
    """A vocabulary code in the page's language (CODE_WORDS); others with spaces."""
    from flask_babel import gettext

    text = str(code or "")
    return gettext(CODE_WORDS[text]) if text in CODE_WORDS else text.replace("_", " ")


# What each error page says in its heading, and what a person can do about it.
ERROR_TITLES: dict[int, tuple[str, str]] = {
    400: (N_("The request could not be read"), N_("Go back and try again.")),
    403: (N_("Not open to you"), N_("Ask an admin if you need this page for your work.")),
    404: (N_("Not found"), N_("The address may be mistyped, or what it names no longer exists.")),
    405: (N_("That cannot be done here"), N_("Go back and use the page's own buttons.")),
    409: (N_("Not possible right now"), N_("The client's current status does not allow it.")),
    413: (N_("Too much to send"), N_("Send less at once (a smaller signature drawing, say).")),
    422: (N_("Some answers could not be read"), N_("Go back and check the form.")),
    429: (N_("Too many tries"), N_("Wait a minute and try again.")),
}


def _said(message: Any) -> str | None:
    """An error page's message in the page's language: a staff text built in code
    (``Text``) or a string that is a msgid of the staff catalog; other strings (data, or
    text not yet in a catalog) as they are."""
    if message is None:
        return None
    if isinstance(message, str):
        from flask_babel import gettext

        return gettext(message) if message else message
    return staff_say(message)


def error_page(code: int, message: Any = None) -> Response:
    """A styled error page in the staff layout (pages get HTML; APIs keep JSON)."""
    title, advice = ERROR_TITLES.get(
        code, (N_("Something went wrong"), N_("Go back and try again."))
    )
    body = render_template("error.html", code=code, title=title, advice=advice,
                           message=_said(message))
    return make_response(body, code)
