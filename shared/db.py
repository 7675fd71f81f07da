"""Database engines, and the transaction a command runs in. Each service owns one
PostgreSQL schema; nothing else reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg
import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.errors import DomainError
from shared.settings import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")


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


class ConnectionLost(Exception):
    """The database connection broke inside a transaction; the pool has discarded it.

    The gRPC layer answers UNAVAILABLE, and the caller's retry gets a fresh
    connection. Whether a COMMIT that broke took effect is unknown, as with
    any lost connection: commands are safe to retry because a stale expected
    version is refused.
    """


async def driver_connection(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under `conn`.

    While `conn` holds a valid connection this is an attribute walk; only an
    invalidated one needs `get_raw_connection`, which may reconnect (a
    greenlet hop that is otherwise a tenth of a command's Python time).
    """
    if conn.sync_connection is not None and not conn.invalidated:
        raw = conn.sync_connection.connection
    else:
        raw = await conn.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A command's unit of work: one transaction that asyncpg begins and commits.

    SQLAlchemy runs its statements in autocommit mode inside it, and the
    event store appends through the driver's own prepared statement. That
    takes SQLAlchemy's transaction and execution layers out of the hot path,
    about a third of an append's time (`make bench`). With `engine.begin()`
    the event store works too, through SQLAlchemy.

    A failing body rolls everything back, SQLAlchemy's statements with the
    driver's; a broken connection raises `ConnectionLost`, whichever of the
    two noticed.
    """
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        driver = await driver_connection(conn)
        try:
            work = await _or_discard(conn, _begin(driver))
            try:
                yield conn
            except BaseException:
                await _roll_back(conn, driver, work)
                raise
            await _or_discard(conn, work.commit())
        except Exception as error:
            if _is_connection_loss(error, driver):
                raise ConnectionLost("the database connection was lost") from error
            raise


def _is_connection_loss(error: Exception, driver: asyncpg.Connection) -> bool:
    """Did `error` come from the connection breaking (not a refused statement)?

    A connection killed mid-statement can surface as an asyncpg protocol
    error of another kind; by now `_roll_back` has discarded it, so a closed
    driver connection says so. A domain refusal stays what it is.
    """
    if isinstance(error, DBAPIError):
        return error.connection_invalidated
    if isinstance(error, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
        return True
    return not isinstance(error, DomainError) and driver.is_closed()


async def _begin(driver: asyncpg.Connection) -> asyncpg.transaction.Transaction:
    work = driver.transaction()
    await work.start()
    return work


async def _or_discard(conn: AsyncConnection, step: Awaitable[T]) -> T:
    """Begin or commit; a connection that fails at it leaves the pool."""
    try:
        return await step
    except BaseException:
        await conn.invalidate()
        raise


async def _roll_back(
    conn: AsyncConnection, driver: asyncpg.Connection, work: asyncpg.transaction.Transaction
) -> None:
    """Undo the body's work. A connection that cannot (it broke, or a cancelled
    query left it busy) is discarded instead, which ends the transaction on
    the server; the body's own error is what the caller sees."""
    if not driver.is_closed():
        try:
            await work.rollback()
            return
        except Exception as error:
            log.warning("database.rollback_failed", error=repr(error))
    await conn.invalidate()
