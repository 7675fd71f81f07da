"""`make bench`: event store, outbox relay and raw Kafka rates from one run on this machine.

Rates are printed beside the raw limits measured in the same run (raw
aiokafka produce of the same payloads, raw asyncpg inserts), so what matters
is the share, not the absolute number. Targets (issue 3): appends ≥ 5,000
events/s, relay ≥ 50 % of raw produce.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.embedded.postgres import (
    EmbeddedPostgres,
    asyncpg_dsn,
    create_database,
    database_url_for,
)
from shared.embedded.tansu import EmbeddedTansu
from shared.events.scheduler import WheelPaused
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext
from shared.kafka import make_broker, producer_options
from shared.kafka_admin import ensure_topics
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.bench.compile import bench as compile_bench
from tests.bench.measurements import bench as measurements_bench
from tests.bench.rebuild import bench as rebuild_bench
from tests.bench.sessions import bench as sessions_bench
from tests.support.eventstore import create_event_store

SCHEMA = "bench"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
console = Console()


def event(i: int) -> NewEvent:
    at = T0 + timedelta(seconds=i)
    return NewEvent(WheelPaused(paused_at=at), occurred_at=at)


async def timed(label: str, n: int, work: Callable[[], Awaitable[None]]) -> tuple[str, float]:
    with console.status(f"{label} ({n:,} events)…"):
        start = time.perf_counter()
        await work()
        elapsed = time.perf_counter() - start
    return label, n / elapsed


async def fresh_store(engine: AsyncEngine, topic: str) -> EventStore:
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await create_event_store(conn, SCHEMA)
    return EventStore(engine, schema=SCHEMA, producer="bench", topic=topic)


async def bench(database_url: str, bootstrap: str) -> list[tuple[str, float]]:
    settings = Settings(
        database_url=database_url, kafka_bootstrap=bootstrap, kafka_idempotence=False
    )
    engine = create_async_engine(database_url, pool_size=10)
    ctx = AppendContext(tenant="1480", correlation_id=uuid.uuid4())
    results = []

    # 1. One stream, one command (transaction) appending 10 events at a time.
    store = await fresh_store(engine, "bench.one")

    async def one_stream() -> None:
        for version in range(0, EVENTS, 10):
            async with engine.begin() as conn:
                batch = [event(version + i) for i in range(10)]
                await store.append(conn, "s-0", version, batch, ctx, T0)

    results.append(await timed("append: one stream, 10 events per command", EVENTS, one_stream))

    # 2. One event per command, 1,000 streams, 8 concurrent writers.
    store = await fresh_store(engine, "bench.many")
    per_writer = EVENTS // 8

    async def writer(w: int) -> None:
        for i in range(per_writer):
            stream = f"s-{w}-{i % 125}"  # each writer owns 125 of the 1,000 streams
            async with engine.begin() as conn:
                version = await store.stream_version(conn, stream)
                await store.append(conn, stream, version, [event(i)], ctx, T0)

    async def many_streams() -> None:
        await asyncio.gather(*(writer(w) for w in range(8)))

    results.append(
        await timed(
            "append: 1,000 streams, 1 event per command, 8 writers", 8 * per_writer, many_streams
        )
    )

    # 3. Raw asyncpg inserts of the same rows (the database's limit on this machine).
    raw_url = asyncpg_dsn(database_url)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(text(f"SELECT payload::text FROM {SCHEMA}.events LIMIT 1"))
        ).scalar()

    async def raw_inserts() -> None:
        connection = await asyncpg.connect(raw_url)
        await connection.execute("CREATE TABLE raw (id bigserial, stream text, payload jsonb)")
        for _ in range(0, EVENTS, 10):
            async with connection.transaction():
                await connection.executemany(
                    "INSERT INTO raw (stream, payload) VALUES ($1, $2::jsonb)",
                    [("s-0", rows) for _ in range(10)],
                )
        await connection.close()

    results.append(await timed("raw asyncpg: 10 rows per transaction", EVENTS, raw_inserts))

    # 4. The relay draining the outbox of step 2 to the broker.
    topic = f"bench.{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic, f"{topic}.raw"], 4)
    async with engine.begin() as conn:
        await conn.execute(text(f"UPDATE {SCHEMA}.outbox SET topic = :t"), {"t": topic})
        backlog = (await conn.execute(text(f"SELECT count(*) FROM {SCHEMA}.outbox"))).scalar_one()
        payloads = [
            bytes(r[0]) for r in await conn.execute(text(f"SELECT envelope FROM {SCHEMA}.outbox"))
        ]
    broker = make_broker(settings)
    await broker.connect()
    relay = OutboxRelay(engine, broker, schema=SCHEMA, batch_size=settings.relay_batch_size)

    async def drain() -> None:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await relay.drain(conn)

    results.append(await timed("outbox relay → broker", int(backlog), drain))
    await broker.stop()

    # 5. Raw aiokafka produce of the same payloads, same producer settings.
    async def raw_produce() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, linger_ms=5, **producer_options(settings)
        )
        await producer.start()
        futures = [
            await producer.send(f"{topic}.raw", value, key=f"s-{i % 1000}".encode())
            for i, value in enumerate(payloads)
        ]
        await asyncio.gather(*futures)
        await producer.stop()

    results.append(await timed("raw aiokafka produce", len(payloads), raw_produce))
    await engine.dispose()
    return results


#: Each suite gets the run's database URL and broker; it keeps to its own schema
#: and topics, and returns (measure, events/s) rows for the table.
SUITES: tuple[Callable[[str, str], Awaitable[list[tuple[str, float]]]], ...] = (
    bench,
    measurements_bench,
    rebuild_bench,
    sessions_bench,
    compile_bench,
)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        postgres: EmbeddedPostgres | None = None
        database_url = os.environ.get("DATABASE_URL")
        if not database_url:
            postgres = EmbeddedPostgres(Path(tmp) / "pgdata")
            database_url = postgres.start()
        name = f"bench_{uuid.uuid4().hex[:8]}"
        await create_database(database_url, name)
        database_url = database_url_for(database_url, name)
        tansu = EmbeddedTansu()
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP") or tansu.start()
        try:
            results = []
            for suite in SUITES:
                results += await suite(database_url, bootstrap)
        finally:
            tansu.stop()
            if postgres is not None:
                postgres.stop()
    rates = dict(results)
    table = Table("measure", "events/s", title=f"Årshjul benchmarks ({EVENTS:,} events)")
    for label, rate in results:
        table.add_row(label, f"{rate:,.0f}")
    console.print(table)
    relay_share = rates["outbox relay → broker"] / rates["raw aiokafka produce"]
    append_share = (
        rates["append: one stream, 10 events per command"]
        / rates["raw asyncpg: 10 rows per transaction"]
    )
    console.print(f"relay: {relay_share:.0%} of raw produce (target ≥ 50 %)")
    console.print(f"append (one stream): {append_share:.0%} of raw asyncpg inserts")


if __name__ == "__main__":
    asyncio.run(main())
