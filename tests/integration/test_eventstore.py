"""The event store, the outbox relay and the effectively-once consumer,
against the real PostgreSQL and the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.consumer import EffectivelyOnceConsumer
from shared.db import ConnectionLost, transaction
from shared.errors import VersionConflict
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.events.scheduler import WheelPaused
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext
from shared.kafka import make_broker
from shared.kafka_admin import ensure_topics
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.support.eventstore import create_event_store
from tests.support.kafka import read_topic

SCHEMA = "testsvc"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await create_event_store(conn, SCHEMA)
        await conn.execute(
            text(f"CREATE TABLE {SCHEMA}.counts (event_type text PRIMARY KEY, n int NOT NULL)")
        )
    yield engine
    await engine.dispose()


def paused(minutes: int) -> NewEvent:
    at = T0 + timedelta(minutes=minutes)
    return NewEvent(WheelPaused(paused_at=at), occurred_at=at)


def context() -> AppendContext:
    return AppendContext(tenant="1480", correlation_id=uuid.uuid4())


UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


@pytest.fixture(params=["sqlalchemy", "driver"])
def unit_of_work(request: pytest.FixtureRequest, engine: AsyncEngine) -> UnitOfWork:
    """The event store's contract holds in both kinds of transaction: SQLAlchemy's
    `engine.begin()` and the command's `shared.db.transaction`, where it
    appends through the driver."""
    if request.param == "sqlalchemy":
        return engine.begin
    return lambda: transaction(engine)


async def test_append_then_load_gives_the_events_in_version_order(
    engine: AsyncEngine, unit_of_work: UnitOfWork
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="test", topic="t")
    async with unit_of_work() as conn:
        await store.append(conn, "s-1", 0, [paused(1), paused(2)], context(), T0)
    async with unit_of_work() as conn:
        await store.append(conn, "s-1", 2, [paused(3)], context(), T0)
    async with engine.connect() as conn:
        stream = await store.load(conn, "s-1")
    assert stream.version == 3
    assert [e.aggregate_version for e in stream.events] == [1, 2, 3]
    assert [decode(e) for e in stream.events] == [
        WheelPaused(paused_at=T0 + timedelta(minutes=m)) for m in (1, 2, 3)
    ]
    assert all(e.tenant == "1480" and e.producer == "test" for e in stream.events)


async def test_read_all_gives_every_stream_in_commit_order(
    engine: AsyncEngine, unit_of_work: UnitOfWork
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="test", topic="t")
    for minute, stream in enumerate(["s-1", "s-2", "s-1", "s-3"]):
        async with unit_of_work() as conn:
            version = await store.stream_version(conn, stream)
            await store.append(conn, stream, version, [paused(minute)], context(), T0)
    read = [(e.aggregate_id, e.aggregate_version) async for _, e in store.read_all(batch_size=3)]
    assert read == [("s-1", 1), ("s-2", 1), ("s-1", 2), ("s-3", 1)]
    later = [e.aggregate_id async for _, e in store.read_all(after_position=3)]
    assert later == ["s-3"]


async def test_a_stale_expected_version_is_refused_and_stores_nothing(
    engine: AsyncEngine, unit_of_work: UnitOfWork
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="test", topic="t")
    async with unit_of_work() as conn:
        await store.append(conn, "s-1", 0, [paused(1)], context(), T0)
    with pytest.raises(VersionConflict) as refused:
        async with unit_of_work() as conn:
            await store.append(conn, "s-1", 0, [paused(2)], context(), T0)
    assert refused.value.actual == 1
    assert await count(engine, "events") == 1
    assert await count(engine, "outbox") == 1


async def test_new_streams_are_appended_together_and_an_existing_one_refuses_the_lot(
    engine: AsyncEngine, unit_of_work: UnitOfWork
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="test", topic="t")
    async with unit_of_work() as conn:
        stored = await store.append_new_streams(
            conn, [("a", [paused(1), paused(2)]), ("b", [paused(3)])], context(), T0
        )
    assert [(e.aggregate_id, e.aggregate_version) for e in stored] == [("a", 1), ("a", 2), ("b", 1)]
    async with engine.connect() as conn:
        assert (await store.load(conn, "a")).version == 2
    with pytest.raises(VersionConflict):
        async with unit_of_work() as conn:
            await store.append_new_streams(
                conn, [("c", [paused(4)]), ("b", [paused(5)])], context(), T0
            )
    assert await count(engine, "events") == 3
    assert await count(engine, "outbox") == 3


async def test_concurrent_appends_at_one_version_let_exactly_one_win(
    engine: AsyncEngine, unit_of_work: UnitOfWork
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="test", topic="t")

    async def attempt(minute: int) -> bool:
        try:
            async with unit_of_work() as conn:
                await store.append(conn, "s-1", 0, [paused(minute)], context(), T0)
            return True
        except VersionConflict:
            return False

    results = await asyncio.gather(*(attempt(m) for m in range(8)))
    assert results.count(True) == 1
    assert await count(engine, "events") == 1
    assert await count(engine, "outbox") == 1


async def test_a_failing_command_rolls_back_the_append_and_its_own_statements(
    engine: AsyncEngine,
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="test", topic="t")
    with pytest.raises(RuntimeError, match="decided against it"):
        async with transaction(engine) as conn:
            await conn.execute(text(f"INSERT INTO {SCHEMA}.counts VALUES ('x', 1)"))
            await store.append(conn, "s-1", 0, [paused(1)], context(), T0)
            raise RuntimeError("decided against it")
    assert await count(engine, "events") == 0
    assert await count(engine, "outbox") == 0
    assert await count(engine, "counts") == 0


async def test_a_connection_lost_in_a_command_is_reported_and_the_next_one_works(
    engine: AsyncEngine,
) -> None:
    store = EventStore(engine, schema=SCHEMA, producer="test", topic="t")
    with pytest.raises(ConnectionLost):
        async with transaction(engine) as conn:
            await conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    with pytest.raises(ConnectionLost):
        async with transaction(engine) as conn:
            await store.stream_version(conn, "s-1")
            await terminate_other_connections(engine)
            await store.append(conn, "s-1", 0, [paused(1)], context(), T0)
    assert await count(engine, "events") == 0
    await terminate_other_connections(engine)  # the pooled connections too
    with pytest.raises(ConnectionLost):
        async with transaction(engine) as conn:
            pass
    async with transaction(engine) as conn:
        await store.append(conn, "s-1", 0, [paused(1)], context(), T0)
    assert await count(engine, "events") == 1


async def terminate_other_connections(engine: AsyncEngine) -> None:
    """Drop every other connection to the test database, as a server restart would."""
    killer = create_async_engine(engine.url)
    async with killer.connect() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await killer.dispose()


async def test_the_relay_publishes_every_event_once_in_order_per_key(
    engine: AsyncEngine, settings: Settings, kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}relay"
    await ensure_topics(kafka_bootstrap, [topic], 4)
    store = EventStore(engine, schema=SCHEMA, producer="test", topic=topic)
    streams = [f"s-{i}" for i in range(5)]
    for version in range(6):
        async with engine.begin() as conn:
            for stream in streams:
                await store.append(conn, stream, version, [paused(version)], context(), T0)
    broker = make_broker(settings)
    await broker.connect()
    relay = OutboxRelay(engine, broker, schema=SCHEMA, batch_size=7)
    task = asyncio.create_task(relay.run())
    try:
        published = await read_topic(kafka_bootstrap, topic, at_least=30)
    finally:
        task.cancel()
        await broker.stop()
    assert len(published) == 30
    assert len({e.event_id for e in published}) == 30
    for stream in streams:
        versions = [e.aggregate_version for e in published if e.aggregate_id == stream]
        assert versions == [1, 2, 3, 4, 5, 6]
    assert await count(engine, "outbox") == 0


async def test_a_relay_that_dies_before_marking_sent_republishes_and_consumers_count_once(
    engine: AsyncEngine, settings: Settings, kafka_bootstrap: str, topic_prefix: str
) -> None:
    """The crash window between publish and delete: the batch goes out twice,
    the effectively-once consumer counts it once."""
    topic = f"{topic_prefix}crash"
    await ensure_topics(kafka_bootstrap, [topic], 4)
    store = EventStore(engine, schema=SCHEMA, producer="test", topic=topic)
    async with engine.begin() as conn:
        for i in range(10):
            await store.append(conn, f"s-{i}", 0, [paused(i)], context(), T0)
    broker = make_broker(settings)
    await broker.connect()
    relay = OutboxRelay(engine, broker, schema=SCHEMA)
    async with engine.connect() as conn:
        transaction = await conn.begin()
        assert await relay.publish_batch(conn) == 10
        # The process dies here: the deletion of the sent rows never commits.
        await transaction.rollback()
    assert await count(engine, "outbox") == 10
    async with engine.begin() as conn:
        assert await relay.publish_batch(conn) == 10  # the restarted relay sends them again
    await broker.stop()
    raw = await read_topic(kafka_bootstrap, topic, at_least=10)
    assert len(raw) == 20  # every event twice on the topic

    async def handle(conn: AsyncConnection, envelopes: Sequence[EventEnvelope]) -> None:
        for envelope in envelopes:
            await conn.execute(
                text(
                    f"INSERT INTO {SCHEMA}.counts VALUES (:t, 1) "
                    "ON CONFLICT (event_type) DO UPDATE SET n = counts.n + 1"
                ),
                {"t": envelope.type},
            )

    consumer = EffectivelyOnceConsumer(
        settings, engine, schema=SCHEMA, name="counter", topics=[topic], handler=handle
    )
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(200):
            if consumer.stats.handled + consumer.stats.duplicates >= 20:
                break
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
    assert (consumer.stats.handled, consumer.stats.duplicates) == (10, 10)
    async with engine.connect() as conn:
        counted = (await conn.execute(text(f"SELECT n FROM {SCHEMA}.counts"))).scalar_one()
    assert counted == 10


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(text(f"SELECT count(*) FROM {SCHEMA}.{table}"))).scalar_one()
        )
