"""The client follow-up projection: measurements events → mergeable figures.

Read model (schema reporting_clients):

- `tallies` and `moments`: the figures (services/reporting/domain/clients.py),
  keyed by municipality, unit, follow-up year, slice, figure and key; a
  report sums them over the units in its scope;
- `follow_ups` and `intakes`: what later events of a follow-up need (its
  unit and slices; its intake value per scale, for the change at exit);
- `report_inputs` (projections/inputs.py): every event counted, with the
  follow-up year it counts in (that of its `occurred_at`, as the figures).
  An event of a follow-up the projection does not know counts nowhere and
  is not recorded.

Per batch: one read of the follow-ups and intakes the batch touches, the
pure `ClientFigures` over the events, then one upsert statement per table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.domain.clients import (
    ClientFigures,
    FollowUpFacts,
    MomentRows,
    TallyRows,
)
from services.reporting.projections.inputs import (
    ReportInput,
    record_inputs,
    report_inputs_table,
    year_of_occurrence,
)
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.scales import ScaleCatalogue, catalogue
from shared.settings import Settings

metadata = sa.MetaData()

follow_ups = sa.Table(
    "follow_ups",
    metadata,
    sa.Column("follow_up_id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("client_group", sa.Text, nullable=False),
    sa.Column("gender", sa.Text),
    sa.Column("age_band", sa.Text),
)
intakes = sa.Table(
    "intakes",
    metadata,
    sa.Column("follow_up_id", sa.Text, primary_key=True),
    sa.Column("scale_id", sa.Text, primary_key=True),
    sa.Column("scale_version", sa.Integer, nullable=False),
    sa.Column("value", sa.Integer, nullable=False),
)
_KEY = ("tenant", "unit", "year", "dimension", "category", "figure", "key")


def _key_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("tenant", sa.Text, primary_key=True),
        sa.Column("unit", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("dimension", sa.Text, primary_key=True),
        sa.Column("category", sa.Text, primary_key=True),
        sa.Column("figure", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
    ]


tallies = sa.Table(
    "tallies", metadata, *_key_columns(), sa.Column("n", sa.BigInteger, nullable=False)
)
moments = sa.Table(
    "moments",
    metadata,
    *_key_columns(),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("total_of_squares", sa.BigInteger, nullable=False),
)
report_inputs = report_inputs_table(metadata)


class ClientsProjection:
    name: str = "clients"
    topics: tuple[str, ...] = ("measurements.events",)
    metadata: sa.MetaData = metadata

    def __init__(self, scales: ScaleCatalogue | None = None) -> None:
        self._scales = scales

    @property
    def scales(self) -> ScaleCatalogue:
        # Loaded on first use, from the same ARSHJUL_SCALES_DIR the measurements service reads.
        if self._scales is None:
            self._scales = catalogue(Settings().scales_dir)
        return self._scales

    async def apply(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        ids = sorted({e.aggregate_id for e in events})
        known = {
            row.follow_up_id: FollowUpFacts(*row)
            for row in await conn.execute(
                sa.select(
                    follow_ups.c.follow_up_id,
                    follow_ups.c.tenant,
                    follow_ups.c.unit,
                    follow_ups.c.client_group,
                    follow_ups.c.gender,
                    follow_ups.c.age_band,
                ).where(follow_ups.c.follow_up_id.in_(ids))
            )
        }
        stored = {
            (row.follow_up_id, row.scale_id): (row.scale_version, row.value)
            for row in await conn.execute(sa.select(intakes).where(intakes.c.follow_up_id.in_(ids)))
        }
        figures = ClientFigures(self.scales, known, stored)
        inputs: list[ReportInput] = []
        for envelope in events:
            figures.apply(envelope, decode(envelope))
            facts = figures.known.get(envelope.aggregate_id)
            if facts is not None:
                year = year_of_occurrence(envelope.occurred_at)
                inputs.append(ReportInput(envelope, facts.tenant, facts.unit, year))
        await record_inputs(conn, report_inputs, inputs)
        deltas = figures.deltas
        if deltas.new_follow_ups:
            await conn.execute(
                insert(follow_ups).on_conflict_do_nothing(),
                [
                    {
                        "follow_up_id": f.follow_up_id,
                        "tenant": f.tenant,
                        "unit": f.unit,
                        "client_group": f.client_group,
                        "gender": f.gender,
                        "age_band": f.age_band,
                    }
                    for f in deltas.new_follow_ups
                ],
            )
        if deltas.new_intakes:
            await conn.execute(
                insert(intakes).on_conflict_do_nothing(),
                [
                    {"follow_up_id": f, "scale_id": s, "scale_version": version, "value": value}
                    for (f, s), (version, value) in sorted(deltas.new_intakes.items())
                ],
            )
        if deltas.tallies:
            statement = insert(tallies)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=list(_KEY), set_={"n": tallies.c.n + statement.excluded.n}
                ),
                [
                    dict(zip(_KEY, key, strict=True), n=n)
                    for key, n in sorted(deltas.tallies.items())
                ],
            )
        if deltas.moments:
            statement = insert(moments)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=list(_KEY),
                    set_={
                        "n": moments.c.n + statement.excluded.n,
                        "total": moments.c.total + statement.excluded.total,
                        "total_of_squares": moments.c.total_of_squares
                        + statement.excluded.total_of_squares,
                    },
                ),
                [
                    dict(
                        zip(_KEY, key, strict=True),
                        n=m.n,
                        total=m.total,
                        total_of_squares=m.total_of_squares,
                    )
                    for key, m in sorted(deltas.moments.items())
                ],
            )


async def merged_rows(
    conn: AsyncConnection, tenant: str, unit: str | None, year: int
) -> tuple[TallyRows, MomentRows]:
    """The figures of one municipality (or one of its units) and year, summed over units."""
    scope = [tallies.c.tenant == tenant, tallies.c.year == year]
    if unit is not None:
        scope.append(tallies.c.unit == unit)
    slice_ = (tallies.c.dimension, tallies.c.category, tallies.c.figure, tallies.c.key)
    counted = await conn.execute(
        sa.select(*slice_, sa.func.sum(tallies.c.n)).where(*scope).group_by(*slice_)
    )
    moment_scope = [moments.c.tenant == tenant, moments.c.year == year]
    if unit is not None:
        moment_scope.append(moments.c.unit == unit)
    moment_slice = (moments.c.dimension, moments.c.category, moments.c.figure, moments.c.key)
    summed = await conn.execute(
        sa.select(
            *moment_slice,
            sa.func.sum(moments.c.n),
            sa.func.sum(moments.c.total),
            sa.func.sum(moments.c.total_of_squares),
        )
        .where(*moment_scope)
        .group_by(*moment_slice)
    )
    return (
        {(d, c, f, k): int(n) for d, c, f, k, n in counted},
        {(d, c, f, k): (int(n), int(s), int(q)) for d, c, f, k, n, s, q in summed},
    )


projection = ClientsProjection()
