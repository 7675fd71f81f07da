"""Count every gRPC call by method and status code, and time it.

`MetricsInterceptor` is the server's outermost interceptor, so it sees the
status the call really ended with: a domain error already mapped by the auth
interceptor (an abort), a missing token, a status a handler set, a client
that cancelled. A streaming call is timed until its last message.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import grpc.aio

from shared.grpc.errors import replace_behavior
from shared.metrics import GRPC_HANDLED, GRPC_HANDLING_SECONDS


def split_method(method: str) -> tuple[str, str]:
    """("arshjul.scheduler.v1.Scheduler", "CreateWheel") from its full method path."""
    service, _, name = method.lstrip("/").rpartition("/")
    return service, name


def _final_code(context: Any, error: BaseException | None) -> grpc.StatusCode:
    if isinstance(error, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    # A handler that raised without setting a status: grpc answers UNKNOWN.
    return grpc.StatusCode.OK if error is None else grpc.StatusCode.UNKNOWN


class _Call:
    """One call's measurement: started on entry, recorded once at its end."""

    def __init__(self, service: str, method: str) -> None:
        self.service = service
        self.method = method
        self.started = time.perf_counter()

    def record(self, context: Any, error: BaseException | None) -> None:
        code = _final_code(context, error)
        GRPC_HANDLED.labels(self.service, self.method, code.name).inc()
        GRPC_HANDLING_SECONDS.labels(self.service, self.method).observe(
            time.perf_counter() - self.started
        )


def _measured(behavior: Callable[..., Any], service: str, method: str) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(behavior):

        async def stream_behavior(request: Any, context: Any) -> AsyncIterator[Any]:
            call = _Call(service, method)
            try:
                async for item in behavior(request, context):
                    yield item
            except BaseException as error:
                call.record(context, error)
                raise
            call.record(context, None)

        return stream_behavior
    if inspect.iscoroutinefunction(behavior):
        coroutine: Callable[..., Awaitable[Any]] = behavior

        async def unary_behavior(request: Any, context: Any) -> Any:
            call = _Call(service, method)
            try:
                reply = await coroutine(request, context)
            except BaseException as error:
                call.record(context, error)
                raise
            call.record(context, None)
            return reply

        return unary_behavior
    # A plain function runs in grpc's own thread pool, outside this loop: it
    # is left as it is (the auth interceptor makes every authenticated
    # method asynchronous, so only unauthenticated built-ins could be here).
    return behavior


class MetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Records GRPC_HANDLED and GRPC_HANDLING_SECONDS for every call."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        service, method = split_method(handler_call_details.method)
        return replace_behavior(handler, lambda behavior: _measured(behavior, service, method))
