"""The client's program as a PDF (inscope_clinical.program_sheet), drawn in process with
reportlab like the letters: the same embedded Unicode font and paper (inscope_notify.pdf),
every string XML-escaped before it reaches a Paragraph."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)

from inscope_clinical.program_sheet import ProgramSheet, line_of
from inscope_notify.pdf import PAPER, register_fonts

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
ACCENT = colors.HexColor("#1f4e79")


def _styles() -> dict[str, ParagraphStyle]:
    font, bold = register_fonts()
    base = getSampleStyleSheet()["Normal"]
    body = ParagraphStyle("body", base, fontName=font, fontSize=10, leading=13,
                          textColor=INK, spaceAfter=3)
    return {
        "body": body,
        "facility": ParagraphStyle("facility", body, fontName=bold, fontSize=14,
                                   leading=18, textColor=ACCENT),
        "title": ParagraphStyle("title", body, fontName=bold, fontSize=13,
                                leading=17, spaceBefore=4, spaceAfter=6),
        "phase": ParagraphStyle("phase", body, fontName=bold, fontSize=11.5,
                                leading=15, textColor=ACCENT, spaceBefore=8, spaceAfter=2),
        "exercise": ParagraphStyle("exercise", body, fontName=bold, spaceBefore=4,
                                   spaceAfter=1),
        "vars": ParagraphStyle("vars", body, fontSize=9.5, leading=12.5, spaceAfter=1),
        "small": ParagraphStyle("small", body, fontSize=8.5, leading=11, textColor=MUTED),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _bullets(items: tuple[str, ...] | list[str], style: ParagraphStyle) -> ListFlowable:
    return ListFlowable([ListItem(_p(t, style), leftIndent=12) for t in items],
                        bulletType="bullet", start="\u2022", leftIndent=12, bulletFontSize=8)


def render_program_pdf(sheet: ProgramSheet, facility: str = "", paper: str = "Letter") -> bytes:
    """The sheet on ``paper`` (``A4`` or ``Letter``)."""
    styles = _styles()
    pagesize = PAPER[paper]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=16 * mm, bottomMargin=18 * mm, title=sheet.title,
                            author=facility, invariant=True)
    story: list = []
    if facility:
        story.append(_p(facility, styles["facility"]))
    story += [HRFlowable(width="100%", thickness=0.8, color=ACCENT), Spacer(1, 6),
              _p(sheet.title, styles["title"])]
    story += [_p(text, styles["body"]) for text in sheet.intro]
    if sheet.limits:
        story.append(_p(sheet.labels["limits"], styles["phase"]))
        story.append(_bullets(sheet.limits, styles["body"]))
    for phase in sheet.phases:
        story.append(KeepTogether([_p(f"{phase.order}. {phase.title}", styles["phase"]),
                                   _p(phase.why, styles["body"])]))
        for e in phase.exercises:
            block = [_p(e.name, styles["exercise"]), _p(line_of(e), styles["vars"])]
            if e.cues:
                block.append(_p(sheet.labels["how"].format(cues="; ".join(e.cues)),
                                styles["vars"]))
            block.append(_p(sheet.labels["keeps_to"].format(limits=" ".join(e.respects)),
                            styles["small"]))
            story.append(KeepTogether(block))
    story.append(Spacer(1, 8))
    for text in (sheet.progression, sheet.reassess_on, *sheet.closing):
        if text:
            story.append(_p(text, styles["body"]))

    def decorate(canvas, document) -> None:  # noqa: ANN001 - reportlab callback
        canvas.saveState()
        canvas.setFont(register_fonts()[0], 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(pagesize[0] - document.rightMargin, 8 * mm,
                               f"{facility} | " + sheet.labels["page"].format(page=document.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
