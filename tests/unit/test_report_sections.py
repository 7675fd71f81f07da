"""A compiled report's sections from hand-made aggregates, and the aggregate's event form.

The aggregates below are written out by hand with the keys of
services/reporting/domain/sections.py; every expected cell is worked out in
the comments beside it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from services.reporting.domain.compiled import (
    CompiledReport,
    Figure,
    FigureKind,
    FollowUpYear,
    Scope,
    ScopeLevel,
    Section,
    SectionKey,
    SuppressedFigure,
    Table,
    TableKind,
    canonical_json,
    compile_report,
    disclose,
)
from services.reporting.domain.disclosure import (
    SUPPRESSED,
    DisclosureRule,
    PublishedTable,
    TableShape,
    ViewerRelation,
    attack,
)
from services.reporting.domain.merge import (
    MergeableAggregate,
    Moments,
    from_event,
    merge_region,
    to_event,
)
from services.reporting.domain.sections import (
    COVERED,
    MEMBERS,
    SESSIONS,
    WORK_GROUPS,
    client_key,
    occurrence_key,
    parse_client_key,
    parse_part_key,
    part_key,
    sections_of,
)
from services.reporting.render import render
from shared.events.reporting import Aggregate, MomentSums

YEAR = FollowUpYear(start_year=2025)
ALL = ("all", "")


def c(*slot: str) -> str:
    """A client key: dimension, category, figure[, key]."""
    dimension, category, figure, *key = slot
    return client_key(dimension, category, figure, key[0] if key else "")


def municipality_year() -> MergeableAggregate:
    """Göteborg's year 2025/26, by hand."""
    return MergeableAggregate(
        counts={
            WORK_GROUPS: 2,
            SESSIONS: 14,
            occurrence_key("on_time"): 9,
            occurrence_key("late"): 3,
            occurrence_key("overdue"): 1,
            occurrence_key("missed"): 2,
            occurrence_key("open"): 0,
            # flyttningsförbud relevant in both groups: 7 + 5 members, 6 + 4 have taken part.
            part_key("flyttningsforbud", COVERED): 10,
            part_key("flyttningsforbud", MEMBERS): 12,
            part_key("flyttningsforbud", "cases"): 4,
            part_key("flyttningsforbud", "practice_answered"): 8,
            part_key("flyttningsforbud", "practice_changed"): 2,
            part_key("flyttningsforbud", "open_plans"): 2,
            # utreseförbud: relevant nowhere at year end, but cases were linked to it.
            part_key("utreseforbud", "cases"): 1,
            part_key("utreseforbud", "practice_answered"): 0,
            part_key("utreseforbud", "practice_changed"): 0,
            part_key("utreseforbud", "open_plans"): 0,
            # Then the clients: two groups, one with a "/" in its name.
            c(*ALL, "events"): 120,
            c(*ALL, "opened"): 17,
            c(*ALL, "closed"): 9,
            c("client_group", "missbruk", "opened"): 11,
            c("client_group", "missbruk", "closed"): 6,
            c("client_group", "barn/unga", "opened"): 6,
            c("client_group", "barn/unga", "closed"): 3,
            c("gender", "female", "opened"): 10,
            c("gender", "male", "opened"): 5,
            c("gender", "unknown", "opened"): 2,
            c(*ALL, "problem", "alkohol"): 9,
            c(*ALL, "problem", "boende"): 9,
            c(*ALL, "problem", "ekonomi"): 4,
            c(*ALL, "change", "audit|recovered"): 2,
            c(*ALL, "change", "audit|improved"): 5,
            c(*ALL, "change", "audit|unchanged"): 3,
            c(*ALL, "change", "audit|deteriorated"): 1,
            c(*ALL, "change", "livssituation|improved"): 4,
            c(*ALL, "change", "livssituation|unchanged"): 2,
            c(*ALL, "goal_outcome", "achieved"): 7,
            c(*ALL, "goal_outcome", "partly_achieved"): 3,
            c(*ALL, "goal_outcome", "not_achieved"): 2,
            c("client_group", "missbruk", "goal_outcome", "achieved"): 5,
            c("client_group", "missbruk", "goal_outcome", "partly_achieved"): 2,
            c("client_group", "missbruk", "goal_outcome", "not_achieved"): 2,
            c("client_group", "barn/unga", "goal_outcome", "achieved"): 2,
            c("client_group", "barn/unga", "goal_outcome", "partly_achieved"): 1,
            c(*ALL, "intervention_outcome", "completed"): 6,
            c(*ALL, "intervention_outcome", "ended_early"): 2,
        },
        moments={
            # AUDIT at intake 18, 22, 9: n 3, Σ 49, Σ² 324 + 484 + 81 = 889.
            c(*ALL, "level", "audit|intake"): Moments(n=3, total=49, sum_of_squares=889),
            # AUDIT at exit 12, 15, 8, 9: n 4, Σ 44, Σ² 144 + 225 + 64 + 81 = 514.
            c(*ALL, "level", "audit|exit"): Moments(n=4, total=44, sum_of_squares=514),
            c(*ALL, "satisfaction", "klientenkat|bemotande"): Moments.of([4, 5, 5]),
        },
    )


