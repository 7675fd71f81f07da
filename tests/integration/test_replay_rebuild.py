"""Replay and rebuild on the real servers: a service's event store republished
to its topic in order with the relay's messages, and a projection rebuilt into
a shadow schema (cancelled, resumed) and swapped in under a live runner, with
the same rows as the read model that was fed event by event."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from arshjul.stack import StackFile
from services.reporting.adapters.read_models import (
    ProjectionRunner,
    ensure_all,
    projection_schema,
    reading,
)
from services.reporting.adapters.rebuild import RebuildProgress, rebuild, shadow_schema
from services.scheduler.adapters.repository import SCHEMA, TOPIC
from shared.errors import FailedPrecondition
from shared.events.catalogue import EventPayload
from shared.events.envelope import EventEnvelope
from shared.events.scheduler import WheelArchived, WheelPaused, WheelResumed
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext
from shared.kafka import make_broker, topic
from shared.kafka_admin import ensure_topics
from shared.outbox import OutboxRelay, relay_lock_key
from shared.replay import replay
from shared.settings import Settings
from tests.support.eventstore import engine_with_event_store

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 1, tzinfo=UTC)
PAUSED, RESUMED, ARCHIVED = (
    "scheduler.WheelPaused.v1",
    "scheduler.WheelResumed.v1",
    "scheduler.WheelArchived.v1",
)

# Wheel w-i belongs to TENANTS[i % 3] and is paused and resumed i + 1 times:
# 1480 has w-0 and w-3 (1 + 4 = 5 rounds), 1481 w-1 and w-4 (2 + 5 = 7),
# 0180 w-2 and w-5 (3 + 6 = 9): 2 × 21 = 42 events.
TENANTS = ("1480", "1481", "0180")
WHEELS = 6
ROUNDS = 42
FED = {
    (PAUSED, "1480"): 5,
    (RESUMED, "1480"): 5,
    (PAUSED, "1481"): 7,
    (RESUMED, "1481"): 7,
    (PAUSED, "0180"): 9,
    (RESUMED, "0180"): 9,
}
# Then every wheel is archived: two per tenant.
ARCHIVED_ROWS = {(ARCHIVED, "1480"): 2, (ARCHIVED, "1481"): 2, (ARCHIVED, "0180"): 2}


METADATA = sa.MetaData()
EVENT_COUNTS = sa.Table(
    "event_counts",
    METADATA,
    sa.Column("event_type", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("events", sa.BigInteger, nullable=False),
)


class EventCounts:
    """Scheduler events per type and tenant: a small projection of the real kind
    (one upsert of per-batch deltas)."""

    name = "test_counts"
    topics: tuple[str, ...] = (TOPIC,)
    metadata = METADATA

    async def apply(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        deltas = Counter((e.type, e.tenant) for e in events)
        rows = [{"event_type": t, "tenant": n, "events": k} for (t, n), k in deltas.items()]
        upsert = insert(EVENT_COUNTS).values(rows)
        await conn.execute(
            upsert.on_conflict_do_update(
                index_elements=["event_type", "tenant"],
                set_={"events": EVENT_COUNTS.c.events + upsert.excluded.events},
            )
        )


class GatedCounts(EventCounts):
    """The same projection, whose first batch waits at a gate the test opens."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.gate = asyncio.Event()

    async def apply(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        self.reached.set()
        await self.gate.wait()
        await super().apply(conn, events)


COUNTS = EventCounts()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_with_event_store(database_url, SCHEMA) as engine:
        yield engine


@pytest.fixture
async def scheduler_topic(settings: Settings, kafka_bootstrap: str) -> str:
    name = topic(settings, TOPIC)
    await ensure_topics(kafka_bootstrap, [name], 4)
    return name


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


async def append_rounds(store: EventStore, engine: AsyncEngine) -> None:
    """The 42 pause/resume events, wheel after wheel, one command per event."""
    minute = 0
    for i in range(WHEELS):
        context = AppendContext(tenant=TENANTS[i % 3], correlation_id=uuid.uuid4())
        for version in range(2 * (i + 1)):
            minute += 1
            payload: EventPayload = WheelPaused(paused_at=at(minute))
            if version % 2:
                payload = WheelResumed(resumed_at=at(minute))
            async with engine.begin() as conn:
                await store.append(
                    conn, f"w-{i}", version, [NewEvent(payload, at(minute))], context, at(minute)
                )


async def archive_all(store: EventStore, engine: AsyncEngine) -> None:
    for i in range(WHEELS):
        context = AppendContext(tenant=TENANTS[i % 3], correlation_id=uuid.uuid4())
        async with engine.begin() as conn:
            version = await store.stream_version(conn, f"w-{i}")
            archived = NewEvent(WheelArchived(archived_at=at(100 + i)), at(100 + i))
            await store.append(conn, f"w-{i}", version, [archived], context, at(100 + i))


async def relay_all(engine: AsyncEngine, settings: Settings) -> None:
    broker = make_broker(settings)
    await broker.connect()
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await OutboxRelay(engine, broker, schema=SCHEMA).drain(conn)
    finally:
        await broker.stop()


async def records_by_partition(
    bootstrap: str, name: str, count: int
) -> dict[int, list[ConsumerRecord[bytes, bytes]]]:
    """Every record of topic `name`, which holds exactly `count` records."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        found: dict[int, list[ConsumerRecord[bytes, bytes]]] = {
            tp.partition: [] for tp in partitions
        }
        deadline = time.monotonic() + 30
        while sum(len(records) for records in found.values()) < count:
            assert time.monotonic() < deadline, f"{name}: fewer than {count} records"
            for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                found[tp.partition].extend(records)
        return found
    finally:
        await consumer.stop()


def message(record: ConsumerRecord[bytes, bytes]) -> tuple[object, ...]:
    """What a consumer sees of a record: key, headers and the envelope's JSON."""
    assert record.value is not None
    return record.key, dict(record.headers), json.loads(record.value)


async def eventually(value: Callable[[], Awaitable[object]], expected: object, what: str) -> None:
    """Wait until `value()` gives `expected` (a consumer catching up)."""
    deadline = time.monotonic() + 30
    while (found := await value()) != expected:
        assert time.monotonic() < deadline, f"waiting for {what}: {found} is not {expected}"
        await asyncio.sleep(0.1)


async def live_rows(engine: AsyncEngine) -> dict[tuple[str, str], int]:
    async with reading(engine, COUNTS) as conn:
        rows = await conn.execute(sa.select(EVENT_COUNTS))
        return {(t, n): int(k) for t, n, k in rows}


async def scalar(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one() or 0)


async def test_replay_republishes_the_store_in_order_with_the_relays_messages(
    engine: AsyncEngine, settings: Settings, kafka_bootstrap: str, scheduler_topic: str
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="scheduler", topic=scheduler_topic)
    await append_rounds(store, engine)
    await relay_all(engine, settings)
    relayed = await records_by_partition(kafka_bootstrap, scheduler_topic, ROUNDS)

    broker = make_broker(settings)
    await broker.connect()
    try:
        progress: list[tuple[int, int]] = []
        result = await replay(
            engine,
            SCHEMA,
            broker,
            scheduler_topic,
            batch_size=10,
            on_progress=lambda *p: progress.append(p),
        )
        # A running relay holds its lock: the replay goes ahead without it.
        async with engine.connect() as relay_conn:
            held = await relay_conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": relay_lock_key(SCHEMA)}
            )
            assert held.scalar_one() is True
            beside_relay = await replay(engine, SCHEMA, broker, scheduler_topic)
            await relay_conn.execute(
                text("SELECT pg_advisory_unlock(:k)"), {"k": relay_lock_key(SCHEMA)}
            )
    finally:
        await broker.stop()
    assert (result.published, result.held_relay_lock) == (ROUNDS, True)
    assert (beside_relay.published, beside_relay.held_relay_lock) == (ROUNDS, False)
    assert progress == [(10, 42), (20, 42), (30, 42), (40, 42), (42, 42)]

    after = await records_by_partition(kafka_bootstrap, scheduler_topic, 3 * ROUNDS)
    for partition, original in relayed.items():
        n = len(original)
        records = after[partition]
        assert len(records) == 3 * n
        # Each replay puts the partition's events again, in the same order,
        # as the same messages: key = wheel id, the same headers and envelope.
        assert [message(r) for r in records[n : 2 * n]] == [message(r) for r in original]
        assert [message(r) for r in records[2 * n :]] == [message(r) for r in original]
    assert {message(r)[0] for rs in relayed.values() for r in rs} == {
        f"w-{i}".encode() for i in range(WHEELS)
    }


