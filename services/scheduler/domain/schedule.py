"""When a wheel step opens and when it is due: pure calendar arithmetic, no I/O.

A wheel (årshjul) is a yearly plan of steps, each with a role, an action and a
schedule (DOMAIN.md section 3: "a yearly plan of steps, each with a role, a
window or deadline and an action"). Two kinds of schedule exist:

- a yearly window (`YearlyWindow`), as in the LOKE årshjul of seed 003
  ("data ... skall vara inmatad och insänd till UFFE senast 15/5");
- a recurrence (`Recurrence`, an RFC 5545 RRULE), for the knowledge wheel of
  seed 000, where the three questions are asked "på ett återkommande sätt",
  for instance at every APT.

All dates are Swedish local time, Europe/Stockholm (DOMAIN.md section 3). An
occurrence is identified by (wheel, step, occurrence date), so a rule may yield
at most one occurrence per local day: the time of day comes from `at`, never
from the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from shared.clock import STOCKHOLM
from shared.errors import InvalidArgument
from shared.events.scheduler import Recurrence, WheelStep, YearlyWindow


@dataclass(frozen=True)
class Occurrence:
    """One opening of a step.

    `deadline_at` is the first instant after the deadline day (00:00
    Europe/Stockholm of the following day): an occurrence is overdue when
    `now >= deadline_at` and completed on time when `completed_at < deadline_at`.
    """

    occurrence_date: date
    opens_at: datetime
    deadline_at: datetime


def occurrences(
    schedule: YearlyWindow | Recurrence, start: datetime, end: datetime
) -> list[Occurrence]:
    """Every occurrence with `start <= opens_at < end`, ordered by `opens_at`.

    `start` and `end` must be timezone-aware. Raises `InvalidArgument` (field
    `schedule.…`) for a schedule that `validate_step` would refuse.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("occurrences() needs timezone-aware start and end")
    if end <= start:
        return []
    if isinstance(schedule, YearlyWindow):
        return _yearly_occurrences(schedule, start, end)
    return _recurrence_occurrences(schedule, start, end)


def local_midnight(day: date) -> datetime:
    """00:00 Europe/Stockholm on `day`, as UTC. (Swedish DST never skips midnight.)"""
    return datetime.combine(day, time(0, 0), tzinfo=STOCKHOLM).astimezone(UTC)


def _yearly_occurrences(window: YearlyWindow, start: datetime, end: datetime) -> list[Occurrence]:
    try:
        opens_month, opens_day = parse_month_day(window.opens)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field="schedule.opens") from exc
    try:
        deadline_month, deadline_day = parse_month_day(window.deadline)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field="schedule.deadline") from exc
    first_year = start.astimezone(STOCKHOLM).year
    last_year = end.astimezone(STOCKHOLM).year
    found: list[Occurrence] = []
    for year in range(first_year, last_year + 1):
        opens_on = date(year, opens_month, opens_day)
        opens_at = local_midnight(opens_on)
        if not start <= opens_at < end:
            continue
        deadline_year = year + 1 if window.deadline_next_year else year
        deadline_on = date(deadline_year, deadline_month, deadline_day)
        found.append(
            Occurrence(
                occurrence_date=opens_on,
                opens_at=opens_at,
                deadline_at=local_midnight(deadline_on + timedelta(days=1)),
            )
        )
    return found


def _recurrence_occurrences(
    recurrence: Recurrence, start: datetime, end: datetime
) -> list[Occurrence]:
    try:
        rule = parse_rrule(recurrence.rrule)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field="schedule.rrule") from exc
    if recurrence.at.tzinfo is not None:
        raise InvalidArgument(_AT_WITH_OFFSET, field="schedule.at")
    dtstart = datetime.combine(recurrence.starts_on, recurrence.at)
    # A day's margin covers the UTC offset: local wall times are compared only
    # after localising, so nothing at the edges is lost or double counted.
    bound = end.astimezone(STOCKHOLM).replace(tzinfo=None) + timedelta(days=1)
    found: list[Occurrence] = []
    for wall_time in rule.wall_times(dtstart, bound):
        opens_at = wall_time.replace(tzinfo=STOCKHOLM).astimezone(UTC)
        if opens_at < start:
            continue
        if opens_at >= end:
            break
        occurrence_date = wall_time.date()
        deadline_on = occurrence_date + timedelta(days=recurrence.deadline_days)
        found.append(
            Occurrence(
                occurrence_date=occurrence_date,
                opens_at=opens_at,
                deadline_at=local_midnight(deadline_on + timedelta(days=1)),
            )
        )
    return found


