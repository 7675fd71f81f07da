"""`arshjul demo`: a whole follow-up year for two regions, ending in compiled reports.

The demo is an ordinary client of the services' gRPC APIs. It uses the
running stack (`make run`) when there is one, which must be on the simulated
clock; otherwise it starts its own (`arshjul up` with the simulated clock,
in a fresh state directory it deletes afterwards) and stops it at the end,
also on Ctrl-C or an error.

The year is the first follow-up year (1 May – 30 April) starting at or after
the simulated clock's "now". The data (arshjul/demo_data.py, from a fixed
seed) are entered as the year goes: the clock is moved month by month
(`AdvanceClock`, three times a month: after the first Tuesday's APT, after
the month's late sessions, and at its end), and at each stop whatever
happened since is recorded: members joining and leaving, sessions (on time,
late, or not at all), client follow-ups as import rows once closed (or
still open at their year's end), and closures of follow-ups imported open.
Before each move the demo waits until the scheduler has completed the
occurrences the recorded sessions answer, so a move never overtakes a
session. After the year the clock runs on until the
LOKE wheel's compile steps have come due (16 May: per unit and municipality;
1 October: management and region), the reporting service compiles, and in
November every municipality gets a unit manager's comment, is compiled again
on demand, then each region and the nation. The reports are written as HTML
and PDF (Swedish) into `--out`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import grpc
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arshjul.client import console as default_console
from arshjul.demo_data import (
    LOKE_FEEDBACK,
    LOKE_SUBMITTED,
    LOKE_UNIT,
    SCALES,
    DemoData,
    FollowUp,
    Municipality,
    Scale,
    Session,
    WorkGroup,
    demo_year,
    entered_on,
    generate,
    months,
)
from arshjul.stack import StackFile, StackNotRunning
from shared.api import measurements_pb2 as mpb
from shared.api import measurements_pb2_grpc as mpb_grpc
from shared.api import reports_pb2 as rpb
from shared.api import reports_pb2_grpc as rpb_grpc
from shared.api import scheduler_pb2 as spb
from shared.api import scheduler_pb2_grpc as spb_grpc
from shared.api import sessions_pb2 as sepb
from shared.api import sessions_pb2_grpc as sepb_grpc
from shared.auth import NATION, REGION_PREFIX, TokenIssuer, issuer_from_settings
from shared.clock import STOCKHOLM
from shared.embedded import die_with_parent
from shared.roles import Role
from shared.settings import Settings

__all__ = [
    "Calls",
    "DemoFailed",
    "Endpoints",
    "connected",
    "demo",
    "drive",
    "drive_year",
    "rpc",
    "run_demo",
]

Metadata = tuple[tuple[str, str], ...]

#: How long the demo waits for its own `arshjul up` to serve.
STACK_START_TIMEOUT_S = 180.0
#: How long it waits for the scheduler to complete the occurrences sessions answer.
COMPLETION_TIMEOUT_S = 60.0
#: How long it waits for the reporting service to compile after a LOKE step came due.
COMPILE_TIMEOUT_S = 180.0
#: gRPC calls in flight at once (work groups and municipalities are independent).
PARALLEL = 8
#: Rows per ImportRecords call.
IMPORT_BATCH = 500
#: Deadline of the calls that may take a while (an import batch, a compile, a PDF).
RPC_TIMEOUT_S = 120.0


class DemoFailed(Exception):
    """The demo cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Endpoints:
    """Where the services answer, and how the demo signs its callers' tokens."""

    addresses: dict[str, str]
    issuer: TokenIssuer

    @classmethod
    def of(cls, stack: StackFile, settings: Settings) -> Endpoints:
        return cls({s.name: s.grpc_address for s in stack.services}, issuer_from_settings(settings))


@dataclass(frozen=True)
class WrittenReport:
    what: str
    summary: rpb.ReportSummary
    disclosure_applied: bool
    files: tuple[Path, ...]


# --- the command ---------------------------------------------------------------------------


def demo(
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 2026,
    out: Annotated[Path, typer.Option(help="Where the compiled reports are written.")] = Path(
        "demo-reports"
    ),
    scale: Annotated[str, typer.Option(help="small or full.")] = "full",
) -> None:
    """Run a whole follow-up year for two regions on the simulated clock and write the
    compiled reports (HTML and PDF, Swedish)."""
    if scale not in SCALES:
        default_console.print(f"[red]--scale is small or full, not {scale!r}[/red]")
        raise typer.Exit(2)
    raise typer.Exit(run_demo(seed, out, "small" if scale == "small" else "full"))


