"""The reporting process: one effectively-once consumer per projection, the gRPC
queries, the compiled reports (their event store, outbox relay and the LOKE
wheel's triggers on scheduler.events)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Protocol

import grpc
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters import clients_api, knowledge_api, reports_api
from services.reporting.adapters.compiler import ReportCompiler
from services.reporting.adapters.read_models import ProjectionRunner, ensure_all
from services.reporting.adapters.rebuild_watch import RebuildWatch
from services.reporting.adapters.store import SCHEMA, ReportingTime
from services.reporting.adapters.triggers import WheelTriggers
from services.reporting.projections import PROJECTIONS
from shared.auth import verifier_from_settings
from shared.db import create_engine, database_url
from shared.entrypoint import stop_on_signals
from shared.grpc.server import start_server
from shared.kafka import make_broker
from shared.logging import configure_logging
from shared.metrics import serve_metrics
from shared.migrations import upgrade
from shared.outbox import OutboxRelay
from shared.settings import Settings

NAME = "reporting"
DEFAULT_GRPC_PORT = 50064
#: The metrics port `arshjul up` and deploy/ give it (ARSHJUL_METRICS_PORT).
DEFAULT_METRICS_PORT = 9164
MIGRATIONS = Path(__file__).parent / "migrations"

log = structlog.get_logger(__name__)


class QueryApi(Protocol):
    """A module serving one gRPC service of reporting queries."""

    SERVICE_NAME: str

    def register(self, server: grpc.aio.Server, engine: AsyncEngine) -> None: ...


#: The gRPC query services of the read models this process serves.
APIS: tuple[QueryApi, ...] = (clients_api, knowledge_api)
#: Every gRPC service it serves: the queries and the compiled reports.
SERVICE_NAMES: tuple[str, ...] = (*(api.SERVICE_NAME for api in APIS), reports_api.SERVICE_NAME)


def migrate(settings: Settings) -> None:
    """The service's own schema (Alembic), then every projection's read model."""
    asyncio.run(_migrate(settings))


async def _migrate(settings: Settings) -> None:
    await upgrade(database_url(settings), MIGRATIONS, SCHEMA)
    engine = create_engine(settings)
    try:
        await ensure_all(engine, PROJECTIONS)
    finally:
        await engine.dispose()


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    configure_logging(settings, service=NAME)
    stop = stop or stop_on_signals()
    metrics = serve_metrics(settings, service=NAME)
    engine = create_engine(settings)
    await ensure_all(engine, PROJECTIONS)
    broker = make_broker(settings)
    await broker.connect()
    relay = OutboxRelay.configured(engine, broker, settings, schema=SCHEMA)
    time_source = ReportingTime(engine, settings)
    compiler = ReportCompiler(settings, engine, time_source=time_source, on_commit=relay.wake)
    reports = reports_api.ReportsServicer(settings, engine, compiler, time_source)
    server = await start_server(
        settings,
        port=settings.grpc_port or DEFAULT_GRPC_PORT,
        register=lambda s: _register(s, engine, reports),
        service_names=list(SERVICE_NAMES),
        verifier=verifier_from_settings(settings),
    )
    log.info("reporting serving", port=server.port, projections=[p.name for p in PROJECTIONS])
    tasks = [
        asyncio.create_task(_project(ProjectionRunner(settings, engine, p)), name=p.name)
        for p in PROJECTIONS
    ]
    tasks += [
        asyncio.create_task(relay.run(), name="outbox-relay"),
        asyncio.create_task(_trigger(WheelTriggers(settings, engine, compiler)), name="triggers"),
        asyncio.create_task(RebuildWatch(settings, engine, PROJECTIONS).run(), name="rebuilds"),
    ]
    try:
        await stop.wait()
    finally:
        log.info("reporting stopping")
        await server.stop(5)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await broker.stop()
        await engine.dispose()
        metrics.close()


def _register(
    server: grpc.aio.Server, engine: AsyncEngine, reports: reports_api.ReportsServicer
) -> None:
    for api in APIS:
        api.register(server, engine)
    reports_api.register(server, reports)


async def _project(runner: ProjectionRunner) -> None:
    """Run a projection for good: a failure is logged, and the consumer starts
    again from the positions stored with the read model."""
    while True:
        try:
            await runner.run()
        except Exception:
            log.exception("projection failed; restarting", projection=runner.projection.name)
            await asyncio.sleep(1)


async def _trigger(triggers: WheelTriggers) -> None:
    """Consume scheduler.events for good: after a failure the consumer starts
    again from the positions stored in schema `reporting`."""
    while True:
        try:
            await triggers.run()
        except Exception:
            log.exception("wheel triggers failed; restarting")
            await asyncio.sleep(1)
