"""Charts drawn from a report's tables: one geometry, drawn as inline SVG and in the PDF.

A table that asks for a chart (`Table.chart`) gets one:

- BARS: one horizontal bar per row for one column (coverage per part), with
  the previous year as a thin grey bar beneath when the table has one;
- STACKED_BARS: one bar per row split by column as shares of the row's sum
  (RCI classes per scale, goal attainment).

Figures withheld by disclosure control are never drawn to scale: a bar with
a ".." figure is a grey outline marked "..", so a chart tells no more than
its table. The geometry is plain data (`Drawing`), top-left origin, in
points; `to_svg` writes it as SVG and the PDF renderer converts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from html import escape
from typing import Final, Literal

from services.reporting.domain.compiled import (
    ChartKind,
    Figure,
    FigureKind,
    Lang,
    SuppressedFigure,
    Table,
)
from services.reporting.domain.disclosure import SUPPRESSED
from services.reporting.render.labels import NOT_APPLICABLE, format_cell, label

#: Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
PALETTE: Final = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
GREY: Final = "#9a9a9a"
INK: Final = "#222222"
WIDTH: Final = 480.0
LABEL_WIDTH: Final = 180.0
VALUE_WIDTH: Final = 50.0
BAR: Final = 14.0
GAP: Final = 8.0
FONT: Final = 8.0
MAX_LABEL: Final = 36


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str
    outline: bool = False


@dataclass(frozen=True)
class Words:
    x: float
    y: float
    text: str
    anchor: Literal["start", "middle", "end"] = "start"
    size: float = FONT
    fill: str = INK


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GREY


Shape = Box | Words | Rule


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    title: str
    shapes: tuple[Shape, ...]


def chart_for(table: Table, lang: Lang) -> Drawing | None:
    """The chart the table asks for, or None."""
    if table.chart is None or not table.rows:
        return None
    if table.chart.kind is ChartKind.BARS:
        return _bars(table, table.chart.column or table.columns[0].key, lang)
    return _stacked(table, lang)


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def _bars(table: Table, column: str, lang: Lang) -> Drawing:
    previous = table.previous
    current = [table.cell(row.key, column) for row in table.rows]
    before = [previous.cell(row.key, column) if previous else None for row in table.rows]
    figures = [c for c in (*current, *before) if isinstance(c, Figure) and c.value is not None]
    is_share = any(f.kind is FigureKind.SHARE for f in figures)
    top = Fraction(1) if is_share else max((f.value for f in figures if f.value), default=None)
    scale_max = top if top and top > 0 else Fraction(1)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    step = BAR + (BAR / 2 if previous else 0) + GAP
    shapes: list[Shape] = []
    y = GAP
    for row, cell, old in zip(table.rows, current, before, strict=True):
        shapes.append(Words(LABEL_WIDTH - 6, y + BAR * 0.7, _short(row.label.in_(lang)), "end"))
        shapes += _bar(LABEL_WIDTH, y, BAR, plot, cell, scale_max, PALETTE[0], lang)
        if previous is not None:
            shapes += _bar(LABEL_WIDTH, y + BAR, BAR / 2, plot, old, scale_max, GREY, lang, 6.5)
        y += step
    shapes.append(Rule(LABEL_WIDTH, 0, LABEL_WIDTH, y))
    legend_y = y + 4
    if previous is not None:
        shapes += _legend(
            [(PALETTE[0], label("this_year", lang)), (GREY, label("previous_year", lang))],
            legend_y,
        )
        legend_y += 16
    return Drawing(WIDTH, legend_y + 4, table.title.in_(lang), tuple(shapes))


def _bar(
    x: float,
    y: float,
    height: float,
    plot: float,
    cell: object,
    scale_max: Fraction,
    colour: str,
    lang: Lang,
    size: float = FONT,
) -> list[Shape]:
    if isinstance(cell, SuppressedFigure):
        return [
            Box(x, y + 1, plot * 0.15, height - 2, GREY, outline=True),
            Words(x + plot * 0.15 + 4, y + height * 0.7, SUPPRESSED.value, size=size),
        ]
    if not isinstance(cell, Figure) or cell.value is None:
        return [Words(x + 4, y + height * 0.7, NOT_APPLICABLE, size=size)]
    length = float(max(cell.value, Fraction(0)) / scale_max) * plot
    text = format_cell(cell, lang)
    return [
        Box(x, y + 1, length, height - 2, colour),
        Words(x + length + 4, y + height * 0.7, text, size=size),
    ]


def _stacked(table: Table, lang: Lang) -> Drawing:
    plot = WIDTH - LABEL_WIDTH - 10
    shapes: list[Shape] = []
    y = GAP
    colours = {col.key: PALETTE[n % len(PALETTE)] for n, col in enumerate(table.columns)}
    for row in table.rows:
        shapes.append(Words(LABEL_WIDTH - 6, y + BAR * 0.7, _short(row.label.in_(lang)), "end"))
        shapes += _stack(table, row.key, colours, y, plot)
        y += BAR + GAP
    shapes.append(Rule(LABEL_WIDTH, 0, LABEL_WIDTH, y))
    legend = [(colours[col.key], col.label.in_(lang)) for col in table.columns]
    legend_shapes = _legend(legend, y + 4)
    bottom = max((s.y for s in legend_shapes if isinstance(s, Words)), default=y) + 8
    return Drawing(WIDTH, bottom, table.title.in_(lang), tuple([*shapes, *legend_shapes]))


def _stack(table: Table, row: str, colours: dict[str, str], y: float, plot: float) -> list[Shape]:
    """One row's bar. The withheld cells of a row are drawn together as one
    grey ".." segment: their sum is the row total less the published cells,
    which the table shows anyway. Without a published row total nothing can
    be drawn to scale, so the whole bar is "..".
    """
    cells = [(col.key, table.cell(row, col.key)) for col in table.columns]
    published = {key: c.value or Fraction(0) for key, c in cells if isinstance(c, Figure)}
    hidden = len(published) < len(cells)
    total = table.cell(row, "") if table.row_totals is not None else None
    if hidden and not (isinstance(total, Figure) and total.value is not None):
        return [
            Box(LABEL_WIDTH, y + 1, plot, BAR - 2, GREY, outline=True),
            Words(LABEL_WIDTH + plot / 2, y + BAR * 0.7, SUPPRESSED.value, "middle"),
        ]
    whole = total.value if isinstance(total, Figure) and total.value else sum(published.values())
    if not whole:
        return [Words(LABEL_WIDTH + 4, y + BAR * 0.7, NOT_APPLICABLE)]
    shapes: list[Shape] = []
    x = float(LABEL_WIDTH)
    for key, value in published.items():
        if value == 0:
            continue
        width = float(value / whole) * plot
        shapes.append(Box(x, y + 1, width, BAR - 2, colours[key]))
        if width >= 22:
            share = f"{round(value * 100 / whole)}%"
            shapes.append(Words(x + width / 2, y + BAR * 0.7, share, "middle", 7, "#ffffff"))
        x += width
    rest = whole - sum(published.values(), Fraction(0))
    if hidden and rest > 0:
        width = float(rest / whole) * plot
        shapes.append(Box(x, y + 1, width, BAR - 2, GREY, outline=True))
        shapes.append(Words(x + width / 2, y + BAR * 0.7, SUPPRESSED.value, "middle", 7))
    return shapes


def _legend(entries: list[tuple[str, str]], y: float) -> list[Shape]:
    """Swatches and names, wrapped onto as many lines as they need."""
    shapes: list[Shape] = []
    x = LABEL_WIDTH
    for colour, name in entries:
        text = _short(name)
        width = 14 + len(text) * FONT * 0.55 + 12
        if x + width > WIDTH and x > LABEL_WIDTH:
            x = LABEL_WIDTH
            y += 14
        shapes.append(Box(x, y + 2, 9, 9, colour))
        shapes.append(Words(x + 13, y + 9.5, text))
        x += width
    return shapes


def to_svg(drawing: Drawing) -> str:
    """The drawing as an SVG element for inline use in HTML5, which needs no
    namespace declaration; it refers to nothing outside itself."""
    parts = [
        f'<svg role="img" class="chart" '
        f'viewBox="0 0 {drawing.width:.1f} {drawing.height:.1f}" '
        f'width="{drawing.width:.0f}" height="{drawing.height:.0f}">',
        f"<title>{escape(drawing.title)}</title>",
    ]
    for shape in drawing.shapes:
        if isinstance(shape, Box):
            paint = (
                f'fill="#f2f2f2" stroke="{shape.fill}" stroke-dasharray="3 2"'
                if shape.outline
                else f'fill="{shape.fill}"'
            )
            parts.append(
                f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.width:.1f}" '
                f'height="{shape.height:.1f}" {paint}/>'
            )
        elif isinstance(shape, Words):
            parts.append(
                f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" text-anchor="{shape.anchor}" '
                f'font-size="{shape.size:.1f}" fill="{shape.fill}">{escape(shape.text)}</text>'
            )
        else:
            parts.append(
                f'<line x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" x2="{shape.x2:.1f}" '
                f'y2="{shape.y2:.1f}" stroke="{shape.stroke}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
