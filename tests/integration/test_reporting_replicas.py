"""Two reporting replicas in one consumer group share the partitions and still
give effectively-once read models: the client report equals the plain-formula
figures, exactly as with one replica (tests/integration/test_client_report.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from shared.api import measurements_pb2 as pb
from shared.embedded.tansu import free_port
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support.measurements import (
    Measurements,
    Reports,
    assert_report,
    events_in_year,
    generated_cases,
    migrate,
    wait_for_events,
)
from tests.support.service import ServiceProcess, token

YEAR = 2025


@pytest.fixture
async def measurements(
    settings: Settings, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[ServiceProcess]:
    await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}measurements.events"], 4)
    migrate(settings)
    process = ServiceProcess("measurements", settings, free_port(), tmp_path / "measurements.log")
    await process.start()
    try:
        yield process
    finally:
        process.stop()


async def test_two_reporting_replicas_in_one_group_give_the_report_of_one(
    measurements: ServiceProcess, settings: Settings, tmp_path: Path
) -> None:
    cases = generated_cases(600, seed=11)
    total = events_in_year(cases, YEAR)
    replicas = [
        ServiceProcess("reporting", settings, free_port(), tmp_path / f"reporting-{i}.log")
        for i in (1, 2)
    ]
    try:
        for replica in replicas:
            await replica.start()
        async with grpc.aio.insecure_channel(measurements.address) as channel:
            importer = Measurements(channel, token(settings, "1480", Role.FOLLOW_UP))
            for start in range(0, len(cases), 200):
                rows = [
                    pb.ImportRow(line=start + i + 2, fields=c.row())
                    for i, c in enumerate(cases[start : start + 200])
                ]
                reply = await importer.ImportRecords(pb.ImportRequest(rows=rows))
                assert {r.status for r in reply.results} == {"imported"}
        # Each replica answers from the one shared read model: both see every
        # event of the year once, never more (wait_for_events fails on more).
        for replica in replicas:
            async with grpc.aio.insecure_channel(replica.address) as channel:
                reports = Reports(channel, token(settings, "1480", Role.FOLLOW_UP))
                report = await wait_for_events(reports, "1480", "", YEAR, total)
                assert_report(report, cases, YEAR)
        logs = [replica.log.read_text() for replica in replicas]
    finally:
        for replica in replicas:
            replica.stop()
    # Both replicas took part: each was last assigned some of the clients
    # projection's partitions (4 partitions, 2 members).
    assert all(_last_clients_assignment(log) > 0 for log in logs)


def _last_clients_assignment(log: str) -> int:
    """How many partitions the replica's `clients` consumer was last assigned."""
    assigned = 0
    for line in log.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") == "partitions assigned" and record.get("consumer") == "clients":
                assigned = int(record["partitions"])
    return assigned
