"""Loading and saving follow-ups: the event store plus the service's follow-up index.

`save` appends the decided events (optimistic concurrency on the stream
version), their outbox rows and the index row in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.measurements.domain.followup import FollowUp
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
        those events, versions 1…n of a stream that must not exist yet (else
        VersionConflict, and the batch is rolled back).
        """
        stored = await self.store.append_new_streams(
            conn, [(f.follow_up_id, events) for f, events in planned], context, now
        )
        if not stored:
            return 0
        await conn.execute(_UPSERT, [_index_row(f) for f, _ in planned])
        return len(stored)

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
