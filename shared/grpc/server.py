"""Start a service's grpc.aio server the same way everywhere; dial one from a client.

Every server gets the metrics interceptor (calls by method and status code,
latency), the auth interceptor (which also maps domain errors), the
standard health service (overall "" and each service name: SERVING once
started, NOT_SERVING when stopping) and reflection for its services, so
`grpcurl` and load balancers work without the .proto files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import grpc
import grpc.aio
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from shared.auth import TokenVerifier
from shared.grpc.auth import AUTHORIZATION_KEY, CORRELATION_ID_KEY, AuthInterceptor
from shared.grpc.metrics import MetricsInterceptor
from shared.settings import Settings

log = structlog.get_logger(__name__)

HEALTH_SERVICE: Final[str] = health.SERVICE_NAME
REFLECTION_SERVICE: Final[str] = reflection.SERVICE_NAME

# gRPC turns SO_REUSEPORT on by default on Linux, which lets a second service
# bind a port that is already taken and silently share its traffic; a port
# clash must fail loudly instead.
_SERVER_OPTIONS: Final = (("grpc.so_reuseport", 0),)


class GrpcServer:
    """A started server: its bound port, and how to stop it or wait for it."""

    def __init__(
        self,
        server: grpc.aio.Server,
        health_servicer: health_aio.HealthServicer,
        *,
        host: str,
        port: int,
        service_names: Sequence[str],
        tls: bool,
    ) -> None:
        self._server = server
        self._health = health_servicer
        self.host = host
        self.port = port
        self.service_names = tuple(service_names)
        self.tls = tls

    @property
    def address(self) -> str:
        """host:port for clients (IPv6 hosts in brackets)."""
        return f"{_bracketed(self.host)}:{self.port}"

    async def set_serving(self) -> None:
        """Report SERVING for "" and every service name."""
        for name in (health.OVERALL_HEALTH, *self.service_names):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float | None) -> None:
        """NOT_SERVING first (so balancers drain), then stop; in-flight calls get `grace` s."""
        # Sets every known name to NOT_SERVING and ignores later set() calls.
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace)
        log.info("grpc.stopped", port=self.port, services=list(self.service_names))

    async def wait(self) -> None:
        """Until the server has stopped."""
        await self._server.wait_for_termination()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    cert, key = settings.grpc_tls_cert, settings.grpc_tls_key
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ValueError(
            "TLS needs both ARSHJUL_GRPC_TLS_CERT and ARSHJUL_GRPC_TLS_KEY; only one is set"
        )
    return grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())])


async def start_server(
    settings: Settings,
    *,
    port: int,
    register: Callable[[grpc.aio.Server], None],
    service_names: list[str],
    verifier: TokenVerifier,
) -> GrpcServer:
    """Create, bind (settings.grpc_host:port; 0 picks a free port) and start a server.

    `register` adds the service's servicers; `service_names` are their full
    names ("arshjul.scheduler.v1.Scheduler"), for health and reflection.
    """
    # Metrics outermost: it sees the status the auth interceptor's error mapping set.
    server = grpc.aio.server(
        interceptors=[MetricsInterceptor(), AuthInterceptor(verifier)], options=_SERVER_OPTIONS
    )
    register(server)
    health_servicer = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*service_names, HEALTH_SERVICE, REFLECTION_SERVICE], server
    )
    # Not serving until start() has returned: a probe must not see a half-built server.
    await health_servicer.set(health.OVERALL_HEALTH, health_pb2.HealthCheckResponse.NOT_SERVING)

    address = f"{_bracketed(settings.grpc_host)}:{port}"
    credentials = _server_credentials(settings)
    try:
        if credentials is None:
            bound = server.add_insecure_port(address)
        else:
            bound = server.add_secure_port(address, credentials)
    except RuntimeError as error:
        raise OSError(f"cannot listen for gRPC on {address}: {error}") from error
    await server.start()

    started = GrpcServer(
        server,
        health_servicer,
        host=settings.grpc_host,
        port=int(bound),
        service_names=service_names,
        tls=credentials is not None,
    )
    await started.set_serving()
    log.info("grpc.started", address=started.address, services=service_names, tls=started.tls)
    return started


# --- clients ---------------------------------------------------------------------


def auth_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying `token` as a bearer token (empty for None)."""
    if token is None:
        return ()
    return ((AUTHORIZATION_KEY, f"Bearer {token}"),)


def _outgoing_metadata(token: str | None, metadata: Any) -> grpc.aio.Metadata:
    merged = grpc.aio.Metadata(*(tuple(metadata) if metadata is not None else ()))
    keys = {key.lower() for key, _ in merged}
    if AUTHORIZATION_KEY not in keys:
        for key, value in auth_metadata(token):
            merged.add(key, value)
    if CORRELATION_ID_KEY not in keys:
        # Carry the current call's correlation id into the calls it makes.
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        if isinstance(correlation_id, str):
            merged.add(CORRELATION_ID_KEY, correlation_id)
    return merged


class _AddsMetadata:
    """Adds the bearer token and the correlation id to every call on a channel."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        return grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=details.timeout,
            metadata=_outgoing_metadata(self._token, details.metadata),
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )


# grpc.aio files each channel interceptor under the first call kind it
# implements only, so one class per kind.
class _UnaryUnaryMetadata(_AddsMetadata, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self._details(details), request)


class _UnaryStreamMetadata(_AddsMetadata, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self._details(details), request)


class _StreamUnaryMetadata(_AddsMetadata, grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_unary(
        self, continuation: Callable[..., Any], details: Any, request_iterator: Any
    ) -> Any:
        return await continuation(self._details(details), request_iterator)


class _StreamStreamMetadata(_AddsMetadata, grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_stream(
        self, continuation: Callable[..., Any], details: Any, request_iterator: Any
    ) -> Any:
        return await continuation(self._details(details), request_iterator)


def channel(
    address: str,
    token: str | None,
    *,
    tls: bool = False,
    root_certificates: bytes | None = None,
) -> grpc.aio.Channel:
    """A grpc.aio channel to `address` whose every call carries `token`.

    The token goes in per-call metadata rather than call credentials, so it
    also works on the embedded default's plaintext loopback channels.
    """
    interceptors = [
        kind(token)
        for kind in (
            _UnaryUnaryMetadata,
            _UnaryStreamMetadata,
            _StreamUnaryMetadata,
            _StreamStreamMetadata,
        )
    ]
    if tls or root_certificates is not None:
        credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
        return grpc.aio.secure_channel(address, credentials, interceptors=interceptors)
    return grpc.aio.insecure_channel(address, interceptors=interceptors)
