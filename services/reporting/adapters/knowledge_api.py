"""The knowledge follow-up report over gRPC (`arshjul.knowledge.v1.Knowledge`).

Who sees what: a municipality's own roles see its report (unit staff and
unit managers their own unit's); regional and national roles do not (work
group figures name staff; they get aggregates elsewhere). Mentor candidates
are in the report only for the unit manager of the unit reported on.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import grpc
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.read_models import reading
from services.reporting.domain.knowledge import (
    OCCURRENCE_STATES,
    PartFigure,
    PeriodTotals,
    months_of_year,
)
from services.reporting.projections.knowledge import (
    mentor_candidates,
    occurrence_figures,
    open_plans,
    part_figures,
    projection,
    session_figures,
)
from shared.api import knowledge_pb2 as pb
from shared.api import knowledge_pb2_grpc as pb_grpc
from shared.auth import Caller, require_tenant, require_unit
from shared.errors import InvalidArgument, PermissionDenied
from shared.events.scheduler import follow_up_year_bounds
from shared.grpc.auth import current_caller
from shared.grpc.errors import map_domain_errors
from shared.municipalities import validate_municipality_code
from shared.roles import Role

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Knowledge"].full_name
#: (unit, work group); ("", "") is the scope's total.
Scope = tuple[str, str]
TOTAL: Scope = ("", "")


class KnowledgeServicer(pb_grpc.KnowledgeServicer):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @map_domain_errors
    async def GetKnowledgeReport(
        self, request: pb.KnowledgeReportRequest, context: object
    ) -> pb.KnowledgeReport:
        caller = current_caller()
        tenant, unit = _scope(caller, request.tenant, request.unit)
        if not 2000 <= request.year <= 2100:
            raise InvalidArgument(
                "give the follow-up year by the year it starts in, e.g. 2025", field="year"
            )
        visible = caller.role is Role.UNIT_MANAGER and unit is not None and caller.unit == unit
        return await self.report(tenant, unit, request.work_group or None, request.year, visible)

    async def report(
        self, tenant: str, unit: str | None, work_group: str | None, year: int, mentors: bool
    ) -> pb.KnowledgeReport:
        year_period = str(year)
        periods = [year_period, *months_of_year(year)]
        totals: dict[Scope, dict[str, PeriodTotals]] = defaultdict(dict)

        def period(scope: Scope, name: str) -> PeriodTotals:
            return totals[scope].setdefault(name, PeriodTotals(name))

        async with reading(self.engine, projection) as conn:

            async def rows(table: sa.Table, *where: Any) -> list[Any]:
                clauses = [table.c.tenant == tenant, *where]
                if unit is not None:
                    clauses.append(table.c.unit == unit)
                if work_group is not None:
                    clauses.append(table.c.work_group == work_group)
                query = sa.select(table).where(*clauses)
                return list((await conn.execute(query)).all())

            for row in await rows(occurrence_figures, occurrence_figures.c.period.in_(periods)):
                for scope in ((row.unit, row.work_group), TOTAL):
                    for state in OCCURRENCE_STATES:
                        period(scope, row.period).occurrences.add(state, getattr(row, state))
            for row in await rows(session_figures, session_figures.c.period.in_(periods)):
                for scope in ((row.unit, row.work_group), TOTAL):
                    period(scope, row.period).sessions += row.sessions
            for row in await rows(part_figures, part_figures.c.period.in_(periods)):
                figure = _part_figure(row)
                for scope in ((row.unit, row.work_group), TOTAL):
                    period(scope, row.period).add_part(figure)
            plans = await rows(open_plans, open_plans.c.period == year_period)
            candidates = (
                await rows(mentor_candidates, mentor_candidates.c.period == year_period)
                if mentors
                else []
            )

        starts, ends = follow_up_year_bounds(year)
        groups = sorted(scope for scope in totals if scope != TOTAL)
        return pb.KnowledgeReport(
            tenant=tenant,
            unit=unit or "",
            work_group=work_group or "",
            year=year,
            year_starts=starts.isoformat(),
            year_ends=(ends - timedelta(days=1)).isoformat(),
            total=_scope_to_pb(TOTAL, totals.get(TOTAL, {}), year),
            work_groups=[_scope_to_pb(scope, totals[scope], year) for scope in groups],
            open_plans=[
                pb.OpenPlan(
                    unit=p.unit,
                    work_group=p.work_group,
                    member_id=p.member_id,
                    display_name=p.display_name,
                    part=p.part,
                    plan=p.plan,
                    since=p.since.isoformat(),
                )
                for p in sorted(plans, key=lambda p: (p.unit, p.work_group, p.part, p.member_id))
            ],
            mentor_candidates_visible=mentors,
            mentor_candidates=[
                pb.MentorCandidate(
                    unit=m.unit,
                    work_group=m.work_group,
                    part=m.part,
                    member_id=m.member_id,
                    display_name=m.display_name,
                )
                for m in sorted(
                    candidates, key=lambda m: (m.unit, m.work_group, m.part, m.member_id)
                )
            ],
        )


def register(server: grpc.aio.Server, engine: AsyncEngine) -> None:
    pb_grpc.add_KnowledgeServicer_to_server(KnowledgeServicer(engine), server)


def _scope(caller: Caller, tenant: str, unit: str) -> tuple[str, str | None]:
    """The municipality and unit asked for, if the caller may read them."""
    if not caller.is_municipal:
        raise PermissionDenied(
            f"{caller.describe()} may not read a municipality's knowledge report: it names "
            "work groups and staff; regional and national roles see aggregates only",
            field="tenant",
        )
    tenant = tenant or caller.tenant
    validate_municipality_code(tenant, "tenant")
    require_tenant(caller, tenant)
    if caller.is_unit_bound:
        unit = unit or caller.unit or ""
        require_unit(caller, unit)
    return tenant, unit or None


def _part_figure(row: Any) -> PartFigure:
    coverage = None
    if row.coverage_denominator is not None:
        coverage = (int(row.coverage_numerator), int(row.coverage_denominator))
    return PartFigure(
        period=row.period,
        part=row.part,
        name_sv=row.name_sv,
        name_en=row.name_en,
        coverage=coverage,
        cases=row.cases,
        practice_answered=row.practice_answered,
        practice_changed=row.practice_changed,
        open_plans=row.open_plans,
    )


def _scope_to_pb(scope: Scope, periods: dict[str, PeriodTotals], year: int) -> pb.ScopeFigures:
    return pb.ScopeFigures(
        unit=scope[0],
        work_group=scope[1],
        year=_period_to_pb(periods.get(str(year), PeriodTotals(str(year)))),
        months=[_period_to_pb(periods.get(m, PeriodTotals(m))) for m in months_of_year(year)],
    )


def _period_to_pb(totals: PeriodTotals) -> pb.PeriodFigures:
    counts = totals.occurrences.counts
    message = pb.PeriodFigures(
        period=totals.period,
        sessions=totals.sessions,
        occurrences=pb.OccurrenceFigures(
            due=totals.occurrences.due,
            on_time=counts["on_time"],
            late=counts["late"],
            overdue=counts["overdue"],
            missed=counts["missed"],
            open=counts["open"],
        ),
    )
    for code in sorted(totals.parts):
        part = totals.parts[code]
        figures = pb.PartFigures(
            part=part.part,
            name_sv=part.name_sv,
            name_en=part.name_en,
            cases=part.cases,
            changed_practice=pb.Fraction(
                numerator=part.practice_changed, denominator=part.practice_answered
            ),
            open_plans=part.open_plans,
        )
        if part.coverage is not None:
            figures.coverage.CopyFrom(
                pb.Fraction(numerator=part.coverage[0], denominator=part.coverage[1])
            )
        message.parts.append(figures)
    return message
