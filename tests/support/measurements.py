"""Client follow-ups in tests: cases written out as data, sent over gRPC or as import
rows, and the report figures a test expects, computed by plain formulas of its own.

The expected figures deliberately do not use the code under test: the change
classes come from Jacobson & Truax's formula written out here, with the
scale's constants read from its JSON file; means and SDs from the values.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest

from shared.api import clients_pb2 as cpb
from shared.api import clients_pb2_grpc as cpb_grpc
from shared.api import measurements_pb2 as pb
from shared.api import measurements_pb2_grpc as pb_grpc
from shared.scales import BUILTIN_DIR
from shared.settings import Settings
from tests.support import service
from tests.support.service import ROOT, AuthorisedStub, service_env

UNIT = "ifo-vuxen"


def migrate(settings: Settings) -> None:
    service.migrate(settings, "measurements")
    service.migrate(settings, "reporting")


class Measurements(AuthorisedStub):
    def __init__(self, channel: grpc.aio.Channel, bearer: str) -> None:
        super().__init__(pb_grpc.MeasurementsStub(channel), bearer)


class Reports(AuthorisedStub):
    def __init__(self, channel: grpc.aio.Channel, bearer: str) -> None:
        super().__init__(cpb_grpc.ClientReportsStub(channel), bearer)


# --- cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One client's follow-up as a unit would record it.

    Intake ratings, the goal and the intervention's start are dated the day
    the follow-up opened; exit ratings and the goal assessment `exit_on`;
    the end of the intervention `ended_on` (default `exit_on`); the survey
    and the closing `closed_on`.
    """

    client: str
    group: str
    gender: str | None
    age_band: str | None
    problems: tuple[str, ...]
    opened_on: date
    goal: tuple[str, str] | None = None  # (title, scale)
    audit: tuple[int, int | None] | None = None  # (intake, exit)
    life: tuple[int, int | None] | None = None
    intervention: str | None = None
    intervention_outcome: str | None = None
    goal_outcome: str | None = None
    survey: dict[str, int] = field(default_factory=dict)
    exit_on: date | None = None
    ended_on: date | None = None
    closed_on: date | None = None
    unit: str = UNIT

    def dated_events(self) -> list[date]:
        """The date of every event the case becomes."""
        dates = [self.opened_on]
        dates += [self.opened_on] if self.goal else []
        for pair in (self.audit, self.life):
            if pair is not None:
                dates.append(self.opened_on)
                if pair[1] is not None:
                    assert self.exit_on is not None
                    dates.append(self.exit_on)
        if self.intervention:
            dates.append(self.opened_on)
            if self.intervention_outcome:
                end = self.ended_on or self.exit_on
                assert end is not None
                dates.append(end)
        if self.goal_outcome:
            assert self.exit_on is not None
            dates.append(self.exit_on)
        if self.survey:
            assert self.closed_on is not None
            dates.append(self.closed_on)
        if self.closed_on:
            dates.append(self.closed_on)
        return dates

    def row(self) -> dict[str, str]:
        """The case as a row of a case-management export."""
        row = {
            "unit": self.unit,
            "client": self.client,
            "opened_on": self.opened_on.isoformat(),
            "client_group": self.group,
            "main_problems": ";".join(self.problems),
            "gender": self.gender or "",
            "age_band": self.age_band or "",
        }
        if self.goal:
            row |= {"goal": self.goal[0], "goal_scale": self.goal[1]}
        for scale, pair in (("audit", self.audit), ("livssituation", self.life)):
            if pair is not None:
                row[f"intake_{scale}"] = str(pair[0])
                if pair[1] is not None:
                    row[f"exit_{scale}"] = str(pair[1])
        if self.intervention:
            row["intervention"] = self.intervention
            if self.intervention_outcome:
                end = self.ended_on or self.exit_on
                assert end is not None
                row |= {
                    "intervention_end": end.isoformat(),
                    "intervention_outcome": self.intervention_outcome,
                }
        if self.exit_on:
            row["exit_on"] = self.exit_on.isoformat()
        if self.goal_outcome:
            row["goal_outcome"] = self.goal_outcome
        row |= {f"survey_{item}": str(value) for item, value in self.survey.items()}
        if self.closed_on:
            row["closed_on"] = self.closed_on.isoformat()
        return row


