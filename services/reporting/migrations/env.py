"""Alembic environment: runs on the connection `shared.migrations` hands over."""

from alembic import context

config = context.config
connection = config.attributes["connection"]
schema = config.attributes["schema"]
context.configure(connection=connection, version_table_schema=schema, include_schemas=True)
with context.begin_transaction():
    context.run_migrations(schema=schema)
