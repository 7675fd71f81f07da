"""A compiled report's figures and inputs, read from the real projections.

A handful of hand-made events (a work group's year, its wheel, the LOKE
wheel, three client follow-ups in Göteborg and one in Partille) go through
the real broker into both projections, run by their real consumers. The
aggregate and the inputs read back must equal what the tables below say by
hand, and the same events delivered a second time must change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.reporting.adapters.figures import (
    read_aggregate,
    read_figures,
    read_inputs,
    read_municipalities,
    read_units,
)
from services.reporting.adapters.read_models import ProjectionRunner, ensure_all
from services.reporting.domain.compiled import InputRef
from services.reporting.domain.merge import MergeableAggregate, Moments
from services.reporting.domain.sections import (
    COVERED,
    MEMBERS,
    SESSIONS,
    WORK_GROUPS,
    client_key,
    occurrence_key,
    part_key,
)
from services.reporting.projections.clients import projection as clients
from services.reporting.projections.knowledge import projection as knowledge
from shared.clock import STOCKHOLM
from shared.events.catalogue import EventPayload
from shared.events.envelope import EventEnvelope
from shared.events.measurements import (
    FollowUpClosed,
    FollowUpOpened,
    GoalAssessed,
    GoalSet,
    RatingSubmitted,
)
from shared.events.scheduler import WheelStepCompleted, WheelStepDue, WheelStepOverdue
from shared.events.sessions import (
    ChosenPart,
    MemberJoined,
    PartCases,
    PartUptake,
    PracticeChange,
    RelevantPartsChosen,
    SessionContent,
    SessionRecorded,
    WorkGroupFormed,
)
from shared.kafka import topic
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings

GBG, PARTILLE = "1480", "1402"
FLYTT = ChosenPart(code="flyttningsforbud", name_sv="Flyttningsförbud", name_en="Ban", version=1)
UTRESE = ChosenPart(code="utreseforbud", name_sv="Utreseförbud", name_en="Travel ban", version=1)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=STOCKHOLM)


def stream(
    producer: str, tenant: str, stream_id: str, events: list[tuple[date, EventPayload]]
) -> list[EventEnvelope]:
    """One event store stream: versions 1, 2, …, each event at 00:00 Stockholm on its day."""
    return [
        EventEnvelope(
            type=payload.event_type,
            schema_version=payload.version(),
            tenant=tenant,
            aggregate_id=stream_id,
            aggregate_version=version,
            occurred_at=midnight(day),
            recorded_at=midnight(day),
            correlation_id=uuid.uuid4(),
            producer=producer,
            payload=payload.model_dump(mode="json"),
        )
        for version, (day, payload) in enumerate(events, start=1)
    ]


def due(wheel: str, day: date, work_group: str | None) -> WheelStepDue:
    return WheelStepDue(
        wheel_id=wheel,
        step_id="steg",
        occurrence_date=day,
        opens_at=midnight(day),
        deadline_at=midnight(day + timedelta(days=14)),
        role=Role.UNIT_MANAGER,
        title_sv="Steg",
        title_en="Step",
        unit="ifo-barn",
        work_group=work_group,
    )


def completed(wheel: str, day: date) -> WheelStepCompleted:
    return WheelStepCompleted(
        wheel_id=wheel,
        step_id="steg",
        occurrence_date=day,
        completed_at=midnight(day + timedelta(days=9)),
        on_time=True,
        completed_by="chef",
    )


def session(session_id: str, content: SessionContent) -> SessionRecorded:
    return SessionRecorded(
        session_id=session_id,
        work_group_id="wg1",
        unit="ifo-barn",
        content=content,
        recorded_by="chef",
    )


def opened(
    follow_up: str,
    tenant: str,
    unit: str,
    group: str,
    problems: tuple[str, ...],
    gender: Literal["female", "male"] | None = None,
) -> FollowUpOpened:
    return FollowUpOpened(
        follow_up_id=follow_up,
        tenant=tenant,
        unit=unit,
        client=f"klient-{follow_up}",
        client_group=group,
        main_problems=problems,
        gender=gender,
        opened_on=date(2025, 6, 2),
    )


def intake(rating: str, value: int, day: date) -> RatingSubmitted:
    return RatingSubmitted(
        rating_id=rating,
        scale_id="audit",
        scale_version=1,
        occasion="intake",
        value=value,
        rated_on=day,
    )


MAY_1 = date(2025, 5, 1)
WORK_GROUP = stream(
    "sessions",
    GBG,
    "work-group-1480-wg1",
    [
        (
            date(2025, 5, 2),
            WorkGroupFormed(
                work_group_id="wg1",
                tenant=GBG,
                unit="ifo-barn",
                name="Barngruppen",
                forums=("apt",),
                formed_by="chef",
            ),
        ),
        *(
            (MAY_1, MemberJoined(work_group_id="wg1", member_id=m, display_name=m, joined_on=MAY_1))
            for m in ("m1", "m2", "m3")
        ),
        (
            MAY_1,
            RelevantPartsChosen(
                work_group_id="wg1", parts=(FLYTT, UTRESE), valid_from=MAY_1, chosen_by="chef"
            ),
        ),
        (
            date(2025, 9, 10),
            session(
                "s1",
                SessionContent(
                    held_on=date(2025, 9, 10),
                    forum="apt",
                    participants=("m1", "m2", "m3"),
                    taken_part=(
                        PartUptake(member_id="m1", part=FLYTT.code, taken_part=True),
                        PartUptake(member_id="m2", part=FLYTT.code, taken_part=True),
                        PartUptake(member_id="m3", part=FLYTT.code, taken_part=False, plan="okt"),
                        PartUptake(member_id="m1", part=UTRESE.code, taken_part=True),
                    ),
                    cases=(
                        PartCases(part=FLYTT.code, cases=2),
                        PartCases(part=UTRESE.code, cases=1),
                    ),
                    practice=(
                        PracticeChange(part=FLYTT.code, changed=True),
                        PracticeChange(part=UTRESE.code, changed=False),
                    ),
                ),
            ),
        ),
        (
            date(2026, 2, 15),
            session(
                "s2",
                SessionContent(
                    held_on=date(2026, 2, 15),
                    forum="apt",
                    participants=("m1", "m3"),
                    taken_part=(PartUptake(member_id="m3", part=FLYTT.code, taken_part=True),),
                    cases=(PartCases(part=FLYTT.code, cases=1),),
                    practice=(PracticeChange(part=FLYTT.code, changed=False),),
                ),
            ),
        ),
    ],
)
SEP_1, OCT_1, NEXT_MAY = date(2025, 9, 1), date(2025, 10, 1), date(2026, 5, 4)
WHEEL = stream(
    "scheduler",
    GBG,
    "wheel-w1",
    [
        (SEP_1, due("w1", SEP_1, "wg1")),
        (date(2025, 9, 10), completed("w1", SEP_1)),
        (OCT_1, due("w1", OCT_1, "wg1")),
        (
            date(2025, 10, 16),
            WheelStepOverdue(
                wheel_id="w1",
                step_id="steg",
                occurrence_date=OCT_1,
                deadline_at=midnight(date(2025, 10, 15)),
                role=Role.UNIT_MANAGER,
                unit="ifo-barn",
            ),
        ),
        (NEXT_MAY, due("w1", NEXT_MAY, "wg1")),
    ],
)
# The LOKE reporting wheel has no work group: no knowledge figure, no input.
AUG_1 = date(2025, 8, 1)
LOKE = stream(
    "scheduler",
    GBG,
    "wheel-loke",
    [(AUG_1, due("loke", AUG_1, None)), (date(2025, 8, 20), completed("loke", AUG_1))],
)
F1 = stream(
    "measurements",
    GBG,
    "f1",
    [
        (
            date(2025, 6, 2),
            opened("f1", GBG, "ifo-vuxen", "missbruk", ("alkohol",), "female"),
        ),
        (date(2025, 6, 2), intake("r1", 20, date(2025, 6, 2))),
        (
            date(2025, 6, 3),
            GoalSet(
                goal_id="g1",
                title="Mindre alkohol",
                scale_id="audit",
                scale_version=1,
                set_on=date(2025, 6, 3),
            ),
        ),
        (
            date(2026, 1, 10),
            GoalAssessed(goal_id="g1", outcome="achieved", assessed_on=date(2026, 1, 10)),
        ),
        (date(2026, 1, 10), FollowUpClosed(closed_on=date(2026, 1, 10))),
    ],
)
F2 = stream(
    "measurements",
    GBG,
    "f2",
    [
        (
            date(2025, 7, 1),
            opened("f2", GBG, "ifo-vuxen", "missbruk", ("alkohol", "boende"), "male"),
        ),
        (date(2025, 7, 1), intake("r2", 12, date(2025, 7, 1))),
    ],
)
# Opened in March 2025: follow-up year 2024.
F3 = stream(
    "measurements",
    GBG,
    "f3",
    [(date(2025, 3, 1), opened("f3", GBG, "ifo-vuxen", "missbruk", ("boende",)))],
)
F4 = stream(
    "measurements",
    PARTILLE,
    "f4",
    [(date(2025, 8, 1), opened("f4", PARTILLE, "ifo", "barn", ("skola",)))],
)
TOPICS = {
    "sessions.events": WORK_GROUP,
    "scheduler.events": WHEEL + LOKE,
    "measurements.events": F1 + F2 + F3 + F4,
}
TOTAL = sum(len(events) for events in TOPICS.values())


def refs(*envelopes: EventEnvelope) -> frozenset[InputRef]:
    return frozenset(InputRef.of(e) for e in envelopes)


def client_counts(
    facts: list[tuple[str, str, str]], figures: list[tuple[int, str, str]], events: int
) -> dict[str, int]:
    """Client counts by hand: each follow-up (group, gender, age band) counts its
    figures (follow-up index, figure, key) in every slice it is in."""
    counts: dict[str, int] = {client_key("all", "", "events", ""): events}
    for index, figure, key in figures:
        group, gender, age_band = facts[index]
        for dimension, category in (
            ("all", ""),
            ("client_group", group),
            ("gender", gender),
            ("age_band", age_band),
        ):
            slot = client_key(dimension, category, figure, key)
            counts[slot] = counts.get(slot, 0) + 1
    return counts


def audit_intakes(facts: list[tuple[str, str, str]], values: list[int]) -> dict[str, Moments]:
    found: dict[str, list[int]] = {}
    for (group, gender, age_band), value in zip(facts, values, strict=True):
        for dimension, category in (
            ("all", ""),
            ("client_group", group),
            ("gender", gender),
            ("age_band", age_band),
        ):
            found.setdefault(client_key(dimension, category, "level", "audit|intake"), []).append(
                value
            )
    return {key: Moments.of(v) for key, v in found.items()}


# Göteborg's year 2025 by hand.
#
# Knowledge: work group wg1 (unit ifo-barn), sessions on 10 Sep and 15 Feb.
# On 15 Feb, its last session day, m1, m2, m3 are members; flyttningsförbud:
# m1 and m2 yes on 10 Sep, m3 no then and yes on 15 Feb: 3 of 3; utreseförbud:
# m1 only: 1 of 3. No one's latest answer is "no": no open plans. Cases 2 + 1
# and 1; question 3: flyttningsförbud changed on 10 Sep, not on 15 Feb (1 of 2),
# utreseförbud not (0 of 1). The wheel's occurrences of the year: 1 Sep held
# on time, 1 Oct overdue; 4 May 2026 is the next year's.
KNOWLEDGE_2025 = {
    WORK_GROUPS: 1,
    SESSIONS: 2,
    occurrence_key("on_time"): 1,
    occurrence_key("late"): 0,
    occurrence_key("overdue"): 1,
    occurrence_key("missed"): 0,
    occurrence_key("open"): 0,
    part_key(FLYTT.code, COVERED): 3,
    part_key(FLYTT.code, MEMBERS): 3,
    part_key(FLYTT.code, "cases"): 3,
    part_key(FLYTT.code, "practice_answered"): 2,
    part_key(FLYTT.code, "practice_changed"): 1,
    part_key(FLYTT.code, "open_plans"): 0,
    part_key(UTRESE.code, COVERED): 1,
    part_key(UTRESE.code, MEMBERS): 3,
    part_key(UTRESE.code, "cases"): 1,
    part_key(UTRESE.code, "practice_answered"): 1,
    part_key(UTRESE.code, "practice_changed"): 0,
    part_key(UTRESE.code, "open_plans"): 0,
}
# Clients: f1 (female) and f2 (male), both missbruk, no age band. f1's goal
# assessed and its closing on 10 Jan 2026 still count in 2025. 5 + 2 events.
FACTS = [("missbruk", "female", "unknown"), ("missbruk", "male", "unknown")]
CLIENTS_2025 = client_counts(
    FACTS,
    [
        (0, "opened", ""),
        (0, "problem", "alkohol"),
        (0, "goal", "Mindre alkohol"),
        (0, "goal_outcome", "achieved"),
        (0, "closed", ""),
        (1, "opened", ""),
        (1, "problem", "alkohol"),
        (1, "problem", "boende"),
    ],
    events=7,
)
# AUDIT at intake 20 and 12: n 2, Σ 32, Σ² 400 + 144 = 544.
LEVELS_2025 = audit_intakes(FACTS, [20, 12])


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    assert settings.database_url
    engine = create_async_engine(settings.database_url)
    await ensure_all(engine, [knowledge, clients])
    yield engine
    await engine.dispose()


@contextlib.asynccontextmanager
async def projecting(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[list[ProjectionRunner]]:
    runners = [ProjectionRunner(settings, engine, p) for p in (knowledge, clients)]
    tasks = [asyncio.create_task(r.run()) for r in runners]
    try:
        yield runners
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def publish(settings: Settings) -> None:
    assert settings.kafka_bootstrap
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=5)
    await producer.start()
    try:
        for base, envelopes in TOPICS.items():
            for e in envelopes:
                await producer.send_and_wait(
                    topic(settings, base), e.to_bytes(), key=e.aggregate_id.encode()
                )
    finally:
        await producer.stop()


async def until(done: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + 60
    while not await done():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.1)


def at(settings: Settings, rounds: int) -> Callable[[list[ProjectionRunner]], Awaitable[bool]]:
    """Whether the projections have stored positions past `rounds` publications of TOPICS."""
    ends = {(topic(settings, base), 0): rounds * len(events) for base, events in TOPICS.items()}

    async def reached(runners: list[ProjectionRunner]) -> bool:
        stored: dict[tuple[str, int], int] = {}
        for runner in runners:
            positions = await runner.consumer.stored_positions()
            stored |= {(tp.topic, tp.partition): offset for tp, offset in positions.items()}
        return stored == ends

    return reached


async def rows(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        total = 0
        for schema in ("reporting_knowledge", "reporting_clients"):
            query = text(f"SELECT count(*) FROM {schema}.report_inputs")
            total += int((await conn.execute(query)).scalar_one())
        return total


async def test_figures_and_inputs_read_back_as_worked_by_hand_and_redelivery_changes_nothing(
    settings: Settings, engine: AsyncEngine
) -> None:
    assert settings.kafka_bootstrap
    await ensure_topics(settings.kafka_bootstrap, [topic(settings, t) for t in TOPICS], 1)
    await publish(settings)
    async with projecting(settings, engine) as runners:
        await until(lambda: at(settings, 1)(runners), f"all {TOTAL} events projected")
        first, members = await read_everything(engine)
        await publish(settings)
        await until(lambda: at(settings, 2)(runners), "the same events projected again")
        # Each handled once (the LOKE wheel's too, applying to nothing); the
        # second delivery skipped (perhaps more than once: Kafka may redeliver).
        assert sum(r.consumer.stats.handled for r in runners) == TOTAL
        assert sum(r.consumer.stats.duplicates for r in runners) >= TOTAL
        assert await read_everything(engine) == (first, members)
    # Every event applied once: the work group's 7, the wheel's 5, the follow-ups' 9.
    assert await rows(engine) == 7 + 5 + 9

    aggregate, inputs = first["1480", None, 2025]
    assert aggregate == MergeableAggregate(
        counts={**KNOWLEDGE_2025, **CLIENTS_2025}, moments=LEVELS_2025
    )
    assert LEVELS_2025[client_key("all", "", "level", "audit|intake")] == Moments(
        n=2, total=Fraction(32), sum_of_squares=Fraction(544)
    )
    assert inputs == refs(*WORK_GROUP, *WHEEL[:4], *F1, *F2)
    # One unit each: the knowledge figures are ifo-barn's, the clients' ifo-vuxen's.
    assert first["1480", "ifo-barn", 2025] == (
        MergeableAggregate(counts=KNOWLEDGE_2025),
        refs(*WORK_GROUP, *WHEEL[:4]),
    )
    assert first["1480", "ifo-vuxen", 2025] == (
        MergeableAggregate(counts=CLIENTS_2025, moments=LEVELS_2025),
        refs(*F1, *F2),
    )
    # The year before: f3 alone. The year after: one open occurrence.
    assert first["1480", None, 2024] == (
        MergeableAggregate(
            counts=client_counts(
                [("missbruk", "unknown", "unknown")],
                [(0, "opened", ""), (0, "problem", "boende")],
                events=1,
            )
        ),
        refs(*F3),
    )
    assert first["1480", None, 2026] == (
        MergeableAggregate(
            counts={
                WORK_GROUPS: 1,
                **{occurrence_key(s): 0 for s in ("on_time", "late", "overdue", "missed")},
                occurrence_key("open"): 1,
            }
        ),
        refs(WHEEL[4]),
    )
    assert first["1402", None, 2025][1] == refs(*F4)
    assert members["units", GBG, 2025] == ("ifo-barn", "ifo-vuxen")
    assert members["units", GBG, 2024] == ("ifo-vuxen",)
    assert members["units", GBG, 2026] == ("ifo-barn",)
    assert members["municipalities", "14", 2025] == (PARTILLE, GBG)
    assert members["municipalities", "14", 2024] == (GBG,)
    assert members["municipalities", "12", 2025] == ()


Figures = tuple[MergeableAggregate, frozenset[InputRef]]


async def read_everything(
    engine: AsyncEngine,
) -> tuple[dict[tuple[str, str | None, int], Figures], dict[tuple[str, str, int], tuple[str, ...]]]:
    """Every read this test checks, keyed by what was asked: the figures of a
    municipality (unit) and year; the units and municipalities of a year."""
    figures: dict[tuple[str, str | None, int], Figures] = {}
    for tenant, unit, year in (
        (GBG, None, 2025),
        (GBG, "ifo-barn", 2025),
        (GBG, "ifo-vuxen", 2025),
        (GBG, None, 2024),
        (GBG, None, 2026),
        (PARTILLE, None, 2025),
    ):
        both = await read_figures(engine, tenant, unit, year)
        assert both == (
            await read_aggregate(engine, tenant, unit, year),
            await read_inputs(engine, tenant, unit, year),
        )
        figures[tenant, unit, year] = both
    members: dict[tuple[str, str, int], tuple[str, ...]] = {}
    for year in (2024, 2025, 2026):
        members["units", GBG, year] = await read_units(engine, GBG, year)
    for region, year in (("14", 2025), ("14", 2024), ("12", 2025)):
        members["municipalities", region, year] = await read_municipalities(engine, region, year)
    return figures, members
