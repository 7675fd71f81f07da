"""Disclosure control: suppression patterns worked out by hand; an attacker recovers nothing.

Positions are (row, column); -1 (TOTAL) is a total. k = 5 unless said.
"Cheapest" in the hand working is the module's order: a non-zero cell before
a zero, a body cell before a marginal total before the grand total, the
smaller value first, then reading order.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from services.reporting.domain.disclosure import (
    SUPPRESSED,
    TOTAL,
    CountTable,
    DisclosureRule,
    Position,
    PublishedTable,
    TableShape,
    ViewerRelation,
    attack,
    has_too_few_observations,
    iter_lines_with_one_unknown,
    primary_suppression,
    recover_by_elimination,
    recover_by_single_unknowns,
    suppress_count_table,
)

T = TOTAL
RULE = DisclosureRule()


def outside(body: list[list[int]], **margins: bool) -> PublishedTable:
    return suppress_count_table(CountTable.of(body, **margins), ViewerRelation.OUTSIDE, RULE)


# --- the threshold rule --------------------------------------------------------


def test_counts_one_to_k_minus_one_are_sensitive_and_zero_is_not_by_default() -> None:
    assert [RULE.is_sensitive_count(n) for n in range(7)] == [
        False,
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    zeros = DisclosureRule(suppress_zeros=True)
    assert [zeros.is_sensitive_count(n) for n in range(6)] == [True, True, True, True, True, False]
    three = DisclosureRule(k=3)
    assert [three.is_sensitive_count(n) for n in range(4)] == [False, True, True, False]
    assert not any(DisclosureRule(k=1).is_sensitive_count(n) for n in range(10))


def test_a_rule_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DisclosureRule(k=0)
    with pytest.raises(ValueError, match="negative"):
        RULE.is_sensitive_count(-1)
    with pytest.raises(ValueError, match="negative"):
        has_too_few_observations(-2, RULE)


def test_means_and_shares_of_fewer_than_k_observations_are_withheld() -> None:
    # 0 observations: no value at all ("."), not a suppression.
    assert [has_too_few_observations(n, RULE) for n in range(7)] == [
        False,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


# --- hand-worked patterns ----------------------------------------------------------


def test_one_small_cell_takes_a_rectangle_of_four() -> None:
    #        A   B   C | tot
    # r0    12   3  20 |  35
    # r1     8  15   9 |  32
    # r2    30  25  40 |  95
    # tot   50  43  69 | 162
    # Primary: 3. Row 0 and column B each have one suppressed cell; no cell
    # serves both, so the cheapest of either: 12 (r0, A). Now column A and
    # column B each have one; no cell serves both; cheapest 8 (r1, A). Now row
    # 1 and column B each have one: 15 (r1, B) serves both. Hidden sums:
    # row 0 12+3=15, row 1 8+15=23, A 20, B 18, all ≥ 5. The four form a cycle.
    published = outside([[12, 3, 20], [8, 15, 9], [30, 25, 40]])
    assert published.rendered() == [
        ["..", "..", "20", "35"],
        ["..", "..", "9", "32"],
        ["30", "25", "40", "95"],
        ["50", "43", "69", "162"],
    ]
    assert attack(published) == {}


def test_a_small_row_total_is_suppressed_and_protected_by_another_row() -> None:
    #        A   B   C | tot
    # r0     2   1   0 |   3
    # r1    10   7  12 |  29
    # r2     6  14   8 |  28
    # tot   18  22  20 |  60
    # Primary: 2, 1 and the row total 3 (0 is published). Columns A, B and
    # the totals column have one each; no cell serves two; the cheapest body
    # cell in them is 6 (r2, A). Then row 2, B and the totals column need
    # one: 14 (r2, B) and 28 (r2, tot) each serve two, the body cell first.
    # Then the totals column still has one: 28 (r2, tot). Rows 0 and 2 now
    # hide three cells each, every column two; hidden sums A 8, B 15, totals
    # column 31; rows 0 and 2 have their totals hidden.
    published = outside([[2, 1, 0], [10, 7, 12], [6, 14, 8]])
    assert published.rendered() == [
        ["..", "..", "0", ".."],
        ["10", "7", "12", "29"],
        ["..", "..", "8", ".."],
        ["18", "22", "20", "60"],
    ]
    assert attack(published) == {}


def test_hidden_cells_of_a_line_must_hold_at_least_k_together() -> None:
    #        A   B   C | tot
    # r0     1   1  40 |  42
    # r1    20  30  25 |  75
    # tot   21  31  65 | 117
    # Primary 1 and 1; A and B need a partner: 20 (r1, A), then 30 (r1, B)
    # serves row 1 and B. That is a cycle, but row 0 would publish 40 of 42:
    # the two hidden cells hold 2 < 5, a small count in itself. So 40 goes
    # too, then column C needs a partner: 25. Every body cell is hidden; the
    # totals stay.
    published = outside([[1, 1, 40], [20, 30, 25]])
    assert published.rendered() == [
        ["..", "..", "..", "42"],
        ["..", "..", "..", "75"],
        ["21", "31", "65", "117"],
    ]
    assert attack(published) == {}


def test_wheel_occurrences_with_a_small_column_total() -> None:
    #          on time  late  missed | tot
    # group A        9     2       0 |  11
    # group B        7     3       1 |  11
    # tot           16     5       1 |  22
    # Primary: 2, 3, 1 and the missed total 1 (5 is not small). Row A and the
    # totals row have one each; no cell serves both; cheapest 9 (A, on time).
    # Then the on-time column and the totals row: 16 (tot, on time) serves
    # both. Hidden sums: row A 11, late 5; but row B hides 3 + 1 = 4 < 5 of
    # its 11, so 7 (B, on time) goes too.
    published = outside([[9, 2, 0], [7, 3, 1]])
    assert published.rendered() == [
        ["..", "..", "0", "11"],
        ["..", "..", "..", "11"],
        ["..", "5", "..", "22"],
    ]
    assert set(published.suppressed) == {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (T, 0), (T, 2)}
    assert attack(published) == {}


def test_a_list_of_counts_with_only_its_total() -> None:
    # Clients per group, one column with its total 42: 3 is small; the column
    # needs a second hidden cell, the cheapest 7; they hide 10 ≥ 5 together.
    published = outside([[12], [3], [20], [7]], row_totals=False)
    assert published.rendered() == [["12"], [".."], ["20"], [".."], ["42"]]
    assert attack(published) == {}


def test_a_table_without_small_counts_is_published_whole() -> None:
    body = [[5, 0, 12], [9, 6, 0]]
    published = outside(body)
    assert published.suppressed == []
    assert published.cells == CountTable.of(body).values()


def test_the_owner_sees_every_figure() -> None:
    table = CountTable.of([[9, 2, 0], [7, 3, 1]])
    published = suppress_count_table(table, ViewerRelation.OWNER, RULE)
    assert published.suppressed == []
    assert published.rendered() == [
        ["9", "2", "0", "11"],
        ["7", "3", "1", "11"],
        ["16", "5", "1", "22"],
    ]


def test_zeros_can_be_made_sensitive() -> None:
    #        A   B | tot
    # r0     0   9 |   9
    # r1     8   7 |  15
    # tot    8  16 |  24
    # With zeros sensitive, 0 is primary. Row 0 and column A need a partner
    # and no cell serves both: row 0 offers 9 and its total 9, column A 8 and
    # its total 8; the body cell 8 (r1, A). Now rows 0 and 1 need one, and no
    # cell serves both: row 1's 7 is the cheapest. Then row 0 and column B
    # need one: 9 (r0, B) serves both. The whole body is hidden; the hidden
    # sums (9, 15, 8, 16) are all at least 5.
    rule = DisclosureRule(suppress_zeros=True)
    table = CountTable.of([[0, 9], [8, 7]])
    published = suppress_count_table(table, ViewerRelation.OUTSIDE, rule)
    assert published.rendered() == [["..", "..", "9"], ["..", "..", "15"], ["8", "16", "24"]]
    assert attack(published) == {}
    assert primary_suppression(table, RULE) == frozenset()


def test_a_larger_k_suppresses_more() -> None:
    body = [[12, 3, 20], [8, 15, 9], [30, 25, 40]]
    # k = 10: 3, 8 and 9 are small; row 1 has two (8 and 9), so do nothing
    # for it, row 0 has one (3), column A (8), B (3), C (9) one each.
    # Cheapest serving two needy lines: 12 (r0, A) serves row 0 and A; then
    # B and C need one: 15 (r1, B)? Row 1 is not needy. B offers 15, 25, 43;
    # C offers 20, 40, 69; 20 (r0, C) serves C only, 15 serves B only:
    # cheapest 15. Then C: 20 (r0, C). Row 0 hides 12+3+20 = 35, row 1 all of
    # 32, A 20, B 18, C 29.
    table = CountTable.of(body)
    published = suppress_count_table(table, ViewerRelation.OUTSIDE, DisclosureRule(k=10))
    assert published.rendered() == [
        ["..", "..", "..", "35"],
        ["..", "..", "..", "32"],
        ["30", "25", "40", "95"],
        ["50", "43", "69", "162"],
    ]


# --- the attacker ---------------------------------------------------------------


def published(body: list[list[int]], hidden: set[Position]) -> PublishedTable:
    values = CountTable.of(body).values()
    return PublishedTable(
        TableShape(len(body), len(body[0])),
        {p: SUPPRESSED if p in hidden else value for p, value in values.items()},
    )


def test_primary_suppression_alone_is_undone_by_the_row_total() -> None:
    body = [[12, 3, 20], [8, 15, 9], [30, 25, 40]]
    table = published(body, {(0, 1)})
    assert [line.vertex for line in iter_lines_with_one_unknown(table)] == [
        ("row", 0),
        ("column", 1),
    ]
    assert recover_by_single_unknowns(table) == {(0, 1): 3}
    assert attack(table) == {(0, 1): Fraction(3)}


def test_single_unknowns_cascade() -> None:
    # 3 and 12 hidden in row 0: row 0 has two unknowns, but column B gives 3
    # (43 − 15 − 25), after which row 0 gives 12.
    body = [[12, 3, 20], [8, 15, 9], [30, 25, 40]]
    assert recover_by_single_unknowns(published(body, {(0, 0), (0, 1)})) == {(0, 1): 3, (0, 0): 12}


def test_two_per_line_is_not_enough_when_one_cell_joins_two_blocks() -> None:
    # Rows 0–1 × columns A–B and rows 2–3 × columns C–D are hidden blocks;
    # (0, C) = 7 joins them. Every row and column with a hidden cell has at
    # least two, so no line has a single unknown; yet rows 0 + 1 minus
    # columns A + B leaves exactly (0, C): 7 is recovered by elimination.
    body = [
        [11, 9, 7, 13],
        [6, 14, 10, 12],
        [20, 8, 15, 6],
        [9, 17, 5, 11],
    ]
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)}
    table = published(body, hidden)
    assert list(iter_lines_with_one_unknown(table)) == []
    assert recover_by_single_unknowns(table) == {}
    assert recover_by_elimination(table) == {(0, 2): Fraction(7)}
    assert determined_cells(table) == [(0, 2)]


def test_a_published_table_must_cover_its_shape() -> None:
    with pytest.raises(ValueError, match="one entry per cell"):
        PublishedTable(TableShape(1, 1), {(0, 0): 1})


# --- many random tables ---------------------------------------------------------


def determined_cells(table: PublishedTable) -> list[Position]:
    """Independent of the module: a hidden cell is determined by the published
    sums exactly when its unit vector lies in the row space of the equations'
    coefficients (the hidden cells are the unknowns, each line one equation)."""
    unknowns = table.suppressed
    rows = []
    for line in table.shape.lines():
        coefficients = [Fraction(0)] * len(unknowns)
        for p in line.parts:
            if p in unknowns:
                coefficients[unknowns.index(p)] += 1
        if line.total in unknowns:
            coefficients[unknowns.index(line.total)] -= 1
        rows.append(coefficients)
    basis = echelon(rows)
    return [
        p
        for n, p in enumerate(unknowns)
        if not any(reduce_by([Fraction(int(m == n)) for m in range(len(unknowns))], basis))
    ]


def echelon(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Row echelon form as (pivot column, row) pairs, by forward elimination."""
    basis: list[tuple[int, list[Fraction]]] = []
    for row in rows:
        reduced = reduce_by(row, basis)
        pivot = next((c for c, value in enumerate(reduced) if value != 0), None)
        if pivot is not None:
            basis.append((pivot, reduced))
    return basis


