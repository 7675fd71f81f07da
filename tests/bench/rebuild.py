"""`make bench`: the rate of a projection rebuild beside a raw aiokafka → asyncpg loop.

Both read the same topic of BENCH_REBUILD_EVENTS events (default 500,000,
produced once, 4 partitions) from the earliest offsets to the end:

- raw: fetch batches with aiokafka, decode each record's JSON, COPY one row
  per event into a table, commit per batch (what a hand-written loop can do);
- rebuild: `services.reporting.adapters.rebuild.rebuild` of a projection into
  its shadow schema and the swap, effectively once (every event id claimed,
  positions stored in each batch's transaction).

The projection has the shape of the real ones: additive statistics per
(tenant, unit) — count, sum and sum of squares of a score — upserted as
per-batch deltas. Target (issue 6): rebuild ≥ 50 % of the raw rate.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rich.console import Console
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.reporting.adapters.rebuild import rebuild
from shared.embedded.postgres import asyncpg_dsn
from shared.events.envelope import EventEnvelope
from shared.kafka import topic
from shared.kafka_admin import ensure_topics
from shared.settings import Settings

EVENTS = int(os.environ.get("BENCH_REBUILD_EVENTS", "500000"))
BATCH = 5000
BASE_TOPIC = "bench.scores"
T0 = datetime(2025, 5, 1, tzinfo=UTC)
RAW = "rebuild: raw aiokafka → asyncpg loop"
REBUILT = "rebuild: projection rebuild (shadow schema, swap)"
console = Console()

METADATA = sa.MetaData()
SCORES = sa.Table(
    "scores",
    METADATA,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("unit", sa.Text, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("squares", sa.BigInteger, nullable=False),
)


class UnitScores:
    """Count, sum and sum of squares of a score per (tenant, unit)."""

    name = "bench_scores"
    topics: tuple[str, ...] = (BASE_TOPIC,)
    metadata = METADATA

    async def apply(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        deltas: dict[tuple[str, str], list[int]] = {}
        for event in events:
            score = int(event.payload["score"])
            delta = deltas.setdefault((event.tenant, str(event.payload["unit"])), [0, 0, 0])
            delta[0] += 1
            delta[1] += score
            delta[2] += score * score
        upsert = insert(SCORES).values(
            [
                {"tenant": tenant, "unit": unit, "n": n, "total": total, "squares": squares}
                for (tenant, unit), (n, total, squares) in deltas.items()
            ]
        )
        await conn.execute(
            upsert.on_conflict_do_update(
                index_elements=["tenant", "unit"],
                set_={
                    "n": SCORES.c.n + upsert.excluded.n,
                    "total": SCORES.c.total + upsert.excluded.total,
                    "squares": SCORES.c.squares + upsert.excluded.squares,
                },
            )
        )


def envelope(i: int) -> EventEnvelope:
    tenant = ("1480", "1481", "1482", "0180")[i % 4]
    unit = f"unit-{i % 40}"
    at = T0 + timedelta(seconds=i)
    return EventEnvelope(
        type="bench.ScoreRecorded.v1",
        schema_version=1,
        tenant=tenant,
        aggregate_id=f"follow-up-{i % 5000}",
        aggregate_version=i // 5000 + 1,
        occurred_at=at,
        recorded_at=at,
        correlation_id=uuid.uuid4(),
        producer="bench",
        payload={"unit": unit, "measure": "rci", "score": i % 37},
    )


async def produce(bootstrap: str, name: str) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, acks="all", enable_idempotence=False
    )
    await producer.start()
    try:
        pending = []
        for i in range(EVENTS):
            event = envelope(i)
            pending.append(
                await producer.send(
                    name,
                    event.to_bytes(),
                    key=event.aggregate_id.encode(),
                    headers=[("event_id", str(event.event_id).encode())],
                )
            )
            if len(pending) == BATCH:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def raw_loop(database_url: str, bootstrap: str, name: str) -> int:
    """Fetch, decode, COPY one row per event, commit per batch; returns records read."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await connection.execute(
        "DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw "
        "(event_id uuid PRIMARY KEY, tenant text, unit text, score integer)"
    )
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    read = 0
    try:
        await consumer.topics()
        partitions = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        while read < EVENTS:
            fetched = await consumer.getmany(timeout_ms=500, max_records=BATCH)
            rows = []
            for records in fetched.values():
                for record in records:
                    event = json.loads(record.value or b"{}")
                    payload = event["payload"]
                    rows.append(
                        (
                            uuid.UUID(event["event_id"]),
                            event["tenant"],
                            payload["unit"],
                            payload["score"],
                        )
                    )
            if rows:
                async with connection.transaction():
                    await connection.copy_records_to_table(
                        "bench_raw", records=rows, columns=["event_id", "tenant", "unit", "score"]
                    )
            read += len(rows)
    finally:
        await consumer.stop()
        await connection.close()
    return read


async def bench(database_url: str, bootstrap: str) -> list[tuple[str, float]]:
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        kafka_idempotence=False,
        topic_prefix=f"b{uuid.uuid4().hex[:6]}.",
    )
    name = topic(settings, BASE_TOPIC)
    await ensure_topics(bootstrap, [name], 4)
    with console.status(f"producing {EVENTS:,} events for the rebuild…"):
        await produce(bootstrap, name)

    with console.status(f"raw aiokafka → asyncpg loop ({EVENTS:,} events)…"):
        started = time.perf_counter()
        read = await raw_loop(database_url, bootstrap, name)
        raw_rate = read / (time.perf_counter() - started)

    engine = create_async_engine(database_url, pool_size=4)
    try:
        with console.status(f"projection rebuild ({EVENTS:,} events)…"):
            started = time.perf_counter()
            result = await rebuild(settings, engine, UnitScores(), batch_size=BATCH)
            rebuild_rate = result.read / (time.perf_counter() - started)
    finally:
        await engine.dispose()
    console.print(
        f"rebuild: {rebuild_rate:,.0f} events/s, {rebuild_rate / raw_rate:.0%} of the raw loop's "
        f"{raw_rate:,.0f} (target ≥ 50 %; {EVENTS:,} events)"
    )
    return [(RAW, raw_rate), (REBUILT, rebuild_rate)]
