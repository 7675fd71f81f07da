"""The scheduler's command and query handlers: authorise, load, decide, save.

One transaction per command. The relay is woken after each commit; it is the
only thing that talks to Kafka. Sessions that answer an occurrence, and
compiled reports and managers' comments that complete one, arrive as events
(`complete_answered`, `complete_reported`, inside the consumer's transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scheduler.adapters.clock import SchedulerTime
from services.scheduler.adapters.repository import WheelRepository
from services.scheduler.domain.templates import get_template
from services.scheduler.domain.wheel import Wheel
from shared.auth import Caller, require_role, require_tenant, require_unit
from shared.clock import STOCKHOLM
from shared.db import transaction
from shared.errors import DomainError, FailedPrecondition, NotFound, VersionConflict
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.events.reporting import ManagerCommentRecorded, ReportCompiled, StepRef
from shared.events.scheduler import WheelStep
from shared.events.sessions import SessionCorrected, SessionRecorded
from shared.eventstore import NewEvent
from shared.eventstore.store import AppendContext
from shared.municipalities import validate_municipality_code
from shared.roles import UNIT_ROLES, Role

log = structlog.get_logger(__name__)

#: Who may create and change a wheel.
WHEEL_ADMINS = frozenset({Role.UNIT_MANAGER, Role.FOLLOW_UP, Role.DEVELOPMENT_LEADER})
TICK_BATCH = 100
#: How often a command that named no version is decided again when the wheel changed meanwhile.
UNPINNED_ATTEMPTS = 5
#: Session events that may answer an occurrence.
_ANSWERING = frozenset({SessionRecorded.type_name(), SessionCorrected.type_name()})
#: Reporting events that may complete an occurrence (a compile step, the comment step).
_REPORTING = frozenset({ReportCompiled.type_name(), ManagerCommentRecorded.type_name()})
#: `completed_by` of an occurrence the reporting service's events complete.
REPORTING = "reporting"


@dataclass(frozen=True)
class CommandResult:
    wheel: Wheel
    envelopes: list[EventEnvelope]


class SchedulerApp:
    def __init__(
        self,
        engine: AsyncEngine,
        repository: WheelRepository,
        time: SchedulerTime,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.time = time
        self.on_commit = on_commit

    # --- commands ------------------------------------------------------------

    async def create_wheel(
        self,
        caller: Caller,
        *,
        tenant: str,
        unit: str,
        work_group: str | None,
        template: str | None,
        name_sv: str,
        name_en: str,
        steps: Sequence[WheelStep],
        starts_on: date | None,
    ) -> CommandResult:
        validate_municipality_code(tenant, "tenant")
        _authorise_write(caller, tenant, unit)
        async with transaction(self.engine) as conn:
            now = await self.time.now(conn)
            if template:
                chosen = get_template(template)
                steps = chosen.steps(starts_on or now.astimezone(STOCKHOLM).date())
                name_sv, name_en = name_sv or chosen.name_sv, name_en or chosen.name_en
            wheel = Wheel(f"wheel-{uuid.uuid4()}")
            events = wheel.decide_create(
                tenant=tenant,
                unit=unit,
                work_group=work_group,
                name_sv=name_sv,
                name_en=name_en,
                template=template or None,
                steps=steps,
                now=now,
            )
            # Occurrences opening at the very instant of creation are due at once.
            envelopes = await self._save(conn, wheel, events, now)
            envelopes += await self._save(conn, wheel, wheel.decide_due(now), now)
        self.on_commit()
        return CommandResult(wheel, envelopes)

    async def change_steps(
        self, caller: Caller, wheel_id: str, steps: Sequence[WheelStep], expected: int
    ) -> CommandResult:
        return await self._command(
            caller, wheel_id, expected, _authorise_write, lambda w, now: w.decide_change(steps, now)
        )

    async def pause(self, caller: Caller, wheel_id: str, expected: int) -> CommandResult:
        return await self._command(
            caller, wheel_id, expected, _authorise_write, lambda w, now: w.decide_pause(now)
        )

    async def resume(self, caller: Caller, wheel_id: str, expected: int) -> CommandResult:
        return await self._command(
            caller, wheel_id, expected, _authorise_write, lambda w, now: w.decide_resume(now)
        )

    async def archive(self, caller: Caller, wheel_id: str, expected: int) -> CommandResult:
        return await self._command(
            caller, wheel_id, expected, _authorise_write, lambda w, now: w.decide_archive(now)
        )

    async def complete(
        self,
        caller: Caller,
        wheel_id: str,
        step_id: str,
        occurrence_date: date,
        note: str,
        expected: int,
    ) -> CommandResult:
        return await self._command(
            caller,
            wheel_id,
            expected,
            _authorise_read,
            lambda w, now: w.decide_complete(
                step_id, occurrence_date, by=caller.subject, note=note, now=now
            ),
        )

    async def _command(
        self,
        caller: Caller,
        wheel_id: str,
        expected: int,
        authorise: Callable[[Caller, str, str], None],
        decide: Callable[[Wheel, datetime], list[NewEvent]],
    ) -> CommandResult:
        """Load, decide, append. A caller that named no version (`expected` 0)
        asked for no optimistic check: when the scheduler itself (its ticker,
        its consumers) appended to the wheel meanwhile, the command is decided
        again on the new state, a few times, instead of failing with ABORTED."""
        for attempt in range(1, UNPINNED_ATTEMPTS + 1):
            try:
                async with transaction(self.engine) as conn:
                    wheel = await self.repository.load(conn, wheel_id)
                    if not wheel.exists:
                        raise NotFound(f"no wheel {wheel_id}", field="wheel_id")
                    authorise(caller, wheel.tenant, wheel.unit)
                    if expected and expected != wheel.version:
                        raise VersionConflict(wheel_id, expected, wheel.version)
                    now = await self.time.now(conn)
                    # Catch up first, so a command never lands before an
                    # occurrence that is already due.
                    envelopes = await self._save(conn, wheel, wheel.decide_due(now), now)
                    envelopes += await self._save(conn, wheel, decide(wheel, now), now)
            except VersionConflict:
                if expected or attempt == UNPINNED_ATTEMPTS:
                    raise
                log.info("wheel changed meanwhile; deciding again", wheel=wheel_id)
                continue
            self.on_commit()
            return CommandResult(wheel, envelopes)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _save(
        self, conn: AsyncConnection, wheel: Wheel, events: list[NewEvent], now: datetime
    ) -> list[EventEnvelope]:
        context = AppendContext(tenant=wheel.tenant, correlation_id=_correlation_id())
        return await self.repository.save(conn, wheel, events, context, now)

    # --- events completing occurrences --------------------------------------------

    async def complete_answered(
        self, conn: AsyncConnection, envelopes: Sequence[EventEnvelope]
    ) -> None:
        """Complete each occurrence a recorded (or corrected) session answers.

        Runs inside the consumer's transaction, so the completion, the handled
        event id and the offset commit together. A session that cannot
        complete its occurrence (another tenant's or unit's wheel, not open yet,
        already completed, missed) is a fact all the same: it is logged and
        left as it is.
        """
        for envelope in envelopes:
            if envelope.name not in _ANSWERING:
                continue
            payload = decode(envelope)
            assert isinstance(payload, SessionRecorded | SessionCorrected)
            if payload.content.occurrence is not None:
                await self._answer(conn, envelope, payload)
        self.on_commit()

    async def complete_reported(
        self, conn: AsyncConnection, envelopes: Sequence[EventEnvelope]
    ) -> None:
        """Complete the occurrence a compiled report or a manager's comment names.

        The LOKE wheel's compile steps are done when the reporting service
        announces the report (`ReportCompiled` with `step`), its comment step
        when the unit manager's comment is recorded. As with sessions, inside
        the consumer's transaction, and an event that cannot complete its
        occurrence (already completed, unknown, not yet due, another
        municipality's wheel) is logged and left as it is. A compile announced
        again for the same step (same version) finds it completed.
        """
        for envelope in envelopes:
            if envelope.name not in _REPORTING:
                continue
            payload = decode(envelope)
            assert isinstance(payload, ReportCompiled | ManagerCommentRecorded)
            if payload.step is not None:
                await self._report(conn, envelope, payload, payload.step)
        self.on_commit()

    async def _answer(
        self,
        conn: AsyncConnection,
        envelope: EventEnvelope,
        session: SessionRecorded | SessionCorrected,
    ) -> None:
        ref = session.content.occurrence
        assert ref is not None
        await self._complete_occurrence(
            conn,
            envelope,
            ref.wheel_id,
            about={"session_id": session.session_id, "wheel_id": ref.wheel_id},
            belongs=lambda w: w.tenant == envelope.tenant and w.unit == session.unit,
            decide=lambda w, now: w.decide_answered_by_session(
                ref.step_id,
                ref.occurrence_date,
                session_id=session.session_id,
                work_group=session.work_group_id,
                held_on=session.content.held_on,
                now=now,
            ),
        )

    async def _report(
        self,
        conn: AsyncConnection,
        envelope: EventEnvelope,
        payload: ReportCompiled | ManagerCommentRecorded,
        ref: StepRef,
    ) -> None:
        about = {"wheel_id": ref.wheel_id, "step_id": ref.step_id}
        # A report completes its municipality's step; a comment its unit's, as a session does.
        unit: str | None
        if isinstance(payload, ReportCompiled):
            report = f"{payload.scope} {payload.year} v{payload.report_version}"
            tenant, unit = _report_municipality(payload, envelope.tenant), None
            about["report"] = report
            note = f"Rapport {report} kompilerad"
        else:
            tenant, unit = envelope.tenant, payload.unit
            about["comment_unit"] = payload.unit
            note = f"Kommentar för {payload.unit} {payload.year} registrerad"
        await self._complete_occurrence(
            conn,
            envelope,
            ref.wheel_id,
            about=about,
            belongs=lambda w: w.tenant == tenant and unit in (None, w.unit),
            decide=lambda w, now: w.decide_complete(
                ref.step_id,
                ref.occurrence_date,
                by=REPORTING,
                note=note,
                now=now,
                done_at=envelope.occurred_at,
            ),
        )

    async def _complete_occurrence(
        self,
        conn: AsyncConnection,
        envelope: EventEnvelope,
        wheel_id: str,
        *,
        about: dict[str, str],
        belongs: Callable[[Wheel], bool],
        decide: Callable[[Wheel, datetime], list[NewEvent]],
    ) -> None:
        """Complete an occurrence another service's event names, caused by that event.

        The wheel first catches up on what is due, so an occurrence that has
        opened by now can be completed even if the ticker has not emitted it yet.
        """
        # The row lock serialises with the ticker, which locks the wheels it wakes.
        if not await self.repository.lock(conn, wheel_id):
            log.warning("an event names an unknown wheel", event_type=envelope.type, **about)
            return
        wheel = await self.repository.load(conn, wheel_id)
        if not belongs(wheel):
            log.warning(
                "an event of another municipality or unit names the wheel",
                event_type=envelope.type,
                **about,
            )
            return
        now = await self.time.now(conn)
        context = AppendContext(
            tenant=wheel.tenant,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
        )
        await self.repository.save(conn, wheel, wheel.decide_due(now), context, now)
        try:
            completed = decide(wheel, now)
        except DomainError as refused:
            log.info(
                "the event does not complete the occurrence",
                event_type=envelope.type,
                reason=str(refused),
                **about,
            )
            return
        await self.repository.save(conn, wheel, completed, context, now)

    # --- time ----------------------------------------------------------------

    async def emit_due(self, *, wait: bool = False) -> int:
        """Emit every due and overdue occurrence up to now; returns how many events.

        The ticker skips wheels another transaction holds. With `wait` (an
        advance of the clock) it waits for them instead, so that everything
        due is committed when it returns, whoever emitted it.
        """
        emitted = 0
        while True:
            try:
                wheels, events = await self._emit_due_batch(wait)
            except VersionConflict as conflict:
                # Another replica got there first; its events stand, ours were rolled back.
                log.info("due occurrence already emitted elsewhere", stream=conflict.stream_id)
                continue
            emitted += events
            if wheels == 0 and not (wait and await self._anything_due()):
                return emitted

    async def _anything_due(self) -> bool:
        async with self.engine.connect() as conn:
            now = await self.time.now(conn)
            return bool(await self.repository.due_wheel_ids(conn, now, 1, lock=False))

    async def _emit_due_batch(self, wait: bool) -> tuple[int, int]:
        """One transaction over up to TICK_BATCH due wheels: (wheels, events)."""
        emitted = 0
        async with transaction(self.engine) as conn:
            now = await self.time.now(conn)
            wheel_ids = await self.repository.due_wheel_ids(
                conn, now, TICK_BATCH, lock="wait" if wait else "skip"
            )
            for wheel_id in wheel_ids:
                wheel = await self.repository.load(conn, wheel_id)
                # Saving also moves the wheel's next wake past `now`.
                emitted += len(await self._save(conn, wheel, wheel.decide_due(now), now))
        if emitted:
            self.on_commit()
        return len(wheel_ids), emitted

    async def advance_clock(self, caller: Caller, to: datetime) -> tuple[datetime, int]:
        if self.time.mode != "simulated":
            # Said before the role check: on the wall clock nobody can advance time.
            raise FailedPrecondition(
                "the scheduler runs on the wall clock; only a simulated clock "
                "(ARSHJUL_CLOCK=simulated) can be advanced",
                field="to",
            )
        require_role(caller, Role.OPERATOR)
        await self.time.advance(to)
        return await self.time.now(), await self.emit_due(wait=True)

    # --- queries -------------------------------------------------------------

    async def get_wheel(self, caller: Caller, wheel_id: str) -> Wheel:
        async with self.engine.connect() as conn:
            wheel = await self.repository.load(conn, wheel_id)
        if not wheel.exists:
            raise NotFound(f"no wheel {wheel_id}", field="wheel_id")
        _authorise_read(caller, wheel.tenant, wheel.unit)
        return wheel

    async def list_wheels(self, caller: Caller, tenant: str, unit: str | None) -> list[Wheel]:
        tenant = tenant or caller.tenant
        validate_municipality_code(tenant, "tenant")
        if caller.role in UNIT_ROLES:
            unit = caller.unit
        _authorise_read(caller, tenant, unit)
        async with self.engine.connect() as conn:
            ids = await self.repository.wheel_ids(conn, tenant, unit)
            return [await self.repository.load(conn, wheel_id) for wheel_id in ids]

    async def now(self) -> datetime:
        return await self.time.now()

    async def upcoming_window(self, days: int) -> tuple[datetime, datetime]:
        now = await self.time.now()
        return now, now + timedelta(days=days)


def _correlation_id() -> uuid.UUID:
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    try:
        return uuid.UUID(str(bound)) if bound else uuid.uuid4()
    except ValueError:
        return uuid.uuid4()


def _report_municipality(report: ReportCompiled, tenant: str) -> str:
    """The municipality whose figures a report holds: a unit's municipality, a
    municipality itself; for a region or the nation its tenant, which no
    municipality's wheel has."""
    level, _, code = report.scope.partition(":")
    if level == "unit" and report.municipality:
        return report.municipality
    if level == "municipality":
        return code
    return tenant


def _authorise_read(caller: Caller, tenant: str, unit: str | None) -> None:
    require_tenant(caller, tenant)
    if unit is not None:
        require_unit(caller, unit)


def _authorise_write(caller: Caller, tenant: str, unit: str) -> None:
    _authorise_read(caller, tenant, unit)
    require_role(caller, *WHEEL_ADMINS)
