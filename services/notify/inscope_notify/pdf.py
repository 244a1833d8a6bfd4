"""The letter as a PDF, drawn in process with reportlab (no external binary).

Every string is XML-escaped before it reaches a Paragraph: reportlab reads a small markup
language, and a client named ``<script>`` must print as text, not as a tag.

Text is set in DejaVu Sans, shipped in ``fonts/`` with its licence and embedded (subset)
in every PDF: reportlab's built-in Helvetica knows Latin-1 only, and printed "Łukasz" as
a black box. With a Unicode TrueType font a Polish, Vietnamese or Greek name prints and
extracts back exactly. Paper is A4 or US Letter by the facility's locale setting.
"""

from __future__ import annotations

import io
import operator
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from copy import deepcopy
from functools import cache, lru_cache
from importlib.resources import files
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    makeToUnicodeCMap,
)
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    HRFlowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageTemplate,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from inscope_clinical.letters.letter import Block, Letter

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
ACCENT = colors.HexColor("#1f4e79")
ALERT = colors.HexColor("#a00000")
PAPER = {"A4": A4, "Letter": LETTER}
FONT = "InScopeSans"
BOLD = "InScopeSans-Bold"


class _Formatted(pdfdoc.PDFObject):
    """A PDF object already formatted: its bytes as reportlab wrote them."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: object) -> bytes:
        return self.data


class _FormattedStream(_Formatted):
    __RefOnly__ = 1  # a stream is an indirect object, as reportlab's own


class SubsetCachingTTFont(TTFont):
    """reportlab's TTFont, with each font subset's PDF objects formatted once per process.

    Every letter embeds the subset of each face it uses: the subset font file (built from
    the TrueType tables, then compressed), its widths and its ToUnicode map. They are
    the same bytes for the same characters in the same order, which with reportlab's
    ASCII-readable subsets is nearly every letter (printable ASCII in fixed places, the
    few other characters in order of first use), and were about a third of drawing a
    letter (issue 13). ``addObjects`` is reportlab's own (5.1), with those three parts
    taken from the cache; the PDF is byte for byte the one reportlab writes
    (tests/notify/test_letter_pdf_bytes.py renders every scenario letter both ways).
    Bounded: the least recently used subsets go."""

    def __init__(self, name: str, filename: object, size: int = 32) -> None:
        super().__init__(name, filename)
        self.size = size
        self.built = 0  # subsets formatted so far (tests count them)
        self._parts: OrderedDict[tuple, tuple[bytes, bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def addObjects(self, doc: pdfdoc.PDFDocument) -> None:  # noqa: N802 - reportlab's name
        if not isinstance(doc.encrypt, pdfdoc.NoEncryption):
            super().addObjects(doc)  # encrypted streams differ per document
            return
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(self._asciiReadable)
        state.frozen = 1
        for n, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            base_font_name = (
                b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX))
            ).decode("pdfdoc")
            widths, cmap, font_file = self._formatted(doc, base_font_name, subset)

            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {self.fontName} subset {n}"
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_font_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            pdf_font.Widths = _Formatted(widths)
            pdf_font.ToUnicode = doc.Reference(
                _FormattedStream(cmap), "toUnicodeCMap:" + base_font_name
            )
            pdf_font.FontDescriptor = self._descriptor(doc, base_font_name, font_file)
            doc.Reference(pdf_font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = pdf_font
        del self.state[doc]

    def splitString(self, text, doc, encoding="utf-8"):  # noqa: ANN001, ANN201, N802
        """reportlab's ``splitString`` (each run of characters with the subset it is
        in), without its walk through every character for text of printable ASCII
        only, nearly every string a letter draws (issue 13: about a tenth of drawing a
        letter): with ASCII-readable subsets each such character is its own code in
        subset 0 (``_ascii_is_itself`` checks this document's assignments), so the run is
        the text's own bytes, as reportlab's walk would make it."""
        if text.__class__ is str and _PRINTABLE_ASCII.fullmatch(text) is not None:
            try:
                state = self.state[doc]
            except KeyError:
                state = self.state[doc] = TTFont.State(self._asciiReadable, self)
            if _ascii_is_itself(state):
                return [(0, text.encode("ascii"))]
        return super().splitString(text, doc, encoding)

    def _formatted(
        self, doc: pdfdoc.PDFDocument, base_font_name: str, subset: list[int]
    ) -> tuple[bytes, bytes, bytes]:
        """(widths, ToUnicode stream, font file stream) of one subset, as reportlab
        formats them (none refers to another object)."""
        key = (base_font_name, tuple(subset), bool(doc.compression))
        with self._lock:
            parts = self._parts.get(key)
            if parts is not None:
                self._parts.move_to_end(key)
                return parts
        filters = [pdfdoc.PDFZCompress] if doc.compression else None
        widths = pdfdoc.PDFArray(list(map(self.face.getCharWidth, subset)))
        cmap = pdfdoc.PDFStream(content=makeToUnicodeCMap(base_font_name, subset), filters=filters)
        font_file = pdfdoc.PDFStream(content=self.face.makeSubset(subset), filters=filters)
        font_file.dictionary["Length1"] = len(font_file.content)
        parts = (widths.format(doc), cmap.format(doc), font_file.format(doc))
        with self._lock:
            self.built += 1
            self._parts[key] = parts
            while len(self._parts) > self.size:
                self._parts.popitem(last=False)
        return parts

    def _descriptor(
        self, doc: pdfdoc.PDFDocument, fontname: str, font_file: bytes
    ) -> pdfdoc.PDFObjectReference:
        """reportlab's ``TTFontFace.addSubsetObjects``, with the font file formatted."""
        face = self.face
        font_file_ref = doc.Reference(
            _FormattedStream(font_file), f"fontFile:{face.filename}({fontname})"
        )
        flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": face.ascent,
                "CapHeight": face.capHeight,
                "Descent": face.descent,
                "Flags": flags,
                "FontBBox": pdfdoc.PDFArray(face.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": face.italicAngle,
                "StemV": face.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": face.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


_PRINTABLE_ASCII = re.compile("[ -~]+")


def _ascii_is_itself(state: TTFont.State) -> bool:
    """Whether every printable ASCII character is assigned its own code in subset 0 in
    this state (an ASCII-readable one: always, once set up). Asked once per state."""
    known = getattr(state, "_inscope_ascii_is_itself", None)
    if known is None:
        assignments = state.assignments
        known = all(assignments.get(code) == code for code in range(32, 127))
        state._inscope_ascii_is_itself = known
    return known


@cache
def register_fonts() -> tuple[str, str]:
    """Register the shipped TrueType faces once per process; (regular, bold) names."""
    fonts = files("inscope_notify") / "fonts"
    for name, path in ((FONT, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        with (fonts / path).open("rb") as handle:
            pdfmetrics.registerFont(SubsetCachingTTFont(name, io.BytesIO(handle.read())))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return FONT, BOLD


@cache
def _styles() -> dict[str, ParagraphStyle]:
    """The letter's paragraph styles, built once per process (reportlab reads a style,
    never changes it)."""
    register_fonts()
    base = getSampleStyleSheet()["Normal"]
    body = ParagraphStyle(
        "body", base, fontName=FONT, fontSize=10, leading=13.2, textColor=INK, spaceAfter=4
    )
    return {
        "body": body,
        "facility": ParagraphStyle(
            "facility",
            body,
            fontName=BOLD,
            fontSize=15,
            leading=19,
            textColor=ACCENT,
            spaceAfter=2,
        ),
        "small": ParagraphStyle(
            "small", body, fontSize=9, leading=12, textColor=MUTED, spaceAfter=0
        ),
        "title": ParagraphStyle(
            "title",
            body,
            fontName=BOLD,
            fontSize=13,
            leading=17,
            spaceBefore=6,
            spaceAfter=6,
        ),
        "re": ParagraphStyle("re", body, fontName=BOLD),
        "heading": ParagraphStyle(
            "heading",
            body,
            fontName=BOLD,
            fontSize=10,
            textColor=ACCENT,
            spaceBefore=6,
            spaceAfter=1,
        ),
        "banner": ParagraphStyle("banner", body, fontName=BOLD, textColor=ALERT, spaceAfter=0),
        "footer": ParagraphStyle("footer", body, fontSize=8, leading=10, textColor=MUTED),
        "urgent": ParagraphStyle(
            "urgent", body, fontName=BOLD, fontSize=16, leading=20, textColor=ALERT
        ),
    }


# What deepcopy returns as it is (copy._deepcopy_atomic), nearly all of a frame's state.
_ATOMIC = frozenset({type(None), int, float, bool, complex, str, bytes, type})


class _Frame(Frame):
    """reportlab's Frame, copied for less work: reportlab deep-copies the frame each time
    it measures a group of flowables (a KeepTogether, a list), about ten times a letter,
    and ``copy.deepcopy`` walks the frame's fifty-odd attributes one call each (issue 13:
    about a tenth of drawing a letter). The same copy: the atomic values themselves, as
    deepcopy keeps them, and anything else deep-copied as deepcopy would."""

    def __deepcopy__(self, memo: dict) -> _Frame:
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        new.__dict__.update(
            {
                name: value if value.__class__ in _ATOMIC else deepcopy(value, memo)
                for name, value in self.__dict__.items()
            }
        )
        return new


class _DocTemplate(SimpleDocTemplate):
    """``SimpleDocTemplate`` whose pages use ``_Frame`` (its ``build``, reportlab 5.1,
    with that one class changed)."""

    def build(self, flowables, onFirstPage, onLaterPages):  # noqa: ANN001, N803
        self._calc()  # in case we changed margins sizes etc
        frame = _Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="normal")
        self.addPageTemplates(
            [
                PageTemplate(id="First", frames=frame, onPage=onFirstPage, pagesize=self.pagesize),
                PageTemplate(id="Later", frames=frame, onPage=onLaterPages, pagesize=self.pagesize),
            ]
        )
        BaseDocTemplate.build(self, flowables)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text. Most of a letter's paragraphs are the same words from
    letter to letter (headings, the request, the sign-off): each is parsed once per
    process and later paragraphs start from copies of its fragments (issue 13: parsing
    was about a fifth of drawing a letter). The same fragments, so the same PDF."""
    cleaned, parsed_style, frags, bullet = _parsed(text, style)
    para = _Paragraph(cleaned, parsed_style, bullet, frags=[frag.clone() for frag in frags])
    para._lines_key = (text, style)
    return para


class _Paragraph(Paragraph):
    """A paragraph that breaks its lines once per width: reportlab wraps a paragraph
    inside a KeepTogether or a list twice, once to measure the group and again when the
    frame places it, each time breaking the same lines (issue 13: about a third of a
    letter's wraps). The lines broken for that width again, so the same PDF."""

    _wrapped: tuple[float, float, object] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        wrapped = self._wrapped
        if (
            wrapped is not None
            and wrapped[0] == availWidth
            and getattr(self, "blPara", None) is wrapped[2]
        ):
            self.width, self.height = availWidth, wrapped[1]
            return availWidth, wrapped[1]
        width, height = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, height, self.blPara)
        return width, height

    # What ``_p`` parsed this paragraph from, (text, style): its lines at a width are
    # those of any paragraph made from the same (``breakLines``).
    _lines_key: tuple[str, ParagraphStyle] | None = None

    def breakLines(self, width):  # noqa: ANN001, ANN201, N802 - reportlab's name
        """reportlab's ``breakLines``, once per process for a paragraph's words in its
        style at a width, not once per letter (issue 13: most of a letter's paragraphs
        are the same words from letter to letter, and breaking them was about a sixth
        of drawing one). Only for a paragraph of one fragment and no bullet, whose
        lines (``kind`` 0: each line's spare width and its words) depend on nothing
        else; the lines and the attributes reportlab's breaking leaves on the paragraph
        are those it left the first time, copied, so the same PDF."""
        key = self._lines_key
        if key is None or self.bulletText is not None or len(self.frags) != 1:
            return super().breakLines(width)
        key = (*key, tuple(width))
        with _LINES_LOCK:
            broken = _LINES.get(key)
            if broken is not None:
                _LINES.move_to_end(key)
        if broken is None:
            para = super().breakLines(width)
            if para.kind != 0:
                return para
            broken = (
                para.clone(lines=[(spare, list(words)) for spare, words in para.lines]),
                self._width_max,
                self._splitLongWordCount,
                self._hyphenations,
            )
            with _LINES_LOCK:
                _LINES[key] = broken
                while len(_LINES) > _LINES_SIZE:
                    _LINES.popitem(last=False)
            return para
        para, self._width_max, self._splitLongWordCount, self._hyphenations = broken
        self.height = 0  # as reportlab's breakLines leaves it (wrap sets it next)
        return para.clone(lines=[(spare, list(words)) for spare, words in para.lines])


    def drawOn(self, canvas, x, y, _sW=0):  # noqa: ANN001, ANN201, N803 - reportlab's
        """The paragraph's drawing operators, made once per process for the same words
        in the same style, size and canvas state, then written again (issue 13: most
        of a letter's paragraphs are the same words from letter to letter, and drawing
        them was about a fifth of drawing a letter). ``Flowable.drawOn`` draws between
        a saved state with its origin moved to the paragraph (``q``, ``cm``) and the
        state restored (``Q``), so what it draws there does not depend on where the
        paragraph stands. Only for a paragraph of printable ASCII in one fragment,
        whose drawing changes nothing but the page's operators and, at a font's first
        use in the document, the font's internal name (taken again here, in the same
        order): the same bytes as drawing it (tests/notify/test_letter_pdf_bytes.py)."""
        key = self._draw_key(canvas)
        if key is None or getattr(self, "_showBoundary", None):
            super().drawOn(canvas, x, y, _sW)
            return
        with _DRAWN_LOCK:
            drawn = _DRAWN.get(key)
            if drawn is not None:
                _DRAWN.move_to_end(key)
        moved = "%s cm" % fp_str(1, 0, 0, 1, self._hAlignAdjust(x, _sW), y)  # noqa: UP031
        if drawn is not None:
            pdfmetrics.getFont(key[3]).getSubsetInternalName(0, canvas._doc)
            canvas._code.extend(("q", moved, *drawn, "Q"))
            return
        before = _side_effects(canvas)
        fonts_before = len(canvas._doc.fontMapping)
        start = len(canvas._code)
        super().drawOn(canvas, x, y, _sW)
        code = canvas._code[start:]
        if (
            code[:2] != ["q", moved]
            or code[-1] != "Q"
            or _side_effects(canvas) != before
            or _canvas_state(canvas) != key[-1]
            or not _named_as_keyed(canvas, key, fonts_before)
        ):
            return  # drew something more than operators: not written again
        with _DRAWN_LOCK:
            _DRAWN[key] = tuple(code[2:-1])
            while len(_DRAWN) > _DRAWN_SIZE:
                _DRAWN.popitem(last=False)

    def _draw_key(self, canv: object) -> tuple | None:
        """What this paragraph's operators depend on, or None when they are not to be
        kept: its words and style, its size, the internal name of its font in this
        document (or the one its first use will give it), and the canvas's state."""
        lines_key = self._lines_key
        if (
            lines_key is None
            or self.bulletText is not None
            or len(self.frags) != 1
            or self.debug
            or getattr(self, "blPara", None) is None
            or self.blPara.kind != 0
            or hasattr(self, "_offsets")
            or _PRINTABLE_ASCII.fullmatch(lines_key[0]) is None
        ):
            return None
        font = pdfmetrics.getFont(self.frags[0].fontName)
        if not isinstance(font, SubsetCachingTTFont):
            return None
        state = _canvas_state(canv)
        if state is None:
            return None
        name = _name_in(font, canv._doc)
        return (lines_key, self.width, self.height, font.fontName, name, state)


def _name_in(font: TTFont, doc: pdfdoc.PDFDocument) -> str | int:
    """The font's internal name in this document, or, before its first use there, the
    number of fonts named so far (its first use names it after them)."""
    state = font.state.get(doc)
    name = state.internalName if state is not None else None
    return len(doc.fontMapping) if name is None else name


def _named_as_keyed(canv: object, key: tuple, fonts_before: int) -> bool:
    """Whether drawing named no font but the keyed one (``key[-3]``), and that one only
    if the key says its first use was still to come (``key[-2]``: a count, not a
    name): what a replay names again."""
    named = len(canv._doc.fontMapping) - fonts_before
    return named == isinstance(key[-2], int) and isinstance(
        _name_in(pdfmetrics.getFont(key[-3]), canv._doc), str
    )


def _side_effects(canv: object) -> tuple:
    """What drawing could change besides the page's operators and a font's name: the
    graphics states, colours, forms and links the page refers to."""
    extgstate = canv._extgstate
    return (
        len(extgstate._c),
        tuple(extgstate._d.items()),
        len(canv._colorsUsed),
        len(canv._formsinuse),
        len(canv._annotationrefs),
        len(canv.state_stack),
    )


def _canvas_state(canv: object) -> tuple | None:
    """The canvas's graphics and text state (what ``saveState`` keeps), bar where the
    origin is: what a paragraph's operators can depend on. None when some part of it
    cannot be a key (a dash pattern given as a list, say)."""
    state = _STATE_OF(canv.__dict__) + tuple(canv._extgstate._d.items())
    try:
        hash(state)
    except TypeError:
        return None
    return state


_STATE_OF = operator.itemgetter(
    *(name for name in Canvas.STATE_ATTRIBUTES if name not in ("_currentMatrix", "_extgstate"))
)
# Operators drawn by _Paragraph.drawOn: (words, style, size, font, state) -> operators.
_DRAWN: OrderedDict[tuple, tuple[str, ...]] = OrderedDict()
_DRAWN_LOCK = threading.Lock()
_DRAWN_SIZE = 2048


# Lines broken by _Paragraph.breakLines: (text, style, widths) -> (lines, attributes).
_LINES: OrderedDict[tuple, tuple] = OrderedDict()
_LINES_LOCK = threading.Lock()
_LINES_SIZE = 2048


@lru_cache(maxsize=1024)
def _parsed(text: str, style: ParagraphStyle) -> tuple[str, ParagraphStyle, list, object]:
    """What reportlab's parser makes of ``text`` (escaped) in ``style``: the cleaned
    text, the style, the fragments and any bullet text, as ``Paragraph`` keeps them."""
    para = Paragraph(escape(text), style)
    return para.text, para.style, para.frags, para.bulletText


def _banner(text: str, styles: dict[str, ParagraphStyle]) -> Table:
    table = Table([[_p(text, styles["banner"])]], colWidths=["100%"])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.5, ALERT),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _block(block: Block, styles: dict[str, ParagraphStyle]) -> list:
    flow: list = [_p(block.heading, styles["heading"])]
    flow += [_p(text, styles["body"]) for text in block.paragraphs]
    if block.bullets:
        flow.append(
            ListFlowable(
                [ListItem(_p(b, styles["body"]), leftIndent=12) for b in block.bullets],
                bulletType="bullet",
                start="\u2022",
                leftIndent=12,
                bulletFontSize=9,
                bulletFontName=FONT,
            )
        )
    if block.link:
        url = escape(block.link, {'"': "&quot;"})
        flow.append(
            Paragraph(
                f'<link href="{url}" color="#1f4e79"><u>{escape(block.link)}</u></link>',
                styles["body"],
            )
        )
    flow += [_p(text, styles["body"]) for text in block.after]
    # A heading never ends a page alone.
    return [KeepTogether(flow[:2]), *flow[2:]]


def render_pdf(letter: Letter, paper: str = "Letter") -> bytes:
    """The letter on ``paper`` (``A4`` or ``Letter``)."""
    styles = _styles()
    pagesize = PAPER[paper]
    buffer = io.BytesIO()
    doc = _DocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=16 * mm,
        bottomMargin=22 * mm,
        title=letter.title,
        author=letter.sender_lines[1] if len(letter.sender_lines) > 1 else "",
        invariant=True,
        initialFontName=FONT,  # no base-14 Helvetica anywhere in the file
    )
    story: list = []
    if letter.urgent:
        story.append(_p("URGENT", styles["urgent"]))
    story.append(_p(letter.sender_lines[1], styles["facility"]))
    story += [
        _p(line, styles["small"]) for line in (letter.sender_lines[0], *letter.sender_lines[2:])
    ]
    story += [Spacer(1, 4), HRFlowable(width="100%", thickness=0.8, color=ACCENT), Spacer(1, 8)]
    if letter.banner:
        story += [_banner(letter.banner, styles), Spacer(1, 8)]
    story.append(_p(letter.date, styles["body"]))
    story += [
        _p(line, styles["small"] if i else styles["body"])
        for i, line in enumerate(letter.recipient_lines)
    ]
    story += [
        Spacer(1, 6),
        _p(letter.title, styles["title"]),
        _p(letter.regarding, styles["re"]),
        _p(letter.salutation, styles["body"]),
    ]
    for block in letter.blocks:
        story += _block(block, styles)
    # The sign-off and the signature stay on one page.
    closing = [Spacer(1, 8), _p(letter.closing[0], styles["body"]), Spacer(1, 6)]
    closing += [
        _p(line, styles["re"] if i == 0 else styles["small"])
        for i, line in enumerate(letter.closing[1:])
    ]
    story.append(KeepTogether(closing))
    footer = letter.footer
    signer = letter.sender_lines[0]

    def decorate(canvas, document) -> None:  # noqa: ANN001 - reportlab callback
        _page_footer(canvas, document, footer, signer, pagesize)

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _page_footer(canvas, document, footer: str, signer: str, pagesize: tuple) -> None:  # noqa: ANN001
    """The footer and the signer's page line, drawn once per process for the same
    words, page number, page and canvas state (issue 13: the same on nearly every
    letter's pages), as ``_drawn_once`` keeps them."""

    def draw() -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        width = pagesize[0] - document.leftMargin - document.rightMargin
        for i, line in enumerate(simpleSplit(footer, FONT, 7.5, width)[:2]):
            canvas.drawString(document.leftMargin, (15 - 3.2 * i) * mm, line)
        canvas.drawRightString(
            pagesize[0] - document.rightMargin, 6 * mm, f"{signer} | page {document.page}"
        )
        canvas.restoreState()

    state = _canvas_state(canvas)
    if state is None or _PRINTABLE_ASCII.fullmatch(footer + signer) is None:
        draw()
        return
    where = (document.page, tuple(pagesize), document.leftMargin, document.rightMargin)
    font = pdfmetrics.getFont(FONT)
    key = ("footer", footer, signer, where, FONT, _name_in(font, canvas._doc), state)
    _drawn_once(canvas, key, draw)


def _drawn_once(canvas, key: tuple, draw: Callable[[], None]) -> None:  # noqa: ANN001
    """What ``draw`` writes on the canvas, kept under ``key`` (its last two parts: the
    name of the one font it uses and the canvas's state) and written again for the
    same key. Kept only when drawing changed nothing but the page's operators and the
    canvas's state came back as it was: the font's internal name, which its first use
    in a document gives it, is taken again on replay, in the same place."""
    with _DRAWN_LOCK:
        drawn = _DRAWN.get(key)
        if drawn is not None:
            _DRAWN.move_to_end(key)
    if drawn is not None:
        pdfmetrics.getFont(key[-3]).getSubsetInternalName(0, canvas._doc)
        canvas._code.extend(drawn)
        return
    before = _side_effects(canvas)
    fonts_before = len(canvas._doc.fontMapping)
    start = len(canvas._code)
    draw()
    if (
        _side_effects(canvas) != before
        or _canvas_state(canvas) != key[-1]
        or not _named_as_keyed(canvas, key, fonts_before)
    ):
        return
    with _DRAWN_LOCK:
        _DRAWN[key] = tuple(canvas._code[start:])
        while len(_DRAWN) > _DRAWN_SIZE:
            _DRAWN.popitem(last=False)