def run_demo(seed: int, out: Path, scale: Scale, console: Console = default_console) -> int:
    """The whole demo; the exit code (0, or 1 with the reason printed)."""
    started = time.monotonic()
    settings = Settings()
    own: OwnStack | None = None
    previous_handler = signal.getsignal(signal.SIGTERM)
    try:
        try:
            stack = StackFile.load(settings.home.expanduser().resolve())
            console.print(f"Using the running stack (started {stack.started_at:%Y-%m-%d %H:%M}).")
        except StackNotRunning:
            # A SIGTERM must stop our own stack too: make it unwind like Ctrl-C.
            signal.signal(signal.SIGTERM, _interrupt)
            own = OwnStack(console)
            stack = own.start()
            settings = Settings(home=own.home)
        written = asyncio.run(drive(Endpoints.of(stack, settings), seed, scale, out, console))
    except DemoFailed as failure:
        console.print(f"[red]demo failed:[/red] {failure}")
        if own is not None:
            own.keep_logs(out / "stack-logs")
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]")
        return 130
    finally:
        if own is not None:
            own.stop()
        signal.signal(signal.SIGTERM, previous_handler)
    _print_written(console, written, out)
    elapsed = time.monotonic() - started
    console.print(f"[bold]Demo finished in {elapsed // 60:.0f} min {elapsed % 60:.0f} s.[/bold]")
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class OwnStack:
    """`arshjul up` on the simulated clock in a fresh state directory, as a child process."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.home = Path(tempfile.mkdtemp(prefix="arshjul-demo-")).resolve()
        self.log = self.home / "up.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> StackFile:
        env = dict(os.environ)
        # The embedded default, whatever this shell points at.
        for key in ("DATABASE_URL", "KAFKA_BOOTSTRAP", "ARSHJUL_JWT_SECRET_FILE"):
            env.pop(key, None)
        env |= {"ARSHJUL_HOME": str(self.home), "ARSHJUL_CLOCK": "simulated"}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "arshjul.cli", "up"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        deadline = time.monotonic() + STACK_START_TIMEOUT_S
        with self.console.status(f"No stack running: starting one in {self.home} (log {self.log})"):
            while True:
                if self.process.poll() is not None:
                    raise DemoFailed(f"`arshjul up` exited: {self._log_tail()}")
                with contextlib.suppress(StackNotRunning):
                    stack = StackFile.load(self.home)
                    self.console.print(f"Started the stack in {self.home} (simulated clock).")
                    return stack
                if time.monotonic() > deadline:
                    raise DemoFailed(
                        f"`arshjul up` did not serve in {STACK_START_TIMEOUT_S:.0f} s: "
                        f"{self._log_tail()}"
                    )
                time.sleep(0.3)

    def stop(self) -> None:
        """SIGTERM (`up` stops everything it started), then remove the state directory."""
        process = self.process
        if process is not None and process.poll() is None:
            with self.console.status("Stopping the demo's stack"):
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(90)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)
            self.console.print(f"Stopped the demo's stack (exit {process.returncode}).")
        shutil.rmtree(self.home, ignore_errors=True)

    def keep_logs(self, target: Path) -> None:
        """Copy the services' logs out of the state directory before it is removed."""
        try:
            shutil.copytree(self.home / "logs", target, dirs_exist_ok=True)
            shutil.copy2(self.log, target / self.log.name)
        except OSError:
            return
        self.console.print(f"The stack's logs are in {target}.")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


# --- driving the year ----------------------------------------------------------------------


async def drive(
    endpoints: Endpoints, seed: int, scale: Scale, out: Path, console: Console
) -> list[WrittenReport]:
    """Generate the year from the stack's clock, enter it, compile and write the reports."""
    async with connected(endpoints) as calls:
        data = await drive_year(calls, seed, scale, console)
        return await finish(calls, data, out, console)


@contextlib.asynccontextmanager
async def connected(endpoints: Endpoints) -> AsyncIterator[Calls]:
    """Channels to every service, closed afterwards."""
    channels = {name: grpc.aio.insecure_channel(a) for name, a in endpoints.addresses.items()}
    try:
        yield Calls(channels, endpoints.issuer)
    finally:
        for channel in channels.values():
            await channel.close()


async def drive_year(calls: Calls, seed: int, scale: Scale, console: Console) -> DemoData:
    """The demo year from the stack's simulated clock, entered and driven until the
    LOKE compile steps have come due and the reports are compiled; returns its data."""
    clock = await rpc(
        "the clock", calls.scheduler.GetClock(spb.GetClockRequest(), metadata=calls.operator())
    )
    if clock.mode != "simulated":
        raise DemoFailed(
            "the running stack is on the wall clock; the demo drives a year on the "
            "simulated clock: restart it with `make run` (simulated by default) or stop it "
            "and let `make demo` start its own"
        )
    now = datetime.fromisoformat(clock.now).astimezone(STOCKHOLM)
    year = demo_year(now.date())
    today = datetime.now(STOCKHOLM).date()
    if date(year + 1, 4, 30) > today:
        raise DemoFailed(
            f"the stack's simulated clock is at {now:%Y-%m-%d}, so the demo's follow-up year "
            f"would be {year}/{year + 1}, which ends after today ({today}); the services "
            "refuse dates in the future. Stop the stack and start from a fresh state "
            "directory (`make clean`, or ARSHJUL_HOME=…), or let `make demo` start its own"
        )
    # An occurrence opening on the day the wheel is created may already be past.
    midnight = now.time() == datetime.min.time()
    wheel_start = now.date() if midnight else now.date() + timedelta(days=1)
    data = generate(seed, scale, year, wheel_start)
    await YearDriver(calls, data, now, console).run()
    return data


