"""What a projection is to the reporting service.

A projection owns one PostgreSQL schema, `reporting_<name>`: its read-model
tables (declared schema-less in `metadata`, placed by a schema translation at
run time), plus its own handled-event ids and consumer positions. Keeping all
three in one schema is what lets a rebuild fill a shadow schema from the
earliest offsets and swap it in with one rename, positions and all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.envelope import EventEnvelope


class Projection(Protocol):
    #: Schema suffix and consumer name ("knowledge" → schema reporting_knowledge).
    name: str
    #: Base names of the topics it reads (before the topic prefix).
    topics: tuple[str, ...]
    #: Its read-model tables, declared without a schema.
    metadata: sa.MetaData

    async def apply(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        """Change the read model for a batch of new events (one partition, offset order).

        Runs inside the consumer's transaction, with the schema translation in
        place, so Core statements on `metadata`'s tables hit this projection's
        schema. Must not commit, and must depend on nothing but the events and
        the read model (no wall clock), so a rebuild gives the same rows.
        """
        ...
