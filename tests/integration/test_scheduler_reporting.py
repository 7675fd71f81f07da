"""The scheduler completes the LOKE wheel's steps that the reporting service
answers: a ReportCompiled naming a compile step, a ManagerCommentRecorded
naming the comment step. Real scheduler process, real topics; the reporting
events are published as the reporting service's relay would publish them.

Each completion is on time by when the report was compiled (the event's
occurred_at), whenever the scheduler learns of it; a step is completed once,
however often it is announced, and what cannot complete anything (a step
already done or not yet due, an unknown wheel, another unit) completes nothing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import grpc
import pytest
from aiokafka import AIOKafkaProducer

from shared.api import scheduler_pb2 as pb
from shared.clock import STOCKHOLM
from shared.embedded.tansu import free_port
from shared.events.catalogue import EventPayload
from shared.events.envelope import EventEnvelope
from shared.events.reporting import ManagerCommentRecorded, ReportCompiled, StepRef
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support.kafka import read_topic
from tests.support.scheduler import Client, migrate, token
from tests.support.service import ServiceProcess

LOKE = "loke-rapporteringshjul"
TENANT = "1480"
UNIT = "ifo-vuxen"
START = datetime(2025, 4, 1, tzinfo=STOCKHOLM)
# The LOKE wheel's occurrences of the follow-up year 2025 (DOMAIN.md section 3):
# compilation per unit opens 16 May, due by 31 Aug; aggregation for management
# opens 1 Oct; the unit manager's comments open 1 Nov, due by 31 Dec.
COMPILE = ("sammanstallning-enhet", date(2025, 5, 16))
AGGREGATE = ("aggregering-ledning", date(2025, 10, 1))
COMMENT = ("kommentarer-ifo-chef", date(2025, 11, 1))
COMPLETED = "scheduler.WheelStepCompleted.v2"


@pytest.fixture
async def scheduler_settings(settings: Settings, kafka_bootstrap: str) -> Settings:
    configured = settings.model_copy(
        update={"simulated_clock_start": START, "scheduler_tick_seconds": 0.2}
    )
    # Tansu does not create topics on use: the one the scheduler consumes
    # must exist before its consumer subscribes.
    await ensure_topics(
        kafka_bootstrap,
        [f"{settings.topic_prefix}{base}" for base in ("scheduler.events", "reporting.events")],
        4,
    )
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


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=STOCKHOLM)


def envelope(payload: EventPayload, stream: str, version: int, occurred: datetime) -> EventEnvelope:
    """As the reporting service's event store would write it."""
    return EventEnvelope(
        type=payload.event_type,
        schema_version=1,
        tenant=TENANT,
        aggregate_id=stream,
        aggregate_version=version,
        occurred_at=occurred,
        recorded_at=occurred,
        correlation_id=uuid.uuid4(),
        producer="reporting",
        payload=payload.model_dump(mode="json"),
    )


def compiled(
    wheel_id: str, step: tuple[str, date], version: int, occurred: datetime
) -> EventEnvelope:
    digest = f"{version:064x}"
    payload = ReportCompiled(
        scope=f"municipality:{TENANT}",
        year=2025,
        report_version=version,
        input_count=40 + version,
        inputs_checksum=digest,
        figures_checksum=digest,
        step=StepRef(wheel_id=wheel_id, step_id=step[0], occurrence_date=step[1]),
    )
    return envelope(payload, f"report-municipality:{TENANT}-2025", version, occurred)


def commented(wheel_id: str, unit: str, occurred: datetime) -> EventEnvelope:
    payload = ManagerCommentRecorded(
        unit=unit,
        year=2025,
        comment="Täckningen har ökat; uppföljningen av mål behöver bli tätare.",
        development_areas=("målformulering",),
        recorded_on=occurred.date(),
        recorded_by="chef-1",
        step=StepRef(wheel_id=wheel_id, step_id=COMMENT[0], occurrence_date=COMMENT[1]),
    )
    return envelope(payload, f"comments-{TENANT}-{unit}-2025", 1, occurred)


