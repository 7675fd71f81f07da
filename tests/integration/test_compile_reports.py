"""Compiled reports end to end: client follow-ups recorded through the measurements
service, projected by the reporting service, compiled per unit, municipality,
region and nation, read back with roles and disclosure control, and compiled
by the LOKE wheel's steps on the simulated clock.

The data, follow-up year 2025 (1 May 2025 – 30 April 2026), counted by hand:

- Göteborg (1480, län 14): unit ifo-vuxen 7 follow-ups opened, ifo-barn 2
  (a small count), and 2 in ifo-vuxen the year before (the comparison);
- Härryda (1401, län 14): 6; Partille (1402, län 14): 2;
- Stockholm (0180, län 01): 3.

One stack (scheduler, sessions, measurements, reporting) serves the module;
the tests run in order and build on each other (versions, comments, the
wheel, the nation).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime

import grpc
import pytest

from services.reporting.adapters.triggers import (
    AGGREGATE_STEP,
    COMPILE_UNITS_STEP,
    LOKE_TEMPLATE,
    year_compiled,
)
from services.reporting.domain.compiled import (
    CompiledReport,
    Figure,
    InputRef,
    SuppressedFigure,
    Table,
    inputs_checksum,
)
from services.scheduler.domain.templates import LOKE
from shared.api import clients_pb2 as cpb
from shared.api import clients_pb2_grpc as cpb_grpc
from shared.api import knowledge_pb2 as kpb
from shared.api import knowledge_pb2_grpc as kpb_grpc
from shared.api import measurements_pb2 as mpb
from shared.api import reports_pb2 as pb
from shared.api import scheduler_pb2 as spb
from shared.api import sessions_pb2 as sespb
from shared.clock import STOCKHOLM
from shared.events.envelope import EventEnvelope
from shared.events.reporting import ReportCompiled
from shared.events.scheduler import WheelStepDue
from shared.roles import Role
from tests.support import reports
from tests.support.kafka import read_topic
from tests.support.measurements import Case, Measurements, send_case
from tests.support.reports import (
    Stack,
    clients_projected,
    eventually,
    refused,
    stack_with_cases,
    table,
    value,
)
from tests.support.service import AuthorisedStub
from tests.support.sessions import Client as SessionsClient

YEAR = 2025
CLOCK_START = datetime(2026, 4, 1, tzinfo=STOCKHOLM)
GBG, HARRYDA, PARTILLE, STHLM = "1480", "1401", "1402", "0180"
VUXEN, BARN = "ifo-vuxen", "ifo-barn"
#: A valid personal identity number (Skatteverket's own example).
PERSONNUMMER = "19811218-9876"


def case(n: int, unit: str, opened: date, group: str = "missbruk") -> Case:
    return Case(
        client=f"K-{opened.year}-{n:03d}",
        group=group,
        gender="female" if n % 2 else "male",
        age_band="35-44",
        problems=("alkohol",),
        opened_on=opened,
        unit=unit,
    )


CASES: dict[str, list[Case]] = {
    GBG: [case(i, VUXEN, date(2025, 9, 1 + i)) for i in range(7)]
    + [case(i, BARN, date(2025, 10, 1 + i), group="barn") for i in range(2)]
    + [case(i, VUXEN, date(2024, 9, 1 + i)) for i in range(2)],
    HARRYDA: [case(i, "ifo", date(2025, 6, 1 + i)) for i in range(6)],
    PARTILLE: [case(i, "ifo", date(2025, 7, 1 + i)) for i in range(2)],
    STHLM: [case(i, "socialtjanst", date(2025, 8, 1 + i)) for i in range(3)],
}
LATE_CASE = case(99, VUXEN, date(2025, 11, 3))


def opened_in(cases: list[Case], year: int, unit: str | None = None) -> int:
    """Follow-ups opened in follow-up year `year` (1 May – 30 April), by hand."""
    start, end = date(year, 5, 1), date(year + 1, 4, 30)
    return sum(1 for c in cases if start <= c.opened_on <= end and unit in (None, c.unit))


@pytest.fixture(scope="module")
async def stack(
    postgres_admin_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    home = tmp_path_factory.mktemp("compile")
    async with stack_with_cases(
        postgres_admin_url, kafka_bootstrap, home, CLOCK_START, CASES
    ) as stack:
        for tenant, cases in CASES.items():
            await projected(stack, tenant, sum(len(c.dated_events()) for c in cases))
        yield stack


async def projected(stack: Stack, tenant: str, events: int) -> None:
    """Wait until the clients read model holds `events` events of the tenant's two years."""
    await clients_projected(stack, tenant, events, (YEAR - 1, YEAR))


