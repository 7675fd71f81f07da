"""Loading and saving follow-ups: the event store plus the service's follow-up index.

`save` appends the decided events (optimistic concurrency on the stream
version), their outbox rows and the index row in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.measurements.domain.followup import FollowUp
from shared.errors import VersionConflict
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.events.measurements import FollowUpClosed, FollowUpOpened
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext

SCHEMA = "measurements"
TOPIC = "measurements.events"

_UPSERT = text(
    f"INSERT INTO {SCHEMA}.follow_ups (follow_up_id, tenant, unit, client, client_group, "
    "opened_on, closed_on) VALUES (:id, :tenant, :unit, :client, :client_group, "
    ":opened_on, :closed_on) ON CONFLICT (follow_up_id) DO UPDATE SET "
    "closed_on = excluded.closed_on"
)


# Whole new streams in one round trip: the rows EventStore.append writes
# (events, and outbox rows carrying the envelope), for many streams at once.
# Keep it in step with shared/eventstore/store.py; the import test fails
# when they part.
_APPEND_NEW = text(
    f"""
    WITH new AS (
        SELECT n.* FROM unnest(
            CAST(:event_ids AS uuid[]), CAST(:streams AS text[]), CAST(:versions AS integer[]),
            CAST(:types AS text[]), CAST(:schema_versions AS integer[]),
            CAST(:occurred AS timestamptz[]), CAST(:payloads AS jsonb[]),
            CAST(:envelopes AS bytea[])
        ) WITH ORDINALITY AS n(event_id, stream_id, stream_version, type, schema_version,
                                occurred_at, payload, envelope, ord)
    ), stored AS (
        INSERT INTO {SCHEMA}.events (event_id, stream_id, stream_version, type, schema_version,
            tenant, occurred_at, recorded_at, correlation_id, causation_id, producer, payload)
        SELECT event_id, stream_id, stream_version, type, schema_version, :tenant, occurred_at,
            :recorded_at, :correlation_id, NULL, :producer, payload
        FROM new ORDER BY ord
        RETURNING event_id
    )
    INSERT INTO {SCHEMA}.outbox (event_id, topic, key, event_type, correlation_id, envelope)
    SELECT new.event_id, :topic, new.stream_id, new.type, :correlation_id, new.envelope
    FROM new JOIN stored USING (event_id) ORDER BY new.ord
    """
)


@dataclass(frozen=True)
class FollowUpSummary:
    follow_up_id: str
    unit: str
    client: str
    client_group: str
    opened_on: date
    closed_on: date | None


class FollowUpRepository:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def load(self, conn: AsyncConnection, follow_up_id: str) -> FollowUp:
        stream = await self.store.load(conn, follow_up_id)
        follow_up = FollowUp(follow_up_id)
        for envelope in stream.events:
            follow_up.apply(decode(envelope))
        return follow_up

    async def save(
        self,
        conn: AsyncConnection,
        follow_up: FollowUp,
        events: Sequence[NewEvent],
        context: AppendContext,
        now: datetime,
    ) -> list[EventEnvelope]:
        """Append `events` and apply them to `follow_up`; index it when it opens or closes."""
        envelopes = await self.store.append(
            conn, follow_up.follow_up_id, follow_up.version, events, context, now
        )
        for new in events:
            follow_up.apply(new.payload)
        # Only opening and closing change the index; a rating is one round trip less.
        if any(isinstance(new.payload, FollowUpOpened | FollowUpClosed) for new in events):
            await conn.execute(_UPSERT, [_index_row(follow_up)])
        return envelopes

    async def save_new(
        self,
        conn: AsyncConnection,
        planned: Sequence[tuple[FollowUp, Sequence[NewEvent]]],
        context: AppendContext,
        now: datetime,
    ) -> int:
        """Append whole new streams (an import batch) in one statement; returns the events.

        `planned` pairs a follow-up already holding its events' state with
        those events, versions 1…n of a stream that must not exist yet. The
        event store's append is one round trip per stream; an import of
        thousands of follow-ups needs one per batch, so this writes the same
        rows (events and outbox, as EventStore.append does) for many streams
        at once. The (stream_id, stream_version) key refuses a stream that
        exists by now: VersionConflict, and the batch is rolled back.
        """
        rows = [
            _envelope(follow_up.follow_up_id, version, new, context, now, self.store)
            for follow_up, events in planned
            for version, new in enumerate(events, start=1)
        ]
        if not rows:
            return 0
        try:
            await conn.execute(
                _APPEND_NEW,
                {
                    "event_ids": [e.event_id for e in rows],
                    "streams": [e.aggregate_id for e in rows],
                    "versions": [e.aggregate_version for e in rows],
                    "types": [e.type for e in rows],
                    "schema_versions": [e.schema_version for e in rows],
                    "occurred": [e.occurred_at for e in rows],
                    "payloads": [
                        json.dumps(e.payload, ensure_ascii=False, sort_keys=True) for e in rows
                    ],
                    "envelopes": [e.to_bytes() for e in rows],
                    "tenant": context.tenant,
                    "recorded_at": now,
                    "correlation_id": context.correlation_id,
                    "producer": self.store.producer,
                    "topic": self.store.topic,
                },
            )
        except IntegrityError as error:
            if "stream_id" not in str(error.orig):
                raise
            raise VersionConflict("an imported follow-up", 0, None) from error
        await conn.execute(_UPSERT, [_index_row(f) for f, _ in planned])
        return len(rows)

    async def existing(self, conn: AsyncConnection, follow_up_ids: Sequence[str]) -> set[str]:
        result = await conn.execute(
            text(f"SELECT follow_up_id FROM {SCHEMA}.follow_ups WHERE follow_up_id = ANY(:ids)"),
            {"ids": list(follow_up_ids)},
        )
        return {row[0] for row in result}

    async def summaries(
        self,
        conn: AsyncConnection,
        tenant: str,
        unit: str | None,
        status: str | None,
        limit: int,
    ) -> tuple[list[FollowUpSummary], int]:
        """A unit's (or a municipality's) follow-ups, newest first, and how many match."""
        where = (
            "WHERE tenant = :tenant AND (CAST(:unit AS text) IS NULL OR unit = :unit) "
            "AND (CAST(:status AS text) IS NULL "
            "OR (:status = 'open') = (closed_on IS NULL))"
        )
        params = {"tenant": tenant, "unit": unit, "status": status, "limit": limit}
        total = await conn.execute(
            text(f"SELECT count(*) FROM {SCHEMA}.follow_ups {where}"), params
        )
        rows = await conn.execute(
            text(
                "SELECT follow_up_id, unit, client, client_group, opened_on, closed_on "
                f"FROM {SCHEMA}.follow_ups {where} "
                "ORDER BY opened_on DESC, follow_up_id LIMIT :limit"
            ),
            params,
        )
        return [FollowUpSummary(*row) for row in rows], int(total.scalar_one())


def _envelope(
    stream_id: str,
    version: int,
    new: NewEvent,
    context: AppendContext,
    now: datetime,
    store: EventStore,
) -> EventEnvelope:
    return EventEnvelope(
        event_id=new.event_id,
        type=new.payload.event_type,
        schema_version=new.payload.version(),
        tenant=context.tenant,
        aggregate_id=stream_id,
        aggregate_version=version,
        occurred_at=new.occurred_at,
        recorded_at=now,
        correlation_id=context.correlation_id,
        causation_id=context.causation_id,
        producer=store.producer,
        payload=new.payload.model_dump(mode="json"),
    )


def _index_row(follow_up: FollowUp) -> dict[str, object]:
    return {
        "id": follow_up.follow_up_id,
        "tenant": follow_up.tenant,
        "unit": follow_up.unit,
        "client": follow_up.client,
        "client_group": follow_up.client_group,
        "opened_on": follow_up.opened_on,
        "closed_on": follow_up.closed_on,
    }