class Calls:
    """The services' stubs and the tokens of the demo's callers."""

    def __init__(self, channels: dict[str, grpc.aio.Channel], issuer: TokenIssuer) -> None:
        self.scheduler = spb_grpc.SchedulerStub(channels["scheduler"])
        self.sessions = sepb_grpc.SessionsStub(channels["sessions"])
        self.measurements = mpb_grpc.MeasurementsStub(channels["measurements"])
        self.reports = rpb_grpc.ReportsStub(channels["reporting"])
        self.issuer = issuer
        self._tokens: dict[tuple[str, Role, str | None], Metadata] = {}

    def as_(self, tenant: str, role: Role, unit: str | None = None) -> Metadata:
        key = (tenant, role, unit)
        if key not in self._tokens:
            bearer = self.issuer.issue(tenant=tenant, role=role, unit=unit, subject=f"demo-{role}")
            self._tokens[key] = (("authorization", f"Bearer {bearer}"),)
        return self._tokens[key]

    def operator(self) -> Metadata:
        return self.as_(f"{REGION_PREFIX}14", Role.OPERATOR)


async def rpc(what: str, call: Awaitable[Any]) -> Any:
    """One call; a gRPC error stops the demo with what was being done."""
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        raise DemoFailed(f"{what}: {error.code().name}: {error.details()}") from None


@dataclass(order=True)
class Action:
    """Something that happens on `day`, entered at the first clock stop after it.

    Actions of one `lane` (a work group, a follow-up) run in order; lanes run
    side by side. Imports run before everything else at a stop.
    """

    day: date
    rank: int
    seq: int
    lane: str = field(compare=False)
    what: str = field(compare=False)
    run: Callable[[], Awaitable[None]] = field(compare=False)


@dataclass
class MonthTally:
    sessions: Counter[str] = field(default_factory=Counter)
    imported: int = 0
    closed: int = 0
    joined: int = 0
    left: int = 0
    emitted: int = 0


