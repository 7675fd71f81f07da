"""The sessions service's gRPC API: translate messages, call the application, map errors."""

from __future__ import annotations

from datetime import date

import grpc

from services.sessions.application import CommandResult, SessionsApp, sees_mentor_candidates
from services.sessions.domain.questions import FORUMS, THE_THREE_QUESTIONS, forum
from services.sessions.domain.work_group import RecordedSession, WorkGroup
from shared.api import sessions_pb2 as pb
from shared.api import sessions_pb2_grpc as pb_grpc
from shared.errors import InvalidArgument
from shared.events.sessions import (
    GroupAnswer,
    GroupQuestion,
    InDepthKnowledge,
    OccurrenceRef,
    PartCases,
    PartUptake,
    PracticeChange,
    SessionContent,
)
from shared.grpc.auth import current_caller
from shared.grpc.errors import map_domain_errors
from shared.support_parts import SupportPart

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Sessions"].full_name


class SessionsServicer(pb_grpc.SessionsServicer):
    def __init__(self, app: SessionsApp) -> None:
        self.app = app

    @map_domain_errors
    async def ListSupportParts(
        self, request: pb.ListSupportPartsRequest, context: object
    ) -> pb.ListSupportPartsReply:
        parts = await self.app.support_parts(current_caller(), request.tenant)
        return pb.ListSupportPartsReply(parts=[part_to_pb(p) for p in parts])

    @map_domain_errors
    async def AddSupportPart(
        self, request: pb.AddSupportPartRequest, context: object
    ) -> pb.CommandReply:
        result = await self.app.add_support_part(
            current_caller(),
            tenant=request.tenant,
            code=request.code,
            name_sv=request.name_sv,
            name_en=request.name_en,
        )
        return _reply(result)

    @map_domain_errors
    async def GetQuestions(
        self, request: pb.GetQuestionsRequest, context: object
    ) -> pb.GetQuestionsReply:
        return pb.GetQuestionsReply(
            questions=[
                pb.Question(number=q.number, text_sv=q.text_sv, text_en=q.text_en)
                for q in THE_THREE_QUESTIONS
            ],
            forums=[
                pb.Forum(code=code, name_sv=sv, name_en=en) for code, (sv, en) in FORUMS.items()
            ],
        )

    @map_domain_errors
    async def FormWorkGroup(
        self, request: pb.FormWorkGroupRequest, context: object
    ) -> pb.CommandReply:
        result = await self.app.form_group(
            current_caller(),
            tenant=request.tenant,
            work_group_id=request.work_group_id,
            unit=request.unit,
            name=request.name,
            forums=[forum(f, f"forums[{i}]") for i, f in enumerate(request.forums)],
        )
        return _reply(result)

    @map_domain_errors
    async def JoinWorkGroup(
        self, request: pb.JoinWorkGroupRequest, context: object
    ) -> pb.CommandReply:
        result = await self.app.join(
            current_caller(),
            tenant=request.tenant,
            work_group_id=request.work_group_id,
            member_id=request.member_id,
            display_name=request.display_name,
            joined_on=parse_date(request.joined_on, "joined_on"),
            expected=request.expected_version,
        )
        return _reply(result)

    @map_domain_errors
    async def LeaveWorkGroup(
        self, request: pb.LeaveWorkGroupRequest, context: object
    ) -> pb.CommandReply:
        result = await self.app.leave(
            current_caller(),
            tenant=request.tenant,
            work_group_id=request.work_group_id,
            member_id=request.member_id,
            left_on=parse_date(request.left_on, "left_on"),
            expected=request.expected_version,
        )
        return _reply(result)

    @map_domain_errors
    async def ChooseRelevantParts(
        self, request: pb.ChooseRelevantPartsRequest, context: object
    ) -> pb.CommandReply:
        result = await self.app.choose_parts(
            current_caller(),
            tenant=request.tenant,
            work_group_id=request.work_group_id,
            codes=list(request.parts),
            valid_from=parse_date(request.valid_from, "valid_from"),
            expected=request.expected_version,
        )
        return _reply(result)

    @map_domain_errors
    async def SetGroupQuestions(
        self, request: pb.SetGroupQuestionsRequest, context: object
    ) -> pb.CommandReply:
        result = await self.app.set_questions(
            current_caller(),
            tenant=request.tenant,
            work_group_id=request.work_group_id,
            questions=[
                GroupQuestion(question_id=q.question_id, text_sv=q.text_sv, text_en=q.text_en)
                for q in request.questions
            ],
            expected=request.expected_version,
        )
        return _reply(result)

    @map_domain_errors
    async def RecordSession(
        self, request: pb.RecordSessionRequest, context: object
    ) -> pb.SessionReply:
        session_id, result = await self.app.record_session(
            current_caller(),
            tenant=request.tenant,
            work_group_id=request.work_group_id,
            session_id=request.session_id,
            content=content_from_pb(request.session),
            expected=request.expected_version,
        )
        return _session_reply(session_id, result)

    @map_domain_errors
    async def CorrectSession(
        self, request: pb.CorrectSessionRequest, context: object
    ) -> pb.SessionReply:
        result = await self.app.correct_session(
            current_caller(),
            tenant=request.tenant,
            work_group_id=request.work_group_id,
            session_id=request.session_id,
            content=content_from_pb(request.session),
            reason=request.reason,
            expected=request.expected_version,
        )
        return _session_reply(request.session_id, result)

    @map_domain_errors
    async def GetWorkGroup(self, request: pb.GetWorkGroupRequest, context: object) -> pb.WorkGroup:
        group = await self.app.get_group(current_caller(), request.tenant, request.work_group_id)
        return group_to_pb(group)

    @map_domain_errors
    async def ListWorkGroups(
        self, request: pb.ListWorkGroupsRequest, context: object
    ) -> pb.ListWorkGroupsReply:
        groups = await self.app.list_groups(current_caller(), request.tenant, request.unit or None)
        return pb.ListWorkGroupsReply(work_groups=[group_to_pb(g) for g in groups])

    @map_domain_errors
    async def ListSessions(
        self, request: pb.ListSessionsRequest, context: object
    ) -> pb.ListSessionsReply:
        caller = current_caller()
        group = await self.app.get_group(caller, request.tenant, request.work_group_id)
        visible = sees_mentor_candidates(caller, group)
        ordered = sorted(group.sessions.values(), key=lambda s: (s.content.held_on, s.session_id))
        return pb.ListSessionsReply(
            sessions=[_session_to_pb(s, visible) for s in ordered],
            mentor_candidates_visible=visible,
        )


