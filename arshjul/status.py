"""`arshjul status`: each service's gRPC health, its key metrics, and the event count per topic."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from rich.console import Console
from rich.table import Table

from arshjul.stack import STACK_SERVICES, StackFile
from shared.kafka import topic
from shared.kafka_admin import topic_event_counts
from shared.settings import Settings

SCRAPE_TIMEOUT_S = 3.0


async def health_of(address: str) -> str:
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=3
            )
        except grpc.aio.AioRpcError as error:
            return f"UNREACHABLE ({error.code().name})"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


@dataclass(frozen=True)
class KeyFigures:
    """What `status` shows of one service's metrics (None: the service has no such part)."""

    calls: int
    failed_calls: int
    events_appended: int | None
    outbox_backlog: int | None
    relay_lag_seconds: float | None
    events_handled: int | None
    consumer_lag: int | None
    rebuilding: tuple[str, ...]


def key_figures(exposition: str) -> KeyFigures:
    """The key figures in a Prometheus text exposition (shared.metrics' names)."""
    samples = [
        sample for family in text_string_to_metric_families(exposition) for sample in family.samples
    ]

    def named(name: str) -> list[Sample]:
        return [sample for sample in samples if sample.name == name]

    def total(name: str) -> int | None:
        found = named(name)
        return int(sum(sample.value for sample in found)) if found else None

    handled = named("arshjul_grpc_server_handled_total")
    lags = [sample.value for sample in named("arshjul_outbox_relay_lag_seconds")]
    return KeyFigures(
        calls=int(sum(sample.value for sample in handled)),
        failed_calls=int(
            sum(sample.value for sample in handled if sample.labels.get("grpc_code") != "OK")
        ),
        events_appended=total("arshjul_events_appended_total"),
        outbox_backlog=total("arshjul_outbox_backlog"),
        relay_lag_seconds=max(lags) if lags else None,
        events_handled=total("arshjul_consumer_events_handled_total"),
        consumer_lag=total("arshjul_consumer_lag"),
        rebuilding=tuple(
            sample.labels.get("projection", "")
            for sample in named("arshjul_rebuild_running")
            if sample.value
        ),
    )


def _scrape(address: str) -> str:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=SCRAPE_TIMEOUT_S) as reply:
        return str(reply.read().decode())


async def metrics_of(address: str) -> KeyFigures | str:
    """The service's key figures, or why they could not be read."""
    try:
        return key_figures(await asyncio.to_thread(_scrape, address))
    except OSError as error:
        # urllib wraps the socket's error: show that one ("Connection refused").
        reason = getattr(error, "reason", error)
        return f"unreachable ({getattr(reason, 'strerror', None) or reason})"


def _figure(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:.1f}{unit}" if isinstance(value, float) else f"{value:,}{unit}"


def metrics_table(rows: Iterable[tuple[str, KeyFigures | str]]) -> Table:
    table = Table(
        "service",
        "gRPC calls",
        "failed",
        "appended",
        "outbox",
        "relay lag",
        "handled",
        "consumer lag",
        "rebuilding",
        title="metrics",
        title_justify="left",
    )
    for name, figures in rows:
        if isinstance(figures, str):
            table.add_row(name, figures, *[""] * 7)
            continue
        table.add_row(
            name,
            _figure(figures.calls),
            _figure(figures.failed_calls),
            _figure(figures.events_appended),
            _figure(figures.outbox_backlog),
            _figure(figures.relay_lag_seconds, " s"),
            _figure(figures.events_handled),
            _figure(figures.consumer_lag),
            ", ".join(figures.rebuilding) or "–",
        )
    return table


async def show_status(settings: Settings, console: Console) -> int:
    """Print the tables; exit code 0 only when every service is SERVING."""
    stack = StackFile.load(settings.home)
    services = Table("service", "gRPC", "health")
    healthy = True
    for spec in STACK_SERVICES:
        address = stack.service_address(spec.name)
        state = await health_of(address)
        healthy &= state == "SERVING"
        services.add_row(spec.name, address, state)
    console.print(services)
    scraped: list[tuple[str, KeyFigures | str]] = []
    for spec in STACK_SERVICES:
        metrics_address = stack.service(spec.name).metrics_address
        if metrics_address is not None:
            scraped.append((spec.name, await metrics_of(metrics_address)))
    if scraped:
        console.print(metrics_table(scraped))
    topics = [topic(settings, base) for spec in STACK_SERVICES for base in spec.topics]
    counts = await topic_event_counts(stack.kafka_bootstrap, topics)
    events = Table("topic", "events")
    for name in topics:
        events.add_row(name, str(counts.get(name, 0)))
    console.print(events)
    return 0 if healthy else 1
