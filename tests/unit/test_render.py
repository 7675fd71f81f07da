"""Rendering compiled reports: JSON, CSV, one self-contained HTML file, a PDF looked at as pages.

The report below is a municipality's year, written out by hand: a knowledge
section (sessions held, coverage per part), a client section (RCI classes,
goal attainment, problem levels) with the previous year beside it, and two
unit managers' comments. The PDF is rasterised with pdfium and its pixels
and text are checked, the way a person would look at it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from uuid import UUID

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageStat

from services.reporting.domain.compiled import (
    Chart,
    ChartKind,
    CompiledReport,
    FollowUpYear,
    Heading,
    InputRef,
    ManagerComment,
    Scope,
    Section,
    SectionKey,
    Table,
    Text,
    compile_report,
    count,
    count_table,
    disclose,
    mean,
    share,
    standard_deviation,
    statistics_table,
)
from services.reporting.domain.disclosure import DisclosureRule, ViewerRelation
from services.reporting.domain.merge import Moments
from services.reporting.render import FORMATS, render
from shared.errors import InvalidArgument

YEAR = FollowUpYear(start_year=2025)


def h(key: str, sv: str, en: str) -> Heading:
    return Heading(key=key, label=Text(sv=sv, en=en))


PARTS = (
    h("flyttningsforbud", "Flyttningsförbud, tillfälligt flyttningsförbud", "Ban on moving"),
    h("utreseforbud", "Utreseförbud, tillfälligt utreseförbud", "Travel ban"),
    h("omedelbart", "Omedelbart omhändertagande", "Emergency custody"),
    h("overvagande", "Övervägande och omprövning var sjätte månad", "Six-monthly review"),
)
GROUPS = (
    h("barn-unga", "Barn och unga", "Children and young people"),
    h("familj", "Familjebehandling", "Family therapy"),
)
RCI = (
    h("recovered", "Återhämtade", "Recovered"),
    h("improved", "Förbättrade", "Improved"),
    h("unchanged", "Oförändrade", "Unchanged"),
    h("deteriorated", "Försämrade", "Deteriorated"),
)
GOALS = (
    h("met", "Positiv förändring, mål uppnått", "Positive change, goal met"),
    h("positive", "Positiv förändring, mål ej uppnått", "Positive change, goal not met"),
    h("none", "Ingen förändring", "No change"),
    h("negative", "Negativ förändring", "Negative change"),
)
SCALES = (
    h("audit", "AUDIT", "AUDIT"),
    h("livssituation", "Självskattad livssituation", "Self-rated life situation"),
)


def coverage(taken: list[tuple[int, int]]) -> Table:
    return statistics_table(
        "knowledge.coverage",
        Text(sv="Andel av gruppens medlemmar som tagit del, per del", en="Coverage per part"),
        PARTS,
        (h("members", "Medlemmar", "Members"), h("coverage", "Andel som tagit del", "Coverage")),
        [[count(members), share(n, members)] for n, members in taken],
        chart=Chart(kind=ChartKind.BARS, column="coverage"),
    )


def sample_report(comments: bool = True) -> CompiledReport:
    occurrences = count_table(
        "knowledge.occurrences",
        Text(sv="Tillfällen i årshjulet", en="Wheel occurrences"),
        (
            h("grupp-a", "Arbetsgrupp A", "Work group A"),
            h("grupp-b", "Arbetsgrupp B", "Work group B"),
        ),
        (
            h("on_time", "I tid", "On time"),
            h("late", "Sent", "Late"),
            h("missed", "Missade", "Missed"),
        ),
        [[9, 2, 0], [7, 3, 1]],
    )
    previous_rci = count_table(
        "clients.rci",
        Text(sv="Reliabel förändring (RCI) per skala", en="Reliable change (RCI) per scale"),
        SCALES,
        RCI,
        [[6, 9, 14, 2], [4, 12, 10, 3]],
        chart=Chart(kind=ChartKind.STACKED_BARS),
    )
    rci = count_table(
        "clients.rci",
        Text(sv="Reliabel förändring (RCI) per skala", en="Reliable change (RCI) per scale"),
        SCALES,
        RCI,
        [[8, 11, 15, 3], [5, 14, 12, 2]],
        chart=Chart(kind=ChartKind.STACKED_BARS),
        previous=previous_rci,
    )
    goals = count_table(
        "clients.goals",
        Text(sv="Måluppfyllelse per klientgrupp", en="Goal attainment per client group"),
        GROUPS,
        GOALS,
        [[12, 7, 9, 2], [10, 6, 4, 1]],
        chart=Chart(kind=ChartKind.STACKED_BARS),
    )
    audit_intake = Moments.of([18, 22, 9, 14, 25, 11, 16, 20, 13, 17])
    audit_exit = Moments.of([12, 15, 8, 10, 19, 9, 11, 14, 10, 12])
    life_intake = Moments.of([2, 3, 2, 4])
    life_exit = Moments.of([3, 4, 3, 4])
    levels = statistics_table(
        "clients.levels",
        Text(
            sv="Problemnivå vid inskrivning och utskrivning", en="Problem level at intake and exit"
        ),
        SCALES,
        (
            h("intake_n", "Antal, in", "n, intake"),
            h("intake_mean", "Medel, in", "Mean, intake"),
            h("intake_sd", "SD, in", "SD, intake"),
            h("exit_n", "Antal, ut", "n, exit"),
            h("exit_mean", "Medel, ut", "Mean, exit"),
            h("exit_sd", "SD, ut", "SD, exit"),
        ),
        [
            [
                count(m.n),
                mean(m),
                standard_deviation(m),
                count(e.n),
                mean(e),
                standard_deviation(e),
            ]
            for m, e in ((audit_intake, audit_exit), (life_intake, life_exit))
        ],
    )
    sections = (
        Section(
            key=SectionKey.KNOWLEDGE,
            title=Text(sv="Kunskapsuppföljning", en="Knowledge follow-up"),
            tables=(
                occurrences,
                coverage([(11, 12), (9, 12), (4, 12), (12, 12)]),
            ),
        ),
        Section(
            key=SectionKey.CLIENTS,
            title=Text(sv="Klientuppföljning", en="Client follow-up"),
            tables=(rci, goals, levels),
        ),
    )
    notes = (
        ManagerComment(
            unit="ifo-barn",
            recorded_on=date(2025, 11, 20),
            comment="Täckningen för omedelbart omhändertagande är låg.\n\n"
            "Vi planerar en utbildningsdag under våren.",
            development_areas=("Introduktion för nyanställda", "Gemensam ärendehandledning"),
        ),
        ManagerComment(
            unit="ifo-familj",
            recorded_on=date(2025, 12, 2),
            comment="Fler mål uppnås än förra året; försämringarna gäller främst AUDIT.",
        ),
    )
    inputs = [
        InputRef(event_id=UUID(int=n), producer="sessions", stream=f"s-{n % 7}", version=n // 7 + 1)
        for n in range(1, 60)
    ]
    return compile_report(
        Scope.parse("municipality:1480"), YEAR, 2, sections, notes if comments else (), inputs
    )


def outside_view() -> CompiledReport:
    """The report as the region sees it (k = 5): 4 of 12, the 2s and 3s hidden."""
    return disclose(sample_report(), ViewerRelation.OUTSIDE, DisclosureRule())


# --- entry point -------------------------------------------------------------


def test_every_format_renders_in_both_languages() -> None:
    report = sample_report()
    for fmt in FORMATS:
        for lang in ("sv", "en"):
            assert render(report, fmt, lang)


def test_unknown_format_or_language_is_refused_with_the_field() -> None:
    with pytest.raises(InvalidArgument) as bad_format:
        render(sample_report(), "docx", "sv")
    assert bad_format.value.field == "format"
    with pytest.raises(InvalidArgument) as bad_lang:
        render(sample_report(), "html", "fi")
    assert bad_lang.value.field == "lang"


# --- JSON and CSV ---------------------------------------------------------------


def test_json_is_the_model_and_reads_back_to_the_same_report() -> None:
    report = sample_report()
    raw = render(report, "json")
    assert CompiledReport.model_validate_json(raw) == report
    assert render(report, "json") == raw


def test_json_of_an_outside_view_carries_no_suppressed_value() -> None:
    data = json.loads(render(outside_view(), "json"))
    coverage_cells = data["sections"][0]["tables"][1]["cells"]
    # omedelbart: 4 of 12 members is a share of 12 observations, published;
    # its members count 12 is published too.
    assert coverage_cells[2][1] == {"kind": "share", "n": 12, "status": "value", "value": "1/3"}
    occurrences = data["sections"][0]["tables"][0]
    # Row B's 1 missed occurrence and its partners are "..", with no value or n.
    assert occurrences["cells"][1][2] == {"kind": "count", "status": "suppressed", "symbol": ".."}


def test_csv_has_one_line_per_figure_with_suppressed_marks() -> None:
    view = outside_view()
    lines = list(csv.reader(io.StringIO(render(view, "csv", "sv").decode())))
    assert lines[0] == [
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
    ]
    by_key = {(line[1], line[3], line[5], line[7]): (line[8], line[9]) for line in lines[1:]}
    # Work groups A and B: [9, 2, 0] and [7, 3, 1]; B's 3 late and 1 missed hide
    # 7 too (else 11 − 7 = 4 would be their sum), the missed total 1 hides 16.
    occurrences = {
        (row, column): by_key[("knowledge.occurrences", row, column, "2025/26")][0]
        for row in ("grupp-a", "grupp-b", "")
        for column in ("on_time", "late", "missed", "")
    }
    assert occurrences == {
        ("grupp-a", "on_time"): "..",
        ("grupp-a", "late"): "..",
        ("grupp-a", "missed"): "0",
        ("grupp-a", ""): "11",
        ("grupp-b", "on_time"): "..",
        ("grupp-b", "late"): "..",
        ("grupp-b", "missed"): "..",
        ("grupp-b", ""): "11",
        ("", "on_time"): "..",
        ("", "late"): "5",
        ("", "missed"): "..",
        ("", ""): "22",
    }
    # Coverage of utreseförbud: 9 of 12 = 0.75.
    assert by_key[("knowledge.coverage", "utreseforbud", "coverage", "2025/26")] == ("0.7500", "12")
    # The previous year's RCI table is there too, with its own year.
    assert by_key[("clients.rci", "audit", "improved", "2024/25")] == ("9", "9")
    # 2 + 3 + 2 + 0 cells … every figure: occurrences 2×3+2+3+1, coverage 4×2,
    # rci 2×4+2+4+1 twice, goals 2×4+2+4+1, levels 2×6.
    assert len(lines) - 1 == 12 + 8 + 15 * 2 + 15 + 12
    # The region's view has no comments; the owner's CSV has them.
    assert not any(line[0] == "comments" for line in lines)
    owner = list(csv.reader(io.StringIO(render(sample_report(), "csv", "en").decode())))
    areas = [line[8] for line in owner if line[5] == "development_area"]
    assert areas == ["Introduktion för nyanställda", "Gemensam ärendehandledning"]


# --- HTML ------------------------------------------------------------------------


class _Collector(HTMLParser):
    """Collects tags, attributes and text; fails on unbalanced elements."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "rect", "line"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(raw: bytes) -> _Collector:
    collector = _Collector()
    collector.feed(raw.decode())
    collector.close()
    assert collector.stack == []
    return collector


