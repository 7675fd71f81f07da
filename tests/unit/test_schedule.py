"""Occurrences and step validation, against dates worked out by hand.

Stockholm is UTC+01:00 in winter (CET) and UTC+02:00 in summer (CEST); in
2026 summer time starts on 29 March and ends on 25 October.
"""

from __future__ import annotations

import time as wall
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from services.scheduler.domain.schedule import (
    Occurrence,
    occurrences,
    validate_step,
    validate_steps,
)
from shared.errors import InvalidArgument
from shared.events.scheduler import Recurrence, WheelStep, YearlyWindow
from shared.roles import Role

APT_RULE = "FREQ=MONTHLY;BYDAY=1TU;BYMONTH=1,2,3,4,5,6,8,9,10,11,12"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def step(
    schedule: YearlyWindow | Recurrence,
    step_id: str = "steg",
    title_sv: str = "Steg",
    title_en: str = "Step",
) -> WheelStep:
    return WheelStep(
        step_id=step_id,
        title_sv=title_sv,
        title_en=title_en,
        role=Role.UNIT_MANAGER,
        schedule=schedule,
    )


def window(opens: str = "05-01", deadline: str = "05-15", next_year: bool = False) -> YearlyWindow:
    return YearlyWindow(opens=opens, deadline=deadline, deadline_next_year=next_year)


def recurrence(
    rule: str = APT_RULE,
    starts_on: date = date(2026, 1, 1),
    at: time = time(9, 0),
    deadline_days: int = 14,
) -> Recurrence:
    return Recurrence(rrule=rule, starts_on=starts_on, at=at, deadline_days=deadline_days)


# --- yearly windows ------------------------------------------------------------


def test_loke_step_one_in_2025_opens_at_midnight_summer_time() -> None:
    found = occurrences(window("05-01", "05-15"), utc(2025, 1, 1), utc(2026, 1, 1))

    assert found == [
        Occurrence(
            occurrence_date=date(2025, 5, 1),
            opens_at=utc(2025, 4, 30, 22, 0),
            deadline_at=utc(2025, 5, 15, 22, 0),
        )
    ]


def test_winter_window_uses_plus_one_hour() -> None:
    # 2026-01-01 00:00+01:00 is 2025-12-31T23:00Z, before this range; 2027's
    # opening, 2026-12-31T23:00Z, is its (excluded) end.
    found = occurrences(window("01-01", "04-30"), utc(2026, 1, 1), utc(2026, 12, 31, 23, 0))
    assert found == []
    found = occurrences(window("01-01", "04-30"), utc(2025, 12, 31), utc(2026, 12, 31, 23, 0))
    assert found == [
        Occurrence(
            occurrence_date=date(2026, 1, 1),
            opens_at=utc(2025, 12, 31, 23, 0),
            # The day after 30 April is in summer time: 00:00+02:00.
            deadline_at=utc(2026, 4, 30, 22, 0),
        )
    ]


def test_opening_in_the_local_year_after_the_utc_year_is_found() -> None:
    found = occurrences(
        window("01-01", "01-31"), utc(2025, 12, 31, 23, 0), utc(2025, 12, 31, 23, 0, 1)
    )

    assert [o.occurrence_date for o in found] == [date(2026, 1, 1)]


def test_window_across_new_year_is_due_in_the_next_year() -> None:
    found = occurrences(window("12-15", "01-15", next_year=True), utc(2025, 1, 1), utc(2026, 1, 1))

    assert found == [
        Occurrence(
            occurrence_date=date(2025, 12, 15),
            opens_at=utc(2025, 12, 14, 23, 0),
            deadline_at=utc(2026, 1, 15, 23, 0),
        )
    ]


def test_range_includes_start_and_excludes_end() -> None:
    opens_2025 = utc(2025, 4, 30, 22, 0)

    assert len(occurrences(window(), opens_2025, opens_2025 + timedelta(seconds=1))) == 1
    assert occurrences(window(), opens_2025 - timedelta(days=1), opens_2025) == []