def previous_year() -> MergeableAggregate:
    return MergeableAggregate(
        counts={
            occurrence_key("on_time"): 5,
            occurrence_key("late"): 1,
            occurrence_key("overdue"): 0,
            occurrence_key("missed"): 0,
            occurrence_key("open"): 0,
            c(*ALL, "change", "audit|improved"): 3,
            c(*ALL, "change", "audit|unchanged"): 3,
        }
    )


def sections(
    aggregate: MergeableAggregate | None = None,
    previous: MergeableAggregate | None = None,
    level: ScopeLevel = ScopeLevel.MUNICIPALITY,
    members: dict[str, MergeableAggregate] | None = None,
) -> tuple[Section, ...]:
    return sections_of(
        level, municipality_year() if aggregate is None else aggregate, previous, members or {}
    )


def table(found: tuple[Section, ...], table_id: str) -> Table:
    return next(t for s in found for t in s.tables if t.table_id == table_id)


def values(t: Table) -> list[list[object]]:
    """The body as plain values: a count's n, a statistic's value, ".." suppressed."""
    return [[_value(cell) for cell in row] for row in t.cells]


def _value(cell: Figure | SuppressedFigure) -> object:
    if isinstance(cell, SuppressedFigure):
        return ".."
    return cell.n if cell.kind is FigureKind.COUNT else cell.value


def totals(cells: tuple[Figure | SuppressedFigure, ...] | None) -> list[object] | None:
    return None if cells is None else [_value(cell) for cell in cells]


# --- keys and the event form ---------------------------------------------------


def test_keys_read_back_whatever_the_free_text_holds() -> None:
    key = client_key("client_group", "barn/unga 100%", "goal", "Mer närvaro / vecka")
    assert key == "clients/client_group/barn%2Funga 100%25/goal/Mer närvaro %2F vecka"
    assert parse_client_key(key) == (
        "client_group",
        "barn/unga 100%",
        "goal",
        "Mer närvaro / vecka",
    )
    assert parse_client_key(c(*ALL, "opened")) == ("all", "", "opened", "")
    assert parse_part_key(part_key("flyttningsforbud", COVERED)) == ("flyttningsforbud", COVERED)
    assert parse_part_key(SESSIONS) is None
    assert parse_client_key(SESSIONS) is None


def test_the_event_form_round_trips_exactly() -> None:
    aggregate = MergeableAggregate(
        counts={"b": 2, "a": 1},
        # 5/2 and 5: Σ = 15/2, Σ² = 25/4 + 25 = 125/4. 3 and 4: Σ = 7, Σ² = 9 + 16 = 25.
        moments={"m": Moments.of([Fraction(5, 2), 5]), "whole": Moments.of([3, 4])},
        class_counts={"rci": {"improved": 3, "deteriorated": 1}},
    )
    event = to_event(aggregate)
    assert event.moments["m"] == MomentSums(n=2, total="15/2", sum_of_squares="125/4")
    assert event.moments["whole"] == MomentSums(n=2, total="7", sum_of_squares="25")
    assert list(event.counts) == ["a", "b"]
    assert list(event.class_counts["rci"]) == ["deteriorated", "improved"]
    assert from_event(event) == aggregate
    assert from_event(Aggregate.model_validate_json(event.model_dump_json())) == aggregate
    assert from_event(to_event(MergeableAggregate())) == MergeableAggregate()


@pytest.mark.parametrize("text", ["1.5", "2/4", "1/0", "", "1e3", " 3", "3/"])
def test_an_inexact_or_malformed_sum_is_refused(text: str) -> None:
    bad = Aggregate(moments={"m": MomentSums(n=2, total=text, sum_of_squares="25")})
    with pytest.raises(ValueError, match=r"m\.total"):
        from_event(bad)


# --- the knowledge section -------------------------------------------------------


