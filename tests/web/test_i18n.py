"""The page text in message catalogs (issue 15 item 6, Flask-Babel): a second language
is a catalog, not a code change; the committed catalog template holds every string the
intake's pages mark; the facility's language setting is checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from inscope_common.audit import Actor
from inscope_common.config import ConfigError
from inscope_intake import previsit
from tests.conftest import REPO
from tests.web.test_intake_page import desk, intake_app  # noqa: F401 - fixtures
from tests.web.test_previsit import send, token_of

POT = REPO / "services" / "intake" / "inscope_intake" / "translations" / "messages.pot"
SPANISH = {
    "Before your first visit": "Antes de su primera visita",
    "Send my answers": "Enviar mis respuestas",
    "Yes": "Sí",
    "(required)": "(obligatorio)",
    "This link is not valid": "Este enlace no es válido",
}


def _catalog(folder: Path, language: str, messages: dict[str, str]) -> None:
    catalog = Catalog(locale=language)
    for source, translated in messages.items():
        catalog.add(source, translated)
    target = folder / language / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as out:
        write_mo(out, catalog)


@pytest.fixture
def spanish_app(service_env, tmp_path):
    from inscope_intake import create_app

    _catalog(tmp_path / "translations", "es", SPANISH)
    app = create_app({**service_env, "FACILITY_LANGUAGE": "es"})
    app.extensions["babel"].translation_directories.append(str(tmp_path / "translations"))
    yield app
    app.extensions["inscope"].engine.dispose()


def test_a_second_language_is_a_catalog(spanish_app):
    phone = spanish_app.test_client(role=None)
    with spanish_app.app_context():
        row = previsit.send_link(spanish_app.extensions["inscope"], "Ana", "Ruiz",
                                 "ana@example.com", Actor("a", "Admin", "admin", "page"))
    page = phone.get(f"/previsit/{token_of(spanish_app, row)}").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "<h1>Antes de su primera visita</h1>" in page and "Enviar mis respuestas" in page
    assert ">Sí</label>" in page and "(obligatorio)" in page
    assert "Health questions" in page  # not in this catalog: the English source stays
    bad = phone.get("/previsit/" + "x" * 44).get_data(as_text=True)
    assert "Este enlace no es válido" in bad


def test_english_is_the_source_text(desk, intake_app):  # noqa: F811
    page = desk.get(f"/previsit/{token_of(intake_app, send(desk))}").get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Before your first visit</h1>" in page


def test_the_facility_language_must_be_a_language(service_env):
    from inscope_intake.config import load_settings

    assert load_settings({**service_env, "FACILITY_LANGUAGE": "pt-BR"}).language == "pt_BR"
    with pytest.raises(ConfigError, match="FACILITY_LANGUAGE"):
        load_settings({**service_env, "FACILITY_LANGUAGE": "klingon!"})


def test_the_committed_catalog_template_holds_every_marked_string(tmp_path):
    """`make messages` was run after the last change to the marked text."""
    fresh = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "-q", "extract", "-F", "services/intake/babel.cfg",
                    "--no-location", "--sort-output", "-o", str(fresh), "."],
                   cwd=REPO, check=True)

    def ids(path: Path) -> set[str]:
        with open(path, "rb") as f:
            return {str(m.id) for m in read_po(f) if m.id}

    assert ids(fresh) == ids(POT)
    assert "Before your first visit" in ids(POT)
