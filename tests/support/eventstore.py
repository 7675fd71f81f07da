"""An event store schema of its own for a test or a benchmark."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.eventstore import create_eventstore_tables


async def create_event_store(conn: AsyncConnection, schema: str) -> None:
    """The event store tables (events, outbox, handled ids, positions) in `schema`."""
    statements: list[str] = []
    create_eventstore_tables(statements.append, schema)
    for statement in statements:
        await conn.execute(text(statement))


@contextlib.asynccontextmanager
async def engine_with_event_store(database_url: str, schema: str) -> AsyncIterator[AsyncEngine]:
    """An engine on `database_url` with the event store tables in `schema`; disposed after."""
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await create_event_store(conn, schema)
    yield engine
    await engine.dispose()
