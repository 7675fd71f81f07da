"""The one place where domain errors become gRPC status codes.

| domain error        | gRPC status         |
| ------------------- | ------------------- |
| InvalidArgument     | INVALID_ARGUMENT    |
| NotFound            | NOT_FOUND           |
| FailedPrecondition  | FAILED_PRECONDITION |
| PermissionDenied    | PERMISSION_DENIED   |
| Unauthenticated     | UNAUTHENTICATED     |
| VersionConflict     | ABORTED             |
| a lost DB connection| UNAVAILABLE         |
| anything else       | INTERNAL            |

The status message is "<field>: <reason>" (or the reason alone), so a user
sees what to fix. INVALID_ARGUMENT also carries a google.rpc.BadRequest field
violation in the standard `grpc-status-details-bin` trailer, so a client can
read the field programmatically (`grpc_status.rpc_status.from_call`).
Unexpected exceptions are logged with their traceback and answered with a
generic message plus the call's correlation id, never with internals.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, ParamSpec, cast

import grpc
import grpc.aio
import structlog
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from sqlalchemy.exc import DBAPIError

from shared.db import ConnectionLost
from shared.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    VersionConflict,
)

log = structlog.get_logger(__name__)

#: Checked in order; VersionConflict before any parent class it may gain.
STATUS_BY_ERROR: tuple[tuple[type[DomainError], grpc.StatusCode], ...] = (
    (VersionConflict, grpc.StatusCode.ABORTED),
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
)

INTERNAL_MESSAGE = "internal error; the service logged it"


def status_code_for(error: BaseException) -> grpc.StatusCode:
    """The gRPC status code for `error` (INTERNAL for anything not a known DomainError)."""
    for error_type, code in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return code
    return grpc.StatusCode.INTERNAL


def message_for(error: DomainError) -> str:
    """The status message: "<field>: <reason>", or the reason alone without a field."""
    return f"{error.field}: {error.reason}" if error.field else error.reason


def rpc_status_for(error: DomainError) -> grpc.Status:
    """The full status for a domain error, with a BadRequest detail for INVALID_ARGUMENT."""
    code = status_code_for(error)
    if code is grpc.StatusCode.INTERNAL:
        raise TypeError(f"{type(error).__name__} has no gRPC status mapping")
    message = message_for(error)
    rich = status_pb2.Status(code=_google_rpc_code(code), message=message)
    if isinstance(error, InvalidArgument):
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=error.field or "", description=error.reason
        )
        rich.details.add().Pack(error_details_pb2.BadRequest(field_violations=[violation]))
    return cast(grpc.Status, rpc_status.to_status(rich))


def _google_rpc_code(code: grpc.StatusCode) -> int:
    # grpc.StatusCode values are (int, name) pairs; the int is google.rpc.Code's.
    return int(code.value[0])


def _correlation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return value if isinstance(value, str) else None


async def abort_with_error(
    context: grpc.aio.ServicerContext[Any, Any], error: BaseException, *, method: str
) -> NoReturn:
    """End the call with the status `error` maps to (logging unexpected errors)."""
    if isinstance(error, DomainError) and status_code_for(error) is not grpc.StatusCode.INTERNAL:
        status = rpc_status_for(error)
        log.info(
            "grpc.refused",
            method=method,
            code=status.code.name,
            error_field=error.field,
            reason=error.reason,
        )
        await context.abort(status.code, status.details, status.trailing_metadata)
    if isinstance(error, ConnectionLost) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        # The server dropped the connection (a restart); the pool has let it
        # go, so the caller's retry gets a fresh one.
        log.warning("grpc.database_connection_lost", method=method)
        await context.abort(
            grpc.StatusCode.UNAVAILABLE, "the database connection was lost; try again"
        )
    log.error("grpc.internal_error", method=method, exc_info=error)
    correlation_id = _correlation_id()
    details = INTERNAL_MESSAGE + (f" (correlation id {correlation_id})" if correlation_id else "")
    await context.abort(grpc.StatusCode.INTERNAL, details)
    raise AssertionError("context.abort returned instead of raising")


# --- wrapping handlers ---------------------------------------------------------

P = ParamSpec("P")

#: An abort already in flight (the handler called context.abort) must pass through.
_PASS_THROUGH: tuple[type[BaseException], ...] = (grpc.aio.AbortError,)


def _find_context(args: tuple[Any, ...]) -> grpc.aio.ServicerContext[Any, Any]:
    # Servicer methods are (self, request, context) or (request, context):
    # the context is always the last positional argument.
    return cast("grpc.aio.ServicerContext[Any, Any]", args[-1])


def map_domain_errors(
    method: Callable[P, Any],
) -> Callable[P, Any]:
    """Decorate a grpc.aio servicer method so domain errors become gRPC statuses.

    Works on coroutine methods (unary or stream responses written with
    `context.write`) and on async generator methods (server streaming).
    """
    name = getattr(method, "__qualname__", repr(method))
    if inspect.isasyncgenfunction(method):
        generator = cast(Callable[P, AsyncIterator[Any]], method)

        @functools.wraps(method)
        async def stream_wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncIterator[Any]:
            try:
                async for item in generator(*args, **kwargs):
                    yield item
            except _PASS_THROUGH:
                raise
            except Exception as error:
                await abort_with_error(_find_context(args), error, method=name)

        return stream_wrapper
    if inspect.iscoroutinefunction(method):
        coroutine = cast(Callable[P, Awaitable[Any]], method)

        @functools.wraps(method)
        async def unary_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            try:
                return await coroutine(*args, **kwargs)
            except _PASS_THROUGH:
                raise
            except Exception as error:
                await abort_with_error(_find_context(args), error, method=name)

        return unary_wrapper
    raise TypeError(f"{name} must be an async def or async generator (grpc.aio servicer)")


def wrap_behavior(behavior: Callable[..., Any], *, method: str) -> Callable[..., Any]:
    """Wrap a method handler's behaviour `(request_or_iterator, context)` so that
    domain errors end the call with their status, like `map_domain_errors`."""
    if inspect.isasyncgenfunction(behavior):

        async def stream_behavior(request: Any, context: Any) -> AsyncIterator[Any]:
            try:
                async for item in behavior(request, context):
                    yield item
            except _PASS_THROUGH:
                raise
            except Exception as error:
                await abort_with_error(context, error, method=method)

        return stream_behavior
    if inspect.iscoroutinefunction(behavior):

        async def unary_behavior(request: Any, context: Any) -> Any:
            try:
                return await behavior(request, context)
            except _PASS_THROUGH:
                raise
            except Exception as error:
                await abort_with_error(context, error, method=method)

        return unary_behavior

    # A plain function: in practice a generated base servicer's placeholder for
    # a method the service does not implement. Run it off the event loop.
    async def sync_behavior(request: Any, context: Any) -> Any:
        try:
            return await asyncio.to_thread(behavior, request, context)
        except _PASS_THROUGH:
            raise
        except NotImplementedError:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented")
        except Exception as error:
            await abort_with_error(context, error, method=method)

    return sync_behavior


_BEHAVIOR_KINDS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")


def replace_behavior(
    handler: grpc.RpcMethodHandler,
    transform: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> grpc.RpcMethodHandler:
    """A copy of `handler` with its behaviour passed through `transform`."""
    for kind in _BEHAVIOR_KINDS:
        behavior = getattr(handler, kind)
        if behavior is not None:
            return cast(grpc.RpcMethodHandler, handler._replace(**{kind: transform(behavior)}))
    return handler


def map_handler_errors(handler: grpc.RpcMethodHandler, *, method: str) -> grpc.RpcMethodHandler:
    """A copy of `handler` whose behaviour maps domain errors to statuses."""
    return replace_behavior(handler, lambda behavior: wrap_behavior(behavior, method=method))
