"""DDL of the event store, outbox and projection bookkeeping, created in a service's schema.

Called from each service's first Alembic migration, so every service has the
same tables under its own schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def eventstore_ddl(schema: str) -> list[str]:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    return [
        f"CREATE SCHEMA IF NOT EXISTS {schema}",
        f"""CREATE TABLE {schema}.events (
            position        bigserial PRIMARY KEY,
            event_id        uuid NOT NULL UNIQUE,
            stream_id       text NOT NULL,
            stream_version  integer NOT NULL,
            type            text NOT NULL,
            schema_version  integer NOT NULL,
            tenant          text NOT NULL,
            occurred_at     timestamptz NOT NULL,
            recorded_at     timestamptz NOT NULL,
            correlation_id  uuid NOT NULL,
            causation_id    uuid,
            producer        text NOT NULL,
            payload         jsonb NOT NULL,
            UNIQUE (stream_id, stream_version)
        )""",
        # Rows wait here until the relay has published them, then are deleted:
        # the events table keeps the history.
        f"""CREATE TABLE {schema}.outbox (
            position   bigserial PRIMARY KEY,
            event_id   uuid NOT NULL,
            topic      text NOT NULL,
            key        text NOT NULL,
            event_type text NOT NULL,
            correlation_id uuid NOT NULL,
            envelope   bytea NOT NULL
        )""",
        f"""CREATE TABLE {schema}.handled_events (
            consumer  text NOT NULL,
            event_id  uuid NOT NULL,
            PRIMARY KEY (consumer, event_id)
        )""",
        f"""CREATE TABLE {schema}.consumer_positions (
            consumer    text NOT NULL,
            topic       text NOT NULL,
            partition   integer NOT NULL,
            next_offset bigint NOT NULL,
            PRIMARY KEY (consumer, topic, partition)
        )""",
    ]


def create_eventstore_tables(execute: Callable[[str], object], schema: str) -> None:
    """Run the DDL through a migration's `op.execute`."""
    for statement in eventstore_ddl(schema):
        execute(statement)