async def send_case(client: Measurements, case: Case, tenant: str = "1480") -> int:
    """Record a case through the ordinary commands; returns how many events were stored."""
    events = 0
    reply = await client.OpenFollowUp(
        pb.OpenFollowUpRequest(
            tenant=tenant,
            unit=case.unit,
            client=case.client,
            client_group=case.group,
            main_problems=list(case.problems),
            gender=case.gender or "",
            age_band=case.age_band or "",
            opened_on=case.opened_on.isoformat(),
        )
    )
    follow_up_id = reply.follow_up_id
    events += len(reply.event_ids)
    opened = case.opened_on.isoformat()
    calls: list[Any] = []
    if case.goal:
        calls.append(
            client.SetGoal(
                pb.SetGoalRequest(
                    follow_up_id=follow_up_id,
                    goal_id="g1",
                    title=case.goal[0],
                    scale_id=case.goal[1],
                    set_on=opened,
                )
            )
        )
    ratings = [("audit", case.audit), ("livssituation", case.life)]
    for scale, pair in ratings:
        if pair is not None:
            calls.append(_rate(client, follow_up_id, case, scale, "intake", pair[0], opened))
    if case.intervention:
        calls.append(
            client.StartIntervention(
                pb.StartInterventionRequest(
                    follow_up_id=follow_up_id,
                    intervention_id="i1",
                    intervention_type=case.intervention,
                    started_on=opened,
                )
            )
        )
        if case.intervention_outcome:
            end = case.ended_on or case.exit_on
            assert end is not None
            calls.append(
                client.EndIntervention(
                    pb.EndInterventionRequest(
                        follow_up_id=follow_up_id,
                        intervention_id="i1",
                        ended_on=end.isoformat(),
                        outcome=case.intervention_outcome,
                    )
                )
            )
    for scale, pair in ratings:
        if pair is not None and pair[1] is not None:
            assert case.exit_on is not None
            exit_on = case.exit_on.isoformat()
            calls.append(_rate(client, follow_up_id, case, scale, "exit", pair[1], exit_on))
    if case.goal_outcome:
        assert case.exit_on is not None
        calls.append(
            client.AssessGoal(
                pb.AssessGoalRequest(
                    follow_up_id=follow_up_id,
                    goal_id="g1",
                    outcome=case.goal_outcome,
                    assessed_on=case.exit_on.isoformat(),
                )
            )
        )
    if case.survey:
        assert case.closed_on is not None
        calls.append(
            client.AnswerSurvey(
                pb.AnswerSurveyRequest(
                    follow_up_id=follow_up_id,
                    scale_id="klientenkat",
                    answers=case.survey,
                    answered_on=case.closed_on.isoformat(),
                )
            )
        )
    if case.closed_on:
        calls.append(
            client.CloseFollowUp(
                pb.CloseFollowUpRequest(
                    follow_up_id=follow_up_id, closed_on=case.closed_on.isoformat()
                )
            )
        )
    for call in calls:  # one after another: they are one stream
        events += len((await call).event_ids)
    return events


def _rate(
    client: Measurements,
    follow_up_id: str,
    case: Case,
    scale: str,
    occasion: str,
    value: int,
    on: str,
) -> Any:
    goal_id = "g1" if case.goal and case.goal[1] == scale else ""
    rating = pb.Rating(scale_id=scale, occasion=occasion, goal_id=goal_id, value=value, rated_on=on)
    return client.SubmitRating(pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=rating))


