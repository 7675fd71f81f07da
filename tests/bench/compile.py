"""`make bench`: compiling the region's report of the demo year.

The four services run as their own processes on a database of their own (on
the run's server) and the run's broker, on the simulated clock. The demo's
year (arshjul/demo.py, seed 2026; BENCH_COMPILE_SCALE=small for a quick run)
is entered and driven until the LOKE steps have compiled every report; then
CompileReport of region 14 (Västra Götaland: its municipalities' units, both
years) is timed three times. Nothing new has arrived by then, so each run is
the whole compile (read models, merge, sections, checksums) that ends in
"unchanged"; the median is reported, with the events the report covers per
second.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console

from arshjul.demo import Endpoints, connected, drive_year, rpc
from arshjul.demo_data import SCALES, Scale
from shared.api import reports_pb2 as rpb
from shared.auth import REGION_PREFIX, issuer_from_settings, load_or_create_secret
from shared.embedded.postgres import create_database, database_url_for, drop_database
from shared.embedded.tansu import free_port
from shared.kafka import topic
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support.service import ServiceProcess, migrate

_SCALE = os.environ.get("BENCH_COMPILE_SCALE", "full")
SCALE: Scale = "small" if _SCALE == "small" else "full"
SEED = 2026
RUNS = 3
REGION = "14"
SERVICES = ("scheduler", "sessions", "measurements", "reporting")
TOPICS = ("scheduler.events", "sessions.events", "measurements.events", "reporting.events")
console = Console()


async def bench(database_url: str, bootstrap: str) -> list[tuple[str, float]]:
    if _SCALE not in SCALES:
        raise ValueError(f"BENCH_COMPILE_SCALE is small or full, not {_SCALE!r}")
    name = f"bench_compile_{uuid.uuid4().hex[:8]}"
    await create_database(database_url, name)
    try:
        with tempfile.TemporaryDirectory() as home:
            settings = Settings(
                home=Path(home),
                database_url=database_url_for(database_url, name),
                kafka_bootstrap=bootstrap,
                kafka_idempotence=False,
                kafka_session_timeout_ms=2000,
                kafka_heartbeat_interval_ms=500,
                topic_prefix=f"bc{uuid.uuid4().hex[:6]}.",
                clock="simulated",
                scheduler_tick_seconds=0.2,
                log_level="WARNING",
            )
            load_or_create_secret(settings.secret_file())
            await ensure_topics(bootstrap, [topic(settings, t) for t in TOPICS], 4)
            processes = [
                ServiceProcess(s, settings, free_port(), Path(home) / f"{s}.log") for s in SERVICES
            ]
            try:
                for process in processes:
                    migrate(settings, process.service)
                    await process.start()
                endpoints = Endpoints(
                    {p.service: p.address for p in processes}, issuer_from_settings(settings)
                )
                return await _timed(endpoints)
            finally:
                for process in processes:
                    process.stop()
    finally:
        await drop_database(database_url, name)


async def _timed(endpoints: Endpoints) -> list[tuple[str, float]]:
    async with connected(endpoints) as calls:
        started = time.perf_counter()
        data = await drive_year(calls, SEED, SCALE, console)
        console.print(
            f"compile: the demo year ({SCALE}) took {time.perf_counter() - started:.0f} s"
        )
        request = rpb.CompileReportRequest(scope=f"region:{REGION}", year=data.year)
        metadata = calls.as_(f"{REGION_PREFIX}{REGION}", Role.REGIONAL_SUPPORT)
        seconds = []
        summary = rpb.ReportSummary()
        with console.status(f"compiling region {REGION} {RUNS} times…"):
            for _ in range(RUNS):
                start = time.perf_counter()
                summary = await rpc(
                    "compile the region",
                    calls.reports.CompileReport(request, metadata=metadata, timeout=300),
                )
                seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    console.print(
        f"compile: region {REGION} of {data.year} ({summary.input_count:,} events): "
        f"median {median:.2f} s of {RUNS} ({', '.join(f'{s:.2f}' for s in seconds)})"
    )
    label = (
        f"compile: region {REGION} report, demo year ({SCALE}, {summary.input_count:,} events), "
        f"median {median:.2f} s"
    )
    return [(label, summary.input_count / median)]
