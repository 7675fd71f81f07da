"""A follow-up year of three municipalities in two regions, compiled per municipality,
region and nation, checked against figures worked out here, with disclosure control
attacked by brute force.

Follow-up year 2025 (1 May 2025 – 30 April 2026), chosen by hand so that some
cells are small (1 … 4, k = 5) and some are not:

- Göteborg (1480, län 14): ifo-vuxen 8 follow-ups (missbruk; 7 closed with
  AUDIT at intake and exit, a goal assessed and the intervention ended),
  ifo-barn 2 (barn och unga, open); work group `vuxen` holds 5 sessions;
- Kungälv (1482, län 14): 6 follow-ups, 2 closed; work group `ifo` holds 2;
- Halmstad (1380, län 13): 7 follow-ups, 3 closed.

So the region's table per municipality has Kungälv's closed, RCI and goal
counts (2) small, and the nation's table per region Halland's (3).

One stack (scheduler, sessions, measurements, reporting) serves the module,
and a second reporting process on an empty database compiles the nation from
nothing but the regions' ReportCompiled events.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import grpc
import pytest

from services.reporting.domain.compiled import CompiledReport
from shared.api import clients_pb2 as cpb
from shared.api import clients_pb2_grpc as cpb_grpc
from shared.api import knowledge_pb2 as kpb
from shared.api import knowledge_pb2_grpc as kpb_grpc
from shared.api import measurements_pb2 as mpb
from shared.api import reports_pb2 as pb
from shared.api import reports_pb2_grpc as pb_grpc
from shared.api import sessions_pb2 as sespb
from shared.clock import STOCKHOLM
from shared.embedded.postgres import create_database, database_url_for, drop_database
from shared.embedded.tansu import free_port
from shared.events.envelope import EventEnvelope
from shared.events.reporting import ReportCompiled
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.integration.test_knowledge_report import publish
from tests.support import reports
from tests.support.kafka import read_topic
from tests.support.measurements import Case, Measurements, change_class
from tests.support.reports import (
    TOPICS,
    Stack,
    assert_nothing_recoverable,
    clients_projected,
    eventually,
    hidden_cells,
    refused,
    stack_with_cases,
    table,
    value,
)
from tests.support.service import AuthorisedStub, ServiceProcess, migrate
from tests.support.sessions import Client as SessionsClient

YEAR = 2025
CLOCK_START = datetime(2026, 5, 10, tzinfo=STOCKHOLM)
GBG, KUNGALV, HALMSTAD = "1480", "1482", "1380"
REGION_OF = {GBG: "14", KUNGALV: "14", HALMSTAD: "13"}
AUDIT_GOAL = ("Minska riskabel alkoholkonsumtion", "audit")
K = 5
FL = "flyttningsforbud"


def closed_case(
    client: str, unit: str, opened: date, audit: tuple[int, int], goal: str, ended: str
) -> Case:
    return Case(
        client=client,
        group="missbruk",
        gender="female" if int(client[-1]) % 2 else "male",
        age_band="35-44",
        problems=("alkohol",),
        opened_on=opened,
        goal=AUDIT_GOAL,
        audit=audit,
        intervention="MI-samtal",
        intervention_outcome=ended,
        goal_outcome=goal,
        exit_on=date(2026, 1, 15),
        closed_on=date(2026, 2, 2),
        unit=unit,
    )


def open_case(client: str, unit: str, opened: date, group: str, intake: int | None) -> Case:
    return Case(
        client=client,
        group=group,
        gender="male" if int(client[-1]) % 2 else "female",
        age_band="25-34",
        problems=("boende",) if intake is None else ("alkohol", "boende"),
        opened_on=opened,
        audit=None if intake is None else (intake, None),
        unit=unit,
    )


# (audit intake, exit), goal outcome, intervention outcome
GBG_CLOSED = [
    ((20, 5), "achieved", "completed"),  # recovered
    ((18, 6), "achieved", "completed"),  # recovered
    ((25, 12), "partly_achieved", "completed"),  # improved, still above the cut-off
    ((15, 14), "not_achieved", "ended_early"),  # unchanged
    ((10, 18), "not_achieved", "ended_early"),  # deteriorated
    ((22, 9), "achieved", "completed"),  # improved
    ((12, 3), "achieved", "completed"),  # recovered
]
CASES: dict[str, list[Case]] = {
    GBG: [
        closed_case(f"GBG-{i}", "ifo-vuxen", date(2025, 6, 2 + i), audit, goal, ended)
        for i, (audit, goal, ended) in enumerate(GBG_CLOSED)
    ]
    + [open_case("GBG-8", "ifo-vuxen", date(2025, 9, 1), "missbruk", 17)]
    + [open_case(f"GBG-B{i}", "ifo-barn", date(2025, 10, 1 + i), "barn och unga", None)
       for i in range(2)],
    KUNGALV: [
        closed_case("KUN-0", "ifo", date(2025, 7, 1), (16, 4), "achieved", "completed"),
        closed_case("KUN-1", "ifo", date(2025, 7, 2), (9, 9), "not_achieved", "ended_early"),
    ]
    + [open_case(f"KUN-{i}", "ifo", date(2025, 8, i), "missbruk", 10 + i) for i in range(2, 6)],
    HALMSTAD: [
        closed_case("HAL-0", "socialtjanst", date(2025, 5, 20), (30, 10), "partly_achieved",
                    "completed"),
        closed_case("HAL-1", "socialtjanst", date(2025, 5, 21), (14, 6), "achieved",
                    "completed"),
        closed_case("HAL-2", "socialtjanst", date(2025, 5, 22), (11, 20), "not_achieved",
                    "ended_early"),
    ]
    + [open_case(f"HAL-{i}", "socialtjanst", date(2025, 11, i), "missbruk", 8 + i)
       for i in range(3, 7)],
}  # fmt: skip

#: Knowledge follow-up: (municipality, unit, work group, members, session days).
WORK_GROUPS = [
    (GBG, "ifo-vuxen", "vuxen", ("a1", "a2", "a3", "a4", "a5", "a6"),
     [date(2025, 6, 3), date(2025, 8, 5), date(2025, 9, 2), date(2025, 11, 4), date(2026, 2, 3)]),
    (KUNGALV, "ifo", "ifo", ("b1", "b2", "b3"), [date(2025, 9, 9), date(2026, 3, 3)]),
]  # fmt: skip


# --- the expected figures, by plain formulas over the data above --------------------


def in_year(day: date | None) -> bool:
    return day is not None and date(YEAR, 5, 1) <= day <= date(YEAR + 1, 4, 30)


def expected_clients(cases: list[Case]) -> dict[str, Any]:
    """The figures of the tables checked, by hand over `cases`."""
    exits = [c for c in cases if c.audit and c.audit[1] is not None and in_year(c.exit_on)]
    assessed = [c.goal_outcome for c in cases if c.goal_outcome and in_year(c.exit_on)]
    ended = [c.intervention_outcome for c in cases if c.intervention_outcome]
    intakes = [c.audit[0] for c in cases if c.audit and in_year(c.opened_on)]
    exit_levels = [c.audit[1] for c in exits if c.audit and c.audit[1] is not None]
    return {
        "opened": Counter(c.group for c in cases if in_year(c.opened_on)),
        "closed": Counter(c.group for c in cases if in_year(c.closed_on)),
        "rci": Counter(
            change_class("audit", c.audit[0], c.audit[1])
            for c in exits
            if c.audit and c.audit[1] is not None
        ),
        "goals": Counter((c.group, c.goal_outcome) for c in cases if c.goal_outcome),
        "assessed": len(assessed),
        "achieved": Fraction(assessed.count("achieved"), len(assessed)) if assessed else None,
        "ended": len(ended),
        "completed": Fraction(ended.count("completed"), len(ended)) if ended else None,
        "intake": (len(intakes), Fraction(sum(intakes), len(intakes))),
        "exit": (len(exit_levels), Fraction(sum(exit_levels), len(exit_levels))),
    }


def members_row(cases: list[Case]) -> dict[str, int]:
    """A member's row of `clients.members`: opened, closed, exits with an RCI class, goals."""
    figures = expected_clients(cases)
    return {
        "opened": sum(figures["opened"].values()),
        "closed": sum(figures["closed"].values()),
        "rci": sum(figures["rci"].values()),
        "goals": figures["assessed"],
    }


