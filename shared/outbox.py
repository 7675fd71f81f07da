"""The outbox relay: the only writer to Kafka on the write side.

One relay per service publishes at a time: it holds a PostgreSQL advisory
lock on a dedicated connection (a standby replica waits for it). It reads
unsent outbox rows in position order, publishes them (key = aggregate id,
event id as a header), waits for the broker's acknowledgements, and only
then deletes the rows. A crash between publish and delete republishes the
batch: consumers de-duplicate by event id.

Per-key order holds although positions can commit out of order: two appends
to one stream are serialised by the (stream_id, stream_version) key, so a
stream's later row is always inserted after its earlier row committed, and a
read in position order sees them in stream order. A row that commits late
behind a gap is simply picked up by a later poll (rows are deleted one by
one, there is no high-water mark to skip past it).
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from dataclasses import dataclass
from typing import Any

import structlog
from faststream.kafka import KafkaBroker
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = structlog.get_logger(__name__)


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    has_lock: bool = False


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        broker: KafkaBroker,
        *,
        schema: str,
        batch_size: int = 500,
        idle_seconds: float = 0.05,
    ) -> None:
        self.engine = engine
        self.broker = broker
        self.schema = schema
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.stats = RelayStats()
        self._wake = asyncio.Event()
        self._lock_key = zlib.crc32(f"{schema}.outbox".encode())

    def wake(self) -> None:
        """Tell the relay new rows were committed (skips the idle wait)."""
        self._wake.set()

    async def run(self) -> None:
        """Publish forever; cancel to stop."""
        while True:
            try:
                async with self.engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    if not await self._try_lock(conn):
                        await asyncio.sleep(1.0)
                        continue
                    self.stats.has_lock = True
                    log.info("outbox relay holds the lock", schema=self.schema)
                    try:
                        while True:
                            await self.drain(conn)
                            await self._idle()
                    finally:
                        self.stats.has_lock = False
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying", schema=self.schema)
                await asyncio.sleep(1.0)

    async def _try_lock(self, conn: AsyncConnection) -> bool:
        result = await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._lock_key})
        return bool(result.scalar_one())

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self.idle_seconds)
        self._wake.clear()

    async def drain(self, conn: AsyncConnection) -> int:
        """Publish batches until the outbox is empty; returns how many were published.

        Each round trip deletes the batch the broker just acknowledged and reads
        the next one, always from the start of the outbox in position order.
        """
        published = 0
        rows = await self._next_batch(conn, sent=[])
        while rows:
            await self._publish(rows)
            published += len(rows)
            self.stats.published += len(rows)
            self.stats.batches += 1
            rows = await self._next_batch(conn, sent=[row.position for row in rows])
        return published

    async def publish_batch(self, conn: AsyncConnection) -> int:
        """Publish one batch and delete it; returns how many were published."""
        rows = await self._next_batch(conn, sent=[])
        if rows:
            await self._publish(rows)
            await conn.execute(
                text(f"DELETE FROM {self.schema}.outbox WHERE position = ANY(:p)"),
                {"p": [row.position for row in rows]},
            )
        return len(rows)

    async def _next_batch(self, conn: AsyncConnection, sent: list[int]) -> list[Row[Any]]:
        # The DELETE is invisible to this statement's own SELECT, hence the exclusion.
        result = await conn.execute(
            text(
                f"WITH sent AS (DELETE FROM {self.schema}.outbox WHERE position = ANY(:sent)) "
                "SELECT position, event_id, topic, key, event_type, envelope "
                f"FROM {self.schema}.outbox WHERE position <> ALL(:sent) "
                "ORDER BY position LIMIT :n"
            ),
            {"sent": sent, "n": self.batch_size},
        )
        return list(result.all())

    async def _publish(self, rows: list[Row[Any]]) -> None:
        """Send every row, then wait until the broker acknowledged them all."""
        pending = [
            await self.broker.publish(
                bytes(row.envelope),
                row.topic,
                key=row.key.encode(),
                headers={"event_id": str(row.event_id), "event_type": row.event_type},
                no_confirm=True,
            )
            for row in rows
        ]
        await asyncio.gather(*pending)
