"""A compiled report's figures and inputs, read from the two read models.

`read_aggregate` gathers everything a report of one municipality (or one of
its units) and follow-up year needs into one `MergeableAggregate`, with the
keys of `services.reporting.domain.sections`; a region's and the nation's are
merges of these (`domain.merge`). `read_inputs` gives the events those
figures count, for the report's inputs checksum; `read_figures` gives both
from one snapshot of each read model, so they always belong together. Each
projection is read inside one repeatable-read transaction, so a batch
committed while reading is seen whole or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from fractions import Fraction
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters.read_models import reading
from services.reporting.domain.compiled import InputRef
from services.reporting.domain.knowledge import OCCURRENCE_STATES
from services.reporting.domain.merge import MergeableAggregate, Moments
from services.reporting.domain.sections import (
    COVERED,
    MEMBERS,
    PART_FIGURES,
    SESSIONS,
    WORK_GROUPS,
    client_key,
    occurrence_key,
    part_key,
)
from services.reporting.projections.base import Projection
from services.reporting.projections.clients import merged_rows, tallies
from services.reporting.projections.clients import moments as client_moments
from services.reporting.projections.clients import projection as clients_projection
from services.reporting.projections.clients import report_inputs as client_inputs
from services.reporting.projections.knowledge import (
    occurrence_figures,
    part_figures,
    session_figures,
)
from services.reporting.projections.knowledge import projection as knowledge_projection
from services.reporting.projections.knowledge import report_inputs as knowledge_inputs
from shared.municipalities import municipalities_in

#: The knowledge read model's tables of figures per period.
KNOWLEDGE_FIGURES: Final = (session_figures, occurrence_figures, part_figures)


@asynccontextmanager
async def _snapshot(engine: AsyncEngine, projection: Projection) -> AsyncIterator[AsyncConnection]:
    """A projection's live read model as of one instant (a repeatable-read transaction)."""
    async with reading(engine, projection) as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            yield conn


def _scoped(table: sa.Table, tenant: str, unit: str | None, *where: Any) -> list[Any]:
    clauses = [table.c.tenant == tenant, *where]
    if unit is not None:
        clauses.append(table.c.unit == unit)
    return clauses


async def read_figures(
    engine: AsyncEngine, tenant: str, unit: str | None, year: int
) -> tuple[MergeableAggregate, frozenset[InputRef]]:
    """`read_aggregate` and `read_inputs` together, each projection's from one snapshot.

    A projection writes its figures and its inputs in one transaction, so
    what this returns always belongs together: a batch committed while
    compiling is in both or in neither.
    """
    counts: dict[str, int] = {}
    moments: dict[str, Moments] = {}
    refs: set[InputRef] = set()
    async with _snapshot(engine, knowledge_projection) as conn:
        counts.update(await _knowledge_counts(conn, tenant, unit, year))
        refs |= await _inputs(conn, knowledge_inputs, tenant, unit, year)
    async with _snapshot(engine, clients_projection) as conn:
        tallies, sums = await merged_rows(conn, tenant, unit, year)
        refs |= await _inputs(conn, client_inputs, tenant, unit, year)
    for (dimension, category, figure, key), n in tallies.items():
        counts[client_key(dimension, category, figure, key)] = n
    for (dimension, category, figure, key), (n, total, squares) in sums.items():
        moments[client_key(dimension, category, figure, key)] = Moments(
            n=n, total=Fraction(total), sum_of_squares=Fraction(squares)
        )
    return MergeableAggregate(counts=counts, moments=moments), frozenset(refs)


async def read_aggregate(
    engine: AsyncEngine, tenant: str, unit: str | None, year: int
) -> MergeableAggregate:
    """One municipality's (or one of its units') figures for follow-up year `year`."""
    aggregate, _ = await read_figures(engine, tenant, unit, year)
    return aggregate


async def read_inputs(
    engine: AsyncEngine, tenant: str, unit: str | None, year: int
) -> frozenset[InputRef]:
    """The events whose figures count in one municipality's (unit's) follow-up year."""
    refs: set[InputRef] = set()
    for projection, table in (
        (knowledge_projection, knowledge_inputs),
        (clients_projection, client_inputs),
    ):
        async with _snapshot(engine, projection) as conn:
            refs |= await _inputs(conn, table, tenant, unit, year)
    return frozenset(refs)


