"""The reporting service's own state: its event store, the compiled reports and the comments.

Schema `reporting` holds what cannot be rebuilt from other services' events:
the event store and outbox of `reporting.events` (ReportCompiled,
ManagerCommentRecorded), every compiled version of every report (written in
the same transaction as its ReportCompiled, never updated), the unit
managers' comments (written with their ManagerCommentRecorded), and what the
wheel triggers keep (the LOKE wheels, the latest WheelStepDue instant).
The rebuildable read models live in the `reporting_<projection>` schemas.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.domain.compiled import (
    CompiledReport,
    InputRef,
    ManagerComment,
    Scope,
    ScopeLevel,
)
from shared.clock import WallClock
from shared.settings import Settings

SCHEMA = "reporting"
TOPIC = "reporting.events"
PRODUCER = "reporting"


def report_stream(scope: Scope, year: int) -> str:
    """The stream of a scope's ReportCompiled events for a year.

    `report-municipality:1480-2025`, `report-region:14-2025`, `report-nation-2025`;
    a unit id is unique only inside its municipality, so a unit's stream
    names both: `report-unit:1480:ifo-vuxen-2025`.
    """
    if scope.level is ScopeLevel.UNIT:
        return f"report-unit:{scope.municipality}:{scope.code}-{year}"
    return f"report-{scope}-{year}"


def comment_stream(tenant: str, unit: str, year: int) -> str:
    """The stream of a unit's comments on one follow-up year."""
    return f"comments-{tenant}-{unit}-{year}"


def stored_municipality(scope: Scope) -> str | None:
    """The municipality a scope lies in (a unit's or the municipality itself), None above."""
    match scope.level:
        case ScopeLevel.UNIT:
            return scope.municipality
        case ScopeLevel.MUNICIPALITY:
            return scope.code
        case _:
            return None


@dataclass(frozen=True)
class StoredComment:
    comment: ManagerComment
    ref: InputRef


