"""Bad commands are refused with the right status, naming the field, and store nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.api import scheduler_pb2 as pb
from shared.roles import Role
from shared.settings import Settings
from tests.integration.test_scheduler_wheels import LOKE, free_port
from tests.support.scheduler import Client, migrate, token
from tests.support.service import ServiceProcess


@pytest.fixture
async def scheduler(settings: Settings, tmp_path: Path) -> AsyncIterator[ServiceProcess]:
    migrate(settings)
    process = ServiceProcess("scheduler", settings, free_port(), tmp_path / "scheduler.log")
    await process.start()
    yield process
    process.stop()


@pytest.fixture
async def channel(scheduler: ServiceProcess) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(scheduler.address) as channel:
        yield channel


def manager(settings: Settings, channel: grpc.aio.Channel, tenant: str = "1480") -> Client:
    return Client(channel, token(settings, tenant, Role.UNIT_MANAGER, unit="ifo-vuxen"))


async def stored_events(settings: Settings) -> int:
    assert settings.database_url
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as conn:
        n = (await conn.execute(text("SELECT count(*) FROM scheduler.events"))).scalar_one()
    await engine.dispose()
    return int(n)


def yearly_step(opens: str, deadline: str) -> pb.Step:
    return pb.Step(
        step_id="inlamning",
        title_sv="Data lämnas in",
        title_en="Data submitted",
        role="unit_manager",
        yearly=pb.YearlyWindow(opens=opens, deadline=deadline),
    )


def apt_step(rrule: str) -> pb.Step:
    return pb.Step(
        step_id="apt",
        title_sv="APT",
        title_en="Workplace meeting",
        role="unit_staff",
        recurrence=pb.Recurrence(rrule=rrule, starts_on="2025-01-07", at="09:00"),
    )


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.CreateWheelRequest(tenant="1480", unit="ifo-vuxen", template="no-such"), "template"),
        (pb.CreateWheelRequest(tenant="9999", unit="ifo-vuxen", template=LOKE), "tenant"),
        (
            pb.CreateWheelRequest(
                tenant="1480",
                unit="ifo-vuxen",
                name_sv="Hjul",
                name_en="Wheel",
                steps=[yearly_step("05-15", "05-01")],
            ),
            "steps[0].schedule.deadline",
        ),
        (
            pb.CreateWheelRequest(
                tenant="1480",
                unit="ifo-vuxen",
                name_sv="Hjul",
                name_en="Wheel",
                steps=[apt_step("FREQ=MONTHLY;BYDAY=1XX")],
            ),
            "steps[0].schedule.rrule",
        ),
    ],
    ids=["unknown template", "wrong municipality code", "deadline before start", "bad rrule"],
)
async def test_a_malformed_command_is_invalid_argument_naming_the_field_and_stores_nothing(
    settings: Settings, channel: grpc.aio.Channel, request_: pb.CreateWheelRequest, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await manager(settings, channel).CreateWheel(request_)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith(f"{field}: ")
    assert await stored_events(settings) == 0


async def test_a_stale_expected_version_is_aborted(
    settings: Settings, channel: grpc.aio.Channel
) -> None:
    client = manager(settings, channel)
    created = await client.CreateWheel(
        pb.CreateWheelRequest(tenant="1480", unit="ifo-vuxen", template=LOKE)
    )
    read_at = created.version
    paused = await client.PauseWheel(
        pb.WheelCommand(wheel_id=created.wheel_id, expected_version=read_at)
    )
    assert paused.version == read_at + 1
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await client.ResumeWheel(
            pb.WheelCommand(wheel_id=created.wheel_id, expected_version=read_at)
        )
    assert refused.value.code() == grpc.StatusCode.ABORTED
    assert await stored_events(settings) == read_at + 1


async def test_another_tenants_token_is_permission_denied(
    settings: Settings, channel: grpc.aio.Channel
) -> None:
    created = await manager(settings, channel).CreateWheel(
        pb.CreateWheelRequest(tenant="1480", unit="ifo-vuxen", template=LOKE)
    )
    partille = manager(settings, channel, tenant="1402")
    for call in (
        partille.CreateWheel(pb.CreateWheelRequest(tenant="1480", unit="x", template=LOKE)),
        partille.GetWheel(pb.GetWheelRequest(wheel_id=created.wheel_id)),
        partille.ArchiveWheel(pb.WheelCommand(wheel_id=created.wheel_id)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert await stored_events(settings) == created.version


async def test_no_token_is_unauthenticated(channel: grpc.aio.Channel) -> None:
    from shared.api import scheduler_pb2_grpc as pb_grpc

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await pb_grpc.SchedulerStub(channel).ListTemplates(pb.ListTemplatesRequest())
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_the_wall_clock_cannot_be_advanced(settings: Settings, tmp_path: Path) -> None:
    wall = settings.model_copy(update={"clock": "wall"})
    migrate(wall)
    process = ServiceProcess("scheduler", wall, free_port(), tmp_path / "wall.log")
    await process.start()
    try:
        async with grpc.aio.insecure_channel(process.address) as channel:
            operator = Client(channel, token(wall, "region:14", Role.OPERATOR))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await operator.AdvanceClock(pb.AdvanceClockRequest(to="2030-01-01"))
    finally:
        process.stop()
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_templates_are_listed_in_swedish_and_english(
    settings: Settings, channel: grpc.aio.Channel
) -> None:
    reply = await manager(settings, channel).ListTemplates(pb.ListTemplatesRequest())
    names = {t.template_id: (t.name_sv, t.name_en, len(t.steps)) for t in reply.templates}
    assert names[LOKE] == ("LOKE rapporteringshjul", "LOKE reporting wheel", 8)
    assert names["tre-enkla-fragor"][:2] == (
        "Tre enkla frågor i ett årshjul",
        "Three simple questions in an annual wheel",
    )


async def test_a_dropped_database_connection_is_unavailable_once_then_recovers(
    settings: Settings, channel: grpc.aio.Channel
) -> None:
    """The pool keeps no pre-ping: a connection the server dropped fails its
    next use with UNAVAILABLE (never INTERNAL), and the retry works."""
    client = manager(settings, channel)
    await client.ListWheels(pb.ListWheelsRequest(tenant="1480"))
    assert settings.database_url
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as conn:
        killed = (
            await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        ).scalar_one()
    await engine.dispose()
    assert killed > 0
    codes = []
    for _ in range(3):
        try:
            await client.ListWheels(pb.ListWheelsRequest(tenant="1480"))
            break
        except grpc.aio.AioRpcError as error:
            codes.append(error.code())
    else:
        pytest.fail(f"no call succeeded after the connections were dropped: {codes}")
    assert set(codes) <= {grpc.StatusCode.UNAVAILABLE}
