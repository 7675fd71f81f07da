"""Client follow-up figures (seed 003 step 5) as mergeable aggregates.

Every measurement event adds to tallies (counts per class) and moments
(n, Σx, Σx²) keyed by (municipality, unit, follow-up year, slice, figure,
key). A slice is everyone (`all`), or one client group, gender or age band,
so each figure is broken down the same way. Sums add up: a municipality's
report is the sum of its units' rows, a region's the sum of its
municipalities'.

An event counts in the follow-up year of its date (1 May – 30 April, the
event's `occurred_at` in Europe/Stockholm): an intake in the year of the
intake rating, a reliable-change class in the year of the exit rating.

`ClientFigures` is the pure part of the projection: from the facts it knows
about follow-ups and a batch of events to the deltas of the read model. It
never reads a clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import structlog

from shared.clock import STOCKHOLM
from shared.events.catalogue import EventPayload
from shared.events.envelope import EventEnvelope
from shared.events.measurements import (
    FollowUpClosed,
    FollowUpOpened,
    GoalAssessed,
    GoalSet,
    InterventionEnded,
    InterventionStarted,
    RatingSubmitted,
    SurveyAnswered,
)
from shared.events.scheduler import follow_up_year, follow_up_year_bounds
from shared.scales import ScaleCatalogue
from shared.statistics import ChangeClass, classify_change, mean_from_sums, sd_from_sums

log = structlog.get_logger(__name__)

ALL, CLIENT_GROUP, GENDER, AGE_BAND = "all", "client_group", "gender", "age_band"
UNKNOWN = "unknown"

# Figure names in the read model.
EVENTS = "events"
OPENED, CLOSED = "opened", "closed"
PROBLEM, GOAL, GOAL_OUTCOME = "problem", "goal", "goal_outcome"
INTERVENTION, INTERVENTION_OUTCOME = "intervention", "intervention_outcome"
CHANGE, UNCLASSIFIED = "change", "unclassified"
LEVEL, SATISFACTION = "level", "satisfaction"
LEVEL_OCCASIONS = ("intake", "exit", "follow_up")


def year_bounds(year: int) -> tuple[date, date]:
    """The first and the last day of follow-up year `year`."""
    first, after = follow_up_year_bounds(year)
    return first, after - timedelta(days=1)


@dataclass(frozen=True)
class FollowUpFacts:
    """What the figures need to know about a follow-up: where it belongs, its slices."""

    follow_up_id: str
    tenant: str
    unit: str
    client_group: str
    gender: str | None
    age_band: str | None

    def slices(self) -> tuple[tuple[str, str], ...]:
        return (
            (ALL, ""),
            (CLIENT_GROUP, self.client_group),
            (GENDER, self.gender or UNKNOWN),
            (AGE_BAND, self.age_band or UNKNOWN),
        )


#: (tenant, unit, year, dimension, category, figure, key)
FigureKey = tuple[str, str, int, str, str, str, str]


@dataclass
class Moment:
    n: int = 0
    total: int = 0
    total_of_squares: int = 0

    def add(self, value: int) -> None:
        self.n += 1
        self.total += value
        self.total_of_squares += value * value


@dataclass
class Deltas:
    """What one batch adds to the read model."""

    tallies: Counter[FigureKey] = field(default_factory=Counter)
    moments: dict[FigureKey, Moment] = field(default_factory=dict)
    new_follow_ups: list[FollowUpFacts] = field(default_factory=list)
    #: (follow-up, scale) → (scale version, intake value)
    new_intakes: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)


class ClientFigures:
    """Turns a batch of measurement events into deltas (no I/O, no clock).

    `known` and `intakes` are what earlier batches stored: each follow-up's
    facts, and its intake value per scale.
    """

    def __init__(
        self,
        scales: ScaleCatalogue,
        known: Mapping[str, FollowUpFacts],
        intakes: Mapping[tuple[str, str], tuple[int, int]],
    ) -> None:
        self.scales = scales
        self.known = dict(known)
        self.intakes = dict(intakes)
        self.deltas = Deltas()

    def apply(self, envelope: EventEnvelope, payload: EventPayload) -> None:
        if isinstance(payload, FollowUpOpened):
            facts = FollowUpFacts(
                payload.follow_up_id,
                payload.tenant,
                payload.unit,
                payload.client_group,
                payload.gender,
                payload.age_band,
            )
            self.known[facts.follow_up_id] = facts
            self.deltas.new_follow_ups.append(facts)
        facts_or_none = self.known.get(envelope.aggregate_id)
        if facts_or_none is None:
            # Its FollowUpOpened precedes it on the same partition, so this only
            # happens if a topic lost history; the event cannot be placed.
            log.warning("event of an unknown follow-up", follow_up=envelope.aggregate_id)
            return
        facts = facts_or_none
        year = follow_up_year(envelope.occurred_at.astimezone(STOCKHOLM).date())
        self._count(facts, year, EVENTS, "", slices=((ALL, ""),))
        match payload:
            case FollowUpOpened():
                self._count(facts, year, OPENED, "")
                for problem in payload.main_problems:
                    self._count(facts, year, PROBLEM, problem)
            case GoalSet():
                self._count(facts, year, GOAL, payload.title)
            case InterventionStarted():
                self._count(facts, year, INTERVENTION, payload.intervention_type)
            case InterventionEnded():
                self._count(facts, year, INTERVENTION_OUTCOME, payload.outcome)
            case RatingSubmitted():
                self._rating(facts, year, payload)
            case GoalAssessed():
                self._count(facts, year, GOAL_OUTCOME, payload.outcome)
            case SurveyAnswered():
                for item_id, value in sorted(payload.answers.items()):
                    self._observe(facts, year, SATISFACTION, f"{payload.scale_id}|{item_id}", value)
            case FollowUpClosed():
                self._count(facts, year, CLOSED, "")

    def _rating(self, facts: FollowUpFacts, year: int, rating: RatingSubmitted) -> None:
        if rating.occasion in LEVEL_OCCASIONS:
            self._observe(facts, year, LEVEL, f"{rating.scale_id}|{rating.occasion}", rating.value)
        key = (facts.follow_up_id, rating.scale_id)
        if rating.occasion == "intake" and key not in self.intakes:
            self.intakes[key] = (rating.scale_version, rating.value)
            self.deltas.new_intakes[key] = (rating.scale_version, rating.value)
        elif rating.occasion == "exit" and key in self.intakes:
            _, intake = self.intakes[key]
            scale = self.scales.find(rating.scale_id, rating.scale_version)
            if scale is None:
                # A scale file this process lacks: counted apart, never guessed.
                log.warning("rating on an unknown scale", scale=rating.scale_id)
                change = UNCLASSIFIED
            else:
                change = classify_change(intake, rating.value, scale.criterion())
            self._count(facts, year, CHANGE, f"{rating.scale_id}|{change}")

    def _count(
        self,
        facts: FollowUpFacts,
        year: int,
        figure: str,
        key: str,
        slices: Iterable[tuple[str, str]] | None = None,
    ) -> None:
        for dimension, category in slices or facts.slices():
            self.deltas.tallies[
                (facts.tenant, facts.unit, year, dimension, category, figure, key)
            ] += 1

    def _observe(self, facts: FollowUpFacts, year: int, figure: str, key: str, value: int) -> None:
        for dimension, category in facts.slices():
            figure_key = (facts.tenant, facts.unit, year, dimension, category, figure, key)
            self.deltas.moments.setdefault(figure_key, Moment()).add(value)


# --- the report ------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    n: int
    sum: int
    sum_of_squares: int

    @property
    def mean(self) -> float | None:
        return mean_from_sums(self.n, self.sum)

    @property
    def sd(self) -> float | None:
        return sd_from_sums(self.n, self.sum, self.sum_of_squares)


@dataclass(frozen=True)
class Level:
    scale_id: str
    occasion: str
    moments: Moments


@dataclass(frozen=True)
class ChangeClasses:
    scale_id: str
    recovered: int
    improved: int
    unchanged: int
    deteriorated: int

    @property
    def total(self) -> int:
        return self.recovered + self.improved + self.unchanged + self.deteriorated


@dataclass(frozen=True)
class Satisfaction:
    scale_id: str
    item_id: str
    moments: Moments


@dataclass(frozen=True)
class Section:
    dimension: str
    category: str
    opened: int
    closed: int
    main_problems: tuple[tuple[str, int], ...]
    levels: tuple[Level, ...]
    changes: tuple[ChangeClasses, ...]
    goals: tuple[tuple[str, int], ...]
    goal_outcomes: Mapping[str, int]
    interventions: tuple[tuple[str, int], ...]
    intervention_outcomes: Mapping[str, int]
    satisfaction: tuple[Satisfaction, ...]

    @property
    def goals_assessed(self) -> int:
        return sum(self.goal_outcomes.values())

    @property
    def share_goals_achieved(self) -> float | None:
        assessed = self.goals_assessed
        return self.goal_outcomes.get("achieved", 0) / assessed if assessed else None

    @property
    def interventions_ended(self) -> int:
        return sum(self.intervention_outcomes.values())

    @property
    def share_interventions_completed(self) -> float | None:
        ended = self.interventions_ended
        return self.intervention_outcomes.get("completed", 0) / ended if ended else None


@dataclass(frozen=True)
class ClientReport:
    tenant: str
    unit: str | None
    year: int
    events: int
    total: Section
    by_client_group: tuple[Section, ...]
    by_gender: tuple[Section, ...]
    by_age_band: tuple[Section, ...]
    notes_sv: tuple[str, ...]
    notes_en: tuple[str, ...]

    @property
    def first_day(self) -> date:
        return year_bounds(self.year)[0]

    @property
    def last_day(self) -> date:
        return year_bounds(self.year)[1]


#: A merged row: (dimension, category, figure, key) → n, or → (n, Σx, Σx²).
TallyRows = Mapping[tuple[str, str, str, str], int]
MomentRows = Mapping[tuple[str, str, str, str], tuple[int, int, int]]


def compile_report(
    tenant: str,
    unit: str | None,
    year: int,
    tallies: TallyRows,
    moments: MomentRows,
    scales: ScaleCatalogue,
) -> ClientReport:
    """The report of merged rows (already summed over the units in scope)."""
    slices = sorted({(d, c) for d, c, _, _ in [*tallies, *moments]})

    def section(dimension: str, category: str) -> Section:
        counts = {
            (f, k): n for (d, c, f, k), n in tallies.items() if (d, c) == (dimension, category)
        }
        sums = {(f, k): m for (d, c, f, k), m in moments.items() if (d, c) == (dimension, category)}
        return _section(dimension, category, counts, sums)

    by = {
        dimension: tuple(section(d, c) for d, c in slices if d == dimension)
        for dimension in (CLIENT_GROUP, GENDER, AGE_BAND)
    }
    used = {k.split("|")[0] for (_, _, f, k) in [*tallies, *moments] if f in (CHANGE, LEVEL)}
    notes_sv, notes_en = _notes(used, scales)
    return ClientReport(
        tenant=tenant,
        unit=unit,
        year=year,
        events=tallies.get((ALL, "", EVENTS, ""), 0),
        total=section(ALL, ""),
        by_client_group=by[CLIENT_GROUP],
        by_gender=by[GENDER],
        by_age_band=by[AGE_BAND],
        notes_sv=notes_sv,
        notes_en=notes_en,
    )


def _section(
    dimension: str,
    category: str,
    counts: Mapping[tuple[str, str], int],
    sums: Mapping[tuple[str, str], tuple[int, int, int]],
) -> Section:
    def keyed(figure: str) -> dict[str, int]:
        return {k: n for (f, k), n in counts.items() if f == figure and n}

    def ranked(figure: str) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(keyed(figure).items(), key=lambda item: (-item[1], item[0])))

    classes: dict[str, Counter[str]] = {}
    for key, n in keyed(CHANGE).items():
        scale_id, change = key.split("|")
        classes.setdefault(scale_id, Counter())[change] += n
    levels = tuple(
        Level(scale_id, occasion, Moments(*value))
        for (figure, key), value in sorted(sums.items())
        if figure == LEVEL
        for scale_id, occasion in [key.split("|")]
    )
    satisfaction = tuple(
        Satisfaction(scale_id, item_id, Moments(*value))
        for (figure, key), value in sorted(sums.items())
        if figure == SATISFACTION
        for scale_id, item_id in [key.split("|")]
    )
    return Section(
        dimension=dimension,
        category=category,
        opened=counts.get((OPENED, ""), 0),
        closed=counts.get((CLOSED, ""), 0),
        main_problems=ranked(PROBLEM),
        levels=levels,
        changes=tuple(
            ChangeClasses(
                scale_id,
                recovered=found[ChangeClass.RECOVERED],
                improved=found[ChangeClass.IMPROVED],
                unchanged=found[ChangeClass.UNCHANGED],
                deteriorated=found[ChangeClass.DETERIORATED],
            )
            for scale_id, found in sorted(classes.items())
        ),
        goals=ranked(GOAL),
        goal_outcomes=keyed(GOAL_OUTCOME),
        interventions=ranked(INTERVENTION),
        intervention_outcomes=keyed(INTERVENTION_OUTCOME),
        satisfaction=satisfaction,
    )


def _notes(
    scale_ids: Iterable[str], scales: ScaleCatalogue
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Caveats the reader must see: constants of a scale not checked against their source."""
    sv: list[str] = []
    en: list[str] = []
    for scale in scales.all():
        if scale.scale_id in scale_ids and scale.unverified:
            names = ", ".join(scale.unverified)
            sv.append(
                f"{scale.name_sv} v{scale.version}: {names} är inte verifierat mot sin källa; "
                "RCI-klasserna är preliminära."
            )
            en.append(
                f"{scale.name_en} v{scale.version}: {names} is not verified against its source; "
                "the RCI classes are provisional."
            )
    return tuple(sv), tuple(en)