def test_knowledge_tables_by_hand() -> None:
    found = sections()
    assert [s.key for s in found] == [SectionKey.KNOWLEDGE, SectionKey.CLIENTS]
    summary = table(found, "knowledge.summary")
    assert values(summary) == [[2], [14]]
    assert summary.row_totals is None and summary.column_totals is None

    occurrences = table(found, "knowledge.occurrences")
    assert [r.key for r in occurrences.rows] == ["on_time", "late", "overdue", "missed", "open"]
    assert values(occurrences) == [[9], [3], [1], [2], [0]]
    assert totals(occurrences.column_totals) == [15]  # 9 + 3 + 1 + 2 + 0

    coverage = table(found, "knowledge.coverage")
    assert coverage.kind is TableKind.STATISTICS
    # Only the part that was relevant somewhere; its name from the catalogue.
    assert [r.key for r in coverage.rows] == ["flyttningsforbud"]
    assert coverage.rows[0].label.sv == "Flyttningsförbud och tillfälligt flyttningsförbud"
    assert coverage.rows[0].label.en == "Prohibition of removal, also temporary"
    assert [col.key for col in coverage.columns] == ["members", "coverage", "open_plans"]
    # 10 of 12 members: 5/6, of 12 observations.
    assert values(coverage) == [[12, Fraction(5, 6), 2]]
    assert coverage.cells[0][1] == Figure(kind=FigureKind.SHARE, value=Fraction(5, 6), n=12)
    assert coverage.chart is not None and coverage.chart.column == "coverage"

    practice = table(found, "knowledge.practice")
    # Catalogue order: flyttningsförbud before utreseförbud.
    assert [r.key for r in practice.rows] == ["flyttningsforbud", "utreseforbud"]
    # 2 of 8 sessions changed practice: 1/4; utreseförbud none answered: no share (".").
    assert values(practice) == [[4, 8, Fraction(1, 4)], [1, 0, None]]


def test_a_part_the_catalogue_lacks_is_shown_by_its_code() -> None:
    aggregate = MergeableAggregate(
        counts={part_key("egen-del", COVERED): 3, part_key("egen-del", MEMBERS): 4}
    )
    coverage = table(sections(aggregate), "knowledge.coverage")
    assert coverage.rows[0].label.sv == coverage.rows[0].label.en == "egen-del"
    assert values(coverage) == [[4, Fraction(3, 4), 0]]


# --- the client section ------------------------------------------------------------


def test_client_tables_by_hand() -> None:
    found = sections()
    follow_ups = table(found, "clients.follow_ups")
    assert [r.key for r in follow_ups.rows] == ["barn/unga", "missbruk"]
    assert values(follow_ups) == [[6, 3], [11, 6]]
    assert totals(follow_ups.column_totals) == [17, 9]
    assert follow_ups.row_totals is None

    gender = table(found, "clients.gender")
    assert [(r.key, r.label.sv) for r in gender.rows] == [
        ("female", "Kvinnor"),
        ("male", "Män"),
        ("unknown", "Uppgift saknas"),
    ]
    assert values(gender) == [[10], [5], [2]]
    assert totals(gender.column_totals) == [17]

    problems = table(found, "clients.problems")
    # Most common first, ties by name.
    assert [r.key for r in problems.rows] == ["alkohol", "boende", "ekonomi"]
    assert values(problems) == [[9], [9], [4]]

    rci = table(found, "clients.rci")
    assert [r.key for r in rci.rows] == ["audit", "livssituation"]
    assert [col.key for col in rci.columns] == [
        "recovered",
        "improved",
        "unchanged",
        "deteriorated",
    ]
    assert values(rci) == [[2, 5, 3, 1], [0, 4, 2, 0]]
    assert totals(rci.row_totals) == [11, 6]
    assert totals(rci.column_totals) == [2, 9, 5, 1]
    assert rci.grand_total is not None and _value(rci.grand_total) == 17

    goals = table(found, "clients.goals")
    assert [col.key for col in goals.columns] == ["achieved", "partly_achieved", "not_achieved"]
    assert values(goals) == [[2, 1, 0], [5, 2, 2]]
    assert totals(goals.row_totals) == [3, 9]
    assert totals(goals.column_totals) == [7, 3, 2]

    outcomes = table(found, "clients.outcomes")
    # 7 of 12 goals achieved; 6 of 8 interventions completed.
    assert values(outcomes) == [[12, Fraction(7, 12)], [8, Fraction(3, 4)]]

    levels = table(found, "clients.levels")
    assert [r.key for r in levels.rows] == ["audit"]
    # Intake: mean 49/3; s² = (889 − 49²/3) / 2 = (2667 − 2401) / 6 = 133/3,
    # s = √44.333… = 6.6583281…, six decimals 6.658328.
    # Exit: mean 44/4 = 11; s² = (514 − 44²/4) / 3 = (514 − 484) / 3 = 10,
    # s = √10 = 3.16227766…, six decimals 3.162278.
    assert values(levels) == [
        [3, Fraction(49, 3), Fraction("6.658328"), 4, Fraction(11), Fraction("3.162278")]
    ]

    satisfaction = table(found, "clients.satisfaction")
    assert [r.key for r in satisfaction.rows] == ["klientenkat|bemotande"]
    assert satisfaction.rows[0].label.sv == "Hur nöjd är du med hur du har blivit bemött?"
    # 4, 5, 5: mean 14/3; s² = (66 − 196/3) / 2 = 1/3, s = 0.57735026…
    assert values(satisfaction) == [[3, Fraction(14, 3), Fraction("0.577350")]]


