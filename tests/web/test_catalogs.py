"""Every message catalog is complete and compiled (issue 15 item 6): the committed .pot
holds every string the code and templates mark (`make messages` was run), each
language's .po translates all of them (nothing empty or fuzzy, the same placeholders),
and the committed .mo the service reads says what its .po says. A string marked but
not translated fails here, in CI."""

from __future__ import annotations

import re

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from inscope_clinical.schemas import CLIENT_LANGUAGES
from inscope_common.devtools.messages import CATALOGS, Catalog, extract

LANGUAGES = [(c, lang) for c in CATALOGS for lang in c.languages()]


def _key(value):
    return value if isinstance(value, str) else tuple(value)


def _ids(catalog) -> set:
    return {_key(m.id) for m in catalog if m.id}


def _said(catalog) -> dict:
    return {_key(m.id): _key(m.string) for m in catalog if m.id}


def _read(path):
    with open(path, "rb") as f:
        return read_po(f)


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda c: f"{c.service}-{c.domain}")
def test_the_committed_template_holds_every_marked_string(catalog: Catalog, tmp_path):
    fresh = _read(extract(catalog, tmp_path / "fresh.pot"))
    assert _ids(fresh) == _ids(_read(catalog.template)), "run `make messages` and commit"
    assert _ids(fresh), "a catalog with nothing marked"


@pytest.mark.parametrize(("catalog", "language"), LANGUAGES,
                         ids=lambda v: v if isinstance(v, str) else f"{v.service}-{v.domain}")
def test_every_language_translates_every_string_and_is_compiled(catalog: Catalog, language):
    po = _read(catalog.po(language))
    assert _ids(po) == _ids(_read(catalog.template)), "run `make messages` (pybabel update)"
    untranslated = [m.id for m in po if m.id and (
        m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))]
    assert untranslated == [], f"{language}: {len(untranslated)} strings not translated"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in po.check()]
    assert problems == []  # placeholders (%(name)s) the same as the source's
    mo_path = catalog.po(language).with_suffix(".mo")
    with open(mo_path, "rb") as f:
        mo = read_mo(f)
    assert _said(mo) == _said(po), (
        f"{mo_path.name} is older than its .po: run `make messages` and commit")


def test_every_client_language_ships_the_client_catalogs():
    for language in CLIENT_LANGUAGES:
        if language == "en":  # the source text
            continue
        for service in ("intake", "notify", "referral"):
            assert language in Catalog(service, "messages").languages(), (service, language)


def test_the_printed_program_and_the_emailed_pdf_say_the_same_words():
    """The referral service prints the program sheet from its own client catalog,
    notify writes the emailed PDF from its: each string both hold is translated the
    same in every language (a correction made in one must be made in the other)."""
    referral, notify = Catalog("referral", "messages"), Catalog("notify", "messages")
    assert set(referral.languages()) <= set(notify.languages())
    for language in referral.languages():
        printed, emailed = _said(_read(referral.po(language))), _said(_read(notify.po(language)))
        assert printed.keys() <= emailed.keys(), "a sheet string notify's catalog lacks"
        differ = sorted(k for k in printed if printed[k] != emailed[k])
        assert differ == [], f"{language}: translated differently: {differ[:5]}"


def test_the_par_q_plus_question_set_is_complete_in_every_client_language():
    """Every PAR-Q+ question the client is asked, each follow-up and reason to delay, is
    in the catalog and translated (our wording: docs/languages.md)."""
    from inscope_intake import questions as q

    asked = [q.CTRL, *q.GENERAL.values(), *q.DELAY.values()]
    for gate, subs in q.FOLLOWUPS.values():
        asked += [gate, *subs.values()]
    assert len(asked) == 1 + 7 + 3 + 10 + 32  # CTRL again in 8 sections
    folder = Catalog("intake", "messages").folder
    for language in CLIENT_LANGUAGES:
        if language == "en":
            continue
        catalog = Translations.load(str(folder), [language], "messages")
        for question in map(str, asked):  # outside a request: the English source
            assert catalog.gettext(question) != question, (language, question)


# --- Every page's text is in a catalog (issue 15 item 6) --------------------------------

REPO = Catalog("intake", "staff").folder.parents[3]
PAGE_TEMPLATES = sorted(
    [*REPO.glob("services/*/inscope_*/templates/*.html"),
     *REPO.glob("lib/inscope_common/web/templates/*.html")],
    key=str,
)
EMAILS = REPO / "services" / "notify" / "inscope_notify" / "templates"
HOLE = "\x00"
# Read aloud or shown, so text: these attributes' values.
SPOKEN = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')
# Names and codes, the same in every language.
NAMES = {"PAR-Q+", "FMS", "UTC", "InScope"}


def _skeleton(source: str) -> str:
    """The template's literal HTML, each {{ }} and {% %} a hole, {% trans %} left out."""
    from jinja2 import Environment

    parts, inside = [], 0
    for _, kind, value in Environment(extensions=["jinja2.ext.i18n"]).lex(source):
        inside += {"trans": 1, "endtrans": -1}.get(value, 0) if kind == "name" else 0
        if kind == "data" and not inside:
            parts.append(value)
        elif kind in ("variable_begin", "block_begin"):
            parts.append(HOLE)
    return "".join(parts)


