"""The sessions service end to end over gRPC: a work group and its sessions
stored and published, identity numbers refused with nothing stored, other
municipalities and units kept out, mentor candidates for the unit manager only.

One sessions process serves the whole module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.sessions.adapters.grpc_api import content_to_pb
from services.sessions.domain.checks import NOT_FOR_CLIENTS
from shared.api import sessions_pb2 as pb
from shared.embedded.tansu import free_port
from shared.events.sessions import (
    GroupAnswer,
    InDepthKnowledge,
    PartCases,
    PartUptake,
    PracticeChange,
    SessionContent,
)
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support.kafka import read_topic
from tests.support.service import ServiceProcess, migrate, token
from tests.support.sessions import Client, module_settings

GROUP = "barngruppen"
UNIT = "ifo-barn"


@pytest.fixture(scope="module")
async def stack(
    postgres_admin_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Settings, ServiceProcess]]:
    home = tmp_path_factory.mktemp("sessions")
    async with module_settings(postgres_admin_url, kafka_bootstrap, home) as settings:
        await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}sessions.events"], 4)
        migrate(settings, "sessions")
        process = ServiceProcess("sessions", settings, free_port(), home / "sessions.log")
        await process.start()
        try:
            yield settings, process
        finally:
            process.stop()


@pytest.fixture(scope="module")
async def channel(
    stack: tuple[Settings, ServiceProcess],
) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(stack[1].address) as channel:
        yield channel


def client(
    stack: tuple[Settings, ServiceProcess],
    channel: grpc.aio.Channel,
    role: Role,
    tenant: str = "1480",
    unit: str | None = UNIT,
) -> Client:
    return Client(channel, token(stack[0], tenant, role, unit))


def content(**changes: object) -> SessionContent:
    base = SessionContent(
        held_on=date(2025, 9, 2),
        forum="apt",
        participants=("m1", "m2"),
        taken_part=(
            PartUptake(member_id="m1", part="utreseforbud", taken_part=True),
            PartUptake(member_id="m2", part="utreseforbud", taken_part=False, plan="Läser"),
        ),
        cases=(PartCases(part="utreseforbud", cases=1),),
        practice=(PracticeChange(part="utreseforbud", changed=True, description="Ny rutin"),),
        answers=(GroupAnswer(question_id="samtal", question="", answer="Bra samtal"),),
        in_depth=(InDepthKnowledge(member_id="m1", parts=("utreseforbud",)),),
    )
    return base.model_copy(update=changes)


def record(session: SessionContent, session_id: str = "") -> pb.RecordSessionRequest:
    return pb.RecordSessionRequest(
        work_group_id=GROUP,
        session_id=session_id,
        session=content_to_pb(session, with_in_depth=True),
    )


async def stored(settings: Settings) -> int:
    assert settings.database_url
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(text("SELECT count(*) FROM sessions.events"))
            return int(found.scalar_one())
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def group(stack: tuple[Settings, ServiceProcess], channel: grpc.aio.Channel) -> str:
    manager = client(stack, channel, Role.UNIT_MANAGER)
    await manager.FormWorkGroup(
        pb.FormWorkGroupRequest(
            work_group_id=GROUP, unit=UNIT, name="Barngruppen", forums=["apt", "utbildningsdag"]
        )
    )
    for member, name in (("m1", "Anna"), ("m2", "Bertil")):
        await manager.JoinWorkGroup(
            pb.JoinWorkGroupRequest(
                work_group_id=GROUP, member_id=member, display_name=name, joined_on="2025-04-01"
            )
        )
    await manager.ChooseRelevantParts(
        pb.ChooseRelevantPartsRequest(
            work_group_id=GROUP, parts=["flyttningsforbud", "utreseforbud"], valid_from="2025-04-01"
        )
    )
    await manager.SetGroupQuestions(
        pb.SetGroupQuestionsRequest(
            work_group_id=GROUP,
            questions=[pb.GroupQuestion(question_id="samtal", text_sv="Hur förs samtalen?")],
        )
    )
    staff = client(stack, channel, Role.UNIT_STAFF)
    await staff.RecordSession(record(content(), "s1"))
    return GROUP


async def test_a_recorded_and_corrected_session_is_stored_and_published(
    stack: tuple[Settings, ServiceProcess], channel: grpc.aio.Channel, group: str
) -> None:
    settings, _ = stack
    staff = client(stack, channel, Role.UNIT_STAFF)
    corrected = content(cases=(PartCases(part="utreseforbud", cases=2),))
    await staff.CorrectSession(
        pb.CorrectSessionRequest(
            work_group_id=group,
            session_id="s1",
            session=content_to_pb(corrected, with_in_depth=True),
            reason="Två ärenden",
        )
    )
    manager = client(stack, channel, Role.UNIT_MANAGER)
    reply = await manager.ListSessions(pb.ListSessionsRequest(work_group_id=group))
    [session] = [s for s in reply.sessions if s.session_id == "s1"]
    assert [v.content.cases[0].cases for v in session.history] == [1, 2]
    assert session.content.cases[0].cases == 2
    assert session.history[1].reason == "Två ärenden"
    assert session.content.answers[0].question == "Hur förs samtalen?"
    events = await read_topic(
        settings.kafka_bootstrap or "", f"{settings.topic_prefix}sessions.events", at_least=7
    )
    mine = [e for e in events if e.aggregate_id == f"work-group-1480-{group}"]
    types = [e.type for e in mine]
    assert types[0] == "sessions.WorkGroupFormed.v1"
    assert "sessions.SessionRecorded.v1" in types and "sessions.SessionCorrected.v1" in types
    recorded = next(e for e in mine if e.type == "sessions.SessionRecorded.v1")
    assert recorded.tenant == "1480"
    assert recorded.payload["unit"] == UNIT
    assert recorded.payload["content"]["taken_part"][1] == {
        "member_id": "m2",
        "part": "utreseforbud",
        "taken_part": False,
        "plan": "Läser",
    }


def _field_of(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        request = error_details_pb2.BadRequest()
        if detail.Unpack(request):
            return str(request.field_violations[0].field)
    raise AssertionError("no BadRequest in the status details")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {
                "taken_part": (
                    PartUptake(
                        member_id="m2",
                        part="utreseforbud",
                        taken_part=False,
                        plan="Se 19121212-1212",
                    ),
                )
            },
            "session.taken_part[0].plan",
        ),
        (
            {
                "practice": (
                    PracticeChange(part="utreseforbud", changed=True, description="1212121212"),
                )
            },
            "session.practice[0].description",
        ),
        (
            {"answers": (GroupAnswer(question_id="samtal", question="", answer="191212721219"),)},
            "session.answers[0].answer",
        ),
        ({"notes": "Barnet 121212-1212 flyttar"}, "session.notes"),
    ],
)
async def test_an_identity_number_in_free_text_is_refused_and_nothing_is_stored(
    stack: tuple[Settings, ServiceProcess],
    channel: grpc.aio.Channel,
    group: str,
    changes: dict[str, object],
    field: str,
) -> None:
    settings, _ = stack
    before = await stored(settings)
    staff = client(stack, channel, Role.UNIT_STAFF)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await staff.RecordSession(record(content(**changes)))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details() == f"{field}: {NOT_FOR_CLIENTS}"
    assert _field_of(refused.value) == field
    assert await stored(settings) == before


async def test_identity_numbers_in_names_and_ids_are_refused_too(
    stack: tuple[Settings, ServiceProcess], channel: grpc.aio.Channel, group: str
) -> None:
    settings, _ = stack
    before = await stored(settings)
    manager = client(stack, channel, Role.UNIT_MANAGER)
    for request, field in (
        (
            pb.JoinWorkGroupRequest(
                work_group_id=group, member_id="m3", display_name="Kim 19121212-1212",
                joined_on="2025-04-01",
            ),
            "display_name",
        ),
        (
            pb.JoinWorkGroupRequest(
                work_group_id=group, member_id="191212121212", display_name="Kim",
                joined_on="2025-04-01",
            ),
            "member_id",
        ),
    ):  # fmt: skip
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await manager.JoinWorkGroup(request)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert _field_of(refused.value) == field
    assert await stored(settings) == before


async def test_a_number_with_a_wrong_check_digit_is_accepted(
    stack: tuple[Settings, ServiceProcess], channel: grpc.aio.Channel, group: str
) -> None:
    settings, _ = stack
    before = await stored(settings)
    staff = client(stack, channel, Role.UNIT_STAFF)
    notes = "Diarienummer 19121212-1213"
    reply = await staff.RecordSession(record(content(notes=notes)))
    assert await stored(settings) == before + 1
    sessions = await staff.ListSessions(pb.ListSessionsRequest(work_group_id=group))
    [found] = [s for s in sessions.sessions if s.session_id == reply.session_id]
    assert found.content.notes == notes


async def test_another_municipality_may_neither_read_nor_write_the_sessions(
    stack: tuple[Settings, ServiceProcess], channel: grpc.aio.Channel, group: str
) -> None:
    settings, _ = stack
    before = await stored(settings)
    partille = client(stack, channel, Role.UNIT_STAFF, tenant="1402")
    calls = [
        partille.RecordSession(
            pb.RecordSessionRequest(
                tenant="1480",
                work_group_id=group,
                session=content_to_pb(content(), with_in_depth=True),
            )
        ),
        partille.ListSessions(pb.ListSessionsRequest(tenant="1480", work_group_id=group)),
        partille.GetWorkGroup(pb.GetWorkGroupRequest(tenant="1480", work_group_id=group)),
        client(stack, channel, Role.UNIT_MANAGER, tenant="1402").JoinWorkGroup(
            pb.JoinWorkGroupRequest(
                tenant="1480",
                work_group_id=group,
                member_id="x",
                display_name="X",
                joined_on="2025-04-01",
            )
        ),
        client(stack, channel, Role.FOLLOW_UP, tenant="1402", unit=None).ListWorkGroups(
            pb.ListWorkGroupsRequest(tenant="1480")
        ),
        # Göteborg's staff of another unit, and the region, are kept out too.
        client(stack, channel, Role.UNIT_STAFF, unit="ifo-vuxen").ListSessions(
            pb.ListSessionsRequest(work_group_id=group)
        ),
        client(stack, channel, Role.REGIONAL_SUPPORT, tenant="region:14", unit=None).ListSessions(
            pb.ListSessionsRequest(tenant="1480", work_group_id=group)
        ),
        # Unit staff may record sessions, not change the group.
        client(stack, channel, Role.UNIT_STAFF).LeaveWorkGroup(
            pb.LeaveWorkGroupRequest(work_group_id=group, member_id="m1", left_on="2025-06-01")
        ),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, refused.value.details()
    # Partille's own group of the same name is simply not there.
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await partille.ListSessions(pb.ListSessionsRequest(work_group_id=group))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert await stored(settings) == before


async def test_only_the_unit_manager_sees_who_knows_a_part_in_depth(
    stack: tuple[Settings, ServiceProcess], channel: grpc.aio.Channel, group: str
) -> None:
    manager = client(stack, channel, Role.UNIT_MANAGER)
    seen = await manager.ListSessions(pb.ListSessionsRequest(work_group_id=group))
    assert seen.mentor_candidates_visible
    s1 = next(s for s in seen.sessions if s.session_id == "s1")
    assert [(k.member_id, list(k.parts)) for k in s1.content.in_depth] == [("m1", ["utreseforbud"])]
    for role, unit in ((Role.UNIT_STAFF, UNIT), (Role.FOLLOW_UP, None)):
        reply = await client(stack, channel, role, unit=unit).ListSessions(
            pb.ListSessionsRequest(work_group_id=group)
        )
        assert not reply.mentor_candidates_visible
        assert reply.sessions, "the sessions themselves are visible"
        assert all(not s.content.in_depth for s in reply.sessions)
        assert all(not v.content.in_depth for s in reply.sessions for v in s.history)


async def test_the_catalogue_and_a_municipal_addition(
    stack: tuple[Settings, ServiceProcess], channel: grpc.aio.Channel
) -> None:
    follow_up = client(stack, channel, Role.FOLLOW_UP, unit=None)
    await follow_up.AddSupportPart(
        pb.AddSupportPartRequest(code="barnahus", name_sv="Samråd i barnahus", name_en="Barnahus")
    )
    parts = await follow_up.ListSupportParts(pb.ListSupportPartsRequest())
    codes = [p.code for p in parts.parts]
    assert {"flyttningsforbud", "utreseforbud"} <= set(codes)
    assert codes[-1] == "barnahus" and parts.parts[-1].origin == "1480"
    partille = client(stack, channel, Role.FOLLOW_UP, tenant="1402", unit=None)
    theirs = await partille.ListSupportParts(pb.ListSupportPartsRequest())
    assert "barnahus" not in [p.code for p in theirs.parts]
    questions = await follow_up.GetQuestions(pb.GetQuestionsRequest())
    assert [q.number for q in questions.questions] == [1, 2, 3]
    assert questions.questions[1].text_sv.startswith("Har vi månaderna efter")
