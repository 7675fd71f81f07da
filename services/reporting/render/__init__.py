"""Rendering a compiled report: `render(report, format, lang)` gives the file's bytes.

Formats: json (the model, both languages), csv (one line per figure), html
(one self-contained file with inline CSS and SVG charts) and pdf (ReportLab,
fonts embedded). Labels are Swedish unless `lang="en"`. The report is
rendered as given: apply `compiled.disclose` for a viewer outside the owner
first.
"""

from __future__ import annotations

from typing import Final, get_args

from services.reporting.domain.compiled import CompiledReport, Lang
from services.reporting.render.html import render_html
from services.reporting.render.pdf import render_pdf
from services.reporting.render.tabular import render_csv, render_json
from shared.errors import InvalidArgument

FORMATS: Final = ("json", "csv", "html", "pdf")
LANGS: Final[tuple[Lang, ...]] = get_args(Lang)
#: The media type of each format, for a caller that serves or stores the bytes.
MEDIA_TYPES: Final = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def render(report: CompiledReport, format: str, lang: str = "sv") -> bytes:
    """The report as a file of `format` in `lang` ("sv" or "en").

    InvalidArgument (field "format" or "lang") for anything else.
    """
    if format not in FORMATS:
        raise InvalidArgument(
            f"must be one of {', '.join(FORMATS)}; got {format!r}", field="format"
        )
    if lang == "sv":
        language: Lang = "sv"
    elif lang == "en":
        language = "en"
    else:
        raise InvalidArgument(f"must be sv or en; got {lang!r}", field="lang")
    if format == "json":
        return render_json(report)
    if format == "csv":
        return render_csv(report, language)
    if format == "html":
        return render_html(report, language)
    return render_pdf(report, language)
