"""The demo's data generator: the same seed gives the same data, nobody's identity is
in it, the sizes are as promised, and every session fits its work group on its day."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from arshjul.demo_data import (
    PLANS,
    SCALES,
    DemoData,
    Scale,
    demo_year,
    entered_on,
    first_tuesday,
    generate,
)
from services.measurements.domain.followup import check_pseudonym
from shared.personal_data import contains_personal_identity_number

YEAR = 2025
WHEEL_START = date(2025, 1, 1)


@pytest.fixture(scope="module", params=SCALES)
def data(request: pytest.FixtureRequest) -> DemoData:
    scale: Scale = request.param
    return generate(2026, scale, YEAR, WHEEL_START)


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in the data (dataclass fields, tuples, dicts)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from strings(item)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    first = generate(2026, "full", YEAR, WHEEL_START)
    assert generate(2026, "full", YEAR, WHEEL_START) == first
    assert generate(7, "full", YEAR, WHEEL_START) != first


def test_no_personal_identity_number_anywhere(data: DemoData) -> None:
    texts = list(strings(data)) + [
        cell for _, f in data.follow_ups for cell in f.row(closed=True).values()
    ]
    assert texts
    assert [t for t in texts if contains_personal_identity_number(t)] == []
    for _, follow_up in data.follow_ups:
        assert check_pseudonym(follow_up.client, "client") == follow_up.client


def test_two_regions_and_the_promised_sizes(data: DemoData) -> None:
    assert [r.code for r in data.regions] == ["14", "13"]
    assert [m.code for m in data.regions[0].municipalities][:2] == ["1480", "1482"]
    for region in data.regions:
        for m in region.municipalities:
            assert m.region == region.code
            plans = PLANS[data.scale][region.code][m.code]
            assert len(m.units) == len(plans)
            for unit, plan in zip(m.units, plans, strict=True):
                assert len(unit.work_groups) == plan.groups
                in_year = [f for f in unit.follow_ups if f.opened_on >= date(YEAR, 5, 1)]
                low, high = plan.clients
                assert low <= len(in_year) <= high
                before = [f for f in unit.follow_ups if f.opened_on < date(YEAR, 5, 1)]
                # the previous year's slice: about a third as many
                assert 2 <= len(before) <= max(2, round(0.4 * len(in_year)))
                for group in unit.work_groups:
                    at_start = group.members_on(date(YEAR - 1, 11, 1))
                    assert plan.members[0] <= len(at_start) <= plan.members[1]
    if data.scale == "full":
        assert len(data.municipalities) == 5
        sizes = [len(u.follow_ups) for _, u in data.units]
        assert min(sizes) < 15, "some units are small enough for disclosure control"
        assert max(sizes) >= 60


def test_pseudonyms_are_unique_per_municipality(data: DemoData) -> None:
    for m in data.municipalities:
        clients = [f.client for u in m.units for f in u.follow_ups]
        assert len(clients) == len(set(clients))
        assert all(c.startswith(f"K-{m.code}-") for c in clients)


def test_sessions_fit_their_group_on_their_day(data: DemoData) -> None:
    for _, group in data.work_groups:
        ids = [s.session_id for s in group.sessions]
        assert len(ids) == len(set(ids))
        for session in group.sessions:
            members = set(group.members_on(session.held_on))
            assert session.participants and set(session.participants) <= members
            choices = [c for c in group.part_choices if c.valid_from <= session.held_on]
            parts = set(choices[-1].parts)
            assert {t.part for t in session.taken_part} <= parts
            assert {t.member_id for t in session.taken_part} <= set(session.participants)
            assert {p for p, _ in session.cases} <= parts
            assert date(YEAR - 1, 11, 1) <= session.held_on <= data.ends_on
            if session.occurrence is not None:
                step, day = session.occurrence
                assert day >= data.wheel_start
                if step == "apt":
                    assert day == first_tuesday(day.year, day.month) and day.month != 7
                    # on time on the day, or late: after the 14 days, before the 27th
                    assert session.held_on == day or (session.held_on - day).days > 14
                    assert session.held_on.day < 27


def test_sessions_before_the_wheel_answer_no_occurrence() -> None:
    later = generate(2026, "small", YEAR, date(2025, 3, 1))
    answering = [s for _, g in later.work_groups for s in g.sessions if s.occurrence is not None]
    assert answering
    assert all(s.occurrence[1] >= date(2025, 3, 1) for s in answering if s.occurrence)
    assert any(s.held_on < date(2025, 3, 1) for _, g in later.work_groups for s in g.sessions)


def test_follow_ups_are_entered_when_closed_or_at_their_year_end(data: DemoData) -> None:
    for _, f in data.follow_ups:
        day = entered_on(f)
        assert f.opened_on <= day <= data.ends_on
        if f.closed_on is not None:
            assert f.exit_on is not None and f.opened_on < f.exit_on <= f.closed_on
            assert f.intervention_end is not None and f.intervention_end <= f.exit_on
            row = f.row(closed=True)
            assert row["closed_on"] == f.closed_on.isoformat()
            assert {f"exit_{scale}" for scale, _ in f.intake} <= set(row)
        open_row = f.row(closed=False)
        assert "closed_on" not in open_row and "goal_outcome" not in open_row


@pytest.mark.parametrize(
    ("today", "year"),
    [(date(2025, 1, 1), 2025), (date(2025, 5, 1), 2025), (date(2025, 5, 2), 2026)],
)
def test_the_demo_year_is_the_first_starting_on_or_after_today(today: date, year: int) -> None:
    assert demo_year(today) == year
