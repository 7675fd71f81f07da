"""The knowledge follow-up end to end: scheduler, sessions and reporting as real
processes on the real broker and database, a follow-up year driven on the
simulated clock, and every figure of the report compared with the numbers
worked out by hand in tests/support/sessions.py.

The year: a work group of 8 with a wheel of monthly APT occurrences; sessions
answer some on time, some late, some never; one session is corrected. Then
the reporting service is SIGKILLed while it projects the year again (with
other units' events in between), restarted, and gives the same figures.

One stack serves the whole module; the SIGKILL test comes last.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from arshjul.cli import app as cli
from arshjul.sessions_cli import Lang, report_json
from arshjul.stack import StackFile, StackService
from services.sessions.adapters.grpc_api import content_to_pb
from shared.api import knowledge_pb2 as kpb
from shared.api import knowledge_pb2_grpc as kpb_grpc
from shared.api import scheduler_pb2 as spb
from shared.api import sessions_pb2 as pb
from shared.clock import STOCKHOLM
from shared.embedded.tansu import free_port
from shared.events.envelope import EventEnvelope
from shared.events.sessions import (
    MemberJoined,
    PartCases,
    PartUptake,
    RelevantPartsChosen,
    SessionContent,
    SessionRecorded,
    WorkGroupFormed,
)
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from shared.support_parts import base_catalogue
from tests.support import scheduler
from tests.support.service import AuthorisedStub, ServiceProcess, migrate, token
from tests.support.sessions import (
    APT_RRULE,
    APT_STEP,
    CORRECTED_S8,
    GROUP,
    JOUR,
    JOUR_MEMBERS,
    JOUR_SESSION,
    MEMBERS,
    PART_CHOICES,
    SESSIONS,
    TENANT,
    UNIT,
    YEAR,
    Client,
    PlannedSession,
    expected_report,
    module_settings,
)

SERVICES = ("scheduler", "sessions", "reporting")
CLOCK_START = datetime(2025, 4, 1, tzinfo=STOCKHOLM)
YEAR_OVER = "2026-05-02"


@dataclass
class Stack:
    settings: Settings
    processes: dict[str, ServiceProcess]
    channels: dict[str, grpc.aio.Channel]
    wheel_id: str = ""

    def sessions(self, role: Role, unit: str | None = UNIT, tenant: str = TENANT) -> Client:
        return Client(self.channels["sessions"], token(self.settings, tenant, role, unit))

    def scheduler(self, role: Role, unit: str | None = UNIT, tenant: str = TENANT) -> Any:
        return scheduler.Client(
            self.channels["scheduler"], token(self.settings, tenant, role, unit)
        )

    def knowledge(self, role: Role, unit: str | None = UNIT, tenant: str = TENANT) -> Any:
        return AuthorisedStub(
            kpb_grpc.KnowledgeStub(self.channels["reporting"]),
            token(self.settings, tenant, role, unit),
        )

    @property
    def operator(self) -> Any:
        return self.scheduler(Role.OPERATOR, unit=None, tenant="region:14")


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.2)


def instant(day: date, hour: int = 12) -> str:
    return datetime.combine(day, clock_time(hour), tzinfo=STOCKHOLM).isoformat()


@pytest.fixture(scope="module")
async def stack(
    postgres_admin_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    home = tmp_path_factory.mktemp("knowledge")
    async with module_settings(
        postgres_admin_url,
        kafka_bootstrap,
        home,
        simulated_clock_start=CLOCK_START,
        scheduler_tick_seconds=0.2,
    ) as settings:
        topics = [f"{settings.topic_prefix}{t}" for t in ("scheduler.events", "sessions.events")]
        await ensure_topics(kafka_bootstrap, topics, 4)
        processes = {
            name: ServiceProcess(name, settings, free_port(), home / f"{name}.log")
            for name in SERVICES
        }
        for name, process in processes.items():
            migrate(settings, name)
            await process.start()
        channels = {
            name: grpc.aio.insecure_channel(process.address) for name, process in processes.items()
        }
        try:
            yield Stack(settings, processes, channels)
        finally:
            for channel in channels.values():
                await channel.close()
            for process in processes.values():
                process.stop()


async def form_group(
    stack: Stack, group: str, members: list[tuple[str, str, date, date | None]]
) -> None:
    manager = stack.sessions(Role.UNIT_MANAGER)
    await manager.FormWorkGroup(
        pb.FormWorkGroupRequest(
            work_group_id=group, unit=UNIT, name=group.capitalize(), forums=["apt", "annat"]
        )
    )
    for member_id, name, joined, left in members:
        await manager.JoinWorkGroup(
            pb.JoinWorkGroupRequest(
                work_group_id=group,
                member_id=member_id,
                display_name=name,
                joined_on=joined.isoformat(),
            )
        )
        if left is not None:
            await manager.LeaveWorkGroup(
                pb.LeaveWorkGroupRequest(
                    work_group_id=group, member_id=member_id, left_on=left.isoformat()
                )
            )


async def occurrence_state(stack: Stack, occurrence: date) -> str:
    wheel = await stack.scheduler(Role.UNIT_STAFF).GetWheel(
        spb.GetWheelRequest(wheel_id=stack.wheel_id)
    )
    found = [o.state for o in wheel.occurrences if o.occurrence_date == occurrence.isoformat()]
    return found[0] if found else "not open"


async def hold(stack: Stack, planned: PlannedSession, group: str) -> None:
    """Move the clock to the session's day, record it, and see the scheduler complete
    the occurrence it answers."""
    await stack.operator.AdvanceClock(spb.AdvanceClockRequest(to=instant(planned.held_on)))
    staff = stack.sessions(Role.UNIT_STAFF)
    await staff.RecordSession(
        pb.RecordSessionRequest(
            work_group_id=group,
            session_id=planned.session_id,
            session=content_to_pb(planned.content(stack.wheel_id), with_in_depth=True),
        )
    )
    if planned.occurrence is None:
        return
    done = "completed_late" if planned.late else "completed_on_time"

    async def completed() -> bool:
        assert planned.occurrence is not None
        return await occurrence_state(stack, planned.occurrence) == done

    await eventually(completed, f"{planned.session_id} completes its occurrence ({done})")


@pytest.fixture(scope="module")
async def year(stack: Stack) -> Stack:
    """The follow-up year 2025, driven from 1 April 2025 to 2 May 2026."""
    await form_group(stack, GROUP, MEMBERS)
    await form_group(stack, JOUR, JOUR_MEMBERS)
    manager = stack.sessions(Role.UNIT_MANAGER)
    for valid_from, codes in PART_CHOICES:
        await manager.ChooseRelevantParts(
            pb.ChooseRelevantPartsRequest(
                work_group_id=GROUP, parts=codes, valid_from=valid_from.isoformat()
            )
        )
    await manager.ChooseRelevantParts(
        pb.ChooseRelevantPartsRequest(
            work_group_id=JOUR, parts=["flyttningsforbud"], valid_from="2025-04-01"
        )
    )
    apt = spb.Step(
        step_id=APT_STEP,
        title_sv="APT: tre enkla frågor",
        title_en="Workplace meeting: three simple questions",
        role="unit_staff",
        recurrence=spb.Recurrence(
            rrule=APT_RRULE, starts_on="2025-05-01", at="09:00", deadline_days=14
        ),
    )
    created = await stack.scheduler(Role.UNIT_MANAGER).CreateWheel(
        spb.CreateWheelRequest(
            tenant=TENANT,
            unit=UNIT,
            work_group=GROUP,
            name_sv="Tre enkla frågor",
            name_en="Three simple questions",
            steps=[apt],
        )
    )
    stack.wheel_id = created.wheel_id
    planned = [(s, GROUP) for s in SESSIONS] + [(JOUR_SESSION, JOUR)]
    for session, group in sorted(planned, key=lambda pair: pair[0].held_on):
        await hold(stack, session, group)
    await stack.sessions(Role.UNIT_MANAGER).CorrectSession(
        pb.CorrectSessionRequest(
            work_group_id=GROUP,
            session_id="s8",
            session=content_to_pb(CORRECTED_S8.content(stack.wheel_id), with_in_depth=True),
            reason="Eva hade inte läst om omedelbart omhändertagande; tre ärenden, inte två",
        )
    )
    await stack.operator.AdvanceClock(spb.AdvanceClockRequest(to=YEAR_OVER))
    return stack


async def report(stack: Stack, role: Role, unit: str | None = UNIT) -> dict[str, Any]:
    reply = await stack.knowledge(role, unit).GetKnowledgeReport(
        kpb.KnowledgeReportRequest(unit=UNIT, year=YEAR)
    )
    return report_json(reply, Lang.sv)


async def settled(stack: Stack, expected: dict[str, Any]) -> dict[str, Any]:
    """The manager's report once the projection has caught up with `expected`."""
    latest: dict[str, Any] = {}

    async def caught_up() -> bool:
        nonlocal latest
        latest = await report(stack, Role.UNIT_MANAGER)
        return latest == expected

    # On a timeout the caller's comparison shows the difference.
    with contextlib.suppress(AssertionError):
        await eventually(caught_up, "the report reaches the hand-worked figures")
    return latest


