"""The scheduler's time source: the wall clock, or a simulated clock kept in
the database so that every replica and every restart sees the same instant."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scheduler.adapters.repository import SCHEMA
from shared.clock import WallClock
from shared.errors import FailedPrecondition, InvalidArgument


class SchedulerTime:
    def __init__(self, engine: AsyncEngine, *, mode: str, simulated_start: datetime) -> None:
        self.engine = engine
        self.mode = mode
        self.simulated_start = simulated_start.astimezone(UTC)
        self._wall = WallClock()

    async def now(self, conn: AsyncConnection | None = None) -> datetime:
        if self.mode == "wall":
            return self._wall.now()
        if conn is None:
            async with self.engine.connect() as own:
                return await self._simulated(own)
        return await self._simulated(conn)

    async def _simulated(self, conn: AsyncConnection) -> datetime:
        result = await conn.execute(text(f"SELECT now FROM {SCHEMA}.simulated_clock"))
        found = result.scalar_one_or_none()
        return found.astimezone(UTC) if found is not None else self.simulated_start

    async def advance(self, to: datetime) -> datetime:
        """Move the simulated clock forward to `to`; returns the previous instant."""
        if self.mode != "simulated":
            raise FailedPrecondition("only a simulated clock can be advanced", field="to")
        async with self.engine.begin() as conn:
            await conn.execute(text(f"LOCK TABLE {SCHEMA}.simulated_clock"))
            before = await self._simulated(conn)
            if to < before:
                raise InvalidArgument(
                    f"the simulated clock is at {before.isoformat()} and only moves forward",
                    field="to",
                )
            await conn.execute(
                text(
                    f"INSERT INTO {SCHEMA}.simulated_clock (id, now) VALUES (true, :to) "
                    "ON CONFLICT (id) DO UPDATE SET now = excluded.now"
                ),
                {"to": to},
            )
        return before
