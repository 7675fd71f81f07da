"""Domain errors. `shared.grpc.errors` maps each class to one gRPC status code.

Raise these from domain and application code; never raise grpc errors there.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a user can act on: `field` names the input at fault, if any."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"{field}: {reason}" if field else reason)


class InvalidArgument(DomainError):
    """Bad input; nothing was stored (gRPC INVALID_ARGUMENT)."""


class NotFound(DomainError):
    """The thing named does not exist, or is not visible to the caller (NOT_FOUND)."""


class FailedPrecondition(DomainError):
    """Valid input, but the current state does not allow it (FAILED_PRECONDITION)."""


class PermissionDenied(DomainError):
    """The caller's tenant or role may not do this (PERMISSION_DENIED)."""


class Unauthenticated(DomainError):
    """No token, or one that does not verify (UNAUTHENTICATED)."""


class VersionConflict(DomainError):
    """Optimistic concurrency: the stream moved on since it was read (ABORTED)."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        now = "has moved on" if actual is None else f"is at version {actual}"
        super().__init__(
            f"stream {stream_id} {now}, not the expected version {expected}; reload and try again",
            field="expected_version",
        )
