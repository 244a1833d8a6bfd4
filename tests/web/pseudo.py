"""A pseudo-locale for the staff catalogs (issue 15 item 6): at test time, every msgid
of a service's staff .pot is "translated" to ⟦msgid⟧, so a page rendered in it shows
each word that comes from the catalog inside ⟦⟧, and any English left outside the
brackets was written in code or a template without the catalog.

The locale is ``eo`` (a language Babel knows, for which no catalog ships)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from inscope_common.devtools.messages import Catalog

PSEUDO = "eo"
OPEN, CLOSE = "\u27e6", "\u27e7"


def _bracketed(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}"


def pseudo_catalog(service: str):
    """The service's staff .pot with every msgstr ⟦msgid⟧ (both plural forms too)."""
    with open(Catalog(service, "staff").template, "rb") as f:
        catalog = read_po(f, locale=PSEUDO)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            message.string = tuple(_bracketed(m) for m in message.id)
        else:
            message.string = _bracketed(message.id)
    return catalog


def write_pseudo(service: str, folder: Path) -> Path:
    """``folder/eo/LC_MESSAGES/staff.mo`` from the service's staff .pot."""
    target = folder / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with open(target / "staff.mo", "wb") as f:
        write_mo(f, pseudo_catalog(service))
    return folder


def pseudo_translations(service: str, folder: Path) -> Translations:
    write_pseudo(service, folder)
    return Translations.load(str(folder), [PSEUDO], "staff")


def speak_pseudo(app, service: str, folder: Path) -> None:
    """The app's staff pages read the pseudo catalog (the app was made with
    FACILITY_LANGUAGE=eo)."""
    write_pseudo(service, folder)
    babel = app.extensions["babel"]
    babel.translation_directories = [str(folder)] * len(babel.translation_directories)
    with app.app_context():
        babel.instance.domain_instance.cache.clear()


def outside(text: str) -> str:
    """The text with every ⟦…⟧ (nested too) taken out."""
    previous = None
    while previous != text:
        previous = text
        text = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", text)
    return text


def visible(html: str) -> str:
    """A page's visible text: no scripts, styles, comments or tags; the words of
    aria-label, title, placeholder and alt kept (they are read aloud)."""
    html = re.sub(r"<!--.*?-->|<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    spoken = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', html)
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(" ".join([text, *spoken]))


# Not English words: codes and names that stay the same in every language.
NAMES = {"PAR-Q+", "FMS", "UTC", "InScope", "TOTP", "PDF", "CSV", "ID", "OK"}


def english(text: str, data: Iterable[str] = ()) -> list[str]:
    """Words outside ⟦⟧ that are not data (a name, an id, a date, a number, an email, a
    value the test put in: ``data``)."""
    left = outside(text)
    for value in sorted({d for d in data if d}, key=len, reverse=True):
        left = left.replace(value, " ")
    left = re.sub(r"\S+@\S+", " ", left)  # emails
    left = re.sub(r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b", " ", left)  # uuids
    for name in NAMES:
        left = left.replace(name, " ")
    words = re.findall(r"[A-Za-z][A-Za-z'’-]+", left)
    return words
