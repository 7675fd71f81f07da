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
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db import driver_connection
from shared.errors import VersionConflict
from shared.events.catalogue import EventPayload
from shared.events.envelope import EventEnvelope
from shared.metrics import EVENTS_APPENDED


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
        # One round trip per append: the version check, the events and their
        # outbox rows. The check makes a too-high expected version fail as well
        # as a stale one; the (stream_id, stream_version) key catches a
        # concurrent append that commits between the check and the insert.
        # $1–$7: the new events' columns; $8 stream, $9 expected version,
        # $10 tenant, $11 recorded at, $12 correlation id, $13 causation id,
        # $14 producer, $15 topic.
        self._append = f"""
            WITH new AS (
                SELECT n.* FROM unnest(
                    $1::uuid[], $2::integer[], $3::text[], $4::integer[],
                    $5::timestamptz[], $6::jsonb[], $7::bytea[]
                ) WITH ORDINALITY AS n(event_id, stream_version, type, schema_version,
                                        occurred_at, payload, envelope, ord)
                WHERE (SELECT coalesce(max(stream_version), 0) FROM {schema}.events
                       WHERE stream_id = $8) = $9
            ), stored AS (
                INSERT INTO {schema}.events (event_id, stream_id, stream_version, type,
                    schema_version, tenant, occurred_at, recorded_at, correlation_id,
                    causation_id, producer, payload)
                SELECT event_id, $8, stream_version, type, schema_version, $10,
                    occurred_at, $11, $12, $13, $14, payload
                FROM new ORDER BY ord
                RETURNING event_id
            )
            INSERT INTO {schema}.outbox (event_id, topic, key, event_type, correlation_id,
                envelope)
            SELECT new.event_id, $15, $8, new.type, $12, new.envelope
            FROM new JOIN stored USING (event_id) ORDER BY new.ord
            RETURNING position
            """

        # Many new streams (versions 1…n each) in one round trip, for bulk
        # imports. No version check: the (stream_id, stream_version) key refuses
        # a stream that exists already. $1–$7: the new events' columns as in
        # `_append`, $8 their streams; $9 tenant, $10 recorded at,
        # $11 correlation id, $12 causation id, $13 producer, $14 topic.
        self._append_new = f"""
            WITH new AS (
                SELECT n.* FROM unnest(
                    $1::uuid[], $2::integer[], $3::text[], $4::integer[],
                    $5::timestamptz[], $6::jsonb[], $7::bytea[], $8::text[]
                ) WITH ORDINALITY AS n(event_id, stream_version, type, schema_version,
                                        occurred_at, payload, envelope, stream_id, ord)
            ), stored AS (
                INSERT INTO {schema}.events (event_id, stream_id, stream_version, type,
                    schema_version, tenant, occurred_at, recorded_at, correlation_id,
                    causation_id, producer, payload)
                SELECT event_id, stream_id, stream_version, type, schema_version, $9,
                    occurred_at, $10, $11, $12, $13, payload
                FROM new ORDER BY ord
                RETURNING event_id
            )
            INSERT INTO {schema}.outbox (event_id, topic, key, event_type, correlation_id,
                envelope)
            SELECT new.event_id, $14, new.stream_id, new.type, $11, new.envelope
            FROM new JOIN stored USING (event_id) ORDER BY new.ord
            RETURNING position
            """

    async def stream_version(self, conn: AsyncConnection, stream_id: str) -> int:
        rows = await _fetch(
            conn,
            f"SELECT coalesce(max(stream_version), 0) AS version FROM {self.schema}.events "
            "WHERE stream_id = $1",
            stream_id,
        )
        return int(rows[0]["version"])

    async def load(self, conn: AsyncConnection, stream_id: str) -> StoredStream:
        rows = await _fetch(
            conn,
            f"SELECT {_COLUMNS} FROM {self.schema}.events "
            "WHERE stream_id = $1 ORDER BY stream_version",
            stream_id,
        )
        events = tuple(_envelope(row) for row in rows)
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
        envelopes = self._envelopes(stream_id, expected_version, events, context, recorded_at)
        try:
            stored = await _fetch(
                conn,
                self._append,
                *_columns(envelopes),
                stream_id,
                expected_version,
                *self._provenance(context, recorded_at),
            )
        except (IntegrityError, asyncpg.UniqueViolationError) as exc:
            # A concurrent append won the (stream_id, stream_version) key after our check.
            if not _violates_stream_key(exc):
                raise
            raise VersionConflict(stream_id, expected_version, None) from exc
        if len(stored) != len(envelopes):
            raise VersionConflict(
                stream_id, expected_version, await self.stream_version(conn, stream_id)
            )
        self._count(envelopes)
        return envelopes

    async def append_new_streams(
        self,
        conn: AsyncConnection,
        streams: Sequence[tuple[str, Sequence[NewEvent]]],
        context: AppendContext,
        recorded_at: datetime,
    ) -> list[EventEnvelope]:
        """Append whole new streams (versions 1…n each) in one round trip.

        `append` is one round trip per stream; a bulk import of thousands of
        new aggregates needs one per batch. A stream that exists already
        raises VersionConflict (the caller's transaction is then rolled back).
        """
        envelopes = [
            envelope
            for stream_id, events in streams
            for envelope in self._envelopes(stream_id, 0, events, context, recorded_at)
        ]
        if not envelopes:
            return []
        try:
            await _fetch(
                conn,
                self._append_new,
                *_columns(envelopes),
                [e.aggregate_id for e in envelopes],
                *self._provenance(context, recorded_at),
            )
        except (IntegrityError, asyncpg.UniqueViolationError) as exc:
            if not _violates_stream_key(exc):
                raise
            raise VersionConflict("one of the new streams", 0, None) from exc
        self._count(envelopes)
        return envelopes

    def _provenance(self, context: AppendContext, recorded_at: datetime) -> tuple[Any, ...]:
        """The parameters every appended row shares, last in both append statements."""
        return (
            context.tenant,
            recorded_at,
            context.correlation_id,
            context.causation_id,
            self.producer,
            self.topic,
        )

    def _count(self, envelopes: Sequence[EventEnvelope]) -> None:
        for event_type, appended in Counter(e.type for e in envelopes).items():
            EVENTS_APPENDED.labels(self.producer, event_type).inc(appended)

    def _envelopes(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        context: AppendContext,
        recorded_at: datetime,
    ) -> list[EventEnvelope]:
        return [
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


async def _fetch(conn: AsyncConnection, statement: str, *arguments: object) -> Sequence[Any]:
    """Run one of the store's statements; its rows, each readable by column name.

    Inside a transaction the driver already holds (`shared.db.transaction`,
    or `engine.begin()` after a first statement) it runs on the driver's
    prepared statement, without SQLAlchemy's execution layer; otherwise
    through SQLAlchemy, which then begins the transaction itself.
    """
    driver = await driver_connection(conn)
    if driver.is_in_transaction():
        rows: Sequence[Any] = await driver.fetch(statement, *arguments)
        return rows
    return (await conn.exec_driver_sql(statement, arguments)).mappings().all()


def _columns(envelopes: Sequence[EventEnvelope]) -> tuple[list[Any], ...]:
    """The new events' columns, each an array parameter of the append statements."""
    return (
        [e.event_id for e in envelopes],
        [e.aggregate_version for e in envelopes],
        [e.type for e in envelopes],
        [e.schema_version for e in envelopes],
        [e.occurred_at for e in envelopes],
        [_json(e.payload) for e in envelopes],
        [e.to_bytes() for e in envelopes],
    )


def _violates_stream_key(error: Exception) -> bool:
    """A duplicate (stream_id, stream_version), as asyncpg or SQLAlchemy reports it."""
    return "events_stream_id_stream_version_key" in str(error)


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


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
