"""The report as a PDF, built directly with ReportLab (pure pip, no browser, no system fonts).

The text is set in Bitstream Vera, the TrueType family that ships inside
ReportLab, embedded in the file, so å, ä and ö print and extract the same on
every machine. The charts are the same geometry as the HTML's
(`charts.chart_for`). The document is built with ReportLab's `invariant`
mode (no creation time, no random document id): the same report gives the
same bytes.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

import reportlab
from reportlab.graphics import shapes as rl
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import Table as RlTable
from reportlab.platypus import TableStyle as RlTableStyle

from services.reporting.domain.compiled import (
    Cell,
    CompiledReport,
    Lang,
    SuppressedFigure,
    Table,
)
from services.reporting.domain.disclosure import TOTAL
from services.reporting.render.charts import Box, Drawing, Words, chart_for
from services.reporting.render.labels import (
    comments_withheld,
    disclosure_text,
    format_cell,
    format_date,
    format_year,
    label,
)

FAMILY: Final = "ArshjulVera"
BOLD: Final = f"{FAMILY}-Bold"
MARGIN: Final = 18 * mm
BLUE: Final = colors.HexColor("#0072B2")
GREY: Final = colors.HexColor("#777777")


@cache
def _fonts() -> None:
    """Register the Vera family bundled with ReportLab (once per process)."""
    folder = Path(reportlab.__file__).parent / "fonts"
    faces = {
        FAMILY: "Vera.ttf",
        BOLD: "VeraBd.ttf",
        f"{FAMILY}-Italic": "VeraIt.ttf",
        f"{FAMILY}-BoldItalic": "VeraBI.ttf",
    }
    for name, file in faces.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(
        FAMILY,
        normal=FAMILY,
        bold=BOLD,
        italic=f"{FAMILY}-Italic",
        boldItalic=f"{FAMILY}-BoldItalic",
    )


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FAMILY, fontSize=9.5, leading=13)
    return {
        "body": body,
        "title": ParagraphStyle("title", body, fontName=BOLD, fontSize=20, leading=25),
        "scope": ParagraphStyle("scope", body, fontSize=13, leading=17, textColor=BLUE),
        "h2": ParagraphStyle(
            "h2",
            body,
            fontName=BOLD,
            fontSize=14,
            leading=18,
            spaceBefore=12,
            spaceAfter=4,
            textColor=BLUE,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3", body, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, keepWithNext=1
        ),
        "note": ParagraphStyle("note", body, fontSize=8, leading=10.5, textColor=GREY),
        "paragraph": ParagraphStyle("paragraph", body, spaceAfter=4),
        "mono": ParagraphStyle("mono", body, fontSize=7.5, leading=10),
        "cell": ParagraphStyle("cell", body, fontSize=8.5, leading=10.5),
        "num": ParagraphStyle("num", body, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
        "head": ParagraphStyle(
            "head", body, fontName=BOLD, fontSize=8, leading=10, alignment=TA_RIGHT
        ),
        "num_total": ParagraphStyle(
            "num_total", body, fontName=BOLD, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
        ),
        "disclosure": ParagraphStyle(
            "disclosure",
            body,
            fontSize=8.5,
            leading=11.5,
            backColor=colors.HexColor("#f3f6fa"),
            borderPadding=5,
            spaceBefore=6,
            spaceAfter=6,
        ),
    }


def render_pdf(report: CompiledReport, lang: Lang) -> bytes:
    _fonts()
    styles = _styles()
    out = io.BytesIO()
    title = label("title", lang)
    heading = f"{title} · {report.scope.name(lang)} · {report.year.label}"
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{title} – {report.scope.name(lang)} {report.year.label}",
        author="Årshjul",
        lang=lang,
        invariant=True,
    )

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FAMILY, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, MARGIN / 2, heading)
        canvas.drawRightString(A4[0] - MARGIN, MARGIN / 2, f"{label('page', lang)} {doc.page}")
        canvas.restoreState()

    story: list[Flowable] = _header(report, lang, styles)
    width = A4[0] - 2 * MARGIN
    for section in report.sections:
        # The section's heading travels with its first table, never alone at a page's foot.
        opening: list[Flowable] = [Paragraph(escape(section.title.in_(lang)), styles["h2"])]
        if section.note is not None:
            opening.append(Paragraph(escape(section.note.in_(lang)), styles["note"]))
        if not section.tables:
            opening.append(Paragraph(escape(label("no_tables", lang)), styles["body"]))
            story.append(KeepTogether(opening))
        for table in section.tables:
            story.append(KeepTogether([*opening, *_table(table, report, lang, styles, width)]))
            opening = []
    story.append(PageBreak())
    story += _comments(report, lang, styles)
    story.append(Spacer(1, 10))
    story.append(Paragraph(escape(label("legend", lang)), styles["note"]))
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _header(
    report: CompiledReport, lang: Lang, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    rows = [
        (label("follow_up_year", lang), format_year(report.year, lang), "body"),
        (label("version", lang), str(report.version), "body"),
        (label("inputs", lang), f"{report.input_count} {label('events', lang)}", "body"),
        (label("inputs_checksum", lang), report.inputs_checksum, "mono"),
        (label("figures_checksum", lang), report.figures_checksum, "mono"),
    ]
    meta = RlTable(
        [
            [
                Paragraph(f"<b>{escape(name)}</b>", styles["body"]),
                Paragraph(escape(value), styles[style]),
            ]
            for name, value, style in rows
        ],
        colWidths=[52 * mm, None],
        hAlign="LEFT",
    )
    meta.setStyle(
        RlTableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return [
        Paragraph(escape(label("title", lang)), styles["title"]),
        Paragraph(escape(report.scope.name(lang)), styles["scope"]),
        Spacer(1, 4),
        meta,
        Paragraph(escape(disclosure_text(report, lang)), styles["disclosure"]),
    ]


def _table(
    table: Table,
    report: CompiledReport,
    lang: Lang,
    styles: dict[str, ParagraphStyle],
    width: float,
) -> list[Flowable]:
    block: list[Flowable] = [Paragraph(escape(table.title.in_(lang)), styles["h3"])]
    drawing = chart_for(table, lang)
    if drawing is not None:
        block.append(_drawing(drawing, width))
    previous_label = report.year.previous().label
    columns = [(j, c.key, c.label.in_(lang)) for j, c in enumerate(table.columns)]
    if table.row_totals is not None:
        columns.append((TOTAL, "", label("total", lang)))
    rows = [(i, h.key, h.label.in_(lang)) for i, h in enumerate(table.rows)]
    if table.column_totals is not None:
        rows.append((TOTAL, "", label("total", lang)))
    data: list[list[Flowable | str]] = [
        ["", *(Paragraph(f"<b>{escape(name)}</b>", styles["head"]) for _, _, name in columns)]
    ]
    for i, row_key, row_label in rows:
        bold = i == TOTAL
        line: list[Flowable | str] = [
            Paragraph(f"<b>{escape(row_label)}</b>" if bold else escape(row_label), styles["cell"])
        ]
        for j, column_key, _ in columns:
            cell = table.cell(row_key, column_key)
            old = table.previous.cell(row_key, column_key) if table.previous else None
            style = styles["num_total"] if bold or j == TOTAL else styles["num"]
            line.append(Paragraph(_figure(cell, old, previous_label, lang), style))
        data.append(line)
    first = min(62 * mm, max(40 * mm, width - len(columns) * 24 * mm))
    rest = (width - first) / len(columns)
    grid = RlTable(data, colWidths=[first, *([rest] * len(columns))], repeatRows=1, hAlign="LEFT")
    commands: list[Any] = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#dddddd")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (1, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if table.column_totals is not None:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 1, colors.HexColor("#999999")))
    grid.setStyle(RlTableStyle(commands))
    block.append(grid)
    if table.note is not None:
        block.append(Paragraph(escape(table.note.in_(lang)), styles["note"]))
    block.append(Spacer(1, 6))
    return block


def _figure(cell: Cell | None, old: Cell | None, previous_label: str, lang: Lang) -> str:
    if cell is None:
        return ""
    text = escape(format_cell(cell, lang))
    if isinstance(cell, SuppressedFigure):
        text = f'<font color="#555555">{text}</font>'
    if old is not None:
        before = escape(format_cell(old, lang))
        text += f'<br/><font size="6.5" color="#777777">{previous_label}: {before}</font>'
    return text


def _drawing(drawing: Drawing, width: float) -> rl.Drawing:
    """The chart geometry (top-left origin) as a ReportLab drawing (bottom-left origin)."""
    height = drawing.height
    scale = min(1.0, width / drawing.width)
    out = rl.Drawing(drawing.width * scale, height * scale)
    group = rl.Group()
    for shape in drawing.shapes:
        if isinstance(shape, Box):
            fill = colors.HexColor("#f2f2f2") if shape.outline else colors.HexColor(shape.fill)
            stroke = colors.HexColor(shape.fill) if shape.outline else None
            box = rl.Rect(shape.x, height - shape.y - shape.height, shape.width, shape.height)
            box.fillColor = fill
            box.strokeColor = stroke
            box.strokeWidth = 0.6
            if shape.outline:
                box.strokeDashArray = [3, 2]
            group.add(box)
        elif isinstance(shape, Words):
            group.add(
                rl.String(
                    shape.x,
                    height - shape.y,
                    shape.text,
                    fontName=FAMILY,
                    fontSize=shape.size,
                    fillColor=colors.HexColor(shape.fill),
                    textAnchor=shape.anchor,
                )
            )
        else:
            group.add(
                rl.Line(
                    shape.x1,
                    height - shape.y1,
                    shape.x2,
                    height - shape.y2,
                    strokeColor=colors.HexColor(shape.stroke),
                    strokeWidth=0.6,
                )
            )
    group.scale(scale, scale)
    out.add(group)
    return out


def _comments(
    report: CompiledReport, lang: Lang, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(escape(label("comments", lang)), styles["h2"]),
        Paragraph(escape(label("comments_intro", lang)), styles["body"]),
        Spacer(1, 6),
    ]
    if comments_withheld(report):
        story.append(Paragraph(escape(label("comments_withheld", lang)), styles["note"]))
    elif not report.comments:
        story.append(Paragraph(escape(label("no_comments", lang)), styles["body"]))
    for comment in report.comments:
        block: list[Flowable] = [
            Paragraph(f"{escape(label('unit', lang))} {escape(comment.unit)}", styles["h3"]),
            Paragraph(
                escape(f"{label('recorded_on', lang)} {format_date(comment.recorded_on, lang)}"),
                styles["note"],
            ),
        ]
        block += [
            Paragraph(escape(p.strip()), styles["paragraph"])
            for p in comment.comment.split("\n\n")
            if p.strip()
        ]
        if comment.development_areas:
            block.append(
                Paragraph(f"<b>{escape(label('development_areas', lang))}</b>", styles["body"])
            )
            block += [
                Paragraph(escape(area), styles["body"], bulletText="•")
                for area in comment.development_areas
            ]
        story.append(KeepTogether(block))
    return story
