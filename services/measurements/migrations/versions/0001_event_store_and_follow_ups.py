"""Event store, outbox and the follow-up index.

Revision ID: 0001
Revises:
"""

from alembic import op

from shared.eventstore import create_eventstore_tables

revision = "0001"
down_revision = None


def upgrade(schema: str) -> None:
    create_eventstore_tables(op.execute, schema)
    # The service's own index of its follow-ups, written in the same
    # transaction as each append: lists a unit's follow-ups and answers
    # "is this row already imported" without loading streams.
    op.execute(
        f"""CREATE TABLE {schema}.follow_ups (
            follow_up_id text PRIMARY KEY,
            tenant       text NOT NULL,
            unit         text NOT NULL,
            client       text NOT NULL,
            client_group text NOT NULL,
            opened_on    date NOT NULL,
            closed_on    date
        )"""
    )
    op.execute(f"CREATE INDEX follow_ups_tenant_unit ON {schema}.follow_ups (tenant, unit)")
