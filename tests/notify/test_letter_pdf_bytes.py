"""The letter's PDF is byte for byte the one reportlab writes on its own (issue 13).

Each font subset's objects (font file, widths, ToUnicode map) are formatted once per
process and ASCII text is split into subsets without a walk per character
(``pdf.SubsetCachingTTFont``), a paragraph's words are broken into lines once per
process and width and drawn once per process, size and canvas state
(``pdf._Paragraph``), and the frame is copied without deepcopy's walk
(``pdf._Frame``): every scenario letter, for clients whose names need other characters,
on both papers, is rendered so and with reportlab's own code for each of these, and the
two files must be the same bytes."""

from __future__ import annotations

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

from inscope_notify import pdf
from tests.notify import scenarios
from tests.notify.test_letter_pdf_parsing import letter_for

# More characters outside ASCII than one subset holds (a second subset per face).
MANY = "".join(map(chr, range(0x391, 0x3AA))) + "".join(map(chr, range(0x410, 0x450)))
MANY += "ĂăÂâĐđÊêÔôƠơƯưẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộ"
NAMES = ("Ana", "Łucja", "Nguyễn Thị", "Ζωή", "<script>", MANY)
LETTERS = [
    name
    for name in scenarios.INTAKES
    if scenarios.decision(name)["outcome"] in ("refer", "clearance")
]


def _fonts() -> list[pdf.SubsetCachingTTFont]:
    pdf.register_fonts()
    return [pdfmetrics.getFont(name) for name in (pdf.FONT, pdf.BOLD)]


def _uncached(letter, paper: str, monkeypatch) -> bytes:
    """Drawn by reportlab's own code, none of pdf.py's shortcuts."""
    with monkeypatch.context() as patch:
        patch.setattr(pdf.SubsetCachingTTFont, "addObjects", TTFont.addObjects)
        patch.setattr(pdf.SubsetCachingTTFont, "splitString", TTFont.splitString)
        patch.setattr(pdf._Paragraph, "wrap", Paragraph.wrap)
        patch.setattr(pdf._Paragraph, "breakLines", Paragraph.breakLines)
        patch.setattr(pdf._Paragraph, "drawOn", Flowable.drawOn)
        patch.setattr(pdf, "_drawn_once", lambda canvas, key, draw: draw())
        patch.setattr(pdf, "_DocTemplate", SimpleDocTemplate)
        return pdf.render_pdf(letter, paper)


def test_more_than_one_subset_is_needed_for_the_many_characters():
    assert len(set(MANY)) > 159  # 31 fill-in codes and 128 above ASCII in subset 0


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("scenario", LETTERS)
def test_every_letter_is_the_pdf_reportlab_writes_without_the_cache(scenario, paper, monkeypatch):
    for first_name in NAMES:
        letter = letter_for(scenario, first_name)
        expected = _uncached(letter, paper, monkeypatch)
        assert pdf.render_pdf(letter, paper) == expected, (scenario, first_name)
        assert pdf.render_pdf(letter, paper) == expected  # from the cache this time


def test_a_subset_is_formatted_once_and_a_new_character_makes_a_new_one(monkeypatch):
    regular, bold = _fonts()
    for font in (regular, bold):
        monkeypatch.setattr(font, "_parts", type(font._parts)())
        monkeypatch.setattr(font, "built", 0)
    made: list[list[int]] = []
    make = regular.face.makeSubset
    monkeypatch.setattr(
        regular.face, "makeSubset", lambda subset: made.append(subset) or make(subset)
    )

    first = pdf.render_pdf(letter_for("pain on the movement screen", "Ana"))
    assert (regular.built, bold.built, len(made)) == (1, 1, 1)
    second = pdf.render_pdf(letter_for("pain on the movement screen", "Maria"))
    assert second != first
    assert (regular.built, bold.built, len(made)) == (1, 1, 1)  # same characters, same order
    pdf.render_pdf(letter_for("pain on the movement screen", "Łucja"))
    assert len(made) == 2 and 0x141 in made[-1]  # Ł: a subset of its own


def test_the_cache_is_bounded(monkeypatch):
    regular, _bold = _fonts()
    monkeypatch.setattr(regular, "_parts", type(regular._parts)())
    monkeypatch.setattr(regular, "size", 2)
    for name in ("Ana", "Łucja", "Ζωή", "Nguyễn"):
        pdf.render_pdf(letter_for("pain on the movement screen", name))
    assert len(regular._parts) == 2


