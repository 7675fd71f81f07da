"""Compiled reports over gRPC (`arshjul.reports.v1.Reports`).

Who may do what (the caller's tenant and role, shared/auth.py):

- CompileReport: follow_up and ifo_chief their municipality and its units;
  regional_support their region; national_analyst the nation; operator any
  scope.
- GetReport, ListReportVersions: unit_staff and unit_manager their own
  unit; follow_up, ifo_chief and development_leader their municipality and
  its units; regional_support their region's report; national_analyst the
  nation's (see `authorise_read` for why not a member's own report).
- StreamRegionReports: every latest report of the region the caller may
  read (a municipality's roles: their municipality and its units;
  regional_support: the region's).
- RecordComment: the unit's unit_manager; the municipality's ifo_chief,
  naming the unit.

The owner sees every figure, except in tables of other owners' rows (a
region's table by municipality, the nation's by region), which are disclosed
(compiled.disclose): counts 1 … k − 1 suppressed with complementary
suppression, means and shares of fewer than k observations with them.
"""

from __future__ import annotations

import asyncio
import re
import uuid
import zlib
from collections.abc import AsyncIterator
from typing import Final

import grpc
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.compiler import ReportCompiler
from services.reporting.adapters.store import (
    PRODUCER,
    SCHEMA,
    TOPIC,
    ReportingTime,
    ReportStore,
    comment_stream,
    stored_municipality,
)
from services.reporting.domain.compiled import (
    CompiledReport,
    Scope,
    ScopeLevel,
    disclose,
    viewer_relation,
)
from services.reporting.domain.disclosure import DisclosureRule
from services.reporting.render import FORMATS, LANGS, MEDIA_TYPES, render
from shared.api import reports_pb2 as pb
from shared.api import reports_pb2_grpc as pb_grpc
from shared.auth import Caller
from shared.clock import STOCKHOLM
from shared.db import transaction
from shared.errors import InvalidArgument, NotFound, PermissionDenied
from shared.events.reporting import ManagerCommentRecorded
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import AppendContext
from shared.grpc.auth import current_caller
from shared.grpc.errors import map_domain_errors
from shared.kafka import topic
from shared.municipalities import municipalities_in, validate_region_code
from shared.personal_data import refuse_personal_identity_number
from shared.roles import Role
from shared.settings import Settings

SERVICE_NAME: Final = pb.DESCRIPTOR.services_by_name["Reports"].full_name
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_COMMENT: Final = 20_000
MAX_AREA: Final = 200
MAX_AREAS: Final = 50
_UNIT: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: First key of the per-stream comment locks (two-integer advisory locks).
COMMENT_LOCK_SPACE: Final = zlib.crc32(b"arshjul.reporting.comment") & 0x7FFF_FFFF

log = structlog.get_logger(__name__)


# --- input -----------------------------------------------------------------------


def parse_scope(caller: Caller, scope: str, municipality: str) -> Scope:
    """The scope named; a unit's municipality defaults to the caller's."""
    if not scope:
        raise InvalidArgument(
            "name a scope: unit:<id>, municipality:<code>, region:<län> or nation", field="scope"
        )
    try:
        return Scope.parse(scope, municipality=municipality or caller.municipality)
    except ValueError as error:
        raise InvalidArgument(_first_line(error), field="scope") from None


