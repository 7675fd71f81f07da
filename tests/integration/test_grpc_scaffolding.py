"""A real grpc.aio server on loopback: authentication, error mapping, health, reflection.

The probe service uses raw bytes (no .proto), so the test needs no generated
code; health and reflection are the real grpcio services.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import grpc.aio
import pytest
import structlog
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from shared.auth import SecretVerifier, TokenIssuer, require_tenant
from shared.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from shared.grpc.auth import current_caller
from shared.grpc.errors import INTERNAL_MESSAGE, map_domain_errors
from shared.grpc.server import GrpcServer, auth_metadata, channel, start_server
from shared.roles import Role
from shared.settings import Settings

SERVICE = "arshjul.test.v1.Probe"
SECRET = b"p" * 48
ISSUER = "arshjul-test"
AUDIENCE = "arshjul"
TOKENS = TokenIssuer(SECRET, ISSUER, AUDIENCE)
TOKEN = TOKENS.issue("1480", Role.UNIT_STAFF, unit="u1", subject="anna")


def _identity(data: bytes) -> bytes:
    return data


async def whoami(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    caller = current_caller()
    correlation_id = structlog.contextvars.get_contextvars()["correlation_id"]
    return "|".join(
        [caller.subject, caller.tenant, caller.role.value, caller.unit or "", correlation_id]
    ).encode()


async def invalid(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise InvalidArgument("not a valid RFC 5545 recurrence rule", field="steps[0].schedule.rrule")


async def denied(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    require_tenant(current_caller(), "1402")
    return b"unreachable"


async def conflict(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise VersionConflict("wheel-7", expected=3, actual=5)


async def missing(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise NotFound("no wheel with that id", field="wheel_id")


async def precondition(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise FailedPrecondition("the wheel is archived")


async def boom(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise RuntimeError("connection string postgres://secret@db")


async def count(
    request: bytes, context: grpc.aio.ServicerContext[Any, Any]
) -> AsyncIterator[bytes]:
    for n in range(int(request)):
        yield str(n).encode()
    raise InvalidArgument("stopped on purpose", field="limit")


async def total(
    requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[Any, Any]
) -> bytes:
    caller = current_caller()
    numbers = [int(request) async for request in requests]
    if not numbers:
        raise InvalidArgument("send at least one number", field="numbers")
    return f"{caller.subject}:{sum(numbers)}".encode()


async def echo(
    requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[Any, Any]
) -> AsyncIterator[bytes]:
    async for request in requests:
        yield current_caller().tenant.encode() + b"/" + request


def not_written_yet(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    # What grpcio-tools generates for a method a servicer does not override.
    context.set_code(grpc.StatusCode.UNIMPLEMENTED)
    context.set_details("Method not implemented!")
    raise NotImplementedError("Method not implemented!")


def _register(server: grpc.aio.Server) -> None:
    unary: dict[str, Callable[..., Any]] = {
        "Whoami": whoami,
        "Invalid": invalid,
        "Denied": denied,
        "Conflict": conflict,
        "Missing": missing,
        "Precondition": precondition,
        "Boom": boom,
        "NotWrittenYet": not_written_yet,
    }
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(
            behavior, request_deserializer=_identity, response_serializer=_identity
        )
        for name, behavior in unary.items()
    }
    handlers["Count"] = grpc.unary_stream_rpc_method_handler(
        count, request_deserializer=_identity, response_serializer=_identity
    )
    handlers["Total"] = grpc.stream_unary_rpc_method_handler(
        total, request_deserializer=_identity, response_serializer=_identity
    )
    handlers["Echo"] = grpc.stream_stream_rpc_method_handler(
        echo, request_deserializer=_identity, response_serializer=_identity
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[GrpcServer]:
    started = await start_server(
        Settings(grpc_host="127.0.0.1", grpc_tls_cert=None, grpc_tls_key=None),
        port=0,
        register=_register,
        service_names=[SERVICE],
        verifier=SecretVerifier(SECRET, ISSUER, AUDIENCE),
    )
    yield started
    await started.stop(0)


async def _call(
    server: GrpcServer,
    method: str,
    token: str | None,
    request: bytes = b"",
    metadata: tuple[tuple[str, str], ...] = (),
) -> bytes:
    async with channel(server.address, token) as ch:
        call = ch.unary_unary(
            f"/{SERVICE}/{method}", request_serializer=_identity, response_deserializer=_identity
        )
        response: bytes = await call(request, metadata=metadata, timeout=10)
        return response


async def _error(
    server: GrpcServer, method: str, token: str | None, request: bytes = b""
) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _call(server, method, token, request)
    return caught.value


async def test_an_authenticated_call_sees_its_caller(server: GrpcServer) -> None:
    response = await _call(server, "Whoami", TOKEN, metadata=(("x-correlation-id", "req-42"),))
    assert response == b"anna|1480|unit_staff|u1|req-42"


async def test_a_call_without_correlation_id_gets_a_fresh_one(server: GrpcServer) -> None:
    response = await _call(server, "Whoami", TOKEN)
    correlation_id = response.decode().split("|")[-1]
    assert str(uuid.UUID(correlation_id)) == correlation_id


async def test_no_token_is_unauthenticated(server: GrpcServer) -> None:
    error = await _error(server, "Whoami", None)
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "no credentials: send the metadata 'authorization: Bearer <token>'"


async def test_a_garbage_token_is_unauthenticated(server: GrpcServer) -> None:
    error = await _error(server, "Whoami", "garbage")
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "the token is malformed (not a JWT)"


async def test_a_token_signed_elsewhere_is_unauthenticated(server: GrpcServer) -> None:
    forged = TokenIssuer(b"q" * 48, ISSUER, AUDIENCE).issue("1480", Role.FOLLOW_UP)
    error = await _error(server, "Whoami", forged)
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "the token's signature does not verify"


async def test_the_handler_does_not_run_without_a_token(
    server: GrpcServer,
) -> None:
    # Boom would answer INTERNAL if it ran; the interceptor stops the call first.
    error = await _error(server, "Boom", None)
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_invalid_argument_names_the_field(server: GrpcServer) -> None:
    error = await _error(server, "Invalid", TOKEN)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "steps[0].schedule.rrule: not a valid RFC 5545 recurrence rule"

    # The same field as a google.rpc.BadRequest violation, for programs.
    trailers = dict(error.trailing_metadata() or ())
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert status.message == error.details()
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("steps[0].schedule.rrule", "not a valid RFC 5545 recurrence rule")
    ]


async def test_permission_denied(server: GrpcServer) -> None:
    error = await _error(server, "Denied", TOKEN)
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == (
        "tenant: unit_staff of 1480 (Göteborg), unit u1 may not act for tenant 1402 (Partille)"
    )


async def test_version_conflict_is_aborted(server: GrpcServer) -> None:
    error = await _error(server, "Conflict", TOKEN)
    assert error.code() is grpc.StatusCode.ABORTED
    assert error.details() == (
        "expected_version: stream wheel-7 is at version 5, not the expected version 3; "
        "reload and try again"
    )


async def test_not_found_and_failed_precondition(server: GrpcServer) -> None:
    error = await _error(server, "Missing", TOKEN)
    assert (error.code(), error.details()) == (
        grpc.StatusCode.NOT_FOUND,
        "wheel_id: no wheel with that id",
    )
    error = await _error(server, "Precondition", TOKEN)
    assert (error.code(), error.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "the wheel is archived",
    )


async def test_unexpected_errors_are_internal_and_say_nothing(server: GrpcServer) -> None:
    async with channel(server.address, TOKEN) as ch:
        call = ch.unary_unary(
            f"/{SERVICE}/Boom", request_serializer=_identity, response_deserializer=_identity
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(b"", metadata=(("x-correlation-id", "req-boom"),), timeout=10)
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    assert caught.value.details() == f"{INTERNAL_MESSAGE} (correlation id req-boom)"


async def test_an_unimplemented_method_is_unimplemented(server: GrpcServer) -> None:
    error = await _error(server, "NotWrittenYet", TOKEN)
    assert error.code() is grpc.StatusCode.UNIMPLEMENTED
    assert error.details() == f"/{SERVICE}/NotWrittenYet is not implemented"
    error = await _error(server, "NotWrittenYet", None)
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_server_streaming_maps_errors_after_items(server: GrpcServer) -> None:
    received: list[bytes] = []
    async with channel(server.address, TOKEN) as ch:
        call = ch.unary_stream(
            f"/{SERVICE}/Count", request_serializer=_identity, response_deserializer=_identity
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for item in call(b"3", timeout=10):
                received.append(item)
    assert received == [b"0", b"1", b"2"]
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "limit: stopped on purpose"


async def test_client_streaming_and_bidirectional_calls_carry_the_token(
    server: GrpcServer,
) -> None:
    async with channel(server.address, TOKEN) as ch:
        total_call = ch.stream_unary(
            f"/{SERVICE}/Total", request_serializer=_identity, response_deserializer=_identity
        )
        assert await total_call(iter([b"2", b"3", b"4"]), timeout=10) == b"anna:9"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await total_call(iter([]), timeout=10)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details() == "numbers: send at least one number"

        echo_call = ch.stream_stream(
            f"/{SERVICE}/Echo", request_serializer=_identity, response_deserializer=_identity
        )
        replies = [reply async for reply in echo_call(iter([b"a", b"b"]), timeout=10)]
    assert replies == [b"1480/a", b"1480/b"]

    async with channel(server.address, None) as anonymous:
        echo_call = anonymous.stream_stream(
            f"/{SERVICE}/Echo", request_serializer=_identity, response_deserializer=_identity
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            _ = [reply async for reply in echo_call(iter([b"a"]), timeout=10)]
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_health_needs_no_token(server: GrpcServer) -> None:
    async with grpc.aio.insecure_channel(server.address) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        overall = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        probe = await stub.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=10)
    assert overall.status == health_pb2.HealthCheckResponse.SERVING
    assert probe.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_services_without_a_token(server: GrpcServer) -> None:
    async with grpc.aio.insecure_channel(server.address) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        responses = [r async for r in stub.ServerReflectionInfo(iter([request]), timeout=10)]
    names = sorted(s.name for s in responses[0].list_services_response.service)
    assert names == [
        SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ]


async def test_stopping_reports_not_serving_first() -> None:
    started = await start_server(
        Settings(grpc_host="127.0.0.1", grpc_tls_cert=None, grpc_tls_key=None),
        port=0,
        register=_register,
        service_names=[SERVICE],
        verifier=SecretVerifier(SECRET, ISSUER, AUDIENCE),
    )
    statuses: list[int] = []
    async with grpc.aio.insecure_channel(started.address) as ch:
        watch = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=SERVICE))
        statuses.append((await watch.read()).status)
        stopping = asyncio.create_task(started.stop(2))
        statuses.append((await watch.read()).status)
        watch.cancel()
        await stopping
    assert statuses == [
        health_pb2.HealthCheckResponse.SERVING,
        health_pb2.HealthCheckResponse.NOT_SERVING,
    ]


async def test_the_decorator_maps_errors_without_the_interceptor() -> None:
    @map_domain_errors
    async def lookup(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        raise PermissionDenied("only the unit manager may do this")

    bare = grpc.aio.server()
    bare.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "Lookup": grpc.unary_unary_rpc_method_handler(
                        lookup, request_deserializer=_identity, response_serializer=_identity
                    )
                },
            ),
        )
    )
    port = bare.add_insecure_port("127.0.0.1:0")
    await bare.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
            call = ch.unary_unary(
                f"/{SERVICE}/Lookup", request_serializer=_identity, response_deserializer=_identity
            )
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(b"", timeout=10)
    finally:
        await bare.stop(0)
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert caught.value.details() == "only the unit manager may do this"


def test_auth_metadata() -> None:
    assert auth_metadata("abc") == (("authorization", "Bearer abc"),)
    assert auth_metadata(None) == ()
