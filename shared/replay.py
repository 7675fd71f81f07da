"""Republishing a service's event store to its topic.

The event stores are the durable history; a topic is a copy of it. The
embedded broker keeps topics in memory only, so after it restarts every
service's events are republished from its `events` table (`arshjul replay`).
A real deployment keeps its event topics without time-based retention and
never needs this.

Each event goes out exactly as the outbox relay sends it (`publish_events`:
key = stream id, the event id and type as headers, the correlation id), with
the envelope as the event store holds it, in position order, which per stream is version order
(see `shared.outbox`): one aggregate's events reach their partition in order.

Safe on a live topic: consumers de-duplicate by event id, so a record that is
already on the topic is skipped wherever it shows up again. While it runs,
the replay holds the service's relay lock if it is free, so a relay starting
meanwhile waits and its newer events land after the replayed ones. A running
service's relay keeps the lock; the replay then goes ahead anyway, which is
harmless on a topic that still holds the history, but on a topic that lost it
an event relayed during the replay can land before older events of its stream.
Hence the order after an embedded-stack restart: replay first, then commands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.errors import FailedPrecondition
from shared.eventstore import EventStore
from shared.outbox import OutgoingEvent, publish_events, relay_lock_key

#: Called after each published batch with (events published, events to publish).
ReplayProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReplayResult:
    published: int
    #: False when the service's relay was running (it held the relay lock).
    held_relay_lock: bool


async def replay(
    engine: AsyncEngine,
    schema: str,
    broker: KafkaBroker,
    topic: str,
    *,
    batch_size: int = 1000,
    on_progress: ReplayProgress | None = None,
) -> ReplayResult:
    """Publish every event stored in `schema.events` up to now to `topic`, in
    position order, each batch acknowledged by the broker before the next."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        stored = await conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{schema}.events"})
        if stored.scalar_one() is None:
            raise FailedPrecondition(f"there is no event store {schema}.events", field="schema")
        lock = await conn.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": relay_lock_key(schema)}
        )
        held = bool(lock.scalar_one())
        try:
            bounds = await conn.execute(
                text(f"SELECT count(*), coalesce(max(position), 0) FROM {schema}.events")
            )
            total, last = bounds.one()
            published = await _publish_up_to(
                EventStore(engine, schema=schema, producer=schema, topic=topic),
                broker,
                int(last),
                int(total),
                batch_size,
                on_progress,
            )
        finally:
            if held:
                await conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": relay_lock_key(schema)}
                )
    return ReplayResult(published=published, held_relay_lock=held)


async def _publish_up_to(
    store: EventStore,
    broker: KafkaBroker,
    last: int,
    total: int,
    batch_size: int,
    on_progress: ReplayProgress | None,
) -> int:
    # Events appended after the replay started are the relay's to publish:
    # stopping at the last position seen at the start makes the replay finish
    # under any write load.
    published = 0
    batch: list[OutgoingEvent] = []
    # read_all holds no connection between its batches, so leaving it early is fine.
    async for position, envelope in store.read_all(batch_size=batch_size):
        if position > last:
            break
        batch.append(
            OutgoingEvent(
                store.topic,
                envelope.aggregate_id,
                envelope.event_id,
                envelope.type,
                envelope.correlation_id,
                envelope.to_bytes(),
            )
        )
        if len(batch) == batch_size:
            published += await publish_events(broker, batch)
            batch = []
            if on_progress is not None:
                on_progress(published, total)
    if batch:
        published += await publish_events(broker, batch)
    if on_progress is not None:
        on_progress(published, total)
    return published
