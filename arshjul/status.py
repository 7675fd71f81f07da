"""`arshjul status`: each service's gRPC health and the event count per topic."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.console import Console
from rich.table import Table

from arshjul.stack import STACK_SERVICES, StackFile
from shared.kafka import topic
from shared.kafka_admin import topic_event_counts
from shared.settings import Settings


async def health_of(address: str) -> str:
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=3
            )
        except grpc.aio.AioRpcError as error:
            return f"UNREACHABLE ({error.code().name})"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


async def show_status(settings: Settings, console: Console) -> int:
    """Print the table; exit code 0 only when every service is SERVING."""
    stack = StackFile.load(settings.home)
    services = Table("service", "gRPC", "health")
    healthy = True
    for spec in STACK_SERVICES:
        address = stack.service_address(spec.name)
        state = await health_of(address)
        healthy &= state == "SERVING"
        services.add_row(spec.name, address, state)
    console.print(services)
    topics = [topic(settings, base) for spec in STACK_SERVICES for base in spec.topics]
    counts = await topic_event_counts(stack.kafka_bootstrap, topics)
    events = Table("topic", "events")
    for name in topics:
        events.add_row(name, str(counts.get(name, 0)))
    console.print(events)
    return 0 if healthy else 1
