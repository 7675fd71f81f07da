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


def create_engine(settings: Settings, *, pool_size: int | None = None) -> AsyncEngine:
    """An engine with `pool_size` (default: ARSHJUL_DATABASE_POOL_SIZE) connections,
    and as many again under load."""
    size = pool_size or settings.database_pool_size
    return create_async_engine(
        database_url(settings), pool_size=size, max_overflow=size, pool_pre_ping=True
    )