async def test_rebuild_resumes_after_a_cancel_and_swaps_in_under_the_live_runner(
    engine: AsyncEngine, settings: Settings, kafka_bootstrap: str, scheduler_topic: str
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="scheduler", topic=scheduler_topic)
    await append_rounds(store, engine)
    await relay_all(engine, settings)
    broker = make_broker(settings)
    await broker.connect()
    try:
        # The topic then holds every event twice: the rebuild must count each once.
        await replay(engine, SCHEMA, broker, scheduler_topic)
    finally:
        await broker.stop()
    records = 2 * ROUNDS
    live = projection_schema(COUNTS)
    shadow = shadow_schema(COUNTS)

    async def live_read() -> int:
        return await scalar(engine, f"SELECT sum(next_offset) FROM {live}.consumer_positions")

    await ensure_all(engine, [COUNTS])
    runner = ProjectionRunner(settings, engine, COUNTS, batch_size=10)
    running = asyncio.create_task(runner.run())
    try:
        await eventually(live_read, records, "the live runner to read every record")
        fed = await live_rows(engine)
        assert fed == FED

        # A rebuild cancelled after its first batch keeps what it committed.
        first_batch = asyncio.Event()

        def on_first(progress: RebuildProgress) -> None:
            if progress.read:
                first_batch.set()

        cancelled = asyncio.create_task(
            rebuild(settings, engine, COUNTS, batch_size=10, on_progress=on_first)
        )
        await first_batch.wait()
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        read_before = await scalar(
            engine, f"SELECT sum(next_offset) FROM {shadow}.consumer_positions"
        )
        handled_before = await scalar(engine, f"SELECT count(*) FROM {shadow}.handled_events")
        assert 0 < read_before < records
        assert 0 < handled_before <= read_before
        assert await live_rows(engine) == FED

        # Resumed; its first batch waits while more events arrive, which the
        # live runner projects into the old schema, past where the rebuild stops.
        gated = GatedCounts()
        reports: list[RebuildProgress] = []
        resumed = asyncio.create_task(
            rebuild(settings, engine, gated, batch_size=10, on_progress=reports.append)
        )
        await gated.reached.wait()
        with pytest.raises(FailedPrecondition, match="already running"):
            await rebuild(settings, engine, COUNTS)
        await archive_all(store, engine)
        await relay_all(engine, settings)
        await eventually(
            lambda: live_rows(engine), FED | ARCHIVED_ROWS, "the live runner to project them"
        )
        gated.gate.set()
        result = await resumed

        assert result.resumed
        assert result.read == records - read_before
        assert result.handled == ROUNDS - handled_before
        assert result.duplicates == result.read - result.handled
        assert reports[-1].read == reports[-1].total == records - read_before

        # Swapped in: the runner went on from the rebuilt positions, so the
        # archived wheels reach the new read model exactly once.
        await eventually(live_read, records + WHEELS, "the live runner to go on after the swap")
        assert await live_rows(engine) == FED | ARCHIVED_ROWS
        assert (
            await scalar(engine, f"SELECT count(*) FROM {live}.handled_events") == ROUNDS + WHEELS
        )
        schemas = await scalar(
            engine,
            f"SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE '{live}%'",
        )
        assert schemas == 1
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running