def test_two_years_of_a_yearly_window_in_order() -> None:
    found = occurrences(window(), utc(2025, 1, 1), utc(2027, 1, 1))

    assert [o.occurrence_date for o in found] == [date(2025, 5, 1), date(2026, 5, 1)]
    assert [o.opens_at for o in found] == [utc(2025, 4, 30, 22), utc(2026, 4, 30, 22)]


def test_empty_or_reversed_range_gives_nothing() -> None:
    assert occurrences(window(), utc(2026, 1, 1), utc(2026, 1, 1)) == []
    assert occurrences(window(), utc(2027, 1, 1), utc(2026, 1, 1)) == []


def test_naive_range_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(window(), datetime(2026, 1, 1), utc(2027, 1, 1))


def test_range_in_another_offset_means_the_same_instants() -> None:
    plus_two = timezone(timedelta(hours=2))
    start = datetime(2025, 5, 1, 0, 0, tzinfo=plus_two)  # == 2025-04-30T22:00Z

    found = occurrences(window(), start, start + timedelta(hours=1))

    assert [o.opens_at for o in found] == [utc(2025, 4, 30, 22, 0)]


# --- recurrences ---------------------------------------------------------------


def test_first_tuesdays_of_january_to_march_2026() -> None:
    found = occurrences(recurrence(), utc(2026, 1, 1), utc(2026, 4, 1))

    assert found == [
        Occurrence(date(2026, 1, 6), utc(2026, 1, 6, 8, 0), utc(2026, 1, 20, 23, 0)),
        Occurrence(date(2026, 2, 3), utc(2026, 2, 3, 8, 0), utc(2026, 2, 17, 23, 0)),
        Occurrence(date(2026, 3, 3), utc(2026, 3, 3, 8, 0), utc(2026, 3, 17, 23, 0)),
    ]


def test_no_apt_in_july() -> None:
    found = occurrences(recurrence(), utc(2026, 6, 1), utc(2026, 9, 2))

    assert [o.occurrence_date for o in found] == [
        date(2026, 6, 2),
        date(2026, 8, 4),
        date(2026, 9, 1),
    ]
    # Summer time: 09:00 local is 07:00Z.
    assert found[0].opens_at == utc(2026, 6, 2, 7, 0)


def test_spring_dst_switch_keeps_nine_o_clock_local() -> None:
    daily = recurrence("FREQ=DAILY", starts_on=date(2026, 3, 27), deadline_days=0)

    found = occurrences(daily, utc(2026, 3, 27), utc(2026, 3, 31))

    assert [o.opens_at for o in found] == [
        utc(2026, 3, 27, 8, 0),
        utc(2026, 3, 28, 8, 0),
        utc(2026, 3, 29, 7, 0),
        utc(2026, 3, 30, 7, 0),
    ]
    # The deadline of the 28th is midnight into the 29th, still winter time.
    assert found[1].deadline_at == utc(2026, 3, 28, 23, 0)
    assert found[2].deadline_at == utc(2026, 3, 29, 22, 0)


def test_autumn_dst_switch_keeps_nine_o_clock_local() -> None:
    daily = recurrence("FREQ=DAILY", starts_on=date(2026, 10, 24), deadline_days=0)

    found = occurrences(daily, utc(2026, 10, 24), utc(2026, 10, 26))

    assert [o.opens_at for o in found] == [utc(2026, 10, 24, 7, 0), utc(2026, 10, 25, 8, 0)]


def test_wall_time_in_the_spring_gap_moves_forward() -> None:
    # 02:30 does not exist on 2026-03-29; it is read with the winter offset,
    # i.e. 01:30Z = 03:30 summer time, still on the same local date.
    daily = recurrence("FREQ=DAILY", starts_on=date(2026, 3, 29), at=time(2, 30))

    found = occurrences(daily, utc(2026, 3, 29), utc(2026, 3, 30))

    assert [(o.occurrence_date, o.opens_at) for o in found] == [
        (date(2026, 3, 29), utc(2026, 3, 29, 1, 30))
    ]


