"""A compiled report keeps its checksums through a rebuild of every projection and
through a restart of the whole embedded stack (`arshjul up`: the broker's topics are
lost, every event store is replayed onto the new topics and the read models are
projected again from them).

The stack is `arshjul up`'s own supervisor with the four services, each on a
free gRPC port (the defaults may be taken by a developer's `make run`); the
CLI (`arshjul reporting compile`, `arshjul reporting rebuild`, `arshjul
report`) runs as a process against it, as an operator would.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import grpc
import pytest

from arshjul.stack import StackFile, StackNotRunning
from shared.api import clients_pb2 as cpb
from shared.api import clients_pb2_grpc as cpb_grpc
from shared.api import knowledge_pb2 as kpb
from shared.api import knowledge_pb2_grpc as kpb_grpc
from shared.embedded.tansu import free_port
from shared.roles import Role
from shared.settings import Settings
from tests.integration.test_region_nation_reports import record_work_group
from tests.support.measurements import Case, Measurements, send_case
from tests.support.reports import Stack, eventually
from tests.support.service import ROOT, AuthorisedStub, token

TENANT, UNIT, YEAR = "1480", "ifo-vuxen", 2025
SCOPE = f"municipality:{TENANT}"
SESSION_DAYS = [date(2025, 6, 3), date(2025, 9, 2), date(2026, 1, 13)]
CASES = [
    Case(
        client=f"CS-{n}",
        group="missbruk",
        gender="female" if n % 2 else "male",
        age_band="35-44",
        problems=("alkohol",),
        opened_on=date(2025, 6, 1 + n),
        goal=("Minska riskabel alkoholkonsumtion", "audit"),
        audit=(18 + n, 6 + n),
        intervention="MI-samtal",
        intervention_outcome="completed",
        goal_outcome="achieved",
        exit_on=date(2026, 1, 20),
        closed_on=date(2026, 2, 1),
    )
    for n in range(3)
] + [
    Case(
        client="CS-open",
        group="våld i nära relation",
        gender=None,
        age_band=None,
        problems=("våld",),
        opened_on=date(2025, 11, 3),
        audit=(9, None),
    )
]

#: `arshjul up` itself, with every service on a port of the test's choosing.
UP_SCRIPT = """
import dataclasses, json, os, sys
from arshjul.stack import STACK_SERVICES
from arshjul.supervisor import up
from shared.settings import Settings
ports = json.loads(os.environ["TEST_GRPC_PORTS"])
specs = [dataclasses.replace(s, grpc_port=ports[s.name], metrics_port=0) for s in STACK_SERVICES]
sys.exit(up(Settings(), specs))
"""


@pytest.fixture
def scratch() -> Iterator[Path]:
    # Outside pytest's tmp dirs: embedded PostgreSQL widens the permissions of
    # every parent of its data directory.
    root = Path(tempfile.mkdtemp(prefix="arshjul-test-checksums-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def stack_env(home: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "KAFKA_BOOTSTRAP") and not key.startswith("ARSHJUL_")
    }
    return env | {
        "ARSHJUL_HOME": str(home),
        "ARSHJUL_CLOCK": "simulated",
        "ARSHJUL_SIMULATED_CLOCK_START": "2026-05-10T00:00:00+02:00",
        "ARSHJUL_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "ARSHJUL_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "TEST_GRPC_PORTS": _json(ports),
        "COLUMNS": "200",
    }


def _json(ports: dict[str, int]) -> str:
    return "{" + ", ".join(f'"{name}": {port}' for name, port in ports.items()) + "}"


class Up:
    """One `arshjul up` run in a subprocess."""

    def __init__(self, home: Path, env: dict[str, str], output: Path) -> None:
        self.home = home
        self.output = output
        with output.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-c", UP_SCRIPT],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    async def started(self, timeout: float = 180) -> StackFile:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return StackFile.load(self.home)
            except StackNotRunning:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"`up` never came up:\n{self.output.read_text()[-4000:]}")
            await asyncio.sleep(0.2)

    async def terminate(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"`up` did not stop:\n{self.output.read_text()[-4000:]}")
            await asyncio.sleep(0.1)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


def cli(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(
        [sys.executable, "-m", "arshjul.cli", *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, (arguments, done.stdout.decode(), done.stderr.decode())
    return done


def compiled(env: dict[str, str]) -> tuple[int, str, str, bool]:
    """`arshjul reporting compile`: (version, inputs checksum, figures checksum, new)."""
    printed = cli(env, "reporting", "compile", "--scope", SCOPE, "--year", str(YEAR))
    text = printed.stdout.decode()
    version = re.search(r"version (\d+)", text)
    inputs = re.search(r"inputs checksum:\s+([0-9a-f]{64})", text)
    figures = re.search(r"figures checksum:\s+([0-9a-f]{64})", text)
    assert version and inputs and figures, text
    return int(version[1]), inputs[1], figures[1], "new version" in text


def report_json(env: dict[str, str]) -> bytes:
    return cli(env, "report", "--scope", SCOPE, "--year", str(YEAR), "--format", "json").stdout


async def enter_data(stack: StackFile, settings: Settings) -> int:
    """A work group's sessions and a few follow-ups over gRPC; returns the client events."""
    channels = {s.name: grpc.aio.insecure_channel(s.grpc_address) for s in stack.services}
    try:
        test_stack = Stack(settings, channels)
        members = ("p1", "p2", "p3", "p4")
        await record_work_group(test_stack, TENANT, UNIT, "vuxen", members, SESSION_DAYS)
        client = Measurements(channels["measurements"], token(settings, TENANT, Role.FOLLOW_UP))
        return sum([await send_case(client, case, TENANT) for case in CASES])
    finally:
        for channel in channels.values():
            await channel.close()


