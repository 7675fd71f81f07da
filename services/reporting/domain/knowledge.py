"""The knowledge follow-up figures (seed 000, DOMAIN.md section 1): pure functions.

Two kinds of input, both events only:

- a work group's wheel occurrences (scheduler): each ends as held on time,
  held late, or missed (overdue and open while its year is not over);
- a work group's history (sessions): members joining and leaving, the parts
  chosen as relevant, and sessions with their corrections.

Figures, per work group and per period (a month "2025-06", and the
follow-up year "2025" = 1 May 2025 – 30 April 2026):

- **coverage** of a relevant part: of the members on the day of the period's
  last session, how many had taken part of it, as an exact fraction. A
  member has taken part if the latest answer to question 1 for her and the
  part, over every session up to that day, is "yes".
- **cases** per part (question 2), summed over the period's sessions;
- **changed practice** per part (question 3): sessions answering "changed"
  of the sessions answering question 3 for the part;
- **open plans**: on the day of the period's last session, members whose
  latest answer for a relevant part is "not yet" (with the plan given);
- **mentor candidates**: on that day, members and the parts they know in
  depth, as last recorded for them.

Every figure is a count, or a numerator and a denominator, so a unit is the
sum of its work groups and a municipality the sum of its units.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict

from shared.events.catalogue import EventPayload
from shared.events.scheduler import (
    WheelStepCompleted,
    WheelStepDue,
    WheelStepMissed,
    WheelStepOverdue,
    follow_up_year,
)
from shared.events.sessions import (
    ChosenPart,
    MemberJoined,
    MemberLeft,
    RelevantPartsChosen,
    SessionContent,
    SessionCorrected,
    SessionRecorded,
    WorkGroupFormed,
)

# --- periods ------------------------------------------------------------------------


def month_period(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def year_period(day: date) -> str:
    return str(follow_up_year(day))


def periods_of(day: date) -> tuple[str, str]:
    """The follow-up year and the month `day` falls in."""
    return year_period(day), month_period(day)


def months_of_year(year: int) -> list[str]:
    """The months of follow-up year `year`, May to April."""
    return [f"{year}-{m:02d}" for m in range(5, 13)] + [f"{year + 1}-{m:02d}" for m in range(1, 5)]


# --- occurrences --------------------------------------------------------------------

OPEN, OVERDUE, ON_TIME, LATE, MISSED = "open", "overdue", "on_time", "late", "missed"
OCCURRENCE_STATES = (OPEN, OVERDUE, ON_TIME, LATE, MISSED)


def next_occurrence_state(state: str, payload: EventPayload) -> str:
    """An occurrence's state after one of its events; a transition the
    scheduler never emits (completed twice, say) leaves it as it was."""
    match payload:
        case WheelStepOverdue() if state == OPEN:
            return OVERDUE
        case WheelStepCompleted() if state in (OPEN, OVERDUE):
            return ON_TIME if payload.on_time else LATE
        case WheelStepMissed() if state in (OPEN, OVERDUE):
            return MISSED
    return state


#: The events of an occurrence, each naming it by (wheel, step, occurrence date).
OccurrenceEvent = WheelStepDue | WheelStepOverdue | WheelStepCompleted | WheelStepMissed


# --- a work group's history ---------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberView(_Model):
    display_name: str
    #: (joined_on, left_on): left_on is the first day no longer a member.
    periods: list[tuple[date, date | None]] = []

    def member_on(self, day: date) -> bool:
        return any(joined <= day and (left is None or day < left) for joined, left in self.periods)


class SessionView(_Model):
    #: The order in which sessions were first recorded (ties on one day).
    order: int
    content: SessionContent


class GroupView(_Model):
    """What the projection keeps of one work group: enough to compute its figures again."""

    tenant: str
    work_group_id: str
    unit: str = ""
    members: dict[str, MemberView] = {}
    part_choices: list[tuple[date, list[ChosenPart]]] = []
    sessions: dict[str, SessionView] = {}

    def apply(self, payload: EventPayload) -> None:
        match payload:
            case WorkGroupFormed():
                self.unit = payload.unit
            case MemberJoined():
                member = self.members.setdefault(
                    payload.member_id, MemberView(display_name=payload.display_name)
                )
                member.display_name = payload.display_name
                member.periods.append((payload.joined_on, None))
            case MemberLeft():
                periods = self.members[payload.member_id].periods
                periods[-1] = (periods[-1][0], payload.left_on)
            case RelevantPartsChosen():
                self.part_choices.append((payload.valid_from, list(payload.parts)))
            case SessionRecorded():
                self.sessions[payload.session_id] = SessionView(
                    order=len(self.sessions), content=payload.content
                )
            case SessionCorrected():
                self.sessions[payload.session_id].content = payload.content

    def members_on(self, day: date) -> list[tuple[str, MemberView]]:
        return sorted((i, m) for i, m in self.members.items() if m.member_on(day))

    def relevant_parts_on(self, day: date) -> list[ChosenPart]:
        """The latest choice valid on `day` (of two valid from one day, the later)."""
        valid = [
            (valid_from, order)
            for order, (valid_from, _) in enumerate(self.part_choices)
            if valid_from <= day
        ]
        return self.part_choices[max(valid)[1]][1] if valid else []

    def part_names(self) -> dict[str, tuple[str, str]]:
        """Code → (Swedish, English) name, as most recently chosen."""
        return {p.code: (p.name_sv, p.name_en) for _, parts in self.part_choices for p in parts}


#: The events of a work group that its figures depend on.
GroupEvent = (
    WorkGroupFormed
    | MemberJoined
    | MemberLeft
    | RelevantPartsChosen
    | SessionRecorded
    | SessionCorrected
)


# --- a work group's figures ---------------------------------------------------------

Fraction = tuple[int, int]


@dataclass(frozen=True)
class PartFigure:
    period: str
    part: str
    name_sv: str
    name_en: str
    #: None when the part was not relevant on the period's last session day.
    coverage: Fraction | None
    cases: int
    practice_answered: int
    practice_changed: int
    open_plans: int


@dataclass(frozen=True)
class OpenPlan:
    period: str
    member_id: str
    display_name: str
    part: str
    plan: str
    since: date


@dataclass(frozen=True)
class MentorCandidate:
    period: str
    part: str
    member_id: str
    display_name: str


@dataclass
class GroupFigures:
    sessions: dict[str, int] = field(default_factory=dict)
    parts: list[PartFigure] = field(default_factory=list)
    open_plans: list[OpenPlan] = field(default_factory=list)
    mentor_candidates: list[MentorCandidate] = field(default_factory=list)


@dataclass(frozen=True)
class _Snapshot:
    """The group on one session's day."""

    coverage: dict[str, Fraction]
    open_plans: list[tuple[str, str, str, str, date]]
    mentors: list[tuple[str, str, str]]


