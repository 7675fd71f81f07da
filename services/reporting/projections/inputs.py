"""Which events a compiled report covers: the `report_inputs` table of each projection.

Every event a projection applies to its read model is recorded, in the same
transaction as the change, with its position in its producer's event store
(producer, stream, version: what `compiled.InputRef` holds, never a Kafka
offset), the municipality and unit it belongs to ('' when it belongs to no
one unit) and the follow-up year its figures count in (for an event with no
figure of its own, the year of its `occurred_at` in Europe/Stockholm). A
compiled report's inputs are the rows of its municipality (unit) and year in
both projections (`services.reporting.adapters.figures.read_inputs`).

The table is declared in each projection's own metadata, so a rebuild's
shadow schema gets it, and the swap replaces it, with the read model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import STOCKHOLM
from shared.events.envelope import EventEnvelope
from shared.events.scheduler import follow_up_year

TABLE = "report_inputs"


def report_inputs_table(metadata: sa.MetaData) -> sa.Table:
    """The `report_inputs` table, declared in a projection's metadata."""
    table = sa.Table(
        TABLE,
        metadata,
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("producer", sa.Text, nullable=False),
        sa.Column("stream", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
    )
    sa.Index(f"{TABLE}_scope", table.c.tenant, table.c.year, table.c.unit)
    return table


def year_of_occurrence(moment: datetime) -> int:
    """The follow-up year of an instant, by its date in Europe/Stockholm."""
    return follow_up_year(moment.astimezone(STOCKHOLM).date())


@dataclass(frozen=True)
class ReportInput:
    """One applied event: where it is stored, whose it is and the year it counts in."""

    envelope: EventEnvelope
    tenant: str
    unit: str
    year: int

    def row(self) -> dict[str, object]:
        return {
            "event_id": self.envelope.event_id,
            "producer": self.envelope.producer,
            "stream": self.envelope.aggregate_id,
            "version": self.envelope.aggregate_version,
            "tenant": self.tenant,
            "unit": self.unit,
            "year": self.year,
        }


async def record_inputs(
    conn: AsyncConnection, table: sa.Table, inputs: Iterable[ReportInput]
) -> None:
    """Insert the rows; an event recorded before (a redelivery) is left as it was."""
    rows = {i.envelope.event_id: i.row() for i in inputs}
    if rows:
        await conn.execute(
            insert(table).on_conflict_do_nothing(index_elements=[table.c.event_id]),
            [rows[event_id] for event_id in sorted(rows)],
        )