async def projected(stack: StackFile, settings: Settings, client_events: int) -> None:
    """Wait until both read models hold every event entered (the year's and none more)."""
    bearer = token(settings, TENANT, Role.FOLLOW_UP)
    async with grpc.aio.insecure_channel(stack.service_address("reporting")) as channel:
        clients = AuthorisedStub(cpb_grpc.ClientReportsStub(channel), bearer)
        knowledge = AuthorisedStub(kpb_grpc.KnowledgeStub(channel), bearer)

        async def done() -> bool:
            try:
                found = await clients.GetClientReport(
                    cpb.ClientReportRequest(tenant=TENANT, year=YEAR)
                )
                report = await knowledge.GetKnowledgeReport(
                    kpb.KnowledgeReportRequest(tenant=TENANT, year=YEAR)
                )
            except grpc.aio.AioRpcError:
                return False
            sessions = report.total.year.sessions
            return bool(found.events == client_events and sessions == len(SESSION_DAYS))

        await eventually(done, "every event projected", timeout=180)


async def test_rebuilding_and_restarting_give_the_same_report(scratch: Path) -> None:
    home = scratch / "home"
    names = ("scheduler", "sessions", "measurements", "reporting")
    env = stack_env(home, {name: free_port() for name in names})
    settings = Settings(home=home)
    up = Up(home, env, scratch / "up.out")
    try:
        stack = await up.started()
        client_events = await enter_data(stack, settings)
        assert client_events == sum(len(c.dated_events()) for c in CASES)
        await projected(stack, settings, client_events)

        first = compiled(env)
        assert first[0] == 1 and first[3]
        before = report_json(env)

        # Every projection rebuilt from the topics' start and swapped in.
        cli(env, "reporting", "rebuild")
        assert compiled(env) == (*first[:3], False)

        # The whole stack stopped and started again: the topics are gone.
        assert await up.terminate() == 0, up.output.read_text()[-4000:]
        up = Up(home, env, scratch / "up-again.out")
        stack = await up.started()
        assert "Replayed" in (scratch / "up-again.out").read_text()
        await projected(stack, settings, client_events)
        assert compiled(env) == (*first[:3], False)
        assert report_json(env) == before
        versions = cli(env, "reporting", "versions", "--scope", SCOPE, "--year", str(YEAR))
        assert first[2] in versions.stdout.decode() and "\n│ 2 " not in versions.stdout.decode()
    finally:
        if up.process.poll() is None:
            await up.terminate()
