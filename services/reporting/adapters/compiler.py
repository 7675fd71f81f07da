"""Compiling a scope's report for a follow-up year: figures in, an immutable version out.

`ReportCompiler.compile(scope, year, step, by)`:

1. lets the read models catch up (`CatchUp`): the projections the scope's
   figures come from must have reached the ends their topics had when the
   compile began (bounded; a compile that gives up waiting says so in the log
   and compiles what is there, which a later compile supersedes);
2. serialises compiles of one report with a transaction-scoped advisory lock
   on its stream (two replicas, or a trigger and a command, never race);
3. drafts the report (`draft`): the scope's aggregate, the previous year's,
   its members' (a municipality's units, a region's municipalities, the
   nation's regions), the unit managers' comments, and the events covered;
4. compares with the latest stored version: the same inputs and figures
   store nothing (and announce that version again only when the compile
   answers a wheel step, so the scheduler can complete it); anything else is
   the next version, stored with its ReportCompiled in one transaction.

A unit, municipality or region is compiled from the knowledge and clients
read models; the nation from the nation read model alone, that is from the
regions' ReportCompiled events (`projections/nation.py`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import structlog
from aiokafka import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters import figures
from services.reporting.adapters.read_models import projection_schema, reading
from services.reporting.adapters.store import (
    PRODUCER,
    SCHEMA,
    TOPIC,
    ReportingTime,
    ReportStore,
    report_stream,
)
from services.reporting.domain.compiled import (
    CompiledReport,
    FollowUpYear,
    InputRef,
    ManagerComment,
    Scope,
    ScopeLevel,
    compile_report,
)
from services.reporting.domain.merge import (
    MergeableAggregate,
    from_event,
    merge_nation,
    merge_region,
    to_event,
)
from services.reporting.domain.sections import sections_of
from services.reporting.projections import get_projection
from services.reporting.projections.base import Projection
from services.reporting.projections.nation import region_reports
from shared.db import transaction
from shared.errors import FailedPrecondition
from shared.events.reporting import Aggregate, ReportCompiled, StepRef
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext
from shared.kafka import bootstrap, connection_options, topic
from shared.kafka_admin import partition_ends
from shared.settings import Settings

#: First key of the per-report compile locks (two-integer advisory locks).
COMPILE_LOCK_SPACE = zlib.crc32(b"arshjul.reporting.compile") & 0x7FFF_FFFF

log = structlog.get_logger(__name__)


# --- letting the read models catch up ---------------------------------------------


class CatchUp:
    """Waits until projections' stored positions reach their topics' ends of now."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        *,
        timeout: float = 120.0,
        poll_seconds: float = 0.2,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.timeout = timeout
        self.poll_seconds = poll_seconds

    async def wait(self, projections: Sequence[Projection]) -> bool:
        """True once every projection has caught up; False (logged) if the time ran out."""
        topics = sorted({topic(self.settings, base) for p in projections for base in p.topics})
        found = await partition_ends(
            bootstrap(self.settings), topics, client_options=connection_options(self.settings)
        )
        ends = {tp: end for tp, (_, end) in found.items() if end}
        started = time.monotonic()
        waited = False
        while True:
            behind = await self._behind(projections, ends)
            if not behind:
                if waited:
                    log.info(
                        "read models caught up",
                        projections=[p.name for p in projections],
                        seconds=round(time.monotonic() - started, 2),
                    )
                return True
            if time.monotonic() - started > self.timeout:
                log.warning(
                    "read models still behind; compiling what they hold",
                    behind=behind,
                    seconds=self.timeout,
                )
                return False
            if not waited:
                log.info("waiting for the read models to catch up", behind=behind)
                waited = True
            await asyncio.sleep(self.poll_seconds)

    async def _behind(
        self, projections: Sequence[Projection], ends: dict[TopicPartition, int]
    ) -> dict[str, int]:
        """Per projection, how many records it still has to project (only those behind)."""
        behind: dict[str, int] = {}
        async with self.engine.connect() as conn:
            for projection in projections:
                names = {topic(self.settings, base) for base in projection.topics}
                result = await conn.execute(
                    text(
                        "SELECT topic, partition, next_offset FROM "
                        f"{projection_schema(projection)}.consumer_positions WHERE consumer = :c"
                    ),
                    {"c": projection.name},
                )
                stored = {TopicPartition(t, p): int(o) for t, p, o in result}
                missing = sum(
                    max(end - stored.get(tp, 0), 0) for tp, end in ends.items() if tp.topic in names
                )
                if missing:
                    behind[projection.name] = missing
        return behind


