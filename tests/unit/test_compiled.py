"""The compiled report: scope and year, figures, byte-stable checksums, and disclosure of a view."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import date
from fractions import Fraction

import pytest
from pydantic import ValidationError

from services.reporting.domain.compiled import (
    CompiledReport,
    DisclosureNote,
    Figure,
    FigureKind,
    FollowUpYear,
    Heading,
    InputRef,
    ManagerComment,
    Scope,
    ScopeLevel,
    Section,
    SectionKey,
    SuppressedFigure,
    Table,
    TableKind,
    Text,
    canonical_json,
    compile_report,
    count,
    count_table,
    disclose,
    figures_checksum,
    inputs_checksum,
    mean,
    share,
    standard_deviation,
    statistics_table,
    viewer_relation,
)
from services.reporting.domain.disclosure import DisclosureRule, ViewerRelation
from services.reporting.domain.merge import Moments
from shared.errors import InvalidArgument
from shared.events.envelope import EventEnvelope

YEAR = FollowUpYear(start_year=2025)
RULE = DisclosureRule()


def h(key: str, name: str) -> Heading:
    return Heading(key=key, label=Text(sv=name, en=name))


# --- scope -----------------------------------------------------------------------


def test_scopes_parse_print_and_name_their_owner() -> None:
    unit = Scope.parse("unit:ifo-vuxen", municipality="1480")
    assert (unit.level, unit.code, unit.municipality) == (ScopeLevel.UNIT, "ifo-vuxen", "1480")
    assert str(unit) == "unit:ifo-vuxen"
    assert unit.owner_tenant == "1480"
    assert unit.region == "14"
    assert unit.name("sv") == "Enhet ifo-vuxen, Göteborg (1480)"
    assert unit.name("en") == "Unit ifo-vuxen, Göteborg (1480)"
    municipality = Scope.parse("municipality:1402")
    assert (str(municipality), municipality.owner_tenant, municipality.name("sv")) == (
        "municipality:1402",
        "1402",
        "Partille (1402)",
    )
    region = Scope.parse("region:14")
    assert (region.owner_tenant, region.region, region.name("en")) == (
        "region:14",
        "14",
        "Västra Götalands län (14)",
    )
    nation = Scope.parse("nation")
    assert (str(nation), nation.owner_tenant, nation.region, nation.name("sv")) == (
        "nation",
        "nation",
        None,
        "Riket",
    )


@pytest.mark.parametrize(
    "text",
    ["county:14", "unit:", "municipality:9999", "municipality:14", "region:99", "nation:SE"],
)
def test_bad_scopes_are_refused(text: str) -> None:
    with pytest.raises((ValueError, InvalidArgument)):
        Scope.parse(text, municipality="1480")


def test_a_unit_scope_needs_its_municipality() -> None:
    with pytest.raises(ValidationError, match="municipality"):
        Scope.parse("unit:ifo-vuxen")


def test_who_owns_what() -> None:
    goteborg = Scope.parse("municipality:1480")
    unit = Scope.parse("unit:ifo-vuxen", municipality="1480")
    region = Scope.parse("region:14")
    # A municipality owns its own and its units' figures ...
    assert viewer_relation("1480", goteborg) is ViewerRelation.OWNER
    assert viewer_relation("1480", unit) is ViewerRelation.OWNER
    # ... and is outside every other municipality's.
    assert viewer_relation("1402", unit) is ViewerRelation.OUTSIDE
    # The region is outside its municipalities, owns its own; the nation likewise.
    assert viewer_relation("region:14", goteborg) is ViewerRelation.OUTSIDE
    assert viewer_relation("region:14", region) is ViewerRelation.OWNER
    assert viewer_relation("nation", region) is ViewerRelation.OUTSIDE
    assert viewer_relation("nation", Scope.parse("nation")) is ViewerRelation.OWNER


# --- follow-up year ----------------------------------------------------------------


def test_the_follow_up_year_runs_from_may_to_april() -> None:
    assert (YEAR.starts_on, YEAR.ends_on, YEAR.label) == (
        date(2025, 5, 1),
        date(2026, 4, 30),
        "2025/26",
    )
    assert FollowUpYear.of(date(2026, 4, 30)) == YEAR
    assert FollowUpYear.of(date(2026, 5, 1)) == FollowUpYear(start_year=2026)
    assert FollowUpYear.of(date(2025, 4, 30)) == FollowUpYear(start_year=2024)
    assert YEAR.contains(date(2025, 12, 31)) and not YEAR.contains(date(2026, 5, 1))
    assert YEAR.previous().label == "2024/25"
    # 2028 is a leap year: a year starting in March 2027 ends on 29 February 2028.
    assert FollowUpYear(start_year=2027, first_month=3).ends_on == date(2028, 2, 29)


def test_a_calendar_follow_up_year() -> None:
    calendar = FollowUpYear.of(date(2025, 1, 1), first_month=1)
    assert (calendar.starts_on, calendar.ends_on, calendar.label) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        "2025",
    )


# --- figures -------------------------------------------------------------------------


def test_figures_are_exact() -> None:
    assert count(7) == Figure(kind=FigureKind.COUNT, value=Fraction(7), n=7)
    assert share(3, 7) == Figure(kind=FigureKind.SHARE, value=Fraction(3, 7), n=7)
    assert share(0, 0).value is None
    # 1, 2, 6: mean 3, s² = (41 − 27) / 2 = 7, s = 2.645751…
    moments = Moments.of([1, 2, 6])
    assert mean(moments) == Figure(kind=FigureKind.MEAN, value=Fraction(3), n=3)
    assert standard_deviation(moments) == Figure(
        kind=FigureKind.SD, value=Fraction("2.645751"), n=3
    )


def test_impossible_figures_are_refused() -> None:
    with pytest.raises(ValueError):
        share(8, 7)
    with pytest.raises(ValidationError, match="count's value"):
        Figure(kind=FigureKind.COUNT, value=Fraction(3), n=4)
    with pytest.raises(ValidationError, match="between 0 and 1"):
        Figure(kind=FigureKind.SHARE, value=Fraction(3, 2), n=4)
    with pytest.raises(ValidationError, match="no observations"):
        Figure(kind=FigureKind.MEAN, value=Fraction(3), n=0)


def test_a_count_table_carries_its_totals() -> None:
    table = count_table(
        "t",
        Text(sv="T", en="T"),
        (h("a", "A"), h("b", "B")),
        (h("x", "X"), h("y", "Y")),
        [[1, 2], [3, 4]],
    )
    assert table.row_totals == (count(3), count(7))
    assert table.column_totals == (count(4), count(6))
    assert table.grand_total == count(10)
    assert table.cell("b", "y") == count(4)
    assert table.cell("", "") == count(10)
    assert table.cell("c", "x") is None
    with pytest.raises(ValidationError, match="totals must be the sums"):
        table.model_validate({**table.model_dump(), "grand_total": count(11).model_dump()})
    with pytest.raises(ValidationError, match="counts only"):
        table.model_validate(
            {
                **table.model_dump(),
                "cells": [
                    [share(1, 2).model_dump(), count(2).model_dump()],
                    [count(3).model_dump(), count(4).model_dump()],
                ],
            }
        )


def test_a_table_must_be_rows_by_columns_with_unique_keys() -> None:
    with pytest.raises(ValidationError, match="rows × columns"):
        statistics_table(
            "t", Text(sv="T", en="T"), (h("a", "A"),), (h("x", "X"),), [[count(1), count(2)]]
        )
    with pytest.raises(ValidationError, match="unique"):
        statistics_table(
            "t",
            Text(sv="T", en="T"),
            (h("a", "A"), h("a", "B")),
            (h("x", "X"),),
            [[count(1)], [count(2)]],
        )


# --- checksums ---------------------------------------------------------------------


def ref(n: int, stream: str = "wg-1", producer: str = "sessions") -> InputRef:
    return InputRef(event_id=uuid.UUID(int=n), producer=producer, stream=stream, version=n)


def test_canonical_json_is_sorted_compact_utf8_and_exact() -> None:
    assert canonical_json({"b": [1, "å"], "a": share(1, 3)}) == (
        '{"a":{"kind":"share","n":3,"status":"value","value":"1/3"},"b":[1,"å"]}'.encode()
    )
    assert canonical_json(SuppressedFigure(kind=FigureKind.COUNT)) == (
        b'{"kind":"count","status":"suppressed","symbol":".."}'
    )
    with pytest.raises(TypeError, match="no floats"):
        canonical_json({"mean": 2.5})


def test_inputs_checksum_by_hand() -> None:
    # Sorted by (producer, stream, version): measurements before sessions.
    refs = [ref(2), ref(1, producer="measurements", stream="fu-9")]
    expected = hashlib.sha256(
        b'[["measurements","fu-9",1,"00000000-0000-0000-0000-000000000001"],'
        b'["sessions","wg-1",2,"00000000-0000-0000-0000-000000000002"]]'
    ).hexdigest()
    assert inputs_checksum(refs) == (expected, 2)


def test_inputs_checksum_ignores_order_and_redelivery() -> None:
    refs = [ref(n, stream=f"s{n % 3}") for n in range(1, 40)]
    shuffled = refs[:]
    random.Random(1).shuffle(shuffled)
    assert inputs_checksum(shuffled + refs[:5]) == inputs_checksum(refs)
    assert inputs_checksum([*refs, ref(40)])[0] != inputs_checksum(refs)[0]


def test_inputs_that_contradict_each_other_are_refused() -> None:
    with pytest.raises(ValueError, match="event id"):
        inputs_checksum(
            [
                ref(1),
                InputRef(event_id=uuid.UUID(int=1), producer="sessions", stream="wg-1", version=9),
            ]
        )
    with pytest.raises(ValueError, match="position"):
        inputs_checksum(
            [
                ref(1),
                InputRef(event_id=uuid.UUID(int=7), producer="sessions", stream="wg-1", version=1),
            ]
        )


def test_an_input_ref_from_an_envelope_uses_the_store_position_not_an_offset() -> None:
    event = EventEnvelope(
        event_id=uuid.UUID(int=5),
        type="sessions.SessionRecorded.v1",
        schema_version=1,
        tenant="1480",
        aggregate_id="wg-1",
        aggregate_version=3,
        occurred_at="2025-06-03T09:00:00+02:00",
        recorded_at="2025-06-03T09:00:01+02:00",
        correlation_id=uuid.UUID(int=6),
        producer="sessions",
        payload={},
    )
    assert InputRef.of(event) == InputRef(
        event_id=uuid.UUID(int=5), producer="sessions", stream="wg-1", version=3
    )


def test_figures_checksum_of_an_empty_report_by_hand() -> None:
    expected = hashlib.sha256(
        b'{"comments":[],"scope":{"code":"","level":"nation","municipality":null},'
        b'"sections":[],"year":{"first_month":5,"start_year":2025}}'
    ).hexdigest()
    assert figures_checksum(Scope.parse("nation"), YEAR, (), ()) == expected


# --- compiling ---------------------------------------------------------------------

#: Synthetic events for a tiny compiler: (event number, work group, held on time?).
EVENTS = [
    (1, "a", True),
    (2, "a", True),
    (3, "a", False),
    (4, "b", True),
    (5, "b", True),
    (6, "b", True),
]


def compile_from(events: list[tuple[int, str, bool]], version: int = 1) -> CompiledReport:
    """What a compiler does: figures and input refs from the events, nothing else."""
    groups = sorted({group for _, group, _ in events})
    seen = {n: (group, on_time) for n, group, on_time in events}
    body = [
        [
            sum(1 for g, on_time in seen.values() if g == group and on_time),
            sum(1 for g, on_time in seen.values() if g == group and not on_time),
        ]
        for group in groups
    ]
    table = count_table(
        "knowledge.occurrences",
        Text(sv="Tillfällen", en="Occurrences"),
        [h(group, group.upper()) for group in groups],
        (h("on_time", "I tid"), h("late", "Sent")),
        body,
    )
    section = Section(
        key=SectionKey.KNOWLEDGE, title=Text(sv="Kunskap", en="Knowledge"), tables=(table,)
    )
    refs = [ref(n, stream=f"wg-{group}") for n, group, _ in events]
    return compile_report(Scope.parse("municipality:1480"), YEAR, version, (section,), (), refs)


def test_compiling_the_same_events_gives_the_same_checksums() -> None:
    first = compile_from(EVENTS)
    redelivered = compile_from(list(reversed(EVENTS)) + EVENTS[:2])
    assert (redelivered.inputs_checksum, redelivered.figures_checksum) == (
        first.inputs_checksum,
        first.figures_checksum,
    )
    assert redelivered.input_count == first.input_count == 6
    assert canonical_json(redelivered) == canonical_json(first)


def test_a_late_event_gives_a_new_version_with_new_checksums() -> None:
    first = compile_from(EVENTS)
    later = compile_from([*EVENTS, (7, "b", False)], version=2)
    assert later.inputs_checksum != first.inputs_checksum
    assert later.figures_checksum != first.figures_checksum
    assert later.table("knowledge.occurrences") is not None
    # An event that changes no figure still changes what the report covers.
    same_figures = compile_from([*EVENTS, (2, "a", True)], version=2)
    assert same_figures.figures_checksum == first.figures_checksum


def test_a_stored_report_reads_back_identical_and_refuses_tampering() -> None:
    report = compile_from(EVENTS)
    raw = report.model_dump_json()
    assert CompiledReport.model_validate_json(raw) == report
    tampered = raw.replace('"sv":"Kunskap"', '"sv":"Kunskap!"')
    assert tampered != raw
    with pytest.raises(ValidationError, match="figures_checksum"):
        CompiledReport.model_validate_json(tampered)
    with pytest.raises(ValidationError):
        CompiledReport.model_validate({**report.model_dump(), "version": 0})


# --- disclosure of a report ----------------------------------------------------------


def table_of(report: CompiledReport, table_id: str) -> Table:
    table = report.table(table_id)
    assert table is not None
    return table


def report_with_small_figures() -> CompiledReport:
    occurrences = count_table(
        "knowledge.occurrences",
        Text(sv="Tillfällen", en="Occurrences"),
        (h("a", "A"), h("b", "B")),
        (h("on_time", "I tid"), h("late", "Sent"), h("missed", "Missade")),
        [[9, 2, 0], [7, 3, 1]],
        previous=count_table(
            "knowledge.occurrences",
            Text(sv="Tillfällen", en="Occurrences"),
            (h("a", "A"), h("b", "B")),
            (h("on_time", "I tid"), h("late", "Sent"), h("missed", "Missade")),
            [[10, 6, 5], [8, 7, 9]],
        ),
    )
    levels = statistics_table(
        "clients.levels",
        Text(sv="Nivåer", en="Levels"),
        (h("audit", "AUDIT"), h("life", "Livssituation")),
        (h("n", "Antal"), h("mean", "Medel"), h("sd", "SD"), h("share", "Andel förbättrade")),
        [
            [
                count(6),
                mean(Moments.of([10, 12, 14, 9, 20, 13])),
                standard_deviation(Moments.of([10, 12, 14, 9, 20, 13])),
                share(2, 6),
            ],
            [
                count(3),
                mean(Moments.of([2, 3, 4])),
                standard_deviation(Moments.of([2, 3, 4])),
                share(1, 3),
            ],
        ],
    )
    sections = (
        Section(
            key=SectionKey.KNOWLEDGE,
            title=Text(sv="Kunskap", en="Knowledge"),
            tables=(occurrences,),
        ),
        Section(key=SectionKey.CLIENTS, title=Text(sv="Klienter", en="Clients"), tables=(levels,)),
    )
    comment = ManagerComment(unit="ifo-vuxen", recorded_on=date(2025, 11, 20), comment="Bra år.")
    return compile_report(Scope.parse("municipality:1480"), YEAR, 1, sections, (comment,), [ref(1)])


def test_the_owner_gets_the_report_itself() -> None:
    report = report_with_small_figures()
    assert disclose(report, ViewerRelation.OWNER, RULE) is report


def test_outside_the_owner_small_figures_and_their_partners_are_withheld() -> None:
    report = report_with_small_figures()
    view = disclose(report, ViewerRelation.OUTSIDE, RULE)
    assert view.disclosure == DisclosureNote(relation=ViewerRelation.OUTSIDE, k=5)
    assert view.comments == ()
    assert (view.inputs_checksum, view.figures_checksum) == (
        report.inputs_checksum,
        report.figures_checksum,
    )
    table = table_of(view, "knowledge.occurrences")
    hidden = SuppressedFigure(kind=FigureKind.COUNT)
    # The pattern of test_disclosure's wheel-occurrences example.
    shown = {
        (row, column): table.cell(row, column)
        for row in ("a", "b", "")
        for column in ("on_time", "late", "missed", "")
    }
    assert shown == {
        ("a", "on_time"): hidden,
        ("a", "late"): hidden,
        ("a", "missed"): count(0),
        ("a", ""): count(11),
        ("b", "on_time"): hidden,
        ("b", "late"): hidden,
        ("b", "missed"): hidden,
        ("b", ""): count(11),
        ("", "on_time"): hidden,
        ("", "late"): count(5),
        ("", "missed"): hidden,
        ("", ""): count(22),
    }
    # The previous year has no small counts: published whole.
    assert table.previous == table_of(report, "knowledge.occurrences").previous
    levels = view.table("clients.levels")
    assert levels is not None
    # AUDIT from 6 clients: published (a share of 2 of 6 is judged by its base, 6).
    assert [levels.cell("audit", c) for c in ("n", "share")] == [count(6), share(2, 6)]
    # Life situation from 3 clients: the count and every statistic of it withheld.
    assert [levels.cell("life", c) for c in ("n", "mean", "sd", "share")] == [
        SuppressedFigure(kind=FigureKind.COUNT),
        SuppressedFigure(kind=FigureKind.MEAN),
        SuppressedFigure(kind=FigureKind.SD),
        SuppressedFigure(kind=FigureKind.SHARE),
    ]
    # Nothing of a hidden figure is left in the view's bytes: B's late and
    # missed are the only 3 and 1 of the table.
    raw = canonical_json(table.model_copy(update={"previous": None}))
    assert b'"n":3' not in raw and b'"n":1,' not in raw
    with pytest.raises(ValueError, match="already"):
        disclose(view, ViewerRelation.OUTSIDE, RULE)


def test_a_region_table_by_municipality_is_withheld_even_from_the_region() -> None:
    by_municipality = count_table(
        "clients.rci",
        Text(sv="RCI per kommun", en="RCI per municipality"),
        (h("1480", "Göteborg"), h("1402", "Partille")),
        (h("improved", "Förbättrade"), h("unchanged", "Oförändrade")),
        [[30, 12], [4, 9]],
        owned_by_members=True,
    )
    section = Section(
        key=SectionKey.CLIENTS, title=Text(sv="Klienter", en="Clients"), tables=(by_municipality,)
    )
    report = compile_report(Scope.parse("region:14"), YEAR, 1, (section,), (), [ref(1)])
    view = disclose(report, ViewerRelation.OWNER, RULE)
    assert view.disclosure == DisclosureNote(relation=ViewerRelation.OWNER, k=5)
    table = view.table("clients.rci")
    assert table is not None
    # 4 is small: with 9, 30 and 12 (the rectangle) withheld; Partille's
    # hidden cells hold 13, Göteborg's 42.
    assert table.cells == ((SuppressedFigure(kind=FigureKind.COUNT),) * 2,) * 2
    assert table.row_totals == (count(42), count(13))


def test_a_count_table_built_by_hand_is_still_checked() -> None:
    with pytest.raises(ValidationError, match="grand total"):
        Table(
            table_id="t",
            title=Text(sv="T", en="T"),
            kind=TableKind.COUNTS,
            rows=(h("a", "A"),),
            columns=(h("x", "X"),),
            cells=((count(1),),),
            row_totals=(count(1),),
            column_totals=(count(1),),
        )