def _first_line(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return str(found[0].get("msg", error)).removeprefix("Value error, ")
    return str(error)


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidArgument(
            f"a follow-up year between {FIRST_YEAR} and {LAST_YEAR}, named by the year it "
            f"starts in (2025 = 1 May 2025 – 30 April 2026); got {year}",
            field="year",
        )
    return year


def check_rendering(format: str, lang: str) -> tuple[str, str]:
    """The format and language asked for (default json and sv)."""
    format = format or "json"
    lang = lang or "sv"
    if format not in FORMATS:
        raise InvalidArgument(
            f"must be one of {', '.join(FORMATS)}; got {format!r}", field="format"
        )
    if lang not in LANGS:
        raise InvalidArgument(f"must be one of {', '.join(LANGS)}; got {lang!r}", field="lang")
    return format, lang


# --- authorisation -----------------------------------------------------------------


def _in_own_municipality(caller: Caller, scope: Scope) -> bool:
    return (
        scope.level in (ScopeLevel.UNIT, ScopeLevel.MUNICIPALITY)
        and stored_municipality(scope) == caller.tenant
    )


def _denied(caller: Caller, scope: Scope, what: str) -> PermissionDenied:
    return PermissionDenied(f"{caller.describe()} may not {what} {scope}", field="scope")


def authorise_compile(caller: Caller, scope: Scope) -> None:
    match caller.role:
        case Role.OPERATOR:
            return
        case Role.FOLLOW_UP | Role.IFO_CHIEF if _in_own_municipality(caller, scope):
            return
        case Role.REGIONAL_SUPPORT if (
            scope.level is ScopeLevel.REGION and scope.code == caller.region
        ):
            return
        case Role.NATIONAL_ANALYST if scope.level is ScopeLevel.NATION:
            return
    raise _denied(caller, scope, "compile the report of")


def authorise_read(caller: Caller, scope: Scope) -> None:
    """May the caller read the report of `scope`?

    The regional support reads its region's report and the national analyst
    the nation's, never a member's own report: the member's figures are in
    those reports already, each member's row suppressed, and a member's
    figures published beside the owner's totals could be subtracted out of
    them (the region's total of 9 less Göteborg's published 7 gives
    Kungälv's suppressed 2). Complementary suppression protects one table;
    this keeps what a region or the nation sees to one table per figure.
    """
    if may_read(caller, scope):
        return
    if caller.role in (Role.REGIONAL_SUPPORT, Role.NATIONAL_ANALYST):
        own = "its region's" if caller.role is Role.REGIONAL_SUPPORT else "the nation's"
        raise PermissionDenied(
            f"{caller.describe()} may not read the report of {scope}: it reads {own} report, "
            "where each member's figures are shown with disclosure control",
            field="scope",
        )
    raise _denied(caller, scope, "read the report of")


def may_read(caller: Caller, scope: Scope) -> bool:
    match caller.role:
        case Role.UNIT_STAFF | Role.UNIT_MANAGER:
            return (
                scope.level is ScopeLevel.UNIT
                and scope.municipality == caller.tenant
                and scope.code == caller.unit
            )
        case Role.FOLLOW_UP | Role.IFO_CHIEF | Role.DEVELOPMENT_LEADER:
            return _in_own_municipality(caller, scope)
        case Role.REGIONAL_SUPPORT:
            return scope.level is ScopeLevel.REGION and scope.code == caller.region
        case Role.NATIONAL_ANALYST:
            return scope.level is ScopeLevel.NATION
    return False


def authorise_comment(caller: Caller, unit: str) -> None:
    match caller.role:
        case Role.UNIT_MANAGER if caller.unit == unit:
            return
        case Role.IFO_CHIEF:
            return
    raise PermissionDenied(
        f"{caller.describe()} may not comment on the figures of unit {unit!r}: the unit's "
        "manager comments (or the IFO chief of the municipality, naming the unit)",
        field="unit",
    )


# --- translation -------------------------------------------------------------------


def summary_to_pb(report: CompiledReport, *, new_version: bool = False) -> pb.ReportSummary:
    return pb.ReportSummary(
        scope=str(report.scope),
        municipality=stored_municipality(report.scope) or "",
        year=report.year.start_year,
        version=report.version,
        input_count=report.input_count,
        inputs_checksum=report.inputs_checksum,
        figures_checksum=report.figures_checksum,
        new_version=new_version,
    )


def region_order(report: CompiledReport) -> tuple[int, str, str]:
    """The region first, then each municipality followed by its units."""
    scope = report.scope
    if scope.level is ScopeLevel.REGION:
        return (0, "", "")
    if scope.level is ScopeLevel.MUNICIPALITY:
        return (1, scope.code, "")
    return (1, scope.municipality or "", scope.code)


# --- the servicer ------------------------------------------------------------------


class ReportsServicer(pb_grpc.ReportsServicer):
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        compiler: ReportCompiler,
        time_source: ReportingTime,
    ) -> None:
        self.engine = engine
        self.compiler = compiler
        self.store = ReportStore()
        self.time = time_source
        self.rule = DisclosureRule(k=settings.disclosure_k)
        self.events = EventStore(
            engine, schema=SCHEMA, producer=PRODUCER, topic=topic(settings, TOPIC)
        )

    @map_domain_errors
    async def CompileReport(
        self, request: pb.CompileReportRequest, context: object
    ) -> pb.ReportSummary:
        caller = current_caller()
        scope = parse_scope(caller, request.scope, request.municipality)
        year = check_year(request.year)
        authorise_compile(caller, scope)
        compiled = await self.compiler.compile(scope, year, None, caller.subject)
        return summary_to_pb(compiled.report, new_version=compiled.new_version)

    @map_domain_errors
    async def GetReport(self, request: pb.GetReportRequest, context: object) -> pb.RenderedReport:
        caller = current_caller()
        ref = request.report
        scope = parse_scope(caller, ref.scope, ref.municipality)
        year = check_year(ref.year)
        if ref.version < 0:
            raise InvalidArgument("a version from 1, or 0 for the latest", field="version")
        format, lang = check_rendering(request.format, request.lang)
        authorise_read(caller, scope)
        async with self.engine.connect() as conn:
            report = await self.store.version(conn, scope, year, ref.version)
        if report is None:
            which = f"version {ref.version}" if ref.version else "compiled report"
            raise NotFound(f"{scope} has no {which} for the follow-up year {year}", field="scope")
        return await self._rendered(caller, report, format, lang)

    @map_domain_errors
    async def ListReportVersions(
        self, request: pb.ListReportVersionsRequest, context: object
    ) -> pb.ListReportVersionsReply:
        caller = current_caller()
        scope = parse_scope(caller, request.scope, request.municipality)
        year = check_year(request.year)
        authorise_read(caller, scope)
        async with self.engine.connect() as conn:
            versions = await self.store.versions(conn, scope, year)
        return pb.ListReportVersionsReply(
            versions=[
                pb.ReportSummary(
                    scope=str(scope),
                    municipality=stored_municipality(scope) or "",
                    year=year,
                    version=v["report_version"],
                    input_count=v["input_count"],
                    inputs_checksum=v["inputs_checksum"],
                    figures_checksum=v["figures_checksum"],
                )
                for v in versions
            ]
        )

    @map_domain_errors
    async def StreamRegionReports(
        self, request: pb.StreamRegionReportsRequest, context: object
    ) -> AsyncIterator[pb.RenderedReport]:
        caller = current_caller()
        region = validate_region_code(request.region or (caller.region or ""), "region")
        year = check_year(request.year)
        format, lang = check_rendering(request.format, request.lang)
        async with self.engine.connect() as conn:
            found = await self.store.latest_of_year(conn, year)
        reports = sorted(
            (r for r in found if r.scope.region == region and may_read(caller, r.scope)),
            key=region_order,
        )
        if not reports and not any(
            may_read(caller, scope)
            for scope in (
                Scope(level=ScopeLevel.REGION, code=region),
                *(
                    Scope(level=ScopeLevel.MUNICIPALITY, code=code)
                    for code in municipalities_in(region)
                ),
            )
        ):
            raise PermissionDenied(
                f"{caller.describe()} may read no report of region {region}", field="region"
            )
        for report in reports:
            yield await self._rendered(caller, report, format, lang)

    @map_domain_errors
    async def RecordComment(
        self, request: pb.RecordCommentRequest, context: object
    ) -> pb.RecordCommentReply:
        caller = current_caller()
        unit = request.unit or (caller.unit or "")
        if not unit:
            raise InvalidArgument("name the unit the comment is about", field="unit")
        if not _UNIT.match(unit):
            raise InvalidArgument("a unit id: 1–64 letters, digits, '.', '_' or '-'", field="unit")
        year = check_year(request.year)
        authorise_comment(caller, unit)
        comment = request.comment.strip()
        if not comment:
            raise InvalidArgument("must not be empty", field="comment")
        if len(comment) > MAX_COMMENT:
            raise InvalidArgument(f"must be at most {MAX_COMMENT} characters", field="comment")
        refuse_personal_identity_number(comment, "comment")
        if len(request.development_areas) > MAX_AREAS:
            raise InvalidArgument(f"at most {MAX_AREAS}", field="development_areas")
        areas: list[str] = []
        for index, raw in enumerate(request.development_areas):
            field = f"development_areas[{index}]"
            area = raw.strip()
            if not area:
                raise InvalidArgument("must not be empty", field=field)
            if len(area) > MAX_AREA:
                raise InvalidArgument(f"must be at most {MAX_AREA} characters", field=field)
            refuse_personal_identity_number(area, field)
            areas.append(area)
        tenant = caller.tenant
        now = await self.time.now()
        recorded_on = now.astimezone(STOCKHOLM).date()
        stream = comment_stream(tenant, unit, year)
        new = NewEvent(
            payload=ManagerCommentRecorded(
                unit=unit,
                year=year,
                comment=comment,
                development_areas=tuple(areas),
                recorded_on=recorded_on,
                recorded_by=caller.subject,
            ),
            occurred_at=now,
        )
        async with transaction(self.engine) as conn:
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": COMMENT_LOCK_SPACE, "key": zlib.crc32(stream.encode()) & 0x7FFF_FFFF},
            )
            version = await self.events.stream_version(conn, stream)
            await self.events.append(
                conn,
                stream,
                version,
                [new],
                AppendContext(tenant=tenant, correlation_id=uuid.uuid4()),
                now,
            )
            await self.store.insert_comment(
                conn,
                event_id=new.event_id,
                tenant=tenant,
                unit=unit,
                year=year,
                stream_id=stream,
                stream_version=version + 1,
                recorded_on=recorded_on,
                comment=comment,
                development_areas=areas,
                recorded_by=caller.subject,
            )
        self.compiler.on_commit()
        log.info("comment recorded", tenant=tenant, unit=unit, year=year)
        return pb.RecordCommentReply(comment_id=str(new.event_id))

    async def _rendered(
        self, caller: Caller, report: CompiledReport, format: str, lang: str
    ) -> pb.RenderedReport:
        view = disclose(report, viewer_relation(caller.tenant, report.scope), self.rule)
        content = await asyncio.to_thread(render, view, format, lang)
        return pb.RenderedReport(
            summary=summary_to_pb(report),
            format=format,
            lang=lang,
            media_type=MEDIA_TYPES[format],
            content=content,
            disclosure_applied=view.disclosure is not None,
        )


def register(server: grpc.aio.Server, servicer: ReportsServicer) -> None:
    pb_grpc.add_ReportsServicer_to_server(servicer, server)