async def send_cases(client: Measurements, cases: Sequence[Case], parallel: int = 6) -> int:
    """Send cases a few at a time; returns the events stored."""
    stored = 0
    for start in range(0, len(cases), parallel):
        done = await asyncio.gather(
            *(send_case(client, c) for c in cases[start : start + parallel])
        )
        stored += sum(done)
    return stored


def generated_cases(count: int, seed: int) -> list[Case]:
    """Varied, deterministic follow-ups for volume (a fixed seed; pseudonyms only)."""
    chooser = random.Random(seed)
    alcohol = ("Minska riskabel alkoholkonsumtion", "audit")
    work = ("Ökad närvaro i arbetsmarknadsprojekt", "narvarodagar")
    life = ("Bättre livssituation", "livssituation")
    cases = []
    for i in range(count):
        opened = date(2025, 5, 1) + timedelta(days=chooser.randrange(0, 300))
        exit_on = opened + timedelta(days=chooser.randrange(30, 200))
        closed = exit_on + timedelta(days=chooser.randrange(0, 10))
        finished = closed <= date(2026, 11, 1) and chooser.random() < 0.85
        audit_in = chooser.randrange(0, 41)
        life_in = chooser.randrange(6, 31)
        cases.append(
            Case(
                client=f"G-{seed}-{i:05d}",
                group=chooser.choice(
                    ["missbruk", "arbete och försörjning", "våld i nära relation"]
                ),
                gender=chooser.choice(["male", "female", "other", None]),
                age_band=chooser.choice(["18-24", "25-34", "35-44", "45-54", None]),
                problems=tuple(chooser.sample(["alkohol", "boende", "ekonomi", "våld"], 2)),
                opened_on=opened,
                goal=chooser.choice([alcohol, life, work]),
                audit=(audit_in, chooser.randrange(0, 41) if finished else None),
                life=(life_in, chooser.randrange(6, 31) if finished else None),
                intervention=chooser.choice(
                    ["Återfallsprevention", "MI-samtal", "Arbetsträning", "Stödsamtal"]
                ),
                intervention_outcome=chooser.choice(["completed", "ended_early"])
                if finished
                else None,
                goal_outcome=chooser.choice(["achieved", "partly_achieved", "not_achieved"])
                if finished
                else None,
                survey={"bemotande": chooser.randrange(1, 6), "insatser": chooser.randrange(1, 6)}
                if finished
                else {},
                exit_on=exit_on if finished else None,
                closed_on=closed if finished else None,
            )
        )
    return cases


# --- the expected report, by plain formulas ------------------------------------------------


def in_year(day: date, year: int) -> bool:
    return date(year, 5, 1) <= day <= date(year + 1, 4, 30)


def events_in_year(cases: Iterable[Case], year: int) -> int:
    return sum(1 for case in cases for day in case.dated_events() if in_year(day, year))


