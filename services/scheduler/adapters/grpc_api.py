"""The scheduler's gRPC API: translate messages, call the application, map errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

import grpc

from services.scheduler.application import CommandResult, SchedulerApp
from services.scheduler.domain.ics import wheel_to_ics
from services.scheduler.domain.schedule import Occurrence
from services.scheduler.domain.templates import TEMPLATES
from services.scheduler.domain.wheel import OpenOccurrence, Wheel
from shared.api import scheduler_pb2 as pb
from shared.api import scheduler_pb2_grpc as pb_grpc
from shared.clock import STOCKHOLM
from shared.errors import InvalidArgument
from shared.events.scheduler import Recurrence, WheelStep, YearlyWindow
from shared.grpc.auth import current_caller
from shared.grpc.errors import map_domain_errors
from shared.personal_data import refuse_personal_identity_number
from shared.roles import Role

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Scheduler"].full_name


class SchedulerServicer(pb_grpc.SchedulerServicer):
    def __init__(self, app: SchedulerApp) -> None:
        self.app = app

    @map_domain_errors
    async def CreateWheel(self, request: pb.CreateWheelRequest, context: object) -> pb.WheelReply:
        if not request.template and not request.steps:
            raise InvalidArgument("give a template id or at least one step", field="template")
        result = await self.app.create_wheel(
            current_caller(),
            tenant=request.tenant,
            unit=request.unit,
            work_group=request.work_group or None,
            template=request.template or None,
            name_sv=request.name_sv,
            name_en=request.name_en,
            steps=steps_from_pb(request.steps),
            starts_on=parse_date(request.starts_on, "starts_on") if request.starts_on else None,
        )
        return _reply(result)

    @map_domain_errors
    async def ChangeSteps(self, request: pb.ChangeStepsRequest, context: object) -> pb.WheelReply:
        result = await self.app.change_steps(
            current_caller(),
            request.wheel_id,
            steps_from_pb(request.steps),
            request.expected_version,
        )
        return _reply(result)

    @map_domain_errors
    async def PauseWheel(self, request: pb.WheelCommand, context: object) -> pb.WheelReply:
        result = await self.app.pause(current_caller(), request.wheel_id, request.expected_version)
        return _reply(result)

    @map_domain_errors
    async def ResumeWheel(self, request: pb.WheelCommand, context: object) -> pb.WheelReply:
        result = await self.app.resume(current_caller(), request.wheel_id, request.expected_version)
        return _reply(result)

    @map_domain_errors
    async def ArchiveWheel(self, request: pb.WheelCommand, context: object) -> pb.WheelReply:
        result = await self.app.archive(
            current_caller(), request.wheel_id, request.expected_version
        )
        return _reply(result)

    @map_domain_errors
    async def CompleteOccurrence(
        self, request: pb.CompleteOccurrenceRequest, context: object
    ) -> pb.WheelReply:
        refuse_personal_identity_number(request.note, "note")
        result = await self.app.complete(
            current_caller(),
            request.wheel_id,
            request.step_id,
            parse_date(request.occurrence_date, "occurrence_date"),
            request.note,
            request.expected_version,
        )
        return _reply(result)

    @map_domain_errors
    async def GetWheel(self, request: pb.GetWheelRequest, context: object) -> pb.Wheel:
        return wheel_to_pb(await self.app.get_wheel(current_caller(), request.wheel_id))

    @map_domain_errors
    async def ListWheels(
        self, request: pb.ListWheelsRequest, context: object
    ) -> pb.ListWheelsReply:
        wheels = await self.app.list_wheels(current_caller(), request.tenant, request.unit or None)
        return pb.ListWheelsReply(wheels=[wheel_to_pb(w) for w in wheels])

    @map_domain_errors
    async def ListUpcoming(
        self, request: pb.ListUpcomingRequest, context: object
    ) -> pb.ListUpcomingReply:
        days = request.days or 90
        if not 1 <= days <= 800:
            raise InvalidArgument("days must be between 1 and 800", field="days")
        wheels = await self.app.list_wheels(current_caller(), request.tenant, request.unit or None)
        now, until = await self.app.upcoming_window(days)
        found = [
            (occurrence.opens_at, wheel, step, occurrence)
            for wheel in wheels
            for step, occurrence in wheel.upcoming(now, until)
        ]
        found.sort(key=lambda item: (item[0], item[1].wheel_id))
        return pb.ListUpcomingReply(
            occurrences=[
                pb.UpcomingOccurrence(
                    wheel_id=wheel.wheel_id,
                    wheel_name_sv=wheel.name_sv,
                    wheel_name_en=wheel.name_en,
                    occurrence=_upcoming_to_pb(step, occurrence),
                )
                for _, wheel, step, occurrence in found
            ]
        )

    @map_domain_errors
    async def ExportCalendar(
        self, request: pb.ExportCalendarRequest, context: object
    ) -> pb.CalendarFile:
        lang = request.lang or "sv"
        if lang not in ("sv", "en"):
            raise InvalidArgument("lang is sv or en", field="lang")
        wheel = await self.app.get_wheel(current_caller(), request.wheel_id)
        assert wheel.active_from is not None
        name = wheel.name_sv if lang == "sv" else wheel.name_en
        content = wheel_to_ics(
            wheel.wheel_id,
            name,
            wheel.steps,
            "sv" if lang == "sv" else "en",
            first_year=wheel.active_from.astimezone(STOCKHOLM).year,
            generated_at=await self.app.now(),
        )
        return pb.CalendarFile(filename=f"{wheel.wheel_id}.ics", content=content)

    @map_domain_errors
    async def ListTemplates(
        self, request: pb.ListTemplatesRequest, context: object
    ) -> pb.ListTemplatesReply:
        today = (await self.app.now()).astimezone(STOCKHOLM).date()
        return pb.ListTemplatesReply(
            templates=[
                pb.Template(
                    template_id=t.template_id,
                    name_sv=t.name_sv,
                    name_en=t.name_en,
                    description_sv=t.description_sv,
                    description_en=t.description_en,
                    steps=[step_to_pb(s) for s in t.steps(today)],
                )
                for t in TEMPLATES.values()
            ]
        )

    @map_domain_errors
    async def GetClock(self, request: pb.GetClockRequest, context: object) -> pb.ClockReply:
        return pb.ClockReply(now=(await self.app.now()).isoformat(), mode=self.app.time.mode)

    @map_domain_errors
    async def AdvanceClock(self, request: pb.AdvanceClockRequest, context: object) -> pb.ClockReply:
        to = parse_instant(request.to, "to")
        now, emitted = await self.app.advance_clock(current_caller(), to)
        return pb.ClockReply(now=now.isoformat(), mode="simulated", events_emitted=emitted)


def register(server: grpc.aio.Server, app: SchedulerApp) -> None:
    pb_grpc.add_SchedulerServicer_to_server(SchedulerServicer(app), server)


# --- translation ---------------------------------------------------------------


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


def parse_instant(value: str, field: str) -> datetime:
    """A date (00:00 Stockholm) or an ISO instant with offset."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=STOCKHOLM)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(
            f"{value!r} is not a date or an ISO 8601 instant", field=field
        ) from None
    if parsed.tzinfo is None:
        raise InvalidArgument("an instant needs a UTC offset, e.g. +01:00", field=field)
    return parsed


