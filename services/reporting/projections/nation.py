"""The nation projection: the regions' compiled aggregates, from reporting.events alone.

Read model (schema reporting_nation): per (region, follow-up year) the latest
region ReportCompiled, its aggregate and previous year's aggregate (additive
statistics, never an individual's data), its report version, and where the
event is stored (the InputRef a national report covers). A national instance
needs nothing but these events to compile the nation's report.

A version announced again (a compile answering a wheel step with nothing
new) is the same version with the same checksums under another event id: the
first event of a version is kept, so announcing again changes nothing here
and the nation's inputs checksum stays put. One region-year's events are one
stream, so one partition keeps them in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.domain.compiled import Scope, ScopeLevel
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.events.reporting import ReportCompiled

metadata = sa.MetaData()

region_reports = sa.Table(
    "region_reports",
    metadata,
    sa.Column("region", sa.Text, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("report_version", sa.Integer, nullable=False),
    sa.Column("aggregate", JSONB, nullable=False),
    sa.Column("previous_aggregate", JSONB),
    sa.Column("event_id", sa.Uuid, nullable=False),
    sa.Column("producer", sa.Text, nullable=False),
    sa.Column("stream", sa.Text, nullable=False),
    sa.Column("stream_version", sa.Integer, nullable=False),
)


def region_rows(events: Sequence[EventEnvelope]) -> list[dict[str, Any]]:
    """The row of each region-year's highest version in the batch (its first event).

    Pure: a region ReportCompiled without an aggregate is not one a nation
    can merge, and is left out.
    """
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for envelope in events:
        if envelope.type != ReportCompiled.event_type:
            continue
        payload = decode(envelope)
        assert isinstance(payload, ReportCompiled)
        level, _, _ = payload.scope.partition(":")
        if level != ScopeLevel.REGION or payload.aggregate is None:
            continue
        scope = Scope.parse(payload.scope)
        key = (scope.code, payload.year)
        known = rows.get(key)
        if known is not None and known["report_version"] >= payload.report_version:
            continue
        rows[key] = {
            "region": scope.code,
            "year": payload.year,
            "report_version": payload.report_version,
            "aggregate": payload.aggregate.model_dump(mode="json"),
            "previous_aggregate": None
            if payload.previous_aggregate is None
            else payload.previous_aggregate.model_dump(mode="json"),
            "event_id": envelope.event_id,
            "producer": envelope.producer,
            "stream": envelope.aggregate_id,
            "stream_version": envelope.aggregate_version,
        }
    return [rows[key] for key in sorted(rows)]


class NationProjection:
    name: str = "nation"
    topics: tuple[str, ...] = ("reporting.events",)
    metadata: sa.MetaData = metadata

    async def apply(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        rows = region_rows(events)
        if not rows:
            return
        statement = insert(region_reports).values(rows)
        excluded = statement.excluded
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[region_reports.c.region, region_reports.c.year],
                set_={
                    column: excluded[column]
                    for column in (
                        "report_version",
                        "aggregate",
                        "previous_aggregate",
                        "event_id",
                        "producer",
                        "stream",
                        "stream_version",
                    )
                },
                # Only a higher version replaces the kept one.
                where=excluded.report_version > region_reports.c.report_version,
            )
        )


projection = NationProjection()
