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
    and as many again under load.

    No pre-ping: with asyncpg it is three round trips (BEGIN, ";", ROLLBACK)
    on every checkout, more than a whole append. A connection the server
    dropped fails its next use instead; SQLAlchemy then invalidates it (and
    the pool's other connections) and the command's caller gets UNAVAILABLE
    once, the retry a fresh connection.
    """
    size = pool_size or settings.database_pool_size
    return create_async_engine(database_url(settings), pool_size=size, max_overflow=size)
