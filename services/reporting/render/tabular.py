"""The report as data: JSON (the whole model) and CSV (one line per figure)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any, Protocol

from services.reporting.domain.compiled import CompiledReport, Lang, Table
from services.reporting.domain.disclosure import TOTAL
from services.reporting.render.labels import label, machine_value

#: CSV header, by language (the keys are English for both).
CSV_HEADER: dict[Lang, tuple[str, ...]] = {
    "sv": (
        "avsnitt",
        "tabell",
        "tabellrubrik",
        "rad",
        "radrubrik",
        "kolumn",
        "kolumnrubrik",
        "uppföljningsår",
        "värde",
        "antal_observationer",
    ),
    "en": (
        "section",
        "table",
        "table_title",
        "row",
        "row_label",
        "column",
        "column_label",
        "follow_up_year",
        "value",
        "observations",
    ),
}


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


def render_json(report: CompiledReport) -> bytes:
    """The report model as indented JSON with sorted keys: both languages, exact values.

    Fractions are strings ("3/7"); suppressed figures are
    {"status": "suppressed", "symbol": ".."} and carry no value.
    """
    text = json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode()


def render_csv(report: CompiledReport, lang: Lang) -> bytes:
    """One line per figure, this year's and the previous year's, then the comments.

    Values use "." as decimal point and four decimals for means, deviations
    and shares (a share as a proportion, 0.4286); ".." is a withheld figure,
    "." one that cannot exist. A total has an empty row or column key.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER[lang])
    for section in report.sections:
        for table in section.tables:
            _table_rows(writer, section.key.value, table, report.year.label, lang)
            if table.previous is not None:
                previous = report.year.previous().label
                _table_rows(writer, section.key.value, table.previous, previous, lang)
    for comment in report.comments:
        base = ("comments", "comment", label("comments", lang), comment.unit, comment.unit)
        writer.writerow(
            (*base, "comment", label("comments", lang), report.year.label, comment.comment, "")
        )
        for area in comment.development_areas:
            writer.writerow(
                (
                    *base,
                    "development_area",
                    label("development_areas", lang),
                    report.year.label,
                    area,
                    "",
                )
            )
    return out.getvalue().encode()


def _table_rows(writer: _RowWriter, section: str, table: Table, year: str, lang: Lang) -> None:
    total = label("total", lang)
    rows = {i: (h.key, h.label.in_(lang)) for i, h in enumerate(table.rows)} | {TOTAL: ("", total)}
    columns = {j: (h.key, h.label.in_(lang)) for j, h in enumerate(table.columns)} | {
        TOTAL: ("", total)
    }
    for (i, j), cell in table.positions():
        value, n = machine_value(cell)
        writer.writerow(
            (section, table.table_id, table.title.in_(lang), *rows[i], *columns[j], year, value, n)
        )
