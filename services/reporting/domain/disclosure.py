"""Disclosure control for figures that leave their owner's view: pure functions on numbers.

A municipality's figures seen by its region, a region's by the nation, or a
unit's by anyone outside its municipality are *disclosed*; their owner sees
them unsuppressed (ARCHITECTURE.md, "Mergeable aggregates": suppression is
applied only when a figure leaves its owner's view). Which side of that line a
viewer stands on is never guessed here: every entry point takes a
`ViewerRelation`.

The method is cell suppression, as in Swedish official statistics:

- **Primary suppression** by the threshold rule: a count from 1 to k − 1
  (k configurable, default 5) is not published. Source: Hundepool, Domingo-
  Ferrer, Franconi, Giessing, Schulte Nordholt, Spicer & de Wolf, *Statistical
  Disclosure Control* (Wiley 2012), ch. 4 (sensitive cells, primary and
  secondary suppression) and ch. 5 (frequency tables, the threshold rule);
  Statistics Sweden (SCB), *Handbok om statistisk röjandekontroll*, on
  suppressing ("pricka") small frequencies. A suppressed figure is shown as
  "..", the mark Swedish official statistics and Kolada use for figures
  withheld for confidentiality.
- **Complementary (secondary) suppression**: enough further cells are hidden
  that no suppressed value can be derived from the published cells and the
  totals of its rows and columns (Cox, "Suppression methodology and
  statistical disclosure control", JASA 75 (1980) 377–385). In a
  two-dimensional table with totals this is a graph property (Gusfield, "A
  graph theoretic approach to statistical data security", SIAM J. Comput. 17
  (1988) 552–571): make each row and each column of the table (the totals'
  row and column included) a vertex, and each suppressed cell an edge between
  its row and its column; a suppressed value is determined by the published
  figures exactly when its edge lies on no cycle. Requiring two suppressed
  cells in every row and column that has one (Cox's rule) is necessary but not
  enough: two protected blocks joined by one cell leave that cell derivable.
  `complementary_suppression` therefore suppresses until every suppressed
  cell lies on a cycle. Finding the smallest such pattern is NP-hard
  (Hundepool et al. 2012, ch. 4), so it is a deterministic greedy heuristic
  that prefers small cells.
- **Means and shares from fewer than k observations** are suppressed
  together with their count (`has_too_few_observations`).

Choices made here, each documented where it is made:

- **Zero is published.** As SCB does for count tables, a 0 is not a small
  count: it identifies nobody. It can still disclose something about a group
  (everyone in a row is in one column; Hundepool et al. 2012, ch. 5, on group
  disclosure and zeros), which `DisclosureRule.suppress_zeros` guards against
  when a table needs it.
- **Suppressed cells of a line hold at least k together.** When a row's or
  column's total is published, the sum of its suppressed cells is published
  with it (total minus the published cells). If that sum were itself a small
  count, the suppressed group would be one: the line gets more suppression
  until the hidden sum is at least k.
- **Zeros are the last resort as complements**: a suppressed zero beside a
  small count protects it little, because counts cannot go below zero.

What is checked is recovery by linear equations (`recover_by_elimination`,
`recover_by_single_unknowns`). Interval attacks that also use non-negativity
(protection levels in the sense of Fischetti & Salazar) are not audited; the
"at least k together" rule is what keeps those intervals wide.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from fractions import Fraction
from typing import Final, Literal

#: Index of the totals in a position: (i, TOTAL) is row i's total, (TOTAL, j)
#: column j's, (TOTAL, TOTAL) the grand total.
TOTAL: Final = -1

#: A cell of a table with its margins: (row, column), either may be TOTAL.
Position = tuple[int, int]

DEFAULT_K: Final = 5


class ViewerRelation(StrEnum):
    """Where the viewer stands relative to the owner of the figures."""

    #: The owner itself (a municipality reading its own or its units' figures).
    OWNER = "owner"
    #: Anyone else (the region reading a municipality, the nation a region, …).
    OUTSIDE = "outside"


class Mark(Enum):
    """A published cell that carries no value."""

    #: Withheld for confidentiality, as Swedish official statistics mark it.
    SUPPRESSED = ".."


SUPPRESSED: Final = Mark.SUPPRESSED

#: What a reader of a published table sees in one cell.
Published = int | Literal[Mark.SUPPRESSED]


@dataclass(frozen=True)
class DisclosureRule:
    """The threshold rule: counts 1 … k − 1 are not published outside their owner's view.

    `k` is configurable (DOMAIN.md: "the threshold here is configurable,
    default 5"); k = 1 suppresses nothing. `suppress_zeros` makes 0 a
    sensitive count as well (off by default, as SCB publishes zeros in count
    tables; see the module docstring).
    """

    k: int = DEFAULT_K
    suppress_zeros: bool = False

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"the threshold k must be at least 1, got {self.k}")

    def is_sensitive_count(self, count: int) -> bool:
        """True for a count the threshold rule withholds: 1 … k − 1 (and 0 if so configured)."""
        if count < 0:
            raise ValueError(f"a count cannot be negative, got {count}")
        if count == 0:
            return self.suppress_zeros
        return count < self.k


def has_too_few_observations(observations: int, rule: DisclosureRule) -> bool:
    """True if a mean, standard deviation or share from `observations` must be suppressed.

    A statistic computed from 1 … k − 1 observations is withheld together with
    its count (the issue: "means and shares computed from fewer than k are
    suppressed with them"); it would otherwise describe those few individuals.
    A statistic of no observations has no value at all (shown "." as not
    applicable, not as a suppressed figure). A share is judged by its base,
    the number of observations it is a share of, as its count is the figure
    published beside it.
    """
    if observations < 0:
        raise ValueError(f"a number of observations cannot be negative, got {observations}")
    return 0 < observations < rule.k


# --- table structure ---------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One linear relation a reader knows: the `parts` add up to `total`."""

    vertex: tuple[str, int]
    parts: tuple[Position, ...]
    total: Position


@dataclass(frozen=True)
class TableShape:
    """The layout of a two-dimensional count table and which margins it publishes.

    With `row_totals` every row has a total (column TOTAL); with
    `column_totals` every column has one (row TOTAL); with both, the grand
    total too. A one-column list of counts is a table with one column and
    `column_totals` only.
    """

    rows: int
    columns: int
    row_totals: bool = True
    column_totals: bool = True

    def __post_init__(self) -> None:
        if self.rows < 1 or self.columns < 1:
            raise ValueError(
                f"a table needs at least one row and column, got {self.rows}×{self.columns}"
            )

    def positions(self) -> list[Position]:
        """Every cell, in reading order: the body, row totals, column totals, grand total."""
        body = [(i, j) for i in range(self.rows) for j in range(self.columns)]
        row_totals = [(i, TOTAL) for i in range(self.rows)] if self.row_totals else []
        column_totals = [(TOTAL, j) for j in range(self.columns)] if self.column_totals else []
        grand = [(TOTAL, TOTAL)] if self.row_totals and self.column_totals else []
        return body + row_totals + column_totals + grand

    def lines(self) -> list[Line]:
        """The sums a reader of the published table knows hold."""
        lines: list[Line] = []
        if self.row_totals:
            lines += [
                Line(("row", i), tuple((i, j) for j in range(self.columns)), (i, TOTAL))
                for i in range(self.rows)
            ]
        if self.column_totals:
            lines += [
                Line(("column", j), tuple((i, j) for i in range(self.rows)), (TOTAL, j))
                for j in range(self.columns)
            ]
        if self.row_totals and self.column_totals:
            lines.append(
                Line(
                    ("row", TOTAL),
                    tuple((TOTAL, j) for j in range(self.columns)),
                    (TOTAL, TOTAL),
                )
            )
            lines.append(
                Line(
                    ("column", TOTAL),
                    tuple((i, TOTAL) for i in range(self.rows)),
                    (TOTAL, TOTAL),
                )
            )
        return lines


@dataclass(frozen=True)
class CountTable:
    """A count table as its owner sees it: every value known, totals computed from the body."""

    body: tuple[tuple[int, ...], ...]
    row_totals: bool = True
    column_totals: bool = True
    shape: TableShape = field(init=False)

    def __post_init__(self) -> None:
        if not self.body or not self.body[0]:
            raise ValueError("a count table needs at least one row and one column")
        width = len(self.body[0])
        if any(len(row) != width for row in self.body):
            raise ValueError("every row of a count table must have the same number of cells")
        if any(value < 0 for row in self.body for value in row):
            raise ValueError("counts cannot be negative")
        shape = TableShape(len(self.body), width, self.row_totals, self.column_totals)
        object.__setattr__(self, "shape", shape)

    @classmethod
    def of(
        cls, body: Sequence[Sequence[int]], *, row_totals: bool = True, column_totals: bool = True
    ) -> CountTable:
        return cls(tuple(tuple(row) for row in body), row_totals, column_totals)

    def value(self, position: Position) -> int:
        i, j = position
        rows = range(self.shape.rows) if i == TOTAL else (i,)
        columns = range(self.shape.columns) if j == TOTAL else (j,)
        return sum(self.body[r][c] for r in rows for c in columns)

    def values(self) -> dict[Position, int]:
        return {position: self.value(position) for position in self.shape.positions()}


@dataclass(frozen=True)
class PublishedTable:
    """A count table as a reader outside sees it: values, or ".." where suppressed."""

    shape: TableShape
    cells: Mapping[Position, Published]

    def __post_init__(self) -> None:
        if set(self.cells) != set(self.shape.positions()):
            raise ValueError("a published table needs exactly one entry per cell of its shape")

    @property
    def suppressed(self) -> list[Position]:
        return [p for p in self.shape.positions() if self.cells[p] is SUPPRESSED]

    def rendered(self) -> list[list[str]]:
        """The table as printed: body rows with their totals, then the totals row."""
        shape = self.shape
        columns = [*range(shape.columns), *([TOTAL] if shape.row_totals else [])]
        rows = [*range(shape.rows), *([TOTAL] if shape.column_totals else [])]
        return [[_text(self.cells[(i, j)]) for j in columns] for i in rows]


def _text(value: Published) -> str:
    return SUPPRESSED.value if value is SUPPRESSED else str(value)


# --- primary and complementary suppression -------------------------------------


def primary_suppression(table: CountTable, rule: DisclosureRule) -> frozenset[Position]:
    """The cells, totals included, that the threshold rule withholds by themselves.

    A small marginal total is suppressed like any other small count: a row
    total of 3 says as much about those 3 as a cell of 3 does.
    """
    return frozenset(p for p, value in table.values().items() if rule.is_sensitive_count(value))


def complementary_suppression(
    table: CountTable, primary: Iterable[Position], rule: DisclosureRule
) -> frozenset[Position]:
    """Grow a suppression pattern until no suppressed cell can be derived from the rest.

    Returns every suppressed cell (the primary ones included). Three rules are
    applied until none adds anything, always one cell at a time and the
    first rule first:

    1. **Two in every line** (Cox 1980): a row or column (a totals line
       included) with exactly one suppressed cell gets another. The cell that
       completes the most such lines at once is taken, then the cheapest.
    2. **At least k together**: in a line whose total is published and at
       least k, the suppressed cells must add up to at least k (else their
       sum, total minus the published cells, is itself a small count); the
       cheapest published cell of the line is added.
    3. **On a cycle** (Gusfield 1988): a suppressed cell whose edge in the
       row–column graph is a bridge is derivable by elimination although its
       lines have two unknowns each; the cheapest published cell joining the
       two sides of the bridge closes a cycle through it.

    "Cheapest" is deterministic: a non-zero cell before a zero (zeros protect
    little, see the module docstring), a body cell before a marginal total
    before the grand total, the smaller value first, then reading order.
    """
    values = table.values()
    shape = table.shape
    lines = shape.lines()
    constrained = {line.vertex for line in lines}
    suppressed = set(primary)
    order = {position: index for index, position in enumerate(shape.positions())}

    def cost(position: Position) -> tuple[bool, int, int, int]:
        i, j = position
        level = (i == TOTAL) + (j == TOTAL)
        return (values[position] == 0, level, values[position], order[position])

    def published_in(positions: Iterable[Position]) -> list[Position]:
        return [p for p in positions if p not in suppressed]

    while True:
        needy = [line for line in lines if len(_suppressed_in(line, suppressed)) == 1]
        if needy:
            needy_vertices = {line.vertex for line in needy}
            candidates = {p for line in needy for p in published_in((*line.parts, line.total))}
            if candidates:
                suppressed.add(
                    min(
                        candidates,
                        key=lambda p: (-len(needy_vertices & set(_vertices(p))), *cost(p)),
                    )
                )
                continue
        short = _first_short_line(lines, values, suppressed, rule)
        if short is not None:
            suppressed.add(min(published_in(short.parts), key=cost))
            continue
        bridge = _first_bridge(shape, suppressed, constrained)
        if bridge is None:
            return frozenset(suppressed)
        near, far = _sides(shape, suppressed, constrained, bridge)
        joining = [
            p
            for p in shape.positions()
            if p not in suppressed and _joins(p, near, far, constrained)
        ]
        suppressed.add(min(joining or published_in(shape.positions()), key=cost))


def suppress_count_table(
    table: CountTable, relation: ViewerRelation, rule: DisclosureRule
) -> PublishedTable:
    """The table as `relation` may see it: unchanged for the owner, else suppressed.

    Outside the owner's view, primary suppression by `rule` and then
    complementary suppression (see `complementary_suppression`).
    """
    values = table.values()
    if relation is ViewerRelation.OWNER:
        return PublishedTable(table.shape, dict(values))
    hidden = complementary_suppression(table, primary_suppression(table, rule), rule)
    return PublishedTable(
        table.shape, {p: SUPPRESSED if p in hidden else value for p, value in values.items()}
    )


def _suppressed_in(line: Line, suppressed: set[Position]) -> list[Position]:
    return [p for p in (*line.parts, line.total) if p in suppressed]


def _first_short_line(
    lines: Sequence[Line],
    values: Mapping[Position, int],
    suppressed: set[Position],
    rule: DisclosureRule,
) -> Line | None:
    for line in lines:
        if line.total in suppressed or values[line.total] < rule.k:
            continue
        hidden = [p for p in line.parts if p in suppressed]
        has_published_part = len(hidden) < len(line.parts)
        if hidden and has_published_part and sum(values[p] for p in hidden) < rule.k:
            return line
    return None


# --- the row–column graph ------------------------------------------------------

#: A vertex of the graph: a row or column with a published relation, or the
#: one merged vertex standing for every line without one (see `_vertices`).
Vertex = tuple[str, int]
_FREE: Final[Vertex] = ("free", 0)


def _vertices(position: Position) -> tuple[Vertex, Vertex]:
    return (("row", position[0]), ("column", position[1]))


def _endpoints(position: Position, constrained: set[Vertex]) -> tuple[Vertex, Vertex]:
    """The edge of a cell. Lines without a relation (no published total) all
    become one free vertex: an unknown in such a line is bound by nothing
    there, so a path between two free lines is as good as a cycle (the
    alternating ±ε change along it breaks no published sum)."""
    row, column = _vertices(position)
    return (row if row in constrained else _FREE, column if column in constrained else _FREE)


def _graph(
    suppressed: Iterable[Position], constrained: set[Vertex], without: Position | None = None
) -> dict[Vertex, list[Vertex]]:
    graph: dict[Vertex, list[Vertex]] = {}
    for position in suppressed:
        if position == without:
            continue
        a, b = _endpoints(position, constrained)
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, []).append(a)
    return graph


def _reachable(graph: Mapping[Vertex, list[Vertex]], start: Vertex) -> set[Vertex]:
    seen = {start}
    queue = deque([start])
    while queue:
        for neighbour in graph.get(queue.popleft(), []):
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append(neighbour)
    return seen


def _first_bridge(
    shape: TableShape, suppressed: set[Position], constrained: set[Vertex]
) -> Position | None:
    """The first suppressed cell (reading order) that lies on no cycle."""
    for position in shape.positions():
        if position not in suppressed:
            continue
        a, b = _endpoints(position, constrained)
        if a == b:
            continue
        if b not in _reachable(_graph(suppressed, constrained, without=position), a):
            return position
    return None


def _sides(
    shape: TableShape, suppressed: set[Position], constrained: set[Vertex], bridge: Position
) -> tuple[set[Vertex], set[Vertex]]:
    a, b = _endpoints(bridge, constrained)
    graph = _graph(suppressed, constrained, without=bridge)
    return _reachable(graph, a), _reachable(graph, b)


def _joins(
    position: Position, near: set[Vertex], far: set[Vertex], constrained: set[Vertex]
) -> bool:
    a, b = _endpoints(position, constrained)
    return (a in near and b in far) or (a in far and b in near)


# --- the attacker ------------------------------------------------------------------


def recover_by_single_unknowns(table: PublishedTable) -> dict[Position, int]:
    """What a reader gets by solving lines with one unknown, again and again.

    The attack every suppression pattern must withstand first: a row or
    column whose total and all cells but one are known gives that one as
    total minus the rest (or, if the total is the unknown, the sum); each
    value found may leave another line with a single unknown.
    """
    known: dict[Position, int] = {
        p: value for p, value in table.cells.items() if value is not SUPPRESSED
    }
    recovered: dict[Position, int] = {}
    progress = True
    while progress:
        progress = False
        for line in table.shape.lines():
            unknown = [p for p in (*line.parts, line.total) if p not in known]
            if len(unknown) != 1:
                continue
            (target,) = unknown
            parts = sum(known[p] for p in line.parts if p != target)
            value = parts if target == line.total else known[line.total] - parts
            known[target] = recovered[target] = value
            progress = True
    return recovered


def recover_by_elimination(table: PublishedTable) -> dict[Position, Fraction]:
    """Every suppressed value the published sums determine, by Gauss–Jordan elimination.

    The suppressed cells are the unknowns and each published relation (parts
    add up to their total) one equation, solved exactly over the rationals.
    An unknown is determined when its row of the reduced echelon form has no
    other non-zero coefficient. This finds everything
    `recover_by_single_unknowns` finds, and also cells that no single line
    gives away (a cell joining two protected blocks).
    """
    unknowns = table.suppressed
    column_of = {p: index for index, p in enumerate(unknowns)}
    matrix: list[list[Fraction]] = []
    for line in table.shape.lines():
        row = [Fraction(0)] * (len(unknowns) + 1)
        for position, sign in [*((p, 1) for p in line.parts), (line.total, -1)]:
            value = table.cells[position]
            if value is SUPPRESSED:
                row[column_of[position]] += sign
            else:
                row[-1] -= sign * value
        matrix.append(row)
    pivots = _reduce(matrix, len(unknowns))
    recovered: dict[Position, Fraction] = {}
    for row_index, column in pivots:
        row = matrix[row_index]
        if all(row[c] == 0 for c in range(len(unknowns)) if c != column):
            recovered[unknowns[column]] = row[-1]
    return recovered


def attack(table: PublishedTable) -> dict[Position, Fraction]:
    """Every suppressed value a reader can recover from the published table by linear equations."""
    found: dict[Position, Fraction] = {
        p: Fraction(value) for p, value in recover_by_single_unknowns(table).items()
    }
    found.update(recover_by_elimination(table))
    return found


def _reduce(matrix: list[list[Fraction]], width: int) -> list[tuple[int, int]]:
    """Gauss–Jordan elimination in place; returns (row, column) of each pivot."""
    pivots: list[tuple[int, int]] = []
    row = 0
    for column in range(width):
        pivot = next((r for r in range(row, len(matrix)) if matrix[r][column] != 0), None)
        if pivot is None:
            continue
        matrix[row], matrix[pivot] = matrix[pivot], matrix[row]
        lead = matrix[row][column]
        matrix[row] = [value / lead for value in matrix[row]]
        for other in range(len(matrix)):
            factor = matrix[other][column]
            if other != row and factor != 0:
                matrix[other] = [
                    a - factor * b for a, b in zip(matrix[other], matrix[row], strict=True)
                ]
        pivots.append((row, column))
        row += 1
    return pivots


def iter_lines_with_one_unknown(table: PublishedTable) -> Iterator[Line]:
    """The lines of a published table with exactly one suppressed cell (must be none)."""
    for line in table.shape.lines():
        if sum(table.cells[p] is SUPPRESSED for p in (*line.parts, line.total)) == 1:
            yield line
