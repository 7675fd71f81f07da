"""Append-only event store with optimistic concurrency and a transactional outbox.

`append` writes the new events and their outbox rows in the caller's
transaction, so an event is published if and only if it was stored.
Concurrency: the caller states the stream version it decided on; a different
current version, or a concurrent append that wins the (stream_id,
stream_version) unique key, raises `VersionConflict` (gRPC ABORTED).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.errors import VersionConflict
from shared.events.catalogue import EventPayload
from shared.events.envelope import EventEnvelope


@dataclass(frozen=True)
class NewEvent:
    """An event decided by a command, before it has a stream version."""

    payload: EventPayload
    occurred_at: datetime
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class StoredStream:
    stream_id: str
    version: int
    events: tuple[EventEnvelope, ...]


@dataclass(frozen=True)
class AppendContext:
    """Who and what caused an append: copied into every envelope."""

    tenant: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None


class EventStore:
    def __init__(self, engine: AsyncEngine, *, schema: str, producer: str, topic: str) -> None:
        self.engine = engine
        self.schema = schema
        self.producer = producer
        self.topic = topic
        self._insert_events = text(
            f"INSERT INTO {schema}.events (event_id, stream_id, stream_version, type, "
            "schema_version, tenant, occurred_at, recorded_at, correlation_id, causation_id, "
            "producer, payload) VALUES (:event_id, :stream_id, :stream_version, :type, "
            ":schema_version, :tenant, :occurred_at, :recorded_at, :correlation_id, "
            ":causation_id, :producer, CAST(:payload AS jsonb))"
        )
        self._insert_outbox = text(
            f"INSERT INTO {schema}.outbox (event_id, topic, key, event_type, envelope) "
            "VALUES (:event_id, :topic, :key, :event_type, :envelope)"
        )

    async def stream_version(self, conn: AsyncConnection, stream_id: str) -> int:
        result = await conn.execute(
            text(f"SELECT max(stream_version) FROM {self.schema}.events WHERE stream_id = :s"),
            {"s": stream_id},
        )
        return int(result.scalar_one() or 0)

    async def load(self, conn: AsyncConnection, stream_id: str) -> StoredStream:
        result = await conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM {self.schema}.events "
                "WHERE stream_id = :s ORDER BY stream_version"
            ),
            {"s": stream_id},
        )
        events = tuple(_envelope(row) for row in result.mappings())
        return StoredStream(stream_id, events[-1].aggregate_version if events else 0, events)

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        context: AppendContext,
        recorded_at: datetime,
    ) -> list[EventEnvelope]:
        """Append `events` after `expected_version`, in the caller's transaction."""
        if not events:
            return []
        actual = await self.stream_version(conn, stream_id)
        if actual != expected_version:
            raise VersionConflict(stream_id, expected_version, actual)
        envelopes = [
            EventEnvelope(
                event_id=new.event_id,
                type=new.payload.event_type,
                schema_version=new.payload.version(),
                tenant=context.tenant,
                aggregate_id=stream_id,
                aggregate_version=expected_version + i,
                occurred_at=new.occurred_at,
                recorded_at=recorded_at,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id,
                producer=self.producer,
                payload=new.payload.model_dump(mode="json"),
            )
            for i, new in enumerate(events, start=1)
        ]
        try:
            await conn.execute(self._insert_events, [_event_row(e) for e in envelopes])
        except IntegrityError as exc:
            # A concurrent append won the (stream_id, stream_version) key after our check.
            if "stream_id" not in str(exc.orig):
                raise
            raise VersionConflict(stream_id, expected_version, None) from exc
        await conn.execute(
            self._insert_outbox,
            [
                {
                    "event_id": e.event_id,
                    "topic": self.topic,
                    "key": e.aggregate_id,
                    "event_type": e.type,
                    "envelope": e.to_bytes(),
                }
                for e in envelopes
            ],
        )
        return envelopes

    async def read_all(
        self, *, after_position: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[tuple[int, EventEnvelope]]:
        """Every event in commit-position order, as (position, envelope)."""
        position = after_position
        while True:
            async with self.engine.connect() as conn:
                result = await conn.execute(
                    text(
                        f"SELECT position, {_COLUMNS} FROM {self.schema}.events "
                        "WHERE position > :p ORDER BY position LIMIT :n"
                    ),
                    {"p": position, "n": batch_size},
                )
                rows = list(result.mappings())
            if not rows:
                return
            for row in rows:
                position = int(row["position"])
                yield position, _envelope(row)


_COLUMNS = (
    "event_id, stream_id, stream_version, type, schema_version, tenant, occurred_at, "
    "recorded_at, correlation_id, causation_id, producer, payload"
)


def _event_row(e: EventEnvelope) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "stream_id": e.aggregate_id,
        "stream_version": e.aggregate_version,
        "type": e.type,
        "schema_version": e.schema_version,
        "tenant": e.tenant,
        "occurred_at": e.occurred_at,
        "recorded_at": e.recorded_at,
        "correlation_id": e.correlation_id,
        "causation_id": e.causation_id,
        "producer": e.producer,
        "payload": json.dumps(e.payload, ensure_ascii=False, sort_keys=True),
    }


def _envelope(row: Any) -> EventEnvelope:
    return EventEnvelope(
        event_id=row["event_id"],
        type=row["type"],
        schema_version=row["schema_version"],
        tenant=row["tenant"],
        aggregate_id=row["stream_id"],
        aggregate_version=row["stream_version"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        producer=row["producer"],
        payload=row["payload"],
    )