def raw_text(source: str) -> list[str]:
    """Text a page shows that no _() or {% trans %} wraps (tags, attributes, comments,
    scripts and styles are not text; aria-label, title, placeholder and alt are)."""
    html = re.sub(r"<!--.*?-->|<(script|style)\b.*?</\1>", HOLE, _skeleton(source),
                  flags=re.S)
    pieces = SPOKEN.findall(html)
    html = re.sub(r"<[^>]*>", HOLE, html)
    html = re.sub(r'[\w-]+="[^"]*"', HOLE, html)  # attributes a macro writes
    pieces += html.split(HOLE)
    found = []
    for piece in pieces:
        for chunk in piece.split(HOLE):
            text = " ".join(re.sub(r"&[#\w]+;", " ", chunk).split())
            if re.search(r"[A-Za-z]{2,}", text) and text.strip(" ·:()") not in NAMES:
                found.append(text)
    return found


def _configured() -> set:
    """Every template a catalog's babel-<domain>.cfg reads (globs expanded)."""
    listed = set()
    for catalog in CATALOGS:
        for line in catalog.config.read_text().splitlines():
            match = re.match(r"\[jinja2: (.+)\]$", line.strip())
            if match:
                listed |= set(REPO.glob(match[1]))
    return listed


def test_raw_text_finds_unwrapped_words_only():
    assert raw_text('<p>Sign in</p><p>{{ _("Sign in") }}</p>') == ["Sign in"]
    assert raw_text('<input placeholder="e.g. GP" value="{{ v }}"><b>{{ x }}</b>') == ["e.g. GP"]
    assert raw_text("{% trans n=1 %}Pain {{ n }}{% endtrans %}<!-- note --> · InScope") == []


@pytest.mark.parametrize("template", PAGE_TEMPLATES,
                         ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_page_s_text_is_in_a_catalog(template):
    """Every page template is read by a catalog and shows no text outside _() or
    {% trans %}: a facility that adds its language gets the whole page in it."""
    assert template in _configured(), "add it to a babel-<domain>.cfg (docs/languages.md)"
    assert raw_text(template.read_text()) == []


def test_the_staff_catalogs_compile_with_every_page_s_text(tmp_path):
    """Each service's staff catalog holds the shared admin pages and compiles: a
    language made from it (every string copied) loads and translates a page's words."""
    from babel.messages.mofile import write_mo

    staff = [c for c in CATALOGS if c.domain == "staff"]
    assert {c.service for c in staff} == {"intake", "assessment", "referral", "notify"}
    for catalog in staff:
        template = _read(catalog.template)
        for page_words in ("Dead letters:", "Nothing recorded matches.", "Stuck work"):
            assert page_words in template, (catalog.service, page_words)
        for message in template:
            if message.id:
                message.string = (tuple(f"[{m}]" for m in message.id)
                                  if isinstance(message.id, tuple) else f"[{message.id}]")
        assert all(not errors for _, errors in template.check())  # placeholders kept
        mo = tmp_path / f"{catalog.service}.mo"
        with open(mo, "wb") as f:
            write_mo(f, template)
        with open(mo, "rb") as f:
            translated = Translations(f, domain="staff")
        assert translated.gettext("Stuck work") == "[Stuck work]"


def test_the_assessment_pages_name_every_code_through_the_staff_catalog():
    """The codes the trainer's pages show (posture findings, compensations, views,
    tests, muscles) each have their words in the staff catalog (words.py), so a new
    engine code is not left in English with underscores replaced."""
    from inscope_assessment import words
    from inscope_assessment.assessment_form import DEC8_LABELS, OHSA_VIEWS
    from inscope_clinical import imbalances, vocab
    from inscope_clinical.journey import MOVEMENT_WORDS

    def strings(node) -> set:
        if isinstance(node, dict):
            return set().union(*map(strings, node.values())) if node else set()
        if isinstance(node, (list, tuple)):
            return set().union(*map(strings, node)) if node else set()
        return {node} if isinstance(node, str) and len(node) > 1 else set()

    assert {*vocab.POSTURE_FINDINGS, *OHSA_VIEWS, *vocab.PAIN_TESTS} <= set(words.LABELS)
    assert set(OHSA_VIEWS.values()) <= set(words.VIEWS)
    assert strings(imbalances.TABLES) <= set(words.MUSCLES)
    assert set(MOVEMENT_WORDS) <= set(words.MOVEMENTS) and set(DEC8_LABELS) <= set(words.DEC8)
    staff = {m.id for m in _read(Catalog("assessment", "staff").template)}
    tables = (words.LABELS, words.VIEWS, words.MUSCLES, words.MOVEMENTS, words.DEC8)
    assert {text for table in tables for text in table.values()} <= staff


def test_the_journey_s_status_words_and_badges_are_in_the_staff_catalogs():
    """The board, the client page and the trainer's list show each client's status and
    badge through the staff catalog (the API keeps the English)."""
    from inscope_clinical import journey

    shown = {*journey.STATUS_LABELS.values(), *journey.URGENCY_LABELS.values(),
             journey.BADGE_SCREENING, journey.BADGE_DO_NOT_TRAIN, journey.BADGE_CLEARED,
             journey.BADGE_CLEARED_WITH_LIMITS}
    for service in ("referral", "assessment"):
        assert shown <= {m.id for m in _read(Catalog(service, "staff").template)}, service
