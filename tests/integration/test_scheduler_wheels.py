"""The scheduler service end to end: a LOKE wheel driven through a year on
the simulated clock puts exactly one WheelStepDue per occurrence on Kafka, in
date order, and a WheelStepOverdue for each step not completed in time —
also when the scheduler is SIGKILLed part-way, and with two replicas."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import grpc
import pytest

from services.scheduler.domain.templates import get_template
from shared.api import scheduler_pb2 as pb
from shared.clock import STOCKHOLM
from shared.events.envelope import EventEnvelope
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support.kafka import read_topic
from tests.support.scheduler import Client, migrate, token
from tests.support.service import ServiceProcess

LOKE = "loke-rapporteringshjul"
START = datetime(2025, 4, 1, tzinfo=STOCKHOLM)
END = "2026-06-01"

# Worked out by hand from the LOKE wheel (DOMAIN.md section 3): step number,
# the day its occurrence opens, and the day after its deadline (when it falls overdue).
OPENINGS = [
    (1, date(2025, 5, 1)),
    (2, date(2025, 5, 16)),
    (3, date(2025, 9, 1)),
    (4, date(2025, 10, 1)),
    (5, date(2025, 10, 1)),
    (6, date(2025, 11, 1)),
    (7, date(2025, 12, 1)),
    (8, date(2026, 1, 1)),
    (1, date(2026, 5, 1)),
    (2, date(2026, 5, 16)),
]
OVERDUE_AT = {
    (1, date(2025, 5, 1)): date(2025, 5, 16),
    (2, date(2025, 5, 16)): date(2025, 9, 1),
    (3, date(2025, 9, 1)): date(2025, 11, 1),
    (4, date(2025, 10, 1)): date(2025, 11, 1),
    (5, date(2025, 10, 1)): date(2025, 12, 1),
    (6, date(2025, 11, 1)): date(2026, 1, 1),
    (7, date(2025, 12, 1)): date(2026, 1, 1),
    (8, date(2026, 1, 1)): date(2026, 5, 1),
    (1, date(2026, 5, 1)): date(2026, 5, 16),
    # step 2 of 2026 is due by 31 Aug 2026: not overdue on 1 June.
}


def step_ids() -> dict[int, str]:
    steps = get_template(LOKE).steps(START.date())
    return {number: step.step_id for number, step in enumerate(steps, start=1)}


def expected_timeline(completed: set[tuple[int, date]]) -> list[tuple[str, int, date]]:
    """Due and overdue events in the order they happen, as (kind, step, date)."""
    timeline: list[tuple[date, int, int, tuple[str, int, date]]] = []
    for order, (step, opened) in enumerate(OPENINGS):
        timeline.append((opened, 0, order, ("due", step, opened)))
    for order, ((step, opened), overdue) in enumerate(OVERDUE_AT.items()):
        if (step, opened) not in completed:
            timeline.append((overdue, 1, order, ("overdue", step, opened)))
    return [item for *_, item in sorted(timeline)]


def observed_timeline(events: list[EventEnvelope]) -> list[tuple[str, int, date]]:
    numbers = {step_id: number for number, step_id in step_ids().items()}
    seen: set[object] = set()
    timeline = []
    for event in events:
        if event.event_id in seen:
            continue  # a republished duplicate: consumers drop it by event id
        seen.add(event.event_id)
        kind = {"scheduler.WheelStepDue.v1": "due", "scheduler.WheelStepOverdue.v1": "overdue"}
        if event.type in kind:
            step = numbers[event.payload["step_id"]]
            opened = date.fromisoformat(event.payload["occurrence_date"])
            timeline.append((kind[event.type], step, opened))
    return timeline


@pytest.fixture
async def scheduler_settings(settings: Settings, kafka_bootstrap: str) -> Settings:
    configured = settings.model_copy(
        update={"simulated_clock_start": START, "scheduler_tick_seconds": 0.2}
    )
    await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}scheduler.events"], 4)
    migrate(configured)
    return configured


@pytest.fixture
async def scheduler(scheduler_settings: Settings, tmp_path: Path) -> AsyncIterator[ServiceProcess]:
    process = ServiceProcess(
        "scheduler", scheduler_settings, free_port(), tmp_path / "scheduler.log"
    )
    await process.start()
    yield process
    process.stop()


def free_port() -> int:
    from shared.embedded.tansu import free_port as free

    return free()


async def create_loke(client: Client) -> str:
    reply = await client.CreateWheel(
        pb.CreateWheelRequest(tenant="1480", unit="ifo-vuxen", template=LOKE)
    )
    return str(reply.wheel_id)


def clients(settings: Settings, channel: grpc.aio.Channel) -> tuple[Client, Client]:
    manager = Client(channel, token(settings, "1480", Role.FOLLOW_UP))
    operator = Client(channel, token(settings, "region:14", Role.OPERATOR))
    return manager, operator


async def test_a_loke_year_emits_each_occurrence_once_in_date_order(
    scheduler: ServiceProcess, scheduler_settings: Settings, kafka_bootstrap: str
) -> None:
    topic = f"{scheduler_settings.topic_prefix}scheduler.events"
    async with grpc.aio.insecure_channel(scheduler.address) as channel:
        manager, operator = clients(scheduler_settings, channel)
        wheel_id = await create_loke(manager)
        await operator.AdvanceClock(pb.AdvanceClockRequest(to="2025-05-10"))
        await manager.CompleteOccurrence(
            pb.CompleteOccurrenceRequest(
                wheel_id=wheel_id, step_id=step_ids()[1], occurrence_date="2025-05-01"
            )
        )
        reply = await operator.AdvanceClock(pb.AdvanceClockRequest(to=END))
        wheel = await manager.GetWheel(pb.GetWheelRequest(wheel_id=wheel_id))
    expected = expected_timeline(completed={(1, date(2025, 5, 1))})
    # created + 10 due + 1 completed + 8 overdue
    events = await read_topic(kafka_bootstrap, topic, at_least=1 + len(expected) + 1)
    assert observed_timeline(events) == expected
    assert len(expected) == 18
    assert reply.now == "2026-05-31T22:00:00+00:00"
    states = Counter(o.state for o in wheel.occurrences)
    assert states == {"completed_on_time": 1, "overdue": 8, "open": 1}
    due = [e for e in events if e.type == "scheduler.WheelStepDue.v1"]
    # Each WheelStepDue happened when its occurrence opened, 00:00 Stockholm.
    assert [e.occurred_at.astimezone(STOCKHOLM).date() for e in due] == [d for _, d in OPENINGS]
    assert all(e.occurred_at.astimezone(STOCKHOLM).hour == 0 for e in due)


async def test_sigkill_part_way_through_the_year_loses_nothing_and_emits_nothing_twice(
    scheduler: ServiceProcess, scheduler_settings: Settings, kafka_bootstrap: str
) -> None:
    topic = f"{scheduler_settings.topic_prefix}scheduler.events"
    months = [f"{y}-{m:02d}-01" for y, m in [(2025, m) for m in range(5, 13)]] + [
        f"2026-{m:02d}-01" for m in range(1, 7)
    ]
    async with grpc.aio.insecure_channel(scheduler.address) as channel:
        manager, operator = clients(scheduler_settings, channel)
        wheel_ids = [await create_loke(manager) for _ in range(3)]
        for month in months[:6]:
            await operator.AdvanceClock(pb.AdvanceClockRequest(to=month))
        # Let the ticker and relay be mid-flight on the next month, then SIGKILL.
        pending = asyncio.ensure_future(operator.AdvanceClock(pb.AdvanceClockRequest(to=months[6])))
        await asyncio.sleep(0.05)
        scheduler.kill()
        with contextlib.suppress(grpc.aio.AioRpcError):
            await pending  # whether it answered before the kill does not matter
    await scheduler.start()
    async with grpc.aio.insecure_channel(scheduler.address) as channel:
        manager, operator = clients(scheduler_settings, channel)
        for month in months[6:]:
            await operator.AdvanceClock(pb.AdvanceClockRequest(to=month))
    per_wheel = len(expected_timeline(completed=set()))
    events = await read_topic(kafka_bootstrap, topic, at_least=3 * (1 + per_wheel))
    for wheel_id in wheel_ids:
        mine = [e for e in events if e.aggregate_id == wheel_id]
        assert observed_timeline(mine) == expected_timeline(completed=set())
        # Duplicates on the topic, if any, are republished copies with the same event id.
        versions = {e.aggregate_version: e.event_id for e in mine}
        assert len(versions) == len({e.event_id for e in mine}) == 1 + per_wheel


async def test_two_replicas_emit_each_occurrence_once(
    scheduler: ServiceProcess,
    scheduler_settings: Settings,
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    topic = f"{scheduler_settings.topic_prefix}scheduler.events"
    second = ServiceProcess("scheduler", scheduler_settings, free_port(), tmp_path / "second.log")
    await second.start()
    try:
        async with (
            grpc.aio.insecure_channel(scheduler.address) as first_channel,
            grpc.aio.insecure_channel(second.address) as second_channel,
        ):
            manager, operator_one = clients(scheduler_settings, first_channel)
            _, operator_two = clients(scheduler_settings, second_channel)
            wheel_ids = [await create_loke(manager) for _ in range(4)]
            # Both replicas catch up at once, each from its own advance and its own ticker.
            for month in ["2025-08-01", "2025-12-15", END]:
                await asyncio.gather(
                    operator_one.AdvanceClock(pb.AdvanceClockRequest(to=month)),
                    operator_two.AdvanceClock(pb.AdvanceClockRequest(to=month)),
                )
    finally:
        second.stop()
    per_wheel = len(expected_timeline(completed=set()))
    events = await read_topic(kafka_bootstrap, topic, at_least=4 * (1 + per_wheel))
    for wheel_id in wheel_ids:
        mine = [e for e in events if e.aggregate_id == wheel_id]
        assert observed_timeline(mine) == expected_timeline(completed=set())


async def test_unpinned_completions_of_one_wheel_at_once_all_land(
    scheduler: ServiceProcess, scheduler_settings: Settings
) -> None:
    """Four completions without an expected version load the same wheel at
    once; all but one lose the append race and are decided again on the new
    state (a pinned one would get ABORTED)."""
    async with grpc.aio.insecure_channel(scheduler.address) as channel:
        manager, operator = clients(scheduler_settings, channel)
        wheel_id = await create_loke(manager)
        await operator.AdvanceClock(pb.AdvanceClockRequest(to=END))
        ids = step_ids()
        chosen = OPENINGS[:4]
        await asyncio.gather(
            *(
                manager.CompleteOccurrence(
                    pb.CompleteOccurrenceRequest(
                        wheel_id=wheel_id, step_id=ids[number], occurrence_date=day.isoformat()
                    )
                )
                for number, day in chosen
            )
        )
        wheel = await manager.GetWheel(pb.GetWheelRequest(wheel_id=wheel_id))
    completed = {
        (o.step_id, o.occurrence_date) for o in wheel.occurrences if o.state.startswith("completed")
    }
    assert completed == {(ids[number], day.isoformat()) for number, day in chosen}
