"""Event store, outbox, wheel index and the simulated clock.

Revision ID: 0001
Revises:
"""

from alembic import op

from shared.eventstore import create_eventstore_tables

revision = "0001"
down_revision = None


def upgrade(schema: str) -> None:
    create_eventstore_tables(op.execute, schema)
    # The scheduler's own index of its wheels, written in the same transaction
    # as each append: lists wheels and tells the ticker which wheel wakes next.
    op.execute(
        f"""CREATE TABLE {schema}.wheels (
            wheel_id     text PRIMARY KEY,
            tenant       text NOT NULL,
            unit         text NOT NULL,
            status       text NOT NULL,
            version      integer NOT NULL,
            next_wake_at timestamptz
        )"""
    )
    op.execute(f"CREATE INDEX wheels_tenant_unit ON {schema}.wheels (tenant, unit)")
    op.execute(f"CREATE INDEX wheels_next_wake ON {schema}.wheels (next_wake_at)")
    op.execute(
        f"""CREATE TABLE {schema}.simulated_clock (
            id  boolean PRIMARY KEY DEFAULT true CHECK (id),
            now timestamptz NOT NULL
        )"""
    )