def test_exits_on_a_scale_the_catalogue_lacks_get_a_column_of_their_own() -> None:
    aggregate = MergeableAggregate(
        counts={
            c(*ALL, "change", "audit|improved"): 2,
            c(*ALL, "change", "egen|unclassified"): 3,
        }
    )
    rci = table(sections(aggregate), "clients.rci")
    assert [col.key for col in rci.columns][-1] == "unclassified"
    assert [r.key for r in rci.rows] == ["audit", "egen"]
    assert rci.rows[1].label.sv == "egen"
    assert values(rci) == [[0, 2, 0, 0, 0], [0, 0, 0, 0, 3]]


# --- comparison, members, determinism ---------------------------------------------


def test_each_table_carries_the_previous_years_when_that_year_has_it() -> None:
    found = sections(previous=previous_year())
    occurrences = table(found, "knowledge.occurrences")
    assert occurrences.previous is not None
    assert values(occurrences.previous) == [[5], [1], [0], [0], [0]]
    assert totals(occurrences.previous.column_totals) == [6]
    rci = table(found, "clients.rci")
    assert rci.previous is not None
    assert [r.key for r in rci.previous.rows] == ["audit"]
    assert values(rci.previous) == [[0, 3, 3, 0]]
    # The previous year had no coverage: no comparison there.
    assert table(found, "knowledge.coverage").previous is None
    for empty in (None, MergeableAggregate()):
        assert all(t.previous is None for s in sections(previous=empty) for t in s.tables)


def unit(opened: int, closed: int, sessions: int = 0) -> MergeableAggregate:
    counts = {c(*ALL, "opened"): opened, c(*ALL, "closed"): closed}
    if sessions:
        counts[SESSIONS] = sessions
    return MergeableAggregate(counts=counts)


def test_a_municipality_owns_its_units_rows() -> None:
    members = {"ifo-vuxen": unit(14, 6, sessions=8), "ifo-barn": unit(3, 3, sessions=6)}
    found = sections(members=members)
    clients = table(found, "clients.members")
    assert not clients.owned_by_members
    assert [(r.key, r.label.sv) for r in clients.rows] == [
        ("ifo-barn", "ifo-barn"),
        ("ifo-vuxen", "ifo-vuxen"),
    ]
    assert [col.key for col in clients.columns] == ["opened", "closed", "rci", "goals"]
    assert values(clients) == [[3, 3, 0, 0], [14, 6, 0, 0]]
    assert totals(clients.column_totals) == [17, 9, 0, 0]
    knowledge = table(found, "knowledge.members")
    assert values(knowledge) == [[6, 0, 0, 0], [8, 0, 0, 0]]
    # The owner sees its units' small counts.
    report = compile_report(Scope.parse("municipality:1480"), YEAR, 1, found, (), [])
    assert disclose(report, ViewerRelation.OWNER, DisclosureRule()) is report


def test_a_members_table_of_nothing_but_zeros_is_left_out() -> None:
    found = sections(members={"ifo-vuxen": unit(2, 0)})
    assert {t.table_id for s in found for t in s.tables} >= {"clients.members"}
    assert "knowledge.members" not in {t.table_id for s in found for t in s.tables}


def region_report() -> CompiledReport:
    members = {"1480": unit(20, 7), "1402": unit(3, 0), "1415": unit(12, 6)}
    found = sections_of(ScopeLevel.REGION, merge_region("14", members), None, members)
    return compile_report(Scope.parse("region:14"), YEAR, 1, found, (), [])