# --- drafting ----------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What a report is compiled from."""

    aggregate: MergeableAggregate
    previous: MergeableAggregate | None
    members: dict[str, MergeableAggregate]
    comments: tuple[ManagerComment, ...]
    inputs: frozenset[InputRef]


def _non_empty(aggregate: MergeableAggregate) -> MergeableAggregate | None:
    return aggregate if aggregate.counts or aggregate.moments or aggregate.class_counts else None


async def draft(
    engine: AsyncEngine, conn: AsyncConnection, store: ReportStore, scope: Scope, year: int
) -> Draft:
    """The figures, comments and inputs of `scope`'s report for `year` (pure reads).

    The inputs are the events of both years shown (the year and the one
    before, for the comparison), read with the figures they make.
    """
    match scope.level:
        case ScopeLevel.UNIT | ScopeLevel.MUNICIPALITY:
            tenant = scope.municipality or scope.code
            unit = scope.code if scope.level is ScopeLevel.UNIT else None
            members: dict[str, MergeableAggregate] = {}
            if unit is None:
                for member in await figures.read_units(engine, tenant, year):
                    members[member] = await figures.read_aggregate(engine, tenant, member, year)
            aggregate, inputs = await figures.read_figures(engine, tenant, unit, year)
            previous, earlier_inputs = await figures.read_figures(engine, tenant, unit, year - 1)
            stored = await store.comments(conn, tenant, unit, year)
            return Draft(
                aggregate=aggregate,
                previous=_non_empty(previous),
                members=members,
                comments=tuple(c.comment for c in stored),
                inputs=inputs | earlier_inputs | {c.ref for c in stored},
            )
        case ScopeLevel.REGION:
            refs: set[InputRef] = set()
            members = {}
            for municipality in await figures.read_municipalities(engine, scope.code, year):
                members[municipality], found = await figures.read_figures(
                    engine, municipality, None, year
                )
                refs |= found
            before: dict[str, MergeableAggregate] = {}
            for municipality in await figures.read_municipalities(engine, scope.code, year - 1):
                before[municipality], found = await figures.read_figures(
                    engine, municipality, None, year - 1
                )
                refs |= found
            return Draft(
                aggregate=merge_region(scope.code, members),
                previous=_non_empty(merge_region(scope.code, before)),
                members=members,
                comments=(),
                inputs=frozenset(refs),
            )
        case ScopeLevel.NATION:
            return await _nation_draft(engine, year)


async def _nation_draft(engine: AsyncEngine, year: int) -> Draft:
    nation = get_projection("nation")
    async with reading(engine, nation) as conn:
        rows = (
            await conn.execute(
                sa.select(region_reports)
                .where(region_reports.c.year == year)
                .order_by(region_reports.c.region)
            )
        ).mappings()
        regions = list(rows)
    members = {r["region"]: from_event(Aggregate.model_validate(r["aggregate"])) for r in regions}
    previous = {
        r["region"]: from_event(Aggregate.model_validate(r["previous_aggregate"]))
        for r in regions
        if r["previous_aggregate"] is not None
    }
    return Draft(
        aggregate=merge_nation(members),
        previous=_non_empty(merge_nation(previous)),
        members=members,
        comments=(),
        inputs=frozenset(
            InputRef(
                event_id=r["event_id"],
                producer=r["producer"],
                stream=r["stream"],
                version=r["stream_version"],
            )
            for r in regions
        ),
    )


