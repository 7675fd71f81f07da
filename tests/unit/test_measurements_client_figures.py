"""Reporting's client figures: the follow-up year, slices, change classes, merging units."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from services.reporting.domain.clients import (
    ClientFigures,
    compile_report,
    year_bounds,
)
from shared.events.catalogue import EventPayload, decode
from shared.events.envelope import EventEnvelope
from shared.events.measurements import FollowUpOpened, GoalAssessed, RatingSubmitted
from shared.events.scheduler import follow_up_year
from shared.scales import load_catalogue

SCALES = load_catalogue()


def envelope(follow_up_id: str, payload: EventPayload, at: datetime, version: int) -> EventEnvelope:
    return EventEnvelope(
        type=payload.event_type,
        schema_version=payload.version(),
        tenant="1480",
        aggregate_id=follow_up_id,
        aggregate_version=version,
        occurred_at=at,
        recorded_at=at,
        correlation_id=uuid.uuid4(),
        producer="test",
        payload=payload.model_dump(mode="json"),
    )


def opened(follow_up_id: str, unit: str, gender: str | None) -> FollowUpOpened:
    return FollowUpOpened(
        follow_up_id=follow_up_id,
        tenant="1480",
        unit=unit,
        client=follow_up_id,
        client_group="missbruk",
        main_problems=("alkohol",),
        gender=gender,
        opened_on=date(2025, 5, 1),
    )


def audit(occasion: str, value: int, on: date) -> RatingSubmitted:
    return RatingSubmitted(
        rating_id=f"r-{occasion}",
        scale_id="audit",
        scale_version=1,
        occasion=occasion,
        value=value,
        rated_on=on,
    )


def run(events: Sequence[EventEnvelope]) -> ClientFigures:
    figures = ClientFigures(SCALES, {}, {})
    for e in events:
        figures.apply(e, decode(e))
    return figures


def test_the_follow_up_year_runs_from_may_to_april() -> None:
    assert follow_up_year(date(2025, 4, 30)) == 2024
    assert follow_up_year(date(2025, 5, 1)) == 2025
    assert follow_up_year(date(2026, 4, 30)) == 2025
    assert year_bounds(2025) == (date(2025, 5, 1), date(2026, 4, 30))


def test_an_event_counts_in_the_year_of_its_stockholm_date() -> None:
    # 22:30 UTC on 30 April is 00:30 on 1 May in Stockholm (CEST, UTC+2).
    late = datetime(2025, 4, 30, 22, 30, tzinfo=UTC)
    figures = run([envelope("f1", opened("f1", "u1", "female"), late, 1)])
    tallies = figures.deltas.tallies
    assert tallies[("1480", "u1", 2025, "all", "", "opened", "")] == 1
    assert tallies[("1480", "u1", 2025, "gender", "female", "opened", "")] == 1
    assert tallies[("1480", "u1", 2025, "age_band", "unknown", "opened", "")] == 1
    assert tallies[("1480", "u1", 2025, "client_group", "missbruk", "problem", "alkohol")] == 1
    assert tallies[("1480", "u1", 2025, "all", "", "events", "")] == 1
    assert ("1480", "u1", 2025, "gender", "female", "events", "") not in tallies


def test_the_change_class_counts_in_the_year_of_the_exit() -> None:
    t = datetime(2025, 6, 1, tzinfo=UTC)
    exit_at = datetime(2026, 5, 4, tzinfo=UTC)  # follow-up year 2026
    figures = run(
        [
            envelope("f1", opened("f1", "u1", "male"), t, 1),
            envelope("f1", audit("intake", 12, date(2025, 6, 1)), t, 2),
            envelope("f1", audit("exit", 4, date(2026, 5, 4)), exit_at, 3),
        ]
    )
    tallies, moments = figures.deltas.tallies, figures.deltas.moments
    # 12 → 4 is 8 points (RCI −2.83), from clinical (≥ 8) to not: recovered.
    assert tallies[("1480", "u1", 2026, "all", "", "change", "audit|recovered")] == 1
    assert ("1480", "u1", 2025, "all", "", "change", "audit|recovered") not in tallies
    intake = moments[("1480", "u1", 2025, "all", "", "level", "audit|intake")]
    assert (intake.n, intake.total, intake.total_of_squares) == (1, 12, 144)
    assert figures.deltas.new_intakes == {("f1", "audit"): (1, 12)}


def test_an_exit_in_a_later_batch_uses_the_stored_intake() -> None:
    facts = run([envelope("f1", opened("f1", "u1", None), datetime(2025, 6, 1, tzinfo=UTC), 1)])
    later = ClientFigures(SCALES, facts.known, {("f1", "audit"): (1, 10)})
    exit_ = envelope("f1", audit("exit", 16, date(2025, 9, 1)), datetime(2025, 9, 1, tzinfo=UTC), 3)
    later.apply(exit_, decode(exit_))
    assert (
        later.deltas.tallies[("1480", "u1", 2025, "all", "", "change", "audit|deteriorated")] == 1
    )
    assert later.deltas.new_follow_ups == []


def test_a_municipality_report_is_the_sum_of_its_units() -> None:
    t = datetime(2025, 6, 1, tzinfo=UTC)
    figures = run(
        [
            envelope("f1", opened("f1", "u1", "female"), t, 1),
            envelope(
                "f1", GoalAssessed(goal_id="g1", outcome="achieved", assessed_on=t.date()), t, 2
            ),
            envelope("f2", opened("f2", "u2", "male"), t, 1),
            envelope(
                "f2", GoalAssessed(goal_id="g1", outcome="not_achieved", assessed_on=t.date()), t, 2
            ),
        ]
    )
    merged: dict[tuple[str, str, str, str], int] = {}
    for (_, _, _, dimension, category, figure, key), n in figures.deltas.tallies.items():
        merged[(dimension, category, figure, key)] = (
            merged.get((dimension, category, figure, key), 0) + n
        )
    report = compile_report("1480", None, 2025, merged, {}, SCALES)
    assert report.total.opened == 2
    assert report.total.goal_outcomes == {"achieved": 1, "not_achieved": 1}
    assert report.total.share_goals_achieved == 1 / 2
    assert [(s.category, s.opened, s.share_goals_achieved) for s in report.by_gender] == [
        ("female", 1, 1.0),
        ("male", 1, 0.0),
    ]
    assert report.events == 4
