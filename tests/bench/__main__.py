"""`make bench`: event store, outbox relay and raw Kafka rates from one run on this machine.

Rates are printed beside the raw limits measured in the same run (raw
aiokafka produce of the same records, raw asyncpg inserts), so what matters
is the share, not the absolute number. Targets (issue 3): appends ≥ 5,000
events/s, relay ≥ 50 % of raw produce.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.db import transaction
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
#: Runs of each append measure; the table shows the median.
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
console = Console()
RAW_INSERTS = "raw asyncpg: 10 rows per transaction"


def event(i: int) -> NewEvent:
    at = T0 + timedelta(seconds=i)
    return NewEvent(WheelPaused(paused_at=at), occurred_at=at)


async def timed(
    label: str,
    n: int,
    work: Callable[[], Awaitable[None]],
    *,
    prepare: Callable[[], Awaitable[None]] | None = None,
    repeats: int = 1,
) -> tuple[str, float]:
    """The median rate of `repeats` runs of `work`, each after an untimed `prepare`.

    The median, because a shared virtual machine's runs vary by a third.
    """
    rates = []
    for run in range(1, repeats + 1):
        if prepare is not None:
            await prepare()
        with console.status(f"{label} ({n:,} events, run {run} of {repeats})…"):
            start = time.perf_counter()
            await work()
            rates.append(n / (time.perf_counter() - start))
    return label, statistics.median(rates)


async def fresh_store(engine: AsyncEngine) -> EventStore:
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await create_event_store(conn, SCHEMA)
    return EventStore(engine, schema=SCHEMA, producer="bench", topic="bench.events")


async def many_streams(
    engine: AsyncEngine, store: EventStore, ctx: AppendContext, per_command: int
) -> None:
    """EVENTS events from 8 concurrent writers, each owning 125 of 1,000 streams."""

    async def writer(w: int) -> None:
        for i in range(EVENTS // 8 // per_command):
            stream = f"s-{w}-{i % 125}"
            async with transaction(engine) as conn:
                version = await store.stream_version(conn, stream)
                batch = [event(i * per_command + k) for k in range(per_command)]
                await store.append(conn, stream, version, batch, ctx, T0)

    await asyncio.gather(*(writer(w) for w in range(8)))


async def bench(database_url: str, bootstrap: str) -> list[tuple[str, float]]:
    settings = Settings(
        database_url=database_url, kafka_bootstrap=bootstrap, kafka_idempotence=False
    )
    engine = create_async_engine(database_url, pool_size=10)
    ctx = AppendContext(tenant="1480", correlation_id=uuid.uuid4())
    results = []

    store = await fresh_store(engine)

    async def empty_store() -> None:
        await fresh_store(engine)

    # 1. One stream, one command (transaction) appending 10 events at a time.
    async def one_stream() -> None:
        for version in range(0, EVENTS, 10):
            async with transaction(engine) as conn:
                batch = [event(version + i) for i in range(10)]
                await store.append(conn, "s-0", version, batch, ctx, T0)

    results.append(
        await timed(
            "append: one stream, 10 events per command",
            EVENTS,
            one_stream,
            prepare=empty_store,
            repeats=REPEATS,
        )
    )

    # 2. 1,000 streams, 8 concurrent writers, each command reading its stream's
    # version and appending: 10 events per command as in 1, then 1 (a command
    # rate). The relay below drains the last run's outbox.
    for per_command in (10, 1):
        plural = "s" if per_command > 1 else ""
        results.append(
            await timed(
                f"append: 1,000 streams, {per_command} event{plural} per command, 8 writers",
                EVENTS,
                partial(many_streams, engine, store, ctx, per_command),
                prepare=empty_store,
                repeats=REPEATS,
            )
        )

    # 3. Raw asyncpg inserts of the same rows (the database's limit on this machine).
    raw_url = asyncpg_dsn(database_url)
    async with engine.connect() as conn:
        payload = (
            await conn.execute(text(f"SELECT payload::text FROM {SCHEMA}.events LIMIT 1"))
        ).scalar()

    async def raw_table() -> None:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {SCHEMA}.raw"))
            await conn.execute(
                text(f"CREATE TABLE {SCHEMA}.raw (id bigserial, stream text, payload jsonb)")
            )

    async def raw_inserts() -> None:
        connection = await asyncpg.connect(raw_url)
        for _ in range(0, EVENTS, 10):
            async with connection.transaction():
                await connection.executemany(
                    f"INSERT INTO {SCHEMA}.raw (stream, payload) VALUES ($1, $2::jsonb)",
                    [("s-0", payload) for _ in range(10)],
                )
        await connection.close()

    results.append(
        await timed(RAW_INSERTS, EVENTS, raw_inserts, prepare=raw_table, repeats=REPEATS)
    )

    # 4. The relay draining the outbox of step 2 to the broker.
    topic = f"bench.{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic, f"{topic}.raw"], 4)
    async with engine.begin() as conn:
        await conn.execute(text(f"UPDATE {SCHEMA}.outbox SET topic = :t"), {"t": topic})
        outbox = await conn.execute(
            text(
                f"SELECT key, envelope, correlation_id, event_id, event_type FROM {SCHEMA}.outbox "
                "ORDER BY position"
            )
        )
        # The records exactly as the relay's producer gets them from FastStream:
        # key, envelope, and its headers (FastStream's content type and
        # correlation id, then the relay's event id and type).
        records = [
            (
                key.encode(),
                bytes(envelope),
                [
                    ("content-type", b""),
                    ("correlation_id", str(correlation_id).encode()),
                    ("event_id", str(event_id).encode()),
                    ("event_type", event_type.encode()),
                ],
            )
            for key, envelope, correlation_id, event_id, event_type in outbox
        ]
    broker = make_broker(settings)
    await broker.connect()
    relay = OutboxRelay.configured(engine, broker, settings, schema=SCHEMA)

    async def drain() -> None:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await relay.drain(conn)

    results.append(await timed("outbox relay → broker", len(records), drain))
    await broker.stop()

    # 5. Raw aiokafka produce of the same records, same producer settings.
    async def raw_produce() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, linger_ms=5, **producer_options(settings)
        )
        await producer.start()
        futures = [
            await producer.send(f"{topic}.raw", value, key=key, headers=headers)
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
        await producer.stop()

    results.append(await timed("raw aiokafka produce", len(records), raw_produce))
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
    one_stream = rates["append: one stream, 10 events per command"]
    many = rates["append: 1,000 streams, 10 events per command, 8 writers"]
    console.print(f"relay: {relay_share:.0%} of raw produce (target ≥ 50 %)")
    console.print(
        f"appends: {one_stream:,.0f} events/s on one stream, {many:,.0f} on 1,000 streams "
        f"(target ≥ 5,000); one stream is {one_stream / rates[RAW_INSERTS]:.0%} "
        "of raw asyncpg inserts"
    )


if __name__ == "__main__":
    asyncio.run(main())