class YearDriver:
    def __init__(self, calls: Calls, data: DemoData, now: datetime, console: Console) -> None:
        self.calls = calls
        self.data = data
        self.now = now
        self.console = console
        self.wheels: dict[tuple[str, str], str] = {}  # (tenant, work group or LOKE unit) → wheel
        self.follow_up_ids: dict[tuple[str, str], str] = {}  # (tenant, client) → id
        self.pending: set[tuple[str, str, str, str]] = set()  # tenant, wheel, step, date
        self.actions: list[Action] = []
        self.tally: defaultdict[str, MonthTally] = defaultdict(MonthTally)
        self.gate = asyncio.Semaphore(PARALLEL)

    # -- the whole run ------------------------------------------------------------------------

    async def run(self) -> None:
        data = self.data
        console = self.console
        console.print(
            f"Follow-up year [bold]{data.year}/{data.year + 1}[/bold] (1 May {data.year} – "
            f"30 April {data.year + 1}) from the simulated clock at {self.now:%Y-%m-%d %H:%M}; "
            f"seed {data.seed}, scale {data.scale}."
        )
        for region in data.regions:
            for m in region.municipalities:
                units = ", ".join(f"{u.name_sv} ({len(u.follow_ups)})" for u in m.units)
                console.print(f"  {region.name}: {m.name} {m.code}: {units}")
        members = sum(len(g.members) for _, g in data.work_groups)
        console.print(
            f"  {len(data.work_groups)} work groups, {members} members, {data.sessions} sessions, "
            f"{len(data.follow_ups)} client follow-ups"
        )
        await self.set_up()
        stops = self.stops()
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
        )
        with progress:
            task = progress.add_task("Simulated year", total=len(stops), note="")
            await self.perform(self.now.date(), progress.console)
            self.print_history(progress.console)
            for stop in stops:
                progress.update(task, description=f"Simulated clock {stop}")
                await self.move_to(stop, progress, task)
                progress.advance(task)

    def stops(self) -> list[date]:
        """The clock's stops: the 8th (after the first Tuesday's APT), the 27th (after
        the month's late sessions, before its year can end) and the 1st of every month
        of the year, then on until the LOKE compile steps have come due."""
        data = self.data
        stops: set[date] = set()
        for year, month in months(self.now.date(), data.ends_on):
            stops.add(date(year, month, 8))
            stops.add(date(year, month, 27))
            stops.add(date(year + month // 12, month % 12 + 1, 1))
        after = data.year + 1
        stops |= {date(after, month, 1) for month in range(5, 12)}
        stops |= {date(after, 5, 8), date(after, 5, 17), date(after, 10, 2), date(after, 10, 21)}
        stops.add(date(after, 11, 3))
        return sorted(
            s for s in stops if datetime.combine(s, datetime.min.time(), STOCKHOLM) > self.now
        )

    async def move_to(self, stop: date, progress: Progress, task: Any) -> None:
        await self.wait_completed(progress, task)
        reply = await rpc(
            f"advance the clock to {stop}",
            self.calls.scheduler.AdvanceClock(
                spb.AdvanceClockRequest(to=stop.isoformat()), metadata=self.calls.operator()
            ),
        )
        last_day = stop - timedelta(days=1)
        self.tally[f"{last_day:%Y-%m}"].emitted += reply.events_emitted
        await self.perform(stop, progress.console)
        if stop.day == 1:
            self.print_month(last_day, progress.console)
        after = self.data.year + 1
        if stop == date(after, 5, 17):
            await self.wait_compiled("municipality", progress, task)
        if stop == date(after, 10, 2):
            await self.wait_compiled("region", progress, task)

    async def perform(self, before: date, console: Console) -> None:
        """Every action dated before `before` not yet done: imports first, then the lanes."""
        due = [a for a in self.actions if a.day < before]
        if not due:
            return
        self.actions = [a for a in self.actions if a.day >= before]
        due.sort()
        first = [a for a in due if a.rank == 0]
        rest = [a for a in due if a.rank != 0]
        for batch in (first, rest):
            lanes: defaultdict[str, list[Action]] = defaultdict(list)
            for action in batch:
                lanes[action.lane].append(action)
            await asyncio.gather(*(self._lane(actions) for actions in lanes.values()))

    async def _lane(self, actions: Sequence[Action]) -> None:
        async with self.gate:
            for action in actions:
                await action.run()

    def print_history(self, console: Console) -> None:
        """What was entered as history, dated before the clock's start."""
        before = [m for m in self.tally if m < f"{self.now:%Y-%m}"]
        history = [self.tally.pop(m) for m in before]
        sessions = sum(sum(t.sessions.values()) for t in history)
        console.print(
            f"  before {self.now:%Y-%m}: {sessions} sessions, "
            f"{sum(t.joined for t in history)} members joined; "
            f"{sum(t.imported for t in history)} follow-ups in"
        )

    def print_month(self, day: date, console: Console) -> None:
        tally = self.tally.pop(f"{day:%Y-%m}", MonthTally())
        held = tally.sessions
        sessions = sum(held.values())
        late = f", {held['late']} late" if held["late"] else ""
        console.print(
            f"  {day:%Y-%m}: {sessions} sessions{late}, {tally.joined} joined, "
            f"{tally.left} left; {tally.imported} follow-ups in, {tally.closed} closed; "
            f"{tally.emitted} wheel events"
        )

    # -- set-up --------------------------------------------------------------------------------

    async def set_up(self) -> None:
        """The wheels and work groups, and every dated action of the year."""
        with self.console.status("Creating the wheels and work groups"):
            await asyncio.gather(*(self._municipality(m) for m in self.data.municipalities))
        seq = 0
        for m, group in self.data.work_groups:
            for member in group.members:
                seq += 1
                self._join_and_leave(m, group, member.member_id, seq)
            for choice_index, choice in enumerate(group.part_choices[1:], start=1):
                seq += 1
                self.actions.append(
                    Action(
                        choice.valid_from,
                        1,
                        seq,
                        f"{m.code}/{group.work_group_id}",
                        f"parts of {group.work_group_id}",
                        self._parts(m, group, choice_index),
                    )
                )
            for session in group.sessions:
                seq += 1
                self.actions.append(
                    Action(
                        session.held_on,
                        2,
                        seq,
                        f"{m.code}/{group.work_group_id}",
                        f"session {session.session_id}",
                        self._session(m, group, session),
                    )
                )
        imports: defaultdict[tuple[str, date], list[FollowUp]] = defaultdict(list)
        for m, follow_up in self.data.follow_ups:
            imports[(m.code, entered_on(follow_up))].append(follow_up)
            closed_on = follow_up.closed_on
            if closed_on is not None and closed_on > entered_on(follow_up):
                seq += 1
                self.actions.append(
                    Action(
                        closed_on,
                        3,
                        seq,
                        f"{m.code}/{follow_up.client}",
                        f"close {follow_up.client}",
                        self._close(m, follow_up),
                    )
                )
        for (tenant, day), rows in sorted(imports.items()):
            seq += 1
            self.actions.append(
                Action(day, 0, seq, f"import/{tenant}", "import", self._import(tenant, day, rows))
            )
        for m in self.data.municipalities:
            for year in (self.data.year, self.data.year + 1):
                for step, opens, done_on in (LOKE_SUBMITTED, LOKE_FEEDBACK):
                    occurrence = date.fromisoformat(f"{year}-{opens}")
                    if occurrence < self.data.wheel_start:
                        continue
                    seq += 1
                    self.actions.append(
                        Action(
                            date.fromisoformat(f"{year}-{done_on}"),
                            4,
                            seq,
                            f"{m.code}/loke",
                            f"complete {step}",
                            self._complete(m, step, occurrence),
                        )
                    )

    async def _municipality(self, m: Municipality) -> None:
        scheduler = self.calls.scheduler
        follow_up = self.calls.as_(m.code, Role.FOLLOW_UP)
        loke = await rpc(
            f"LOKE wheel of {m.code}",
            scheduler.CreateWheel(
                spb.CreateWheelRequest(
                    tenant=m.code, unit=LOKE_UNIT, template="loke-rapporteringshjul"
                ),
                metadata=follow_up,
            ),
        )
        self.wheels[(m.code, LOKE_UNIT)] = loke.wheel_id
        await asyncio.gather(*(self._form(m, group) for _, group in self._groups_of(m)))

    def _groups_of(self, m: Municipality) -> Iterable[tuple[Municipality, WorkGroup]]:
        return ((m, g) for unit in m.units for g in unit.work_groups)

    async def _form(self, m: Municipality, group: WorkGroup) -> None:
        sessions = self.calls.sessions
        md = self.calls.as_(m.code, Role.FOLLOW_UP)
        what = f"work group {m.code}/{group.work_group_id}"
        await rpc(
            what,
            sessions.FormWorkGroup(
                sepb.FormWorkGroupRequest(
                    tenant=m.code,
                    work_group_id=group.work_group_id,
                    unit=group.unit,
                    name=group.name,
                    forums=list(group.forums),
                ),
                metadata=md,
            ),
        )
        first = group.part_choices[0]
        await rpc(
            what,
            sessions.ChooseRelevantParts(
                sepb.ChooseRelevantPartsRequest(
                    tenant=m.code,
                    work_group_id=group.work_group_id,
                    parts=list(first.parts),
                    valid_from=first.valid_from.isoformat(),
                ),
                metadata=md,
            ),
        )
        wheel = await rpc(
            what,
            self.calls.scheduler.CreateWheel(
                spb.CreateWheelRequest(
                    tenant=m.code,
                    unit=group.unit,
                    work_group=group.work_group_id,
                    template="tre-enkla-fragor",
                    starts_on=self.data.wheel_start.isoformat(),
                ),
                metadata=md,
            ),
        )
        self.wheels[(m.code, group.work_group_id)] = wheel.wheel_id

    # -- the actions ---------------------------------------------------------------------------

    def _join_and_leave(self, m: Municipality, group: WorkGroup, member_id: str, seq: int) -> None:
        member = next(x for x in group.members if x.member_id == member_id)
        lane = f"{m.code}/{group.work_group_id}"
        md = self.calls.as_(m.code, Role.UNIT_MANAGER, group.unit)

        async def join() -> None:
            await rpc(
                f"{member_id} joins {group.work_group_id}",
                self.calls.sessions.JoinWorkGroup(
                    sepb.JoinWorkGroupRequest(
                        tenant=m.code,
                        work_group_id=group.work_group_id,
                        member_id=member.member_id,
                        display_name=member.display_name,
                        joined_on=member.joined_on.isoformat(),
                    ),
                    metadata=md,
                ),
            )
            self.tally[f"{member.joined_on:%Y-%m}"].joined += 1

        self.actions.append(Action(member.joined_on, 1, seq, lane, f"join {member_id}", join))
        left_on = member.left_on
        if left_on is None:
            return

        async def leave() -> None:
            await rpc(
                f"{member_id} leaves {group.work_group_id}",
                self.calls.sessions.LeaveWorkGroup(
                    sepb.LeaveWorkGroupRequest(
                        tenant=m.code,
                        work_group_id=group.work_group_id,
                        member_id=member.member_id,
                        left_on=left_on.isoformat(),
                    ),
                    metadata=md,
                ),
            )
            self.tally[f"{left_on:%Y-%m}"].left += 1

        self.actions.append(Action(left_on, 1, seq, lane, f"leave {member_id}", leave))

    def _parts(
        self, m: Municipality, group: WorkGroup, index: int
    ) -> Callable[[], Awaitable[None]]:
        choice = group.part_choices[index]

        async def choose() -> None:
            await rpc(
                f"parts of {group.work_group_id}",
                self.calls.sessions.ChooseRelevantParts(
                    sepb.ChooseRelevantPartsRequest(
                        tenant=m.code,
                        work_group_id=group.work_group_id,
                        parts=list(choice.parts),
                        valid_from=choice.valid_from.isoformat(),
                    ),
                    metadata=self.calls.as_(m.code, Role.UNIT_MANAGER, group.unit),
                ),
            )

        return choose

    def _session(
        self, m: Municipality, group: WorkGroup, session: Session
    ) -> Callable[[], Awaitable[None]]:
        async def record() -> None:
            content = sepb.SessionContent(
                held_on=session.held_on.isoformat(),
                forum=session.forum,
                participants=list(session.participants),
                taken_part=[
                    sepb.PartUptake(
                        member_id=t.member_id, part=t.part, taken_part=t.taken_part, plan=t.plan
                    )
                    for t in session.taken_part
                ],
                cases=[sepb.PartCases(part=p, cases=n) for p, n in session.cases],
                practice=[
                    sepb.PracticeChange(part=p, changed=c, description=d)
                    for p, c, d in session.practice
                ],
                in_depth=[
                    sepb.InDepthKnowledge(member_id=member, parts=list(parts))
                    for member, parts in session.in_depth
                ],
                notes=session.notes,
            )
            wheel_id = self.wheels[(m.code, group.work_group_id)]
            if session.occurrence is not None:
                step, day = session.occurrence
                content.occurrence.CopyFrom(
                    sepb.OccurrenceRef(
                        wheel_id=wheel_id, step_id=step, occurrence_date=day.isoformat()
                    )
                )
            await rpc(
                f"session {session.session_id} of {m.code}/{group.work_group_id}",
                self.calls.sessions.RecordSession(
                    sepb.RecordSessionRequest(
                        tenant=m.code,
                        work_group_id=group.work_group_id,
                        session_id=session.session_id,
                        session=content,
                    ),
                    metadata=self.calls.as_(m.code, Role.UNIT_STAFF, group.unit),
                ),
            )
            late = False
            if session.occurrence is not None:
                step, day = session.occurrence
                self.pending.add((m.code, wheel_id, step, day.isoformat()))
                late = step == "apt" and (session.held_on - day).days > 14
            self.tally[f"{session.held_on:%Y-%m}"].sessions["late" if late else "held"] += 1

        return record

    def _import(
        self, tenant: str, day: date, follow_ups: Sequence[FollowUp]
    ) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            rows = [
                mpb.ImportRow(line=i + 1, fields=f.row(closed=entered_on(f) == f.closed_on))
                for i, f in enumerate(follow_ups)
            ]
            md = self.calls.as_(tenant, Role.FOLLOW_UP)
            for start in range(0, len(rows), IMPORT_BATCH):
                reply = await rpc(
                    f"import of {tenant} on {day}",
                    self.calls.measurements.ImportRecords(
                        mpb.ImportRequest(rows=rows[start : start + IMPORT_BATCH]),
                        metadata=md,
                        timeout=RPC_TIMEOUT_S,
                    ),
                )
                for result in reply.results:
                    follow_up = follow_ups[result.line - 1]
                    if result.status not in ("imported", "already_imported"):
                        raise DemoFailed(
                            f"import of {follow_up.client} ({tenant}): {result.status} "
                            f"{result.field}: {result.reason}"
                        )
                    self.follow_up_ids[(tenant, follow_up.client)] = result.follow_up_id
            self.tally[f"{day:%Y-%m}"].imported += len(rows)

        return send

    def _close(self, m: Municipality, follow_up: FollowUp) -> Callable[[], Awaitable[None]]:
        """A follow-up imported while open: its exit, assessment, survey and closing."""

        async def close() -> None:
            assert follow_up.exit_on and follow_up.closed_on and follow_up.intervention_end
            ident = self.follow_up_ids[(m.code, follow_up.client)]
            md = self.calls.as_(m.code, Role.UNIT_STAFF, follow_up.unit)
            stub = self.calls.measurements
            what = f"closing {follow_up.client} of {m.code}"
            await rpc(
                what,
                stub.EndIntervention(
                    mpb.EndInterventionRequest(
                        follow_up_id=ident,
                        intervention_id="i1",
                        ended_on=follow_up.intervention_end.isoformat(),
                        outcome=follow_up.intervention_outcome or "",
                    ),
                    metadata=md,
                ),
            )
            for scale, value in follow_up.exit:
                rating = mpb.Rating(
                    scale_id=scale,
                    occasion="exit",
                    value=value,
                    rated_on=follow_up.exit_on.isoformat(),
                    goal_id="g1" if scale == follow_up.goal[1] else "",
                )
                await rpc(
                    what,
                    stub.SubmitRating(
                        mpb.SubmitRatingRequest(follow_up_id=ident, rating=rating), metadata=md
                    ),
                )
            await rpc(
                what,
                stub.AssessGoal(
                    mpb.AssessGoalRequest(
                        follow_up_id=ident,
                        goal_id="g1",
                        outcome=follow_up.goal_outcome or "",
                        assessed_on=follow_up.exit_on.isoformat(),
                    ),
                    metadata=md,
                ),
            )
            if follow_up.survey:
                await rpc(
                    what,
                    stub.AnswerSurvey(
                        mpb.AnswerSurveyRequest(
                            follow_up_id=ident,
                            scale_id="klientenkat",
                            answers=dict(follow_up.survey),
                            answered_on=follow_up.closed_on.isoformat(),
                        ),
                        metadata=md,
                    ),
                )
            await rpc(
                what,
                stub.CloseFollowUp(
                    mpb.CloseFollowUpRequest(
                        follow_up_id=ident, closed_on=follow_up.closed_on.isoformat()
                    ),
                    metadata=md,
                ),
            )
            self.tally[f"{follow_up.closed_on:%Y-%m}"].closed += 1

        return close

    def _complete(
        self, m: Municipality, step: str, occurrence: date
    ) -> Callable[[], Awaitable[None]]:
        """A LOKE step the municipality's staff mark as done by hand."""
        role = Role.FOLLOW_UP if step == LOKE_SUBMITTED[0] else Role.DEVELOPMENT_LEADER

        async def complete() -> None:
            await rpc(
                f"{step} {occurrence} of {m.code}",
                self.calls.scheduler.CompleteOccurrence(
                    spb.CompleteOccurrenceRequest(
                        wheel_id=self.wheels[(m.code, LOKE_UNIT)],
                        step_id=step,
                        occurrence_date=occurrence.isoformat(),
                        note="Klart enligt årshjulet",
                    ),
                    metadata=self.calls.as_(m.code, role),
                ),
            )

        return complete

    # -- waiting for the other services --------------------------------------------------------

    async def wait_completed(self, progress: Progress, task: Any) -> None:
        """Until the scheduler has completed every occurrence a recorded session answers
        (bounded: an occurrence it would not complete is reported, and the year goes on)."""
        deadline = time.monotonic() + COMPLETION_TIMEOUT_S
        while self.pending:
            progress.update(task, note=f"scheduler: {len(self.pending)} occurrences to complete")
            tenants = sorted({p[0] for p in self.pending})
            for tenant in tenants:
                reply = await rpc(
                    f"wheels of {tenant}",
                    self.calls.scheduler.ListWheels(
                        spb.ListWheelsRequest(tenant=tenant),
                        metadata=self.calls.as_(tenant, Role.FOLLOW_UP),
                    ),
                )
                for wheel in reply.wheels:
                    for o in wheel.occurrences:
                        if o.state.startswith("completed"):
                            self.pending.discard(
                                (tenant, wheel.wheel_id, o.step_id, o.occurrence_date)
                            )
            if not self.pending:
                break
            if time.monotonic() > deadline:
                left = ", ".join(sorted(f"{p[2]} {p[3]}" for p in self.pending))
                progress.console.print(
                    f"[yellow]the scheduler has not completed {len(self.pending)} occurrences "
                    f"the sessions answer within {COMPLETION_TIMEOUT_S:.0f} s: {left}[/yellow]"
                )
                self.pending.clear()
                break
            await asyncio.sleep(0.2)
        progress.update(task, note="")

    async def wait_compiled(self, level: str, progress: Progress, task: Any) -> None:
        """Until the reporting service has compiled the year's report of every
        municipality (after 16 May) or region (after 1 October)."""
        year = self.data.year
        scopes: list[tuple[str, Metadata]]
        if level == "municipality":
            scopes = [
                (f"municipality:{m.code}", self.calls.as_(m.code, Role.FOLLOW_UP))
                for m in self.data.municipalities
            ]
        else:
            scopes = [
                (
                    f"region:{r.code}",
                    self.calls.as_(f"{REGION_PREFIX}{r.code}", Role.REGIONAL_SUPPORT),
                )
                for r in self.data.regions
            ]
        deadline = time.monotonic() + COMPILE_TIMEOUT_S
        waiting = dict(scopes)
        while waiting:
            progress.update(task, note=f"reporting: compiling {', '.join(waiting)}")
            for scope, md in list(waiting.items()):
                reply = await rpc(
                    f"versions of {scope}",
                    self.calls.reports.ListReportVersions(
                        rpb.ListReportVersionsRequest(scope=scope, year=year), metadata=md
                    ),
                )
                if reply.versions:
                    latest = reply.versions[-1]
                    progress.console.print(
                        f"  compiled {scope} {year}: version {latest.version}, "
                        f"{latest.input_count} events, {latest.figures_checksum[:12]}"
                    )
                    del waiting[scope]
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise DemoFailed(
                    f"no compiled report of {', '.join(waiting)} for {year} "
                    f"{COMPILE_TIMEOUT_S:.0f} s after the LOKE step came due"
                )
            await asyncio.sleep(0.5)
        progress.update(task, note="")


# --- the end: comments, compiling on demand, the reports -------------------------------------


async def finish(calls: Calls, data: DemoData, out: Path, console: Console) -> list[WrittenReport]:
    """November: the unit managers' comments, compiling again, each region and the
    nation; then every report as HTML and PDF."""
    year = data.year
    reports = calls.reports
    with console.status("Comments, then compiling municipalities, regions and the nation"):
        for m in data.municipalities:
            comment = m.comment
            await rpc(
                f"comment of {m.code}/{comment.unit}",
                reports.RecordComment(
                    rpb.RecordCommentRequest(
                        unit=comment.unit,
                        year=year,
                        comment=comment.comment,
                        development_areas=list(comment.development_areas),
                    ),
                    metadata=calls.as_(m.code, Role.UNIT_MANAGER, comment.unit),
                ),
            )
        for m in data.municipalities:
            commented = await _compile(
                calls, f"unit:{m.comment.unit}", year, m.code, Role.FOLLOW_UP, municipality=m.code
            )
            _say_compiled(console, f"{m.comment.unit} of {m.name}", commented)
            summary = await _compile(calls, f"municipality:{m.code}", year, m.code, Role.FOLLOW_UP)
            _say_compiled(console, f"{m.name} ({m.code})", summary)
        for r in data.regions:
            tenant = f"{REGION_PREFIX}{r.code}"
            summary = await _compile(calls, f"region:{r.code}", year, tenant, Role.REGIONAL_SUPPORT)
            _say_compiled(console, r.name, summary)
        # The reporting service takes in the regions' ReportCompiled before it compiles.
        nation = await _compile(calls, "nation", year, NATION, Role.NATIONAL_ANALYST)
        _say_compiled(console, "Riket / the nation", nation)
    wanted: list[tuple[str, rpb.ReportRef, Metadata]] = []
    for m in data.municipalities:
        wanted.append(
            (
                f"{m.name} ({m.code})",
                rpb.ReportRef(scope=f"municipality:{m.code}", year=year),
                calls.as_(m.code, Role.FOLLOW_UP),
            )
        )
    first = data.municipalities[0]
    unit = first.units[0]
    wanted.append(
        (
            f"{unit.name_sv}, {first.name}",
            rpb.ReportRef(scope=f"unit:{unit.unit_id}", municipality=first.code, year=year),
            calls.as_(first.code, Role.UNIT_MANAGER, unit.unit_id),
        )
    )
    for r in data.regions:
        wanted.append(
            (
                r.name,
                rpb.ReportRef(scope=f"region:{r.code}", year=year),
                calls.as_(f"{REGION_PREFIX}{r.code}", Role.REGIONAL_SUPPORT),
            )
        )
    wanted.append(
        (
            "Riket",
            rpb.ReportRef(scope="nation", year=year),
            calls.as_(NATION, Role.NATIONAL_ANALYST),
        )
    )
    written = []
    with console.status(f"Writing {len(wanted)} reports as HTML and PDF into {out}"):
        for what, ref, md in wanted:
            rendered = [
                await rpc(
                    f"{ref.scope} as {form}",
                    reports.GetReport(
                        rpb.GetReportRequest(report=ref, format=form, lang="sv"),
                        metadata=md,
                        timeout=RPC_TIMEOUT_S,
                    ),
                )
                for form in ("html", "pdf")
            ]
            files = await asyncio.to_thread(_write, out, rendered)
            last = rendered[-1]
            written.append(WrittenReport(what, last.summary, last.disclosure_applied, files))
    return written


def _write(out: Path, rendered: Sequence[rpb.RenderedReport]) -> tuple[Path, ...]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for report in rendered:
        path = out / _file_name(report.summary, report.format or "html")
        path.write_bytes(report.content)
        files.append(path)
    return tuple(files)


async def _compile(
    calls: Calls, scope: str, year: int, tenant: str, role: Role, municipality: str = ""
) -> rpb.ReportSummary:
    reply: rpb.ReportSummary = await rpc(
        f"compile {scope} {year}",
        calls.reports.CompileReport(
            rpb.CompileReportRequest(scope=scope, municipality=municipality, year=year),
            metadata=calls.as_(tenant, role),
            timeout=RPC_TIMEOUT_S,
        ),
    )
    return reply


def _say_compiled(console: Console, what: str, summary: rpb.ReportSummary) -> None:
    state = "new version" if summary.new_version else "unchanged"
    console.print(
        f"  compiled {what}: version {summary.version} ({state}), "
        f"{summary.input_count} events, {summary.figures_checksum[:12]}"
    )


def _file_name(summary: rpb.ReportSummary, form: str) -> str:
    scope = summary.scope.replace(":", "-")
    if summary.scope.startswith("unit:"):
        scope = f"unit-{summary.municipality}-{summary.scope.removeprefix('unit:')}"
    return f"rapport-{scope}-{summary.year}-v{summary.version}.{form}"


def _print_written(console: Console, written: Sequence[WrittenReport], out: Path) -> None:
    table = Table(title=f"Compiled reports in {out.resolve()}", title_justify="left")
    table.add_column("report")
    table.add_column("v", justify="right")
    table.add_column("checksum")
    table.add_column("disclosure")
    table.add_column("files (.html, .pdf)", overflow="fold")
    for report in written:
        table.add_row(
            report.what,
            str(report.summary.version),
            report.summary.figures_checksum[:12],
            "applied (..)" if report.disclosure_applied else "owner's view",
            report.files[0].stem,
        )
    console.print(table)