# --- RRULE parsing -----------------------------------------------------------

_ALLOWED_FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
_SUB_DAILY_FREQS = ("HOURLY", "MINUTELY", "SECONDLY")
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
#: RFC 5545 section 3.3.10 list parts and the magnitude range of their values.
_INT_LIST_PARTS = {
    "BYMONTH": (1, 12, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYSETPOS": (1, 366, True),
}
_KNOWN_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST", *_INT_LIST_PARTS})
_WEEKDAYS = frozenset({"MO", "TU", "WE", "TH", "FR", "SA", "SU"})
_BYDAY_VALUE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_INT_VALUE = re.compile(r"^[+-]?\d{1,4}$")
_AT_WITH_OFFSET = "at is local Stockholm wall time; give it without a UTC offset"
#: A rule must fire within this horizon of `starts_on`, or it is almost
#: certainly a mistake (e.g. BYMONTH=2;BYMONTHDAY=30).
_FIRST_OCCURRENCE_HORIZON = relativedelta(years=5)
_CALENDAR_CYCLE_YEARS = 400


@dataclass(frozen=True)
class LocalRule:
    """An RRULE checked for our use, ready to expand in Stockholm wall time.

    `body` is the canonical rule without COUNT and UNTIL; those two are kept
    apart so that expansion can always be bounded (dateutil would otherwise
    search up to year 9999 for a rule that never matches again).
    `until` is naive local wall time (a UTC `...Z` value is converted, a bare
    date means the end of that local day).
    """

    body: str
    count: int | None
    until: datetime | None

    def wall_times(self, dtstart: datetime, bound: datetime) -> Iterator[datetime]:
        """The rule's naive local occurrences from `dtstart` up to `bound` inclusive.

        dateutil checks UNTIL only when a candidate matches, so a rule that
        never matches again (BYMONTH=2;BYMONTHDAY=30) is searched up to year
        9999: seconds for a daily rule. The Gregorian calendar repeats exactly
        every 400 years (weekdays, leap days, week numbers), so the rule is
        expanded on a copy of the timeline shifted to just below year 9999,
        which caps that fruitless search at 400 years.
        """
        limit = bound if self.until is None else min(bound, self.until)
        if limit < dtstart:
            return
        shift = _CALENDAR_CYCLE_YEARS * max(0, (MAXYEAR - 1 - limit.year) // _CALENDAR_CYCLE_YEARS)
        shifted_limit = _shift_years(limit, shift)
        expanded = rrulestr(
            f"{self.body};UNTIL={shifted_limit:%Y%m%dT%H%M%S}",
            dtstart=_shift_years(dtstart, shift),
        )
        for index, wall_time in enumerate(expanded):
            if self.count is not None and index >= self.count:
                return
            yield _shift_years(wall_time, -shift)

    def rfc_value(self) -> str:
        """The rule as an RFC 5545 RRULE value, UNTIL in UTC (as RFC 5545 requires
        when DTSTART carries a TZID)."""
        parts = [self.body]
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            until_utc = self.until.replace(tzinfo=STOCKHOLM).astimezone(UTC)
            parts.append(f"UNTIL={until_utc:%Y%m%dT%H%M%SZ}")
        return ";".join(parts)


def _shift_years(moment: datetime, years: int) -> datetime:
    """Move by whole 400-year cycles: the same weekday, and 29 Feb stays valid."""
    return moment.replace(year=moment.year + years)


def parse_rrule(text: str) -> LocalRule:
    """Parse and check an RRULE value such as `FREQ=MONTHLY;BYDAY=1TU`.

    Raises `ValueError` with a short, actionable reason. Refused: DTSTART
    (`starts_on` and `at` carry the start), frequencies finer than a day and
    BYHOUR/BYMINUTE/BYSECOND (an occurrence is one per local day, its time is
    `at`), out-of-range values that dateutil would silently drop, and anything
    dateutil itself cannot parse.
    """
    value = text.strip()
    if "DTSTART" in value.upper():
        raise ValueError("must not contain DTSTART; starts_on and at give the start")
    if value.upper().startswith("RRULE:"):
        value = value[len("RRULE:") :]
    if not value:
        raise ValueError("is empty; give a rule such as FREQ=MONTHLY;BYDAY=1TU")
    if any(ch.isspace() for ch in value) or ":" in value:
        raise ValueError("must be a single RRULE value such as FREQ=MONTHLY;BYDAY=1TU")
    parts: dict[str, str] = {}
    for pair in value.upper().split(";"):
        name, sep, part_value = pair.partition("=")
        if not sep or not name or not part_value:
            raise ValueError(f"'{pair}' is not NAME=VALUE")
        if name in parts:
            raise ValueError(f"{name} is given twice")
        parts[name] = part_value
    _check_parts(parts)

    count = None
    if "COUNT" in parts:
        count = _positive_int(parts.pop("COUNT"), "COUNT")
    until = _parse_until(parts.pop("UNTIL")) if "UNTIL" in parts else None
    body = ";".join(
        [f"FREQ={parts.pop('FREQ')}", *(f"{name}={val}" for name, val in parts.items())]
    )
    try:
        rrulestr(body, dtstart=datetime(2000, 1, 1))
    except Exception as exc:  # dateutil raises ValueError, TypeError, KeyError...
        raise ValueError(f"does not parse: {exc}") from exc
    return LocalRule(body=body, count=count, until=until)


def _check_parts(parts: dict[str, str]) -> None:
    for name in parts:
        if name in _TIME_PARTS:
            raise ValueError(f"{name} is not allowed; the time of day comes from at")
        if name not in _KNOWN_PARTS:
            raise ValueError(f"unknown rule part {name}")
    freq = parts.get("FREQ")
    if freq is None:
        raise ValueError("FREQ is missing, e.g. FREQ=MONTHLY")
    if freq in _SUB_DAILY_FREQS:
        raise ValueError(f"FREQ={freq} is too frequent; use DAILY, WEEKLY, MONTHLY or YEARLY")
    if freq not in _ALLOWED_FREQS:
        raise ValueError(f"unknown FREQ={freq}; use DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("give COUNT or UNTIL, not both")
    if "INTERVAL" in parts:
        _positive_int(parts["INTERVAL"], "INTERVAL")
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise ValueError(f"WKST={parts['WKST']} is not a weekday (MO..SU)")
    for name, (low, high, signed) in _INT_LIST_PARTS.items():
        if name in parts:
            _check_int_list(name, parts[name], low, high, signed)
    if "BYDAY" in parts:
        _check_byday(parts["BYDAY"], freq)


def _check_int_list(name: str, value: str, low: int, high: int, signed: bool) -> None:
    for item in value.split(","):
        if not _INT_VALUE.match(item):
            raise ValueError(f"{name}={value}: '{item}' is not a whole number")
        number = int(item)
        if number < 0 and not signed:
            raise ValueError(f"{name}={value}: '{item}' must be positive")
        if not low <= abs(number) <= high:
            bounds = f"{low}..{high}" if not signed else f"{low}..{high} or -{high}..-{low}"
            raise ValueError(f"{name}={value}: '{item}' is outside {bounds}")


def _check_byday(value: str, freq: str) -> None:
    for item in value.split(","):
        match = _BYDAY_VALUE.match(item)
        if match is None:
            raise ValueError(f"BYDAY={value}: '{item}' is not a weekday such as TU or 1TU")
        ordinal = match.group(1)
        if ordinal is None:
            continue
        if freq not in ("MONTHLY", "YEARLY"):
            raise ValueError(
                f"BYDAY={value}: a numbered weekday ({item}) needs FREQ=MONTHLY or FREQ=YEARLY"
            )
        if not 1 <= abs(int(ordinal)) <= 53:
            raise ValueError(f"BYDAY={value}: '{item}' has an ordinal outside 1..53")


def _positive_int(value: str, name: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value} must be a whole number of at least 1")
    return int(value)


def _parse_until(value: str) -> datetime:
    """UNTIL as naive Stockholm wall time; a date means the whole local day."""
    try:
        if re.fullmatch(r"\d{8}", value):
            return datetime.strptime(value, "%Y%m%d") + timedelta(days=1, microseconds=-1)
        if re.fullmatch(r"\d{8}T\d{6}Z", value):
            utc = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return utc.astimezone(STOCKHOLM).replace(tzinfo=None)
        if re.fullmatch(r"\d{8}T\d{6}", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise ValueError(f"UNTIL={value} is not a real date") from exc
    raise ValueError(f"UNTIL={value} must look like 20271231 or 20271231T225959Z")


def first_wall_time(recurrence: Recurrence) -> datetime | None:
    """The first naive local occurrence at or after `starts_on` at `at`, if any
    within five years. Raises `ValueError` for a rule `parse_rrule` refuses."""
    rule = parse_rrule(recurrence.rrule)
    dtstart = datetime.combine(recurrence.starts_on, recurrence.at.replace(tzinfo=None))
    return next(rule.wall_times(dtstart, dtstart + _FIRST_OCCURRENCE_HORIZON), None)


# --- Validation ----------------------------------------------------------------

_STEP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
MAX_TITLE_LENGTH = 200


def validate_steps(steps: Sequence[WheelStep]) -> None:
    """Check a wheel's steps; raise `InvalidArgument` naming e.g. `steps[2].schedule.rrule`."""
    if not steps:
        raise InvalidArgument("a wheel needs at least one step", field="steps")
    first_index: dict[str, int] = {}
    for index, step in enumerate(steps):
        field = f"steps[{index}]"
        validate_step(step, field)
        if step.step_id in first_index:
            raise InvalidArgument(
                f"step_id '{step.step_id}' is already used by steps[{first_index[step.step_id]}]",
                field=f"{field}.step_id",
            )
        first_index[step.step_id] = index


def validate_step(step: WheelStep, field: str) -> None:
    """Check one step; `field` is its path (e.g. `steps[2]`), prefixed to the error's field."""
    if not _STEP_ID.match(step.step_id):
        raise InvalidArgument(
            "must be a slug: lowercase letters a-z, digits and '-', starting with a letter "
            "or digit, at most 40 characters",
            field=f"{field}.step_id",
        )
    for name, title in (("title_sv", step.title_sv), ("title_en", step.title_en)):
        if not title.strip():
            raise InvalidArgument("must not be empty", field=f"{field}.{name}")
        if len(title) > MAX_TITLE_LENGTH:
            raise InvalidArgument(
                f"must be at most {MAX_TITLE_LENGTH} characters", field=f"{field}.{name}"
            )
    schedule = step.schedule
    if isinstance(schedule, YearlyWindow):
        _validate_window(schedule, f"{field}.schedule")
    else:
        _validate_recurrence(schedule, f"{field}.schedule")


def _validate_window(window: YearlyWindow, field: str) -> None:
    try:
        opens = parse_month_day(window.opens)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field=f"{field}.opens") from exc
    try:
        deadline = parse_month_day(window.deadline)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field=f"{field}.deadline") from exc
    if not window.deadline_next_year and deadline < opens:
        raise InvalidArgument(
            "deadline is before the window opens; move it, or set deadline_next_year "
            "if the window crosses New Year",
            field=f"{field}.deadline",
        )
    if window.deadline_next_year and deadline >= opens:
        raise InvalidArgument(
            "with the deadline in the next year the window would be longer than a year; "
            "clear deadline_next_year or move the deadline before the opening day",
            field=f"{field}.deadline_next_year",
        )


def _validate_recurrence(recurrence: Recurrence, field: str) -> None:
    if recurrence.at.tzinfo is not None:
        raise InvalidArgument(_AT_WITH_OFFSET, field=f"{field}.at")
    try:
        first = first_wall_time(recurrence)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field=f"{field}.rrule") from exc
    if first is None:
        raise InvalidArgument(
            f"gives no occurrence within five years of starts_on ({recurrence.starts_on})",
            field=f"{field}.rrule",
        )


def parse_month_day(value: str) -> tuple[int, int]:
    """A "MM-DD" valid in every year: 02-29 is refused, since not every year has it."""
    match = _MONTH_DAY.match(value)
    if match is None:
        raise ValueError(f"'{value}' is not MM-DD, e.g. 05-15")
    month, day = int(match.group(1)), int(match.group(2))
    if (month, day) == (2, 29):
        raise ValueError("02-29 is not in every year; use 02-28 or 03-01")
    try:
        date(2001, month, day)  # any non-leap year
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a real month and day") from exc
    return month, day
