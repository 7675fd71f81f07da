"""Rebuilding a projection from the earliest offsets, then swapping it in.

The rebuild fills a shadow schema, `reporting_<name>__rebuild` (created like
the live one, by `ensure_schema`), while the live read model
`reporting_<name>` keeps serving queries and keeps being fed by the reporting
service. It reads with a consumer outside any group (partitions assigned by
hand), so the live consumer group never rebalances because of it. Each fetch
(up to `batch_size` records, every partition) is one transaction in the
shadow: the event ids claimed in one statement, `apply` per partition for the
events not seen before, and the next offset per partition.

The shadow keeps its positions and handled ids under the projection's own
consumer name, exactly as the live runner keeps them. So a cancelled rebuild
(Ctrl-C) resumes where its last transaction ended, and once the shadow is
live, the reporting service's runner continues from precisely those positions.
A run is done when every partition has reached the high watermark seen on its
first fetch of the run (the high watermark of a fetch, not `end_offsets()`,
which the embedded broker gets wrong). Then one transaction renames the live
schema to `reporting_<name>__old`, the shadow to `reporting_<name>`, and drops
the old one; queries find the new tables by name from that commit on.

The swap and the live runner. After the swap, a live runner's in-memory Kafka
positions belong to the old schema. Were it to go on with them, the events
between the rebuild's stopping point and the runner's position would never
reach the new read model, and a position it then wrote into the new schema
would skip them for good. So no batch of the live runner may straddle the
swap, and afterwards the runner must start again from the positions stored in
the new schema. The guard is an advisory lock per projection
(`read_models.swap_lock`). Every live runner, in every replica, holds it in
shared mode on a connection of its own while its consumer runs; the swap
transaction first takes it exclusively. A runner sees the swap's waiting
request in `pg_locks` (it looks a few times a second), stops its consumer (a
batch in flight rolls back; one that committed went into the old schema, which
the new one supersedes), releases its lock and asks for it again. PostgreSQL
queues that request behind the swap's, so the runner resumes only after the
swap has committed, with a fresh consumer that seeks to the new schema's
positions; a replica starting meanwhile waits the same way. A rebuild that
dies while waiting takes its request with it, and the runners carry on.

Why not pause the runner from inside the reporting service (a gRPC call):
with several replicas sharing the consumer group, pausing one process's runner
leaves the others writing. The lock reaches every replica, and the rebuild
needs nothing from the service but the database and the broker.

One rebuild per projection at a time (a second advisory lock, held for the
run). After the embedded broker restarted, a shadow left by a cancelled run
points into topics that no longer exist: start over with `fresh=True`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters.read_models import (
    ensure_schema,
    projection_schema,
    swap_lock,
    translate,
)
from services.reporting.projections.base import Projection
from shared.errors import FailedPrecondition
from shared.events.envelope import EventEnvelope
from shared.kafka import bootstrap, connection_options, topic
from shared.settings import Settings

SHADOW_SUFFIX = "__rebuild"
OLD_SUFFIX = "__old"
#: First key of the one-rebuild-at-a-time locks (two-integer advisory locks).
REBUILD_LOCK_SPACE = zlib.crc32(b"arshjul.reporting.rebuild") & 0x7FFF_FFFF
_DEADLOCK = "40P01"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RebuildProgress:
    projection: str
    #: Records read in this run (duplicates included).
    read: int
    #: Records this run has to read: None until every partition's high
    #: watermark is known (normally after the first fetch).
    total: int | None
    #: Events applied to the shadow, and records skipped as already handled.
    handled: int
    duplicates: int
    #: This run continues a shadow that an earlier, cancelled run left.
    resumed: bool


@dataclass(frozen=True)
class RebuildResult:
    projection: str
    read: int
    handled: int
    duplicates: int
    resumed: bool
    seconds: float


OnProgress = Callable[[RebuildProgress], None]
#: A decoded batch: per partition, its envelopes and the offset after them.
_Batch = dict[TopicPartition, tuple[list[EventEnvelope], int]]


def shadow_schema(projection: Projection) -> str:
    return f"{projection_schema(projection)}{SHADOW_SUFFIX}"


async def rebuild(
    settings: Settings,
    engine: AsyncEngine,
    projection: Projection,
    *,
    batch_size: int = 5000,
    fresh: bool = False,
    on_progress: OnProgress | None = None,
) -> RebuildResult:
    """Rebuild `projection` into its shadow schema and swap it in.

    Cancelling leaves the shadow with everything committed so far; calling
    again resumes from it (`fresh=True` drops it and starts over).
    """
    live = projection_schema(projection)
    lock = {"space": REBUILD_LOCK_SPACE, "key": zlib.crc32(live.encode()) & 0x7FFF_FFFF}
    async with engine.connect() as guard:
        await guard.execution_options(isolation_level="AUTOCOMMIT")
        taken = await guard.execute(text("SELECT pg_try_advisory_lock(:space, :key)"), lock)
        if not taken.scalar_one():
            raise FailedPrecondition(
                f"a rebuild of projection {projection.name} is already running",
                field="projection",
            )
        try:
            feed = _Feed(settings, engine, projection, batch_size, on_progress)
            result = await feed.run(fresh=fresh)
            await _swap(engine, live, feed.shadow)
        except BaseException:
            await guard.invalidate()
            raise
        await guard.execute(text("SELECT pg_advisory_unlock(:space, :key)"), lock)
    return result


class _Feed:
    """One run of feeding the shadow schema up to the high watermarks."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        projection: Projection,
        batch_size: int,
        on_progress: OnProgress | None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.projection = projection
        self.shadow = shadow_schema(projection)
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.positions: dict[TopicPartition, int] = {}
        self.starts: dict[TopicPartition, int] = {}
        self.targets: dict[TopicPartition, int] = {}
        self.read = 0
        self.handled = 0
        self.duplicates = 0
        self.resumed = False

    async def run(self, *, fresh: bool) -> RebuildResult:
        started = time.perf_counter()
        async with self.engine.begin() as conn:
            if fresh:
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {self.shadow} CASCADE"))
            await ensure_schema(conn, self.projection, self.shadow)
            stored = await self._stored_positions(conn)
        self.resumed = bool(stored)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap(self.settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **connection_options(self.settings),
        )
        await consumer.start()
        try:
            partitions = await self._partitions(consumer)
            if partitions:
                consumer.assign(partitions)
                earliest = await consumer.beginning_offsets(partitions)
                for tp in partitions:
                    self.positions[tp] = stored.get(tp, earliest[tp])
                    self.starts[tp] = self.positions[tp]
                await self._capture_targets(consumer, partitions)
                for tp in partitions:
                    consumer.seek(tp, self.positions[tp])
                await self._read_to_targets(consumer, partitions)
        finally:
            await consumer.stop()
        self._report()
        return RebuildResult(
            projection=self.projection.name,
            read=self.read,
            handled=self.handled,
            duplicates=self.duplicates,
            resumed=self.resumed,
            seconds=time.perf_counter() - started,
        )

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        existing = await consumer.topics()
        partitions: list[TopicPartition] = []
        for base in self.projection.topics:
            name = topic(self.settings, base)
            if name in existing:
                numbers = consumer.partitions_for_topic(name) or set()
                partitions.extend(TopicPartition(name, n) for n in sorted(numbers))
        return partitions

    async def _capture_targets(
        self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]
    ) -> None:
        """Every partition's end as the rebuild starts, before anything is read.

        The end is only known from a fetch response (`highwater()`; the broker's
        `end_offsets()` is wrong on the embedded broker), so probe each
        partition with a one-record fetch; the caller seeks back afterwards.
        Taking every end up front keeps what the rebuild covers fixed, however
        long it runs: later events are the live runner's.
        """
        for tp in partitions:
            consumer.seek(tp, self.positions[tp])
        missing = list(partitions)
        while missing:
            await consumer.getmany(*missing, timeout_ms=200, max_records=1)
            for tp in missing:
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    self._target(tp, highwater)
            missing = [tp for tp in missing if tp not in self.targets]

    async def _read_to_targets(
        self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]
    ) -> None:
        """Fetch and decode the next batch while the previous one commits.

        Batches still commit one at a time and in order; only the fetching and
        decoding (Python's work) overlaps the database's.
        """
        fetched_to = dict(self.positions)
        pending = list(partitions)
        storing: asyncio.Task[None] | None = None
        try:
            while pending:
                fetched = await consumer.getmany(
                    *pending, timeout_ms=500, max_records=self.batch_size
                )
                batch = self._decode(fetched)
                for tp, (_, next_offset) in batch.items():
                    fetched_to[tp] = next_offset
                if storing is not None:
                    await storing
                    self._report()
                storing = asyncio.create_task(self._store(batch)) if batch else None
                done = [t for t in pending if fetched_to[t] >= self.targets[t]]
                if done:
                    consumer.pause(*done)
                    pending = [tp for tp in pending if tp not in done]
            if storing is not None:
                await storing
        finally:
            if storing is not None and not storing.done():
                storing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await storing

    def _target(self, tp: TopicPartition, highwater: int) -> None:
        if self.starts[tp] > highwater:
            raise FailedPrecondition(
                f"the shadow schema {self.shadow} was filled from an earlier copy of "
                f"{tp.topic} (it was at offset {self.starts[tp]} of partition {tp.partition}, "
                f"which now ends at {highwater}): rebuild with --fresh",
                field="projection",
            )
        self.targets[tp] = highwater

    def _decode(self, fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> _Batch:
        """Each partition's envelopes before its target, and the offset after them.

        What lies past a target is the live runner's to project.
        """
        batch: _Batch = {}
        for tp, records in fetched.items():
            kept = [r for r in records if r.offset < self.targets[tp]]
            if kept:
                envelopes = [EventEnvelope.from_bytes(r.value) for r in kept if r.value]
                batch[tp] = (envelopes, kept[-1].offset + 1)
        return batch

    async def _store(self, batch: _Batch) -> None:
        """One transaction: the claim, the projection's changes, the positions."""
        ids = [e.event_id for envelopes, _ in batch.values() for e in envelopes]
        async with self.engine.begin() as conn:
            seen = await self._claim(conn, ids)
            projected = await translate(conn, self.shadow)
            index = 0
            for envelopes, _ in batch.values():
                new = envelopes
                if seen:
                    new = [e for i, e in enumerate(envelopes, start=index) if i not in seen]
                index += len(envelopes)
                if new:
                    await self.projection.apply(projected, new)
            await self._store_positions(conn, {tp: after for tp, (_, after) in batch.items()})
        self.handled += len(ids) - len(seen)
        self.duplicates += len(seen)
        for tp, (_, after) in batch.items():
            self.read += after - self.positions[tp]
            self.positions[tp] = after

    async def _claim(self, conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> set[int]:
        """Record the batch's event ids as handled, in one statement; returns the
        indexes (into `ids`) of the events to skip: handled before, or a second
        copy within the batch. Usually none, so next to nothing comes back."""
        result = await conn.execute(
            text(
                "WITH batch AS ("
                "  SELECT event_id, ord, min(ord) OVER (PARTITION BY event_id) AS first"
                "  FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS b(event_id, ord)"
                "), claimed AS ("
                f"  INSERT INTO {self.shadow}.handled_events (consumer, event_id)"
                "  SELECT :c, event_id FROM batch WHERE ord = first"
                "  ON CONFLICT DO NOTHING RETURNING event_id"
                ") "
                "SELECT ord - 1 FROM batch WHERE ord <> first "
                "OR NOT EXISTS (SELECT FROM claimed WHERE claimed.event_id = batch.event_id)"
            ),
            {"c": self.projection.name, "ids": ids},
        )
        return {int(row[0]) for row in result}

    async def _store_positions(
        self, conn: AsyncConnection, positions: dict[TopicPartition, int]
    ) -> None:
        await conn.execute(
            text(
                f"INSERT INTO {self.shadow}.consumer_positions "
                "(consumer, topic, partition, next_offset) "
                "SELECT :c, * FROM unnest(CAST(:t AS text[]), CAST(:p AS integer[]), "
                "CAST(:o AS bigint[])) "
                "ON CONFLICT (consumer, topic, partition) "
                "DO UPDATE SET next_offset = excluded.next_offset"
            ),
            {
                "c": self.projection.name,
                "t": [tp.topic for tp in positions],
                "p": [tp.partition for tp in positions],
                "o": list(positions.values()),
            },
        )

    async def _stored_positions(self, conn: AsyncConnection) -> dict[TopicPartition, int]:
        result = await conn.execute(
            text(
                f"SELECT topic, partition, next_offset FROM {self.shadow}.consumer_positions "
                "WHERE consumer = :c"
            ),
            {"c": self.projection.name},
        )
        return {TopicPartition(t, p): int(o) for t, p, o in result}

    def _report(self) -> None:
        if self.on_progress is None:
            return
        known = len(self.targets) == len(self.starts)
        total = sum(self.targets[tp] - self.starts[tp] for tp in self.starts) if known else None
        self.on_progress(
            RebuildProgress(
                projection=self.projection.name,
                read=self.read,
                total=total,
                handled=self.handled,
                duplicates=self.duplicates,
                resumed=self.resumed,
            )
        )


async def _swap(engine: AsyncEngine, live: str, shadow: str) -> None:
    """Shadow in, live out, in one transaction, once every live runner stepped aside.

    A query reading several tables of the old schema can deadlock with the
    drop; PostgreSQL then aborts one of the two, and a swap aborted so is tried
    again.
    """
    old = f"{live}{OLD_SUFFIX}"
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:space, :key)"), swap_lock(live)
                )
                exists = await conn.execute(text("SELECT to_regnamespace(:s)"), {"s": live})
                had_live = exists.scalar_one() is not None
                if had_live:
                    await conn.execute(text(f"ALTER SCHEMA {live} RENAME TO {old}"))
                await conn.execute(text(f"ALTER SCHEMA {shadow} RENAME TO {live}"))
                if had_live:
                    await conn.execute(text(f"DROP SCHEMA {old} CASCADE"))
            return
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != _DEADLOCK or attempt == attempts:
                raise
            log.warning("swap deadlocked with a query; trying again", schema=live)
