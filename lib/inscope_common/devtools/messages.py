"""The message catalogs (Flask-Babel / gettext): which text goes in which catalog, and
the pybabel steps that keep them current (``make messages``; docs/languages.md).

Each service keeps its catalogs in ``<package>/translations``: ``messages`` is what
clients read (the pre-visit page, the PAR-Q+ wording, their emails), translated into
every language in ``inscope_clinical.schemas.CLIENT_LANGUAGES``; ``staff`` is the staff
pages' text (the source, English, until a facility adds its language). A catalog's
``.pot`` lists every marked string; each language's ``.po`` holds the translations and
the ``.mo`` beside it is what the service reads (committed, and checked by
tests/web/test_catalogs.py to match its ``.po``).

Usage: ``python -m inscope_common.devtools.messages`` (extract, update, compile).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
# lazy_gettext (_l) marks text read later (module constants); N_ marks a key the page
# translates where it shows it.
KEYWORDS = ("_l", "lazy_gettext", "N_")
# Only the staff catalogs: S_ marks staff text in a file a client catalog reads too
# (inscope_clinical.journey), Sn_ a plural pair (singular, plural) of it.
STAFF_KEYWORDS = ("S_", "Sn_:1,2")


@dataclass(frozen=True)
class Catalog:
    service: str
    domain: str  # messages (clients) | staff

    @property
    def folder(self) -> Path:
        return REPO / "services" / self.service / f"inscope_{self.service}" / "translations"

    @property
    def config(self) -> Path:
        return REPO / "services" / self.service / f"babel-{self.domain}.cfg"

    @property
    def template(self) -> Path:
        return self.folder / f"{self.domain}.pot"

    def languages(self) -> list[str]:
        """The languages this catalog is translated into (each has its .po)."""
        found = self.folder.glob(f"*/LC_MESSAGES/{self.domain}.po")
        return sorted(p.parent.parent.name for p in found)

    def po(self, language: str) -> Path:
        return self.folder / language / "LC_MESSAGES" / f"{self.domain}.po"


CATALOGS = (
    Catalog("intake", "messages"),
    Catalog("intake", "staff"),
    Catalog("referral", "staff"),
    Catalog("referral", "messages"),
    Catalog("assessment", "staff"),
    Catalog("notify", "messages"),
    Catalog("notify", "staff"),
)


def extract_lexicon_labels(fileobj: Any, keywords: Any, comment_tags: Any,
                           options: Any) -> Iterator[tuple[int, None, str, list[str]]]:
    """A pybabel extractor (``[inscope_common.devtools.messages.extract_lexicon_labels:
    <file>]`` in a babel-<domain>.cfg): each entry's ``label`` of the free-text lexicon
    (``inscope_clinical/free_text_lexicon.json``), what the review on the client page
    reads a client's words as."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    for entry in json.loads(text)["entries"]:
        label = entry["label"]
        quoted = json.dumps(label, ensure_ascii=False)
        lineno = next((i for i, line in enumerate(lines, 1) if quoted in line), 0)
        yield lineno, None, label, []


def _pybabel(*args: str) -> None:
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "-q", *args], cwd=REPO, check=True)


def extract(catalog: Catalog, output: Path | None = None) -> Path:
    """The marked strings of the catalog's files (its babel-<domain>.cfg) into a .pot."""
    target = output or catalog.template
    marked = KEYWORDS + (STAFF_KEYWORDS if catalog.domain == "staff" else ())
    keywords = [arg for k in marked for arg in ("-k", k)]
    _pybabel(
        "extract",
        "-F",
        str(catalog.config.relative_to(REPO)),
        *keywords,
        "--no-location",
        "--sort-output",
        # Babel skips folders named _* by default: the emails' _partials are ours.
        "--ignore-dirs", ".*",
        "--project",
        "InScope",
        "-o",
        str(target),
        ".",
    )
    return target


def update(catalog: Catalog) -> None:
    """Every language's .po brought up to the .pot (new strings untranslated, gone ones
    dropped), then compiled to the .mo the service reads."""
    if not catalog.languages():
        return
    _pybabel(
        "update",
        "-i",
        str(catalog.template),
        "-d",
        str(catalog.folder),
        "-D",
        catalog.domain,
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    _pybabel("compile", "-d", str(catalog.folder), "-D", catalog.domain, "--statistics")


def _without_date(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines()
            if not line.startswith('"POT-Creation-Date:')]


def main() -> None:
    for catalog in CATALOGS:
        catalog.folder.mkdir(exist_ok=True)
        fresh = extract(catalog, catalog.folder / f".{catalog.domain}.pot.new")
        if catalog.template.exists() and _without_date(fresh) == _without_date(catalog.template):
            fresh.unlink()  # nothing marked changed: the .pot keeps its date (no churn)
        else:
            fresh.replace(catalog.template)
        update(catalog)
        print(
            f"{catalog.service} {catalog.domain}: {catalog.template.relative_to(REPO)}; "
            f"languages {', '.join(catalog.languages()) or 'none'}"
        )


if __name__ == "__main__":
    main()
