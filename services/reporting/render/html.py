"""The report as one self-contained HTML file: inline CSS, inline SVG charts, nothing fetched.

It opens from a file or an e-mail attachment on a machine with no network,
prints one section after another, and puts the unit managers' comments on a
page of their own.
"""

from __future__ import annotations

from html import escape
from typing import Final

from services.reporting.domain.compiled import (
    Cell,
    CompiledReport,
    Lang,
    SuppressedFigure,
    Table,
)
from services.reporting.domain.disclosure import TOTAL
from services.reporting.render.charts import chart_for, to_svg
from services.reporting.render.labels import (
    comments_withheld,
    disclosure_text,
    format_cell,
    format_date,
    format_year,
    label,
)

STYLE: Final = """
*{box-sizing:border-box}
body{font-family:"DejaVu Sans","Segoe UI",Helvetica,Arial,sans-serif;color:#222;
 max-width:60rem;margin:2rem auto;padding:0 1.5rem;line-height:1.4;font-size:15px}
h1{font-size:1.7rem;margin:0 0 .2rem}
h2{font-size:1.3rem;border-bottom:2px solid #0072B2;padding-bottom:.2rem;margin-top:2.2rem}
h3{font-size:1.05rem;margin:1.6rem 0 .4rem}
.scope{font-size:1.2rem;margin:0 0 .8rem;color:#0072B2}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:0 0 .8rem}
dl.meta dt{font-weight:bold}dl.meta dd{margin:0}
.checksum{font-family:monospace;font-size:.8rem;word-break:break-all}
.disclosure{background:#f3f6fa;border-left:4px solid #0072B2;padding:.5rem .8rem}
table{border-collapse:collapse;margin:.4rem 0 .3rem;font-size:.9rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd}
th{text-align:left;background:#f3f3f3}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td,tr.total th,td.total{font-weight:bold}
tr.total td,tr.total th{border-top:2px solid #999}
.prev{display:block;color:#777;font-size:.75rem;font-weight:normal}
.suppressed{color:#555}
.note{font-size:.85rem;color:#555;margin:.2rem 0}
svg.chart{display:block;max-width:100%;height:auto;margin:.3rem 0;font-family:inherit}
section.comments{break-before:page;page-break-before:always}
article.comment{border:1px solid #ddd;border-radius:4px;padding:.6rem .9rem;margin:.8rem 0}
article.comment h3{margin:0 0 .3rem}
footer{margin-top:2.5rem;font-size:.8rem;color:#555;border-top:1px solid #ddd;padding-top:.5rem}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}figure{break-inside:avoid}}
"""


