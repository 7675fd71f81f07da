"""Where a projection's read model lives, and the loop that keeps it up to date.

`ProjectionRunner` is the effectively-once consumer of the shared kernel with
the projection's schema translation in place: the read-model change, the
handled event ids and the partition offsets commit in one transaction.

A rebuild (`services.reporting.adapters.rebuild`) swaps a new schema in under
the runner. The runner holds the projection's swap lock in shared mode while
its consumer runs, and steps aside when the swap asks for it exclusively:
see that module for why and how.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.projections.base import Projection
from shared.consumer import EffectivelyOnceConsumer
from shared.events.envelope import EventEnvelope
from shared.kafka import topic
from shared.settings import Settings

SCHEMA_PREFIX = "reporting_"
#: First key of the swap locks (PostgreSQL advisory locks, two-integer form).
SWAP_LOCK_SPACE = zlib.crc32(b"arshjul.reporting.swap") & 0x7FFF_FFFF

log = structlog.get_logger(__name__)


def projection_schema(projection: Projection) -> str:
    return f"{SCHEMA_PREFIX}{projection.name}"


def swap_lock(schema: str) -> dict[str, int]:
    """The advisory lock guarding the live schema `schema` against a swap."""
    return {"space": SWAP_LOCK_SPACE, "key": zlib.crc32(schema.encode()) & 0x7FFF_FFFF}


async def swap_waiting(conn: AsyncConnection, schema: str) -> bool:
    """Whether a rebuild waits to swap a new schema in as `schema`."""
    result = await conn.execute(
        text(
            "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = :space AND objid = :key AND objsubid = 2 "
            "AND mode = 'ExclusiveLock' AND NOT granted)"
        ),
        swap_lock(schema),
    )
    return bool(result.scalar_one())


async def translate(conn: AsyncConnection, schema: str) -> AsyncConnection:
    """The same connection, with schema-less tables placed in `schema`."""
    return await conn.execution_options(schema_translate_map={None: schema})


async def ensure_schema(conn: AsyncConnection, projection: Projection, schema: str) -> None:
    """Create the projection's schema, tables and bookkeeping if missing (idempotent)."""
    await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    await conn.run_sync(
        lambda sync: projection.metadata.create_all(
            sync.execution_options(schema_translate_map={None: schema})
        )
    )
    await conn.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {schema}.handled_events ("
            "consumer text NOT NULL, event_id uuid NOT NULL, PRIMARY KEY (consumer, event_id))"
        )
    )
    await conn.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {schema}.consumer_positions ("
            "consumer text NOT NULL, topic text NOT NULL, partition integer NOT NULL, "
            "next_offset bigint NOT NULL, PRIMARY KEY (consumer, topic, partition))"
        )
    )


async def ensure_all(engine: AsyncEngine, projections: Sequence[Projection]) -> None:
    async with engine.begin() as conn:
        for projection in projections:
            await ensure_schema(conn, projection, projection_schema(projection))


@asynccontextmanager
async def reading(engine: AsyncEngine, projection: Projection) -> AsyncIterator[AsyncConnection]:
    """A read-only connection onto a projection's live read model (for queries)."""
    async with engine.connect() as conn:
        yield await translate(conn, projection_schema(projection))


class ProjectionRunner:
    """Feeds one projection from its topics, effectively once."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        projection: Projection,
        *,
        schema: str | None = None,
        batch_size: int = 500,
        swap_poll_seconds: float = 0.25,
    ) -> None:
        self.engine = engine
        self.projection = projection
        self.schema = schema or projection_schema(projection)
        self.swap_poll_seconds = swap_poll_seconds
        self.consumer = EffectivelyOnceConsumer(
            settings,
            engine,
            schema=self.schema,
            name=projection.name,
            topics=[topic(settings, base) for base in projection.topics],
            handler=self._apply,
            batch_size=batch_size,
        )

    async def _apply(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        await self.projection.apply(await translate(conn, self.schema), events)

    async def run(self) -> None:
        """Feed the projection until cancelled, stepping aside for each swap.

        The shared swap lock lives on a connection of its own (session-level,
        outside any transaction). After a swap the consumer starts afresh and
        seeks to the positions stored in the schema now live.
        """
        lock = swap_lock(self.schema)
        while True:
            async with self.engine.connect() as guard:
                await guard.execution_options(isolation_level="AUTOCOMMIT")
                # Queued behind a waiting swap: returns once it has committed.
                await guard.execute(text("SELECT pg_advisory_lock_shared(:space, :key)"), lock)
                try:
                    await self._consume_until_swap(guard)
                except BaseException:
                    # Closing the connection releases the lock whatever state it is in.
                    await guard.invalidate()
                    raise
                await guard.execute(text("SELECT pg_advisory_unlock_shared(:space, :key)"), lock)
            log.info("projection steps aside for a swap", projection=self.projection.name)

    async def _consume_until_swap(self, guard: AsyncConnection) -> None:
        consuming = asyncio.create_task(self.consumer.run(), name=f"{self.projection.name} feed")
        try:
            while not consuming.done():
                if await swap_waiting(guard, self.schema):
                    return
                await asyncio.wait({consuming}, timeout=self.swap_poll_seconds)
            consuming.result()
        finally:
            # A batch cut short rolls back; one already committed went into
            # the old schema, which the swapped-in one supersedes.
            consuming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consuming