class ReportStore:
    """Compiled reports and comments in schema `reporting` (the caller's transaction)."""

    async def latest(self, conn: AsyncConnection, scope: Scope, year: int) -> CompiledReport | None:
        return await self.version(conn, scope, year, 0)

    async def version(
        self, conn: AsyncConnection, scope: Scope, year: int, version: int
    ) -> CompiledReport | None:
        """Version `version` of the report (0: the latest), None if there is none."""
        result = await conn.execute(
            text(
                f"SELECT report FROM {SCHEMA}.compiled_reports WHERE scope = :scope "
                "AND municipality IS NOT DISTINCT FROM :municipality AND year = :year "
                "AND (:version = 0 OR report_version = :version) "
                "ORDER BY report_version DESC LIMIT 1"
            ),
            {**_key(scope), "year": year, "version": version},
        )
        row = result.scalar_one_or_none()
        return None if row is None else CompiledReport.model_validate(row)

    async def versions(
        self, conn: AsyncConnection, scope: Scope, year: int
    ) -> list[dict[str, Any]]:
        """Every version's number, counts and checksums, oldest first."""
        result = await conn.execute(
            text(
                "SELECT report_version, input_count, inputs_checksum, figures_checksum "
                f"FROM {SCHEMA}.compiled_reports WHERE scope = :scope "
                "AND municipality IS NOT DISTINCT FROM :municipality AND year = :year "
                "ORDER BY report_version"
            ),
            {**_key(scope), "year": year},
        )
        return [dict(row) for row in result.mappings()]

    async def latest_of_year(self, conn: AsyncConnection, year: int) -> list[CompiledReport]:
        """The latest version of every scope's report for `year`."""
        result = await conn.execute(
            text(
                f"SELECT DISTINCT ON (scope, municipality) report FROM {SCHEMA}.compiled_reports "
                "WHERE year = :year ORDER BY scope, municipality, report_version DESC"
            ),
            {"year": year},
        )
        return [CompiledReport.model_validate(row) for row in result.scalars()]

    async def insert(
        self, conn: AsyncConnection, report: CompiledReport, event_id: uuid.UUID
    ) -> None:
        await conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.compiled_reports (scope, municipality, year, "
                "report_version, inputs_checksum, figures_checksum, input_count, report, "
                "event_id) VALUES (:scope, :municipality, :year, :version, :inputs, :figures, "
                ":count, CAST(:report AS jsonb), :event_id)"
            ),
            {
                **_key(report.scope),
                "year": report.year.start_year,
                "version": report.version,
                "inputs": report.inputs_checksum,
                "figures": report.figures_checksum,
                "count": report.input_count,
                "report": json.dumps(report.model_dump(mode="json"), ensure_ascii=False),
                "event_id": event_id,
            },
        )

    async def comments(
        self, conn: AsyncConnection, tenant: str, unit: str | None, year: int
    ) -> list[StoredComment]:
        """A unit's comments on a year (None: every unit's of the municipality), in order."""
        result = await conn.execute(
            text(
                "SELECT event_id, unit, stream_id, stream_version, recorded_on, comment, "
                f"development_areas FROM {SCHEMA}.comments WHERE tenant = :tenant "
                "AND year = :year AND (CAST(:unit AS text) IS NULL OR unit = :unit) "
                "ORDER BY unit, recorded_on, stream_version"
            ),
            {"tenant": tenant, "unit": unit, "year": year},
        )
        return [
            StoredComment(
                ManagerComment(
                    unit=row["unit"],
                    recorded_on=row["recorded_on"],
                    comment=row["comment"],
                    development_areas=tuple(row["development_areas"]),
                ),
                InputRef(
                    event_id=row["event_id"],
                    producer=PRODUCER,
                    stream=row["stream_id"],
                    version=row["stream_version"],
                ),
            )
            for row in result.mappings()
        ]

    async def insert_comment(
        self,
        conn: AsyncConnection,
        *,
        event_id: uuid.UUID,
        tenant: str,
        unit: str,
        year: int,
        stream_id: str,
        stream_version: int,
        recorded_on: date,
        comment: str,
        development_areas: Sequence[str],
        recorded_by: str,
    ) -> None:
        await conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.comments (event_id, tenant, unit, year, stream_id, "
                "stream_version, recorded_on, comment, development_areas, recorded_by) VALUES "
                "(:event_id, :tenant, :unit, :year, :stream_id, :stream_version, :recorded_on, "
                ":comment, CAST(:areas AS jsonb), :recorded_by)"
            ),
            {
                "event_id": event_id,
                "tenant": tenant,
                "unit": unit,
                "year": year,
                "stream_id": stream_id,
                "stream_version": stream_version,
                "recorded_on": recorded_on,
                "comment": comment,
                "areas": json.dumps(list(development_areas), ensure_ascii=False),
                "recorded_by": recorded_by,
            },
        )


def _key(scope: Scope) -> dict[str, Any]:
    return {"scope": str(scope), "municipality": stored_municipality(scope)}


class ReportingTime:
    """The reporting service's clock.

    On the wall clock, the wall clock. The simulated clock lives in the
    scheduler's database, which no other service reads; what reaches the
    reporting service of it is the scheduler's events. So on the simulated
    clock "now" is the instant of the latest WheelStepDue seen on
    scheduler.events (its `occurred_at`, when the occurrence opened), or the
    simulated clock's start before any: the date a comment is recorded on
    is the simulated date of the wheel step it answers, never the machine's.
    """

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.simulated = settings.clock == "simulated"
        self.start = settings.simulated_clock_start
        self._wall = WallClock()

    async def now(self) -> datetime:
        if not self.simulated:
            return self._wall.now()
        async with self.engine.connect() as conn:
            result = await conn.execute(text(f"SELECT latest FROM {SCHEMA}.scheduler_time"))
            latest: datetime | None = result.scalar_one_or_none()
        return latest if latest is not None else self.start


async def saw_wheel_step_due(conn: AsyncConnection, at: datetime) -> None:
    """Move the simulated reporting time to `at` if that is later (the caller's transaction)."""
    await conn.execute(
        text(
            f"INSERT INTO {SCHEMA}.scheduler_time (id, latest) VALUES (true, :at) "
            "ON CONFLICT (id) DO UPDATE SET latest = greatest("
            f"{SCHEMA}.scheduler_time.latest, excluded.latest)"
        ),
        {"at": at},
    )