def render_html(report: CompiledReport, lang: Lang) -> bytes:
    title = label("title", lang)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} – {escape(report.scope.name(lang))} {report.year.label}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        _header(report, lang),
    ]
    for section in report.sections:
        parts.append(f'<section class="{section.key.value}">')
        parts.append(f"<h2>{escape(section.title.in_(lang))}</h2>")
        if section.note is not None:
            parts.append(f'<p class="note">{escape(section.note.in_(lang))}</p>')
        if not section.tables:
            parts.append(f"<p>{escape(label('no_tables', lang))}</p>")
        parts += [_table(table, report, lang) for table in section.tables]
        parts.append("</section>")
    parts.append(_comments(report, lang))
    parts.append(f"<footer><p>{escape(label('legend', lang))}</p></footer>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts).encode()


def _header(report: CompiledReport, lang: Lang) -> str:
    rows = [
        (label("follow_up_year", lang), escape(format_year(report.year, lang))),
        (label("version", lang), str(report.version)),
        (label("inputs", lang), f"{report.input_count} {escape(label('events', lang))}"),
        (
            label("inputs_checksum", lang),
            f'<span class="checksum">{report.inputs_checksum}</span>',
        ),
        (
            label("figures_checksum", lang),
            f'<span class="checksum">{report.figures_checksum}</span>',
        ),
    ]
    meta = "".join(f"<dt>{escape(name)}</dt><dd>{value}</dd>" for name, value in rows)
    return (
        "<header>"
        f"<h1>{escape(label('title', lang))}</h1>"
        f'<p class="scope">{escape(report.scope.name(lang))}</p>'
        f'<dl class="meta">{meta}</dl>'
        f'<p class="disclosure">{escape(disclosure_text(report, lang))}</p>'
        "</header>"
    )


def _table(table: Table, report: CompiledReport, lang: Lang) -> str:
    parts = ["<figure>", f"<h3>{escape(table.title.in_(lang))}</h3>"]
    drawing = chart_for(table, lang)
    if drawing is not None:
        parts.append(to_svg(drawing))
    previous_label = report.year.previous().label
    head = "".join(f'<th class="num">{escape(c.label.in_(lang))}</th>' for c in table.columns)
    if table.row_totals is not None:
        head += f'<th class="num">{escape(label("total", lang))}</th>'
    parts.append(f"<table><thead><tr><th></th>{head}</tr></thead><tbody>")
    row_keys = [(i, h.key, h.label.in_(lang)) for i, h in enumerate(table.rows)]
    if table.column_totals is not None:
        row_keys.append((TOTAL, "", label("total", lang)))
    for i, row_key, row_label in row_keys:
        cells = []
        column_keys = [(j, c.key) for j, c in enumerate(table.columns)]
        if table.row_totals is not None:
            column_keys.append((TOTAL, ""))
        for j, column_key in column_keys:
            cell = table.cell(row_key, column_key)
            old = table.previous.cell(row_key, column_key) if table.previous else None
            total = " total" if j == TOTAL else ""
            cells.append(f'<td class="num{total}">{_figure(cell, old, previous_label, lang)}</td>')
        css = ' class="total"' if i == TOTAL else ""
        parts.append(f"<tr{css}><th>{escape(row_label)}</th>{''.join(cells)}</tr>")
    parts.append("</tbody></table>")
    if table.note is not None:
        parts.append(f'<p class="note">{escape(table.note.in_(lang))}</p>')
    parts.append("</figure>")
    return "".join(parts)


def _figure(cell: Cell | None, old: Cell | None, previous_label: str, lang: Lang) -> str:
    if cell is None:
        return ""
    text = escape(format_cell(cell, lang))
    shown = (
        f'<span class="suppressed">{text}</span>' if isinstance(cell, SuppressedFigure) else text
    )
    if old is not None:
        shown += f'<span class="prev">{previous_label}: {escape(format_cell(old, lang))}</span>'
    return shown


def _comments(report: CompiledReport, lang: Lang) -> str:
    parts = [
        '<section class="comments">',
        f"<h2>{escape(label('comments', lang))}</h2>",
        f"<p>{escape(label('comments_intro', lang))}</p>",
    ]
    if comments_withheld(report):
        parts.append(f'<p class="note">{escape(label("comments_withheld", lang))}</p>')
    elif not report.comments:
        parts.append(f"<p>{escape(label('no_comments', lang))}</p>")
    for comment in report.comments:
        parts.append('<article class="comment">')
        parts.append(
            f"<h3>{escape(label('unit', lang))} {escape(comment.unit)}</h3>"
            f'<p class="note">{escape(label("recorded_on", lang))} '
            f"{escape(format_date(comment.recorded_on, lang))}</p>"
        )
        parts += [f"<p>{escape(paragraph)}</p>" for paragraph in _paragraphs(comment.comment)]
        if comment.development_areas:
            parts.append(f"<h4>{escape(label('development_areas', lang))}</h4><ul>")
            parts += [f"<li>{escape(area)}</li>" for area in comment.development_areas]
            parts.append("</ul>")
        parts.append("</article>")
    parts.append("</section>")
    return "".join(parts)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]