def projections_of(scope: Scope) -> tuple[Projection, ...]:
    """The read models a scope's report is compiled from."""
    if scope.level is ScopeLevel.NATION:
        return (get_projection("nation"),)
    return (get_projection("knowledge"), get_projection("clients"))


# --- compiling -----------------------------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    report: CompiledReport
    #: False when nothing new was covered and the stored version stands.
    new_version: bool


class ReportCompiler:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        *,
        time_source: ReportingTime,
        on_commit: Callable[[], None] = lambda: None,
        catch_up: CatchUp | None = None,
    ) -> None:
        self.engine = engine
        self.store = ReportStore()
        self.events = EventStore(
            engine, schema=SCHEMA, producer=PRODUCER, topic=topic(settings, TOPIC)
        )
        self.time = time_source
        self.on_commit = on_commit
        self.catch_up = catch_up or CatchUp(settings, engine)

    async def compile(
        self,
        scope: Scope,
        year: int,
        step: StepRef | None,
        by: str,
        *,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
    ) -> Compiled:
        """Compile `scope`'s report for follow-up year `year` (see the module docstring).

        FailedPrecondition when no event covers the scope and year.
        """
        await self.catch_up.wait(projections_of(scope))
        stream = report_stream(scope, year)
        context = AppendContext(
            tenant=scope.owner_tenant,
            correlation_id=correlation_id or uuid.uuid4(),
            causation_id=causation_id,
        )
        async with transaction(self.engine) as conn:
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": COMPILE_LOCK_SPACE, "key": zlib.crc32(stream.encode()) & 0x7FFF_FFFF},
            )
            drafted = await draft(self.engine, conn, self.store, scope, year)
            if not drafted.inputs:
                raise FailedPrecondition(
                    f"no events cover {scope} in the follow-up year {year} or the one before: "
                    "nothing to compile",
                    field="scope",
                )
            latest = await self.store.latest(conn, scope, year)
            report = compile_report(
                scope,
                FollowUpYear(start_year=year),
                (latest.version if latest is not None else 0) + 1,
                sections_of(scope.level, drafted.aggregate, drafted.previous, drafted.members),
                drafted.comments,
                drafted.inputs,
            )
            unchanged = latest is not None and (
                latest.inputs_checksum,
                latest.figures_checksum,
            ) == (report.inputs_checksum, report.figures_checksum)
            if unchanged:
                assert latest is not None
                report = latest
                if step is None:
                    return Compiled(report, new_version=False)
            event_id = await self._announce(conn, stream, report, drafted, step, context)
            if not unchanged:
                await self.store.insert(conn, report, event_id)
        self.on_commit()
        log.info(
            "report compiled" if not unchanged else "report announced again",
            scope=str(scope),
            municipality=scope.municipality,
            year=year,
            version=report.version,
            inputs=report.input_count,
            step=step.step_id if step is not None else None,
            by=by,
        )
        return Compiled(report, new_version=not unchanged)

    async def _announce(
        self,
        conn: AsyncConnection,
        stream: str,
        report: CompiledReport,
        drafted: Draft,
        step: StepRef | None,
        context: AppendContext,
    ) -> uuid.UUID:
        """Append the report's ReportCompiled; returns its event id."""
        carries_aggregate = report.scope.level in (ScopeLevel.REGION, ScopeLevel.NATION)
        payload = ReportCompiled(
            scope=str(report.scope),
            municipality=report.scope.municipality
            if report.scope.level is ScopeLevel.UNIT
            else None,
            year=report.year.start_year,
            report_version=report.version,
            input_count=report.input_count,
            inputs_checksum=report.inputs_checksum,
            figures_checksum=report.figures_checksum,
            aggregate=to_event(drafted.aggregate) if carries_aggregate else None,
            previous_aggregate=to_event(drafted.previous)
            if carries_aggregate and drafted.previous is not None
            else None,
            step=step,
        )
        now = await self.time.now()
        new = NewEvent(payload=payload, occurred_at=now)
        await self.events.append(
            conn, stream, await self.events.stream_version(conn, stream), [new], context, now
        )
        return new.event_id
