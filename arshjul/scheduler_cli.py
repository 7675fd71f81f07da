"""`arshjul scheduler …`: annual wheels (årshjul) over the scheduler's gRPC API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from arshjul.client import AsOption, TokenOption, console
from arshjul.client import call as call_service
from shared.api import scheduler_pb2 as pb
from shared.api import scheduler_pb2_grpc as pb_grpc

scheduler_app = typer.Typer(no_args_is_help=True, help="Annual wheels (årshjul).")


def _call(as_: str, bearer: str | None, rpc: Any) -> Any:
    return call_service("scheduler", pb_grpc.SchedulerStub, as_, bearer, rpc)


@scheduler_app.command("templates")
def templates(as_: AsOption = "1480:follow_up", bearer: TokenOption = None) -> None:
    """The built-in wheel templates."""
    reply = _call(as_, bearer, lambda s, m: s.ListTemplates(pb.ListTemplatesRequest(), metadata=m))
    for template in reply.templates:
        console.print(
            f"[bold]{template.template_id}[/bold]  {template.name_sv} / {template.name_en}"
        )
        for step in template.steps:
            console.print(f"  {step.step_id:<28} {step.role:<20} {step.title_sv}")


@scheduler_app.command("create")
def create(
    template: Annotated[str, typer.Option(help="Template id (see `templates`).")],
    tenant: Annotated[str, typer.Option(help="Municipality code.")],
    unit: Annotated[str, typer.Option(help="The unit the wheel belongs to.")],
    work_group: Annotated[str | None, typer.Option(help="Work group, if any.")] = None,
    starts_on: Annotated[str | None, typer.Option(help="First date for RRULE steps.")] = None,
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Create a wheel from a template."""
    request = pb.CreateWheelRequest(
        tenant=tenant,
        unit=unit,
        work_group=work_group or "",
        template=template,
        starts_on=starts_on or "",
    )
    reply = _call(as_, bearer, lambda s, m: s.CreateWheel(request, metadata=m))
    console.print(f"created {reply.wheel_id} (version {reply.version})")


@scheduler_app.command("list")
def list_wheels(
    tenant: Annotated[str, typer.Option(help="Municipality code.")] = "",
    unit: Annotated[str, typer.Option(help="Only this unit.")] = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Wheels and the state of their occurrences."""
    request = pb.ListWheelsRequest(tenant=tenant, unit=unit)
    reply = _call(as_, bearer, lambda s, m: s.ListWheels(request, metadata=m))
    for wheel in reply.wheels:
        console.print(
            f"[bold]{wheel.wheel_id}[/bold] {wheel.name_sv} · {wheel.unit} · {wheel.status} "
            f"· v{wheel.version}"
        )
        table = Table("steg / step", "datum / date", "status", "roll / role")
        for o in wheel.occurrences:
            table.add_row(o.title_sv, o.occurrence_date, o.state, o.role)
        if wheel.occurrences:
            console.print(table)


@scheduler_app.command("upcoming")
def upcoming(
    days: Annotated[int, typer.Option(help="How far ahead.")] = 90,
    tenant: Annotated[str, typer.Option(help="Municipality code.")] = "",
    unit: Annotated[str, typer.Option(help="Only this unit.")] = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Occurrences opening in the coming days."""
    request = pb.ListUpcomingRequest(tenant=tenant, unit=unit, days=days)
    reply = _call(as_, bearer, lambda s, m: s.ListUpcoming(request, metadata=m))
    table = Table("öppnar / opens", "deadline", "steg / step", "hjul / wheel")
    for item in reply.occurrences:
        o = item.occurrence
        table.add_row(o.occurrence_date, o.deadline_at[:10], o.title_sv, item.wheel_name_sv)
    console.print(table)


@scheduler_app.command("complete")
def complete(
    wheel_id: str,
    step_id: str,
    occurrence_date: str,
    note: Annotated[str, typer.Option(help="A short note (no personal data).")] = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Mark an occurrence as done."""
    request = pb.CompleteOccurrenceRequest(
        wheel_id=wheel_id, step_id=step_id, occurrence_date=occurrence_date, note=note
    )
    reply = _call(as_, bearer, lambda s, m: s.CompleteOccurrence(request, metadata=m))
    console.print(f"completed; {reply.wheel_id} is at version {reply.version}")


@scheduler_app.command("pause")
def pause(wheel_id: str, as_: AsOption = "1480:follow_up", bearer: TokenOption = None) -> None:
    """Pause a wheel: no new occurrences open until it is resumed."""
    _call(as_, bearer, lambda s, m: s.PauseWheel(pb.WheelCommand(wheel_id=wheel_id), metadata=m))
    console.print("paused")


@scheduler_app.command("resume")
def resume(wheel_id: str, as_: AsOption = "1480:follow_up", bearer: TokenOption = None) -> None:
    """Resume a paused wheel."""
    _call(as_, bearer, lambda s, m: s.ResumeWheel(pb.WheelCommand(wheel_id=wheel_id), metadata=m))
    console.print("resumed")


@scheduler_app.command("archive")
def archive(wheel_id: str, as_: AsOption = "1480:follow_up", bearer: TokenOption = None) -> None:
    """Archive a wheel for good."""
    _call(as_, bearer, lambda s, m: s.ArchiveWheel(pb.WheelCommand(wheel_id=wheel_id), metadata=m))
    console.print("archived")


@scheduler_app.command("export-ics")
def export_ics(
    wheel_id: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="The .ics file to write.")],
    lang: Annotated[str, typer.Option(help="sv or en.")] = "sv",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Export a wheel as an iCalendar file."""
    request = pb.ExportCalendarRequest(wheel_id=wheel_id, lang=lang)
    reply = _call(as_, bearer, lambda s, m: s.ExportCalendar(request, metadata=m))
    output.write_bytes(reply.content)
    console.print(f"wrote {output}")


@scheduler_app.command("advance")
def advance(
    to: Annotated[str, typer.Option(help="A date (00:00 Stockholm) or an ISO instant.")],
    as_: AsOption = "region:14:operator",
    bearer: TokenOption = None,
) -> None:
    """Move the simulated clock forward; due occurrences are emitted on the way."""
    request = pb.AdvanceClockRequest(to=to)
    reply = _call(as_, bearer, lambda s, m: s.AdvanceClock(request, metadata=m))
    console.print(f"the clock is at {reply.now}; {reply.events_emitted} events emitted")


@scheduler_app.command("clock")
def clock(as_: AsOption = "1480:follow_up", bearer: TokenOption = None) -> None:
    """Show the scheduler's clock."""
    reply = _call(as_, bearer, lambda s, m: s.GetClock(pb.GetClockRequest(), metadata=m))
    console.print(f"{reply.now} ({reply.mode})")