def _scale(scale_id: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((BUILTIN_DIR / f"{scale_id}.v1.json").read_text())
    return loaded


def change_class(scale_id: str, pre: int, post: int) -> str:
    """Jacobson & Truax (1991), written out: RCI = (post − pre) / (√2 · SD · √(1 − r)),
    reliable beyond 1.96; without psychometrics, a change of at least the MIC."""
    scale = _scale(scale_id)
    lower_better = scale["direction"] == "lower_is_better"
    if scale.get("norm_sd") is not None:
        s_diff = math.sqrt(2) * scale["norm_sd"] * math.sqrt(1 - scale["reliability"])
        reliable = abs((post - pre) / s_diff) > 1.96
    else:
        reliable = abs(post - pre) >= scale["minimal_important_change"]
    if not reliable or post == pre:
        return "unchanged"
    if (post < pre) != lower_better:
        return "deteriorated"
    threshold = scale.get("clinical_threshold")
    if threshold is not None and lower_better and pre >= threshold > post:
        return "recovered"
    if threshold is not None and not lower_better and pre <= threshold < post:
        return "recovered"
    return "improved"


def _moments(values: Sequence[int]) -> dict[str, Any]:
    n = len(values)
    mean = sum(values) / n if n else None
    sd = (
        math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        if n > 1 and mean is not None
        else None
    )
    return {
        "n": n,
        "sum": sum(values),
        "sum_of_squares": sum(v * v for v in values),
        "mean": mean,
        "sd": sd,
    }


def expected_section(cases: Sequence[Case], year: int) -> dict[str, Any]:
    """One section of the report for `cases`, by the rule that an event counts
    in the follow-up year of its date."""
    y = year
    levels: dict[tuple[str, str], list[int]] = {}
    changes: dict[str, Counter[str]] = {}
    for case in cases:
        for scale, pair in (("audit", case.audit), ("livssituation", case.life)):
            if pair is None:
                continue
            if in_year(case.opened_on, y):
                levels.setdefault((scale, "intake"), []).append(pair[0])
            if pair[1] is not None and case.exit_on and in_year(case.exit_on, y):
                levels.setdefault((scale, "exit"), []).append(pair[1])
                changes.setdefault(scale, Counter())[change_class(scale, pair[0], pair[1])] += 1
    goals_assessed = [
        c.goal_outcome for c in cases if c.goal_outcome and c.exit_on and in_year(c.exit_on, y)
    ]
    ended = [
        c.intervention_outcome
        for c in cases
        if c.intervention_outcome and in_year(c.ended_on or c.exit_on or c.opened_on, y)
    ]
    surveyed = [c for c in cases if c.survey and c.closed_on and in_year(c.closed_on, y)]
    items = sorted({item for c in surveyed for item in c.survey})
    achieved = goals_assessed.count("achieved")
    completed = ended.count("completed")
    return {
        "follow_ups_opened": sum(1 for c in cases if in_year(c.opened_on, y)),
        "follow_ups_closed": sum(1 for c in cases if c.closed_on and in_year(c.closed_on, y)),
        "main_problems": dict(
            Counter(p for c in cases if in_year(c.opened_on, y) for p in c.problems)
        ),
        "levels": {key: _moments(values) for key, values in levels.items()},
        "changes": {scale: dict(found) for scale, found in changes.items()},
        "goals": dict(Counter(c.goal[0] for c in cases if c.goal and in_year(c.opened_on, y))),
        "goal_outcomes": dict(Counter(goals_assessed)),
        "share_achieved": achieved / len(goals_assessed) if goals_assessed else None,
        "interventions": dict(
            Counter(c.intervention for c in cases if c.intervention and in_year(c.opened_on, y))
        ),
        "intervention_outcomes": dict(Counter(ended)),
        "share_completed": completed / len(ended) if ended else None,
        "satisfaction": {
            ("klientenkat", item): _moments([c.survey[item] for c in surveyed if item in c.survey])
            for item in items
        },
    }


def expected_report(cases: Sequence[Case], year: int) -> dict[tuple[str, str], dict[str, Any]]:
    """Every section the report should have: all, and each client group, gender and age
    band that has at least one event in the year."""
    present = [c for c in cases if any(in_year(d, year) for d in c.dated_events())]
    sections = {("all", ""): expected_section(present, year)}
    slices: dict[str, Callable[[Case], str]] = {
        "client_group": lambda c: c.group,
        "gender": lambda c: c.gender or "unknown",
        "age_band": lambda c: c.age_band or "unknown",
    }
    for dimension, of in slices.items():
        for category in sorted({of(c) for c in present}):
            chosen = [c for c in present if of(c) == category]
            sections[(dimension, category)] = expected_section(chosen, year)
    return sections


def observed_section(section: cpb.Section) -> dict[str, Any]:
    """A report section in the shape of `expected_section`."""

    def moments(m: cpb.Moments) -> dict[str, Any]:
        return {
            "n": m.n,
            "sum": m.sum,
            "sum_of_squares": m.sum_of_squares,
            "mean": m.mean if m.HasField("mean") else None,
            "sd": m.sd if m.HasField("sd") else None,
        }

    outcomes = section.goal_outcomes
    ended = section.intervention_outcomes
    return {
        "follow_ups_opened": section.follow_ups_opened,
        "follow_ups_closed": section.follow_ups_closed,
        "main_problems": {c.key: c.n for c in section.main_problems},
        "levels": {(v.scale_id, v.occasion): moments(v.moments) for v in section.levels},
        "changes": {
            c.scale_id: {
                name: getattr(c, name)
                for name in ("recovered", "improved", "unchanged", "deteriorated")
                if getattr(c, name)
            }
            for c in section.changes
        },
        "goals": {c.key: c.n for c in section.goals},
        "goal_outcomes": {
            name: getattr(outcomes, name)
            for name in ("achieved", "partly_achieved", "not_achieved")
            if getattr(outcomes, name)
        },
        "share_achieved": outcomes.share_achieved if outcomes.HasField("share_achieved") else None,
        "interventions": {c.key: c.n for c in section.interventions},
        "intervention_outcomes": {
            name: getattr(ended, name)
            for name in ("completed", "ended_early")
            if getattr(ended, name)
        },
        "share_completed": ended.share_completed if ended.HasField("share_completed") else None,
        "satisfaction": {(v.scale_id, v.item_id): moments(v.moments) for v in section.satisfaction},
    }


def observed_report(report: cpb.ClientReport) -> dict[tuple[str, str], dict[str, Any]]:
    sections = [report.total, *report.by_client_group, *report.by_gender, *report.by_age_band]
    return {(s.dimension, s.category): observed_section(s) for s in sections}


def assert_report(report: cpb.ClientReport, cases: Sequence[Case], year: int) -> None:
    """Every figure of every section equals the plain-formula figure; SDs to 1e-9."""
    expected = expected_report(cases, year)
    observed = observed_report(report)
    assert sorted(observed) == sorted(expected)
    for key, section in expected.items():
        got = observed[key]
        for figure in ("levels", "satisfaction"):
            for measure, moments in section[figure].items():
                sd = moments["sd"]
                assert got[figure][measure]["sd"] == (
                    None if sd is None else pytest.approx(sd, rel=1e-9)
                ), (key, measure)
                got[figure][measure]["sd"] = sd
        assert got == section, key


async def wait_for_events(
    reports: Reports, tenant: str, unit: str, year: int, events: int, timeout: float = 90
) -> cpb.ClientReport:
    """The report once `events` events of the year are projected (never more)."""
    deadline = time.monotonic() + timeout
    while True:
        report: cpb.ClientReport = await reports.GetClientReport(
            cpb.ClientReportRequest(tenant=tenant, unit=unit, year=year)
        )
        assert report.events <= events, f"{report.events} events projected, expected {events}"
        if report.events == events:
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"only {report.events} of {events} events projected")
        await asyncio.sleep(0.2)


# --- the CLI against test processes -------------------------------------------------------


def write_stack_file(settings: Settings, addresses: dict[str, str], log: Path) -> None:
    """A stack file naming the test's service processes, so `arshjul …` finds them."""
    from arshjul.stack import StackFile

    stack = StackFile.model_validate(
        {
            "database_url": settings.database_url,
            "kafka_bootstrap": settings.kafka_bootstrap,
            "services": [
                {"name": name, "grpc_address": address, "pid": os.getpid(), "log_file": str(log)}
                for name, address in addresses.items()
            ],
            "supervisor_pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(),
            "embedded_postgres": False,
            "embedded_kafka": False,
        }
    )
    stack.write(settings.home)


def run_cli(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`arshjul <arguments>` as a process, reading the test's stack file."""
    return subprocess.run(
        [sys.executable, "-m", "arshjul.cli", *arguments],
        env={**service_env(settings, 0), "COLUMNS": "200"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
