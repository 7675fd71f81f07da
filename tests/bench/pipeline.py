"""What the service bench suites share: wait for the relay, the raw
aiokafka → asyncpg loop over a topic, and a projection's rate over the same topic."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.read_models import ProjectionRunner, ensure_schema
from services.reporting.projections.base import Projection
from shared.embedded.postgres import asyncpg_dsn
from shared.settings import Settings


async def relayed(engine: AsyncEngine, schema: str) -> int:
    """Wait until the outbox is empty; returns how many events the store holds."""
    for _ in range(1200):
        async with engine.connect() as conn:
            backlog = (await conn.execute(text(f"SELECT count(*) FROM {schema}.outbox"))).scalar()
            if backlog == 0:
                stored = await conn.execute(text(f"SELECT count(*) FROM {schema}.events"))
                return int(stored.scalar_one())
        await asyncio.sleep(0.25)
    raise RuntimeError("the outbox did not drain")


async def raw_loop(database_url: str, bootstrap: str, topic: str, total: int, table: str) -> float:
    """The raw limit: fetch the topic, insert each batch with executemany, commit per batch."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await connection.execute(
        f"CREATE TABLE {table} (event_id uuid PRIMARY KEY, type text, payload jsonb)"
    )
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    started = time.perf_counter()
    await consumer.start()
    read = 0
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        while read < total:
            fetched = await consumer.getmany(timeout_ms=500, max_records=500)
            rows = []
            for records in fetched.values():
                for record in records:
                    event = json.loads(record.value or b"{}")
                    rows.append(
                        (uuid.UUID(event["event_id"]), event["type"], json.dumps(event["payload"]))
                    )
            if rows:
                async with connection.transaction():
                    await connection.executemany(
                        f"INSERT INTO {table} VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING",
                        rows,
                    )
            read += len(rows)
    finally:
        await consumer.stop()
        await connection.close()
    return read / (time.perf_counter() - started)


async def projected(
    settings: Settings, engine: AsyncEngine, projection: Projection, schema: str, total: int
) -> float:
    """Events per second a projection handles from its topics into `schema`."""
    async with engine.begin() as conn:
        await ensure_schema(conn, projection, schema)
    runner = ProjectionRunner(settings, engine, projection, schema=schema)
    started = time.perf_counter()
    running = asyncio.create_task(runner.run(), name=f"bench projection {projection.name}")
    try:
        while runner.consumer.stats.handled < total:
            if running.done():
                running.result()
                raise RuntimeError("the projection stopped early")
            await asyncio.sleep(0.05)
        return total / (time.perf_counter() - started)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
