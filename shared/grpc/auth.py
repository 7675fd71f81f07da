"""Authenticate every gRPC call and make its Caller available to the handler.

`AuthInterceptor` reads `authorization: Bearer <jwt>`, verifies it, and runs
the handler with the Caller in a context variable (`current_caller()`) and
the logging context bound (correlation id, method, caller, tenant, role). A
call without a valid token ends with UNAUTHENTICATED before the handler runs.
Health checks and reflection need no token. The interceptor also maps domain
errors to statuses for every handler it wraps (see `shared.grpc.errors`), so
servicers may simply raise.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

import grpc
import grpc.aio
import structlog

from shared.auth import Caller, SecretVerifier, TokenVerifier
from shared.errors import Unauthenticated
from shared.grpc.errors import abort_with_error, replace_behavior, wrap_behavior

AUTHORIZATION_KEY: Final = "authorization"
CORRELATION_ID_KEY: Final = "x-correlation-id"
#: Services that answer without a token: load balancers and grpcurl need them.
EXEMPT_METHOD_PREFIXES: Final = ("/grpc.health.v1.Health/", "/grpc.reflection.")

# A correlation id travels into every log line, so only a plain token is
# accepted from the outside; anything else is replaced by a fresh one.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

_current_caller: ContextVar[Caller | None] = ContextVar("arshjul_caller", default=None)


def current_caller() -> Caller:
    """The authenticated caller of the gRPC call being handled."""
    caller = _current_caller.get()
    if caller is None:
        raise Unauthenticated("no authenticated caller: this code runs outside a gRPC call")
    return caller


def is_exempt(method: str) -> bool:
    return method.startswith(EXEMPT_METHOD_PREFIXES)


def bearer_token(metadata: Sequence[tuple[str, str | bytes]] | None) -> str:
    """The token from `authorization: Bearer <token>`; Unauthenticated if absent."""
    values = [value for key, value in metadata or () if key.lower() == AUTHORIZATION_KEY]
    if not values:
        raise Unauthenticated("no credentials: send the metadata 'authorization: Bearer <token>'")
    if len(values) > 1:
        raise Unauthenticated("more than one authorization header")
    value = values[0]
    if isinstance(value, bytes):
        raise Unauthenticated("the authorization header must be text")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the authorization header must read 'Bearer <token>'")
    return token.strip()


def correlation_id_from(metadata: Sequence[tuple[str, str | bytes]] | None) -> str:
    """The caller's `x-correlation-id` if it is a plain token, else a new UUID."""
    for key, value in metadata or ():
        if key.lower() == CORRELATION_ID_KEY and isinstance(value, str):
            if _CORRELATION_ID.fullmatch(value):
                return value
            break
    return str(uuid.uuid4())


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Verifies the bearer token of every non-exempt call (see the module docstring)."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self._verifier = verifier
        # HS256 verification is microseconds of CPU; anything else (JWKS) may
        # fetch keys over the network, which must not block the event loop.
        self._verify_inline = isinstance(verifier, SecretVerifier)

    async def _verify(self, token: str) -> Caller:
        if self._verify_inline:
            return self._verifier.verify(token)
        return await asyncio.to_thread(self._verifier.verify, token)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or is_exempt(method):
            return handler
        metadata = handler_call_details.invocation_metadata
        correlation_id = correlation_id_from(metadata)
        caller: Caller | None = None
        failure: Unauthenticated | None = None
        try:
            caller = await self._verify(bearer_token(metadata))
        except Unauthenticated as error:
            failure = error

        def transform(behavior: Callable[..., Any]) -> Callable[..., Any]:
            return _authenticated(
                wrap_behavior(behavior, method=method),
                method=method,
                caller=caller,
                failure=failure,
                correlation_id=correlation_id,
            )

        return replace_behavior(handler, transform)


@contextmanager
def _call_context(method: str, caller: Caller | None, correlation_id: str) -> Iterator[None]:
    bound: dict[str, Any] = {"correlation_id": correlation_id, "rpc_method": method}
    if caller is not None:
        bound.update(caller_subject=caller.subject, tenant=caller.tenant, role=caller.role.value)
        if caller.unit is not None:
            bound["unit"] = caller.unit
    token = _current_caller.set(caller)
    try:
        with structlog.contextvars.bound_contextvars(**bound):
            yield
    finally:
        _current_caller.reset(token)


def _authenticated(
    behavior: Callable[..., Any],
    *,
    method: str,
    caller: Caller | None,
    failure: Unauthenticated | None,
    correlation_id: str,
) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(behavior):

        async def stream_behavior(request: Any, context: Any) -> AsyncIterator[Any]:
            with _call_context(method, caller, correlation_id):
                if failure is not None:
                    await abort_with_error(context, failure, method=method)
                async for item in behavior(request, context):
                    yield item

        return stream_behavior

    async def unary_behavior(request: Any, context: Any) -> Any:
        with _call_context(method, caller, correlation_id):
            if failure is not None:
                await abort_with_error(context, failure, method=method)
            return await behavior(request, context)

    return unary_behavior