async def get_report(
    stack: Stack,
    tenant: str,
    role: Role,
    scope: str,
    *,
    unit: str | None = None,
    municipality: str = "",
    version: int = 0,
) -> tuple[pb.RenderedReport, CompiledReport]:
    return await reports.get_report(
        stack, tenant, role, scope, YEAR, unit=unit, municipality=municipality, version=version
    )


def suppressed(report: CompiledReport, table_id: str, row: str, column: str) -> bool:
    return isinstance(table(report, table_id).cell(row, column), SuppressedFigure)


def assert_column_protected(found: Table, column: str) -> None:
    """No suppressed cell of the column follows from its total and the published cells."""
    cells = [found.cell(row.key, column) for row in found.rows] + [found.cell("", column)]
    hidden = sum(1 for c in cells if isinstance(c, SuppressedFigure))
    assert hidden != 1, f"{found.table_id}.{column}: a lone suppressed cell is derivable"


async def compiled_events(stack: Stack) -> dict[uuid.UUID, ReportCompiled]:
    """Every ReportCompiled on reporting.events so far, by event id."""
    envelopes: list[EventEnvelope] = await read_topic(
        stack.settings.kafka_bootstrap or "",
        f"{stack.settings.topic_prefix}reporting.events",
        at_least=1,
    )
    return {
        e.event_id: ReportCompiled.model_validate(e.payload)
        for e in envelopes
        if e.type == ReportCompiled.event_type
    }


# --- compiling ----------------------------------------------------------------------------


async def test_compiling_a_unit_a_municipality_and_a_region(stack: Stack) -> None:
    follow_up = stack.reports(GBG, Role.FOLLOW_UP)
    unit = await follow_up.CompileReport(pb.CompileReportRequest(scope=f"unit:{VUXEN}", year=YEAR))
    municipality = await follow_up.CompileReport(
        pb.CompileReportRequest(scope=f"municipality:{GBG}", year=YEAR)
    )
    region = await stack.reports("region:14", Role.REGIONAL_SUPPORT).CompileReport(
        pb.CompileReportRequest(scope="region:14", year=YEAR)
    )
    for summary in (unit, municipality, region):
        assert (summary.version, summary.new_version) == (1, True)
    assert unit.municipality == GBG and municipality.municipality == GBG
    # Inputs: every event of the scope's two years (this and the one before).
    assert unit.input_count == sum(len(c.dated_events()) for c in CASES[GBG] if c.unit == VUXEN)
    assert municipality.input_count == sum(len(c.dated_events()) for c in CASES[GBG])
    assert region.input_count == sum(
        len(c.dated_events()) for t in (GBG, HARRYDA, PARTILLE) for c in CASES[t]
    )

    _, own = await get_report(stack, GBG, Role.FOLLOW_UP, f"unit:{VUXEN}")
    assert value(own, "clients.follow_ups", "", "opened") == opened_in(CASES[GBG], YEAR, VUXEN)
    previous = table(own, "clients.follow_ups").previous
    assert previous is not None
    last_year = previous.cell("", "opened")
    assert isinstance(last_year, Figure)
    assert last_year.n == opened_in(CASES[GBG], YEAR - 1, VUXEN)

    rendered, whole = await get_report(stack, GBG, Role.IFO_CHIEF, f"municipality:{GBG}")
    assert not rendered.disclosure_applied
    assert value(whole, "clients.follow_ups", "", "opened") == opened_in(CASES[GBG], YEAR)
    assert value(whole, "clients.members", BARN, "opened") == 2  # the owner sees small counts

    _, regional = await get_report(stack, "region:14", Role.REGIONAL_SUPPORT, "region:14")
    in_region = [c for t in (GBG, HARRYDA, PARTILLE) for c in CASES[t]]
    assert value(regional, "clients.follow_ups", "", "opened") == opened_in(in_region, YEAR)
    # The region's own table per municipality holds other owners' figures:
    # Partille's 2 is suppressed, and not alone in its column (the smaller of
    # the others, Härryda's 6, goes with it); Göteborg's 9 and the total stand.
    assert suppressed(regional, "clients.members", PARTILLE, "opened")
    assert suppressed(regional, "clients.members", HARRYDA, "opened")
    assert value(regional, "clients.members", GBG, "opened") == opened_in(CASES[GBG], YEAR)
    assert value(regional, "clients.members", "", "opened") == opened_in(in_region, YEAR)
    assert_column_protected(table(regional, "clients.members"), "opened")