def test_nothing_before_starts_on() -> None:
    found = occurrences(recurrence(starts_on=date(2026, 2, 10)), utc(2026, 1, 1), utc(2026, 4, 1))

    assert [o.occurrence_date for o in found] == [date(2026, 3, 3)]


def test_count_is_counted_from_starts_on() -> None:
    rule = recurrence("FREQ=WEEKLY;BYDAY=MO;COUNT=2", starts_on=date(2026, 1, 1))

    assert [o.occurrence_date for o in occurrences(rule, utc(2025, 1, 1), utc(2030, 1, 1))] == [
        date(2026, 1, 5),
        date(2026, 1, 12),
    ]
    assert occurrences(rule, utc(2026, 1, 13), utc(2030, 1, 1)) == []


def test_until_as_a_date_includes_that_whole_day() -> None:
    rule = recurrence("FREQ=DAILY;UNTIL=20260105", starts_on=date(2026, 1, 1), at=time(23, 30))

    found = occurrences(rule, utc(2025, 1, 1), utc(2030, 1, 1))

    assert [o.occurrence_date for o in found] == [date(2026, 1, day) for day in range(1, 6)]


def test_until_in_utc_is_inclusive_and_exact() -> None:
    # 09:00 local on 5 January is 08:00Z.
    on_the_dot = recurrence("FREQ=DAILY;UNTIL=20260105T080000Z", starts_on=date(2026, 1, 1))
    a_second_early = recurrence("FREQ=DAILY;UNTIL=20260105T075959Z", starts_on=date(2026, 1, 1))

    assert len(occurrences(on_the_dot, utc(2025, 1, 1), utc(2030, 1, 1))) == 5
    assert len(occurrences(a_second_early, utc(2025, 1, 1), utc(2030, 1, 1))) == 4


def test_leap_day_rule_fires_only_in_leap_years() -> None:
    rule = recurrence("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", starts_on=date(2025, 1, 1))

    found = occurrences(rule, utc(2025, 1, 1), utc(2033, 1, 1))

    assert [o.occurrence_date for o in found] == [date(2028, 2, 29), date(2032, 2, 29)]


def test_rule_with_rrule_prefix_and_lower_case_is_read() -> None:
    rule = recurrence("RRULE:freq=monthly;byday=1tu")

    found = occurrences(rule, utc(2026, 1, 1), utc(2026, 2, 1))

    assert [o.occurrence_date for o in found] == [date(2026, 1, 6)]


def test_old_daily_rule_over_two_years_is_complete() -> None:
    rule = recurrence("FREQ=DAILY", starts_on=date(2000, 1, 1), deadline_days=0)

    found = occurrences(rule, utc(2025, 1, 1), utc(2027, 1, 1))

    assert len(found) == 730
    assert found[0].occurrence_date == date(2025, 1, 1)
    assert found[-1].occurrence_date == date(2026, 12, 31)


def test_rule_that_never_fires_again_ends_quickly() -> None:
    never = recurrence("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")

    started = wall.perf_counter()
    found = occurrences(never, utc(2026, 1, 1), utc(2028, 1, 1))
    elapsed = wall.perf_counter() - started

    assert found == []
    # An unbounded search to year 9999 takes seconds; the bounded one a fraction.
    assert elapsed < 2.0


def test_occurrences_refuses_a_bad_rule_with_its_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        occurrences(recurrence("FREQ=HOURLY"), utc(2026, 1, 1), utc(2027, 1, 1))

    assert caught.value.field == "schedule.rrule"


# --- validation ----------------------------------------------------------------


def test_valid_steps_pass() -> None:
    validate_steps(
        [
            step(window("05-01", "05-15"), step_id="data-inlamnad"),
            step(window("12-15", "01-15", next_year=True), step_id="over-nyar"),
            step(window("06-01", "06-01"), step_id="en-dag"),
            step(recurrence(), step_id="apt"),
            step(recurrence("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28"), step_id="x" * 40),
        ]
    )


