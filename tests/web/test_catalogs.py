"""Every message catalog is complete and compiled (issue 15 item 6): the committed .pot
holds every string the code and templates mark (`make messages` was run), each
language's .po translates all of them (nothing empty or fuzzy, the same placeholders),
and the committed .mo the service reads says what its .po says. A string marked but
not translated fails here, in CI."""

from __future__ import annotations

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
        for service in ("intake", "notify"):
            assert language in Catalog(service, "messages").languages(), (service, language)


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