async def test_compiling_again_with_nothing_new_keeps_the_version(stack: Stack) -> None:
    follow_up = stack.reports(GBG, Role.FOLLOW_UP)
    request = pb.CompileReportRequest(scope=f"municipality:{GBG}", year=YEAR)
    before = (
        await follow_up.ListReportVersions(
            pb.ListReportVersionsRequest(scope=f"municipality:{GBG}", year=YEAR)
        )
    ).versions
    again = await follow_up.CompileReport(request)
    assert not again.new_version
    assert (again.version, again.inputs_checksum, again.figures_checksum) == (
        before[-1].version,
        before[-1].inputs_checksum,
        before[-1].figures_checksum,
    )
    after = await follow_up.ListReportVersions(
        pb.ListReportVersionsRequest(scope=f"municipality:{GBG}", year=YEAR)
    )
    assert list(after.versions) == list(before)


async def test_the_region_reads_its_own_report_not_a_municipalitys(stack: Stack) -> None:
    """Each member figure reaches the region in one suppressed table only: a
    municipality's own report beside the region's totals would give away
    what the table by municipality hides."""
    rendered, region = await get_report(stack, "region:14", Role.REGIONAL_SUPPORT, "region:14")
    assert rendered.disclosure_applied
    assert region.disclosure is not None and region.disclosure.k == 5
    denied = grpc.StatusCode.PERMISSION_DENIED
    regional = stack.reports("region:14", Role.REGIONAL_SUPPORT)
    for scope, municipality in ((f"municipality:{GBG}", ""), (f"unit:{VUXEN}", GBG)):
        await refused(
            regional.GetReport(
                pb.GetReportRequest(
                    report=pb.ReportRef(scope=scope, municipality=municipality, year=YEAR)
                )
            ),
            denied,
            "scope",
        )


async def test_a_late_event_gives_a_new_version_and_the_old_one_stands(stack: Stack) -> None:
    scope = f"municipality:{GBG}"
    _, first = await get_report(stack, GBG, Role.FOLLOW_UP, scope)
    await send_case(stack.measurements(GBG, Role.FOLLOW_UP), LATE_CASE, GBG)
    await projected(stack, GBG, sum(len(c.dated_events()) for c in [*CASES[GBG], LATE_CASE]))

    compiled = await stack.reports(GBG, Role.FOLLOW_UP).CompileReport(
        pb.CompileReportRequest(scope=scope, year=YEAR)
    )
    assert (compiled.version, compiled.new_version) == (first.version + 1, True)
    assert compiled.inputs_checksum != first.inputs_checksum

    _, old = await get_report(stack, GBG, Role.FOLLOW_UP, scope, version=first.version)
    assert old == first
    _, new = await get_report(stack, GBG, Role.FOLLOW_UP, scope)
    assert new.version == compiled.version
    assert value(new, "clients.follow_ups", "", "opened") == opened_in(CASES[GBG], YEAR) + 1


