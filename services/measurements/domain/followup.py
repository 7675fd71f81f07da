"""The client follow-up aggregate: one client's episode at a unit (LOKE, seed 003).

State changes only by `apply`; the `decide_*` methods validate a command
against the state and the scale catalogue and return new events, doing no
I/O. A refused command raises InvalidArgument naming the field at fault (or
FailedPrecondition when the follow-up's state does not allow it), so nothing
is stored.

Each event happens on a calendar date (Europe/Stockholm); its `occurred_at`
is 00:00 Stockholm on that date, which places it in a follow-up year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TypeVar

from shared.clock import STOCKHOLM
from shared.errors import FailedPrecondition, InvalidArgument
from shared.events.catalogue import EventPayload
from shared.events.measurements import (
    FollowUpClosed,
    FollowUpOpened,
    Gender,
    GoalAssessed,
    GoalOutcome,
    GoalSet,
    InterventionEnded,
    InterventionOutcome,
    InterventionStarted,
    Occasion,
    Phase,
    RatingSubmitted,
    SurveyAnswered,
)
from shared.eventstore import NewEvent
from shared.municipalities import validate_municipality_code
from shared.personal_data import contains_personal_identity_number, refuse_personal_identity_number
from shared.scales import Scale, ScaleCatalogue

GENDERS: tuple[Gender, ...] = ("female", "male", "other")
AGE_BANDS = ("0-12", "13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
OCCASIONS: tuple[Occasion, ...] = ("intake", "during", "exit", "follow_up")
PHASES: tuple[Phase, ...] = ("A", "B", "C")
GOAL_OUTCOMES: tuple[GoalOutcome, ...] = ("achieved", "partly_achieved", "not_achieved")
INTERVENTION_OUTCOMES: tuple[InterventionOutcome, ...] = ("completed", "ended_early")

_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LOCAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_MAX_TEXT = 200
_MAX_LABEL = 80
_MAX_PROBLEMS = 10

C = TypeVar("C", bound=str)

PSEUDONYM_IS_IDENTITY = (
    "är ett personnummer eller samordningsnummer – klientens namn och identitet hör inte "
    "hemma här, använd enhetens pseudonym / is a personal identity or coordination number: "
    "client names and identities do not belong here, use the unit's pseudonym"
)


def occurred_at(day: date) -> datetime:
    """00:00 Europe/Stockholm on `day`: the instant an event dated `day` happened."""
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM)


def check_pseudonym(client: str, field: str) -> str:
    """The unit's pseudonym for a client; never a personal identity number or a name."""
    if contains_personal_identity_number(client):
        raise InvalidArgument(PSEUDONYM_IS_IDENTITY, field=field)
    if not _PSEUDONYM.match(client):
        raise InvalidArgument(
            "a pseudonym is 1–64 letters A–Z, digits, '.', '_' or '-', e.g. K-2025-017; "
            "client names and identities do not belong here",
            field=field,
        )
    return client


def check_text(value: str, field: str, *, limit: int = _MAX_TEXT, required: bool = True) -> str:
    """Trimmed free text: refused if it holds a personal identity number or is too long."""
    refuse_personal_identity_number(value, field)
    value = value.strip()
    if required and not value:
        raise InvalidArgument("must not be empty", field=field)
    if len(value) > limit:
        raise InvalidArgument(f"at most {limit} characters", field=field)
    return value


def check_local_id(value: str, field: str) -> str:
    if not _LOCAL_ID.match(value):
        raise InvalidArgument("an id is 1–32 letters A–Z, digits, '_' or '-', e.g. g1", field=field)
    return value


@dataclass
class Goal:
    goal_id: str
    title: str
    scale_id: str
    scale_version: int
    set_on: date
    outcome: GoalOutcome | None = None
    assessed_on: date | None = None


@dataclass
class Intervention:
    intervention_id: str
    intervention_type: str
    started_on: date
    goal_ids: tuple[str, ...]
    ended_on: date | None = None
    outcome: InterventionOutcome | None = None