def test_html_is_one_balanced_self_contained_file() -> None:
    raw = render(outside_view(), "html", "sv")
    page = parsed(raw)
    names = [tag for tag, _ in page.tags]
    assert names[0] == "html"
    assert "style" in names
    assert names.count("svg") == 3  # coverage (bars), RCI classes and goals (stacked bars)
    for tag, attrs in page.tags:
        for attribute in ("src", "href", "xlink:href", "action", "data"):
            assert attrs.get(attribute) is None, f"<{tag} {attribute}=…> refers outside the file"
        assert tag not in {"script", "link", "img", "iframe", "object"}
    text = raw.decode()
    assert "http" not in text
    assert "url(" not in text
    assert "@import" not in text
    assert not re.search(r'src\s*=\s*"http', text)


def test_html_reads_in_swedish_with_suppressed_cells_and_the_previous_year() -> None:
    page = parsed(render(outside_view(), "html", "sv"))
    text = " ".join(page.text)
    assert "Sammanställd uppföljningsrapport" in text
    assert "Göteborg (1480)" in text
    assert "2025/26 (1 maj 2025 – 30 april 2026)" in text
    assert "Kunskapsuppföljning" in text and "Klientuppföljning" in text
    assert "Kommentarer och utvecklingsområden" in text
    assert "Enheternas kommentarer visas bara inom den egna kommunen." in text
    assert ".." in page.text
    # 9 of 12 is 75 %, with a no-break space, Swedish style.
    assert "75\u00a0%" in page.text
    # The previous year is printed under this year's figure, disclosed on its
    # own: AUDIT improved 11 (9 the year before); AUDIT recovered 8 (6, hidden
    # that year as the partner of the 4 recovered on the other scale).
    assert "2024/25: 9" in page.text
    assert "2024/25: .." in page.text


