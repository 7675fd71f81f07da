"""A rebuild's progress on the reporting service's /metrics: the rebuild runs
outside the service (as `arshjul reporting rebuild` does), and the running
service's rebuild watch shows the shadow it leaves when cancelled, then the
swap when it is resumed and finished."""

from __future__ import annotations

import asyncio
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.rebuild import RebuildProgress, rebuild, shadow_schema
from services.reporting.projections.knowledge import projection as knowledge
from shared.embedded.tansu import free_port
from shared.events.scheduler import WheelPaused
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext
from shared.kafka import make_broker, topic
from shared.kafka_admin import ensure_topics
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.support.eventstore import engine_with_event_store
from tests.support.service import ServiceProcess, migrate

SCHEMA = "rebuildsource"
T0 = datetime(2025, 2, 1, tzinfo=UTC)
#: Events on scheduler.events (which the knowledge projection reads and, being
#: no wheel steps, passes over): in batches of 5 the rebuild needs several.
EVENTS = 30
BATCH = 5
WAIT_S = 60.0


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_with_event_store(database_url, SCHEMA) as engine:
        yield engine


async def publish_events(engine: AsyncEngine, settings: Settings) -> None:
    store = EventStore(
        engine, schema=SCHEMA, producer="scheduler", topic=topic(settings, "scheduler.events")
    )
    async with engine.begin() as conn:
        for i in range(EVENTS):
            at = T0 + timedelta(minutes=i)
            context = AppendContext(tenant="1480", correlation_id=uuid.uuid4())
            await store.append(
                conn, f"w-{i % 6}", i // 6, [NewEvent(WheelPaused(paused_at=at), at)], context, T0
            )
    broker = make_broker(settings)
    await broker.connect()
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            assert await OutboxRelay(engine, broker, schema=SCHEMA).drain(conn) == EVENTS
    finally:
        await broker.stop()


def rebuild_gauges(port: int) -> dict[str, float]:
    """The knowledge projection's rebuild gauges on the endpoint, by metric name."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        exposition = reply.read().decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name.startswith("arshjul_rebuild_")
        and sample.labels.get("projection") == knowledge.name
    }


async def until_gauges(
    port: int, condition: Callable[[dict[str, float]], bool], what: str
) -> dict[str, float]:
    deadline = time.monotonic() + WAIT_S
    while True:
        gauges = await asyncio.to_thread(rebuild_gauges, port)
        if condition(gauges):
            return gauges
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what} ({gauges})")
        await asyncio.sleep(0.2)


async def test_the_reporting_service_shows_a_rebuild_that_runs_outside_it(
    engine: AsyncEngine,
    settings: Settings,
    kafka_bootstrap: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await ensure_topics(kafka_bootstrap, [topic(settings, t) for t in knowledge.topics], 2)
    await publish_events(engine, settings)
    migrate(settings, "reporting")
    metrics_port = free_port()
    # The service process takes the rest of its environment from this one.
    monkeypatch.setenv("ARSHJUL_METRICS_PORT", str(metrics_port))
    reporting = ServiceProcess("reporting", settings, free_port(), tmp_path / "reporting.log")
    await reporting.start()
    try:
        await until_gauges(
            metrics_port,
            lambda g: g.get("arshjul_rebuild_running") == 0,
            "the watch reporting no rebuild of knowledge",
        )

        # A rebuild cancelled after its first batch leaves its shadow schema.
        reports: list[RebuildProgress] = []
        first_batch = asyncio.Event()

        def on_progress(progress: RebuildProgress) -> None:
            reports.append(progress)
            if progress.read:
                first_batch.set()

        cancelled = asyncio.create_task(
            rebuild(settings, engine, knowledge, batch_size=BATCH, on_progress=on_progress)
        )
        await first_batch.wait()
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        # A fresh run starts at offset 0: its total is every record on the topics.
        on_topics = reports[-1].total
        assert on_topics is not None and on_topics >= EVENTS
        async with engine.connect() as conn:
            read = int(
                (
                    await conn.execute(
                        text(
                            "SELECT sum(next_offset) FROM "
                            f"{shadow_schema(knowledge)}.consumer_positions"
                        )
                    )
                ).scalar_one()
            )
        assert 0 < read < on_topics

        await until_gauges(
            metrics_port,
            lambda g: (
                g.get("arshjul_rebuild_running") == 1
                and g.get("arshjul_rebuild_events_read") == read
                and g.get("arshjul_rebuild_events_to_read") == on_topics
            ),
            f"the cancelled rebuild shown as running with {read} of {on_topics} events read",
        )
        assert "arshjul_rebuild_completed_timestamp_seconds" not in rebuild_gauges(metrics_port)

        # Resumed and swapped in.
        resumed_at = time.time()
        result = await rebuild(settings, engine, knowledge, batch_size=BATCH)
        assert result.resumed
        assert result.read == on_topics - read
        done = await until_gauges(
            metrics_port,
            lambda g: (
                g.get("arshjul_rebuild_running") == 0
                and g.get("arshjul_rebuild_completed_timestamp_seconds", 0) > 0
            ),
            "the swap shown as a completed rebuild",
        )
        assert done["arshjul_rebuild_completed_timestamp_seconds"] >= resumed_at
    finally:
        reporting.stop()
