"""The sessions process: gRPC API and outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import structlog

from services.sessions.adapters import grpc_api
from services.sessions.adapters.repository import SCHEMA, TOPIC, SessionsRepository
from services.sessions.application import SessionsApp
from shared.auth import verifier_from_settings
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

NAME = "sessions"
DEFAULT_GRPC_PORT = 50062
#: The metrics port `arshjul up` and deploy/ give it (ARSHJUL_METRICS_PORT).
DEFAULT_METRICS_PORT = 9162
MIGRATIONS = Path(__file__).parent / "migrations"

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
    app = SessionsApp(engine, SessionsRepository(store), on_commit=relay.wake)
    server = await start_server(
        settings,
        port=settings.grpc_port or DEFAULT_GRPC_PORT,
        register=lambda s: grpc_api.register(s, app),
        service_names=[grpc_api.SERVICE_NAME],
        verifier=verifier_from_settings(settings),
    )
    log.info("sessions serving", port=server.port)
    relaying = asyncio.create_task(relay.run(), name="outbox-relay")
    try:
        await stop.wait()
    finally:
        log.info("sessions stopping")
        await server.stop(5)
        relaying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relaying
        await broker.stop()
        await engine.dispose()
        metrics.close()
