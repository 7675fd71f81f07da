"""Reading a topic back in tests: every record, in partition order."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.events.envelope import EventEnvelope


async def read_topic(
    bootstrap: str, topic: str, *, at_least: int, timeout: float = 30.0
) -> list[EventEnvelope]:
    """All envelopes on `topic` once at least `at_least` distinct event ids are there.

    Records come partition by partition, each in offset order; waits a short
    extra moment after reaching the count so that surplus records show up too.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        partitions: set[int] | None = None
        while partitions is None:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"topic {topic} never appeared")
                await consumer.topics()
                await asyncio.sleep(0.1)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        by_partition: dict[int, list[EventEnvelope]] = {p: [] for p in partitions}
        settle_until: float | None = None
        while True:
            batches = await consumer.getmany(timeout_ms=200)
            for tp, records in batches.items():
                by_partition[tp.partition].extend(
                    EventEnvelope.from_bytes(r.value) for r in records if r.value is not None
                )
            distinct = {e.event_id for events in by_partition.values() for e in events}
            now = time.monotonic()
            if len(distinct) >= at_least and settle_until is None:
                settle_until = now + 0.5
            if settle_until is not None and now >= settle_until:
                return [e for p in sorted(by_partition) for e in by_partition[p]]
            if now > deadline:
                raise AssertionError(
                    f"{topic}: {len(distinct)} distinct events, expected at least {at_least}"
                )
    finally:
        await consumer.stop()
