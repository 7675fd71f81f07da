"""Loading and saving work groups and catalogues: the event store plus the work group index.

`save_group` appends the decided events (optimistic concurrency on the stream
version), their outbox rows, and the index row, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.sessions.domain.catalogue import MunicipalCatalogue
from services.sessions.domain.work_group import WorkGroup, work_group_stream
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext

SCHEMA = "sessions"
TOPIC = "sessions.events"


class SessionsRepository:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def load_group(self, conn: AsyncConnection, tenant: str, work_group_id: str) -> WorkGroup:
        group = WorkGroup(tenant, work_group_id)
        stream = await self.store.load(conn, work_group_stream(tenant, work_group_id))
        for envelope in stream.events:
            group.apply(decode(envelope))
        return group

    async def save_group(
        self,
        conn: AsyncConnection,
        group: WorkGroup,
        events: Sequence[NewEvent],
        context: AppendContext,
        now: datetime,
    ) -> list[EventEnvelope]:
        envelopes = await self.store.append(
            conn, group.stream_id, group.version, events, context, now
        )
        for new in events:
            group.apply(new.payload)
        await conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.work_groups (tenant, work_group_id, unit, name, version) "
                "VALUES (:tenant, :id, :unit, :name, :version) "
                "ON CONFLICT (tenant, work_group_id) DO UPDATE SET name = excluded.name, "
                "version = excluded.version"
            ),
            {
                "tenant": group.tenant,
                "id": group.work_group_id,
                "unit": group.unit,
                "name": group.name,
                "version": group.version,
            },
        )
        return envelopes

    async def load_catalogue(self, conn: AsyncConnection, tenant: str) -> MunicipalCatalogue:
        catalogue = MunicipalCatalogue(tenant)
        for envelope in (await self.store.load(conn, catalogue.stream_id)).events:
            catalogue.apply(decode(envelope))
        return catalogue

    async def save_catalogue(
        self,
        conn: AsyncConnection,
        catalogue: MunicipalCatalogue,
        events: Sequence[NewEvent],
        context: AppendContext,
        now: datetime,
    ) -> list[EventEnvelope]:
        envelopes = await self.store.append(
            conn, catalogue.stream_id, catalogue.version, events, context, now
        )
        for new in events:
            catalogue.apply(new.payload)
        return envelopes

    async def group_ids(self, conn: AsyncConnection, tenant: str, unit: str | None) -> list[str]:
        result = await conn.execute(
            text(
                f"SELECT work_group_id FROM {SCHEMA}.work_groups WHERE tenant = :tenant "
                "AND (CAST(:unit AS text) IS NULL OR unit = :unit) ORDER BY work_group_id"
            ),
            {"tenant": tenant, "unit": unit},
        )
        return [row[0] for row in result]