def test_a_regions_rows_are_its_municipalities_and_not_its_own() -> None:
    report = region_report()
    members = report.table("clients.members")
    assert members is not None and members.owned_by_members
    assert [(r.key, r.label.sv) for r in members.rows] == [
        ("1402", "Partille (1402)"),
        ("1415", "Stenungsund (1415)"),
        ("1480", "Göteborg (1480)"),
    ]
    assert members.title.sv == "Uppföljningar per kommun"
    assert values(members) == [[3, 0, 0, 0], [12, 6, 0, 0], [20, 7, 0, 0]]
    assert totals(members.column_totals) == [35, 13, 0, 0]


def test_disclosure_of_a_region_report_hides_a_small_municipality_even_from_the_region() -> None:
    view = disclose(region_report(), ViewerRelation.OWNER, DisclosureRule())
    members = view.table("clients.members")
    assert members is not None
    # Partille's 3 opened is 1 … 4: withheld. The column total 35 is published,
    # so one more cell of the column goes with it: the smallest, Stenungsund's 12.
    # The 15 hidden together is at least k = 5.
    assert values(members) == [["..", 0, 0, 0], ["..", 6, 0, 0], [20, 7, 0, 0]]
    assert totals(members.column_totals) == [35, 13, 0, 0]
    # The published cells tell only the hidden two's sum, 35 − 20 = 15.
    assert attack(published(members)) == {}
    assert view.figures_checksum == region_report().figures_checksum


def published(t: Table) -> PublishedTable:
    """A disclosed table as the attacker of domain/disclosure.py reads it."""
    shape = TableShape(
        len(t.rows), len(t.columns), t.row_totals is not None, t.column_totals is not None
    )
    return PublishedTable(
        shape,
        {
            p: SUPPRESSED if isinstance(cell, SuppressedFigure) else cell.n
            for p, cell in t.positions()
        },
    )


def test_nation_rows_are_regions() -> None:
    members = {"14": unit(30, 10), "12": unit(8, 2)}
    found = sections_of(ScopeLevel.NATION, MergeableAggregate(), None, members)
    members_table = table(found, "clients.members")
    assert members_table.owned_by_members
    assert [r.label.sv for r in members_table.rows] == [
        "Skåne län (12)",
        "Västra Götalands län (14)",
    ]


def test_a_unit_has_no_members() -> None:
    with pytest.raises(ValueError, match="no members"):
        sections_of(ScopeLevel.UNIT, municipality_year(), None, {"x": unit(1, 1)})
    assert sections_of(ScopeLevel.UNIT, municipality_year(), None, {})


def test_the_same_aggregates_give_the_same_bytes() -> None:
    members = {"ifo-vuxen": unit(14, 6), "ifo-barn": unit(3, 3)}
    first = sections(previous=previous_year(), members=members)
    reordered = dict(reversed(list(members.items())))
    shuffled = MergeableAggregate(
        counts=dict(reversed(list(municipality_year().counts.items()))),
        moments=dict(reversed(list(municipality_year().moments.items()))),
    )
    second = sections(shuffled, previous_year(), members=reordered)
    assert canonical_json(first) == canonical_json(second)


def test_an_empty_year_gives_both_sections_without_tables() -> None:
    found = sections(MergeableAggregate(), previous_year())
    assert [(s.key, s.tables) for s in found] == [
        (SectionKey.KNOWLEDGE, ()),
        (SectionKey.CLIENTS, ()),
    ]
    report = compile_report(Scope.parse("municipality:1480"), YEAR, 1, found, (), [])
    assert b"<html" in render(report, "html")


# --- rendering -----------------------------------------------------------------------


def test_the_sections_render_as_html_and_pdf() -> None:
    members = {"ifo-vuxen": unit(14, 6, sessions=8), "ifo-barn": unit(3, 3, sessions=6)}
    report = compile_report(
        Scope.parse("municipality:1480"),
        YEAR,
        1,
        sections(previous=previous_year(), members=members),
        (),
        [],
    )
    html = render(report, "html").decode()
    assert "Flyttningsförbud och tillfälligt flyttningsförbud" in html
    assert "<svg" in html
    assert "Prohibition of removal" in render(report, "html", "en").decode()
    assert render(report, "pdf").startswith(b"%PDF")
    outside = disclose(region_report(), ViewerRelation.OUTSIDE, DisclosureRule())
    assert "Partille (1402)" in render(outside, "html").decode()