async def test_a_rebuild_counts_an_event_once_however_often_the_topic_holds_it(
    engine: AsyncEngine, settings: Settings, scheduler_topic: str
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="scheduler", topic=scheduler_topic)
    await append_rounds(store, engine)
    await relay_all(engine, settings)
    broker = make_broker(settings)
    await broker.connect()
    try:
        for _ in range(2):
            await replay(engine, SCHEMA, broker, scheduler_topic)
    finally:
        await broker.stop()
    # One batch holds all three copies of every event.
    result = await rebuild(settings, engine, COUNTS)
    assert (result.read, result.handled, result.duplicates) == (3 * ROUNDS, ROUNDS, 2 * ROUNDS)
    assert not result.resumed
    assert await live_rows(engine) == FED


async def test_the_replay_command_republishes_a_service_of_the_running_stack(
    engine: AsyncEngine, settings: Settings, kafka_bootstrap: str, scheduler_topic: str
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="scheduler", topic=scheduler_topic)
    await append_rounds(store, engine)
    assert settings.database_url is not None
    StackFile(
        database_url=settings.database_url,
        kafka_bootstrap=kafka_bootstrap,
        services=(),
        supervisor_pid=os.getpid(),
        started_at=T0,
        embedded_postgres=True,
        embedded_kafka=True,
    ).write(settings.home)
    command = [sys.executable, "-m", "arshjul.cli", "replay", "--service", "scheduler"]
    env = {
        **os.environ,
        "ARSHJUL_HOME": str(settings.home),
        "ARSHJUL_TOPIC_PREFIX": settings.topic_prefix,
    }
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"42 events of scheduler.events → {scheduler_topic}" in done.stdout
    published = await records_by_partition(kafka_bootstrap, scheduler_topic, ROUNDS)
    for records in published.values():
        envelopes = [EventEnvelope.from_bytes(r.value) for r in records if r.value]
        for i in range(WHEELS):
            versions = [e.aggregate_version for e in envelopes if e.aggregate_id == f"w-{i}"]
            assert versions == sorted(versions)
    wheels = Counter(
        EventEnvelope.from_bytes(r.value).aggregate_id
        for records in published.values()
        for r in records
        if r.value
    )
    assert wheels == {f"w-{i}": 2 * (i + 1) for i in range(WHEELS)}
