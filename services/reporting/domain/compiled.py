"""The compiled report: an immutable record of one scope's figures for one follow-up year.

A compiled report is what the LOKE wheel's compile steps produce (DOMAIN.md
section 3): for a scope (a unit, a municipality, a region or the nation) and
a follow-up year, the knowledge section (sessions), the client section
(measurements) and the unit managers' comments and development areas. It is
never changed: late events give a new `version`.

Two checksums make it verifiable and reproducible:

- `inputs_checksum`: SHA-256 over the sorted list of the events it covers
  (`InputRef`: event id and its position in its producer's event store);
- `figures_checksum`: SHA-256 over the canonical JSON of what it says
  (scope, year, sections, comments).

Compiling the same events again, or after a rebuild of the read models, must
give the same bytes and so the same checksums: nothing here reads a clock,
and every number is exact (counts as integers, means and shares as
fractions, serialised "n/d"; see `canonical_json`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import to_jsonable_python

from services.reporting.domain.disclosure import (
    SUPPRESSED,
    TOTAL,
    CountTable,
    DisclosureRule,
    Position,
    ViewerRelation,
    has_too_few_observations,
    suppress_count_table,
)
from services.reporting.domain.merge import Moments
from shared.auth import NATION, REGION_PREFIX
from shared.events.envelope import EventEnvelope
from shared.municipalities import (
    MUNICIPALITIES,
    REGIONS,
    region_of,
    validate_municipality_code,
    validate_region_code,
)

Lang = Literal["sv", "en"]

_FROZEN: Final = ConfigDict(frozen=True, extra="forbid")


class Text(BaseModel):
    """A label a person reads, in Swedish and English."""

    model_config = _FROZEN

    sv: str
    en: str

    def in_(self, lang: Lang) -> str:
        return self.sv if lang == "sv" else self.en


# --- scope and year ------------------------------------------------------------


class ScopeLevel(StrEnum):
    UNIT = "unit"
    MUNICIPALITY = "municipality"
    REGION = "region"
    NATION = "nation"


class Scope(BaseModel):
    """Whose figures: `unit:<id>` (of a municipality), `municipality:<code>`,
    `region:<län code>` or `nation`."""

    model_config = _FROZEN

    level: ScopeLevel
    code: str = ""
    #: The municipality a unit belongs to (a unit id is only unique inside it).
    municipality: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> Self:
        match self.level:
            case ScopeLevel.UNIT:
                if not self.code:
                    raise ValueError("a unit scope needs the unit's id")
                if self.municipality is None:
                    raise ValueError("a unit scope needs its municipality")
                validate_municipality_code(self.municipality, "scope.municipality")
            case ScopeLevel.MUNICIPALITY:
                validate_municipality_code(self.code, "scope")
                if self.municipality not in (None, self.code):
                    raise ValueError("a municipality scope is its own municipality")
            case ScopeLevel.REGION:
                validate_region_code(self.code, "scope")
                if self.municipality is not None:
                    raise ValueError("a region scope has no municipality")
            case ScopeLevel.NATION:
                if self.code or self.municipality is not None:
                    raise ValueError("the nation scope has no code")
        return self

    @classmethod
    def parse(cls, text: str, *, municipality: str | None = None) -> Scope:
        """`unit:ifo-vuxen` (with `municipality`), `municipality:1480`, `region:14`, `nation`."""
        level, _, code = text.partition(":")
        try:
            kind = ScopeLevel(level)
        except ValueError:
            raise ValueError(
                f"a scope is unit:<id>, municipality:<code>, region:<län> or nation; got {text!r}"
            ) from None
        if kind is ScopeLevel.UNIT:
            return cls(level=kind, code=code, municipality=municipality)
        return cls(level=kind, code=code)

    def __str__(self) -> str:
        return self.level.value if self.level is ScopeLevel.NATION else f"{self.level}:{self.code}"

    @property
    def owner_tenant(self) -> str:
        """The tenant that owns these figures: "1480", "region:14" or "nation"."""
        match self.level:
            case ScopeLevel.UNIT | ScopeLevel.MUNICIPALITY:
                return self.municipality or self.code
            case ScopeLevel.REGION:
                return f"{REGION_PREFIX}{self.code}"
            case ScopeLevel.NATION:
                return NATION

    @property
    def region(self) -> str | None:
        """The län the scope lies in, None for the nation."""
        match self.level:
            case ScopeLevel.UNIT | ScopeLevel.MUNICIPALITY:
                return region_of(self.municipality or self.code)
            case ScopeLevel.REGION:
                return self.code
            case ScopeLevel.NATION:
                return None

    def name(self, lang: Lang) -> str:
        """ "Göteborg (1480)", "Västra Götalands län (14)", "Riket" / "Sweden"."""
        match self.level:
            case ScopeLevel.UNIT:
                municipality = self.municipality or ""
                word = "Enhet" if lang == "sv" else "Unit"
                return f"{word} {self.code}, {MUNICIPALITIES[municipality]} ({municipality})"
            case ScopeLevel.MUNICIPALITY:
                return f"{MUNICIPALITIES[self.code]} ({self.code})"
            case ScopeLevel.REGION:
                return f"{REGIONS[self.code]} ({self.code})"
            case ScopeLevel.NATION:
                return "Riket" if lang == "sv" else "Sweden"


def viewer_relation(viewer_tenant: str, scope: Scope) -> ViewerRelation:
    """OWNER if the viewer's tenant owns the scope's figures, else OUTSIDE.

    A municipality owns its units' figures ("a unit's by anyone outside its
    municipality" are suppressed); a region owns its own, not its
    municipalities'; the nation its own, not the regions'.
    """
    return ViewerRelation.OWNER if viewer_tenant == scope.owner_tenant else ViewerRelation.OUTSIDE


class FollowUpYear(BaseModel):
    """A follow-up year: from the 1st of `first_month` in `start_year`, twelve months.

    The LOKE wheel's year is 1 May – 30 April (seed 003), the default; a
    municipality may start it in another month (DOMAIN.md: "The year's first
    month is a setting per municipality"), January giving the calendar year
    that national statistics and Kolada use.
    """

    model_config = _FROZEN

    start_year: int = Field(ge=1900, le=9998)
    first_month: int = Field(default=5, ge=1, le=12)

    @classmethod
    def of(cls, day: date, first_month: int = 5) -> FollowUpYear:
        """The follow-up year `day` falls in."""
        year = day.year if day.month >= first_month else day.year - 1
        return cls(start_year=year, first_month=first_month)

    @property
    def starts_on(self) -> date:
        return date(self.start_year, self.first_month, 1)

    @property
    def ends_on(self) -> date:
        """The year's last day (30 April for a May year)."""
        return date(self.start_year + 1, self.first_month, 1) - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def previous(self) -> FollowUpYear:
        return FollowUpYear(start_year=self.start_year - 1, first_month=self.first_month)

    @property
    def label(self) -> str:
        """ "2025/26" for a year across New Year, "2025" for a calendar year."""
        if self.first_month == 1:
            return str(self.start_year)
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"


# --- figures -------------------------------------------------------------------


class FigureKind(StrEnum):
    COUNT = "count"
    MEAN = "mean"
    SD = "sd"
    SHARE = "share"


class Figure(BaseModel):
    """A published figure: exact `value` from `n` observations.

    A count's value is its n. A mean, standard deviation or share of no
    observations (an SD of fewer than two) has no value, shown "." (not
    applicable), which is not a suppression.
    """

    model_config = _FROZEN

    status: Literal["value"] = "value"
    kind: FigureKind
    value: Fraction | None
    n: int = Field(ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind is FigureKind.COUNT and self.value != self.n:
            raise ValueError("a count's value is its n")
        if self.kind is FigureKind.SHARE and self.value is not None and not 0 <= self.value <= 1:
            raise ValueError("a share lies between 0 and 1")
        if self.kind is FigureKind.SD and self.value is not None and self.value < 0:
            raise ValueError("a standard deviation cannot be negative")
        if self.n == 0 and self.value is not None and self.kind is not FigureKind.COUNT:
            raise ValueError("a statistic of no observations has no value")
        return self


class SuppressedFigure(BaseModel):
    """A figure withheld by disclosure control, shown "..".

    It says what kind of figure it hides and nothing else: neither its value,
    nor its n, nor whether it was small itself or hidden to protect another.
    """

    model_config = _FROZEN

    status: Literal["suppressed"] = "suppressed"
    kind: FigureKind
    symbol: Literal[".."] = SUPPRESSED.value


Cell = Annotated[Figure | SuppressedFigure, Field(discriminator="status")]


def count(n: int) -> Figure:
    return Figure(kind=FigureKind.COUNT, value=Fraction(n), n=n)


def mean(moments: Moments) -> Figure:
    """The mean x̄ = Σx / n of a measure's observations."""
    return Figure(kind=FigureKind.MEAN, value=moments.mean(), n=moments.n)


def standard_deviation(moments: Moments) -> Figure:
    """The sample standard deviation (see `Moments.variance`)."""
    return Figure(kind=FigureKind.SD, value=moments.standard_deviation(), n=moments.n)


def share(numerator: int, denominator: int) -> Figure:
    """numerator / denominator, of `denominator` observations."""
    if not 0 <= numerator <= denominator:
        raise ValueError(f"a share needs 0 ≤ {numerator} ≤ {denominator}")
    value = Fraction(numerator, denominator) if denominator else None
    return Figure(kind=FigureKind.SHARE, value=value, n=denominator)


# --- tables --------------------------------------------------------------------


class Heading(BaseModel):
    """A row or column: a stable key (for comparisons and CSV) and its label."""

    model_config = _FROZEN

    key: str = Field(min_length=1)
    label: Text


class TableKind(StrEnum):
    #: Counts that add up: body, row totals, column totals (disclosure:
    #: primary and complementary suppression).
    COUNTS = "counts"
    #: Figures side by side (n, means, SDs, shares): no sums to derive from
    #: (disclosure: each figure by its own n).
    STATISTICS = "statistics"


class ChartKind(StrEnum):
    #: One bar per row: the figures of one column (coverage per part).
    BARS = "bars"
    #: One bar per row, split by column, as shares of the row (RCI classes,
    #: goal attainment).
    STACKED_BARS = "stacked_bars"


class Chart(BaseModel):
    model_config = _FROZEN

    kind: ChartKind
    #: For BARS, the key of the column plotted.
    column: str | None = None


class Table(BaseModel):
    """One table of a report, optionally with the previous year's for comparison.

    A COUNTS table carries its totals (computed by `count_table`, checked here),
    so a reader and the disclosure control see the same sums. `previous` is the
    same table for the previous follow-up year; rows and columns are matched by
    key, so either year may have rows the other lacks.
    """

    model_config = _FROZEN

    table_id: str = Field(min_length=1)
    title: Text
    kind: TableKind
    rows: tuple[Heading, ...]
    columns: tuple[Heading, ...] = Field(min_length=1)
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...] | None = None
    column_totals: tuple[Cell, ...] | None = None
    grand_total: Cell | None = None
    note: Text | None = None
    chart: Chart | None = None
    #: The rows are other owners' figures (a region's table by municipality):
    #: suppressed even for the scope's own viewers.
    owned_by_members: bool = False
    previous: Table | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> Self:
        if len(self.cells) != len(self.rows) or any(
            len(row) != len(self.columns) for row in self.cells
        ):
            raise ValueError(f"{self.table_id}: cells must be rows × columns")
        for headings, what in ((self.rows, "row"), (self.columns, "column")):
            keys = [h.key for h in headings]
            if len(set(keys)) != len(keys):
                raise ValueError(f"{self.table_id}: {what} keys must be unique")
        if self.row_totals is not None and len(self.row_totals) != len(self.rows):
            raise ValueError(f"{self.table_id}: one row total per row")
        if self.column_totals is not None and len(self.column_totals) != len(self.columns):
            raise ValueError(f"{self.table_id}: one column total per column")
        both = self.row_totals is not None and self.column_totals is not None
        if (self.grand_total is not None) != both:
            raise ValueError(f"{self.table_id}: a grand total exactly when both margins are there")
        if self.kind is TableKind.COUNTS:
            self._check_counts()
        elif self.row_totals is not None or self.column_totals is not None:
            raise ValueError(f"{self.table_id}: a statistics table has no totals")
        chart = self.chart
        if (
            chart is not None
            and chart.kind is ChartKind.BARS
            and chart.column not in {c.key for c in self.columns}
        ):
            raise ValueError(f"{self.table_id}: a bar chart names one of the columns")
        if self.previous is not None:
            if self.previous.previous is not None:
                raise ValueError(f"{self.table_id}: the previous year has no comparison of its own")
            if (self.previous.table_id, self.previous.kind) != (self.table_id, self.kind):
                raise ValueError(f"{self.table_id}: the previous year must be the same table")
        return self

    def _check_counts(self) -> None:
        if not self.rows:
            raise ValueError(f"{self.table_id}: a count table needs a row")
        cells = dict(self.positions())
        if any(cell.kind is not FigureKind.COUNT for cell in cells.values()):
            raise ValueError(f"{self.table_id}: a count table holds counts only")
        if any(isinstance(cell, SuppressedFigure) for cell in cells.values()):
            return
        values = {p: cell.n for p, cell in cells.items() if isinstance(cell, Figure)}
        expected = CountTable.of(
            [[values[(i, j)] for j in range(len(self.columns))] for i in range(len(self.rows))],
            row_totals=self.row_totals is not None,
            column_totals=self.column_totals is not None,
        ).values()
        if values != expected:
            raise ValueError(f"{self.table_id}: totals must be the sums of the body")

    def positions(self) -> list[tuple[Position, Cell]]:
        """Every cell with its position (see disclosure.TOTAL), in reading order."""
        found: list[tuple[Position, Cell]] = [
            ((i, j), cell) for i, row in enumerate(self.cells) for j, cell in enumerate(row)
        ]
        if self.row_totals is not None:
            found += [((i, TOTAL), cell) for i, cell in enumerate(self.row_totals)]
        if self.column_totals is not None:
            found += [((TOTAL, j), cell) for j, cell in enumerate(self.column_totals)]
        if self.grand_total is not None:
            found.append(((TOTAL, TOTAL), self.grand_total))
        return found

    def cell(self, row: str, column: str) -> Cell | None:
        """The cell at the row and column keys ("" for a total), None if there is none."""
        cells = dict(self.positions())
        i = TOTAL if row == "" else next((n for n, h in enumerate(self.rows) if h.key == row), None)
        j = (
            TOTAL
            if column == ""
            else next((n for n, h in enumerate(self.columns) if h.key == column), None)
        )
        if i is None or j is None:
            return None
        return cells.get((i, j))


def count_table(
    table_id: str,
    title: Text,
    rows: Sequence[Heading],
    columns: Sequence[Heading],
    body: Sequence[Sequence[int]],
    *,
    row_totals: bool = True,
    column_totals: bool = True,
    note: Text | None = None,
    chart: Chart | None = None,
    owned_by_members: bool = False,
    previous: Table | None = None,
) -> Table:
    """A COUNTS table from its body; the totals are computed here."""
    table = CountTable.of(body, row_totals=row_totals, column_totals=column_totals)
    values = table.values()
    return Table(
        table_id=table_id,
        title=title,
        kind=TableKind.COUNTS,
        rows=tuple(rows),
        columns=tuple(columns),
        cells=tuple(
            tuple(count(values[(i, j)]) for j in range(len(columns))) for i in range(len(rows))
        ),
        row_totals=tuple(count(values[(i, TOTAL)]) for i in range(len(rows)))
        if row_totals
        else None,
        column_totals=tuple(count(values[(TOTAL, j)]) for j in range(len(columns)))
        if column_totals
        else None,
        grand_total=count(values[(TOTAL, TOTAL)]) if row_totals and column_totals else None,
        note=note,
        chart=chart,
        owned_by_members=owned_by_members,
        previous=previous,
    )


def statistics_table(
    table_id: str,
    title: Text,
    rows: Sequence[Heading],
    columns: Sequence[Heading],
    cells: Sequence[Sequence[Figure]],
    *,
    note: Text | None = None,
    chart: Chart | None = None,
    owned_by_members: bool = False,
    previous: Table | None = None,
) -> Table:
    """A STATISTICS table: figures side by side, each with its own n."""
    return Table(
        table_id=table_id,
        title=title,
        kind=TableKind.STATISTICS,
        rows=tuple(rows),
        columns=tuple(columns),
        cells=tuple(tuple(row) for row in cells),
        note=note,
        chart=chart,
        owned_by_members=owned_by_members,
        previous=previous,
    )


class SectionKey(StrEnum):
    KNOWLEDGE = "knowledge"
    CLIENTS = "clients"


class Section(BaseModel):
    model_config = _FROZEN

    key: SectionKey
    title: Text
    tables: tuple[Table, ...] = ()
    note: Text | None = None


class ManagerComment(BaseModel):
    """A unit manager's comment on the figures, with the development areas it names.

    Recorded by the wheel's "comment" step (Nov–Dec, to the IFO chief); the
    next compiled version includes it.
    """

    model_config = _FROZEN

    unit: str
    recorded_on: date
    comment: str
    development_areas: tuple[str, ...] = ()


# --- inputs and checksums -------------------------------------------------------


class InputRef(BaseModel):
    """One event a report covers: its id and its position in its producer's event store.

    The position is (producer, stream, version), the stream's aggregate id and
    version as the envelope carries them, not a Kafka offset: a replay
    republishes the same events at other offsets, and a rebuilt report must
    have the same inputs checksum.
    """

    model_config = _FROZEN

    event_id: uuid.UUID
    producer: str = Field(min_length=1)
    stream: str = Field(min_length=1)
    version: int = Field(ge=1)

    @classmethod
    def of(cls, event: EventEnvelope) -> InputRef:
        """The reference to one event."""
        return cls(
            event_id=event.event_id,
            producer=event.producer,
            stream=event.aggregate_id,
            version=event.aggregate_version,
        )

    def sort_key(self) -> tuple[str, str, int, str]:
        return (self.producer, self.stream, self.version, str(self.event_id))


def inputs_checksum(inputs: Iterable[InputRef]) -> tuple[str, int]:
    """SHA-256 (hex) over the canonical JSON of the sorted, de-duplicated inputs, and their number.

    Order and redelivery do not matter: the refs are sorted by position and
    an event delivered twice counts once. One event id at two positions, or
    two events at one position, is a corrupt input and raises ValueError.
    """
    unique = sorted(set(inputs), key=InputRef.sort_key)
    for kind, key in (("event id", _event_id), ("position", _position)):
        seen: dict[object, InputRef] = {}
        for ref in unique:
            other = seen.setdefault(key(ref), ref)
            if other != ref:
                raise ValueError(f"two inputs share one {kind}: {other} and {ref}")
    encoded = canonical_json([[r.producer, r.stream, r.version, str(r.event_id)] for r in unique])
    return hashlib.sha256(encoded).hexdigest(), len(unique)


def _event_id(ref: InputRef) -> object:
    return ref.event_id


def _position(ref: InputRef) -> object:
    return (ref.producer, ref.stream, ref.version)


def canonical_json(value: Any) -> bytes:
    """The one byte encoding hashed: UTF-8 JSON, sorted keys, no spaces, no floats.

    Pydantic models, wherever they are, are dumped in JSON mode first
    (Fractions become "n/d", dates ISO strings, UUIDs their text). A float anywhere is refused: its
    text is not stable across formatting rules, so exact values must be
    Fractions or integers.
    """
    value = to_jsonable_python(value)
    _refuse_floats(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError(f"canonical JSON holds no floats (got {value!r}): use a Fraction")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def figures_checksum(
    scope: Scope,
    year: FollowUpYear,
    sections: Sequence[Section],
    comments: Sequence[ManagerComment],
) -> str:
    """SHA-256 (hex) over the canonical JSON of what the report says."""
    payload = {
        "scope": scope.model_dump(mode="json"),
        "year": year.model_dump(mode="json"),
        "sections": [s.model_dump(mode="json") for s in sections],
        "comments": [c.model_dump(mode="json") for c in comments],
    }
    return hashlib.sha256(canonical_json(payload)).hexdigest()


# --- the report ----------------------------------------------------------------


class DisclosureNote(BaseModel):
    """How the figures of a report view were suppressed (absent: the owner's full view)."""

    model_config = _FROZEN

    relation: ViewerRelation
    k: int = Field(ge=1)
    suppress_zeros: bool = False


class CompiledReport(BaseModel):
    """One compiled report, or a view of one with disclosure control applied.

    The stored report is the owner's view (`disclosure` None) and its
    `figures_checksum` is checked against its content whenever it is built
    or loaded. A view made by `disclose` keeps the checksums of the report it
    shows, so a reader can tell which compiled version it is.
    """

    model_config = _FROZEN

    scope: Scope
    year: FollowUpYear
    version: int = Field(ge=1)
    sections: tuple[Section, ...]
    comments: tuple[ManagerComment, ...] = ()
    input_count: int = Field(ge=0)
    inputs_checksum: str = Field(pattern=r"^[0-9a-f]{64}$")
    figures_checksum: str = Field(pattern=r"^[0-9a-f]{64}$")
    disclosure: DisclosureNote | None = None

    @model_validator(mode="after")
    def _checksum_matches(self) -> Self:
        keys = [s.key for s in self.sections]
        if len(set(keys)) != len(keys):
            raise ValueError("each section appears once")
        if self.disclosure is None:
            actual = figures_checksum(self.scope, self.year, self.sections, self.comments)
            if actual != self.figures_checksum:
                raise ValueError("figures_checksum does not match the figures")
        return self

    def section(self, key: SectionKey) -> Section | None:
        return next((s for s in self.sections if s.key is key), None)

    def table(self, table_id: str) -> Table | None:
        return next((t for s in self.sections for t in s.tables if t.table_id == table_id), None)


def compile_report(
    scope: Scope,
    year: FollowUpYear,
    version: int,
    sections: Sequence[Section],
    comments: Sequence[ManagerComment],
    inputs: Iterable[InputRef],
) -> CompiledReport:
    """A compiled report with both checksums computed."""
    inputs_hash, input_count = inputs_checksum(inputs)
    return CompiledReport(
        scope=scope,
        year=year,
        version=version,
        sections=tuple(sections),
        comments=tuple(comments),
        input_count=input_count,
        inputs_checksum=inputs_hash,
        figures_checksum=figures_checksum(scope, year, sections, comments),
    )


# --- disclosure ----------------------------------------------------------------


def disclose_table(table: Table, relation: ViewerRelation, rule: DisclosureRule) -> Table:
    """The table as a viewer in `relation` to its owner may see it.

    The owner sees it unchanged, unless its rows belong to other owners
    (`owned_by_members`). Otherwise a COUNTS table gets primary and
    complementary suppression (`disclosure.suppress_count_table`), and in a
    STATISTICS table a count of 1 … k − 1 and a mean, SD or share of
    1 … k − 1 observations are suppressed (`has_too_few_observations`). The
    previous year's table is disclosed the same way, on its own.
    """
    if relation is ViewerRelation.OWNER and not table.owned_by_members:
        return table
    cells = dict(table.positions())
    if any(isinstance(cell, SuppressedFigure) for cell in cells.values()):
        raise ValueError(f"{table.table_id}: already disclosed")
    figures = {p: cell for p, cell in cells.items() if isinstance(cell, Figure)}
    hidden: set[Position]
    if table.kind is TableKind.COUNTS:
        body = [
            [figures[(i, j)].n for j in range(len(table.columns))] for i in range(len(table.rows))
        ]
        published = suppress_count_table(
            CountTable.of(
                body,
                row_totals=table.row_totals is not None,
                column_totals=table.column_totals is not None,
            ),
            ViewerRelation.OUTSIDE,
            rule,
        )
        hidden = set(published.suppressed)
    else:
        hidden = {
            p
            for p, figure in figures.items()
            if (
                rule.is_sensitive_count(figure.n)
                if figure.kind is FigureKind.COUNT
                else has_too_few_observations(figure.n, rule)
            )
        }

    def shown(position: Position) -> Cell:
        figure = figures[position]
        return SuppressedFigure(kind=figure.kind) if position in hidden else figure

    def line(positions: Iterable[Position]) -> tuple[Cell, ...]:
        return tuple(shown(p) for p in positions)

    previous = table.previous
    return table.model_copy(
        update={
            "cells": tuple(
                line((i, j) for j in range(len(table.columns))) for i in range(len(table.rows))
            ),
            "row_totals": None
            if table.row_totals is None
            else line((i, TOTAL) for i in range(len(table.rows))),
            "column_totals": None
            if table.column_totals is None
            else line((TOTAL, j) for j in range(len(table.columns))),
            "grand_total": None if table.grand_total is None else shown((TOTAL, TOTAL)),
            "previous": None if previous is None else disclose_table(previous, relation, rule),
        }
    )


def disclose(
    report: CompiledReport, relation: ViewerRelation, rule: DisclosureRule
) -> CompiledReport:
    """The report as a viewer in `relation` to its scope's owner may see it.

    The owner sees every figure, except in tables whose rows are other
    owners' (`Table.owned_by_members`). Outside the owner, every table is
    suppressed (`disclose_table`) and the unit managers' comments, free text
    written for their own organisation, are left out.
    """
    if report.disclosure is not None:
        raise ValueError("the report is already a disclosed view")
    sections = tuple(
        section.model_copy(
            update={"tables": tuple(disclose_table(t, relation, rule) for t in section.tables)}
        )
        for section in report.sections
    )
    if relation is ViewerRelation.OWNER and sections == report.sections:
        return report
    return CompiledReport(
        scope=report.scope,
        year=report.year,
        version=report.version,
        sections=sections,
        comments=report.comments if relation is ViewerRelation.OWNER else (),
        input_count=report.input_count,
        inputs_checksum=report.inputs_checksum,
        figures_checksum=report.figures_checksum,
        disclosure=DisclosureNote(relation=relation, k=rule.k, suppress_zeros=rule.suppress_zeros),
    )
