"""Where a projection's read model lives, and the loop that keeps it up to date.

`ProjectionRunner` is the effectively-once consumer of the shared kernel with
the projection's schema translation in place: the read-model change, the
handled event ids and the partition offsets commit in one transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.projections.base import Projection
from shared.consumer import EffectivelyOnceConsumer
from shared.events.envelope import EventEnvelope
from shared.kafka import topic
from shared.settings import Settings

SCHEMA_PREFIX = "reporting_"


def projection_schema(projection: Projection) -> str:
    return f"{SCHEMA_PREFIX}{projection.name}"


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
    ) -> None:
        self.projection = projection
        self.schema = schema or projection_schema(projection)
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
        await self.consumer.run()
