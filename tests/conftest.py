"""Fixtures for tests that need the real servers: PostgreSQL and a Kafka-protocol broker.

Both default to the embedded ones, started once per session (DATABASE_URL and
KAFKA_BOOTSTRAP point the tests at other servers instead). Each test gets its
own empty database and its own topic prefix, so tests never see each other's
data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.embedded.postgres import (
    EmbeddedPostgres,
    create_database,
    database_url_for,
    drop_database,
)
from shared.embedded.tansu import EmbeddedTansu
from shared.settings import Settings


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A SQLAlchemy URL to the server's `postgres` database (for CREATE DATABASE)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    # Not pytest's tmp_path: the library widens the permissions of every
    # parent of the data directory, and pytest resets its own to 0700.
    root = Path(tempfile.mkdtemp(prefix="arshjul-test-pg-"))
    server = EmbeddedPostgres(root / "pgdata")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A fresh, empty database for this test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex}"
    await create_database(postgres_admin_url, name)
    try:
        yield database_url_for(postgres_admin_url, name)
    finally:
        await drop_database(postgres_admin_url, name)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """host:port of the broker; topics are shared, so use `topic_prefix`."""
    configured = os.environ.get("KAFKA_BOOTSTRAP")
    if configured:
        yield configured
        return
    broker = EmbeddedTansu(log_file=tmp_path_factory.mktemp("tansu") / "tansu.log")
    try:
        yield broker.start()
    finally:
        broker.stop()


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


@pytest.fixture
def settings(
    database_url: str, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> Settings:
    """Settings for this test: its database, its topics, the simulated clock.

    The Kafka values are those the embedded broker needs (no idempotent
    producer on Tansu) and that make consumer-group joins take ~1 s.
    """
    return Settings(
        home=tmp_path,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        kafka_idempotence=False,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
        clock="simulated",
    )
