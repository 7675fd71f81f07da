"""The catalogue's versioned type names and the upcasting walk."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.events.catalogue import (
    EventPayload,
    UnknownEventType,
    decode,
    event,
    registered_types,
    upcaster,
)
from shared.events.envelope import EventEnvelope

T0 = datetime(2025, 5, 1, tzinfo=UTC)


@event
class CountedV1(EventPayload):
    event_type = "testing.Counted.v1"
    n: int


@event
class CountedV2(EventPayload):
    event_type = "testing.Counted.v2"
    n: int
    unit: str


@event
class CountedV3(EventPayload):
    event_type = "testing.Counted.v3"
    count: int
    unit: str


@upcaster("testing.Counted", 1)
def counted_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "unit": "okänd"}


@upcaster("testing.Counted", 2)
def counted_v2_to_v3(payload: dict[str, Any]) -> dict[str, Any]:
    return {"count": payload["n"], "unit": payload["unit"]}


def stored(type_: str, version: int, payload: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        type=type_,
        schema_version=version,
        tenant="1480",
        aggregate_id="a-1",
        aggregate_version=1,
        occurred_at=T0,
        recorded_at=T0,
        correlation_id=uuid.uuid4(),
        producer="test",
        payload=payload,
    )


def test_each_upcaster_step_is_pure_and_exact() -> None:
    assert counted_v1_to_v2({"n": 3}) == {"n": 3, "unit": "okänd"}
    assert counted_v2_to_v3({"n": 3, "unit": "u"}) == {"count": 3, "unit": "u"}


def test_an_old_stored_payload_is_read_as_the_newest_version() -> None:
    assert decode(stored("testing.Counted.v1", 1, {"n": 7})) == CountedV3(count=7, unit="okänd")
    assert decode(stored("testing.Counted.v2", 2, {"n": 7, "unit": "x"})) == CountedV3(
        count=7, unit="x"
    )


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(UnknownEventType):
        decode(stored("testing.Nothing.v1", 1, {}))


def test_the_four_events_of_the_design_card_are_in_the_catalogue() -> None:
    assert "scheduler.WheelStepDue.v1" in registered_types()
    assert CountedV3.type_name() == "testing.Counted"
    assert CountedV3.version() == 3


def test_envelope_round_trips_through_bytes() -> None:
    envelope = stored("testing.Counted.v1", 1, {"n": 1})
    assert EventEnvelope.from_bytes(envelope.to_bytes()) == envelope
    assert envelope.name == "testing.Counted"