async def test_a_comment_is_in_the_next_version(stack: Stack) -> None:
    manager = stack.reports(GBG, Role.UNIT_MANAGER, VUXEN)
    await refused(
        manager.RecordComment(
            pb.RecordCommentRequest(year=YEAR, comment=f"Klient {PERSONNUMMER} avbröt")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "comment",
    )
    await refused(
        stack.reports(GBG, Role.UNIT_MANAGER, BARN).RecordComment(
            pb.RecordCommentRequest(unit=VUXEN, year=YEAR, comment="Inte min enhet")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "unit",
    )
    reply = await manager.RecordComment(
        pb.RecordCommentRequest(
            year=YEAR,
            comment="Fler avslut med mål uppnådda än i fjol.",
            development_areas=["Uppföljning efter avslut", "Klientenkäten"],
        )
    )
    assert reply.comment_id

    compiled = await stack.reports(GBG, Role.FOLLOW_UP).CompileReport(
        pb.CompileReportRequest(scope=f"unit:{VUXEN}", year=YEAR)
    )
    assert compiled.new_version
    _, report = await get_report(stack, GBG, Role.UNIT_MANAGER, f"unit:{VUXEN}", unit=VUXEN)
    assert [(c.unit, c.comment, c.development_areas) for c in report.comments] == [
        (
            VUXEN,
            "Fler avslut med mål uppnådda än i fjol.",
            ("Uppföljning efter avslut", "Klientenkäten"),
        )
    ]
    # On the simulated clock with no wheel step seen yet: its start date.
    assert report.comments[0].recorded_on == CLOCK_START.date()


# --- who may do what --------------------------------------------------------------------


async def test_roles(stack: Stack) -> None:
    denied = grpc.StatusCode.PERMISSION_DENIED
    compile_gbg = pb.CompileReportRequest(scope=f"municipality:{GBG}", year=YEAR)
    await refused(stack.reports(GBG, Role.UNIT_MANAGER, VUXEN).CompileReport(compile_gbg), denied)
    await refused(stack.reports(HARRYDA, Role.FOLLOW_UP).CompileReport(compile_gbg), denied)
    await refused(
        stack.reports("region:14", Role.REGIONAL_SUPPORT).CompileReport(compile_gbg), denied
    )
    await refused(
        stack.reports("region:01", Role.REGIONAL_SUPPORT).CompileReport(
            pb.CompileReportRequest(scope="region:14", year=YEAR)
        ),
        denied,
    )

    def ref(scope: str, municipality: str = "") -> pb.GetReportRequest:
        return pb.GetReportRequest(
            report=pb.ReportRef(scope=scope, municipality=municipality, year=YEAR)
        )

    await refused(stack.reports(GBG, Role.UNIT_STAFF, BARN).GetReport(ref(f"unit:{VUXEN}")), denied)
    await refused(
        stack.reports("nation", Role.NATIONAL_ANALYST).GetReport(ref(f"municipality:{GBG}")),
        denied,
    )
    await refused(
        stack.reports("region:01", Role.REGIONAL_SUPPORT).GetReport(ref(f"municipality:{GBG}")),
        denied,
    )
    await refused(stack.reports("region:14", Role.OPERATOR).GetReport(ref("region:14")), denied)
    national = stack.reports("nation", Role.NATIONAL_ANALYST)
    await refused(national.GetReport(ref("region:14")), denied)

    follow_up = stack.reports(GBG, Role.FOLLOW_UP)
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    await refused(
        follow_up.GetReport(
            pb.GetReportRequest(report=ref(f"municipality:{GBG}").report, format="docx")
        ),
        invalid,
        "format",
    )
    await refused(
        follow_up.GetReport(
            pb.GetReportRequest(report=ref(f"municipality:{GBG}").report, lang="de")
        ),
        invalid,
        "lang",
    )
    await refused(follow_up.GetReport(ref("county:14")), invalid, "scope")
    await refused(
        follow_up.CompileReport(pb.CompileReportRequest(scope=f"municipality:{GBG}", year=1999)),
        invalid,
        "year",
    )
    await refused(follow_up.GetReport(ref("unit:ingen-sadan")), grpc.StatusCode.NOT_FOUND)


async def test_a_region_token_gets_no_individual_follow_up_or_session(stack: Stack) -> None:
    denied = grpc.StatusCode.PERMISSION_DENIED
    bearer = stack.bearer("region:14", Role.REGIONAL_SUPPORT)
    measurements = Measurements(stack.channels["measurements"], bearer)
    listed = await stack.measurements(GBG, Role.FOLLOW_UP).ListFollowUps(
        mpb.ListFollowUpsRequest(tenant=GBG)
    )
    one = listed.follow_ups[0].follow_up_id
    await refused(measurements.ListFollowUps(mpb.ListFollowUpsRequest(tenant=GBG)), denied)
    await refused(measurements.GetFollowUp(mpb.GetFollowUpRequest(follow_up_id=one)), denied)
    sessions = SessionsClient(stack.channels["sessions"], bearer)
    await refused(sessions.ListWorkGroups(sespb.ListWorkGroupsRequest(tenant=GBG)), denied)
    await refused(
        sessions.ListSessions(sespb.ListSessionsRequest(tenant=GBG, work_group_id="g")), denied
    )
    knowledge = AuthorisedStub(kpb_grpc.KnowledgeStub(stack.channels["reporting"]), bearer)
    await refused(
        knowledge.GetKnowledgeReport(kpb.KnowledgeReportRequest(tenant=GBG, year=YEAR)), denied
    )
    clients = AuthorisedStub(cpb_grpc.ClientReportsStub(stack.channels["reporting"]), bearer)
    await refused(clients.GetClientReport(cpb.ClientReportRequest(tenant=GBG, year=YEAR)), denied)


async def test_streaming_a_regions_reports(stack: Stack) -> None:
    request = pb.StreamRegionReportsRequest(region="14", year=YEAR)
    pulled = [r async for r in stack.stream("region:14", Role.REGIONAL_SUPPORT, request)]
    assert [(r.summary.scope, r.disclosure_applied) for r in pulled] == [("region:14", True)]
    own = [r async for r in stack.stream(GBG, Role.FOLLOW_UP, request)]
    assert [(r.summary.scope, r.summary.municipality) for r in own] == [
        (f"municipality:{GBG}", GBG),
        (f"unit:{VUXEN}", GBG),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        _ = [r async for r in stack.stream("nation", Role.NATIONAL_ANALYST, request)]
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        _ = [r async for r in stack.stream("region:01", Role.REGIONAL_SUPPORT, request)]
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


# --- the wheel and the nation ---------------------------------------------------------------


async def test_the_loke_wheel_compiles_and_announces_report_compiled(stack: Stack) -> None:
    follow_up = stack.scheduler(GBG, Role.FOLLOW_UP)
    created = await follow_up.CreateWheel(
        spb.CreateWheelRequest(tenant=GBG, unit=VUXEN, template="loke-rapporteringshjul")
    )
    operator = stack.scheduler("region:14", Role.OPERATOR)
    known = set(await compiled_events(stack))

    async def new_events() -> list[ReportCompiled]:
        return [e for i, e in (await compiled_events(stack)).items() if i not in known]

    await operator.AdvanceClock(spb.AdvanceClockRequest(to="2026-05-17T12:00:00+02:00"))
    municipal: list[ReportCompiled] = []

    async def compiled_per_unit() -> bool:
        municipal[:] = [
            e
            for e in await new_events()
            if e.step is not None and e.step.step_id == "sammanstallning-enhet"
        ]
        return bool(municipal)

    await eventually(compiled_per_unit, "ReportCompiled answering sammanstallning-enhet")
    (answer,) = municipal
    assert (answer.scope, answer.year, answer.aggregate) == (f"municipality:{GBG}", YEAR, None)
    assert answer.step is not None and answer.step.wheel_id == created.wheel_id
    assert answer.step.occurrence_date == date(2026, 5, 16)
    # Both units were compiled before it (ifo-barn for the first time).
    versions = await stack.reports(GBG, Role.FOLLOW_UP).ListReportVersions(
        pb.ListReportVersionsRequest(scope=f"unit:{BARN}", year=YEAR)
    )
    assert [v.version for v in versions.versions] == [1]

    await operator.AdvanceClock(spb.AdvanceClockRequest(to="2026-10-02T12:00:00+02:00"))
    aggregation: list[ReportCompiled] = []
    regional: list[ReportCompiled] = []

    async def aggregated() -> bool:
        events = await new_events()
        aggregation[:] = [
            e for e in events if e.step is not None and e.step.step_id == "aggregering-ledning"
        ]
        regional[:] = [e for e in events if e.scope == "region:14"]
        return bool(aggregation and regional)

    await eventually(aggregated, "the municipality (with the step) and its region")
    assert [e.scope for e in aggregation] == [f"municipality:{GBG}"]
    (region,) = regional
    assert region.step is None and region.aggregate is not None
    assert region.report_version == 2  # the late case is new to the region


async def test_the_nation_is_compiled_from_the_regions_events_alone(stack: Stack) -> None:
    await stack.reports("region:01", Role.REGIONAL_SUPPORT).CompileReport(
        pb.CompileReportRequest(scope="region:01", year=YEAR)
    )
    regions: dict[str, tuple[int, InputRef]] = {}

    async def both_regions() -> bool:
        envelopes = await read_topic(
            stack.settings.kafka_bootstrap or "",
            f"{stack.settings.topic_prefix}reporting.events",
            at_least=1,
        )
        for envelope in envelopes:
            if envelope.type != ReportCompiled.event_type:
                continue
            payload = ReportCompiled.model_validate(envelope.payload)
            if payload.scope.startswith("region:") and payload.year == YEAR:
                known = regions.get(payload.scope)
                if known is None or known[0] < payload.report_version:
                    regions[payload.scope] = (payload.report_version, InputRef.of(envelope))
        return set(regions) == {"region:01", "region:14"}

    await eventually(both_regions, "both regions' ReportCompiled on reporting.events")
    nation = await stack.reports("nation", Role.NATIONAL_ANALYST).CompileReport(
        pb.CompileReportRequest(scope="nation", year=YEAR)
    )
    assert nation.input_count == 2
    assert nation.inputs_checksum == inputs_checksum(ref for _, ref in regions.values())[0]

    _, report = await get_report(stack, "nation", Role.NATIONAL_ANALYST, "nation")
    everyone = [c for cases in CASES.values() for c in cases] + [LATE_CASE]
    assert value(report, "clients.follow_ups", "", "opened") == opened_in(everyone, YEAR)
    # Stockholm's 3 is one region's small count: suppressed even for the nation,
    # and with two regions the other goes with it; the total stands.
    assert suppressed(report, "clients.members", "01", "opened")
    assert suppressed(report, "clients.members", "14", "opened")
    assert value(report, "clients.members", "", "opened") == opened_in(everyone, YEAR)
    assert_column_protected(table(report, "clients.members"), "opened")


def test_the_triggers_know_the_loke_templates_compile_steps() -> None:
    steps = {step.step_id for step in LOKE.plan}
    assert LOKE.template_id == LOKE_TEMPLATE
    assert {COMPILE_UNITS_STEP, AGGREGATE_STEP} <= steps
    # The year compiled is the one that ended on 30 April before the step.
    for day, year in ((date(2026, 5, 16), 2025), (date(2026, 10, 1), 2025)):
        assert year_compiled(_due(day)) == year


def _due(day: date) -> WheelStepDue:
    opens = datetime.combine(day, datetime.min.time(), tzinfo=STOCKHOLM)
    return WheelStepDue(
        wheel_id="w",
        step_id=COMPILE_UNITS_STEP,
        occurrence_date=day,
        opens_at=opens,
        deadline_at=opens,
        role=Role.FOLLOW_UP,
        title_sv="t",
        title_en="t",
        unit=VUXEN,
    )
