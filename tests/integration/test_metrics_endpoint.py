"""The metrics against the real servers: the relay and consumer figures in
process, and a running scheduler's /metrics endpoint after a few commands."""

from __future__ import annotations

import asyncio
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

import shared.outbox
from shared.api import scheduler_pb2 as pb
from shared.consumer import EffectivelyOnceConsumer
from shared.embedded.tansu import free_port
from shared.events.envelope import EventEnvelope
from shared.events.scheduler import WheelPaused
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext
from shared.kafka import make_broker
from shared.kafka_admin import ensure_topics
from shared.outbox import OutboxRelay
from shared.roles import Role
from shared.settings import Settings
from tests.support.eventstore import engine_with_event_store
from tests.support.scheduler import Client, migrate, token
from tests.support.service import ServiceProcess

SCHEMA = "metricsvc"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
EVENTS = 20


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_with_event_store(database_url, SCHEMA) as engine:
        yield engine


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _until(
    condition: Callable[[], bool],
    what: str,
    state: Callable[[], object] = lambda: "",
    timeout: float = 30.0,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what} ({state()})")
        await asyncio.sleep(0.05)


async def test_relay_and_consumer_report_published_handled_duplicates_and_lag(
    engine: AsyncEngine,
    settings: Settings,
    kafka_bootstrap: str,
    topic_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = f"{topic_prefix}metrics"
    # One partition: the offsets are 0..EVENTS-1, so the lag after n handled events is EVENTS-n.
    await ensure_topics(kafka_bootstrap, [topic], 1)
    store = EventStore(engine, schema=SCHEMA, producer="metrics-test", topic=topic)
    appended_before = _value(
        "arshjul_events_appended_total",
        producer="metrics-test",
        event_type="scheduler.WheelPaused.v1",
    )
    async with engine.begin() as conn:
        for i in range(EVENTS):
            at = T0 + timedelta(minutes=i)
            context = AppendContext(tenant="1480", correlation_id=uuid.uuid4())
            await store.append(
                conn, f"s-{i % 3}", i // 3, [NewEvent(WheelPaused(paused_at=at), at)], context, T0
            )
    assert (
        _value(
            "arshjul_events_appended_total",
            producer="metrics-test",
            event_type="scheduler.WheelPaused.v1",
        )
        == appended_before + EVENTS
    )

    # Sample the backlog between every two batches (the relay does it every few seconds).
    monkeypatch.setattr(shared.outbox, "BACKLOG_SAMPLE_SECONDS", 0.0)
    published_before = _value("arshjul_outbox_published_total", schema=SCHEMA)
    broker = make_broker(settings)
    await broker.connect()
    try:
        relay = OutboxRelay(engine, broker, schema=SCHEMA, batch_size=6)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            assert await relay.drain(conn) == EVENTS
    finally:
        await broker.stop()
    assert _value("arshjul_outbox_published_total", schema=SCHEMA) == published_before + EVENTS
    assert _value("arshjul_outbox_backlog", schema=SCHEMA) == 0
    assert _value("arshjul_outbox_relay_lag_seconds", schema=SCHEMA) >= 0

    name = f"metrics-{uuid.uuid4().hex[:8]}"
    lag_seen: list[tuple[int, float | None]] = []
    handled = 0

    async def handle(conn: AsyncConnection, envelopes: Sequence[EventEnvelope]) -> None:
        nonlocal handled
        # The lag the consumer reported after its previous batch (None: none yet,
        # or the partition was just assigned again).
        lag = REGISTRY.get_sample_value(
            "arshjul_consumer_lag", {"consumer": name, "topic": topic, "partition": "0"}
        )
        lag_seen.append((handled, lag))
        handled += len(envelopes)

    consumer = EffectivelyOnceConsumer(
        settings, engine, schema=SCHEMA, name=name, topics=[topic], handler=handle, batch_size=4
    )
    task = asyncio.create_task(_keep_running(consumer))
    try:
        await _until(
            lambda: (
                _value("arshjul_consumer_events_handled_total", consumer=name, topic=topic)
                == EVENTS
                and _value("arshjul_consumer_lag", consumer=name, topic=topic, partition="0") == 0
            ),
            "all events handled and no lag",
            lambda: (consumer.stats, lag_seen),
        )
        reported = [(done, lag) for done, lag in lag_seen if lag is not None]
        assert len(reported) >= 2, lag_seen
        assert [lag for _, lag in reported] == [EVENTS - done for done, _ in reported]

        # The same events again (a relay that republished): skipped, counted as duplicates.
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            async for _, envelope in store.read_all():
                await producer.send_and_wait(
                    topic, envelope.to_bytes(), key=envelope.aggregate_id.encode()
                )
        finally:
            await producer.stop()
        await _until(
            lambda: (
                # At least: a producer's retry may put a record on the topic twice.
                _value("arshjul_consumer_duplicates_skipped_total", consumer=name, topic=topic)
                >= EVENTS
            ),
            "the republished events skipped",
            lambda: consumer.stats,
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert _value("arshjul_consumer_events_handled_total", consumer=name, topic=topic) == EVENTS
    assert handled == EVENTS


async def _keep_running(consumer: EffectivelyOnceConsumer) -> None:
    """As the services run a consumer: a failure (a commit refused during a
    rebalance, say) restarts it from the positions stored with the read model."""
    while True:
        try:
            await consumer.run()
        except Exception:
            await asyncio.sleep(0.2)


def _scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        exposition = reply.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def _sum(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    wanted = set(labels.items())
    return sum(
        value for (sample, found), value in samples.items() if sample == name and wanted <= found
    )


async def test_a_running_scheduler_serves_its_metrics(
    settings: Settings,
    kafka_bootstrap: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured = settings.model_copy(
        update={
            "simulated_clock_start": datetime(2025, 4, 1, tzinfo=UTC),
            "scheduler_tick_seconds": 0.2,
        }
    )
    await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}scheduler.events"], 4)
    migrate(configured)
    metrics_port = free_port()
    # The test's service processes take the rest of their environment from this one.
    monkeypatch.setenv("ARSHJUL_METRICS_PORT", str(metrics_port))
    scheduler = ServiceProcess("scheduler", configured, free_port(), tmp_path / "scheduler.log")
    await scheduler.start()
    try:
        async with grpc.aio.insecure_channel(scheduler.address) as channel:
            manager = Client(channel, token(configured, "1480", Role.FOLLOW_UP))
            operator = Client(channel, token(configured, "region:14", Role.OPERATOR))
            await manager.CreateWheel(
                pb.CreateWheelRequest(
                    tenant="1480", unit="ifo-vuxen", template="loke-rapporteringshjul"
                )
            )
            await operator.AdvanceClock(pb.AdvanceClockRequest(to="2025-06-01"))
            with pytest.raises(grpc.aio.AioRpcError):
                await manager.GetWheel(pb.GetWheelRequest(wheel_id=str(uuid.uuid4())))

        db = create_async_engine(configured.database_url or "")
        try:
            async with db.connect() as conn:
                stored = int(
                    (await conn.execute(text("SELECT count(*) FROM scheduler.events"))).scalar_one()
                )
        finally:
            await db.dispose()
        # The wheel's creation and at least the LOKE step opening on 1 May.
        assert stored >= 2

        samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}

        def relayed_everything() -> bool:
            samples.update(_scrape(metrics_port))
            return _sum(samples, "arshjul_outbox_published_total", schema="scheduler") == stored

        await _until(relayed_everything, "the relay published every stored event")
    finally:
        scheduler.stop()

    service = "arshjul.scheduler.v1.Scheduler"
    handled = "arshjul_grpc_server_handled_total"
    assert (
        _sum(samples, handled, grpc_service=service, grpc_method="CreateWheel", grpc_code="OK") == 1
    )
    assert (
        _sum(samples, handled, grpc_service=service, grpc_method="AdvanceClock", grpc_code="OK")
        == 1
    )
    assert (
        _sum(samples, handled, grpc_service=service, grpc_method="GetWheel", grpc_code="NOT_FOUND")
        == 1
    )
    assert _sum(samples, "arshjul_grpc_server_handling_seconds_count", grpc_service=service) == 3
    assert _sum(samples, "arshjul_events_appended_total", producer="scheduler") == stored
    assert (
        _sum(samples, "arshjul_events_appended_total", event_type="scheduler.WheelCreated.v1") == 1
    )
    assert _sum(samples, "arshjul_outbox_backlog", schema="scheduler") == 0
    assert ("arshjul_outbox_relay_lag_seconds", frozenset({("schema", "scheduler")})) in samples