@dataclass(frozen=True)
class RatingInput:
    """A rating as asked for: `value` or `items` (or both, when they agree)."""

    scale_id: str
    scale_version: int
    occasion: str
    rated_on: date
    value: int | None = None
    items: Mapping[str, int] = field(default_factory=dict)
    phase: str | None = None
    week: int | None = None
    goal_id: str | None = None


@dataclass
class FollowUp:
    follow_up_id: str
    version: int = 0
    tenant: str = ""
    unit: str = ""
    client: str = ""
    client_group: str = ""
    main_problems: tuple[str, ...] = ()
    gender: Gender | None = None
    age_band: str | None = None
    opened_on: date | None = None
    closed_on: date | None = None
    goals: dict[str, Goal] = field(default_factory=dict)
    interventions: dict[str, Intervention] = field(default_factory=dict)
    ratings: list[RatingSubmitted] = field(default_factory=list)
    surveys: list[SurveyAnswered] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def status(self) -> str:
        return "closed" if self.closed_on is not None else "open"

    def apply(self, payload: EventPayload) -> None:
        self.version += 1
        match payload:
            case FollowUpOpened():
                self.tenant, self.unit, self.client = payload.tenant, payload.unit, payload.client
                self.client_group, self.main_problems = payload.client_group, payload.main_problems
                self.gender, self.age_band = payload.gender, payload.age_band
                self.opened_on = payload.opened_on
            case GoalSet():
                self.goals[payload.goal_id] = Goal(
                    payload.goal_id,
                    payload.title,
                    payload.scale_id,
                    payload.scale_version,
                    payload.set_on,
                )
            case InterventionStarted():
                self.interventions[payload.intervention_id] = Intervention(
                    payload.intervention_id,
                    payload.intervention_type,
                    payload.started_on,
                    payload.goal_ids,
                )
            case InterventionEnded():
                ended = self.interventions[payload.intervention_id]
                ended.ended_on, ended.outcome = payload.ended_on, payload.outcome
            case RatingSubmitted():
                self.ratings.append(payload)
            case GoalAssessed():
                goal = self.goals[payload.goal_id]
                goal.outcome, goal.assessed_on = payload.outcome, payload.assessed_on
            case SurveyAnswered():
                self.surveys.append(payload)
            case FollowUpClosed():
                self.closed_on = payload.closed_on
            case _:
                raise TypeError(f"a follow-up does not apply {type(payload).__name__}")

    def rating(self, scale_id: str, occasion: str) -> RatingSubmitted | None:
        """The first rating on `scale_id` at `occasion` (intake and exit happen once)."""
        return next(
            (r for r in self.ratings if r.scale_id == scale_id and r.occasion == occasion), None
        )

    def series(self, goal_id: str) -> list[RatingSubmitted]:
        """The goal's ratings during the intervention, in week order."""
        during = [r for r in self.ratings if r.goal_id == goal_id and r.occasion == "during"]
        return sorted(during, key=lambda r: r.week or 0)

    # --- commands ------------------------------------------------------------

    def decide_open(
        self,
        *,
        tenant: str,
        unit: str,
        client: str,
        client_group: str,
        main_problems: Sequence[str],
        gender: str | None,
        age_band: str | None,
        opened_on: date,
        today: date,
    ) -> list[NewEvent]:
        if self.exists:
            raise FailedPrecondition(
                f"the follow-up of {client} at {unit} opened on {opened_on} already exists "
                f"({self.follow_up_id})",
                field="client",
            )
        validate_municipality_code(tenant, "tenant")
        if not _UNIT.match(unit):
            raise InvalidArgument(
                "a unit id is 1–64 letters, digits, '.', '_' or '-'", field="unit"
            )
        check_pseudonym(client, "client")
        group = check_text(client_group, "client_group", limit=_MAX_LABEL)
        if len(main_problems) > _MAX_PROBLEMS:
            raise InvalidArgument(f"at most {_MAX_PROBLEMS} main problems", field="main_problems")
        problems = tuple(
            check_text(p, f"main_problems[{i}]", limit=_MAX_LABEL)
            for i, p in enumerate(main_problems)
        )
        if len(set(problems)) != len(problems):
            raise InvalidArgument("a main problem is named twice", field="main_problems")
        chosen_gender = None if gender is None else _choose(gender, GENDERS, "gender")
        if age_band is not None and age_band not in AGE_BANDS:
            raise InvalidArgument(f"age_band is one of {', '.join(AGE_BANDS)}", field="age_band")
        _not_after(opened_on, today, "opened_on")
        opened = FollowUpOpened(
            follow_up_id=self.follow_up_id,
            tenant=tenant,
            unit=unit,
            client=client,
            client_group=group,
            main_problems=problems,
            gender=chosen_gender,
            age_band=age_band,
            opened_on=opened_on,
        )
        return [NewEvent(opened, occurred_at=occurred_at(opened_on))]

    def decide_set_goal(
        self,
        *,
        goal_id: str,
        title: str,
        scale_id: str,
        scale_version: int,
        set_on: date,
        today: date,
        scales: ScaleCatalogue,
    ) -> list[NewEvent]:
        self._require_open("a goal")
        check_local_id(goal_id, "goal_id")
        if goal_id in self.goals:
            raise InvalidArgument(f"goal {goal_id} is already set", field="goal_id")
        title = check_text(title, "title")
        scale = scales.get(scale_id, scale_version, "scale_id")
        if scale.kind != "score":
            raise InvalidArgument(
                f"{scale_id} is a survey; a goal's measure is a rating scale", field="scale_id"
            )
        self._check_date(set_on, today, "set_on")
        goal = GoalSet(
            goal_id=goal_id,
            title=title,
            scale_id=scale.scale_id,
            scale_version=scale.version,
            set_on=set_on,
        )
        return [NewEvent(goal, occurred_at=occurred_at(set_on))]

    def decide_start_intervention(
        self,
        *,
        intervention_id: str,
        intervention_type: str,
        started_on: date,
        goal_ids: Sequence[str],
        today: date,
    ) -> list[NewEvent]:
        self._require_open("an intervention")
        check_local_id(intervention_id, "intervention_id")
        if intervention_id in self.interventions:
            raise InvalidArgument(
                f"intervention {intervention_id} is already started", field="intervention_id"
            )
        kind = check_text(intervention_type, "intervention_type", limit=_MAX_LABEL)
        for i, goal_id in enumerate(goal_ids):
            if goal_id not in self.goals:
                raise InvalidArgument(
                    f"no goal {goal_id!r} in this follow-up", field=f"goal_ids[{i}]"
                )
        self._check_date(started_on, today, "started_on")
        started = InterventionStarted(
            intervention_id=intervention_id,
            intervention_type=kind,
            started_on=started_on,
            goal_ids=tuple(goal_ids),
        )
        return [NewEvent(started, occurred_at=occurred_at(started_on))]

    def decide_end_intervention(
        self, *, intervention_id: str, ended_on: date, outcome: str, today: date
    ) -> list[NewEvent]:
        self._require_exists()
        intervention = self.interventions.get(intervention_id)
        if intervention is None:
            raise InvalidArgument(
                f"no intervention {intervention_id!r} in this follow-up", field="intervention_id"
            )
        if intervention.ended_on is not None:
            raise FailedPrecondition(
                f"intervention {intervention_id} ended on {intervention.ended_on}",
                field="intervention_id",
            )
        chosen = _choose(outcome, INTERVENTION_OUTCOMES, "outcome")
        self._check_date(ended_on, today, "ended_on")
        if ended_on < intervention.started_on:
            raise InvalidArgument(
                f"the intervention started on {intervention.started_on}", field="ended_on"
            )
        ended = InterventionEnded(
            intervention_id=intervention_id,
            ended_on=ended_on,
            outcome=chosen,
        )
        return [NewEvent(ended, occurred_at=occurred_at(ended_on))]

    def decide_rate(
        self, rating: RatingInput, *, today: date, scales: ScaleCatalogue, field: str = "rating"
    ) -> list[NewEvent]:
        self._require_exists()
        occasion = _choose(rating.occasion, OCCASIONS, f"{field}.occasion")
        if self.closed_on is not None and rating.occasion != "follow_up":
            raise FailedPrecondition(
                f"the follow-up closed on {self.closed_on}; only follow-up ratings remain",
                field=f"{field}.occasion",
            )
        goal = self._rated_goal(rating, field)
        version = rating.scale_version or (goal.scale_version if goal else 0)
        scale = scales.get(rating.scale_id, version, f"{field}.scale_id")
        if scale.kind != "score":
            raise InvalidArgument(
                f"{scale.scale_id} is a survey: answer it as a survey", field=f"{field}.scale_id"
            )
        if goal is not None and scale.key != (goal.scale_id, goal.scale_version):
            raise InvalidArgument(
                f"goal {goal.goal_id} is measured on {goal.scale_id} v{goal.scale_version}",
                field=f"{field}.scale_id",
            )
        value = _rated_value(scale, rating, field)
        phase = self._check_occasion(rating, scale, field)
        self._check_date(rating.rated_on, today, f"{field}.rated_on")
        submitted = RatingSubmitted(
            rating_id=f"r{len(self.ratings) + 1}",
            scale_id=scale.scale_id,
            scale_version=scale.version,
            occasion=occasion,
            phase=phase,
            week=rating.week,
            goal_id=rating.goal_id,
            value=value,
            items=dict(rating.items),
            rated_on=rating.rated_on,
        )
        return [NewEvent(submitted, occurred_at=occurred_at(rating.rated_on))]

    def decide_assess_goal(
        self, *, goal_id: str, outcome: str, assessed_on: date, today: date
    ) -> list[NewEvent]:
        self._require_exists()
        goal = self.goals.get(goal_id)
        if goal is None:
            raise InvalidArgument(f"no goal {goal_id!r} in this follow-up", field="goal_id")
        if goal.outcome is not None:
            raise FailedPrecondition(
                f"goal {goal_id} was assessed on {goal.assessed_on}", field="goal_id"
            )
        chosen = _choose(outcome, GOAL_OUTCOMES, "outcome")
        self._check_date(assessed_on, today, "assessed_on")
        assessed = GoalAssessed(
            goal_id=goal_id,
            outcome=chosen,
            assessed_on=assessed_on,
        )
        return [NewEvent(assessed, occurred_at=occurred_at(assessed_on))]

    def decide_answer_survey(
        self,
        *,
        scale_id: str,
        scale_version: int,
        answers: Mapping[str, int],
        answered_on: date,
        today: date,
        scales: ScaleCatalogue,
    ) -> list[NewEvent]:
        self._require_exists()
        scale = scales.get(scale_id, scale_version, "scale_id")
        if scale.kind != "survey":
            raise InvalidArgument(f"{scale_id} is a rating scale, not a survey", field="scale_id")
        if not answers:
            raise InvalidArgument("a survey needs at least one answer", field="answers")
        scale.check_items(answers, "answers")
        self._check_date(answered_on, today, "answered_on")
        answered = SurveyAnswered(
            survey_id=f"s{len(self.surveys) + 1}",
            scale_id=scale.scale_id,
            scale_version=scale.version,
            answers=dict(answers),
            answered_on=answered_on,
        )
        return [NewEvent(answered, occurred_at=occurred_at(answered_on))]

    def decide_close(self, *, closed_on: date, reason: str, today: date) -> list[NewEvent]:
        self._require_open("closing")
        reason = check_text(reason, "reason", required=False)
        self._check_date(closed_on, today, "closed_on")
        latest = max(
            [r.rated_on for r in self.ratings]
            + [i.started_on for i in self.interventions.values()]
            + [g.set_on for g in self.goals.values()],
            default=None,
        )
        if latest is not None and closed_on < latest:
            raise InvalidArgument(
                f"the follow-up has entries up to {latest}; it cannot close before them",
                field="closed_on",
            )
        closed = FollowUpClosed(closed_on=closed_on, reason=reason)
        return [NewEvent(closed, occurred_at=occurred_at(closed_on))]

    # --- rules ---------------------------------------------------------------

    def _require_exists(self) -> None:
        if not self.exists:
            raise FailedPrecondition(
                f"follow-up {self.follow_up_id} is not open yet", field="follow_up_id"
            )

    def _require_open(self, what: str) -> None:
        self._require_exists()
        if self.closed_on is not None:
            raise FailedPrecondition(
                f"the follow-up closed on {self.closed_on}: no more {what}", field="follow_up_id"
            )

    def _check_date(self, day: date, today: date, field: str) -> None:
        _not_after(day, today, field)
        assert self.opened_on is not None
        if day < self.opened_on:
            raise InvalidArgument(f"the follow-up opened on {self.opened_on}", field=field)

    def _rated_goal(self, rating: RatingInput, field: str) -> Goal | None:
        if rating.goal_id is None:
            if rating.occasion == "during":
                raise InvalidArgument(
                    "a rating during the intervention belongs to a goal's series",
                    field=f"{field}.goal_id",
                )
            return None
        goal = self.goals.get(rating.goal_id)
        if goal is None:
            known = ", ".join(sorted(self.goals)) or "none set"
            raise InvalidArgument(
                f"no goal {rating.goal_id!r} in this follow-up (goals: {known})",
                field=f"{field}.goal_id",
            )
        return goal

    def _check_occasion(self, rating: RatingInput, scale: Scale, field: str) -> Phase | None:
        """The rating's phase, after the rules of its occasion."""
        if rating.occasion == "during":
            if rating.phase is None:
                raise InvalidArgument(
                    "a rating during the intervention has phase A, B or C", field=f"{field}.phase"
                )
            phase = _choose(rating.phase, PHASES, f"{field}.phase")
            if rating.week is None or not 1 <= rating.week <= 53:
                raise InvalidArgument("week is 1–53", field=f"{field}.week")
            if any(r.week == rating.week for r in self.series(rating.goal_id or "")):
                raise InvalidArgument(
                    f"goal {rating.goal_id} already has a point in week {rating.week}",
                    field=f"{field}.week",
                )
            return phase
        if rating.phase is not None or rating.week is not None:
            raise InvalidArgument(
                "phase and week belong to ratings during the intervention only",
                field=f"{field}.phase" if rating.phase is not None else f"{field}.week",
            )
        if rating.occasion in ("intake", "exit"):
            earlier = self.rating(scale.scale_id, rating.occasion)
            if earlier is not None:
                raise InvalidArgument(
                    f"{scale.scale_id} already has an {rating.occasion} rating "
                    f"({earlier.rated_on})",
                    field=f"{field}.occasion",
                )
        if rating.occasion == "exit":
            intake = self.rating(scale.scale_id, "intake")
            if intake is None:
                raise InvalidArgument(
                    f"an exit rating of {scale.scale_id} needs an intake rating of it first",
                    field=f"{field}.occasion",
                )
            if rating.rated_on < intake.rated_on:
                raise InvalidArgument(
                    f"the intake rating of {scale.scale_id} is dated {intake.rated_on}",
                    field=f"{field}.rated_on",
                )
        return None


def _rated_value(scale: Scale, rating: RatingInput, field: str) -> int:
    if rating.items:
        total = scale.score(rating.items, f"{field}.items")
        if rating.value is not None and rating.value != total:
            raise InvalidArgument(
                f"the items add up to {total}, not {rating.value}", field=f"{field}.value"
            )
        return total
    if rating.value is None:
        raise InvalidArgument("give the value or every item", field=f"{field}.value")
    scale.check_value(rating.value, f"{field}.value")
    return rating.value


def _choose(value: str, options: tuple[C, ...], field: str) -> C:
    """`value` as one of `options`, or InvalidArgument listing them."""
    for option in options:
        if value == option:
            return option
    raise InvalidArgument(f"{value!r} is not one of {', '.join(options)}", field=field)


def _not_after(day: date, today: date, field: str) -> None:
    if day > today:
        raise InvalidArgument(f"{day} is in the future (today is {today})", field=field)
