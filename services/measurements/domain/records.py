"""Import rows: one row of a case-management export is one client follow-up.

A row is a flat mapping of column to text (CSV cells, or JSON Lines values
turned to text). It is replayed as the ordinary commands on a fresh
follow-up (open, goal, intake ratings, intervention, exit ratings, goal
assessment, survey, close), so an imported follow-up obeys exactly the rules
of one entered by hand. A refusal names the column at fault.

Columns (empty cells are absent):

| column | meaning |
| --- | --- |
| unit, client, opened_on, client_group | required; client is the unit's pseudonym |
| main_problems | separated by ";" |
| gender, age_band | optional, for breakdowns |
| goal, goal_scale | the goal (id g1) and the scale of its measure |
| intake_<scale>, exit_<scale> | total score on <scale> at intake / exit (e.g. intake_audit) |
| intake_on, exit_on | their dates (default: opened_on / closed_on) |
| intervention, intervention_start, intervention_end, intervention_outcome | one (id i1) |
| goal_outcome | achieved, partly_achieved or not_achieved (assessed on exit_on or closed_on) |
| survey_<item> | an answer to the client survey (klientenkat), answered on closed_on |
| closed_on | when the follow-up closed |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial

from services.measurements.domain import ids
from services.measurements.domain.followup import FollowUp, RatingInput
from shared.errors import DomainError, InvalidArgument
from shared.eventstore import NewEvent
from shared.scales import ScaleCatalogue

SURVEY_SCALE = "klientenkat"
GOAL_ID = "g1"
INTERVENTION_ID = "i1"
_INTAKE, _EXIT, _SURVEY = "intake_", "exit_", "survey_"
COLUMNS = (
    "unit",
    "client",
    "opened_on",
    "client_group",
    "main_problems",
    "gender",
    "age_band",
    "goal",
    "goal_scale",
    "intake_on",
    "exit_on",
    "intervention",
    "intervention_start",
    "intervention_end",
    "intervention_outcome",
    "goal_outcome",
    "closed_on",
)


@dataclass(frozen=True)
class PlannedFollowUp:
    """A valid row: the follow-up it becomes and the events that make it."""

    follow_up: FollowUp
    events: list[NewEvent]


def plan_row(
    tenant: str, row: Mapping[str, str], *, today: date, scales: ScaleCatalogue
) -> PlannedFollowUp:
    """The events one row becomes, or InvalidArgument naming the column at fault."""
    cells = {key.strip(): value.strip() for key, value in row.items() if value.strip()}
    _check_columns(cells, scales)
    opened_on = _date(cells, "opened_on", required=True)
    assert opened_on is not None
    client = _text(cells, "client", required=True)
    unit = _text(cells, "unit", required=True)
    follow_up = FollowUp(ids.follow_up_id(tenant, unit, client, opened_on))
    events: list[NewEvent] = []

    def step(column: str, columns: Mapping[str, str], decide: Callable[[], list[NewEvent]]) -> None:
        """Run one command on the follow-up; a refusal names the row's column:
        the command's field mapped by `columns` (exactly, or by its name before
        any "[" or "."), else `column`."""
        try:
            decided = decide()
        except DomainError as error:
            field = error.field or ""
            base = field.split("[")[0].split(".")[0]
            raise InvalidArgument(
                error.reason, field=columns.get(field, columns.get(base, column))
            ) from None
        for new in decided:
            follow_up.apply(new.payload)
        events.extend(decided)

    step(
        "client",
        {name: name for name in ("tenant", "unit", "client_group", "gender", "age_band")}
        | {"opened_on": "opened_on", "main_problems": "main_problems"},
        lambda: follow_up.decide_open(
            tenant=tenant,
            unit=unit,
            client=client,
            client_group=_text(cells, "client_group", required=True),
            main_problems=[p for p in cells.get("main_problems", "").split(";") if p.strip()],
            gender=cells.get("gender"),
            age_band=cells.get("age_band"),
            opened_on=opened_on,
            today=today,
        ),
    )
    closed_on = _date(cells, "closed_on")
    exit_on = _date(cells, "exit_on") or closed_on
    intake_on = _date(cells, "intake_on") or opened_on
    goal_scale = cells.get("goal_scale")
    if "goal" in cells or goal_scale:
        step(
            "goal",
            {"scale_id": "goal_scale", "set_on": "opened_on"},
            lambda: follow_up.decide_set_goal(
                goal_id=GOAL_ID,
                title=_text(cells, "goal", required=True),
                scale_id=_text(cells, "goal_scale", required=True),
                scale_version=0,
                set_on=opened_on,
                today=today,
                scales=scales,
            ),
        )
    for occasion, prefix, on, date_column in (
        ("intake", _INTAKE, intake_on, "intake_on"),
        ("exit", _EXIT, exit_on, "exit_on"),
    ):
        for column in sorted(c for c in cells if c.startswith(prefix) and c != date_column):
            if on is None:
                raise InvalidArgument(f"{column} needs exit_on or closed_on", field="exit_on")
            scale_id = column.removeprefix(prefix)
            rating = RatingInput(
                scale_id=scale_id,
                scale_version=0,
                occasion=occasion,
                rated_on=on,
                value=_int(cells, column),
                goal_id=GOAL_ID if scale_id == goal_scale and GOAL_ID in follow_up.goals else None,
            )
            step(
                column,
                {"rating.rated_on": date_column},
                partial(follow_up.decide_rate, rating, today=today, scales=scales),
            )
        if occasion == "intake" and "intervention" in cells:
            _intervention(cells, follow_up, step, opened_on, today)
    if "goal_outcome" in cells:
        assessed_on = exit_on or closed_on
        if assessed_on is None:
            raise InvalidArgument("goal_outcome needs exit_on or closed_on", field="goal_outcome")
        step(
            "goal_outcome",
            {"goal_id": "goal", "assessed_on": "exit_on" if "exit_on" in cells else "closed_on"},
            lambda: follow_up.decide_assess_goal(
                goal_id=GOAL_ID, outcome=cells["goal_outcome"], assessed_on=assessed_on, today=today
            ),
        )
    answers = {
        column.removeprefix(_SURVEY): _int(cells, column)
        for column in sorted(cells)
        if column.startswith(_SURVEY)
    }
    if answers:
        if closed_on is None:
            raise InvalidArgument("a survey answer needs closed_on", field="closed_on")
        step(
            next(f"{_SURVEY}{k}" for k in answers),
            {"answered_on": "closed_on"} | {f"answers.{k}": f"{_SURVEY}{k}" for k in answers},
            lambda: follow_up.decide_answer_survey(
                scale_id=SURVEY_SCALE,
                scale_version=0,
                answers=answers,
                answered_on=closed_on,
                today=today,
                scales=scales,
            ),
        )
    if closed_on is not None:
        step(
            "closed_on",
            {},
            lambda: follow_up.decide_close(closed_on=closed_on, reason="", today=today),
        )
    return PlannedFollowUp(follow_up, events)


def natural_key(tenant: str, row: Mapping[str, str]) -> str | None:
    """The follow-up id a row would have, or None if its key columns are unusable."""
    try:
        opened_on = _date(row, "opened_on", required=True)
        assert opened_on is not None
        return ids.follow_up_id(
            tenant,
            _text(row, "unit", required=True),
            _text(row, "client", required=True),
            opened_on,
        )
    except InvalidArgument:
        return None


def _intervention(
    cells: Mapping[str, str],
    follow_up: FollowUp,
    step: Callable[[str, Mapping[str, str], Callable[[], list[NewEvent]]], None],
    opened_on: date,
    today: date,
) -> None:
    started_on = _date(cells, "intervention_start") or opened_on
    goal_ids = [GOAL_ID] if GOAL_ID in follow_up.goals else []
    step(
        "intervention",
        {"started_on": "intervention_start"},
        lambda: follow_up.decide_start_intervention(
            intervention_id=INTERVENTION_ID,
            intervention_type=cells["intervention"],
            started_on=started_on,
            goal_ids=goal_ids,
            today=today,
        ),
    )
    ended_on = _date(cells, "intervention_end")
    outcome = cells.get("intervention_outcome")
    if ended_on is None and outcome is None:
        return
    if ended_on is None or outcome is None:
        missing = "intervention_end" if ended_on is None else "intervention_outcome"
        raise InvalidArgument(
            "intervention_end and intervention_outcome come together", field=missing
        )
    step(
        "intervention_outcome",
        {"ended_on": "intervention_end"},
        lambda: follow_up.decide_end_intervention(
            intervention_id=INTERVENTION_ID, ended_on=ended_on, outcome=outcome, today=today
        ),
    )


def _check_columns(cells: Mapping[str, str], scales: ScaleCatalogue) -> None:
    survey = scales.get(SURVEY_SCALE, None, "survey")
    for column in cells:
        if column in COLUMNS:
            continue
        if column.startswith((_INTAKE, _EXIT)):
            continue
        if column.startswith(_SURVEY) and survey.item(column.removeprefix(_SURVEY)):
            continue
        raise InvalidArgument(
            "unknown column: import only the columns listed in the README "
            "(personal data must not travel in extra columns)",
            field=column,
        )


def _text(cells: Mapping[str, str], column: str, *, required: bool = False) -> str:
    value = cells.get(column, "").strip()
    if required and not value:
        raise InvalidArgument("is required", field=column)
    return value


def _date(cells: Mapping[str, str], column: str, *, required: bool = False) -> date | None:
    value = _text(cells, column, required=required)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{value!r} is not a date (YYYY-MM-DD)", field=column) from None


def _int(cells: Mapping[str, str], column: str) -> int:
    value = cells[column]
    try:
        return int(value)
    except ValueError:
        raise InvalidArgument(f"{value!r} is not a whole number", field=column) from None