def test_no_steps_is_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_steps([])

    assert caught.value.field == "steps"
    assert caught.value.reason == "a wheel needs at least one step"


def test_duplicate_step_id_names_the_second_step() -> None:
    steps = [step(window(), step_id="a"), step(window(), step_id="b"), step(window(), step_id="a")]

    with pytest.raises(InvalidArgument) as caught:
        validate_steps(steps)

    assert caught.value.field == "steps[2].step_id"
    assert caught.value.reason == "step_id 'a' is already used by steps[0]"


def test_error_in_a_later_step_names_its_index() -> None:
    steps = [step(window(), step_id="a"), step(window(), step_id="b"), step(recurrence("x"), "c")]

    with pytest.raises(InvalidArgument) as caught:
        validate_steps(steps)

    assert caught.value.field == "steps[2].schedule.rrule"


StepCase = tuple[Callable[[], WheelStep], str, str]

INVALID_STEPS: dict[str, StepCase] = {
    "upper-case step id": (lambda: step(window(), step_id="Data"), "step_id", "must be a slug"),
    "underscore step id": (lambda: step(window(), step_id="a_b"), "step_id", "must be a slug"),
    "leading hyphen": (lambda: step(window(), step_id="-a"), "step_id", "must be a slug"),
    "41-character id": (lambda: step(window(), step_id="a" * 41), "step_id", "at most 40"),
    "empty step id": (lambda: step(window(), step_id=""), "step_id", "must be a slug"),
    "blank Swedish title": (lambda: step(window(), title_sv="  "), "title_sv", "must not be empty"),
    "empty English title": (lambda: step(window(), title_en=""), "title_en", "must not be empty"),
    "long title": (lambda: step(window(), title_sv="x" * 201), "title_sv", "at most 200"),
    "opens not MM-DD": (lambda: step(window(opens="5-01")), "schedule.opens", "is not MM-DD"),
    "opens month 13": (lambda: step(window(opens="13-01")), "schedule.opens", "not a real"),
    "deadline 30 Feb": (
        lambda: step(window(opens="02-01", deadline="02-30")),
        "schedule.deadline",
        "not a real month and day",
    ),
    "deadline 29 Feb": (
        lambda: step(window(opens="02-01", deadline="02-29")),
        "schedule.deadline",
        "not in every year",
    ),
    "opens 29 Feb": (lambda: step(window(opens="02-29")), "schedule.opens", "not in every year"),
    "deadline before opens": (
        lambda: step(window(opens="05-15", deadline="05-01")),
        "schedule.deadline",
        "deadline is before the window opens",
    ),
    "next year but deadline after opens": (
        lambda: step(window(opens="05-01", deadline="05-15", next_year=True)),
        "schedule.deadline_next_year",
        "longer than a year",
    ),
    "next year and same day": (
        lambda: step(window(opens="05-01", deadline="05-01", next_year=True)),
        "schedule.deadline_next_year",
        "longer than a year",
    ),
    "DTSTART in the rule": (
        lambda: step(recurrence("DTSTART:20260101T090000\nRRULE:FREQ=DAILY")),
        "schedule.rrule",
        "must not contain DTSTART",
    ),
    "hourly": (lambda: step(recurrence("FREQ=HOURLY")), "schedule.rrule", "too frequent"),
    "minutely": (lambda: step(recurrence("FREQ=MINUTELY")), "schedule.rrule", "too frequent"),
    "secondly": (lambda: step(recurrence("FREQ=SECONDLY")), "schedule.rrule", "too frequent"),
    "unknown freq": (lambda: step(recurrence("FREQ=FORTNIGHTLY")), "schedule.rrule", "unknown"),
    "no freq": (lambda: step(recurrence("BYDAY=1TU")), "schedule.rrule", "FREQ is missing"),
    "empty rule": (lambda: step(recurrence("  ")), "schedule.rrule", "is empty"),
    "not name=value": (lambda: step(recurrence("FREQ=DAILY;;")), "schedule.rrule", "NAME=VALUE"),
    "two lines": (
        lambda: step(recurrence("FREQ=DAILY\nEXDATE:20260101T090000")),
        "schedule.rrule",
        "single RRULE value",
    ),
    "bad weekday": (lambda: step(recurrence("FREQ=MONTHLY;BYDAY=XX")), "schedule.rrule", "XX"),
    "numbered weekday in weekly rule": (
        lambda: step(recurrence("FREQ=WEEKLY;BYDAY=1TU")),
        "schedule.rrule",
        "needs FREQ=MONTHLY or FREQ=YEARLY",
    ),
    "month 13": (lambda: step(recurrence("FREQ=YEARLY;BYMONTH=13")), "schedule.rrule", "1..12"),
    "month day 0": (
        lambda: step(recurrence("FREQ=MONTHLY;BYMONTHDAY=0")),
        "schedule.rrule",
        "outside 1..31",
    ),
    "interval 0": (
        lambda: step(recurrence("FREQ=MONTHLY;INTERVAL=0")),
        "schedule.rrule",
        "INTERVAL=0 must be a whole number of at least 1",
    ),
    "count 0": (lambda: step(recurrence("FREQ=DAILY;COUNT=0")), "schedule.rrule", "COUNT=0"),
    "count and until": (
        lambda: step(recurrence("FREQ=DAILY;COUNT=3;UNTIL=20270101")),
        "schedule.rrule",
        "not both",
    ),
    "until not a date": (
        lambda: step(recurrence("FREQ=DAILY;UNTIL=tomorrow")),
        "schedule.rrule",
        "UNTIL=TOMORROW must look like",
    ),
    "until 30 Feb": (
        lambda: step(recurrence("FREQ=DAILY;UNTIL=20270230")),
        "schedule.rrule",
        "not a real date",
    ),
    "hour in the rule": (
        lambda: step(recurrence("FREQ=DAILY;BYHOUR=9")),
        "schedule.rrule",
        "time of day comes from at",
    ),
    "unknown part": (lambda: step(recurrence("FREQ=DAILY;FOO=1")), "schedule.rrule", "FOO"),
    "part twice": (
        lambda: step(recurrence("FREQ=DAILY;FREQ=WEEKLY")),
        "schedule.rrule",
        "given twice",
    ),
    "never fires": (
        lambda: step(recurrence("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")),
        "schedule.rrule",
        "no occurrence within five years",
    ),
    "ends before it starts": (
        lambda: step(recurrence("FREQ=DAILY;UNTIL=20251231", starts_on=date(2026, 1, 1))),
        "schedule.rrule",
        "no occurrence within five years",
    ),
    "first occurrence after five years": (
        # After 29 Feb 2096 the next is 2104: 1900-style century rule.
        lambda: step(recurrence("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", starts_on=date(2097, 3, 1))),
        "schedule.rrule",
        "no occurrence within five years",
    ),
    "time with an offset": (
        lambda: step(recurrence(at=time(9, 0, tzinfo=UTC))),
        "schedule.at",
        "without a UTC offset",
    ),
}


@pytest.mark.parametrize("case", list(INVALID_STEPS), ids=list(INVALID_STEPS))
def test_invalid_step_names_its_field(case: str) -> None:
    make, field, reason = INVALID_STEPS[case]

    with pytest.raises(InvalidArgument) as caught:
        validate_step(make(), "steps[3]")

    assert caught.value.field == f"steps[3].{field}"
    assert reason in caught.value.reason


def test_deadline_before_opens_has_the_exact_reason() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_step(step(window(opens="10-01", deadline="09-30")), "steps[0]")

    assert caught.value.field == "steps[0].schedule.deadline"
    assert caught.value.reason.startswith("deadline is before the window opens")
    assert str(caught.value).startswith(
        "steps[0].schedule.deadline: deadline is before the window opens"
    )
