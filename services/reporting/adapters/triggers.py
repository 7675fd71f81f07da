"""The LOKE wheel's compile steps, heard on scheduler.events, compile the reports.

An effectively-once consumer of `scheduler.events` (its handled ids and
positions in schema `reporting`) keeps the LOKE wheels it has seen created
and the instant of the latest WheelStepDue (the reporting service's date on
the simulated clock, see `store.ReportingTime`). When a LOKE wheel's step
comes due:

- `sammanstallning-enhet` (processing and compilation per unit, by 31 Aug):
  every unit of the municipality with figures that year, then the
  municipality, whose ReportCompiled carries the step;
- `aggregering-ledning` (aggregation for management, October): the
  municipality (with the step), then its region.

The year compiled is the follow-up year that ended before the occurrence:
a step due in May–October 2026 compiles 2025 (1 May 2025 – 30 April 2026).
The scheduler completes the step when it sees the ReportCompiled with it.

Compiles run in their own transactions, after the batch's bookkeeping was
read: a redelivered WheelStepDue compiles again, which stores nothing new
(same checksums) and announces the stored version with the step once more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters import figures
from services.reporting.adapters.compiler import ReportCompiler
from services.reporting.adapters.store import SCHEMA, saw_wheel_step_due
from services.reporting.domain.compiled import Scope, ScopeLevel
from shared.consumer import EffectivelyOnceConsumer
from shared.errors import DomainError
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.events.reporting import StepRef
from shared.events.scheduler import WheelCreated, WheelStepDue, follow_up_year
from shared.kafka import topic
from shared.municipalities import region_of
from shared.settings import Settings

#: The LOKE template and its two compile steps (services/scheduler/domain/templates.py).
LOKE_TEMPLATE: Final = "loke-rapporteringshjul"
COMPILE_UNITS_STEP: Final = "sammanstallning-enhet"
AGGREGATE_STEP: Final = "aggregering-ledning"
SCHEDULER_TOPIC: Final = "scheduler.events"
CONSUMER: Final = "reporting-triggers"
#: Who the compiles a wheel step causes are by, in logs.
BY_WHEEL: Final = "loke-wheel"

log = structlog.get_logger(__name__)


def year_compiled(occurrence: WheelStepDue) -> int:
    """The follow-up year that ended before the occurrence's date."""
    return follow_up_year(occurrence.occurrence_date) - 1


class WheelTriggers:
    def __init__(self, settings: Settings, engine: AsyncEngine, compiler: ReportCompiler) -> None:
        self.engine = engine
        self.compiler = compiler
        self.consumer = EffectivelyOnceConsumer(
            settings,
            engine,
            schema=SCHEMA,
            name=CONSUMER,
            topics=[topic(settings, SCHEDULER_TOPIC)],
            handler=self.handle,
        )

    async def run(self) -> None:
        await self.consumer.run()

    async def handle(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        """Record LOKE wheels and the time, then compile what came due (in order)."""
        due: list[tuple[EventEnvelope, WheelStepDue]] = []
        for envelope in events:
            payload = decode(envelope)
            if isinstance(payload, WheelCreated) and payload.template == LOKE_TEMPLATE:
                await conn.execute(
                    text(
                        f"INSERT INTO {SCHEMA}.loke_wheels (wheel_id, tenant, unit) "
                        "VALUES (:wheel, :tenant, :unit) ON CONFLICT DO NOTHING"
                    ),
                    {"wheel": payload.wheel_id, "tenant": payload.tenant, "unit": payload.unit},
                )
            elif isinstance(payload, WheelStepDue):
                # Committed at once (it only moves forward): the compiles below
                # and the comments recorded meanwhile read it.
                async with self.engine.begin() as own:
                    await saw_wheel_step_due(own, envelope.occurred_at)
                if payload.step_id in (COMPILE_UNITS_STEP, AGGREGATE_STEP) and await _is_loke(
                    conn, payload.wheel_id
                ):
                    due.append((envelope, payload))
        for envelope, occurrence in due:
            await self.compile_for(envelope, occurrence)

    async def compile_for(self, envelope: EventEnvelope, occurrence: WheelStepDue) -> None:
        tenant = envelope.tenant
        year = year_compiled(occurrence)
        step = StepRef(
            wheel_id=occurrence.wheel_id,
            step_id=occurrence.step_id,
            occurrence_date=occurrence.occurrence_date,
        )
        municipality = Scope(level=ScopeLevel.MUNICIPALITY, code=tenant)
        log.info(
            "wheel step compiles",
            step=occurrence.step_id,
            tenant=tenant,
            year=year,
            occurrence=occurrence.occurrence_date.isoformat(),
        )
        if occurrence.step_id == COMPILE_UNITS_STEP:
            for unit in await figures.read_units(self.engine, tenant, year):
                await self._compile(
                    Scope(level=ScopeLevel.UNIT, code=unit, municipality=tenant),
                    year,
                    None,
                    envelope,
                )
            await self._compile(municipality, year, step, envelope)
        else:
            await self._compile(municipality, year, step, envelope)
            await self._compile(
                Scope(level=ScopeLevel.REGION, code=region_of(tenant)), year, None, envelope
            )

    async def _compile(
        self, scope: Scope, year: int, step: StepRef | None, cause: EventEnvelope
    ) -> None:
        try:
            await self.compiler.compile(
                scope,
                year,
                step,
                BY_WHEEL,
                correlation_id=cause.correlation_id,
                causation_id=cause.event_id,
            )
        except DomainError as refused:
            # Nothing to compile (no events that year): the step stays open
            # for someone to see to; the other compiles go ahead.
            log.warning(
                "wheel step compiles nothing", scope=str(scope), year=year, reason=str(refused)
            )


async def _is_loke(conn: AsyncConnection, wheel_id: str) -> bool:
    result = await conn.execute(
        text(f"SELECT EXISTS (SELECT FROM {SCHEMA}.loke_wheels WHERE wheel_id = :w)"),
        {"w": wheel_id},
    )
    return bool(result.scalar_one())
