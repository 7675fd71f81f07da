"""What the renderers print around the figures, in Swedish and English, and how numbers read.

Numbers follow each language's conventions: Swedish "1 234,5" and "43 %",
English "1,234.5" and "43%". The marks are those of Swedish official
statistics and Kolada: ".." a figure withheld by disclosure control, "." a
figure that cannot exist (a mean of no observations).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Final

from services.reporting.domain.compiled import (
    Cell,
    CompiledReport,
    Figure,
    FigureKind,
    FollowUpYear,
    Lang,
    SuppressedFigure,
    Text,
)
from services.reporting.domain.disclosure import SUPPRESSED, ViewerRelation

NOT_APPLICABLE: Final = "."
NBSP: Final = "\u00a0"

#: Decimals shown for a mean or SD; shares are shown as whole percent.
PLACES: Final = {FigureKind.MEAN: 1, FigureKind.SD: 1, FigureKind.SHARE: 0, FigureKind.COUNT: 0}

LABELS: Final[dict[str, Text]] = {
    "title": Text(sv="Sammanställd uppföljningsrapport", en="Compiled follow-up report"),
    "follow_up_year": Text(sv="Uppföljningsår", en="Follow-up year"),
    "version": Text(sv="Version", en="Version"),
    "inputs": Text(sv="Underlag", en="Inputs"),
    "events": Text(sv="händelser", en="events"),
    "inputs_checksum": Text(sv="Kontrollsumma underlag", en="Inputs checksum"),
    "figures_checksum": Text(sv="Kontrollsumma siffror", en="Figures checksum"),
    "total": Text(sv="Totalt", en="Total"),
    "previous_year": Text(sv="Föregående år", en="Previous year"),
    "this_year": Text(sv="Året", en="This year"),
    "comments": Text(sv="Kommentarer och utvecklingsområden", en="Comments and development areas"),
    "comments_intro": Text(
        sv="Enhetschefernas kommentarer till årets siffror och de utvecklingsområden de pekar ut.",
        en="The unit managers' comments on the year's figures and the development areas they name.",
    ),
    "development_areas": Text(sv="Utvecklingsområden", en="Development areas"),
    "no_comments": Text(
        sv="Inga kommentarer har registrerats för året.",
        en="No comments have been recorded for the year.",
    ),
    "comments_withheld": Text(
        sv="Enheternas kommentarer visas bara inom den egna kommunen.",
        en="The units' comments are shown only inside their own municipality.",
    ),
    "unit": Text(sv="Enhet", en="Unit"),
    "recorded_on": Text(sv="registrerad", en="recorded"),
    "no_tables": Text(sv="Inga uppgifter för året.", en="No figures for the year."),
    "owner_view": Text(
        sv="Uppgifterna visas utan röjandekontroll för den organisation som äger dem.",
        en="The figures are shown without disclosure control to the organisation that owns them.",
    ),
    "legend": Text(
        sv="Teckenförklaring: .. uppgiften redovisas inte (röjandekontroll); "
        ". uppgift kan inte förekomma (inga observationer).",
        en="Symbols: .. figure withheld (disclosure control); "
        ". figure cannot exist (no observations).",
    ),
    "page": Text(sv="Sida", en="Page"),
    "chart": Text(sv="Diagram", en="Chart"),
    "rows": Text(sv="Rad", en="Row"),
}

_MONTHS: Final = {
    "sv": (
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def label(key: str, lang: Lang) -> str:
    return LABELS[key].in_(lang)


def format_date(day: date, lang: Lang) -> str:
    """ "1 maj 2025" / "1 May 2025"."""
    return f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def format_year(year: FollowUpYear, lang: Lang) -> str:
    """ "2025/26 (1 maj 2025 – 30 april 2026)"."""
    span = f"{format_date(year.starts_on, lang)} – {format_date(year.ends_on, lang)}"
    return f"{year.label} ({span})"


def disclosure_text(report: CompiledReport, lang: Lang) -> str:
    """One sentence on how the figures were protected, for the report's header."""
    note = report.disclosure
    if note is None:
        return label("owner_view", lang)
    k = note.k
    if lang == "sv":
        scope = (
            "Tabeller med andra organisationers uppgifter har röjandekontroll"
            if note.relation is ViewerRelation.OWNER
            else "Röjandekontroll"
        )
        return (
            f"{scope}: antal från 1 till {k - 1} och medelvärden, spridningsmått och andelar "
            f"av färre än {k} observationer redovisas inte (..), och så många uppgifter till "
            f"att de inte kan räknas fram ur summorna (k = {k})."
        )
    scope = (
        "Tables of other organisations' figures are under disclosure control"
        if note.relation is ViewerRelation.OWNER
        else "Disclosure control"
    )
    return (
        f"{scope}: counts from 1 to {k - 1} and means, deviations and shares of fewer than "
        f"{k} observations are withheld (..), with as many further figures as keep them from "
        f"being derived from the totals (k = {k})."
    )


def comments_withheld(report: CompiledReport) -> bool:
    """True for a view outside the owner, which leaves the comments out (see `disclose`)."""
    note = report.disclosure
    return note is not None and note.relation is ViewerRelation.OUTSIDE


def format_cell(cell: Cell, lang: Lang) -> str:
    """A figure as a reader sees it: "12", "4,3", "43 %", ".." or "."."""
    if isinstance(cell, SuppressedFigure):
        return SUPPRESSED.value
    return format_figure(cell, lang)


def format_figure(figure: Figure, lang: Lang) -> str:
    if figure.value is None:
        return NOT_APPLICABLE
    places = PLACES[figure.kind]
    if figure.kind is FigureKind.SHARE:
        percent = format_number(figure.value * 100, places, lang)
        return f"{percent}{NBSP}%" if lang == "sv" else f"{percent}%"
    return format_number(figure.value, places, lang)


def format_number(value: Fraction, places: int, lang: Lang) -> str:
    """`value` rounded half away from zero to `places` decimals, grouped by thousands."""
    scaled = abs(value) * 10**places
    rounded = int(scaled) + (1 if scaled - int(scaled) >= Fraction(1, 2) else 0)
    whole, decimals = divmod(rounded, 10**places)
    grouped = f"{whole:,}".replace(",", NBSP if lang == "sv" else ",")
    sign = "-" if value < 0 and rounded else ""
    if places == 0:
        return f"{sign}{grouped}"
    point = "," if lang == "sv" else "."
    return f"{sign}{grouped}{point}{decimals:0{places}d}"


def machine_value(cell: Cell) -> tuple[str, str]:
    """(value, n) for a CSV: "." decimal point, four decimals for non-counts, ".." kept."""
    if isinstance(cell, SuppressedFigure):
        return SUPPRESSED.value, SUPPRESSED.value
    if cell.value is None:
        return NOT_APPLICABLE, str(cell.n)
    if cell.kind is FigureKind.COUNT:
        return str(cell.n), str(cell.n)
    return format_number(cell.value, 4, "en").replace(",", ""), str(cell.n)