def register(server: grpc.aio.Server, app: SessionsApp) -> None:
    pb_grpc.add_SessionsServicer_to_server(SessionsServicer(app), server)


# --- translation ---------------------------------------------------------------


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


def content_from_pb(message: pb.SessionContent, field: str = "session") -> SessionContent:
    """The request's session, checked for shape; the work group checks the rest."""
    occurrence = None
    if message.HasField("occurrence"):
        ref = message.occurrence
        occurrence = OccurrenceRef(
            wheel_id=ref.wheel_id,
            step_id=ref.step_id,
            occurrence_date=parse_date(ref.occurrence_date, f"{field}.occurrence.occurrence_date"),
        )
    for i, counted in enumerate(message.cases):
        if counted.cases < 0:
            raise InvalidArgument("must not be negative", field=f"{field}.cases[{i}].cases")
    return SessionContent(
        held_on=parse_date(message.held_on, f"{field}.held_on"),
        forum=forum(message.forum, f"{field}.forum"),
        occurrence=occurrence,
        participants=tuple(message.participants),
        taken_part=tuple(
            PartUptake(member_id=t.member_id, part=t.part, taken_part=t.taken_part, plan=t.plan)
            for t in message.taken_part
        ),
        cases=tuple(PartCases(part=c.part, cases=c.cases) for c in message.cases),
        practice=tuple(
            PracticeChange(part=p.part, changed=p.changed, description=p.description)
            for p in message.practice
        ),
        answers=tuple(
            GroupAnswer(question_id=a.question_id, question=a.question, answer=a.answer)
            for a in message.answers
        ),
        in_depth=tuple(
            InDepthKnowledge(member_id=k.member_id, parts=tuple(k.parts)) for k in message.in_depth
        ),
        notes=message.notes,
    )


