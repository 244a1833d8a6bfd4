"""A letter's paragraphs are parsed once per process (issue 13): a paragraph seen before
starts from copies of its parsed fragments, and the PDF is the one drawn from scratch."""

from __future__ import annotations

import datetime as dt

from reportlab.platypus.paraparser import ParaParser

from inscope_notify import pdf
from inscope_notify.config import load_notify_settings, load_settings
from inscope_notify.messages import plan_decision
from tests.notify import scenarios


def letter_for(name: str, first_name: str):
    env = {"INSCOPE_ENV": "development"}
    setup = load_notify_settings(load_settings(env), env).setup
    contact = scenarios.contact(name)
    contact["client"]["first_name"] = first_name
    planned = plan_decision(scenarios.decision(name), contact, setup, dt.date(2026, 12, 4))
    return next(email.letter for email in planned if email.letter)


def test_a_paragraph_seen_before_is_not_parsed_again_and_the_pdf_is_the_same(monkeypatch):
    parsed: list[str] = []
    parse = ParaParser.parse

    def counting(self, text, style):
        parsed.append(text)
        return parse(self, text, style)

    monkeypatch.setattr(ParaParser, "parse", counting)
    first, second = letter_for("every red flag", "Ana"), letter_for("every red flag", "Łucja")
    pdf._parsed.cache_clear()
    cold = pdf.render_pdf(second)
    pdf._parsed.cache_clear()
    pdf.render_pdf(first)
    parsed.clear()
    warm = pdf.render_pdf(second)  # after another client's letter of the same kind
    assert warm == cold
    # Only the paragraphs that name this client (or differ otherwise) were parsed.
    assert parsed and all(("Łucja" in text or "link" in text) for text in parsed), parsed
    parsed.clear()
    assert pdf.render_pdf(second) == cold
    assert [text for text in parsed if "link" not in text] == []
