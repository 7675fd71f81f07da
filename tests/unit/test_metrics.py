"""The metrics: gRPC calls counted by method and code on a real loopback server,
the /metrics endpoint, rebuild progress, and the key figures `arshjul status` shows."""

from __future__ import annotations

import urllib.request
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
import pytest
from prometheus_client import REGISTRY

from arshjul.status import KeyFigures, key_figures, metrics_of
from shared.auth import SecretVerifier, TokenIssuer
from shared.embedded.tansu import free_port
from shared.errors import InvalidArgument
from shared.grpc.metrics import split_method
from shared.grpc.server import GrpcServer, auth_metadata, start_server
from shared.metrics import METRIC_NAMES, RebuildMetrics, serve_metrics
from shared.roles import Role
from shared.settings import Settings

SECRET = b"m" * 48
TOKEN = TokenIssuer(SECRET, "arshjul-test", "arshjul").issue("1480", Role.FOLLOW_UP)


def _identity(data: bytes) -> bytes:
    return data


async def ok(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return request


async def invalid(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise InvalidArgument("must be a municipality code", field="tenant")


async def count(
    request: bytes, context: grpc.aio.ServicerContext[Any, Any]
) -> AsyncIterator[bytes]:
    for n in range(int(request)):
        yield str(n).encode()


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def probe() -> AsyncIterator[tuple[str, GrpcServer]]:
    """A server with one raw-bytes service named uniquely, so its counters start at 0."""
    service = f"arshjul.test.v1.Metrics{uuid.uuid4().hex[:8]}"
    handlers = {
        "Ok": grpc.unary_unary_rpc_method_handler(ok, _identity, _identity),
        "Invalid": grpc.unary_unary_rpc_method_handler(invalid, _identity, _identity),
        "Count": grpc.unary_stream_rpc_method_handler(count, _identity, _identity),
    }

    def register(server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))

    server = await start_server(
        Settings(grpc_host="127.0.0.1"),
        port=0,
        register=register,
        service_names=[service],
        verifier=SecretVerifier(SECRET, "arshjul-test", "arshjul"),
    )
    yield service, server
    await server.stop(None)


def test_a_method_path_splits_into_service_and_method() -> None:
    assert split_method("/arshjul.scheduler.v1.Scheduler/CreateWheel") == (
        "arshjul.scheduler.v1.Scheduler",
        "CreateWheel",
    )


async def test_calls_are_counted_by_method_and_final_status_code(
    probe: tuple[str, GrpcServer],
) -> None:
    service, server = probe
    async with grpc.aio.insecure_channel(server.address) as channel:
        call_ok = channel.unary_unary(f"/{service}/Ok")
        call_invalid = channel.unary_unary(f"/{service}/Invalid")
        call_count = channel.unary_stream(f"/{service}/Count")
        for _ in range(3):
            assert await call_ok(b"x", metadata=auth_metadata(TOKEN)) == b"x"
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call_invalid(b"x", metadata=auth_metadata(TOKEN))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await call_ok(b"x")
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        streamed = [item async for item in call_count(b"4", metadata=auth_metadata(TOKEN))]
        assert streamed == [b"0", b"1", b"2", b"3"]

    handled = "arshjul_grpc_server_handled_total"
    assert _value(handled, grpc_service=service, grpc_method="Ok", grpc_code="OK") == 3
    assert _value(handled, grpc_service=service, grpc_method="Ok", grpc_code="UNAUTHENTICATED") == 1
    assert (
        _value(handled, grpc_service=service, grpc_method="Invalid", grpc_code="INVALID_ARGUMENT")
        == 1
    )
    assert _value(handled, grpc_service=service, grpc_method="Count", grpc_code="OK") == 1
    latency = "arshjul_grpc_server_handling_seconds_count"
    assert _value(latency, grpc_service=service, grpc_method="Ok") == 4
    assert _value(latency, grpc_service=service, grpc_method="Invalid") == 1
    assert _value(latency, grpc_service=service, grpc_method="Count") == 1


async def test_health_checks_are_counted_without_a_token(probe: tuple[str, GrpcServer]) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    _, server = probe
    labels = {"grpc_service": "grpc.health.v1.Health", "grpc_method": "Check", "grpc_code": "OK"}
    before = _value("arshjul_grpc_server_handled_total", **labels)
    async with grpc.aio.insecure_channel(server.address) as channel:
        await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert _value("arshjul_grpc_server_handled_total", **labels) == before + 1


def test_the_endpoint_serves_every_metric_family_and_closes() -> None:
    port = free_port()
    endpoint = serve_metrics(Settings(grpc_host="127.0.0.1", metrics_port=port), service="test")
    try:
        assert endpoint.port == port
        RebuildMetrics("endpoint-test").progressed(read=0, to_read=1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    finally:
        endpoint.close()
    # A family with labels has no samples until it is used; its HELP line is always there.
    helped = {line.split()[2] for line in text.splitlines() if line.startswith("# HELP arshjul_")}
    assert helped == METRIC_NAMES
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)


def test_port_zero_serves_nothing() -> None:
    endpoint = serve_metrics(Settings(metrics_port=0), service="test")
    assert endpoint.port is None
    endpoint.close()


def test_a_taken_port_fails_loudly() -> None:
    port = free_port()
    first = serve_metrics(Settings(grpc_host="127.0.0.1", metrics_port=port), service="one")
    try:
        with pytest.raises(OSError, match=f"cannot serve metrics on 127.0.0.1:{port}"):
            serve_metrics(Settings(grpc_host="127.0.0.1", metrics_port=port), service="two")
    finally:
        first.close()


def test_rebuild_progress_moves_the_gauges() -> None:
    projection = f"p{uuid.uuid4().hex[:8]}"
    rebuild = RebuildMetrics(projection)
    rebuild.progressed(read=0, to_read=None)
    assert _value("arshjul_rebuild_running", projection=projection) == 1
    rebuild.progressed(read=50, to_read=120)
    rebuild.progressed(read=80, to_read=120)
    assert _value("arshjul_rebuild_events_to_read", projection=projection) == 120
    assert _value("arshjul_rebuild_events_read", projection=projection) == 80
    rebuild.finished(swapped=False)
    assert _value("arshjul_rebuild_running", projection=projection) == 0
    assert _value("arshjul_rebuild_completed_timestamp_seconds", projection=projection) == 0
    rebuild.progressed(read=10, to_read=10)
    rebuild.finished(swapped=True)
    assert _value("arshjul_rebuild_events_read", projection=projection) == 10
    assert _value("arshjul_rebuild_completed_timestamp_seconds", projection=projection) > 0


EXPOSITION = """\
# TYPE arshjul_grpc_server_handled_total counter
arshjul_grpc_server_handled_total{grpc_code="OK",grpc_method="CreateWheel",grpc_service="s"} 7.0
arshjul_grpc_server_handled_total{grpc_code="OK",grpc_method="Check",grpc_service="h"} 12.0
arshjul_grpc_server_handled_total{grpc_code="NOT_FOUND",grpc_method="GetWheel",grpc_service="s"} 2.0
arshjul_grpc_server_handled_total{grpc_code="ABORTED",grpc_method="PauseWheel",grpc_service="s"} 1.0
# TYPE arshjul_events_appended_total counter
arshjul_events_appended_total{event_type="scheduler.WheelCreated.v1",producer="scheduler"} 7.0
arshjul_events_appended_total{event_type="scheduler.WheelStepDue.v1",producer="scheduler"} 40.0
# TYPE arshjul_outbox_backlog gauge
arshjul_outbox_backlog{schema="scheduler"} 3.0
# TYPE arshjul_outbox_relay_lag_seconds gauge
arshjul_outbox_relay_lag_seconds{schema="scheduler"} 0.25
# TYPE arshjul_consumer_events_handled_total counter
arshjul_consumer_events_handled_total{consumer="scheduler-sessions",topic="sessions.events"} 5.0
# TYPE arshjul_consumer_lag gauge
arshjul_consumer_lag{consumer="scheduler-sessions",partition="0",topic="sessions.events"} 4.0
arshjul_consumer_lag{consumer="scheduler-sessions",partition="1",topic="sessions.events"} 0.0
arshjul_consumer_lag{consumer="scheduler-sessions",partition="2",topic="sessions.events"} 6.0
# TYPE arshjul_rebuild_running gauge
arshjul_rebuild_running{projection="follow_up"} 1.0
arshjul_rebuild_running{projection="sessions"} 0.0
"""


def test_status_sums_the_key_figures_of_an_exposition() -> None:
    assert key_figures(EXPOSITION) == KeyFigures(
        calls=7 + 12 + 2 + 1,
        failed_calls=2 + 1,
        events_appended=47,
        outbox_backlog=3,
        relay_lag_seconds=0.25,
        events_handled=5,
        consumer_lag=4 + 0 + 6,
        rebuilding=("follow_up",),
    )


def test_status_marks_parts_a_service_does_not_have() -> None:
    figures = key_figures("")
    assert figures == KeyFigures(0, 0, None, None, None, None, None, ())


async def test_status_reads_a_live_endpoint_and_names_an_unreachable_one() -> None:
    port = free_port()
    endpoint = serve_metrics(Settings(grpc_host="127.0.0.1", metrics_port=port), service="test")
    try:
        figures = await metrics_of(f"127.0.0.1:{port}")
    finally:
        endpoint.close()
    assert isinstance(figures, KeyFigures)
    assert await metrics_of(f"127.0.0.1:{port}") == "unreachable (Connection refused)"