def members_truth(rows: dict[str, list[Case]]) -> dict[tuple[str, str], int]:
    """Every cell of a `clients.members` table with its column totals, by key."""
    truth: dict[tuple[str, str], int] = {}
    for key, cases in rows.items():
        for column, n in members_row(cases).items():
            truth[(key, column)] = n
            truth[("", column)] = truth.get(("", column), 0) + n
    return truth


def of(*tenants: str) -> list[Case]:
    return [c for t in tenants for c in CASES[t]]


def sessions_of(*tenants: str) -> int:
    return sum(len(days) for t, *_, days in WORK_GROUPS if t in tenants)


# --- the stack ------------------------------------------------------------------------


async def record_work_group(
    stack: Stack, tenant: str, unit: str, group: str, members: tuple[str, ...], days: list[date]
) -> None:
    manager = SessionsClient(
        stack.channels["sessions"], stack.bearer(tenant, Role.UNIT_MANAGER, unit)
    )
    await manager.FormWorkGroup(
        sespb.FormWorkGroupRequest(
            tenant=tenant, work_group_id=group, unit=unit, name=group.capitalize(), forums=["apt"]
        )
    )
    for member in members:
        await manager.JoinWorkGroup(
            sespb.JoinWorkGroupRequest(
                tenant=tenant,
                work_group_id=group,
                member_id=member,
                display_name=member.upper(),
                joined_on="2025-05-01",
            )
        )
    await manager.ChooseRelevantParts(
        sespb.ChooseRelevantPartsRequest(
            tenant=tenant, work_group_id=group, parts=[FL], valid_from="2025-05-01"
        )
    )
    for n, day in enumerate(days):
        await manager.RecordSession(
            sespb.RecordSessionRequest(
                tenant=tenant,
                work_group_id=group,
                session_id=f"{group}-{n}",
                session=sespb.SessionContent(
                    held_on=day.isoformat(),
                    forum="apt",
                    participants=list(members),
                    taken_part=[
                        sespb.PartUptake(member_id=members[n % len(members)], part=FL,
                                         taken_part=True)
                    ],
                    cases=[sespb.PartCases(part=FL, cases=1)],
                ),
            )
        )  # fmt: skip


