"""The follow-up aggregate decides events or refuses with the field at fault, storing nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import pytest

from services.measurements.domain import ids
from services.measurements.domain.followup import FollowUp, RatingInput
from services.measurements.domain.series import build_series
from shared.clock import STOCKHOLM
from shared.errors import FailedPrecondition, InvalidArgument
from shared.events.catalogue import EventPayload
from shared.events.measurements import FollowUpOpened, GoalSet, RatingSubmitted
from shared.eventstore import NewEvent
from shared.scales import load_catalogue

SCALES = load_catalogue()
TODAY = date(2026, 6, 1)
OPENED = date(2025, 9, 1)


def _apply(follow_up: FollowUp, events: Sequence[NewEvent]) -> None:
    for new in events:
        follow_up.apply(new.payload)


def opened(client: str = "K-2025-017") -> FollowUp:
    follow_up = FollowUp(ids.follow_up_id("1480", "ifo-vuxen", client, OPENED))
    _apply(
        follow_up,
        follow_up.decide_open(
            tenant="1480",
            unit="ifo-vuxen",
            client=client,
            client_group="missbruk vuxna",
            main_problems=["alkohol", "boende"],
            gender="female",
            age_band="35-44",
            opened_on=OPENED,
            today=TODAY,
        ),
    )
    return follow_up


def with_goal(scale: str = "audit") -> FollowUp:
    follow_up = opened()
    _apply(
        follow_up,
        follow_up.decide_set_goal(
            goal_id="g1",
            title="Minska riskabel alkoholkonsumtion",
            scale_id=scale,
            scale_version=0,
            set_on=OPENED,
            today=TODAY,
            scales=SCALES,
        ),
    )
    return follow_up


def rating(**fields: object) -> RatingInput:
    values: dict[str, object] = {
        "scale_id": "audit",
        "scale_version": 0,
        "occasion": "intake",
        "rated_on": OPENED,
        "value": 17,
    }
    values.update(fields)
    return RatingInput(**values)  # type: ignore[arg-type]


def refused(follow_up: FollowUp, attempt: RatingInput) -> InvalidArgument:
    before = follow_up.version
    with pytest.raises(InvalidArgument) as error:
        follow_up.decide_rate(attempt, today=TODAY, scales=SCALES)
    assert follow_up.version == before
    return error.value


def test_opening_records_the_background_at_midnight_stockholm() -> None:
    follow_up = FollowUp(ids.follow_up_id("1480", "ifo-vuxen", "K-1", OPENED))
    events = follow_up.decide_open(
        tenant="1480",
        unit="ifo-vuxen",
        client="K-1",
        client_group=" missbruk vuxna ",
        main_problems=["alkohol"],
        gender=None,
        age_band=None,
        opened_on=OPENED,
        today=TODAY,
    )
    [event] = events
    assert isinstance(event.payload, FollowUpOpened)
    assert event.payload.client_group == "missbruk vuxna"
    assert event.occurred_at == datetime(2025, 9, 1, tzinfo=STOCKHOLM)


def test_the_follow_up_id_follows_from_the_natural_key() -> None:
    first = ids.follow_up_id("1480", "ifo-vuxen", "K-1", OPENED)
    assert first == ids.follow_up_id("1480", "ifo-vuxen", "K-1", OPENED)
    assert first != ids.follow_up_id("1480", "ifo-vuxen", "K-1", date(2025, 9, 2))
    assert first.startswith("followup-")


@pytest.mark.parametrize("client", ["198112189876", "811218-9876", "20081231+9875"])
def test_a_personal_identity_number_as_pseudonym_is_refused(client: str) -> None:
    follow_up = FollowUp("followup-x")
    with pytest.raises(InvalidArgument) as error:
        follow_up.decide_open(
            tenant="1480",
            unit="ifo-vuxen",
            client=client,
            client_group="g",
            main_problems=[],
            gender=None,
            age_band=None,
            opened_on=OPENED,
            today=TODAY,
        )
    assert error.value.field == "client"
    assert "identities do not belong here" in error.value.reason
    assert "pseudonym" in error.value.reason


def test_a_name_is_not_a_pseudonym_and_free_text_is_checked() -> None:
    follow_up = FollowUp("followup-x")
    arguments: dict[str, object] = {
        "tenant": "1480",
        "unit": "ifo-vuxen",
        "client": "Anna Svensson",
        "client_group": "g",
        "main_problems": [],
        "gender": None,
        "age_band": None,
        "opened_on": OPENED,
        "today": TODAY,
    }
    with pytest.raises(InvalidArgument) as error:
        follow_up.decide_open(**arguments)  # type: ignore[arg-type]
    assert error.value.field == "client"
    arguments |= {"client": "K-1", "main_problems": ["alkohol", "pnr 811218-9876"]}
    with pytest.raises(InvalidArgument) as error:
        follow_up.decide_open(**arguments)  # type: ignore[arg-type]
    assert error.value.field == "main_problems[1]"
    arguments |= {"main_problems": [], "gender": "kvinna"}
    with pytest.raises(InvalidArgument) as error:
        follow_up.decide_open(**arguments)  # type: ignore[arg-type]
    assert error.value.field == "gender"


def test_a_value_outside_the_scale_is_refused() -> None:
    follow_up = with_goal()
    assert refused(follow_up, rating(value=41)).field == "rating.value"
    assert refused(follow_up, rating(value=-1)).field == "rating.value"
    assert refused(follow_up, rating(scale_id="narvarodagar", value=93)).field == "rating.value"


def test_a_rating_of_a_goal_that_does_not_exist_is_refused() -> None:
    follow_up = with_goal()
    error = refused(follow_up, rating(goal_id="g2"))
    assert error.field == "rating.goal_id"
    assert "g1" in error.reason
    # …and a goal's ratings use its measure's scale.
    assert refused(follow_up, rating(goal_id="g1", scale_id="livssituation")).field == (
        "rating.scale_id"
    )


def test_an_exit_rating_before_an_intake_rating_is_refused() -> None:
    follow_up = with_goal()
    error = refused(follow_up, rating(occasion="exit"))
    assert error.field == "rating.occasion"
    assert "intake" in error.reason
    _apply(follow_up, follow_up.decide_rate(rating(), today=TODAY, scales=SCALES))
    assert refused(follow_up, rating(occasion="exit", rated_on=date(2025, 8, 31))).field == (
        "rating.rated_on"
    )
    exit_ = follow_up.decide_rate(
        rating(occasion="exit", value=6, rated_on=date(2026, 2, 1)), today=TODAY, scales=SCALES
    )
    assert isinstance(exit_[0].payload, RatingSubmitted)
    _apply(follow_up, exit_)
    assert refused(follow_up, rating(occasion="exit", value=5)).field == "rating.occasion"


def test_items_add_up_to_the_value() -> None:
    follow_up = with_goal()
    answers = {f"q{i}": 2 for i in range(1, 9)} | {"q9": 0, "q10": 2}
    [event] = follow_up.decide_rate(rating(value=None, items=answers), today=TODAY, scales=SCALES)
    assert isinstance(event.payload, RatingSubmitted) and event.payload.value == 18
    assert refused(follow_up, rating(value=17, items=answers)).field == "rating.value"
    assert refused(follow_up, rating(value=None)).field == "rating.value"


def test_ratings_during_the_intervention_form_a_goals_series() -> None:
    follow_up = with_goal("veckoantal")
    during = {"scale_id": "veckoantal", "occasion": "during", "goal_id": "g1"}
    assert refused(follow_up, rating(**during, week=10)).field == "rating.phase"
    assert refused(follow_up, rating(**during, phase="D", week=10)).field == "rating.phase"
    assert refused(follow_up, rating(**during, phase="A")).field == "rating.week"
    assert refused(follow_up, rating(**(during | {"goal_id": None}), phase="A", week=9)).field == (
        "rating.goal_id"
    )
    assert refused(follow_up, rating(scale_id="veckoantal", phase="A", week=9)).field == (
        "rating.phase"
    )
    for week, phase, value in [(10, "A", 2), (11, "A", 3), (12, "B", 5), (13, "B", 3)]:
        _apply(
            follow_up,
            follow_up.decide_rate(
                rating(**during, phase=phase, week=week, value=value), today=TODAY, scales=SCALES
            ),
        )
    assert refused(follow_up, rating(**during, phase="B", week=12, value=4)).field == "rating.week"
    series = build_series("g1", "t", SCALES.get("veckoantal", 1, "s"), follow_up.series("g1"))
    assert [(p.phase, p.n, p.mean) for p in series.phases] == [("A", 2, 2.5), ("B", 2, 4.0)]
    # Higher is better: B points beyond max(A) = 3 are 5 only: 1 of 2. NAP: pairs (2,5) (2,3)
    # (3,5) improve, (3,3) ties: 3.5 of 4.
    [comparison] = series.comparisons
    assert (comparison.pnd, comparison.nap) == (1 / 2, 3.5 / 4)


def test_dates_before_opening_or_in_the_future_are_refused() -> None:
    follow_up = with_goal()
    assert refused(follow_up, rating(rated_on=date(2025, 8, 31))).field == "rating.rated_on"
    assert refused(follow_up, rating(rated_on=date(2026, 6, 2))).field == "rating.rated_on"


def test_goals_interventions_assessments_and_closing() -> None:
    follow_up = with_goal()
    with pytest.raises(InvalidArgument) as error:
        follow_up.decide_set_goal(
            goal_id="g2",
            title="t",
            scale_id="klientenkat",
            scale_version=0,
            set_on=OPENED,
            today=TODAY,
            scales=SCALES,
        )
    assert error.value.field == "scale_id"
    _apply(
        follow_up,
        follow_up.decide_start_intervention(
            intervention_id="i1",
            intervention_type="MI",
            started_on=OPENED,
            goal_ids=["g1"],
            today=TODAY,
        ),
    )
    with pytest.raises(InvalidArgument) as error:
        follow_up.decide_end_intervention(
            intervention_id="i1", ended_on=date(2025, 12, 1), outcome="done", today=TODAY
        )
    assert error.value.field == "outcome"
    with pytest.raises(InvalidArgument) as error:
        follow_up.decide_assess_goal(
            goal_id="g9", outcome="achieved", assessed_on=OPENED, today=TODAY
        )
    assert error.value.field == "goal_id"
    _apply(
        follow_up,
        follow_up.decide_close(closed_on=date(2026, 1, 15), reason="", today=TODAY),
    )
    assert follow_up.status == "closed"
    with pytest.raises(FailedPrecondition):
        follow_up.decide_rate(rating(), today=TODAY, scales=SCALES)
    # A follow-up rating after closing is what follow-up is for.
    later = follow_up.decide_rate(
        rating(occasion="follow_up", value=3, rated_on=date(2026, 5, 1)),
        today=TODAY,
        scales=SCALES,
    )
    assert later and isinstance(later[0].payload, RatingSubmitted)
    with pytest.raises(FailedPrecondition):
        follow_up.decide_set_goal(
            goal_id="g3",
            title="t",
            scale_id="audit",
            scale_version=0,
            set_on=OPENED,
            today=TODAY,
            scales=SCALES,
        )


def test_a_follow_up_is_its_events_replayed() -> None:
    source = opened()
    decided = source.decide_set_goal(
        goal_id="g1",
        title="Fler närvarodagar",
        scale_id="narvarodagar",
        scale_version=0,
        set_on=OPENED,
        today=TODAY,
        scales=SCALES,
    )
    replayed = FollowUp(source.follow_up_id)
    opening = FollowUp(source.follow_up_id).decide_open(
        tenant="1480",
        unit="ifo-vuxen",
        client="K-2025-017",
        client_group="missbruk vuxna",
        main_problems=["alkohol", "boende"],
        gender="female",
        age_band="35-44",
        opened_on=OPENED,
        today=TODAY,
    )
    _apply(replayed, [*opening, *decided])
    _apply(source, decided)
    assert replayed == source
    assert replayed.goals["g1"].scale_id == "narvarodagar"
    assert isinstance(decided[0].payload, GoalSet)
    with pytest.raises(TypeError):
        replayed.apply(EventPayload())
