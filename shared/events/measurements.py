"""Events of the measurements service: client follow-ups (LOKE, seed 003).

A follow-up is one client's episode at a unit, known only by the pseudonym
the unit assigns: background (client group, main problems, optional gender
and age band for breakdowns), goals each with a measure (a scale of the
catalogue), interventions, ratings at intake, during (phases A, B, C of a
single-case series), exit and follow-up, goal assessments, client surveys,
and closing. Every date is a Europe/Stockholm calendar date; each event's
`occurred_at` is 00:00 Stockholm on its date, which is what places it in a
follow-up year.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from shared.events.catalogue import EventPayload, event

Occasion = Literal["intake", "during", "exit", "follow_up"]
Phase = Literal["A", "B", "C"]
Gender = Literal["female", "male", "other"]
GoalOutcome = Literal["achieved", "partly_achieved", "not_achieved"]
InterventionOutcome = Literal["completed", "ended_early"]


@event
class FollowUpOpened(EventPayload):
    event_type = "measurements.FollowUpOpened.v1"
    follow_up_id: str
    tenant: str
    unit: str
    client: str = Field(description="The unit's pseudonym for the client, never an identity.")
    client_group: str
    main_problems: tuple[str, ...]
    gender: Gender | None = None
    age_band: str | None = None
    opened_on: date


@event
class GoalSet(EventPayload):
    """A goal and its measure: the scale (and version) its ratings use."""

    event_type = "measurements.GoalSet.v1"
    goal_id: str
    title: str
    scale_id: str
    scale_version: int
    set_on: date


@event
class InterventionStarted(EventPayload):
    event_type = "measurements.InterventionStarted.v1"
    intervention_id: str
    intervention_type: str
    started_on: date
    goal_ids: tuple[str, ...] = ()


@event
class InterventionEnded(EventPayload):
    event_type = "measurements.InterventionEnded.v1"
    intervention_id: str
    ended_on: date
    outcome: InterventionOutcome


@event
class RatingSubmitted(EventPayload):
    """One rating on a scale. `value` is the total; `items` the item answers, if given.

    A rating during an intervention carries its phase (A before, B during,
    C after) and week, and the goal whose single-case series it belongs to.
    """

    event_type = "measurements.RatingSubmitted.v1"
    rating_id: str
    scale_id: str
    scale_version: int
    occasion: Occasion
    phase: Phase | None = None
    week: int | None = None
    goal_id: str | None = None
    value: int
    items: dict[str, int] = Field(default_factory=dict)
    rated_on: date


@event
class GoalAssessed(EventPayload):
    event_type = "measurements.GoalAssessed.v1"
    goal_id: str
    outcome: GoalOutcome
    assessed_on: date


@event
class SurveyAnswered(EventPayload):
    event_type = "measurements.SurveyAnswered.v1"
    survey_id: str
    scale_id: str
    scale_version: int
    answers: dict[str, int]
    answered_on: date


@event
class FollowUpClosed(EventPayload):
    event_type = "measurements.FollowUpClosed.v1"
    closed_on: date
    reason: str = ""
