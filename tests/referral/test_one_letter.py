"""One letter, one home (issue 9 item 2): the answer page and notify's PDF render the same
letter (inscope_clinical.letters), so the physician reads the same findings everywhere;
the letter package is pure."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from inscope_clinical.letters import behind_outcome, findings_of
from inscope_notify.config import load_notify_settings
from inscope_notify.config import load_settings as load_notify_base
from inscope_notify.messages import plan_decision
from inscope_notify.pdf import render_pdf
from inscope_referral.contact import fetch_contact
from tests.referral.conftest import token_of

pytestmark = pytest.mark.usefixtures("database_backend")


def _squash(text: str) -> str:
    """Text without whitespace: a PDF breaks lines where the page does not."""
    return re.sub(r"\s+", "", text)


def test_the_pdf_and_the_answer_page_carry_the_same_findings_sentences(app, rt, flow):
    who, ref = flow.referred_client()
    [decided] = [e for e in flow.decided() if e["data"]["referral"] == ref]
    decision = decided["data"]
    sentences = [f.letter for f in findings_of(behind_outcome(decision))]
    assert len(sentences) >= 3  # pain during a test, FMS score, PT history

    contact = fetch_contact(rt.settings, who["intake_id"])
    setup = load_notify_settings(load_notify_base({}), {}).setup
    [letter] = [
        p.letter
        for p in plan_decision(decision, contact, setup, date.today())
        if p.role == "physician"
    ]
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(letter))).pages
    )

    page = app.test_client().get(f"/answer/{token_of(ref['answer_url'])}")
    assert page.status_code == 200
    page_text = html.unescape(page.get_data(as_text=True))

    for sentence in sentences:
        assert _squash(sentence) in _squash(pdf_text), sentence
        assert sentence in page_text, sentence
    # The request and the reason read the same on both, too.
    for block in letter.blocks:
        if block.heading in ("Reason for referral", "What we ask of you"):
            for line in (*block.paragraphs, *block.bullets):
                assert line in page_text, line


def test_the_letter_package_is_under_the_purity_contract():
    """pyproject's import-linter contract 'Domain logic is pure' lists the package, and
    the package imports no web, queue, database or platform code."""
    import ast
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    [pure] = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"].startswith("Domain logic is pure")
    ]
    assert "inscope_clinical.letters" in pure["source_modules"]
    forbidden = set(pure["forbidden_modules"])
    package = root / "lib" / "inscope_clinical" / "letters"
    modules = sorted(package.glob("*.py"))
    assert {m.stem for m in modules} >= {"findings", "letter", "request", "vocabulary"}
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{module.name} imports {name}"
                assert not name.startswith(("inscope_notify", "inscope_referral")), name
