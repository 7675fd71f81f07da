"""The embedded servers, topic counting, and the `arshjul up` supervisor (with a fake service)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import grpc
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from grpc_health.v1 import health_pb2, health_pb2_grpc

from arshjul.stack import StackFile, StackNotRunning
from shared.embedded.postgres import EmbeddedPostgres, asyncpg_dsn
from shared.embedded.tansu import EmbeddedTansu, free_port
from shared.kafka_admin import ensure_topics, topic_event_counts

ROOT = Path(__file__).resolve().parents[2]

# `up` with one fake service; everything else comes from the environment.
UP_SCRIPT = """
import os, sys
from arshjul.stack import ServiceSpec
from arshjul.supervisor import up
from shared.settings import Settings
spec = ServiceSpec(
    "fake", "tests.integration.fake_service", int(os.environ["FAKE_GRPC_PORT"]), ("fake.events",)
)
sys.exit(up(Settings(), [spec]))
"""


@pytest.fixture
def scratch() -> Iterator[Path]:
    # Outside pytest's tmp dirs: embedded PostgreSQL widens the permissions of
    # every parent of its data directory.
    root = Path(tempfile.mkdtemp(prefix="arshjul-test-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _postgres_processes(data_dir: Path) -> list[int]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(data_dir) in cmdline and _alive(process.pid):
            found.append(process.pid)
    return found


# -- PostgreSQL ----------------------------------------------------------------


async def test_embedded_postgres_starts_answers_reuses_and_stops(scratch: Path) -> None:
    data_dir = scratch / "pgdata"
    server = EmbeddedPostgres(data_dir)
    url = server.start()
    assert url.startswith("postgresql+asyncpg://postgres:@/postgres?host=")
    try:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            assert await connection.fetchval("select 1") == 1
        finally:
            await connection.close()
        pid = server.postmaster_pid()
        assert pid is not None

        # A second start on the same directory reuses the running server.
        again = EmbeddedPostgres(data_dir)
        assert again.start() == url
        assert again.postmaster_pid() == pid
    finally:
        server.stop()
    assert not server.is_running()
    assert _postgres_processes(data_dir) == []

    # Stopped, it starts again on the existing directory (no new initdb).
    restarted = EmbeddedPostgres(data_dir)
    try:
        assert restarted.start() == url
    finally:
        restarted.stop()
    assert _postgres_processes(data_dir) == []


async def test_each_test_gets_its_own_empty_database(database_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        name = await connection.fetchval("select current_database()")
        tables = await connection.fetchval(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        )
    finally:
        await connection.close()
    assert name.startswith("t_")
    assert tables == 0


# -- Tansu ---------------------------------------------------------------------


async def _produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for index in range(count):
            await producer.send_and_wait(topic, f"value-{index}".encode(), key=f"k{index}".encode())
    finally:
        await producer.stop()


async def test_tansu_round_trip_and_exact_counts(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic = f"{topic_prefix}counted"
    await ensure_topics(kafka_bootstrap, [topic], 4)
    await ensure_topics(kafka_bootstrap, [topic], 4)  # idempotent
    await _produce(kafka_bootstrap, topic, 7)

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, number) for number in range(4)]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        values: list[bytes] = []
        deadline = time.monotonic() + 10
        while len(values) < 7 and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            values.extend(r.value for records in batches.values() for r in records if r.value)
        assert consumer.partitions_for_topic(topic) == {0, 1, 2, 3}
    finally:
        await consumer.stop()
    assert sorted(values) == sorted(f"value-{index}".encode() for index in range(7))

    counts = await topic_event_counts(kafka_bootstrap, [topic, f"{topic_prefix}absent"])
    assert counts == {topic: 7, f"{topic_prefix}absent": 0}


async def test_a_tansu_restart_loses_every_topic(scratch: Path) -> None:
    # Measured fact: Tansu stores in memory only. After a restart the topics
    # are gone (clients must re-create them and republish from event stores).
    broker = EmbeddedTansu(log_file=scratch / "tansu.log")
    bootstrap = broker.start()
    try:
        await ensure_topics(bootstrap, ["volatile"], 2)
        await _produce(bootstrap, "volatile", 3)
        assert await topic_event_counts(bootstrap, ["volatile"]) == {"volatile": 3}

        assert broker.restart() == bootstrap  # same port
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            assert "volatile" not in await admin.list_topics()
        finally:
            await admin.close()
        assert await topic_event_counts(bootstrap, ["volatile"]) == {"volatile": 0}
    finally:
        pid = broker.pid
        broker.stop()
    assert pid is not None and not _alive(pid)


# -- arshjul up ----------------------------------------------------------------


def _start_up(home: Path, output: Path, **extra_env: str) -> subprocess.Popen[bytes]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "KAFKA_BOOTSTRAP") and not key.startswith("ARSHJUL_")
    }
    env.update({"ARSHJUL_HOME": str(home), "FAKE_GRPC_PORT": str(free_port()), **extra_env})
    with output.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", UP_SCRIPT],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


async def _wait_for_stack(home: Path, up: subprocess.Popen[bytes], output: Path) -> StackFile:
    deadline = time.monotonic() + 40
    while True:
        try:
            return StackFile.load(home)
        except StackNotRunning:
            pass
        if up.poll() is not None or time.monotonic() > deadline:
            up.kill()
            up.wait()
            pytest.fail(f"`up` never wrote its stack file:\n{output.read_text()}")
        await asyncio.sleep(0.1)


async def _wait_exit(up: subprocess.Popen[bytes], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while up.poll() is None:
        if time.monotonic() > deadline:
            up.kill()
            pytest.fail("`up` did not exit")
        await asyncio.sleep(0.05)
    return up.returncode


async def _health(address: str) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=5
        )
        status: int = reply.status
        return status


def _fake_env(log_file: Path) -> dict[str, str | None]:
    for line in log_file.read_text().splitlines():
        if line.startswith("fake-service env: "):
            reported: dict[str, str | None] = json.loads(line.removeprefix("fake-service env: "))
            return reported
    raise AssertionError(f"no environment line in {log_file}")


async def test_up_serves_and_stops_everything_on_sigterm(scratch: Path) -> None:
    home = scratch / "home"
    output = scratch / "up.out"
    up = _start_up(home, output, ARSHJUL_CLOCK="simulated", ARSHJUL_TOPIC_PREFIX="upt.")
    try:
        stack = await _wait_for_stack(home, up, output)
        assert stack.embedded_postgres and stack.embedded_kafka
        assert stack.supervisor_pid == up.pid
        fake = stack.service("fake")
        assert await _health(fake.grpc_address) == health_pb2.HealthCheckResponse.SERVING

        # The topics exist, and the service got the embedded default's settings.
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
        await admin.start()
        try:
            assert "upt.fake.events" in await admin.list_topics()
        finally:
            await admin.close()
        env = _fake_env(fake.log_file)
        assert env["DATABASE_URL"] == stack.database_url
        assert env["KAFKA_BOOTSTRAP"] == stack.kafka_bootstrap
        assert env["ARSHJUL_KAFKA_IDEMPOTENCE"] == "false"
        assert env["ARSHJUL_KAFKA_SESSION_TIMEOUT_MS"] == "2000"
        assert env["ARSHJUL_KAFKA_HEARTBEAT_INTERVAL_MS"] == "500"
        assert env["ARSHJUL_CLOCK"] == "simulated"
        assert env["ARSHJUL_TOPIC_PREFIX"] == "upt."
        assert env["ARSHJUL_HOME"] == str(home.resolve())
        secret = home / "jwt-secret"
        assert secret.stat().st_mode & 0o777 == 0o600
        assert env["ARSHJUL_JWT_SECRET_FILE"] == str(secret.resolve())

        # A second `up` on the same home is refused while this one runs.
        second = _start_up(home, scratch / "second.out")
        assert await _wait_exit(second) == 1
        assert "already running" in (scratch / "second.out").read_text()

        started = {child.pid for child in psutil.Process(up.pid).children(recursive=True)}
        postmaster = EmbeddedPostgres(home / "pgdata").postmaster_pid()
        assert postmaster is not None
        started.add(postmaster)
        assert fake.pid in started

        up.send_signal(signal.SIGTERM)
        assert await _wait_exit(up) == 0, output.read_text()
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    survivors = [pid for pid in started if _alive(pid)]
    assert survivors == [], output.read_text()
    assert _postgres_processes(home / "pgdata") == []
    assert not (home / "stack.json").exists()
    assert not (home / "up.lock").exists()
    assert "SIGTERM: stopping the stack" in output.read_text()


async def test_up_stops_the_stack_when_a_service_dies(
    scratch: Path, database_url: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    home = scratch / "home"
    output = scratch / "up.out"
    up = _start_up(
        home,
        output,
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP=kafka_bootstrap,
        ARSHJUL_KAFKA_IDEMPOTENCE="false",
        ARSHJUL_TOPIC_PREFIX=topic_prefix,
    )
    try:
        stack = await _wait_for_stack(home, up, output)
        assert not stack.embedded_postgres and not stack.embedded_kafka
        os.kill(stack.service("fake").pid, signal.SIGKILL)
        assert await _wait_exit(up) == 1
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    text = output.read_text()
    assert "fake exited unexpectedly" in text
    assert not (home / "stack.json").exists()
    assert not (home / "up.lock").exists()
    # The servers it did not start are left running.
    assert await topic_event_counts(kafka_bootstrap, [f"{topic_prefix}fake.events"]) == {
        f"{topic_prefix}fake.events": 0
    }


async def test_up_fails_loudly_when_migrations_fail(
    scratch: Path, database_url: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    home = scratch / "home"
    output = scratch / "up.out"
    up = _start_up(
        home,
        output,
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP=kafka_bootstrap,
        ARSHJUL_TOPIC_PREFIX=topic_prefix,
        FAKE_SERVICE_FAIL_MIGRATE="1",
    )
    assert await _wait_exit(up) == 1
    text = output.read_text()
    assert "migrations of fake failed" in text
    assert 'relation "nothing" does not exist' in text
    assert "serve" not in (home / "logs" / "fake.log").read_text()
    assert not (home / "stack.json").exists()
    assert not (home / "up.lock").exists()