def content_to_pb(content: SessionContent, *, with_in_depth: bool) -> pb.SessionContent:
    message = pb.SessionContent(
        held_on=content.held_on.isoformat(),
        forum=content.forum,
        participants=list(content.participants),
        taken_part=[
            pb.PartUptake(member_id=t.member_id, part=t.part, taken_part=t.taken_part, plan=t.plan)
            for t in content.taken_part
        ],
        cases=[pb.PartCases(part=c.part, cases=c.cases) for c in content.cases],
        practice=[
            pb.PracticeChange(part=p.part, changed=p.changed, description=p.description)
            for p in content.practice
        ],
        answers=[
            pb.GroupAnswer(question_id=a.question_id, question=a.question, answer=a.answer)
            for a in content.answers
        ],
        in_depth=[
            pb.InDepthKnowledge(member_id=k.member_id, parts=list(k.parts))
            for k in (content.in_depth if with_in_depth else ())
        ],
        notes=content.notes,
    )
    if content.occurrence is not None:
        message.occurrence.CopyFrom(
            pb.OccurrenceRef(
                wheel_id=content.occurrence.wheel_id,
                step_id=content.occurrence.step_id,
                occurrence_date=content.occurrence.occurrence_date.isoformat(),
            )
        )
    return message


def _session_to_pb(session: RecordedSession, with_in_depth: bool) -> pb.Session:
    return pb.Session(
        session_id=session.session_id,
        content=content_to_pb(session.content, with_in_depth=with_in_depth),
        history=[
            pb.SessionVersion(
                content=content_to_pb(content, with_in_depth=with_in_depth), by=by, reason=reason
            )
            for content, by, reason in session.history
        ],
    )


def part_to_pb(part: SupportPart) -> pb.SupportPart:
    return pb.SupportPart(
        code=part.code,
        name_sv=part.name_sv,
        name_en=part.name_en,
        version=part.version,
        origin=part.origin,
        lvu=part.lvu,
    )


def group_to_pb(group: WorkGroup) -> pb.WorkGroup:
    return pb.WorkGroup(
        tenant=group.tenant,
        work_group_id=group.work_group_id,
        unit=group.unit,
        name=group.name,
        forums=list(group.forums),
        version=group.version,
        members=[
            pb.Member(
                member_id=m.member_id,
                display_name=m.display_name,
                periods=[
                    pb.MembershipPeriod(
                        joined_on=joined.isoformat(), left_on=left.isoformat() if left else ""
                    )
                    for joined, left in m.periods
                ],
            )
            for m in group.members.values()
        ],
        part_choices=[
            pb.PartChoice(
                valid_from=valid_from.isoformat(),
                parts=[
                    pb.SupportPart(
                        code=p.code, name_sv=p.name_sv, name_en=p.name_en, version=p.version
                    )
                    for p in parts
                ],
            )
            for valid_from, parts in group.part_choices
        ],
        questions=[
            pb.GroupQuestion(question_id=q.question_id, text_sv=q.text_sv, text_en=q.text_en)
            for q in group.questions.values()
        ],
        sessions=len(group.sessions),
    )


def _reply(result: CommandResult) -> pb.CommandReply:
    return pb.CommandReply(
        stream_id=result.stream_id,
        version=result.version,
        event_ids=[str(e.event_id) for e in result.envelopes],
    )


def _session_reply(session_id: str, result: CommandResult) -> pb.SessionReply:
    return pb.SessionReply(
        session_id=session_id,
        stream_id=result.stream_id,
        version=result.version,
        event_ids=[str(e.event_id) for e in result.envelopes],
    )
