"""The scheduler process: gRPC API, outbox relay, the due-occurrence ticker, the
consumer of sessions.events that completes the occurrences sessions answer, and
the consumer of reporting.events that completes the steps compiled reports and
managers' comments answer."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import structlog

from services.scheduler.adapters import grpc_api
from services.scheduler.adapters.clock import SchedulerTime
from services.scheduler.adapters.repository import SCHEMA, TOPIC, WheelRepository
from services.scheduler.application import SchedulerApp
from shared.auth import verifier_from_settings
from shared.consumer import EffectivelyOnceConsumer
from shared.db import create_engine, database_url
from shared.entrypoint import stop_on_signals
from shared.eventstore import EventStore
from shared.grpc.server import start_server
from shared.kafka import make_broker, topic
from shared.logging import configure_logging
from shared.metrics import serve_metrics
from shared.migrations import run_upgrade
from shared.outbox import OutboxRelay
from shared.settings import Settings

NAME = "scheduler"
DEFAULT_GRPC_PORT = 50061
#: The metrics port `arshjul up` and deploy/ give it (ARSHJUL_METRICS_PORT).
DEFAULT_METRICS_PORT = 9161
MIGRATIONS = Path(__file__).parent / "migrations"
#: The sessions service's topic: a SessionRecorded may answer an occurrence.
SESSIONS_TOPIC = "sessions.events"
#: The reporting service's topic: a ReportCompiled (or a manager's comment) may
#: complete a step of the LOKE wheel.
REPORTING_TOPIC = "reporting.events"

log = structlog.get_logger(__name__)


def migrate(settings: Settings) -> None:
    run_upgrade(database_url(settings), MIGRATIONS, SCHEMA)


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    configure_logging(settings, service=NAME)
    stop = stop or stop_on_signals()
    metrics = serve_metrics(settings, service=NAME)
    engine = create_engine(settings)
    broker = make_broker(settings)
    await broker.connect()
    store = EventStore(engine, schema=SCHEMA, producer=NAME, topic=topic(settings, TOPIC))
    relay = OutboxRelay.configured(engine, broker, settings, schema=SCHEMA)
    time = SchedulerTime(
        engine, mode=settings.clock, simulated_start=settings.simulated_clock_start
    )
    app = SchedulerApp(engine, WheelRepository(store), time, on_commit=relay.wake)
    server = await start_server(
        settings,
        port=settings.grpc_port or DEFAULT_GRPC_PORT,
        register=lambda s: grpc_api.register(s, app),
        service_names=[grpc_api.SERVICE_NAME],
        verifier=verifier_from_settings(settings),
    )
    log.info("scheduler serving", port=server.port, clock=settings.clock)
    sessions = EffectivelyOnceConsumer(
        settings,
        engine,
        schema=SCHEMA,
        name="scheduler-sessions",
        topics=[topic(settings, SESSIONS_TOPIC)],
        handler=app.complete_answered,
    )
    reporting = EffectivelyOnceConsumer(
        settings,
        engine,
        schema=SCHEMA,
        name="scheduler-reporting",
        topics=[topic(settings, REPORTING_TOPIC)],
        handler=app.complete_reported,
    )
    tasks = [
        asyncio.create_task(relay.run(), name="outbox-relay"),
        asyncio.create_task(_tick(app, settings.scheduler_tick_seconds), name="ticker"),
        asyncio.create_task(_consume(sessions), name="sessions-consumer"),
        asyncio.create_task(_consume(reporting), name="reporting-consumer"),
    ]
    try:
        await stop.wait()
    finally:
        log.info("scheduler stopping")
        await server.stop(5)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await broker.stop()
        await engine.dispose()
        metrics.close()


async def _tick(app: SchedulerApp, every: float) -> None:
    """Emit what has come due, over and over; a failure is logged and retried."""
    while True:
        try:
            emitted = await app.emit_due()
            if emitted:
                log.info("occurrences emitted", events=emitted)
        except Exception:
            log.exception("ticker failed; retrying")
        await asyncio.sleep(every)


async def _consume(consumer: EffectivelyOnceConsumer) -> None:
    """Consume for good: after a failure (a lost race on a wheel's stream version,
    say) the consumer starts again from the positions stored with the wheels."""
    while True:
        try:
            await consumer.run()
        except Exception:
            log.exception("consumer failed; restarting", consumer=consumer.name)
            await asyncio.sleep(1.0)