def steps_from_pb(steps: Sequence[pb.Step]) -> list[WheelStep]:
    return [_step_from_pb(step, f"steps[{i}]") for i, step in enumerate(steps)]


def _step_from_pb(step: pb.Step, field: str) -> WheelStep:
    for name in ("title_sv", "title_en", "action_sv", "action_en"):
        refuse_personal_identity_number(getattr(step, name), f"{field}.{name}")
    try:
        role = Role(step.role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidArgument(
            f"unknown role {step.role!r}; one of {known}", field=f"{field}.role"
        ) from None
    kind = step.WhichOneof("schedule")
    schedule: YearlyWindow | Recurrence
    if kind == "yearly":
        schedule = YearlyWindow(
            opens=step.yearly.opens,
            deadline=step.yearly.deadline,
            deadline_next_year=step.yearly.deadline_next_year,
        )
    elif kind == "recurrence":
        r = step.recurrence
        at = time(0)
        if r.at:
            try:
                at = time.fromisoformat(r.at)
            except ValueError:
                raise InvalidArgument(
                    f"{r.at!r} is not a time (HH:MM)", field=f"{field}.schedule.at"
                ) from None
        if not 0 <= r.deadline_days <= 365:
            raise InvalidArgument("deadline_days is 0–365", field=f"{field}.schedule.deadline_days")
        schedule = Recurrence(
            rrule=r.rrule,
            starts_on=parse_date(r.starts_on, f"{field}.schedule.starts_on"),
            at=at,
            deadline_days=r.deadline_days,
        )
    else:
        raise InvalidArgument(
            "a step needs a schedule: yearly or recurrence", field=f"{field}.schedule"
        )
    return WheelStep(
        step_id=step.step_id,
        title_sv=step.title_sv,
        title_en=step.title_en,
        role=role,
        action_sv=step.action_sv,
        action_en=step.action_en,
        schedule=schedule,
    )


def step_to_pb(step: WheelStep) -> pb.Step:
    message = pb.Step(
        step_id=step.step_id,
        title_sv=step.title_sv,
        title_en=step.title_en,
        role=step.role.value,
        action_sv=step.action_sv,
        action_en=step.action_en,
    )
    if isinstance(step.schedule, YearlyWindow):
        message.yearly.CopyFrom(
            pb.YearlyWindow(
                opens=step.schedule.opens,
                deadline=step.schedule.deadline,
                deadline_next_year=step.schedule.deadline_next_year,
            )
        )
    else:
        message.recurrence.CopyFrom(
            pb.Recurrence(
                rrule=step.schedule.rrule,
                starts_on=step.schedule.starts_on.isoformat(),
                at=step.schedule.at.strftime("%H:%M"),
                deadline_days=step.schedule.deadline_days,
            )
        )
    return message


def wheel_to_pb(wheel: Wheel) -> pb.Wheel:
    titles = {s.step_id: s for _, steps in wheel.step_versions for s in steps}
    return pb.Wheel(
        wheel_id=wheel.wheel_id,
        version=wheel.version,
        tenant=wheel.tenant,
        unit=wheel.unit,
        work_group=wheel.work_group or "",
        name_sv=wheel.name_sv,
        name_en=wheel.name_en,
        template=wheel.template or "",
        status=wheel.status,
        steps=[step_to_pb(s) for s in wheel.steps],
        occurrences=[
            _open_to_pb(o, titles.get(o.step_id))
            for o in sorted(wheel.occurrences.values(), key=lambda o: (o.opens_at, o.step_id))
        ],
    )


def _open_to_pb(o: OpenOccurrence, step: WheelStep | None) -> pb.Occurrence:
    if o.completed_at is not None:
        state = "completed_on_time" if o.on_time else "completed_late"
    else:
        state = "missed" if o.missed else "overdue" if o.overdue else "open"
    return pb.Occurrence(
        step_id=o.step_id,
        occurrence_date=o.occurrence_date.isoformat(),
        opens_at=o.opens_at.isoformat(),
        deadline_at=o.deadline_at.isoformat(),
        state=state,
        completed_at=o.completed_at.isoformat() if o.completed_at else "",
        title_sv=step.title_sv if step else "",
        title_en=step.title_en if step else "",
        role=o.role,
    )


def _upcoming_to_pb(step: WheelStep, o: Occurrence) -> pb.Occurrence:
    return pb.Occurrence(
        step_id=step.step_id,
        occurrence_date=o.occurrence_date.isoformat(),
        opens_at=o.opens_at.isoformat(),
        deadline_at=o.deadline_at.isoformat(),
        state="upcoming",
        title_sv=step.title_sv,
        title_en=step.title_en,
        role=step.role.value,
    )


def _reply(result: CommandResult) -> pb.WheelReply:
    return pb.WheelReply(
        wheel_id=result.wheel.wheel_id,
        version=result.wheel.version,
        event_ids=[str(e.event_id) for e in result.envelopes],
    )