async def _inputs(
    conn: AsyncConnection, table: sa.Table, tenant: str, unit: str | None, year: int
) -> set[InputRef]:
    query = sa.select(table.c.event_id, table.c.producer, table.c.stream, table.c.version).where(
        *_scoped(table, tenant, unit, table.c.year == year)
    )
    return {
        InputRef(event_id=e, producer=p, stream=s, version=v)
        for e, p, s, v in await conn.execute(query)
    }


async def _knowledge_counts(
    conn: AsyncConnection, tenant: str, unit: str | None, year: int
) -> dict[str, int]:
    counts: dict[str, int] = {}
    period = str(year)
    groups: set[str] = set()
    sessions = 0
    table = session_figures
    query = sa.select(table.c.work_group, table.c.sessions).where(
        *_scoped(table, tenant, unit, table.c.period == period)
    )
    for work_group, n in await conn.execute(query):
        groups.add(work_group)
        sessions += int(n)
    occurrences = occurrence_figures
    states = dict.fromkeys(OCCURRENCE_STATES, 0)
    found = False
    query = sa.select(
        occurrences.c.work_group, *(occurrences.c[s] for s in OCCURRENCE_STATES)
    ).where(*_scoped(occurrences, tenant, unit, occurrences.c.period == period))
    for row in await conn.execute(query):
        found = True
        groups.add(row.work_group)
        for state in OCCURRENCE_STATES:
            states[state] += int(row._mapping[state])
    if groups:
        counts[WORK_GROUPS] = len(groups)
    if sessions:
        counts[SESSIONS] = sessions
    if found:
        counts.update({occurrence_key(s): n for s, n in states.items()})
    parts = part_figures
    query = (
        sa.select(
            parts.c.part,
            sa.func.count(parts.c.coverage_denominator),
            sa.func.coalesce(sa.func.sum(parts.c.coverage_numerator), 0),
            sa.func.coalesce(sa.func.sum(parts.c.coverage_denominator), 0),
            *(sa.func.sum(parts.c[f]) for f in PART_FIGURES),
        )
        .where(*_scoped(parts, tenant, unit, parts.c.period == period))
        .group_by(parts.c.part)
    )
    for row in await conn.execute(query):
        part, relevant, covered, members, *sums = tuple(row)
        if relevant:
            counts[part_key(part, COVERED)] = int(covered)
            counts[part_key(part, MEMBERS)] = int(members)
        for figure, n in zip(PART_FIGURES, sums, strict=True):
            counts[part_key(part, figure)] = int(n)
    return counts


async def _distinct(
    engine: AsyncEngine, column: str, tenants: Sequence[str], year: int
) -> set[str]:
    """The distinct values of `column` in the figures of `tenants` for follow-up year `year`."""
    figure_tables = (
        (knowledge_projection, ((t, t.c.period == str(year)) for t in KNOWLEDGE_FIGURES)),
        (clients_projection, ((t, t.c.year == year) for t in (tallies, client_moments))),
    )
    found: set[str] = set()
    for projection, tables in figure_tables:
        async with _snapshot(engine, projection) as conn:
            for table, in_year in tables:
                query = (
                    sa.select(table.c[column])
                    .where(in_year, table.c.tenant.in_(tenants))
                    .distinct()
                )
                found.update(str(v) for v in (await conn.execute(query)).scalars())
    return found


async def read_units(engine: AsyncEngine, tenant: str, year: int) -> tuple[str, ...]:
    """The units of a municipality with any figure in follow-up year `year`, sorted."""
    units = await _distinct(engine, "unit", [tenant], year)
    # A work group's figures before its forming is known have no unit: they
    # count in the municipality, but are no unit's.
    return tuple(sorted(units - {""}))


async def read_municipalities(engine: AsyncEngine, region: str, year: int) -> tuple[str, ...]:
    """The municipalities of län `region` with any figure in follow-up year `year`, sorted."""
    members = sorted(municipalities_in(region))
    return tuple(sorted(await _distinct(engine, "tenant", members, year)))
