"""The sessions service's command and query handlers: authorise, load, decide, save.

One transaction per command. Who may do what:

- sessions (record, correct, read): any municipal role of the group's
  municipality; unit staff and unit managers only in their own unit;
- the group itself (form, members, relevant parts, own questions): the unit
  manager of its unit, the follow-up function or a development leader;
- the municipality's additions to the catalogue: follow-up function,
  development leader or IFO chief;
- regional and national roles never see a municipality's sessions (they get
  aggregates from reporting).

Per-person in-depth knowledge (mentor candidates) is shown only to the unit
manager of the group's unit; everyone else reads sessions without it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.sessions.adapters.repository import SessionsRepository
from services.sessions.domain.work_group import WorkGroup
from shared.auth import Caller, require_role, require_tenant, require_unit
from shared.clock import STOCKHOLM, Clock, WallClock
from shared.db import transaction
from shared.errors import InvalidArgument, NotFound, PermissionDenied, VersionConflict
from shared.events.envelope import EventEnvelope
from shared.events.sessions import Forum, GroupQuestion, SessionContent
from shared.eventstore import NewEvent
from shared.eventstore.store import AppendContext
from shared.municipalities import validate_municipality_code
from shared.roles import Role
from shared.support_parts import SupportPart

log = structlog.get_logger(__name__)

GROUP_ADMINS = (Role.UNIT_MANAGER, Role.FOLLOW_UP, Role.DEVELOPMENT_LEADER)
CATALOGUE_ADMINS = (Role.FOLLOW_UP, Role.DEVELOPMENT_LEADER, Role.IFO_CHIEF)
#: Concurrent sessions of one group race on its stream version; a command
#: that named no expected version is decided again on the new state.
RETRIES = 5

Decide = Callable[[WorkGroup, datetime], list[NewEvent]]


@dataclass(frozen=True)
class CommandResult:
    stream_id: str
    version: int
    envelopes: list[EventEnvelope]


class SessionsApp:
    def __init__(
        self,
        engine: AsyncEngine,
        repository: SessionsRepository,
        clock: Clock | None = None,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.clock = clock or WallClock()
        self.on_commit = on_commit

    # --- the catalogue ----------------------------------------------------------

    async def support_parts(self, caller: Caller, tenant: str) -> tuple[SupportPart, ...]:
        tenant = _own_municipality(caller, tenant)
        async with self.engine.connect() as conn:
            return (await self.repository.load_catalogue(conn, tenant)).parts()

    async def add_support_part(
        self, caller: Caller, *, tenant: str, code: str, name_sv: str, name_en: str
    ) -> CommandResult:
        tenant = _own_municipality(caller, tenant)
        require_role(caller, *CATALOGUE_ADMINS)
        now = self.clock.now()
        async with transaction(self.engine) as conn:
            catalogue = await self.repository.load_catalogue(conn, tenant)
            events = catalogue.decide_add(
                code=code, name_sv=name_sv, name_en=name_en, by=caller.subject, now=now
            )
            envelopes = await self.repository.save_catalogue(
                conn, catalogue, events, _context(tenant), now
            )
        self.on_commit()
        return CommandResult(catalogue.stream_id, catalogue.version, envelopes)

    # --- the group ----------------------------------------------------------------

    async def form_group(
        self,
        caller: Caller,
        *,
        tenant: str,
        work_group_id: str,
        unit: str,
        name: str,
        forums: Sequence[Forum],
    ) -> CommandResult:
        tenant = _own_municipality(caller, tenant)
        require_unit(caller, unit)
        require_role(caller, *GROUP_ADMINS)
        now = self.clock.now()
        async with transaction(self.engine) as conn:
            group = await self.repository.load_group(conn, tenant, work_group_id)
            events = group.decide_form(
                unit=unit, name=name, forums=forums, by=caller.subject, now=now
            )
            envelopes = await self.repository.save_group(conn, group, events, _context(tenant), now)
        self.on_commit()
        return CommandResult(group.stream_id, group.version, envelopes)

    async def join(
        self,
        caller: Caller,
        *,
        tenant: str,
        work_group_id: str,
        member_id: str,
        display_name: str,
        joined_on: date,
        expected: int = 0,
    ) -> CommandResult:
        return await self._group_command(
            caller,
            tenant,
            work_group_id,
            expected,
            lambda group, now: group.decide_join(
                member_id=member_id, display_name=display_name, joined_on=joined_on, now=now
            ),
            admin=True,
        )

    async def leave(
        self,
        caller: Caller,
        *,
        tenant: str,
        work_group_id: str,
        member_id: str,
        left_on: date,
        expected: int = 0,
    ) -> CommandResult:
        return await self._group_command(
            caller,
            tenant,
            work_group_id,
            expected,
            lambda group, now: group.decide_leave(member_id=member_id, left_on=left_on, now=now),
            admin=True,
        )

    async def choose_parts(
        self,
        caller: Caller,
        *,
        tenant: str,
        work_group_id: str,
        codes: Sequence[str],
        valid_from: date,
        expected: int = 0,
    ) -> CommandResult:
        tenant = _own_municipality(caller, tenant)
        async with self.engine.connect() as conn:
            catalogue = await self.repository.load_catalogue(conn, tenant)
        parts: list[SupportPart] = []
        for index, code in enumerate(codes):
            part = catalogue.get(code)
            if part is None:
                raise InvalidArgument(
                    f"the catalogue has no part {code!r} (see ListSupportParts)",
                    field=f"parts[{index}]",
                )
            parts.append(part)
        return await self._group_command(
            caller,
            tenant,
            work_group_id,
            expected,
            lambda group, now: group.decide_choose_parts(
                parts, valid_from=valid_from, by=caller.subject, now=now
            ),
            admin=True,
        )

    async def set_questions(
        self,
        caller: Caller,
        *,
        tenant: str,
        work_group_id: str,
        questions: Sequence[GroupQuestion],
        expected: int = 0,
    ) -> CommandResult:
        return await self._group_command(
            caller,
            tenant,
            work_group_id,
            expected,
            lambda group, now: group.decide_set_questions(questions, by=caller.subject, now=now),
            admin=True,
        )

    # --- sessions -------------------------------------------------------------------

    async def record_session(
        self,
        caller: Caller,
        *,
        tenant: str,
        work_group_id: str,
        session_id: str,
        content: SessionContent,
        expected: int = 0,
    ) -> tuple[str, CommandResult]:
        session_id = session_id or f"session-{uuid.uuid4()}"
        result = await self._group_command(
            caller,
            tenant,
            work_group_id,
            expected,
            lambda group, now: group.decide_record(
                session_id, content, by=caller.subject, today=_today(now), now=now
            ),
            admin=False,
        )
        return session_id, result

    async def correct_session(
        self,
        caller: Caller,
        *,
        tenant: str,
        work_group_id: str,
        session_id: str,
        content: SessionContent,
        reason: str,
        expected: int = 0,
    ) -> CommandResult:
        return await self._group_command(
            caller,
            tenant,
            work_group_id,
            expected,
            lambda group, now: group.decide_correct(
                session_id, content, reason=reason, by=caller.subject, today=_today(now), now=now
            ),
            admin=False,
        )

    async def _group_command(
        self,
        caller: Caller,
        tenant: str,
        work_group_id: str,
        expected: int,
        decide: Decide,
        *,
        admin: bool,
    ) -> CommandResult:
        tenant = _own_municipality(caller, tenant)
        for attempt in range(1, RETRIES + 1):
            try:
                return await self._decide_once(
                    caller, tenant, work_group_id, expected, decide, admin
                )
            except VersionConflict:
                if expected or attempt == RETRIES:
                    raise
                log.info("work group moved on; deciding again", work_group_id=work_group_id)
        raise AssertionError("unreachable")

    async def _decide_once(
        self,
        caller: Caller,
        tenant: str,
        work_group_id: str,
        expected: int,
        decide: Decide,
        admin: bool,
    ) -> CommandResult:
        now = self.clock.now()
        async with transaction(self.engine) as conn:
            group = await self._load(conn, caller, tenant, work_group_id)
            if admin:
                require_role(caller, *GROUP_ADMINS)
            if expected and expected != group.version:
                raise VersionConflict(group.stream_id, expected, group.version)
            envelopes = await self.repository.save_group(
                conn, group, decide(group, now), _context(tenant), now
            )
        self.on_commit()
        return CommandResult(group.stream_id, group.version, envelopes)

    # --- queries ----------------------------------------------------------------------

    async def get_group(self, caller: Caller, tenant: str, work_group_id: str) -> WorkGroup:
        tenant = _own_municipality(caller, tenant)
        async with self.engine.connect() as conn:
            return await self._load(conn, caller, tenant, work_group_id)

    async def list_groups(self, caller: Caller, tenant: str, unit: str | None) -> list[WorkGroup]:
        tenant = _own_municipality(caller, tenant)
        if caller.is_unit_bound:
            unit = unit or caller.unit
            assert unit is not None
            require_unit(caller, unit)
        async with self.engine.connect() as conn:
            ids = await self.repository.group_ids(conn, tenant, unit)
            return [await self.repository.load_group(conn, tenant, i) for i in ids]

    async def _load(
        self, conn: AsyncConnection, caller: Caller, tenant: str, work_group_id: str
    ) -> WorkGroup:
        group = await self.repository.load_group(conn, tenant, work_group_id)
        if not group.exists:
            raise NotFound(f"no work group {work_group_id!r} in {tenant}", field="work_group_id")
        require_unit(caller, group.unit)
        return group


def sees_mentor_candidates(caller: Caller, group: WorkGroup) -> bool:
    """Only the unit manager of the group's unit sees who knows a part in depth."""
    return caller.role is Role.UNIT_MANAGER and caller.unit == group.unit


def _own_municipality(caller: Caller, tenant: str) -> str:
    """The municipality named (default: the caller's), which must be the caller's own."""
    if not caller.is_municipal:
        raise PermissionDenied(
            f"{caller.describe()} may not read or write a municipality's sessions: "
            "regional and national roles see aggregates only",
            field="tenant",
        )
    tenant = tenant or caller.tenant
    validate_municipality_code(tenant, "tenant")
    require_tenant(caller, tenant)
    return tenant


def _today(now: datetime) -> date:
    return now.astimezone(STOCKHOLM).date()


def _context(tenant: str) -> AppendContext:
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    try:
        correlation = uuid.UUID(str(bound)) if bound else uuid.uuid4()
    except ValueError:
        correlation = uuid.uuid4()
    return AppendContext(tenant=tenant, correlation_id=correlation)
