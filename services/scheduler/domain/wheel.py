"""The wheel (årshjul) aggregate: a yearly plan of steps and their occurrences.

State changes only by `apply`; the `decide_*` functions validate a command
against the state and return new events, doing no I/O. The occurrence's
identity (step, occurrence date) is part of every WheelStepDue and
WheelStepOverdue, so the state knows exactly which have been emitted: a
replica or a restart that decides the same occurrence again loses the
optimistic-concurrency race on the stream version instead of emitting twice.

A work group's wheel (one with `work_group`) is the knowledge wheel of seed
000: its occurrences are answered by the group's sessions, and one still open
when its follow-up year (1 May – 30 April) has ended is missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.scheduler.domain.schedule import (
    Occurrence,
    local_midnight,
    occurrences,
    validate_steps,
)
from shared.errors import FailedPrecondition, InvalidArgument, NotFound
from shared.events.catalogue import EventPayload
from shared.events.scheduler import (
    WheelArchived,
    WheelChanged,
    WheelCreated,
    WheelPaused,
    WheelResumed,
    WheelStep,
    WheelStepCompleted,
    WheelStepDue,
    WheelStepMissed,
    WheelStepOverdue,
    follow_up_year,
    follow_up_year_bounds,
)
from shared.eventstore import NewEvent

_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: How far ahead `next_wake` looks for the next opening.
_LOOKAHEAD = timedelta(days=800)
_EPSILON = timedelta(microseconds=1)
_ACTIVE, _PAUSED, _ARCHIVED = "active", "paused", "archived"


@dataclass
class OpenOccurrence:
    step_id: str
    occurrence_date: date
    opens_at: datetime
    deadline_at: datetime
    role: str
    completed_at: datetime | None = None
    on_time: bool | None = None
    overdue: bool = False
    missed: bool = False

    @classmethod
    def opened_by(cls, due: WheelStepDue) -> OpenOccurrence:
        return cls(due.step_id, due.occurrence_date, due.opens_at, due.deadline_at, due.role)

    @property
    def missed_at(self) -> datetime:
        """When it is missed if still open: its follow-up year's end, or its
        deadline if that falls later."""
        _, year_end = follow_up_year_bounds(follow_up_year(self.occurrence_date))
        return max(local_midnight(year_end), self.deadline_at)


@dataclass
class Wheel:
    wheel_id: str
    version: int = 0
    tenant: str = ""
    unit: str = ""
    work_group: str | None = None
    name_sv: str = ""
    name_en: str = ""
    template: str | None = None
    status: str = _ACTIVE
    active_from: datetime | None = None
    #: (effective from, steps), oldest first.
    step_versions: list[tuple[datetime, tuple[WheelStep, ...]]] = field(default_factory=list)
    paused_since: datetime | None = None
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    occurrences: dict[tuple[str, date], OpenOccurrence] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def steps(self) -> tuple[WheelStep, ...]:
        return self.step_versions[-1][1] if self.step_versions else ()

    def apply(self, payload: EventPayload) -> None:
        self.version += 1
        match payload:
            case WheelCreated():
                self.tenant, self.unit, self.work_group = (
                    payload.tenant,
                    payload.unit,
                    payload.work_group,
                )
                self.name_sv, self.name_en = payload.name_sv, payload.name_en
                self.template = payload.template
                self.active_from = payload.active_from
                self.step_versions = [(payload.active_from, payload.steps)]
            case WheelChanged():
                self.step_versions.append((payload.effective_from, payload.steps))
            case WheelPaused():
                self.status, self.paused_since = _PAUSED, payload.paused_at
            case WheelResumed():
                assert self.paused_since is not None
                self.pauses.append((self.paused_since, payload.resumed_at))
                self.status, self.paused_since = _ACTIVE, None
            case WheelArchived():
                self.status = _ARCHIVED
            case WheelStepDue():
                key = (payload.step_id, payload.occurrence_date)
                self.occurrences[key] = OpenOccurrence.opened_by(payload)
            case WheelStepCompleted():
                completed = self.occurrences[(payload.step_id, payload.occurrence_date)]
                completed.completed_at, completed.on_time = payload.completed_at, payload.on_time
            case WheelStepOverdue():
                self.occurrences[(payload.step_id, payload.occurrence_date)].overdue = True
            case WheelStepMissed():
                self.occurrences[(payload.step_id, payload.occurrence_date)].missed = True
            case _:
                raise TypeError(f"a wheel does not apply {type(payload).__name__}")

    # --- deciding what is due ------------------------------------------------

    def decide_due(self, now: datetime) -> list[NewEvent]:
        """Every WheelStepDue, WheelStepOverdue and (a work group's wheel)
        WheelStepMissed not yet emitted up to `now`, in time order.

        Pausing stops occurrences from opening; ones already open still fall
        overdue and are missed.
        """
        if not self.exists or self.status == _ARCHIVED:
            return []
        pending: list[tuple[datetime, int, int, EventPayload]] = []
        opened: list[OpenOccurrence] = []
        for order, (step, occurrence) in enumerate(self._openings(now)):
            if (step.step_id, occurrence.occurrence_date) in self.occurrences:
                continue
            if self._paused_at(occurrence.opens_at):
                continue
            due = self._due_event(step, occurrence)
            pending.append((occurrence.opens_at, 0, order, due))
            opened.append(OpenOccurrence.opened_by(due))
        for order, open_ in enumerate([*self.occurrences.values(), *opened]):
            if open_.completed_at is None and not open_.overdue and open_.deadline_at <= now:
                overdue = WheelStepOverdue(
                    wheel_id=self.wheel_id,
                    step_id=open_.step_id,
                    occurrence_date=open_.occurrence_date,
                    deadline_at=open_.deadline_at,
                    role=open_.role,
                    unit=self.unit,
                )
                pending.append((open_.deadline_at, 1, order, overdue))
            if self._misses(open_) and open_.missed_at <= now:
                pending.append((open_.missed_at, 2, order, self._missed_event(open_)))
        pending.sort(key=lambda item: item[:3])
        return [NewEvent(payload, occurred_at=at) for at, _, _, payload in pending]

    def next_wake(self, now: datetime) -> datetime | None:
        """The earliest instant after `now` at which `decide_due` would emit something."""
        if not self.exists or self.status == _ARCHIVED:
            return None
        candidates = [
            o.deadline_at
            for o in self.occurrences.values()
            if o.completed_at is None and not o.overdue and o.deadline_at > now
        ]
        candidates.extend(
            o.missed_at for o in self.occurrences.values() if self._misses(o) and o.missed_at > now
        )
        if self.status == _ACTIVE:
            for step in self.steps:
                upcoming = occurrences(step.schedule, now + _EPSILON, now + _LOOKAHEAD)
                candidates.extend(o.opens_at for o in upcoming[:1])
        return min(candidates, default=None)

    def upcoming(self, now: datetime, until: datetime) -> list[tuple[WheelStep, Occurrence]]:
        """Occurrences of the current steps opening in (now, until), in time order."""
        if self.status != _ACTIVE:
            return []
        found = [
            (step, occurrence)
            for step in self.steps
            for occurrence in occurrences(step.schedule, now + _EPSILON, until)
        ]
        return sorted(found, key=lambda pair: pair[1].opens_at)

    def _openings(self, now: datetime) -> Iterable[tuple[WheelStep, Occurrence]]:
        bounds = [start for start, _ in self.step_versions[1:]] + [now + _EPSILON]
        for (start, steps), end in zip(self.step_versions, bounds, strict=True):
            end = min(end, now + _EPSILON)
            if start >= end:
                continue
            for step in steps:
                yield from ((step, o) for o in occurrences(step.schedule, start, end))

    def _misses(self, occurrence: OpenOccurrence) -> bool:
        """Whether the occurrence can still be missed: a work group's wheel, still open."""
        return (
            self.work_group is not None
            and occurrence.completed_at is None
            and not occurrence.missed
        )

    def _missed_event(self, occurrence: OpenOccurrence) -> WheelStepMissed:
        return WheelStepMissed(
            wheel_id=self.wheel_id,
            step_id=occurrence.step_id,
            occurrence_date=occurrence.occurrence_date,
            follow_up_year=follow_up_year(occurrence.occurrence_date),
            deadline_at=occurrence.deadline_at,
            role=occurrence.role,
            unit=self.unit,
            work_group=self.work_group,
        )

    def _paused_at(self, at: datetime) -> bool:
        if self.paused_since is not None and at >= self.paused_since:
            return True
        return any(start <= at < end for start, end in self.pauses)

    def _due_event(self, step: WheelStep, occurrence: Occurrence) -> WheelStepDue:
        return WheelStepDue(
            wheel_id=self.wheel_id,
            step_id=step.step_id,
            occurrence_date=occurrence.occurrence_date,
            opens_at=occurrence.opens_at,
            deadline_at=occurrence.deadline_at,
            role=step.role,
            title_sv=step.title_sv,
            title_en=step.title_en,
            unit=self.unit,
            work_group=self.work_group,
        )

    # --- commands ------------------------------------------------------------

    def decide_create(
        self,
        *,
        tenant: str,
        unit: str,
        work_group: str | None,
        name_sv: str,
        name_en: str,
        template: str | None,
        steps: Sequence[WheelStep],
        now: datetime,
    ) -> list[NewEvent]:
        if self.exists:
            raise FailedPrecondition(f"wheel {self.wheel_id} already exists", field="wheel_id")
        if not _UNIT.match(unit):
            raise InvalidArgument(
                "a unit id is 1–64 letters, digits, '.', '_' or '-'", field="unit"
            )
        if work_group is not None and not _UNIT.match(work_group):
            raise InvalidArgument(
                "a work group id is 1–64 letters, digits, '.', '_' or '-'", field="work_group"
            )
        for name, value in (("name_sv", name_sv), ("name_en", name_en)):
            if not value.strip():
                raise InvalidArgument("a wheel needs a name", field=name)
        validate_steps(steps)
        created = WheelCreated(
            wheel_id=self.wheel_id,
            tenant=tenant,
            unit=unit,
            work_group=work_group,
            name_sv=name_sv.strip(),
            name_en=name_en.strip(),
            template=template,
            steps=tuple(steps),
            active_from=now,
        )
        return [NewEvent(created, occurred_at=now)]

    def decide_change(self, steps: Sequence[WheelStep], now: datetime) -> list[NewEvent]:
        self._require_not_archived()
        validate_steps(steps)
        return [NewEvent(WheelChanged(steps=tuple(steps), effective_from=now), occurred_at=now)]

    def decide_pause(self, now: datetime) -> list[NewEvent]:
        self._require_not_archived()
        if self.status == _PAUSED:
            raise FailedPrecondition("the wheel is already paused")
        return [NewEvent(WheelPaused(paused_at=now), occurred_at=now)]

    def decide_resume(self, now: datetime) -> list[NewEvent]:
        self._require_not_archived()
        if self.status != _PAUSED:
            raise FailedPrecondition("the wheel is not paused")
        return [NewEvent(WheelResumed(resumed_at=now), occurred_at=now)]

    def decide_archive(self, now: datetime) -> list[NewEvent]:
        self._require_not_archived()
        return [NewEvent(WheelArchived(archived_at=now), occurred_at=now)]

    def decide_complete(
        self,
        step_id: str,
        occurrence_date: date,
        *,
        by: str,
        note: str,
        now: datetime,
        done_at: datetime | None = None,
    ) -> list[NewEvent]:
        """Complete the occurrence: on time if it was done (`done_at`, by default
        `now`) before its deadline; a step done elsewhere (a report compiled)
        may be done before the scheduler learns of it."""
        open_ = self._completable(step_id, occurrence_date)
        completed = WheelStepCompleted(
            wheel_id=self.wheel_id,
            step_id=step_id,
            occurrence_date=occurrence_date,
            completed_at=now,
            on_time=(done_at or now) < open_.deadline_at,
            completed_by=by,
            note=note,
        )
        return [NewEvent(completed, occurred_at=now)]

    def decide_answered_by_session(
        self,
        step_id: str,
        occurrence_date: date,
        *,
        session_id: str,
        work_group: str,
        held_on: date,
        now: datetime,
    ) -> list[NewEvent]:
        """A session of `work_group` held on `held_on` answers the occurrence.

        On time if it was held by the deadline day, whenever the scheduler
        learns of it; only the wheel's own work group (if it has one) answers it.
        """
        if self.work_group is not None and work_group != self.work_group:
            raise FailedPrecondition(
                f"the wheel belongs to work group {self.work_group!r}, not {work_group!r}",
                field="work_group",
            )
        open_ = self._completable(step_id, occurrence_date)
        completed = WheelStepCompleted(
            wheel_id=self.wheel_id,
            step_id=step_id,
            occurrence_date=occurrence_date,
            completed_at=now,
            on_time=local_midnight(held_on) < open_.deadline_at,
            completed_by=f"session:{session_id}",
            session_id=session_id,
            held_on=held_on,
        )
        return [NewEvent(completed, occurred_at=now)]

    def _completable(self, step_id: str, occurrence_date: date) -> OpenOccurrence:
        self._require_not_archived()
        open_ = self.occurrences.get((step_id, occurrence_date))
        if open_ is None:
            raise NotFound(
                f"step {step_id!r} has no open occurrence on {occurrence_date.isoformat()}",
                field="occurrence_date",
            )
        if open_.completed_at is not None:
            raise FailedPrecondition(
                f"the occurrence was already completed at {open_.completed_at.isoformat()}",
                field="occurrence_date",
            )
        if open_.missed:
            raise FailedPrecondition(
                f"the occurrence was missed: its follow-up year "
                f"{follow_up_year(occurrence_date)} has ended",
                field="occurrence_date",
            )
        return open_

    def _require_not_archived(self) -> None:
        if not self.exists:
            raise NotFound(f"no wheel {self.wheel_id}", field="wheel_id")
        if self.status == _ARCHIVED:
            raise FailedPrecondition("the wheel is archived")