async def test_every_figure_of_the_year_matches_the_hand_worked_numbers(year: Stack) -> None:
    expected = expected_report(mentors=True)
    assert await settled(year, expected) == expected
    # Staff of the unit, and the municipality's follow-up function, get the same
    # figures without the mentor candidates.
    without = expected_report(mentors=False)
    assert await report(year, Role.UNIT_STAFF) == without
    assert await report(year, Role.FOLLOW_UP, unit=None) == without


async def test_the_wheel_shows_each_occurrence_held_on_time_late_or_missed(year: Stack) -> None:
    wheel = await year.scheduler(Role.UNIT_STAFF).GetWheel(
        spb.GetWheelRequest(wheel_id=year.wheel_id)
    )
    states = Counter(o.state for o in wheel.occurrences)
    assert states == {"completed_on_time": 6, "completed_late": 2, "missed": 4}
    missed = sorted(o.occurrence_date for o in wheel.occurrences if o.state == "missed")
    assert missed == ["2025-07-01", "2025-10-07", "2026-02-03", "2026-04-07"]


def _invoke(home: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"ARSHJUL_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_the_cli_prints_the_report_as_json_csv_and_a_table(year: Stack) -> None:
    await settled(year, expected_report(mentors=True))
    home = year.settings.home
    StackFile(
        database_url=year.settings.database_url or "",
        kafka_bootstrap=year.settings.kafka_bootstrap or "",
        services=tuple(
            StackService(name=n, grpc_address=p.address, pid=p.process.pid, log_file=p.log)
            for n, p in year.processes.items()
            if p.process is not None
        ),
        supervisor_pid=os.getpid(),
        started_at=datetime.now(UTC),
        embedded_postgres=True,
        embedded_kafka=True,
    ).write(home)
    manager = ("--as", f"{TENANT}:unit_manager:{UNIT}")
    base = ("knowledge-report", "--unit", UNIT, "--year", str(YEAR), *manager)
    printed = await asyncio.to_thread(_invoke, home, *base, "--format", "json")
    assert json.loads(printed) == expected_report(mentors=True)
    printed = await asyncio.to_thread(_invoke, home, *base, "--format", "json", "--lang", "en")
    assert json.loads(printed) == expected_report(mentors=True, lang="en")

    rows = list(
        csv.reader(io.StringIO(await asyncio.to_thread(_invoke, home, *base, "--format", "csv")))
    )
    assert rows[0] == [
        "arbetsgrupp", "enhet", "period", "mått", "del", "värde", "täljare", "nämnare",
    ]  # fmt: skip
    assert ["totalt", "", "2025", "täckning", "flyttningsforbud", "9/11", "9", "11"] in rows
    assert ["totalt", "", "2025", "missade", "", "4", "", ""] in rows
    assert [GROUP, UNIT, "2026-01", "ärenden", "flyttningsforbud", "3", "", ""] in rows
    assert [GROUP, UNIT, "2025", "förändrat arbetssätt", "umgange", "1/3", "1", "3"] in rows
    english = await asyncio.to_thread(_invoke, home, *base, "--format", "csv", "--lang", "en")
    assert "total,,2025,coverage,flyttningsforbud,9/11,9,11" in english.splitlines()

    table = await asyncio.to_thread(_invoke, home, *base)
    assert "Kunskapsuppföljning" in table and "mentorskandidater" in table.lower()
    as_staff = ("--as", f"{TENANT}:unit_staff:{UNIT}")
    table = await asyncio.to_thread(
        _invoke, home, "knowledge-report", "--unit", UNIT, "--year", str(YEAR), *as_staff,
        "--lang", "en",
    )  # fmt: skip
    assert "Knowledge follow-up" in table
    assert "Mentor candidates are shown to the unit's manager only." in table


async def test_another_municipality_or_unit_cannot_read_the_report(year: Stack) -> None:
    for client, tenant in (
        (year.knowledge(Role.FOLLOW_UP, unit=None, tenant="1402"), TENANT),
        (year.knowledge(Role.UNIT_STAFF, unit="ifo-vuxen"), ""),
        (year.knowledge(Role.REGIONAL_SUPPORT, unit=None, tenant="region:14"), TENANT),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.GetKnowledgeReport(
                kpb.KnowledgeReportRequest(tenant=tenant, unit=UNIT, year=YEAR)
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Partille's own report has nothing of Göteborg's.
    theirs = await year.knowledge(Role.FOLLOW_UP, unit=None, tenant="1402").GetKnowledgeReport(
        kpb.KnowledgeReportRequest(year=YEAR)
    )
    assert not theirs.work_groups and theirs.total.year.sessions == 0


# --- SIGKILL while projecting ----------------------------------------------------------

FILLER_GROUPS = 150
FILLER_SESSIONS = 12


def filler() -> list[EventEnvelope]:
    """Another unit's work groups and sessions: load for the projection that
    must not change ifo-barn's figures."""
    parts = [p.chosen() for p in base_catalogue()[:3]]
    members = [f"p{i}" for i in range(8)]
    at = datetime(2025, 6, 1, tzinfo=UTC)
    envelopes: list[EventEnvelope] = []
    for g in range(FILLER_GROUPS):
        group = f"annan-{g}"
        payloads: list[Any] = [
            WorkGroupFormed(
                work_group_id=group, tenant=TENANT, unit="ifo-annan", name=group,
                forums=("apt",), formed_by="test",
            ),
            *(
                MemberJoined(work_group_id=group, member_id=m, display_name=m,
                             joined_on=date(2025, 4, 1))
                for m in members
            ),
            RelevantPartsChosen(work_group_id=group, parts=tuple(parts),
                                valid_from=date(2025, 4, 1), chosen_by="test"),
            *(
                SessionRecorded(
                    session_id=f"{group}-{n}", work_group_id=group, unit="ifo-annan",
                    recorded_by="test",
                    content=SessionContent(
                        held_on=date(2025, 5 + n % 7, 1 + n), forum="apt",
                        participants=tuple(members),
                        taken_part=tuple(
                            PartUptake(member_id=m, part=parts[n % 3].code,
                                       taken_part=(i + n) % 2 == 0)
                            for i, m in enumerate(members)
                        ),
                        cases=(PartCases(part=parts[n % 3].code, cases=n),),
                    ),
                )
                for n in range(FILLER_SESSIONS)
            ),
        ]  # fmt: skip
        stream = f"work-group-{TENANT}-{group}"
        envelopes += [
            EventEnvelope(
                type=p.event_type, schema_version=1, tenant=TENANT, aggregate_id=stream,
                aggregate_version=v, occurred_at=at, recorded_at=at,
                correlation_id=uuid.uuid4(), producer="sessions",
                payload=p.model_dump(mode="json"),
            )
            for v, p in enumerate(payloads, start=1)
        ]  # fmt: skip
    return envelopes


async def publish(bootstrap: str, topic: str, envelopes: list[EventEnvelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = [
            await producer.send(
                topic,
                e.to_bytes(),
                key=e.aggregate_id.encode(),
                headers=[("event_id", str(e.event_id).encode()), ("event_type", e.type.encode())],
            )
            for e in envelopes
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def test_sigkill_while_projecting_and_a_restart_give_the_same_figures(year: Stack) -> None:
    expected = expected_report(mentors=True)
    assert await settled(year, expected) == expected
    settings, reporting = year.settings, year.processes["reporting"]
    assert settings.database_url and settings.kafka_bootstrap
    engine = create_async_engine(settings.database_url)

    async def scalar(query: str) -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(text(query))).scalar_one())

    try:
        # Project everything again from the start, with other units' events in between.
        reporting.stop()
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA reporting_knowledge CASCADE"))
        load = filler()
        await publish(settings.kafka_bootstrap, f"{settings.topic_prefix}sessions.events", load)
        total = (
            await scalar("SELECT count(*) FROM scheduler.events")
            + await scalar("SELECT count(*) FROM sessions.events")
            + len(load)
        )
        await reporting.start()
        handled = "SELECT count(*) FROM reporting_knowledge.handled_events"

        async def projecting() -> bool:
            return await scalar(handled) > 0

        await eventually(projecting, "the projection starts", timeout=60)
        reporting.kill()
        at_kill = await scalar(handled)
        assert 0 < at_kill < total, f"killed after {at_kill} of {total} events"
        await reporting.start()

        async def all_handled() -> bool:
            return await scalar(handled) == total

        await eventually(all_handled, f"all {total} events handled once", timeout=120)
        assert await settled(year, expected) == expected
        # The other unit is there too, and apart.
        groups = "SELECT count(DISTINCT work_group) FROM reporting_knowledge.session_figures"
        assert await scalar(groups) == 2 + FILLER_GROUPS
    finally:
        await engine.dispose()