def test_html_in_english() -> None:
    page = parsed(render(sample_report(), "html", "en"))
    text = " ".join(page.text)
    assert "Compiled follow-up report" in text
    assert "2025/26 (1 May 2025 – 30 April 2026)" in text
    assert "Development areas" in text
    assert "Introduktion för nyanställda" in text
    assert "75%" in page.text


def test_html_charts_draw_bars_to_scale() -> None:
    page = parsed(render(sample_report(), "html", "sv"))
    svgs = [attrs for tag, attrs in page.tags if tag == "svg"]
    assert svgs and all(a.get("role") == "img" for a in svgs)
    # Coverage bars: 11/12, 9/12, 4/12, 12/12 of the plot width 480 − 180 − 50 = 250,
    # written with one decimal.
    widths = [
        attrs["width"]
        for tag, attrs in page.tags
        if tag == "rect" and attrs.get("fill") == "#0072B2"
    ][:4]
    assert widths == ["229.2", "187.5", "83.3", "250.0"]


# --- PDF -------------------------------------------------------------------------


def pages(raw: bytes) -> list[tuple[Image.Image, str]]:
    document = pdfium.PdfDocument(raw)
    found = []
    for index in range(len(document)):
        page = document[index]
        image = page.render(scale=100 / 72).to_pil().convert("L")
        text = page.get_textpage().get_text_range()
        found.append((image, text))
    return found


