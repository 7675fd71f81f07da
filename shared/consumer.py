"""Effectively-once event handling for projections and reactions.

Each fetched batch is handled in ONE database transaction that also records
the handled event ids and the next offset per partition. On assignment the
consumer seeks to the positions stored in the database, so Kafka's committed
offsets are only a hint; an event redelivered anyway (a relay republishing
after a crash, a rebalance) is skipped by its event id.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.events.envelope import EventEnvelope
from shared.kafka import bootstrap, consumer_options
from shared.metrics import CONSUMER_DUPLICATES, CONSUMER_EVENTS_HANDLED, CONSUMER_LAG
from shared.settings import Settings

log = structlog.get_logger(__name__)

#: Handles the new (not yet handled) events of one fetched batch, in offset
#: order, inside the batch transaction; must not commit. A batch comes from one
#: partition, so one aggregate's events arrive in order.
Handler = Callable[[AsyncConnection, Sequence[EventEnvelope]], Awaitable[None]]


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0


class EffectivelyOnceConsumer:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        *,
        schema: str,
        name: str,
        topics: Sequence[str],
        handler: Handler,
        batch_size: int = 500,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.schema = schema
        self.name = name
        self.topics = list(topics)
        self.handler = handler
        self.batch_size = batch_size
        self.stats = ConsumerStats()
        self._consumer: AIOKafkaConsumer | None = None
        # The next offset of each assigned partition, for the lag metric.
        self._next_offsets: dict[TopicPartition, int] = {}

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap(self.settings),
            group_id=f"{self.settings.topic_prefix}{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **consumer_options(self.settings),
        )
        self._consumer = consumer
        consumer.subscribe(self.topics, listener=_SeekToStored(self))
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=self.batch_size)
                for tp, records in batches.items():
                    if records:
                        await self._handle(tp, [r.value for r in records], records[-1].offset)
                        self._next_offsets[tp] = records[-1].offset + 1
                # Before the commit: the lag follows what the database holds, and
                # Kafka's committed offsets are only a hint.
                self._record_lag(consumer)
                if batches:
                    await consumer.commit()
        finally:
            await consumer.stop()
            self._consumer = None

    async def _handle(self, tp: TopicPartition, values: list[bytes], last_offset: int) -> None:
        envelopes = [EventEnvelope.from_bytes(v) for v in values]
        async with self.engine.begin() as conn:
            fresh = await self._claim(conn, [e.event_id for e in envelopes])
            new: list[EventEnvelope] = []
            for envelope in envelopes:
                if envelope.event_id in fresh:
                    fresh.discard(envelope.event_id)  # a batch may hold one id twice
                    new.append(envelope)
            if new:
                await self.handler(conn, new)
            await conn.execute(
                text(
                    f"INSERT INTO {self.schema}.consumer_positions "
                    "(consumer, topic, partition, next_offset) VALUES (:c, :t, :p, :o) "
                    "ON CONFLICT (consumer, topic, partition) "
                    "DO UPDATE SET next_offset = excluded.next_offset"
                ),
                {"c": self.name, "t": tp.topic, "p": tp.partition, "o": last_offset + 1},
            )
        # Counted once committed: a batch rolled back (a crash, a cancellation) is not handled.
        self.stats.handled += len(new)
        self.stats.duplicates += len(envelopes) - len(new)
        CONSUMER_EVENTS_HANDLED.labels(self.name, tp.topic).inc(len(new))
        CONSUMER_DUPLICATES.labels(self.name, tp.topic).inc(len(envelopes) - len(new))

    def _record_lag(self, consumer: AIOKafkaConsumer) -> None:
        # The fetch response's high watermark: end_offsets() is wrong on Tansu.
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            next_offset = self._next_offsets.get(tp)
            if highwater is not None and next_offset is not None:
                CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(
                    max(highwater - next_offset, 0)
                )

    async def _claim(self, conn: AsyncConnection, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Record ids as handled; returns those not handled before."""
        result = await conn.execute(
            text(
                f"INSERT INTO {self.schema}.handled_events (consumer, event_id) "
                "SELECT :c, unnest(CAST(:ids AS uuid[])) ON CONFLICT DO NOTHING "
                "RETURNING event_id"
            ),
            {"c": self.name, "ids": ids},
        )
        return {row[0] for row in result}

    async def stored_positions(self) -> dict[TopicPartition, int]:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                text(
                    f"SELECT topic, partition, next_offset FROM {self.schema}.consumer_positions "
                    "WHERE consumer = :c"
                ),
                {"c": self.name},
            )
            return {TopicPartition(t, p): int(o) for t, p, o in result}


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: EffectivelyOnceConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # Another member reports these partitions' lag from now on.
        for tp in revoked:
            self.owner._next_offsets.pop(tp, None)
            with contextlib.suppress(KeyError):  # never reported: no fetch came back
                CONSUMER_LAG.remove(self.owner.name, tp.topic, str(tp.partition))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        consumer = self.owner._consumer
        assert consumer is not None
        stored = await self.owner.stored_positions()
        for tp in assigned:
            self.owner._next_offsets[tp] = stored.get(tp, 0)
            if tp in stored:
                consumer.seek(tp, stored[tp])
            else:
                consumer.seek(tp, 0)
        log.info("partitions assigned", consumer=self.owner.name, partitions=len(assigned))
