"""The wheel aggregate, pure: what falls due, once, in order, as the clock moves."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.scheduler.domain.templates import get_template
from services.scheduler.domain.wheel import Wheel
from shared.clock import STOCKHOLM
from shared.errors import FailedPrecondition, InvalidArgument, NotFound
from shared.events.scheduler import (
    WheelStep,
    WheelStepCompleted,
    WheelStepDue,
    WheelStepOverdue,
    YearlyWindow,
)
from shared.eventstore import NewEvent
from shared.roles import Role


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=STOCKHOLM)


def created(steps: tuple[WheelStep, ...], day: str) -> Wheel:
    wheel = Wheel("wheel-1")
    apply_all(
        wheel,
        wheel.decide_create(
            tenant="1480",
            unit="ifo-vuxen",
            work_group=None,
            name_sv="Hjul",
            name_en="Wheel",
            template=None,
            steps=steps,
            now=at(day),
        ),
    )
    return wheel


def apply_all(wheel: Wheel, events: list[NewEvent]) -> list[NewEvent]:
    for new in events:
        wheel.apply(new.payload)
    return events


def step(step_id: str, opens: str, deadline: str) -> WheelStep:
    return WheelStep(
        step_id=step_id,
        title_sv=step_id,
        title_en=step_id,
        role=Role.UNIT_MANAGER,
        schedule=YearlyWindow(opens=opens, deadline=deadline),
    )


def summary(events: list[NewEvent]) -> list[tuple[str, str, str]]:
    out = []
    for new in events:
        p = new.payload
        assert isinstance(p, WheelStepDue | WheelStepOverdue)
        kind = "due" if isinstance(p, WheelStepDue) else "overdue"
        out.append((kind, p.step_id, p.occurrence_date.isoformat()))
    return out


def test_catch_up_emits_every_missed_occurrence_in_date_order_and_only_once() -> None:
    wheel = created((step("a", "03-01", "03-10"), step("b", "02-01", "03-31")), "2025-01-15")
    events = apply_all(wheel, wheel.decide_due(at("2025-03-20")))
    assert summary(events) == [
        ("due", "b", "2025-02-01"),
        ("due", "a", "2025-03-01"),
        ("overdue", "a", "2025-03-01"),
    ]
    # Overdue falls on 00:00 the day after the deadline, Stockholm time.
    assert events[2].occurred_at == at("2025-03-11")
    assert wheel.decide_due(at("2025-03-20")) == []
    assert summary(wheel.decide_due(at("2025-04-01"))) == [("overdue", "b", "2025-02-01")]


def test_completion_before_the_deadline_is_on_time_and_prevents_overdue() -> None:
    wheel = created((step("a", "03-01", "03-10"),), "2025-01-15")
    apply_all(wheel, wheel.decide_due(at("2025-03-05")))
    [done] = apply_all(
        wheel, wheel.decide_complete("a", date(2025, 3, 1), by="u", note="", now=at("2025-03-10"))
    )
    assert isinstance(done.payload, WheelStepCompleted) and done.payload.on_time
    assert wheel.decide_due(at("2025-06-01")) == []
    with pytest.raises(FailedPrecondition):
        wheel.decide_complete("a", date(2025, 3, 1), by="u", note="", now=at("2025-03-12"))


def test_completion_after_the_deadline_is_late() -> None:
    wheel = created((step("a", "03-01", "03-10"),), "2025-01-15")
    apply_all(wheel, wheel.decide_due(at("2025-03-20")))
    [done] = wheel.decide_complete("a", date(2025, 3, 1), by="u", note="", now=at("2025-03-11"))
    assert isinstance(done.payload, WheelStepCompleted) and not done.payload.on_time


def test_an_occurrence_not_yet_open_cannot_be_completed() -> None:
    wheel = created((step("a", "03-01", "03-10"),), "2025-01-15")
    with pytest.raises(NotFound):
        wheel.decide_complete("a", date(2025, 3, 1), by="u", note="", now=at("2025-02-01"))


def test_occurrences_opening_while_paused_are_skipped() -> None:
    wheel = created((step("a", "03-01", "03-10"),), "2025-01-15")
    apply_all(wheel, wheel.decide_pause(at("2025-02-01")))
    assert wheel.decide_due(at("2025-04-01")) == []
    apply_all(wheel, wheel.decide_resume(at("2025-04-01")))
    assert summary(wheel.decide_due(at("2026-03-02"))) == [("due", "a", "2026-03-01")]


def test_changed_steps_apply_to_future_occurrences_only() -> None:
    wheel = created((step("a", "03-01", "03-10"),), "2025-01-15")
    apply_all(wheel, wheel.decide_due(at("2025-03-02")))
    apply_all(wheel, wheel.decide_change((step("c", "06-01", "06-30"),), at("2025-04-01")))
    assert summary(wheel.decide_due(at("2025-07-01"))) == [
        ("overdue", "a", "2025-03-01"),
        ("due", "c", "2025-06-01"),
        ("overdue", "c", "2025-06-01"),
    ]


def test_archived_wheels_emit_nothing_and_refuse_commands() -> None:
    wheel = created((step("a", "03-01", "03-10"),), "2025-01-15")
    apply_all(wheel, wheel.decide_archive(at("2025-02-01")))
    assert wheel.decide_due(at("2026-01-01")) == []
    assert wheel.next_wake(at("2026-01-01")) is None
    with pytest.raises(FailedPrecondition):
        wheel.decide_pause(at("2025-02-02"))


def test_next_wake_is_the_next_opening_or_deadline() -> None:
    wheel = created((step("a", "03-01", "03-10"),), "2025-01-15")
    assert wheel.next_wake(at("2025-01-15")) == at("2025-03-01")
    apply_all(wheel, wheel.decide_due(at("2025-03-01")))
    assert wheel.next_wake(at("2025-03-01")) == at("2025-03-11")


def test_a_bad_unit_is_refused_naming_the_field() -> None:
    wheel = Wheel("wheel-2")
    with pytest.raises(InvalidArgument) as refused:
        wheel.decide_create(
            tenant="1480",
            unit="",
            work_group=None,
            name_sv="Hjul",
            name_en="Wheel",
            template=None,
            steps=get_template("loke-rapporteringshjul").steps(date(2025, 5, 1)),
            now=at("2025-01-01"),
        )
    assert refused.value.field == "unit"
