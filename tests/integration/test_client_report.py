"""The client report end to end: a unit's follow-up year of 40 follow-ups, recorded
over gRPC, projected by the reporting service, compared figure by figure with
plain formulas; then the SIGKILL of reporting mid-projection."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import grpc
import pytest

from shared.api import clients_pb2 as cpb
from shared.api import measurements_pb2 as pb
from shared.embedded.tansu import free_port
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support.measurements import (
    Case,
    Measurements,
    Reports,
    assert_report,
    events_in_year,
    generated_cases,
    migrate,
    run_cli,
    send_cases,
    wait_for_events,
    write_stack_file,
)
from tests.support.service import ServiceProcess, token

YEAR = 2025
ALCOHOL = ("Minska riskabel alkoholkonsumtion", "audit")
WORK = ("Ökad närvaro i arbetsmarknadsprojekt", "narvarodagar")
LIFE = ("Bättre livssituation", "livssituation")
RP, MI, AT, SS = "Återfallsprevention", "MI-samtal", "Arbetsträning", "Stödsamtal"


def d(text: str) -> date:
    return date.fromisoformat(text)


def case(
    client: str,
    group: str,
    gender: str | None,
    age: str | None,
    problems: str,
    opened: str,
    goal: tuple[str, str] | None,
    audit: tuple[int, int | None] | None,
    life: tuple[int, int | None] | None,
    intervention: tuple[str, str | None] | None,
    goal_outcome: str | None,
    survey: tuple[int, int] | None,
    exit_on: str | None,
    closed: str | None,
    unit: str = "ifo-vuxen",
) -> Case:
    return Case(
        client=client,
        group=group,
        gender=gender,
        age_band=age,
        problems=tuple(problems.split(";")),
        opened_on=d(opened),
        goal=goal,
        audit=audit,
        life=life,
        intervention=intervention[0] if intervention else None,
        intervention_outcome=intervention[1] if intervention else None,
        goal_outcome=goal_outcome,
        survey={"bemotande": survey[0], "insatser": survey[1]} if survey else {},
        exit_on=d(exit_on) if exit_on else None,
        closed_on=d(closed) if closed else None,
        unit=unit,
    )


M, F, X = "male", "female", "other"
MB, AR, VR = "missbruk", "arbete och försörjning", "våld i nära relation"
ACH, PART, NOT = "achieved", "partly_achieved", "not_achieved"
DONE, EARLY = "completed", "ended_early"

# fmt: off
# The unit ifo-vuxen's follow-up year 2025 (1 May 2025 – 30 April 2026): 40 follow-ups
# opened in the year. K-39 exits on 11 May 2026, in the next year: its intake counts in
# 2025, its exit and change do not.
UNIT_YEAR = [
    case("K-01", MB, M, "35-44", "alkohol;boende", "2025-05-06", ALCOHOL, (22, 9), (12, 18), (RP, DONE), ACH, (5, 4), "2025-11-20", "2025-11-28"),  # noqa: E501
    case("K-02", MB, F, "25-34", "alkohol", "2025-05-12", ALCOHOL, (14, 5), (15, 21), (MI, DONE), ACH, (5, 5), "2025-10-02", "2025-10-10"),  # noqa: E501
    case("K-03", MB, M, "45-54", "alkohol;ekonomi", "2025-05-19", ALCOHOL, (18, 16), (11, 12), (RP, EARLY), NOT, (3, 2), "2025-09-15", "2025-09-20"),  # noqa: E501
    case("K-04", MB, F, "55-64", "alkohol", "2025-05-26", ALCOHOL, (9, 3), (17, 20), (MI, DONE), ACH, (4, 4), "2025-12-01", "2025-12-05"),  # noqa: E501
    case("K-05", MB, M, "25-34", "alkohol;droger", "2025-06-02", ALCOHOL, (25, 30), (9, 7), (RP, EARLY), NOT, None, "2025-10-20", "2025-10-21"),  # noqa: E501
    case("K-06", MB, M, "35-44", "alkohol;psykisk ohälsa", "2025-06-09", ALCOHOL, (12, 19), (14, 10), (RP, DONE), NOT, (2, 3), "2026-01-12", "2026-01-16"),  # noqa: E501
    case("K-07", MB, F, "45-54", "alkohol", "2025-06-16", ALCOHOL, (30, 12), (8, 16), (RP, DONE), PART, (4, 5), "2026-02-02", "2026-02-06"),  # noqa: E501
    case("K-08", MB, X, "18-24", "alkohol;boende", "2025-06-23", ALCOHOL, (16, 7), (13, 19), (MI, DONE), ACH, (5, 4), "2025-12-15", "2025-12-19"),  # noqa: E501
    case("K-09", MB, M, "65+", "alkohol", "2025-07-07", ALCOHOL, (11, 8), (18, 18), (MI, DONE), PART, (4, 3), "2025-11-03", "2025-11-07"),  # noqa: E501
    case("K-10", MB, F, None, "alkohol;relationer", "2025-07-14", ALCOHOL, (20, 20), (10, 13), (RP, EARLY), NOT, None, "2025-12-08", "2025-12-12"),  # noqa: E501
    case("K-11", MB, M, "35-44", "alkohol", "2025-08-04", ALCOHOL, (7, 1), (20, 24), (MI, DONE), ACH, (5, 5), "2025-11-24", "2025-11-28"),  # noqa: E501
    case("K-12", MB, M, "25-34", "alkohol;droger", "2025-08-11", ALCOHOL, (27, None), (9, None), (RP, None), None, None, None, None),  # noqa: E501
    case("K-13", MB, F, "45-54", "alkohol", "2025-08-18", ALCOHOL, (19, 4), (11, 22), (RP, DONE), ACH, (5, 5), "2026-03-02", "2026-03-06"),  # noqa: E501
    case("K-14", MB, None, "55-64", "alkohol;ekonomi", "2025-08-25", ALCOHOL, (15, 10), (16, 17), (MI, DONE), PART, (3, 4), "2026-01-19", "2026-01-23"),  # noqa: E501
    case("K-15", MB, M, "35-44", "alkohol", "2025-09-01", ALCOHOL, (24, 17), (10, 14), (RP, DONE), PART, (4, 4), "2026-02-16", "2026-02-20"),  # noqa: E501
    case("K-16", MB, F, "18-24", "alkohol;boende", "2025-09-08", ALCOHOL, (10, 17), (19, 13), (MI, EARLY), NOT, (2, 2), "2026-01-05", "2026-01-09"),  # noqa: E501
    case("K-17", AR, M, "25-34", "arbetslöshet;ekonomi", "2025-05-05", WORK, None, (13, 19), (AT, DONE), ACH, (5, 4), "2025-11-10", "2025-11-14"),  # noqa: E501
    case("K-18", AR, F, "35-44", "arbetslöshet", "2025-05-20", WORK, None, (16, 17), (AT, DONE), PART, (4, 4), "2025-12-09", "2025-12-12"),  # noqa: E501
    case("K-19", AR, M, "45-54", "arbetslöshet;psykisk ohälsa", "2025-06-10", WORK, None, (12, 8), (AT, EARLY), NOT, (2, 3), "2025-10-14", "2025-10-17"),  # noqa: E501
    case("K-20", AR, F, "18-24", "arbetslöshet", "2025-06-17", WORK, None, (14, 20), (AT, DONE), ACH, (5, 5), "2026-01-20", "2026-01-23"),  # noqa: E501
    case("K-21", AR, M, "55-64", "arbetslöshet;ekonomi", "2025-07-01", WORK, None, (18, 21), (AT, DONE), ACH, (4, 5), "2026-02-10", "2026-02-13"),  # noqa: E501
    case("K-22", AR, X, "25-34", "arbetslöshet", "2025-08-12", WORK, (13, 6), (15, 15), (AT, DONE), PART, (3, 3), "2026-03-10", "2026-03-13"),  # noqa: E501
    case("K-23", AR, F, "35-44", "ekonomi", "2025-09-02", LIFE, None, (10, 16), (SS, DONE), ACH, (5, 4), "2026-02-24", "2026-02-27"),  # noqa: E501
    case("K-24", AR, M, None, "arbetslöshet", "2025-09-16", WORK, None, (17, 14), (AT, EARLY), NOT, None, "2025-12-16", "2025-12-19"),  # noqa: E501
    case("K-25", AR, F, "45-54", "arbetslöshet;boende", "2025-10-07", WORK, None, (11, None), (AT, None), None, None, None, None),  # noqa: E501
    case("K-26", AR, M, "25-34", "arbetslöshet", "2025-10-21", WORK, None, (15, 19), (AT, DONE), ACH, (4, 4), "2026-04-14", "2026-04-17"),  # noqa: E501
    case("K-27", AR, M, "18-24", "arbetslöshet;droger", "2025-11-04", WORK, (21, 14), (9, 13), (AT, DONE), PART, (4, 3), "2026-04-21", "2026-04-30"),  # noqa: E501
    case("K-28", VR, F, "25-34", "våld;boende", "2025-05-08", LIFE, None, (8, 17), (SS, DONE), ACH, (5, 5), "2025-10-30", "2025-11-04"),  # noqa: E501
    case("K-29", VR, F, "35-44", "våld", "2025-05-29", LIFE, None, (10, 15), (SS, DONE), ACH, (4, 5), "2025-11-13", "2025-11-18"),  # noqa: E501
    case("K-30", VR, F, "18-24", "våld;psykisk ohälsa", "2025-06-26", LIFE, None, (12, 12), (SS, EARLY), NOT, (3, 2), "2025-10-09", "2025-10-14"),  # noqa: E501
    case("K-31", VR, M, "45-54", "våld", "2025-07-22", LIFE, None, (14, 19), (SS, DONE), PART, (4, 4), "2026-01-27", "2026-01-30"),  # noqa: E501
    case("K-32", VR, F, "25-34", "våld;ekonomi", "2025-08-19", LIFE, (9, 2), (9, 16), (SS, DONE), ACH, (5, 4), "2026-02-17", "2026-02-20"),  # noqa: E501
    case("K-33", VR, F, None, "våld", "2025-09-23", LIFE, None, (13, 11), (SS, DONE), NOT, (3, 3), "2026-03-17", "2026-03-20"),  # noqa: E501
    case("K-34", VR, X, "35-44", "våld;boende", "2025-10-14", LIFE, None, (11, 18), (SS, DONE), ACH, (5, 5), "2026-03-24", "2026-03-27"),  # noqa: E501
    case("K-35", VR, F, "55-64", "våld", "2025-11-11", LIFE, None, (15, None), (SS, None), None, None, None, None),  # noqa: E501
    case("K-36", MB, M, "25-34", "droger", "2025-11-18", ALCOHOL, (17, 11), (12, 14), (MI, DONE), PART, (4, 4), "2026-04-07", "2026-04-10"),  # noqa: E501
    case("K-37", MB, F, "35-44", "alkohol", "2025-12-02", ALCOHOL, (8, 8), (16, 16), (MI, EARLY), NOT, (3, 3), "2026-03-03", "2026-03-06"),  # noqa: E501
    case("K-38", MB, M, "45-54", "alkohol;boende", "2026-01-13", ALCOHOL, (23, None), (10, None), (RP, None), None, None, None, None),  # noqa: E501
    case("K-39", MB, F, "25-34", "alkohol", "2026-02-02", ALCOHOL, (18, 6), (11, 19), (RP, DONE), ACH, (5, 5), "2026-05-11", "2026-05-15"),  # noqa: E501
    case("K-40", VR, F, "18-24", "våld;alkohol", "2026-04-28", LIFE, (12, None), (7, None), None, None, None, None, None),  # noqa: E501
]
# Not in the unit's year: a follow-up of the year before, and two of another unit.
OTHERS = [
    case("K-00", MB, M, "35-44", "alkohol", "2025-03-03", ALCOHOL, (21, 9), (10, 17), (RP, DONE), ACH, (4, 4), "2025-04-14", "2025-04-22"),  # noqa: E501
    case("B-01", VR, F, "25-34", "våld", "2025-06-03", LIFE, None, (9, 14), (SS, DONE), ACH, (5, 5), "2025-12-02", "2025-12-05", unit="ifo-familj"),  # noqa: E501
    case("B-02", MB, M, "45-54", "alkohol", "2025-07-08", ALCOHOL, (26, 18), None, (MI, EARLY), NOT, (2, 2), "2026-01-13", "2026-01-16", unit="ifo-familj"),  # noqa: E501
]
# fmt: on


@pytest.fixture
async def stack(
    settings: Settings, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[tuple[ServiceProcess, ServiceProcess]]:
    await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}measurements.events"], 4)
    migrate(settings)
    measurements = ServiceProcess(
        "measurements", settings, free_port(), tmp_path / "measurements.log"
    )
    reporting = ServiceProcess("reporting", settings, free_port(), tmp_path / "reporting.log")
    await measurements.start()
    try:
        yield measurements, reporting
    finally:
        reporting.stop()
        measurements.stop()


def test_the_cases_are_a_unit_year_of_forty() -> None:
    assert len(UNIT_YEAR) == 40
    assert all(date(2025, 5, 1) <= c.opened_on <= date(2026, 4, 30) for c in UNIT_YEAR)
    assert len({c.client for c in UNIT_YEAR + OTHERS}) == 43


async def test_a_units_year_of_forty_follow_ups_gives_the_report_of_plain_formulas(
    stack: tuple[ServiceProcess, ServiceProcess], settings: Settings, tmp_path: Path
) -> None:
    measurements, reporting = stack
    await reporting.start()
    everything = UNIT_YEAR + OTHERS
    async with (
        grpc.aio.insecure_channel(measurements.address) as m_channel,
        grpc.aio.insecure_channel(reporting.address) as r_channel,
    ):
        staff = Measurements(m_channel, token(settings, "1480", Role.UNIT_STAFF, "ifo-vuxen"))
        follow_up = Measurements(m_channel, token(settings, "1480", Role.FOLLOW_UP))
        stored = await send_cases(staff, UNIT_YEAR + OTHERS[:1])
        stored += await send_cases(follow_up, OTHERS[1:])
        assert stored == sum(len(c.dated_events()) for c in everything)

        reports = Reports(r_channel, token(settings, "1480", Role.FOLLOW_UP))
        municipality = await wait_for_events(
            reports, "1480", "", YEAR, events_in_year(everything, YEAR)
        )
        unit = await reports.GetClientReport(
            cpb.ClientReportRequest(tenant="1480", unit="ifo-vuxen", year=YEAR)
        )
        assert unit.events == events_in_year(UNIT_YEAR, YEAR)
        assert_report(unit, UNIT_YEAR, YEAR)
        assert_report(municipality, everything, YEAR)
        # The previous year holds only K-00; the next only K-39's exit.
        previous = await reports.GetClientReport(
            cpb.ClientReportRequest(tenant="1480", unit="ifo-vuxen", year=YEAR - 1)
        )
        assert_report(previous, UNIT_YEAR + OTHERS[:1], YEAR - 1)
        assert previous.total.follow_ups_opened == 1

        # A few figures counted by hand from the table above, as the unit would read them.
        # AUDIT, exits in the year (|change| ≥ 6 is reliable with SD 5, r 0.84):
        # recovered K-02 04 08 13 22 32; improved K-01 07 11 15 27 36;
        # unchanged K-03 05 09 10 14 37; deteriorated K-06 16.
        assert unit.total.follow_ups_opened == 40
        audit = next(c for c in unit.total.changes if c.scale_id == "audit")
        changes = (audit.recovered, audit.improved, audit.unchanged, audit.deteriorated)
        assert changes == (6, 6, 6, 2)
        # Goals assessed in the year: 35 with an outcome but K-39 (May 2026); achieved:
        # K-01 02 04 08 11 13 17 20 21 23 26 28 29 32 34.
        assert (unit.total.goal_outcomes.achieved, unit.total.goal_outcomes.assessed) == (15, 34)
        assert unit.total.goal_outcomes.share_achieved == 15 / 34
        # Interventions ended in the year: 34; ended early K-03 05 10 16 19 24 30 37.
        ended = unit.total.intervention_outcomes
        assert (ended.completed, ended.ended_early, ended.ended) == (26, 8, 34)

        # Access: another municipality's follow-up function, and unit roles elsewhere.
        for tenant, role, unit_claim, asked_unit in [
            ("1402", Role.FOLLOW_UP, None, ""),
            ("1402", Role.FOLLOW_UP, None, "ifo-vuxen"),
            ("1480", Role.UNIT_STAFF, "ifo-familj", "ifo-vuxen"),
            ("1480", Role.UNIT_MANAGER, "ifo-vuxen", ""),
            ("region:14", Role.REGIONAL_SUPPORT, None, "ifo-vuxen"),
        ]:
            outsider = Reports(r_channel, token(settings, tenant, role, unit_claim))
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await outsider.GetClientReport(
                    cpb.ClientReportRequest(tenant="1480", unit=asked_unit, year=YEAR)
                )
            assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED, (tenant, role)
        own = Reports(r_channel, token(settings, "1480", Role.UNIT_MANAGER, "ifo-vuxen"))
        mine = await own.GetClientReport(
            cpb.ClientReportRequest(tenant="1480", unit="ifo-vuxen", year=YEAR)
        )
        assert mine == unit

    # The same report through the CLI, in each format.
    write_stack_file(
        settings,
        {"measurements": measurements.address, "reporting": reporting.address},
        tmp_path / "cli.log",
    )
    cli_json = run_cli(
        settings, "client-report", "--unit", "ifo-vuxen", "--year", "2025", "--format", "json"
    )
    assert cli_json.returncode == 0, cli_json.stderr
    printed = json.loads(cli_json.stdout)
    assert printed["total"]["follow_ups_opened"] == 40
    assert printed["total"]["changes"][0]["recovered"] == audit.recovered
    assert printed["year_starts"] == "2025-05-01" and printed["year_ends"] == "2026-04-30"
    cli_csv = run_cli(
        settings, "client-report", "--unit", "ifo-vuxen", "--year", "2025", "--format", "csv"
    )
    assert cli_csv.returncode == 0, cli_csv.stderr
    rows = list(csv.DictReader(io.StringIO(cli_csv.stdout)))
    recovered = [r for r in rows if r["dimension"] == "all" and r["key"] == "audit|recovered"]
    assert [r["n"] for r in recovered] == [str(audit.recovered)]
    table = run_cli(settings, "client-report", "--unit", "ifo-vuxen", "--year", "2025")
    assert table.returncode == 0, table.stderr
    assert "Klientuppföljning 1480 · ifo-vuxen · uppföljningsår 2025" in table.stdout
    assert "Förändring (Reliable Change Index)" in table.stdout
    english = run_cli(
        settings, "client-report", "--unit", "ifo-vuxen", "--year", "2025", "--lang", "en"
    )
    assert "Most common goals" in english.stdout


async def test_sigkill_of_reporting_mid_projection_gives_the_same_report(
    stack: tuple[ServiceProcess, ServiceProcess], settings: Settings
) -> None:
    measurements, reporting = stack
    cases = generated_cases(1500, seed=5)
    total = events_in_year(cases, YEAR)
    async with grpc.aio.insecure_channel(measurements.address) as channel:
        importer = Measurements(channel, token(settings, "1480", Role.FOLLOW_UP))
        for start in range(0, len(cases), 500):
            rows = [
                pb.ImportRow(line=start + i + 2, fields=c.row())
                for i, c in enumerate(cases[start : start + 500])
            ]
            reply = await importer.ImportRecords(pb.ImportRequest(rows=rows))
            assert {r.status for r in reply.results} == {"imported"}
    await reporting.start()
    async with grpc.aio.insecure_channel(reporting.address) as channel:
        reports = Reports(channel, token(settings, "1480", Role.FOLLOW_UP))
        request = cpb.ClientReportRequest(tenant="1480", year=YEAR)
        seen = 0
        deadline = time.monotonic() + 60
        while seen == 0 and time.monotonic() < deadline:
            seen = (await reports.GetClientReport(request)).events
            await asyncio.sleep(0.02)
        reporting.kill()
    assert 0 < seen < total, f"killed after {seen} of {total} events: not mid-projection"
    await reporting.start()
    async with grpc.aio.insecure_channel(reporting.address) as channel:
        reports = Reports(channel, token(settings, "1480", Role.FOLLOW_UP))
        report = await wait_for_events(reports, "1480", "", YEAR, total)
    assert_report(report, cases, YEAR)