async def publish(bootstrap: str, topic: str, envelopes: list[EventEnvelope]) -> None:
    """One key for all, so one partition: the scheduler handles them in this order."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for e in envelopes:
            await producer.send_and_wait(
                topic,
                e.to_bytes(),
                key=b"report-municipality:1480-2025",
                headers=[("event_id", str(e.event_id).encode()), ("event_type", e.type.encode())],
            )
    finally:
        await producer.stop()


async def occurrence_state(client: Client, wheel_id: str, step: tuple[str, date]) -> str:
    wheel = await client.GetWheel(pb.GetWheelRequest(wheel_id=wheel_id))
    states = {(o.step_id, o.occurrence_date): o.state for o in wheel.occurrences}
    return str(states.get((step[0], step[1].isoformat()), "upcoming"))


async def until_completed(client: Client, wheel_id: str, step: tuple[str, date]) -> None:
    """Wait for the completion of the last event published: the ones before it
    on the same partition have been handled by then."""
    deadline = time.monotonic() + 60
    while not (await occurrence_state(client, wheel_id, step)).startswith("completed"):
        assert time.monotonic() < deadline, f"{step} of {wheel_id} never completed"
        await asyncio.sleep(0.1)


async def test_reports_and_comments_complete_their_steps_once(
    scheduler: ServiceProcess, scheduler_settings: Settings, kafka_bootstrap: str
) -> None:
    prefix = scheduler_settings.topic_prefix
    reporting_topic = f"{prefix}reporting.events"
    async with grpc.aio.insecure_channel(scheduler.address) as channel:
        manager = Client(channel, token(scheduler_settings, TENANT, Role.FOLLOW_UP))
        operator = Client(channel, token(scheduler_settings, "region:14", Role.OPERATOR))
        wheels = []
        for _ in range(3):
            reply = await manager.CreateWheel(
                pb.CreateWheelRequest(tenant=TENANT, unit=UNIT, template=LOKE)
            )
            wheels.append(str(reply.wheel_id))
        first, second, third = wheels
        await operator.AdvanceClock(pb.AdvanceClockRequest(to="2025-06-03"))

        answer = compiled(first, COMPILE, 2, at(date(2025, 6, 2)))
        sentinel = compiled(second, COMPILE, 3, at(date(2025, 6, 2), 12))
        await publish(
            kafka_bootstrap,
            reporting_topic,
            [
                answer,
                answer,  # the relay published it twice
                compiled(first, COMPILE, 2, at(date(2025, 6, 2), 11)),  # announced again
                compiled(first, AGGREGATE, 2, at(date(2025, 6, 2))),  # not due until 1 Oct
                compiled("wheel-unknown", COMPILE, 2, at(date(2025, 6, 2))),
                sentinel,
            ],
        )
        await until_completed(manager, second, COMPILE)

        # Past the compile step's deadline (31 Aug) and into the comment step.
        await operator.AdvanceClock(pb.AdvanceClockRequest(to="2025-11-04"))
        comment = commented(third, UNIT, at(date(2025, 11, 3)))
        late = compiled(third, COMPILE, 4, at(date(2025, 11, 3)))
        await publish(
            kafka_bootstrap,
            reporting_topic,
            [commented(second, "ifo-barn", at(date(2025, 11, 3))), comment, late],
        )
        await until_completed(manager, third, COMPILE)

        states = {
            wheel_id: {
                step: await occurrence_state(manager, wheel_id, step)
                for step in (COMPILE, AGGREGATE, COMMENT)
            }
            for wheel_id in wheels
        }
        versions = [
            (await manager.GetWheel(pb.GetWheelRequest(wheel_id=w))).version for w in wheels
        ]

    assert states[first] == {COMPILE: "completed_on_time", AGGREGATE: "overdue", COMMENT: "open"}
    assert states[second] == {COMPILE: "completed_on_time", AGGREGATE: "overdue", COMMENT: "open"}
    assert states[third] == {
        COMPILE: "completed_late",
        AGGREGATE: "overdue",
        COMMENT: "completed_on_time",
    }
    events = await read_topic(kafka_bootstrap, f"{prefix}scheduler.events", at_least=sum(versions))
    unique = {e.event_id: e for e in events}
    assert len(unique) == sum(versions)
    completions = sorted(
        (
            (
                wheels.index(e.aggregate_id),
                e.payload["step_id"],
                e.payload["on_time"],
                e.payload["completed_by"],
                e.payload["note"],
                e.causation_id,
            )
            for e in unique.values()
            if e.type == COMPLETED
        ),
        key=lambda row: (row[0], row[1]),
    )
    report = "Rapport municipality:1480 2025 v{} kompilerad"
    assert completions == [
        (0, COMPILE[0], True, "reporting", report.format(2), answer.event_id),
        (1, COMPILE[0], True, "reporting", report.format(3), sentinel.event_id),
        (
            2,
            COMMENT[0],
            True,
            "reporting",
            f"Kommentar för {UNIT} 2025 registrerad",
            comment.event_id,
        ),
        (2, COMPILE[0], False, "reporting", report.format(4), late.event_id),
    ]
