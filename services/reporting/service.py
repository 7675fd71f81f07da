"""The reporting process: one effectively-once consumer per projection, and the gRPC queries."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import grpc
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters import clients_api, knowledge_api
from services.reporting.adapters.read_models import ProjectionRunner, ensure_all
from services.reporting.projections import PROJECTIONS
from shared.auth import verifier_from_settings
from shared.db import create_engine
from shared.entrypoint import stop_on_signals
from shared.grpc.server import start_server
from shared.logging import configure_logging
from shared.metrics import serve_metrics
from shared.settings import Settings

NAME = "reporting"
DEFAULT_GRPC_PORT = 50064
#: The metrics port `arshjul up` and deploy/ give it (ARSHJUL_METRICS_PORT).
DEFAULT_METRICS_PORT = 9164

log = structlog.get_logger(__name__)


class QueryApi(Protocol):
    """A module serving one gRPC service of reporting queries."""

    SERVICE_NAME: str

    def register(self, server: grpc.aio.Server, engine: AsyncEngine) -> None: ...


#: The gRPC query services this process serves.
APIS: tuple[QueryApi, ...] = (clients_api, knowledge_api)


def migrate(settings: Settings) -> None:
    asyncio.run(_migrate(settings))


async def _migrate(settings: Settings) -> None:
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
    server = await start_server(
        settings,
        port=settings.grpc_port or DEFAULT_GRPC_PORT,
        register=lambda s: _register(s, engine),
        service_names=[api.SERVICE_NAME for api in APIS],
        verifier=verifier_from_settings(settings),
    )
    log.info("reporting serving", port=server.port, projections=[p.name for p in PROJECTIONS])
    tasks = [
        asyncio.create_task(_project(ProjectionRunner(settings, engine, p)), name=p.name)
        for p in PROJECTIONS
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
        await engine.dispose()
        metrics.close()


def _register(server: grpc.aio.Server, engine: AsyncEngine) -> None:
    for api in APIS:
        api.register(server, engine)


async def _project(runner: ProjectionRunner) -> None:
    """Run a projection for good: a failure is logged, and the consumer starts
    again from the positions stored with the read model."""
    while True:
        try:
            await runner.run()
        except Exception:
            log.exception("projection failed; restarting", projection=runner.projection.name)
            await asyncio.sleep(1)
