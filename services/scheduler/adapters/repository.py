"""Loading and saving wheels: the event store plus the scheduler's wheel index.

`save` appends the decided events (optimistic concurrency on the stream
version), their outbox rows, and the index row in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scheduler.domain.wheel import Wheel
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext

SCHEMA = "scheduler"
TOPIC = "scheduler.events"


class WheelRepository:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def load(self, conn: AsyncConnection, wheel_id: str) -> Wheel:
        stream = await self.store.load(conn, wheel_id)
        wheel = Wheel(wheel_id)
        for envelope in stream.events:
            wheel.apply(decode(envelope))
        return wheel

    async def save(
        self,
        conn: AsyncConnection,
        wheel: Wheel,
        events: Sequence[NewEvent],
        context: AppendContext,
        now: datetime,
    ) -> list[EventEnvelope]:
        expected = wheel.version
        envelopes = await self.store.append(conn, wheel.wheel_id, expected, events, context, now)
        for new in events:
            wheel.apply(new.payload)
        await conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.wheels "
                "(wheel_id, tenant, unit, status, version, next_wake_at) "
                "VALUES (:id, :tenant, :unit, :status, :version, :wake) "
                "ON CONFLICT (wheel_id) DO UPDATE SET status = excluded.status, "
                "version = excluded.version, next_wake_at = excluded.next_wake_at"
            ),
            {
                "id": wheel.wheel_id,
                "tenant": wheel.tenant,
                "unit": wheel.unit,
                "status": wheel.status,
                "version": wheel.version,
                "wake": wheel.next_wake(now),
            },
        )
        return envelopes

    async def lock(self, conn: AsyncConnection, wheel_id: str) -> bool:
        """Lock the wheel's index row for this transaction; False if there is no such wheel."""
        result = await conn.execute(
            text(f"SELECT wheel_id FROM {SCHEMA}.wheels WHERE wheel_id = :id FOR UPDATE"),
            {"id": wheel_id},
        )
        return result.first() is not None

    async def due_wheel_ids(
        self,
        conn: AsyncConnection,
        now: datetime,
        limit: int,
        *,
        lock: Literal["skip", "wait", False] = "skip",
    ) -> list[str]:
        """Wheels with something to emit by `now`, locked for this transaction.

        SKIP LOCKED lets two replicas share the work; the stream version is
        what guarantees that an occurrence is emitted once even if both try.
        "wait" waits for wheels another transaction holds (and leaves out
        those it moved past `now`); False only looks.
        """
        locking = {"skip": " FOR UPDATE SKIP LOCKED", "wait": " FOR UPDATE", False: ""}[lock]
        result = await conn.execute(
            text(
                f"SELECT wheel_id FROM {SCHEMA}.wheels "
                "WHERE next_wake_at <= :now ORDER BY next_wake_at, wheel_id "
                f"LIMIT :limit{locking}"
            ),
            {"now": now, "limit": limit},
        )
        return [row[0] for row in result]

    async def wheel_ids(self, conn: AsyncConnection, tenant: str, unit: str | None) -> list[str]:
        result = await conn.execute(
            text(
                f"SELECT wheel_id FROM {SCHEMA}.wheels WHERE tenant = :tenant "
                "AND (CAST(:unit AS text) IS NULL OR unit = :unit) ORDER BY wheel_id"
            ),
            {"tenant": tenant, "unit": unit},
        )
        return [row[0] for row in result]
