"""`arshjul import`: 10,000 rows with 3 bad ones store exactly 9,997 follow-ups, report
the 3 by line and column, and a second import of the same file changes nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.api import measurements_pb2 as pb
from shared.embedded.tansu import free_port
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support import service
from tests.support.measurements import (
    Measurements,
    generated_cases,
    run_cli,
    write_stack_file,
)
from tests.support.service import ServiceProcess, token


@pytest.fixture
async def measurements(
    settings: Settings, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[ServiceProcess]:
    await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}measurements.events"], 4)
    service.migrate(settings, "measurements")
    process = ServiceProcess("measurements", settings, free_port(), tmp_path / "measurements.log")
    await process.start()
    write_stack_file(settings, {"measurements": process.address}, tmp_path / "cli.log")
    yield process
    process.stop()


async def stored(settings: Settings) -> tuple[int, int]:
    """(follow-up streams, events) in the measurements event store."""
    assert settings.database_url is not None
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text("SELECT count(DISTINCT stream_id), count(*) FROM measurements.events")
            )
            streams, events = result.one()
            return int(streams), int(events)
    finally:
        await engine.dispose()


async def test_ten_thousand_rows_with_three_bad_and_an_idempotent_reimport(
    measurements: ServiceProcess, settings: Settings, tmp_path: Path
) -> None:
    rows = [case.row() for case in generated_cases(10_000, seed=11)]
    # Three bad rows (a CSV row's line is its index + 2: the header is line 1).
    rows[1234]["intake_audit"] = "41"  # AUDIT is 0–40
    rows[5678]["client"] = "811218-9876"  # a personal identity number, not a pseudonym
    rows[9000]["opened_on"] = "2025-02-30"  # no such date
    export = tmp_path / "export.csv"
    columns = sorted({column for row in rows for column in row})
    with export.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)

    first = run_cli(settings, "import", str(export), "--format", "json")
    assert first.returncode == 1, first.stderr  # some rows were bad
    summary = json.loads(first.stdout)
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (10_000, 9_997, 3)
    assert [(b["line"], b["field"]) for b in summary["bad_rows"]] == [
        (1236, "intake_audit"),
        (5680, "client"),
        (9002, "opened_on"),
    ]
    assert "pseudonym" in summary["bad_rows"][1]["reason"]
    streams, events = await stored(settings)
    assert streams == 9_997
    assert events == summary["events"]
    async with grpc.aio.insecure_channel(measurements.address) as channel:
        client = Measurements(channel, token(settings, "1480", Role.FOLLOW_UP))
        listed = await client.ListFollowUps(pb.ListFollowUpsRequest(unit="ifo-vuxen", limit=1))
        assert listed.total == 9_997

    again = run_cli(settings, "import", str(export), "--format", "json")
    assert again.returncode == 1, again.stderr
    repeated = json.loads(again.stdout)
    assert (repeated["imported"], repeated["already_imported"], repeated["rejected"]) == (
        0,
        9_997,
        3,
    )
    assert repeated["events"] == 0
    assert await stored(settings) == (streams, events)


async def test_json_lines_and_a_dry_run(
    measurements: ServiceProcess, settings: Settings, tmp_path: Path
) -> None:
    cases = generated_cases(3, seed=12)
    export = tmp_path / "export.jsonl"
    lines = [json.dumps(case.row(), ensure_ascii=False) for case in cases]
    lines.insert(1, '{"unit": "ifo-vuxen", "client": "K-9", "opened_on": "2025-06-01"}')
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")

    dry = run_cli(settings, "import", str(export), "--dry-run", "--format", "json")
    summary = json.loads(dry.stdout)
    assert (summary["valid"], summary["imported"], summary["rejected"]) == (3, 0, 1)
    assert summary["bad_rows"][0]["line"] == 2
    assert summary["bad_rows"][0]["field"] == "client_group"
    assert await stored(settings) == (0, 0)

    table = run_cli(settings, "import", str(export))
    assert table.returncode == 1
    assert "3 importerade / imported" in table.stdout
    assert "client_group" in table.stderr
    assert (await stored(settings))[0] == 3
