"""Registry of event payload types, and upcasting of old versions on read.

A payload class declares its versioned type name in `event_type`
(`"scheduler.WheelStepDue.v1"`). Registering a `v2` for a name means a `v1`
upcaster must be registered too: `decode` walks stored payloads forward one
version at a time, each step a pure function tested against a stored example.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import EventEnvelope


class EventPayload(BaseModel):
    """Base of every payload: frozen, with a versioned type name."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    event_type: ClassVar[str]

    @classmethod
    def type_name(cls) -> str:
        return cls.event_type.rsplit(".v", 1)[0]

    @classmethod
    def version(cls) -> int:
        return int(cls.event_type.rsplit(".v", 1)[1])


P = TypeVar("P", bound=type[EventPayload])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_PAYLOADS: dict[str, type[EventPayload]] = {}
_LATEST: dict[str, int] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def event(cls: P) -> P:
    """Class decorator: register a payload type in the catalogue."""
    if cls.event_type in _PAYLOADS:
        raise ValueError(f"event type {cls.event_type} registered twice")
    _PAYLOADS[cls.event_type] = cls
    name, version = cls.type_name(), cls.version()
    _LATEST[name] = max(version, _LATEST.get(name, 0))
    return cls


def upcaster(name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register the pure function taking a `name` payload from `from_version` to the next."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(name, from_version)] = fn
        return fn

    return register


class UnknownEventType(LookupError):
    pass


def upcast(name: str, version: int, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Walk a stored payload forward to the newest registered version."""
    latest = _LATEST.get(name)
    if latest is None:
        raise UnknownEventType(name)
    while version < latest:
        step = _UPCASTERS.get((name, version))
        if step is None:
            raise UnknownEventType(f"{name}.v{version}: no upcaster to v{version + 1}")
        payload = step(payload)
        version += 1
    return version, payload


def decode(envelope: EventEnvelope) -> EventPayload:
    """The envelope's payload as the newest version of its type."""
    version, payload = upcast(envelope.name, envelope.schema_version, envelope.payload)
    return _PAYLOADS[f"{envelope.name}.v{version}"].model_validate(payload)


def registered_types() -> dict[str, type[EventPayload]]:
    return dict(_PAYLOADS)