def test_pdf_pages_are_readable_swedish_with_suppressed_cells(tmp_path: Path) -> None:
    raw = render(outside_view(), "pdf", "sv")
    assert raw.startswith(b"%PDF-")
    rendered = pages(raw)
    assert len(rendered) >= 2  # the figures, then the comments page
    for image, _ in rendered:
        # A4 at 100 dpi: 827 × 1170 pixels.
        assert image.size == (827, 1170)
        # Not blank: a white page has no variance; text, tables and charts do.
        assert ImageStat.Stat(image).var[0] > 100
    first_image, first_text = rendered[0]
    first_image.save(tmp_path / "page-1.png")
    assert "Sammanställd uppföljningsrapport" in first_text
    assert "Göteborg (1480)" in first_text
    assert "Kunskapsuppföljning" in first_text
    assert "Andel av gruppens medlemmar som tagit del" in first_text
    everything = "\n".join(text for _, text in rendered)
    assert "Klientuppföljning" in everything
    assert "Måluppfyllelse per klientgrupp" in everything
    assert re.search(r"(^|\s)\.\.(\s|$)", everything, re.MULTILINE)
    last_text = rendered[-1][1]
    assert "Kommentarer och utvecklingsområden" in last_text
    assert "Sida " + str(len(rendered)) in last_text


def test_pdf_in_english_and_owner_view_has_the_comments_page() -> None:
    rendered = pages(render(sample_report(), "pdf", "en"))
    everything = "\n".join(text for _, text in rendered)
    assert "Compiled follow-up report" in everything
    assert "Page 1" in everything
    comments = rendered[-1][1]
    assert "Comments and development areas" in comments
    assert "Unit ifo-barn" in comments
    assert "Vi planerar en utbildningsdag under våren." in comments
    assert "Gemensam ärendehandledning" in comments


def test_the_same_report_renders_to_the_same_bytes() -> None:
    for fmt in FORMATS:
        assert render(sample_report(), fmt, "sv") == render(sample_report(), fmt, "sv")


def test_a_mean_of_no_observations_prints_a_dot_not_a_suppression() -> None:
    empty = statistics_table(
        "clients.satisfaction",
        Text(sv="Nöjdhet", en="Satisfaction"),
        (h("all", "Alla", "All"),),
        (h("n", "Antal", "n"), h("mean", "Medel", "Mean")),
        [[count(0), mean(Moments())]],
    )
    report = compile_report(
        Scope.parse("unit:ifo-barn", municipality="1480"),
        YEAR,
        1,
        (
            Section(
                key=SectionKey.CLIENTS,
                title=Text(sv="Klientuppföljning", en="Client follow-up"),
                tables=(empty,),
            ),
        ),
        (),
        (),
    )
    page = parsed(render(report, "html", "sv"))
    assert "." in page.text and ".." not in page.text
    assert "Enhet ifo-barn, Göteborg (1480)" in page.text
    assert mean(Moments()).value is None
    assert Fraction(0) == count(0).value