def test_a_paragraph_breaks_its_lines_once_per_width(monkeypatch):
    broken: list[tuple[object, tuple]] = []
    break_lines = Paragraph.breakLines

    def counting(self, width):
        broken.append((self, tuple(width)))  # the paragraph kept: no id reused
        return break_lines(self, width)

    monkeypatch.setattr(Paragraph, "breakLines", counting)
    letter = letter_for("every red flag", "Ana")
    pdf.render_pdf(letter)
    once = len(broken)
    seen = [(id(para), width) for para, width in broken]
    assert len(set(seen)) == len(seen)  # never the same paragraph at the same width again
    broken.clear()
    _uncached(letter, "Letter", monkeypatch)
    assert len(broken) > once * 1.3  # reportlab's own wrap breaks many of them twice


def test_a_paragraph_seen_in_an_earlier_letter_is_not_broken_again(monkeypatch):
    """Lines are broken once per process for the same words, style and width: another
    client's letter of the same kind breaks only what differs (their name, say)."""
    broken: list[str] = []
    break_lines = Paragraph.breakLines

    def counting(self, width):
        broken.append(self.text)
        return break_lines(self, width)

    monkeypatch.setattr(pdf, "_LINES", type(pdf._LINES)())
    monkeypatch.setattr(Paragraph, "breakLines", counting)
    first = pdf.render_pdf(letter_for("every red flag", "Ana"))
    cold = len(broken)
    broken.clear()
    second = letter_for("every red flag", "Łucja")
    warm = pdf.render_pdf(second)
    assert 0 < len(broken) < cold / 4, (len(broken), cold)
    assert all("Łucja" in text or "http" in text for text in broken), broken
    assert warm != first
    assert warm == _uncached(second, "Letter", monkeypatch)


def test_a_paragraph_drawn_in_an_earlier_letter_is_not_drawn_again(monkeypatch):
    """A paragraph's operators are made once per process for the same words, style,
    size and canvas state (issue 13): another client's letter draws only the lines
    naming them and the link; the rest is written from what the first letter drew,
    the same bytes as reportlab drawing it."""
    drawn: list[str] = []
    draw_para = Paragraph.drawPara

    def counting(self, debug=0):
        drawn.append(self.text)
        return draw_para(self, debug)

    monkeypatch.setattr(pdf, "_DRAWN", type(pdf._DRAWN)())
    monkeypatch.setattr(Paragraph, "drawPara", counting)
    pdf.render_pdf(letter_for("every red flag", "Ana"))
    cold = len(drawn)
    drawn.clear()
    second = letter_for("every red flag", "Maria")
    warm = pdf.render_pdf(second)
    assert 0 < len(drawn) <= 3 < cold / 10, (len(drawn), cold)
    assert all("Maria" in text or "http" in text for text in drawn), drawn
    assert warm == _uncached(second, "Letter", monkeypatch)


def test_a_page_footer_drawn_in_an_earlier_letter_is_not_drawn_again(monkeypatch):
    """The footer and the signer's page line are the same on each page number of
    every letter the trainer signs: drawn once per process (issue 13)."""
    split: list[str] = []
    simple_split = pdf.simpleSplit

    def counting(text, *args):
        split.append(text)
        return simple_split(text, *args)

    monkeypatch.setattr(pdf, "_DRAWN", type(pdf._DRAWN)())
    monkeypatch.setattr(pdf, "simpleSplit", counting)
    pdf.render_pdf(letter_for("every red flag", "Ana"))
    assert len(split) >= 2  # a footer on each page
    split.clear()
    second = letter_for("every red flag", "Maria")
    warm = pdf.render_pdf(second)
    assert split == []
    assert warm == _uncached(second, "Letter", monkeypatch)


def test_a_drawing_that_names_another_font_is_not_kept(monkeypatch):
    """A replay names again only the keyed font: drawing that names any other (here
    the bold face, while the key names the regular one) is drawn each time."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    pdf.register_fonts()
    monkeypatch.setattr(pdf, "_DRAWN", type(pdf._DRAWN)())
    canvas = Canvas(io.BytesIO(), initialFontName=pdf.FONT)
    regular = pdfmetrics.getFont(pdf.FONT)

    def key() -> tuple:
        return ("t", pdf.FONT, pdf._name_in(regular, canvas._doc), pdf._canvas_state(canvas))

    def in_bold() -> None:
        canvas.saveState()
        canvas.setFont(pdf.BOLD, 9)
        canvas.drawString(10, 10, "bold")
        canvas.restoreState()  # the same state after: only the naming differs

    pdf._drawn_once(canvas, key(), in_bold)
    assert len(pdf._DRAWN) == 0
    pdf._drawn_once(canvas, key(), lambda: canvas.drawString(10, 20, "regular"))
    assert len(pdf._DRAWN) == 1  # the keyed font's first use: kept, named on replay
