"""The scheduler closes the loop, pure: a session completes the occurrence it
answers, on time or late by the day it was held; a work group's occurrence
still open when its follow-up year ends is missed, once."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

import pytest

from services.scheduler.domain.wheel import Wheel
from shared.clock import STOCKHOLM
from shared.errors import FailedPrecondition
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.events.scheduler import (
    Recurrence,
    WheelStep,
    WheelStepCompleted,
    WheelStepDue,
    WheelStepMissed,
    WheelStepOverdue,
    completed_v1_to_v2,
    follow_up_year,
    follow_up_year_bounds,
)
from shared.eventstore import NewEvent
from shared.roles import Role


def at(day: str, hour: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=STOCKHOLM)


APT = WheelStep(
    step_id="apt",
    title_sv="APT",
    title_en="APT",
    role=Role.UNIT_STAFF,
    schedule=Recurrence(
        rrule="FREQ=MONTHLY;BYDAY=1TU", starts_on=date(2025, 5, 1), at=time(9), deadline_days=14
    ),
)


def wheel(work_group: str | None = "barngruppen") -> Wheel:
    created = Wheel("wheel-1")
    apply_all(
        created,
        created.decide_create(
            tenant="1480",
            unit="ifo-barn",
            work_group=work_group,
            name_sv="Tre frågor",
            name_en="Three questions",
            template=None,
            steps=[APT],
            now=at("2025-04-15"),
        ),
    )
    return created


def apply_all(target: Wheel, events: list[NewEvent]) -> list[NewEvent]:
    for new in events:
        target.apply(new.payload)
    return events


def answered(target: Wheel, occurrence: str, held_on: str, now: datetime) -> WheelStepCompleted:
    [done] = apply_all(
        target,
        target.decide_answered_by_session(
            "apt",
            date.fromisoformat(occurrence),
            session_id="s1",
            work_group="barngruppen",
            held_on=date.fromisoformat(held_on),
            now=now,
        ),
    )
    assert isinstance(done.payload, WheelStepCompleted)
    return done.payload


def test_a_session_held_by_the_deadline_day_is_on_time_even_when_learnt_of_later() -> None:
    target = wheel()
    apply_all(target, target.decide_due(at("2025-05-25")))  # overdue since 21 May
    done = answered(target, "2025-05-06", "2025-05-20", now=at("2025-05-25"))
    assert (done.on_time, done.session_id, done.held_on) == (True, "s1", date(2025, 5, 20))
    assert done.completed_by == "session:s1"
    assert target.occurrences[("apt", date(2025, 5, 6))].on_time is True


def test_a_session_held_after_the_deadline_day_is_late() -> None:
    target = wheel()
    apply_all(target, target.decide_due(at("2025-05-25")))
    assert answered(target, "2025-05-06", "2025-05-21", now=at("2025-05-25")).on_time is False


def test_another_work_group_s_session_does_not_complete_it() -> None:
    target = wheel()
    apply_all(target, target.decide_due(at("2025-05-07")))
    with pytest.raises(FailedPrecondition) as refused:
        target.decide_answered_by_session(
            "apt",
            date(2025, 5, 6),
            session_id="s1",
            work_group="jour",
            held_on=date(2025, 5, 6),
            now=at("2025-05-07"),
        )
    assert refused.value.field == "work_group"


def test_an_open_occurrence_is_missed_when_its_follow_up_year_ends() -> None:
    target = wheel()
    apply_all(target, target.decide_due(at("2026-04-30")))
    answered(target, "2025-05-06", "2025-05-06", now=at("2026-04-30"))
    events = apply_all(target, target.decide_due(at("2026-05-01", 1)))
    missed = [e for e in events if isinstance(e.payload, WheelStepMissed)]
    # 12 APTs of the year: 1 answered, 10 overdue and missed at 1 May; the
    # April APT (7 April, due by 21 April) too.
    assert len(missed) == 11
    assert {e.occurred_at for e in missed} == {at("2026-05-01")}
    assert all(isinstance(e.payload, WheelStepMissed) and e.payload.follow_up_year == 2025
               for e in missed)  # fmt: skip
    assert target.decide_due(at("2026-05-01", 2)) == []
    with pytest.raises(FailedPrecondition):
        answered(target, "2025-06-03", "2025-06-03", now=at("2026-05-02"))


def test_an_occurrence_due_after_the_year_ends_is_missed_when_it_falls_overdue() -> None:
    target = wheel()
    weekly = APT.model_copy(
        update={
            "schedule": Recurrence(
                rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=date(2026, 4, 28), at=time(9),
                deadline_days=14,
            )
        }
    )  # fmt: skip
    apply_all(target, target.decide_change([weekly], at("2026-04-27")))
    apply_all(target, target.decide_due(at("2026-05-01", 1)))
    events = target.decide_due(at("2026-05-13", 1))
    late = [
        e.payload
        for e in events
        if isinstance(e.payload, WheelStepOverdue | WheelStepMissed)
        and e.payload.occurrence_date == date(2026, 4, 28)
    ]
    assert [type(p) for p in late] == [WheelStepOverdue, WheelStepMissed]
    assert [e.occurred_at for e in events if e.payload in late] == [at("2026-05-13")] * 2
    assert target.next_wake(at("2026-05-01", 1)) is not None


def test_a_wheel_without_a_work_group_is_never_missed() -> None:
    target = wheel(work_group=None)
    events = target.decide_due(at("2026-06-01"))
    kinds = {type(e.payload) for e in events}
    assert kinds == {WheelStepDue, WheelStepOverdue}


def test_next_wake_includes_the_end_of_the_year() -> None:
    target = wheel()
    apply_all(target, target.decide_due(at("2026-04-25")))
    # Everything up to April is overdue; the April APT's deadline has passed;
    # the next thing is the May APT (5 May) — but 1 May comes first.
    assert target.next_wake(at("2026-04-25")) == at("2026-05-01")


def test_the_follow_up_year_runs_from_may() -> None:
    assert follow_up_year(date(2026, 4, 30)) == 2025
    assert follow_up_year(date(2026, 5, 1)) == 2026
    assert follow_up_year_bounds(2025) == (date(2025, 5, 1), date(2026, 5, 1))


def test_a_stored_v1_completion_reads_as_v2_without_a_session() -> None:
    stored = {
        "wheel_id": "wheel-1",
        "step_id": "apt",
        "occurrence_date": "2025-05-06",
        "completed_at": "2025-05-07T10:00:00+00:00",
        "on_time": True,
        "completed_by": "unit_manager@1480/ifo-barn",
        "note": "",
    }
    assert completed_v1_to_v2(stored) == {**stored, "session_id": None, "held_on": None}
    envelope = EventEnvelope(
        type="scheduler.WheelStepCompleted.v1",
        schema_version=1,
        tenant="1480",
        aggregate_id="wheel-1",
        aggregate_version=3,
        occurred_at=at("2025-05-07"),
        recorded_at=at("2025-05-07"),
        correlation_id=uuid.UUID("7d0e4c3a-0b7c-4b5e-9a51-2f7b8f0c6a11"),
        producer="scheduler",
        payload=stored,
    )
    payload = decode(envelope)
    assert isinstance(payload, WheelStepCompleted)
    assert (payload.on_time, payload.session_id, payload.held_on) == (True, None, None)
    assert WheelStepCompleted.event_type == "scheduler.WheelStepCompleted.v2"