@pytest.fixture(scope="module")
async def stack(
    postgres_admin_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    home = tmp_path_factory.mktemp("region-nation")
    async with stack_with_cases(
        postgres_admin_url, kafka_bootstrap, home, CLOCK_START, CASES
    ) as stack:
        for tenant, unit, group, members, days in WORK_GROUPS:
            await record_work_group(stack, tenant, unit, group, members, days)
        for tenant, cases in CASES.items():
            await clients_projected(
                stack, tenant, sum(len(c.dated_events()) for c in cases), (YEAR,)
            )
        yield stack


async def get_report(
    stack: Stack, tenant: str, role: Role, scope: str
) -> tuple[pb.RenderedReport, CompiledReport]:
    return await reports.get_report(stack, tenant, role, scope, YEAR)


def primary(truth: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    """The cells of 1 … k − 1: suppressed whatever else is."""
    return {key for key, n in truth.items() if 0 < n < K}


# --- municipalities --------------------------------------------------------------------


async def test_a_municipality_sees_its_own_figures_whole(stack: Stack) -> None:
    for tenant in (GBG, KUNGALV, HALMSTAD):
        compiled = await stack.reports(tenant, Role.FOLLOW_UP).CompileReport(
            pb.CompileReportRequest(scope=f"municipality:{tenant}", year=YEAR)
        )
        assert (compiled.version, compiled.new_version) == (1, True)
    rendered, own = await get_report(stack, GBG, Role.FOLLOW_UP, f"municipality:{GBG}")
    assert not rendered.disclosure_applied and own.disclosure is None
    expected = expected_clients(CASES[GBG])

    follow_ups = table(own, "clients.follow_ups")
    for group in ("missbruk", "barn och unga"):
        assert value(own, "clients.follow_ups", group, "opened") == expected["opened"][group]
        assert value(own, "clients.follow_ups", group, "closed") == expected["closed"][group]
    assert [h.key for h in follow_ups.rows] == sorted(expected["opened"])
    assert value(own, "clients.follow_ups", "", "opened") == 10
    assert value(own, "clients.follow_ups", "", "closed") == 7

    for change in ("recovered", "improved", "unchanged", "deteriorated"):
        assert value(own, "clients.rci", "audit", change) == expected["rci"][change]
    assert expected["rci"] == Counter(recovered=3, improved=2, unchanged=1, deteriorated=1)

    for (group, outcome), n in expected["goals"].items():
        assert value(own, "clients.goals", group, outcome) == n
    outcomes = table(own, "clients.outcomes")
    goals, interventions = outcomes.cell("goals", "share"), outcomes.cell("interventions", "share")
    assert value(own, "clients.outcomes", "goals", "n") == expected["assessed"]
    assert goals is not None and goals.status == "value" and goals.value == expected["achieved"]
    assert interventions is not None and interventions.status == "value"
    assert interventions.value == expected["completed"] == Fraction(5, 7)

    levels = table(own, "clients.levels")
    for occasion in ("intake", "exit"):
        n, average = expected[occasion]
        assert value(own, "clients.levels", "audit", f"{occasion}_n") == n
        found = levels.cell("audit", f"{occasion}_mean")
        assert found is not None and found.status == "value" and found.value == average

    # The owner's table per unit shows its small counts.
    assert value(own, "clients.members", "ifo-barn", "opened") == 2
    assert value(own, "clients.members", "ifo-vuxen", "closed") == 7
    assert value(own, "knowledge.summary", "sessions", "n") == sessions_of(GBG)
    assert value(own, "knowledge.summary", "work_groups", "n") == 1

    # Kungälv's follow-up function sees Kungälv's small counts too.
    _, kungalv = await get_report(stack, KUNGALV, Role.FOLLOW_UP, f"municipality:{KUNGALV}")
    assert value(kungalv, "clients.follow_ups", "", "closed") == 2
    assert value(kungalv, "knowledge.summary", "sessions", "n") == 2


# --- the region ------------------------------------------------------------------------


async def test_the_region_is_the_sum_of_its_municipalities_and_hides_small_ones(
    stack: Stack,
) -> None:
    regional = stack.reports("region:14", Role.REGIONAL_SUPPORT)
    compiled = await regional.CompileReport(pb.CompileReportRequest(scope="region:14", year=YEAR))
    assert compiled.new_version
    _, region = await get_report(stack, "region:14", Role.REGIONAL_SUPPORT, "region:14")
    both = expected_clients(of(GBG, KUNGALV))
    for column in ("opened", "closed"):
        for group, n in both[column].items():
            assert value(region, "clients.follow_ups", group, column) == n
        assert value(region, "clients.follow_ups", "", column) == sum(both[column].values())
    for change, n in both["rci"].items():
        assert value(region, "clients.rci", "audit", change) == n
    assert value(region, "knowledge.summary", "sessions", "n") == sessions_of(GBG, KUNGALV)

    # The table per municipality: Kungälv's 2s are primary, and nothing hidden
    # can be worked out from what is published.
    members = table(region, "clients.members")
    truth = members_truth({GBG: CASES[GBG], KUNGALV: CASES[KUNGALV]})
    hidden = hidden_cells(members)
    assert primary(truth) == {(KUNGALV, "closed"), (KUNGALV, "rci"), (KUNGALV, "goals")}
    assert primary(truth) <= hidden
    for key, n in truth.items():
        if key not in hidden:
            assert value(region, "clients.members", *key) == n, key
    assert (GBG, "opened") not in hidden and (KUNGALV, "opened") not in hidden
    assert_nothing_recoverable(members, truth)

    sessions = table(region, "knowledge.members")
    sessions_truth = {(GBG, "sessions"): 5, (KUNGALV, "sessions"): 2, ("", "sessions"): 7}
    assert (KUNGALV, "sessions") in hidden_cells(sessions)
    assert_nothing_recoverable(
        sessions,
        {
            **{(r.key, c.key): 0 for r in sessions.rows for c in sessions.columns},
            **{("", c.key): 0 for c in sessions.columns},
            **sessions_truth,
        },
    )


async def test_the_region_reads_no_members_own_report(stack: Stack) -> None:
    """Göteborg's 7 closed is hidden in the region's table to protect Kungälv's 2.
    Were the region to read 7 in Göteborg's own report, the region's 9 less 7 would
    give Kungälv's 2 back: so a member's figures reach the region in the region's
    table only, and the members read their own reports whole."""
    await stack.reports("region:14", Role.REGIONAL_SUPPORT).CompileReport(
        pb.CompileReportRequest(scope="region:14", year=YEAR)
    )
    _, region = await get_report(stack, "region:14", Role.REGIONAL_SUPPORT, "region:14")
    assert (GBG, "closed") in hidden_cells(table(region, "clients.members"))
    regional = stack.reports("region:14", Role.REGIONAL_SUPPORT)
    for member in (GBG, KUNGALV):
        await refused(
            regional.GetReport(
                pb.GetReportRequest(report=pb.ReportRef(scope=f"municipality:{member}", year=YEAR))
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    bearer = stack.bearer("region:14", Role.REGIONAL_SUPPORT)
    stream = pb_grpc.ReportsStub(stack.channels["reporting"]).StreamRegionReports(
        pb.StreamRegionReportsRequest(region="14", year=YEAR),
        metadata=(("authorization", f"Bearer {bearer}"),),
    )
    pulled = [r async for r in stream]
    assert [r.summary.scope for r in pulled] == ["region:14"]
    rendered, own = await get_report(stack, KUNGALV, Role.IFO_CHIEF, f"municipality:{KUNGALV}")
    assert not rendered.disclosure_applied
    assert value(own, "clients.follow_ups", "", "closed") == 2
    assert value(own, "clients.rci", "audit", "recovered") == 1


# --- who may read what --------------------------------------------------------------------


async def test_the_region_gets_no_individual_follow_up_or_session(stack: Stack) -> None:
    denied = grpc.StatusCode.PERMISSION_DENIED
    bearer = stack.bearer("region:14", Role.REGIONAL_SUPPORT)
    own = Measurements(stack.channels["measurements"], stack.bearer(GBG, Role.FOLLOW_UP))
    one = (await own.ListFollowUps(mpb.ListFollowUpsRequest(tenant=GBG))).follow_ups[0]
    measurements = Measurements(stack.channels["measurements"], bearer)
    await refused(measurements.ListFollowUps(mpb.ListFollowUpsRequest(tenant=GBG)), denied)
    await refused(
        measurements.GetFollowUp(mpb.GetFollowUpRequest(follow_up_id=one.follow_up_id)), denied
    )
    await refused(
        measurements.GetSeries(mpb.GetSeriesRequest(follow_up_id=one.follow_up_id, goal_id="g1")),
        denied,
    )
    sessions = SessionsClient(stack.channels["sessions"], bearer)
    await refused(sessions.ListWorkGroups(sespb.ListWorkGroupsRequest(tenant=GBG)), denied)
    await refused(
        sessions.GetWorkGroup(sespb.GetWorkGroupRequest(tenant=GBG, work_group_id="vuxen")),
        denied,
    )
    await refused(
        sessions.ListSessions(sespb.ListSessionsRequest(tenant=GBG, work_group_id="vuxen")),
        denied,
    )
    knowledge = AuthorisedStub(kpb_grpc.KnowledgeStub(stack.channels["reporting"]), bearer)
    await refused(
        knowledge.GetKnowledgeReport(kpb.KnowledgeReportRequest(tenant=GBG, year=YEAR)), denied
    )
    clients = AuthorisedStub(cpb_grpc.ClientReportsStub(stack.channels["reporting"]), bearer)
    await refused(
        clients.GetClientReport(cpb.ClientReportRequest(tenant=KUNGALV, year=YEAR)), denied
    )
    # A unit, a municipality or a region outside region 14.
    regional = stack.reports("region:14", Role.REGIONAL_SUPPORT)
    for scope, municipality in (
        ("unit:socialtjanst", HALMSTAD),
        (f"municipality:{HALMSTAD}", ""),
        ("region:13", ""),
    ):
        await refused(
            regional.GetReport(
                pb.GetReportRequest(
                    report=pb.ReportRef(scope=scope, municipality=municipality, year=YEAR)
                )
            ),
            denied,
        )


# --- the nation ------------------------------------------------------------------------------


async def region_events(settings: Settings) -> list[EventEnvelope]:
    """The latest region ReportCompiled of each region, once both regions' are there."""
    latest: dict[str, EventEnvelope] = {}

    async def both() -> bool:
        envelopes = await read_topic(
            settings.kafka_bootstrap or "", f"{settings.topic_prefix}reporting.events", at_least=1
        )
        for envelope in envelopes:
            if envelope.type != ReportCompiled.event_type:
                continue
            payload = ReportCompiled.model_validate(envelope.payload)
            if not payload.scope.startswith("region:") or payload.year != YEAR:
                continue
            known = latest.get(payload.scope)
            if known is None or known.aggregate_version < envelope.aggregate_version:
                latest[payload.scope] = envelope
        return set(latest) == {"region:13", "region:14"}

    await eventually(both, "both regions' ReportCompiled on reporting.events")
    return [latest[s] for s in sorted(latest)]


async def test_the_nation_sums_every_municipality_from_report_compiled_alone(
    stack: Stack, postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    await stack.reports("region:13", Role.REGIONAL_SUPPORT).CompileReport(
        pb.CompileReportRequest(scope="region:13", year=YEAR)
    )
    regions = await region_events(stack.settings)
    national = await stack.reports("nation", Role.NATIONAL_ANALYST).CompileReport(
        pb.CompileReportRequest(scope="nation", year=YEAR)
    )
    assert national.input_count == 2
    _, nation = await get_report(stack, "nation", Role.NATIONAL_ANALYST, "nation")
    everyone = expected_clients(of(GBG, KUNGALV, HALMSTAD))
    for column in ("opened", "closed"):
        assert value(nation, "clients.follow_ups", "", column) == sum(everyone[column].values())
    for change, n in everyone["rci"].items():
        assert value(nation, "clients.rci", "audit", change) == n
    truth = members_truth({"13": CASES[HALMSTAD], "14": of(GBG, KUNGALV)})
    members = table(nation, "clients.members")
    assert primary(truth) == {("13", "closed"), ("13", "rci"), ("13", "goals")}
    assert primary(truth) <= hidden_cells(members)
    assert_nothing_recoverable(members, truth)

    # A national instance: a reporting process on an empty database whose
    # topics hold the regions' ReportCompiled events and nothing else.
    home = tmp_path_factory.mktemp("national")
    (home / stack.settings.secret_file().name).write_bytes(
        stack.settings.secret_file().read_bytes()
    )
    name = f"t_{uuid.uuid4().hex}"
    await create_database(postgres_admin_url, name)
    settings = stack.settings.model_copy(
        update={
            "home": home,
            "database_url": database_url_for(postgres_admin_url, name),
            "topic_prefix": f"t{uuid.uuid4().hex[:8]}.",
        }
    )
    bootstrap = settings.kafka_bootstrap or ""
    await ensure_topics(bootstrap, [f"{settings.topic_prefix}{t}" for t in TOPICS], 4)
    await publish(bootstrap, f"{settings.topic_prefix}reporting.events", regions)
    process = ServiceProcess("reporting", settings, free_port(), home / "reporting.log")
    try:
        migrate(settings, "reporting")
        await process.start()
        stack.channels["national"] = grpc.aio.insecure_channel(process.address)
        again = stack.reports("nation", Role.NATIONAL_ANALYST, channel="national")
        compiled = await again.CompileReport(pb.CompileReportRequest(scope="nation", year=YEAR))
        assert (compiled.inputs_checksum, compiled.figures_checksum) == (
            national.inputs_checksum,
            national.figures_checksum,
        )
    finally:
        if "national" in stack.channels:
            await stack.channels.pop("national").close()
        process.stop()
        await drop_database(postgres_admin_url, name)