@dataclass
class _Period:
    sessions: int = 0
    cases: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    last: _Snapshot | None = None


def group_figures(view: GroupView) -> GroupFigures:
    """Every figure of one work group, from its history alone (deterministic)."""
    ordered = sorted(view.sessions.values(), key=lambda s: (s.content.held_on, s.order))
    #: (member, part) → (taken part, plan, the day answered)
    answers: dict[tuple[str, str], tuple[bool, str, date]] = {}
    in_depth: dict[str, tuple[str, ...]] = {}
    periods: dict[str, _Period] = {}
    for session in ordered:
        content = session.content
        for uptake in content.taken_part:
            answers[(uptake.member_id, uptake.part)] = (
                uptake.taken_part,
                uptake.plan,
                content.held_on,
            )
        for known in content.in_depth:
            in_depth[known.member_id] = known.parts
        snapshot = _snapshot(view, content.held_on, answers, in_depth)
        for period in periods_of(content.held_on):
            figures = periods.setdefault(period, _Period())
            figures.sessions += 1
            figures.cases.update({c.part: c.cases for c in content.cases})
            figures.answered.update(p.part for p in content.practice)
            figures.changed.update(p.part for p in content.practice if p.changed)
            figures.last = snapshot
    return _collect(view, periods)


def _snapshot(
    view: GroupView,
    day: date,
    answers: dict[tuple[str, str], tuple[bool, str, date]],
    in_depth: dict[str, tuple[str, ...]],
) -> _Snapshot:
    members = view.members_on(day)
    relevant = [p.code for p in view.relevant_parts_on(day)]
    coverage = {
        part: (sum(1 for m, _ in members if answers.get((m, part), (False,))[0]), len(members))
        for part in relevant
    }
    plans = [
        (member_id, member.display_name, part, answer[1], answer[2])
        for member_id, member in members
        for part in relevant
        if (answer := answers.get((member_id, part))) is not None and not answer[0]
    ]
    mentors = [
        (part, member_id, member.display_name)
        for member_id, member in members
        for part in in_depth.get(member_id, ())
    ]
    return _Snapshot(coverage, plans, mentors)


def _collect(view: GroupView, periods: dict[str, _Period]) -> GroupFigures:
    names = view.part_names()
    result = GroupFigures()
    for period, figures in sorted(periods.items()):
        last = figures.last
        assert last is not None
        result.sessions[period] = figures.sessions
        open_by_part = Counter(part for _, _, part, _, _ in last.open_plans)
        parts = sorted(set(last.coverage) | set(figures.cases) | set(figures.answered))
        for part in parts:
            name_sv, name_en = names.get(part, (part, part))
            result.parts.append(
                PartFigure(
                    period=period,
                    part=part,
                    name_sv=name_sv,
                    name_en=name_en,
                    coverage=last.coverage.get(part),
                    cases=figures.cases[part],
                    practice_answered=figures.answered[part],
                    practice_changed=figures.changed[part],
                    open_plans=open_by_part[part],
                )
            )
        result.open_plans.extend(
            OpenPlan(period, member_id, name, part, plan, since)
            for member_id, name, part, plan, since in last.open_plans
        )
        result.mentor_candidates.extend(
            MentorCandidate(period, part, member_id, name) for part, member_id, name in last.mentors
        )
    return result


# --- merging groups into a unit or a municipality -----------------------------------


@dataclass
class OccurrenceTotals:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, state: str, n: int) -> None:
        self.counts[state] += n

    @property
    def due(self) -> int:
        return sum(self.counts[s] for s in OCCURRENCE_STATES)


@dataclass
class PartTotals:
    """One part's figures summed over work groups (coverage over those where it is relevant)."""

    part: str
    name_sv: str
    name_en: str
    coverage: Fraction | None = None
    cases: int = 0
    practice_answered: int = 0
    practice_changed: int = 0
    open_plans: int = 0

    def add(self, figure: PartFigure) -> None:
        if figure.coverage is not None:
            numerator, denominator = self.coverage or (0, 0)
            self.coverage = (numerator + figure.coverage[0], denominator + figure.coverage[1])
        self.cases += figure.cases
        self.practice_answered += figure.practice_answered
        self.practice_changed += figure.practice_changed
        self.open_plans += figure.open_plans


@dataclass
class PeriodTotals:
    period: str
    sessions: int = 0
    occurrences: OccurrenceTotals = field(default_factory=OccurrenceTotals)
    parts: dict[str, PartTotals] = field(default_factory=dict)

    def add_part(self, figure: PartFigure) -> None:
        totals = self.parts.setdefault(
            figure.part, PartTotals(figure.part, figure.name_sv, figure.name_en)
        )
        totals.add(figure)
