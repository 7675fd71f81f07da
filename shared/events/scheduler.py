"""Events of the scheduler service: wheels (årshjul) and their occurrences.

A wheel's steps each carry a schedule: a yearly window (opens and deadline as
month-day, e.g. LOKE "data submitted by 15 May") or an iCalendar RRULE (e.g.
APT on the first Tuesday of each month). An occurrence is identified by
(wheel, step, occurrence date); dates are Europe/Stockholm.

The follow-up year (uppföljningsår) runs 1 May – 30 April (seed 003,
DOMAIN.md section 3); an occurrence belongs to the year its date falls in,
and one of a work group's wheel still open when its year has ended is missed.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events.catalogue import EventPayload, event, upcaster
from shared.roles import Role

#: The follow-up year's first month: May (seed 003, "1/5 - 30/4").
FOLLOW_UP_YEAR_FIRST_MONTH = 5


def follow_up_year(day: date) -> int:
    """The follow-up year `day` falls in, named by the calendar year it starts in
    (2025 is 1 May 2025 – 30 April 2026)."""
    return day.year if day.month >= FOLLOW_UP_YEAR_FIRST_MONTH else day.year - 1


def follow_up_year_bounds(year: int) -> tuple[date, date]:
    """The first day of follow-up year `year` and the first day after it."""
    return date(year, FOLLOW_UP_YEAR_FIRST_MONTH, 1), date(year + 1, FOLLOW_UP_YEAR_FIRST_MONTH, 1)


class YearlyWindow(BaseModel):
    """Opens at 00:00 on `opens` each year; due by the end of `deadline`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["yearly"] = "yearly"
    opens: str = Field(description="MM-DD")
    deadline: str = Field(description="MM-DD")
    deadline_next_year: bool = Field(
        default=False, description="The window crosses New Year (deadline in the next year)."
    )


class Recurrence(BaseModel):
    """Opens at each RRULE occurrence (local time `at`); due by the end of the
    day `deadline_days` after it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["rrule"] = "rrule"
    rrule: str = Field(description="RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=1TU")
    starts_on: date
    at: time = time(0, 0)
    deadline_days: int = Field(default=0, ge=0, le=365)


Schedule = Annotated[YearlyWindow | Recurrence, Field(discriminator="kind")]


class WheelStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    step_id: str
    title_sv: str
    title_en: str
    role: Role
    action_sv: str = ""
    action_en: str = ""
    schedule: Schedule


@event
class WheelCreated(EventPayload):
    event_type = "scheduler.WheelCreated.v1"
    wheel_id: str
    tenant: str
    unit: str
    work_group: str | None = None
    name_sv: str
    name_en: str
    template: str | None = None
    steps: tuple[WheelStep, ...]
    active_from: AwareDatetime


@event
class WheelChanged(EventPayload):
    """New steps; occurrences opening at or after `effective_from` follow them."""

    event_type = "scheduler.WheelChanged.v1"
    steps: tuple[WheelStep, ...]
    effective_from: AwareDatetime


@event
class WheelPaused(EventPayload):
    event_type = "scheduler.WheelPaused.v1"
    paused_at: AwareDatetime


@event
class WheelResumed(EventPayload):
    event_type = "scheduler.WheelResumed.v1"
    resumed_at: AwareDatetime


@event
class WheelArchived(EventPayload):
    event_type = "scheduler.WheelArchived.v1"
    archived_at: AwareDatetime


@event
class WheelStepDue(EventPayload):
    """An occurrence opened. Emitted exactly once per (wheel, step, occurrence_date)."""

    event_type = "scheduler.WheelStepDue.v1"
    wheel_id: str
    step_id: str
    occurrence_date: date
    opens_at: AwareDatetime
    deadline_at: AwareDatetime = Field(description="First instant after the deadline.")
    role: Role
    title_sv: str
    title_en: str
    unit: str
    work_group: str | None = None


@event
class WheelStepCompleted(EventPayload):
    """The occurrence was done: by a command, or by a session that answers it (v2).

    `on_time` is decided by the deadline: for a session by the day it was held
    (`held_on`), which may lie before `completed_at`, when the scheduler learnt of it.
    """

    event_type = "scheduler.WheelStepCompleted.v2"
    wheel_id: str
    step_id: str
    occurrence_date: date
    completed_at: AwareDatetime
    on_time: bool
    completed_by: str
    note: str = ""
    session_id: str | None = None
    held_on: date | None = None


@upcaster("scheduler.WheelStepCompleted", 1)
def completed_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """v1 knew completion by command only: no session answered it."""
    return {**payload, "session_id": None, "held_on": None}


@event
class WheelStepOverdue(EventPayload):
    """The deadline passed with the occurrence not completed. Exactly once per occurrence."""

    event_type = "scheduler.WheelStepOverdue.v1"
    wheel_id: str
    step_id: str
    occurrence_date: date
    deadline_at: AwareDatetime
    role: Role
    unit: str


@event
class WheelStepMissed(EventPayload):
    """An overdue occurrence of a work group's wheel was still open when its
    follow-up year ended. Exactly once per occurrence; it can no longer be completed."""

    event_type = "scheduler.WheelStepMissed.v1"
    wheel_id: str
    step_id: str
    occurrence_date: date
    follow_up_year: int
    deadline_at: AwareDatetime
    role: Role
    unit: str
    work_group: str | None = None
