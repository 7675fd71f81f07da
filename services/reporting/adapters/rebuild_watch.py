"""The rebuild progress gauges on the reporting service's /metrics.

A rebuild (`services.reporting.adapters.rebuild`) runs in the process of
`arshjul reporting rebuild`, a one-off command with no metrics endpoint of its
own, while Prometheus scrapes the reporting service. Everything a rebuild has
done is in the database, though, so the service watches for it: every
`WATCH_SECONDS`, for each projection, one query asks whether the shadow
schema `reporting_<name>__rebuild` exists, and which schema objects the
shadow and the live schema are. While the shadow exists:

- `arshjul_rebuild_running` is 1 (also for a shadow a cancelled rebuild left:
  that rebuild is unfinished until it is resumed and swapped in);
- `arshjul_rebuild_events_read` is what the shadow's stored positions say it
  has read: the sum over partitions of `next_offset` in its
  `consumer_positions` (a second query), so a resumed run counts on from
  where the cancelled one stopped;
- `arshjul_rebuild_events_to_read` is the records on the projection's topics
  now, from fetch responses' high watermarks (`shared.kafka_admin`: the
  broker's `end_offsets()` is wrong on the embedded broker), one probe per
  interval for all shadows; unset while unknown. Both figures count offsets
  from 0, which is what event topics with unlimited retention hold. Events
  arriving during the rebuild are the live runner's, so the read figure
  stops a little short of this one.

When a shadow seen before is gone, and the live schema is the very schema
that was the shadow (the swap renames it, so its oid is the shadow's), the
rebuild was swapped in: `arshjul_rebuild_completed_timestamp_seconds` is set
to the time the watch noticed (at most one interval late) and running drops
to 0. A shadow dropped without a swap (`--fresh`, by hand) only drops running
to 0. Every replica watches the same database, so all show the same figures
(the dashboard takes the max). A failed look is logged and tried again at the
next interval; it never stops the service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters.read_models import projection_schema
from services.reporting.adapters.rebuild import shadow_schema
from services.reporting.projections.base import Projection
from shared.kafka import bootstrap, connection_options, topic
from shared.kafka_admin import topic_event_counts
from shared.metrics import RebuildMetrics
from shared.settings import Settings

#: Seconds between two looks: well within a Prometheus scrape interval.
WATCH_SECONDS = 5.0
#: How long one probe of the topics' high watermarks may take.
PROBE_SECONDS = 10.0
#: SQLSTATEs of a shadow that vanished between two statements (no table, no schema).
_GONE = ("42P01", "3F000")

log = structlog.get_logger(__name__)


@dataclass
class _Watched:
    projection: Projection
    metrics: RebuildMetrics
    #: The oid of the shadow schema when last seen, None while there is none.
    shadow_oid: int | None = None


class RebuildWatch:
    """Feeds `RebuildMetrics` of every projection from the database and the broker."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        projections: Sequence[Projection],
        *,
        interval: float = WATCH_SECONDS,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.interval = interval
        self.watched = [_Watched(p, RebuildMetrics(p.name)) for p in projections]

    async def run(self) -> None:
        """Look every `interval` seconds until cancelled."""
        for watched in self.watched:
            watched.metrics.finished(swapped=False)  # shown as 0 until a shadow appears
        while True:
            try:
                await self.look()
            except Exception as error:
                log.warning("rebuild watch failed; trying again", error=repr(error))
            await asyncio.sleep(self.interval)

    async def look(self) -> None:
        """Update every projection's gauges once."""
        read: dict[str, int] = {}
        async with self.engine.connect() as conn:
            # Each statement on its own: one that fails spoils none after it.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            for watched in self.watched:
                events = await self._look_at(conn, watched)
                if events is not None:
                    read[watched.projection.name] = events
        if not read:
            return
        to_read = await self._records_on_topics(
            [w.projection for w in self.watched if w.projection.name in read]
        )
        for watched in self.watched:
            name = watched.projection.name
            if name in read:
                watched.metrics.progressed(read=read[name], to_read=to_read.get(name))

    async def _look_at(self, conn: AsyncConnection, watched: _Watched) -> int | None:
        """The events the projection's shadow has read; None without a shadow."""
        name = watched.projection.name
        shadow = shadow_schema(watched.projection)
        found = await conn.execute(
            text("SELECT CAST(to_regnamespace(:s) AS oid), CAST(to_regnamespace(:l) AS oid)"),
            {"s": shadow, "l": projection_schema(watched.projection)},
        )
        shadow_oid, live_oid = found.one()
        if shadow_oid is None:
            if watched.shadow_oid is not None:
                swapped = live_oid == watched.shadow_oid
                watched.metrics.finished(swapped=swapped)
                watched.shadow_oid = None
                log.info("rebuild ended", projection=name, swapped=swapped)
            return None
        if watched.shadow_oid is None:
            log.info("rebuild seen", projection=name, shadow=shadow)
        watched.shadow_oid = int(shadow_oid)
        try:
            positions = await conn.execute(
                text(
                    f"SELECT coalesce(sum(next_offset), 0) FROM {shadow}.consumer_positions "
                    "WHERE consumer = :c"
                ),
                {"c": name},
            )
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) not in _GONE:
                raise
            # Swapped in (or dropped) since the first statement: the next look tells which.
            return None
        return int(positions.scalar_one())

    async def _records_on_topics(self, projections: Sequence[Projection]) -> dict[str, int]:
        """Per projection, the records on its topics now; empty when the probe fails."""
        names = {p.name: [topic(self.settings, base) for base in p.topics] for p in projections}
        try:
            counts = await topic_event_counts(
                bootstrap(self.settings),
                sorted({t for topics in names.values() for t in topics}),
                client_options=connection_options(self.settings),
                max_wait=PROBE_SECONDS,
            )
        except Exception as error:
            log.warning("rebuild watch: no high watermarks", error=repr(error))
            return {}
        return {name: sum(counts[t] for t in topics) for name, topics in names.items()}
