"""The knowledge figures of a work group, pure, against the year worked out by hand
(tests/support/sessions.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.reporting.domain.knowledge import (
    LATE,
    MISSED,
    ON_TIME,
    OPEN,
    OVERDUE,
    GroupView,
    MentorCandidate,
    OpenPlan,
    PartFigure,
    PeriodTotals,
    group_figures,
    months_of_year,
    next_occurrence_state,
    periods_of,
)
from shared.events.catalogue import EventPayload
from shared.events.scheduler import WheelStepCompleted, WheelStepMissed, WheelStepOverdue
from shared.events.sessions import (
    MemberJoined,
    MemberLeft,
    RelevantPartsChosen,
    SessionCorrected,
    SessionRecorded,
    WorkGroupFormed,
)
from shared.roles import Role
from shared.support_parts import base_catalogue
from tests.support.sessions import (
    BARNGRUPPEN,
    CORRECTED_S8,
    GROUP,
    MEMBERS,
    PART_CHOICES,
    SESSIONS,
    TENANT,
    UNIT,
    Figures,
    PlannedSession,
)

PARTS = {part.code: part for part in base_catalogue()}
T0 = datetime(2026, 5, 1, tzinfo=UTC)


def history(sessions: list[PlannedSession]) -> list[EventPayload]:
    events: list[EventPayload] = [
        WorkGroupFormed(
            work_group_id=GROUP,
            tenant=TENANT,
            unit=UNIT,
            name="Barn",
            forums=("apt",),
            formed_by="u",
        )
    ]
    for member_id, name, joined, left in MEMBERS:
        events.append(
            MemberJoined(
                work_group_id=GROUP, member_id=member_id, display_name=name, joined_on=joined
            )
        )
        if left is not None:
            events.append(MemberLeft(work_group_id=GROUP, member_id=member_id, left_on=left))
    for valid_from, codes in PART_CHOICES:
        events.append(
            RelevantPartsChosen(
                work_group_id=GROUP,
                parts=tuple(PARTS[c].chosen() for c in codes),
                valid_from=valid_from,
                chosen_by="u",
            )
        )
    events += [
        SessionRecorded(
            session_id=s.session_id,
            work_group_id=GROUP,
            unit=UNIT,
            content=s.content("wheel-1"),
            recorded_by="u",
        )
        for s in sessions
    ]
    return events


CORRECTION = SessionCorrected(
    session_id="s8",
    work_group_id=GROUP,
    unit=UNIT,
    content=CORRECTED_S8.content("wheel-1"),
    reason="m5 hade inte läst",
    corrected_by="u",
)


def view_of(events: list[EventPayload]) -> GroupView:
    view = GroupView(tenant=TENANT, work_group_id=GROUP)
    for payload in events:
        view.apply(payload)
    # What the projection stores and reads back.
    return GroupView.model_validate(view.model_dump(mode="json"))


def as_table(view: GroupView) -> dict[str, tuple[int, dict[str, Any]]]:
    figures = group_figures(view)
    table: dict[str, tuple[int, dict[str, Any]]] = {}
    for period, sessions in figures.sessions.items():
        parts = {
            f.part: (f.coverage, f.cases, (f.practice_changed, f.practice_answered), f.open_plans)
            for f in figures.parts
            if f.period == period
        }
        table[period] = (sessions, parts)
    return table


def hand_worked(figures: Figures) -> dict[str, tuple[int, dict[str, Any]]]:
    return {period: (s, parts) for period, (s, _, parts) in figures.items() if s}


def test_every_figure_of_the_year_matches_the_hand_worked_numbers() -> None:
    view = view_of([*history(SESSIONS), CORRECTION])
    assert as_table(view) == hand_worked(BARNGRUPPEN)


def test_open_plans_and_mentor_candidates_are_those_on_the_last_session_day() -> None:
    figures = group_figures(view_of([*history(SESSIONS), CORRECTION]))
    year = [p for p in figures.open_plans if p.period == "2025"]
    assert year == [
        OpenPlan("2025", "m5", "Eva", "omedelbart", "Läser i februari", date(2026, 1, 27)),
        OpenPlan("2025", "m9", "Ingrid", "umgange", "Läser i april", date(2026, 3, 3)),
    ]
    mentors = [m for m in figures.mentor_candidates if m.period == "2025"]
    assert mentors == [
        MentorCandidate("2025", "flyttningsforbud", "m1", "Anna"),
        MentorCandidate("2025", "utreseforbud", "m1", "Anna"),
        MentorCandidate("2025", "umgange", "m2", "Bertil"),
        MentorCandidate("2025", "omedelbart", "m3", "Cecilia"),
    ]
    # In June m8 was still a member, and a candidate for umgänge.
    june = [(m.part, m.member_id) for m in figures.mentor_candidates if m.period == "2025-06"]
    assert june == [("umgange", "m8")]


def test_sessions_recorded_out_of_order_give_the_same_figures() -> None:
    shuffled = [SESSIONS[i] for i in (8, 2, 0, 7, 4, 1, 6, 3, 5)]
    assert as_table(view_of([*history(shuffled), CORRECTION])) == hand_worked(BARNGRUPPEN)


def test_without_the_correction_january_and_the_year_read_as_first_recorded() -> None:
    table = as_table(view_of(history(SESSIONS)))
    # Before the correction m5 had read omedelbart (5 of 8 in January, 6 of 8 in
    # March) and flyttningsförbud had 2 cases in January, 7 in the year.
    assert table["2026-01"][1]["omedelbart"] == ((5, 8), 1, (0, 1), 0)
    assert table["2026-03"][1]["omedelbart"] == ((6, 8), 1, (1, 1), 0)
    assert table["2025"][1]["flyttningsforbud"] == ((8, 8), 7, (3, 5), 0)


def test_an_occurrence_ends_on_time_late_or_missed() -> None:
    def completed(on_time: bool) -> WheelStepCompleted:
        return WheelStepCompleted(
            wheel_id="w",
            step_id="apt",
            occurrence_date=date(2025, 5, 6),
            completed_at=T0,
            on_time=on_time,
            completed_by="u",
        )

    overdue = WheelStepOverdue(
        wheel_id="w",
        step_id="apt",
        occurrence_date=date(2025, 5, 6),
        deadline_at=T0,
        role=Role.UNIT_STAFF,
        unit=UNIT,
    )
    missed = WheelStepMissed(
        wheel_id="w",
        step_id="apt",
        occurrence_date=date(2025, 5, 6),
        follow_up_year=2025,
        deadline_at=T0,
        role=Role.UNIT_STAFF,
        unit=UNIT,
    )
    assert next_occurrence_state(OPEN, completed(True)) == ON_TIME
    assert next_occurrence_state(OPEN, overdue) == OVERDUE
    # A session held in time whose completion arrives after the deadline passed.
    assert next_occurrence_state(OVERDUE, completed(True)) == ON_TIME
    assert next_occurrence_state(OVERDUE, completed(False)) == LATE
    assert next_occurrence_state(OVERDUE, missed) == MISSED
    assert next_occurrence_state(MISSED, completed(False)) == MISSED
    assert next_occurrence_state(ON_TIME, overdue) == ON_TIME


def test_periods_are_the_month_and_the_follow_up_year_from_may() -> None:
    assert periods_of(date(2025, 4, 30)) == ("2024", "2025-04")
    assert periods_of(date(2025, 5, 1)) == ("2025", "2025-05")
    assert months_of_year(2025)[0] == "2025-05" and months_of_year(2025)[-1] == "2026-04"
    assert len(months_of_year(2025)) == 12


def test_a_unit_merges_coverage_as_sums_of_numerators_and_denominators() -> None:
    totals = PeriodTotals("2025")
    for coverage, cases in (((8, 8), 8), ((1, 3), 1), (None, 2)):
        totals.add_part(PartFigure("2025", "f", "F", "F", coverage, cases, 1, 1, 0))
    merged = totals.parts["f"]
    assert (merged.coverage, merged.cases, merged.practice_changed) == ((9, 11), 11, 3)
