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
import time
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from faststream.kafka import KafkaBroker
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED, OUTBOX_RELAY_LAG_SECONDS
from shared.settings import Settings

log = structlog.get_logger(__name__)

#: How often a relay busy with a backlog counts what is left (one more round trip).
BACKLOG_SAMPLE_SECONDS = 5.0


@dataclass(frozen=True)
class OutgoingEvent:
    """One stored event as it goes onto Kafka (the relay's and the replay's message)."""

    topic: str
    #: The stream (aggregate) id, so one aggregate's events stay in order on one partition.
    key: str
    event_id: uuid.UUID
    event_type: str
    correlation_id: uuid.UUID
    envelope: bytes


async def send_event(broker: KafkaBroker, event: OutgoingEvent) -> asyncio.Future[Any]:
    """Hand one event to the producer; returns the broker's pending acknowledgement.

    Key = stream id; the event id and type travel as headers (consumers
    de-duplicate by the id), and the envelope's correlation id as FastStream's,
    so the logs of every service that handles the event join on it.
    """
    pending: asyncio.Future[Any] = await broker.publish(
        event.envelope,
        event.topic,
        key=event.key.encode(),
        headers={"event_id": str(event.event_id), "event_type": event.event_type},
        correlation_id=str(event.correlation_id),
        no_confirm=True,
    )
    return pending


async def publish_events(broker: KafkaBroker, events: Iterable[OutgoingEvent]) -> int:
    """Send every event in the given order, then wait until the broker
    acknowledged them all; returns how many."""
    pending = [await send_event(broker, event) for event in events]
    await asyncio.gather(*pending)
    return len(pending)


def relay_lock_key(schema: str) -> int:
    """The advisory lock a service's relay holds while it publishes its outbox."""
    return zlib.crc32(f"{schema}.outbox".encode())


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
        self._lock_key = relay_lock_key(schema)
        # Relay lag: the time since the outbox was last seen empty (see shared.metrics).
        self._seen_empty = time.monotonic()
        self._backlog_sampled = time.monotonic()
        OUTBOX_RELAY_LAG_SECONDS.labels(schema).set_function(
            lambda: time.monotonic() - self._seen_empty
        )

    @classmethod
    def configured(
        cls, engine: AsyncEngine, broker: KafkaBroker, settings: Settings, *, schema: str
    ) -> OutboxRelay:
        """A service's relay, with the batch size and idle wait from its settings."""
        return cls(
            engine,
            broker,
            schema=schema,
            batch_size=settings.relay_batch_size,
            idle_seconds=settings.relay_idle_seconds,
        )

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

        While the broker acknowledges one batch, the same round trip deletes the
        batch acknowledged before it and reads the next. Nothing of the next
        batch is sent before every acknowledgement is in, so a failed send
        never lets a later event of its key overtake it.
        """
        published = 0
        acknowledged: list[int] = []
        rows = await self._next_batch(conn, delete=[], skip=[])
        while rows:
            positions = [row.position for row in rows]
            confirmations = await self._send(rows)
            rows, _ = await asyncio.gather(
                self._next_batch(conn, delete=acknowledged, skip=acknowledged + positions),
                asyncio.gather(*confirmations),
            )
            acknowledged = positions
            published += len(positions)
            self.stats.published += len(positions)
            self.stats.batches += 1
            OUTBOX_PUBLISHED.labels(self.schema).inc(len(positions))
            if not rows:
                rows = await self._next_batch(conn, delete=acknowledged, skip=acknowledged)
                acknowledged = []
            elif time.monotonic() - self._backlog_sampled >= BACKLOG_SAMPLE_SECONDS:
                await self._sample_backlog(conn)
        self._seen_empty = time.monotonic()
        OUTBOX_BACKLOG.labels(self.schema).set(0)
        return published

    async def _sample_backlog(self, conn: AsyncConnection) -> None:
        result = await conn.execute(text(f"SELECT count(*) FROM {self.schema}.outbox"))
        OUTBOX_BACKLOG.labels(self.schema).set(int(result.scalar_one()))
        self._backlog_sampled = time.monotonic()

    async def publish_batch(self, conn: AsyncConnection) -> int:
        """Publish one batch and delete it; returns how many were published."""
        rows = await self._next_batch(conn, delete=[], skip=[])
        if rows:
            await asyncio.gather(*await self._send(rows))
            await conn.execute(
                text(f"DELETE FROM {self.schema}.outbox WHERE position = ANY(:p)"),
                {"p": [row.position for row in rows]},
            )
            OUTBOX_PUBLISHED.labels(self.schema).inc(len(rows))
        return len(rows)

    async def _next_batch(
        self, conn: AsyncConnection, *, delete: list[int], skip: list[int]
    ) -> list[Row[Any]]:
        """Delete the acknowledged rows `delete`; read the oldest rows not in `skip`."""
        # The DELETE is invisible to this statement's own SELECT, hence `skip`.
        result = await conn.execute(
            text(
                f"WITH sent AS (DELETE FROM {self.schema}.outbox WHERE position = ANY(:delete)) "
                "SELECT position, event_id, topic, key, event_type, correlation_id, envelope "
                f"FROM {self.schema}.outbox WHERE position <> ALL(:skip) "
                "ORDER BY position LIMIT :n"
            ),
            {"delete": delete, "skip": skip, "n": self.batch_size},
        )
        return list(result.all())

    async def _send(self, rows: list[Row[Any]]) -> list[asyncio.Future[Any]]:
        """Hand every row to the producer; returns the broker's pending acknowledgements."""
        return [
            await send_event(
                self.broker,
                OutgoingEvent(
                    row.topic,
                    row.key,
                    row.event_id,
                    row.event_type,
                    row.correlation_id,
                    bytes(row.envelope),
                ),
            )
            for row in rows
        ]
