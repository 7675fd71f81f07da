"""The measurements gRPC API: translate messages, call the application, map errors."""

from __future__ import annotations

from datetime import date

import grpc

from services.measurements.application import CommandResult, MeasurementsApp
from services.measurements.domain.followup import FollowUp, RatingInput
from services.measurements.domain.series import SingleCaseSeries
from shared.api import measurements_pb2 as pb
from shared.api import measurements_pb2_grpc as pb_grpc
from shared.errors import InvalidArgument
from shared.grpc.auth import current_caller
from shared.grpc.errors import map_domain_errors
from shared.scales import Scale, ScaleCatalogue
from shared.statistics import classify_change, reliable_change_index

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Measurements"].full_name


class MeasurementsServicer(pb_grpc.MeasurementsServicer):
    def __init__(self, app: MeasurementsApp) -> None:
        self.app = app

    @map_domain_errors
    async def ListScales(
        self, request: pb.ListScalesRequest, context: object
    ) -> pb.ListScalesReply:
        current_caller()
        return pb.ListScalesReply(scales=[scale_to_pb(s) for s in self.app.scales.all()])

    @map_domain_errors
    async def OpenFollowUp(
        self, request: pb.OpenFollowUpRequest, context: object
    ) -> pb.FollowUpReply:
        result = await self.app.open_follow_up(
            current_caller(),
            tenant=request.tenant,
            unit=request.unit,
            client=request.client,
            client_group=request.client_group,
            main_problems=list(request.main_problems),
            gender=request.gender or None,
            age_band=request.age_band or None,
            opened_on=optional_date(request.opened_on, "opened_on"),
        )
        return _reply(result)

    @map_domain_errors
    async def SetGoal(self, request: pb.SetGoalRequest, context: object) -> pb.FollowUpReply:
        result = await self.app.set_goal(
            current_caller(),
            request.follow_up_id,
            request.expected_version,
            goal_id=request.goal_id,
            title=request.title,
            scale_id=request.scale_id,
            scale_version=request.scale_version,
            set_on=optional_date(request.set_on, "set_on"),
        )
        return _reply(result)

    @map_domain_errors
    async def StartIntervention(
        self, request: pb.StartInterventionRequest, context: object
    ) -> pb.FollowUpReply:
        result = await self.app.start_intervention(
            current_caller(),
            request.follow_up_id,
            request.expected_version,
            intervention_id=request.intervention_id,
            intervention_type=request.intervention_type,
            started_on=optional_date(request.started_on, "started_on"),
            goal_ids=list(request.goal_ids),
        )
        return _reply(result)

    @map_domain_errors
    async def EndIntervention(
        self, request: pb.EndInterventionRequest, context: object
    ) -> pb.FollowUpReply:
        result = await self.app.end_intervention(
            current_caller(),
            request.follow_up_id,
            request.expected_version,
            intervention_id=request.intervention_id,
            ended_on=optional_date(request.ended_on, "ended_on"),
            outcome=request.outcome,
        )
        return _reply(result)

    @map_domain_errors
    async def SubmitRating(
        self, request: pb.SubmitRatingRequest, context: object
    ) -> pb.FollowUpReply:
        if not request.HasField("rating"):
            raise InvalidArgument("the rating is missing", field="rating")
        result = await self.app.rate(
            current_caller(),
            request.follow_up_id,
            request.expected_version,
            rating_from_pb(request.rating, self.app.today()),
        )
        return _reply(result)

    @map_domain_errors
    async def AssessGoal(self, request: pb.AssessGoalRequest, context: object) -> pb.FollowUpReply:
        result = await self.app.assess_goal(
            current_caller(),
            request.follow_up_id,
            request.expected_version,
            goal_id=request.goal_id,
            outcome=request.outcome,
            assessed_on=optional_date(request.assessed_on, "assessed_on"),
        )
        return _reply(result)

    @map_domain_errors
    async def AnswerSurvey(
        self, request: pb.AnswerSurveyRequest, context: object
    ) -> pb.FollowUpReply:
        result = await self.app.answer_survey(
            current_caller(),
            request.follow_up_id,
            request.expected_version,
            scale_id=request.scale_id,
            scale_version=request.scale_version,
            answers=dict(request.answers),
            answered_on=optional_date(request.answered_on, "answered_on"),
        )
        return _reply(result)

    @map_domain_errors
    async def CloseFollowUp(
        self, request: pb.CloseFollowUpRequest, context: object
    ) -> pb.FollowUpReply:
        result = await self.app.close(
            current_caller(),
            request.follow_up_id,
            request.expected_version,
            closed_on=optional_date(request.closed_on, "closed_on"),
            reason=request.reason,
        )
        return _reply(result)

    @map_domain_errors
    async def GetFollowUp(self, request: pb.GetFollowUpRequest, context: object) -> pb.FollowUp:
        follow_up = await self.app.get(current_caller(), request.follow_up_id)
        return follow_up_to_pb(follow_up, self.app.scales)

    @map_domain_errors
    async def ListFollowUps(
        self, request: pb.ListFollowUpsRequest, context: object
    ) -> pb.ListFollowUpsReply:
        summaries, total = await self.app.list(
            current_caller(),
            request.tenant,
            request.unit or None,
            request.status or None,
            request.limit or 1000,
        )
        return pb.ListFollowUpsReply(
            follow_ups=[
                pb.FollowUpSummary(
                    follow_up_id=s.follow_up_id,
                    unit=s.unit,
                    client=s.client,
                    client_group=s.client_group,
                    opened_on=s.opened_on.isoformat(),
                    closed_on=s.closed_on.isoformat() if s.closed_on else "",
                    status="closed" if s.closed_on else "open",
                )
                for s in summaries
            ],
            total=total,
        )

    @map_domain_errors
    async def GetSeries(self, request: pb.GetSeriesRequest, context: object) -> pb.Series:
        series = await self.app.series(current_caller(), request.follow_up_id, request.goal_id)
        return series_to_pb(request.follow_up_id, series)

    @map_domain_errors
    async def ImportRecords(self, request: pb.ImportRequest, context: object) -> pb.ImportReply:
        results = await self.app.import_rows(
            current_caller(),
            [(row.line, dict(row.fields)) for row in request.rows],
            validate_only=request.validate_only,
        )
        return pb.ImportReply(
            results=[
                pb.RowResult(
                    line=r.line,
                    status=r.status,
                    follow_up_id=r.follow_up_id,
                    field=r.field,
                    reason=r.reason,
                    events=r.events,
                )
                for r in results
            ]
        )


