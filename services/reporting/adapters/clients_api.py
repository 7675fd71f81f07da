"""gRPC queries of the client follow-up figures (`arshjul.clients.v1.ClientReports`).

Access: the municipality's own roles read its figures, in full; unit staff
and unit managers only their own unit's. Figures leaving the municipality
(region, nation) go through the compiled reports with disclosure control,
never through this query.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.adapters.read_models import reading
from services.reporting.domain import clients as domain
from services.reporting.projections.clients import merged_rows, projection
from shared.api import clients_pb2 as pb
from shared.api import clients_pb2_grpc as pb_grpc
from shared.auth import Caller, require_tenant, require_unit
from shared.errors import InvalidArgument, PermissionDenied
from shared.grpc.auth import current_caller
from shared.grpc.errors import map_domain_errors
from shared.municipalities import validate_municipality_code

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ClientReports"].full_name
FIRST_YEAR, LAST_YEAR = 2000, 2100


async def client_report(
    engine: AsyncEngine, caller: Caller, tenant: str, unit: str | None, year: int
) -> domain.ClientReport:
    tenant = tenant or caller.tenant
    validate_municipality_code(tenant, "tenant")
    authorise(caller, tenant, unit)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidArgument(
            f"a follow-up year between {FIRST_YEAR} and {LAST_YEAR}, e.g. 2025", field="year"
        )
    async with reading(engine, projection) as conn:
        tallies, moments = await merged_rows(conn, tenant, unit, year)
    return domain.compile_report(tenant, unit, year, tallies, moments, projection.scales)


def authorise(caller: Caller, tenant: str, unit: str | None) -> None:
    require_tenant(caller, tenant)
    if caller.is_unit_bound:
        if unit is None:
            raise PermissionDenied(
                f"{caller.describe()} reads its own unit's figures: give --unit {caller.unit}",
                field="unit",
            )
        require_unit(caller, unit)


class ClientReportsServicer(pb_grpc.ClientReportsServicer):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @map_domain_errors
    async def GetClientReport(
        self, request: pb.ClientReportRequest, context: object
    ) -> pb.ClientReport:
        report = await client_report(
            self.engine, current_caller(), request.tenant, request.unit or None, request.year
        )
        return report_to_pb(report)


def register(server: grpc.aio.Server, engine: AsyncEngine) -> None:
    pb_grpc.add_ClientReportsServicer_to_server(ClientReportsServicer(engine), server)


# --- translation ---------------------------------------------------------------


def report_to_pb(report: domain.ClientReport) -> pb.ClientReport:
    return pb.ClientReport(
        tenant=report.tenant,
        unit=report.unit or "",
        year=report.year,
        year_starts=report.first_day.isoformat(),
        year_ends=report.last_day.isoformat(),
        events=report.events,
        total=section_to_pb(report.total),
        by_client_group=[section_to_pb(s) for s in report.by_client_group],
        by_gender=[section_to_pb(s) for s in report.by_gender],
        by_age_band=[section_to_pb(s) for s in report.by_age_band],
        notes_sv=list(report.notes_sv),
        notes_en=list(report.notes_en),
    )


def section_to_pb(section: domain.Section) -> pb.Section:
    goals = pb.GoalOutcomes(
        achieved=section.goal_outcomes.get("achieved", 0),
        partly_achieved=section.goal_outcomes.get("partly_achieved", 0),
        not_achieved=section.goal_outcomes.get("not_achieved", 0),
        assessed=section.goals_assessed,
    )
    if section.share_goals_achieved is not None:
        goals.share_achieved = section.share_goals_achieved
    interventions = pb.InterventionOutcomes(
        completed=section.intervention_outcomes.get("completed", 0),
        ended_early=section.intervention_outcomes.get("ended_early", 0),
        ended=section.interventions_ended,
    )
    if section.share_interventions_completed is not None:
        interventions.share_completed = section.share_interventions_completed
    return pb.Section(
        dimension=section.dimension,
        category=section.category,
        follow_ups_opened=section.opened,
        follow_ups_closed=section.closed,
        main_problems=_counts(section.main_problems),
        levels=[
            pb.Level(
                scale_id=level.scale_id, occasion=level.occasion, moments=_moments(level.moments)
            )
            for level in section.levels
        ],
        changes=[
            pb.ChangeClasses(
                scale_id=c.scale_id,
                recovered=c.recovered,
                improved=c.improved,
                unchanged=c.unchanged,
                deteriorated=c.deteriorated,
                total=c.total,
            )
            for c in section.changes
        ],
        goals=_counts(section.goals),
        goal_outcomes=goals,
        interventions=_counts(section.interventions),
        intervention_outcomes=interventions,
        satisfaction=[
            pb.Satisfaction(scale_id=s.scale_id, item_id=s.item_id, moments=_moments(s.moments))
            for s in section.satisfaction
        ],
    )


def _counts(pairs: tuple[tuple[str, int], ...] | Mapping[str, int]) -> list[pb.Count]:
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return [pb.Count(key=key, n=n) for key, n in items]


def _moments(moments: domain.Moments) -> pb.Moments:
    message = pb.Moments(n=moments.n, sum=moments.sum, sum_of_squares=moments.sum_of_squares)
    if moments.mean is not None:
        message.mean = moments.mean
    if moments.sd is not None:
        message.sd = moments.sd
    return message
