"""Event store, outbox and the work group index.

Revision ID: 0001
Revises:
"""

from alembic import op

from shared.eventstore import create_eventstore_tables

revision = "0001"
down_revision = None


def upgrade(schema: str) -> None:
    create_eventstore_tables(op.execute, schema)
    # The service's own index of its work groups, written in the same
    # transaction as each append: lists a municipality's or a unit's groups.
    op.execute(
        f"""CREATE TABLE {schema}.work_groups (
            tenant        text NOT NULL,
            work_group_id text NOT NULL,
            unit          text NOT NULL,
            name          text NOT NULL,
            version       integer NOT NULL,
            PRIMARY KEY (tenant, work_group_id)
        )"""
    )
    op.execute(f"CREATE INDEX work_groups_unit ON {schema}.work_groups (tenant, unit)")