def register(server: grpc.aio.Server, app: MeasurementsApp) -> None:
    pb_grpc.add_MeasurementsServicer_to_server(MeasurementsServicer(app), server)


# --- translation ---------------------------------------------------------------


def optional_date(value: str, field: str) -> date | None:
    """An ISO date, or None (today) for an empty string."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


def rating_from_pb(rating: pb.Rating, today: date) -> RatingInput:
    return RatingInput(
        scale_id=rating.scale_id,
        scale_version=rating.scale_version,
        occasion=rating.occasion,
        rated_on=optional_date(rating.rated_on, "rating.rated_on") or today,
        value=rating.value if rating.HasField("value") else None,
        items=dict(rating.items),
        phase=rating.phase or None,
        week=rating.week if rating.HasField("week") else None,
        goal_id=rating.goal_id or None,
    )


def scale_to_pb(scale: Scale) -> pb.Scale:
    message = pb.Scale(
        scale_id=scale.scale_id,
        version=scale.version,
        kind=scale.kind,
        name_sv=scale.name_sv,
        name_en=scale.name_en,
        description_sv=scale.description_sv,
        description_en=scale.description_en,
        items=[
            pb.ScaleItem(
                item_id=i.item_id,
                text_sv=i.text_sv,
                text_en=i.text_en,
                min=i.min,
                max=i.max,
                allowed=list(i.allowed or ()),
            )
            for i in scale.items
        ],
        min=scale.min,
        max=scale.max,
        direction=scale.direction,
        zones=[
            pb.Zone(min=z.min, max=z.max, label_sv=z.label_sv, label_en=z.label_en)
            for z in scale.zones
        ],
        source=scale.source,
        psychometrics_source=scale.psychometrics_source or "",
        unverified=list(scale.unverified),
    )
    if scale.clinical_threshold is not None:
        message.clinical_threshold = scale.clinical_threshold
    if scale.norm_sd is not None:
        message.norm_sd = scale.norm_sd
    if scale.reliability is not None:
        message.reliability = scale.reliability
    if scale.minimal_important_change is not None:
        message.minimal_important_change = scale.minimal_important_change
    return message


def follow_up_to_pb(follow_up: FollowUp, scales: ScaleCatalogue) -> pb.FollowUp:
    ratings = []
    for r in follow_up.ratings:
        scale = scales.find(r.scale_id, r.scale_version)
        zone = scale.zone_of(r.value) if scale else None
        ratings.append(
            pb.RatingRecord(
                rating_id=r.rating_id,
                scale_id=r.scale_id,
                scale_version=r.scale_version,
                occasion=r.occasion,
                phase=r.phase or "",
                week=r.week or 0,
                goal_id=r.goal_id or "",
                value=r.value,
                items=r.items,
                rated_on=r.rated_on.isoformat(),
                zone_sv=zone.label_sv if zone else "",
                zone_en=zone.label_en if zone else "",
            )
        )
    return pb.FollowUp(
        follow_up_id=follow_up.follow_up_id,
        version=follow_up.version,
        tenant=follow_up.tenant,
        unit=follow_up.unit,
        client=follow_up.client,
        client_group=follow_up.client_group,
        main_problems=list(follow_up.main_problems),
        gender=follow_up.gender or "",
        age_band=follow_up.age_band or "",
        opened_on=follow_up.opened_on.isoformat() if follow_up.opened_on else "",
        closed_on=follow_up.closed_on.isoformat() if follow_up.closed_on else "",
        status=follow_up.status,
        goals=[
            pb.Goal(
                goal_id=g.goal_id,
                title=g.title,
                scale_id=g.scale_id,
                scale_version=g.scale_version,
                set_on=g.set_on.isoformat(),
                outcome=g.outcome or "",
                assessed_on=g.assessed_on.isoformat() if g.assessed_on else "",
            )
            for g in follow_up.goals.values()
        ],
        interventions=[
            pb.Intervention(
                intervention_id=i.intervention_id,
                intervention_type=i.intervention_type,
                started_on=i.started_on.isoformat(),
                goal_ids=list(i.goal_ids),
                ended_on=i.ended_on.isoformat() if i.ended_on else "",
                outcome=i.outcome or "",
            )
            for i in follow_up.interventions.values()
        ],
        ratings=ratings,
        surveys=[
            pb.SurveyRecord(
                survey_id=s.survey_id,
                scale_id=s.scale_id,
                scale_version=s.scale_version,
                answers=s.answers,
                answered_on=s.answered_on.isoformat(),
            )
            for s in follow_up.surveys
        ],
        changes=_changes(follow_up, scales),
    )


def _changes(follow_up: FollowUp, scales: ScaleCatalogue) -> list[pb.ScaleChange]:
    changes = []
    for exit_rating in (r for r in follow_up.ratings if r.occasion == "exit"):
        intake = follow_up.rating(exit_rating.scale_id, "intake")
        scale = scales.find(exit_rating.scale_id, exit_rating.scale_version)
        if intake is None or scale is None:
            continue
        change = pb.ScaleChange(
            scale_id=scale.scale_id,
            scale_version=scale.version,
            intake=intake.value,
            exit=exit_rating.value,
            change_class=classify_change(intake.value, exit_rating.value, scale.criterion()),
        )
        if scale.norm_sd is not None and scale.reliability is not None:
            change.rci = reliable_change_index(
                intake.value, exit_rating.value, scale.norm_sd, scale.reliability
            )
        changes.append(change)
    return changes


def series_to_pb(follow_up_id: str, series: SingleCaseSeries) -> pb.Series:
    return pb.Series(
        follow_up_id=follow_up_id,
        goal_id=series.goal_id,
        goal_title=series.goal_title,
        scale_id=series.scale.scale_id,
        scale_version=series.scale.version,
        scale_name_sv=series.scale.name_sv,
        scale_name_en=series.scale.name_en,
        direction=series.scale.direction,
        points=[
            pb.SeriesPoint(
                week=p.week, phase=p.phase, value=p.value, rated_on=p.rated_on.isoformat()
            )
            for p in series.points
        ],
        phases=[
            pb.PhaseSummary(
                phase=p.phase,
                n=p.n,
                mean=p.mean,
                slope=p.slope,
                first_week=p.first_week,
                last_week=p.last_week,
            )
            for p in series.phases
        ],
        comparisons=[
            pb.PhaseComparison(baseline=c.baseline, treatment=c.treatment, pnd=c.pnd, nap=c.nap)
            for c in series.comparisons
        ],
    )


def _reply(result: CommandResult) -> pb.FollowUpReply:
    return pb.FollowUpReply(
        follow_up_id=result.follow_up.follow_up_id,
        version=result.follow_up.version,
        event_ids=[str(e.event_id) for e in result.envelopes],
    )