def reduce_by(vector: list[Fraction], basis: list[tuple[int, list[Fraction]]]) -> list[Fraction]:
    """What is left of `vector` after subtracting the basis rows (zero iff it is in their span)."""
    left = vector[:]
    changed = True
    while changed:
        changed = False
        for pivot, row in basis:
            if left[pivot] != 0:
                factor = left[pivot] / row[pivot]
                left = [a - factor * b for a, b in zip(left, row, strict=True)]
                changed = True
    return left


def random_body(rng: random.Random) -> list[list[int]]:
    rows, columns = rng.randint(1, 7), rng.randint(1, 6)
    small_share = rng.choice([0.1, 0.3, 0.6])
    return [
        [
            rng.randint(1, 4) if rng.random() < small_share else rng.choice([0, rng.randint(5, 60)])
            for _ in range(columns)
        ]
        for _ in range(rows)
    ]


@pytest.mark.parametrize("k", [3, 5])
def test_no_suppressed_value_is_recoverable_in_random_tables(k: int) -> None:
    rng = random.Random(20250501 + k)
    rule = DisclosureRule(k=k)
    suppressed_somewhere = 0
    for _ in range(250):
        body = random_body(rng)
        margins = rng.choice([(True, True), (True, True), (True, False), (False, True)])
        table = CountTable.of(body, row_totals=margins[0], column_totals=margins[1])
        result = suppress_count_table(table, ViewerRelation.OUTSIDE, rule)
        values = table.values()
        # Every small count is hidden, every published figure is the true one.
        for position, value in values.items():
            if 0 < value < k:
                assert result.cells[position] is SUPPRESSED
            elif result.cells[position] is not SUPPRESSED:
                assert result.cells[position] == value
        # Cox's rule, the attacker, and the rank check, each on its own.
        assert list(iter_lines_with_one_unknown(result)) == []
        assert attack(result) == {}, body
        assert determined_cells(result) == [], body
        # The hidden cells of a line with a published total of at least k hold at least k.
        for line in table.shape.lines():
            total = result.cells[line.total]
            hidden = [values[p] for p in line.parts if result.cells[p] is SUPPRESSED]
            if total is not SUPPRESSED and total >= k and hidden and len(hidden) < len(line.parts):
                assert sum(hidden) >= k, (body, line)
        suppressed_somewhere += bool(result.suppressed)
        # The same table always gives the same pattern.
        assert suppress_count_table(table, ViewerRelation.OUTSIDE, rule) == result
    assert suppressed_somewhere > 150


def test_random_tables_are_not_wiped_out() -> None:
    """The greedy pattern prefers small cells: in tables with one small cell
    among large ones, at most a rectangle's worth plus the line sums' guard
    is hidden, never the large cells of untouched rows."""
    rng = random.Random(7)
    for _ in range(100):
        rows, columns = rng.randint(2, 6), rng.randint(2, 6)
        body = [[rng.randint(20, 90) for _ in range(columns)] for _ in range(rows)]
        i, j = rng.randrange(rows), rng.randrange(columns)
        body[i][j] = rng.randint(1, 4)
        result = outside(body)
        assert len(result.suppressed) == 4
        assert all(p[0] != TOTAL and p[1] != TOTAL for p in result.suppressed)
        assert (i, j) in result.suppressed
