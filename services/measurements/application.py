"""The measurements service's command and query handlers: authorise, load, decide, save.

One transaction per command (an import batch: one per batch). The relay is
woken after each commit; it is the only thing that talks to Kafka.

Access: unit staff and unit managers read and write their own unit's
follow-ups; the follow-up function of a municipality reads and writes all of
its units'; the municipality's other roles read them. Nobody outside the
municipality reads a follow-up (regional and national roles see aggregates
only, in reporting).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.measurements.adapters.repository import FollowUpRepository, FollowUpSummary
from services.measurements.domain import ids
from services.measurements.domain.followup import FollowUp, RatingInput
from services.measurements.domain.records import PlannedFollowUp, natural_key, plan_row
from services.measurements.domain.series import SingleCaseSeries, build_series
from shared.auth import Caller, require_role, require_tenant, require_unit
from shared.clock import STOCKHOLM, Clock
from shared.db import transaction
from shared.errors import DomainError, InvalidArgument, NotFound, VersionConflict
from shared.events.envelope import EventEnvelope
from shared.eventstore import NewEvent
from shared.eventstore.store import AppendContext
from shared.municipalities import validate_municipality_code
from shared.roles import Role
from shared.scales import ScaleCatalogue

log = structlog.get_logger(__name__)

#: Who may record follow-ups (unit roles: their own unit).
WRITERS: Final = frozenset({Role.UNIT_STAFF, Role.UNIT_MANAGER, Role.FOLLOW_UP})
MAX_IMPORT_ROWS: Final = 5000


@dataclass(frozen=True)
class CommandResult:
    follow_up: FollowUp
    envelopes: list[EventEnvelope]


@dataclass(frozen=True)
class RowResult:
    line: int
    status: str  # imported | already_imported | valid | rejected
    follow_up_id: str = ""
    field: str = ""
    reason: str = ""
    events: int = 0


Decide = Callable[[FollowUp, date], list[NewEvent]]


class MeasurementsApp:
    def __init__(
        self,
        engine: AsyncEngine,
        repository: FollowUpRepository,
        scales: ScaleCatalogue,
        clock: Clock,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.scales = scales
        self.clock = clock
        self.on_commit = on_commit

    def today(self) -> date:
        return self.clock.now().astimezone(STOCKHOLM).date()

    # --- commands ------------------------------------------------------------

    async def open_follow_up(
        self,
        caller: Caller,
        *,
        tenant: str,
        unit: str,
        client: str,
        client_group: str,
        main_problems: Sequence[str],
        gender: str | None,
        age_band: str | None,
        opened_on: date | None,
    ) -> CommandResult:
        tenant = tenant or caller.tenant
        validate_municipality_code(tenant, "tenant")
        _authorise(caller, tenant, unit, write=True)
        today = self.today()
        opened_on = opened_on or today
        follow_up_id = ids.follow_up_id(tenant, unit, client, opened_on)
        async with transaction(self.engine) as conn:
            follow_up = await self.repository.load(conn, follow_up_id)
            events = follow_up.decide_open(
                tenant=tenant,
                unit=unit,
                client=client,
                client_group=client_group,
                main_problems=main_problems,
                gender=gender,
                age_band=age_band,
                opened_on=opened_on,
                today=today,
            )
            envelopes = await self._save(conn, follow_up, events, tenant)
        self.on_commit()
        return CommandResult(follow_up, envelopes)

    async def set_goal(
        self,
        caller: Caller,
        follow_up_id: str,
        expected: int,
        *,
        goal_id: str,
        title: str,
        scale_id: str,
        scale_version: int,
        set_on: date | None,
    ) -> CommandResult:
        return await self._command(
            caller,
            follow_up_id,
            expected,
            lambda f, today: f.decide_set_goal(
                goal_id=goal_id,
                title=title,
                scale_id=scale_id,
                scale_version=scale_version,
                set_on=set_on or today,
                today=today,
                scales=self.scales,
            ),
        )

    async def start_intervention(
        self,
        caller: Caller,
        follow_up_id: str,
        expected: int,
        *,
        intervention_id: str,
        intervention_type: str,
        started_on: date | None,
        goal_ids: Sequence[str],
    ) -> CommandResult:
        return await self._command(
            caller,
            follow_up_id,
            expected,
            lambda f, today: f.decide_start_intervention(
                intervention_id=intervention_id,
                intervention_type=intervention_type,
                started_on=started_on or today,
                goal_ids=goal_ids,
                today=today,
            ),
        )

    async def end_intervention(
        self,
        caller: Caller,
        follow_up_id: str,
        expected: int,
        *,
        intervention_id: str,
        ended_on: date | None,
        outcome: str,
    ) -> CommandResult:
        return await self._command(
            caller,
            follow_up_id,
            expected,
            lambda f, today: f.decide_end_intervention(
                intervention_id=intervention_id,
                ended_on=ended_on or today,
                outcome=outcome,
                today=today,
            ),
        )

    async def rate(
        self, caller: Caller, follow_up_id: str, expected: int, rating: RatingInput
    ) -> CommandResult:
        return await self._command(
            caller,
            follow_up_id,
            expected,
            lambda f, today: f.decide_rate(rating, today=today, scales=self.scales),
        )

    async def assess_goal(
        self,
        caller: Caller,
        follow_up_id: str,
        expected: int,
        *,
        goal_id: str,
        outcome: str,
        assessed_on: date | None,
    ) -> CommandResult:
        return await self._command(
            caller,
            follow_up_id,
            expected,
            lambda f, today: f.decide_assess_goal(
                goal_id=goal_id, outcome=outcome, assessed_on=assessed_on or today, today=today
            ),
        )

    async def answer_survey(
        self,
        caller: Caller,
        follow_up_id: str,
        expected: int,
        *,
        scale_id: str,
        scale_version: int,
        answers: Mapping[str, int],
        answered_on: date | None,
    ) -> CommandResult:
        return await self._command(
            caller,
            follow_up_id,
            expected,
            lambda f, today: f.decide_answer_survey(
                scale_id=scale_id,
                scale_version=scale_version,
                answers=answers,
                answered_on=answered_on or today,
                today=today,
                scales=self.scales,
            ),
        )

    async def close(
        self,
        caller: Caller,
        follow_up_id: str,
        expected: int,
        *,
        closed_on: date | None,
        reason: str,
    ) -> CommandResult:
        return await self._command(
            caller,
            follow_up_id,
            expected,
            lambda f, today: f.decide_close(
                closed_on=closed_on or today, reason=reason, today=today
            ),
        )

    async def _command(
        self, caller: Caller, follow_up_id: str, expected: int, decide: Decide
    ) -> CommandResult:
        async with transaction(self.engine) as conn:
            follow_up = await self._load_visible(conn, caller, follow_up_id)
            _authorise(caller, follow_up.tenant, follow_up.unit, write=True)
            if expected and expected != follow_up.version:
                raise VersionConflict(follow_up_id, expected, follow_up.version)
            events = decide(follow_up, self.today())
            envelopes = await self._save(conn, follow_up, events, follow_up.tenant)
        self.on_commit()
        return CommandResult(follow_up, envelopes)

    async def _save(
        self, conn: AsyncConnection, follow_up: FollowUp, events: list[NewEvent], tenant: str
    ) -> list[EventEnvelope]:
        context = AppendContext(tenant=tenant, correlation_id=_correlation_id())
        return await self.repository.save(conn, follow_up, events, context, self.clock.now())

    # --- import --------------------------------------------------------------

    async def import_rows(
        self, caller: Caller, rows: Sequence[tuple[int, Mapping[str, str]]], *, validate_only: bool
    ) -> list[RowResult]:
        """Validate every row; store the valid rows whose follow-up is new (one transaction).

        A row's follow-up id follows from its natural key (municipality, unit,
        pseudonym, date opened), so a row whose follow-up exists is reported
        as already imported and left alone: importing the same rows again
        appends nothing. A concurrent import that stores one of the same
        follow-ups first makes the append conflict; the batch is then decided
        again against what is stored.
        """
        require_role(caller, *WRITERS)
        if len(rows) > MAX_IMPORT_ROWS:
            raise InvalidArgument(f"at most {MAX_IMPORT_ROWS} rows per call", field="rows")
        for attempt in range(2):
            try:
                return await self._import_batch(caller, rows, validate_only=validate_only)
            except VersionConflict:
                if attempt:
                    raise
                log.info("an imported follow-up was stored concurrently; deciding again")
        raise AssertionError("unreachable")

    async def _import_batch(
        self, caller: Caller, rows: Sequence[tuple[int, Mapping[str, str]]], *, validate_only: bool
    ) -> list[RowResult]:
        tenant = caller.tenant
        today = self.today()
        keys = {line: natural_key(tenant, row) for line, row in rows}
        results: dict[int, RowResult] = {}
        fresh: list[PlannedFollowUp] = []
        async with transaction(self.engine) as conn:
            existing = await self.repository.existing(
                conn, sorted({key for key in keys.values() if key is not None})
            )
            first_line: dict[str, int] = {}
            for line, row in rows:
                key = keys[line]
                try:
                    if key is not None and key in first_line:
                        raise InvalidArgument(
                            "the same follow-up (unit, client, opened_on) is on line "
                            f"{first_line[key]}",
                            field="client",
                        )
                    if key is not None:
                        first_line[key] = line
                    if key in existing:
                        _authorise(caller, tenant, row.get("unit", "").strip(), write=True)
                        results[line] = RowResult(line, "already_imported", key or "")
                        continue
                    plan = plan_row(tenant, row, today=today, scales=self.scales)
                    _authorise(caller, tenant, plan.follow_up.unit, write=True)
                except DomainError as error:
                    results[line] = RowResult(
                        line, "rejected", field=error.field or "", reason=error.reason
                    )
                    continue
                follow_up_id = plan.follow_up.follow_up_id
                if validate_only:
                    results[line] = RowResult(line, "valid", follow_up_id)
                else:
                    results[line] = RowResult(
                        line, "imported", follow_up_id, events=len(plan.events)
                    )
                    fresh.append(plan)
            if fresh:
                context = AppendContext(tenant=tenant, correlation_id=_correlation_id())
                await self.repository.save_new(
                    conn, [(p.follow_up, p.events) for p in fresh], context, self.clock.now()
                )
        if fresh:
            self.on_commit()
        return [results[line] for line, _ in rows]

    # --- queries -------------------------------------------------------------

    async def get(self, caller: Caller, follow_up_id: str) -> FollowUp:
        async with self.engine.connect() as conn:
            follow_up = await self._load_visible(conn, caller, follow_up_id)
        _authorise(caller, follow_up.tenant, follow_up.unit, write=False)
        return follow_up

    async def series(self, caller: Caller, follow_up_id: str, goal_id: str) -> SingleCaseSeries:
        follow_up = await self.get(caller, follow_up_id)
        goal = follow_up.goals.get(goal_id)
        if goal is None:
            known = ", ".join(sorted(follow_up.goals)) or "none set"
            raise NotFound(
                f"no goal {goal_id!r} in this follow-up (goals: {known})", field="goal_id"
            )
        scale = self.scales.get(goal.scale_id, goal.scale_version, "goal_id")
        return build_series(goal.goal_id, goal.title, scale, follow_up.series(goal_id))

    async def list(
        self, caller: Caller, tenant: str, unit: str | None, status: str | None, limit: int
    ) -> tuple[list[FollowUpSummary], int]:
        tenant = tenant or caller.tenant
        validate_municipality_code(tenant, "tenant")
        if caller.is_unit_bound:
            unit = caller.unit
        _authorise(caller, tenant, unit, write=False)
        if status not in (None, "open", "closed"):
            raise InvalidArgument("status is open, closed or empty", field="status")
        if not 1 <= limit <= 10_000:
            raise InvalidArgument("limit is 1–10000", field="limit")
        async with self.engine.connect() as conn:
            return await self.repository.summaries(conn, tenant, unit, status, limit)

    async def _load_visible(
        self, conn: AsyncConnection, caller: Caller, follow_up_id: str
    ) -> FollowUp:
        if not follow_up_id.startswith(ids.PREFIX):
            raise InvalidArgument(f"a follow-up id starts with {ids.PREFIX}", field="follow_up_id")
        follow_up = await self.repository.load(conn, follow_up_id)
        if not follow_up.exists:
            raise NotFound(f"no follow-up {follow_up_id}", field="follow_up_id")
        return follow_up


def _authorise(caller: Caller, tenant: str, unit: str | None, *, write: bool) -> None:
    # Regional and national roles never act for one municipality: they see
    # aggregates only, in reporting.
    require_tenant(caller, tenant)
    if unit is not None:
        require_unit(caller, unit)
    if write:
        require_role(caller, *WRITERS)


def _correlation_id() -> uuid.UUID:
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    try:
        return uuid.UUID(str(bound)) if bound else uuid.uuid4()
    except ValueError:
        return uuid.uuid4()
