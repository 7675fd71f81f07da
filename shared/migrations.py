"""Run a service's Alembic migrations against its own schema.

Each service keeps its migrations in `services/<name>/migrations/` and its
Alembic version table inside its own schema, so services migrate
independently (`python -m services.<name> migrate`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["schema"] = schema
    return config


async def upgrade(database_url: str, script_location: Path, schema: str) -> None:
    """Bring `schema` to the newest revision (idempotent)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
            await conn.run_sync(_upgrade, alembic_config(script_location, schema))
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_upgrade(database_url: str, script_location: Path, schema: str) -> None:
    asyncio.run(upgrade(database_url, script_location, schema))
