"""Database engines. Each service owns one PostgreSQL schema; nothing else reads it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.settings import Settings


def database_url(settings: Settings) -> str:
    if not settings.database_url:
        raise RuntimeError(
            "DATABASE_URL is not set: start the stack with `make run` (embedded PostgreSQL) "
            "or point DATABASE_URL at a PostgreSQL server"
        )
    return settings.database_url


def create_engine(settings: Settings, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        database_url(settings), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )
