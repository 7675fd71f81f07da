"""Export a wheel as an RFC 5545 calendar, so its steps show up in Outlook & co.

Each step becomes one repeating VEVENT (UID `{wheel_id}-{step_id}@arshjul`,
stable across exports, so a re-imported calendar updates instead of
duplicating):

- a yearly window is an all-day event from `opens` to the deadline day
  inclusive (DTEND is the day after), repeating with FREQ=YEARLY;
- a recurrence starts at its first occurrence at `at`, local Stockholm time
  (TZID Europe/Stockholm), and repeats with the step's own RRULE.

Dates are Swedish local time (DOMAIN.md section 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from services.scheduler.domain.schedule import first_wall_time, parse_month_day, parse_rrule
from shared.clock import STOCKHOLM
from shared.errors import InvalidArgument
from shared.events.scheduler import Recurrence, WheelStep, YearlyWindow
from shared.roles import Role

Lang = Literal["sv", "en"]

#: Role names as shown to users, (Swedish, English).
ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.UNIT_STAFF: ("Medarbetare (handläggare, behandlare)", "Unit staff"),
    Role.UNIT_MANAGER: ("Enhetschef", "Unit manager"),
    Role.FOLLOW_UP: ("Uppföljningsfunktionen", "Follow-up function"),
    Role.DEVELOPMENT_LEADER: ("Utvecklingsledare", "Development leader"),
    Role.IFO_CHIEF: ("IFO-chef", "IFO chief"),
    Role.REGIONAL_SUPPORT: ("Regional stödstruktur", "Regional support structure"),
    Role.NATIONAL_ANALYST: ("Nationell analytiker", "National analyst"),
    Role.OPERATOR: ("Driftansvarig", "Operator"),
}

_MONTHS = {
    "sv": (
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def wheel_to_ics(
    wheel_id: str,
    name: str,
    steps: Sequence[WheelStep],
    lang: Lang,
    *,
    first_year: int,
    generated_at: datetime,
) -> bytes:
    """The wheel as an iCalendar file (UTF-8, CRLF lines).

    `first_year` is the year of the first yearly window; `generated_at` is the
    DTSTAMP (passed in, so that the same wheel exports to the same bytes).
    Raises `InvalidArgument` (field `steps[i].schedule.…`) for a schedule that
    `validate_steps` refuses.
    """
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    calendar = Calendar()
    calendar.add("prodid", f"-//arshjul//Årshjul//{lang.upper()}")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", STOCKHOLM.key)
    calendar.add_component(stockholm_vtimezone())
    dtstamp = generated_at.astimezone(UTC)
    for index, step in enumerate(steps):
        event = Event()
        event.add("uid", f"{wheel_id}-{step.step_id}@arshjul")
        event.add("dtstamp", dtstamp)
        event.add("summary", step.title_sv if lang == "sv" else step.title_en)
        schedule = step.schedule
        if isinstance(schedule, YearlyWindow):
            _add_window(event, schedule, first_year, f"steps[{index}].schedule")
            timing = _window_text(schedule, lang)
        else:
            _add_recurrence(event, schedule, f"steps[{index}].schedule.rrule")
            timing = _recurrence_text(schedule, lang)
        event.add("description", _description(step, timing, lang))
        calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics


def stockholm_vtimezone() -> Timezone:
    """Europe/Stockholm as a VTIMEZONE with yearly rules (EU summer time since
    1996: last Sunday of March 02:00 → CEST, last Sunday of October 03:00 → CET).

    Rules rather than the list of transitions icalendar would generate, which
    ends in a fixed year, because the exported events repeat without end.
    """
    daylight = TimezoneDaylight()
    daylight.add("tzname", "CEST")
    daylight.add("tzoffsetfrom", timedelta(hours=1))
    daylight.add("tzoffsetto", timedelta(hours=2))
    daylight.add("dtstart", datetime(1996, 3, 31, 2, 0))
    daylight.add("rrule", vRecur.from_ical("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"))
    standard = TimezoneStandard()
    standard.add("tzname", "CET")
    standard.add("tzoffsetfrom", timedelta(hours=2))
    standard.add("tzoffsetto", timedelta(hours=1))
    standard.add("dtstart", datetime(1996, 10, 27, 3, 0))
    standard.add("rrule", vRecur.from_ical("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"))
    timezone = Timezone()
    timezone.add("tzid", STOCKHOLM.key)
    timezone.add_component(daylight)
    timezone.add_component(standard)
    return timezone


def _add_window(event: Event, window: YearlyWindow, first_year: int, field: str) -> None:
    opens = _month_day(window.opens, first_year, f"{field}.opens")
    deadline_year = first_year + 1 if window.deadline_next_year else first_year
    deadline = _month_day(window.deadline, deadline_year, f"{field}.deadline")
    event.add("dtstart", opens)
    event.add("dtend", deadline + timedelta(days=1))
    event.add("rrule", vRecur.from_ical("FREQ=YEARLY"))
    # A window of weeks must not mark the whole period as busy.
    event.add("transp", "TRANSPARENT")


def _add_recurrence(event: Event, recurrence: Recurrence, field: str) -> None:
    try:
        rule = parse_rrule(recurrence.rrule)
        first = first_wall_time(recurrence)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field=field) from exc
    if first is None:
        raise InvalidArgument("gives no occurrence within five years of starts_on", field=field)
    # DTSTART is the first real occurrence: RFC 5545 counts DTSTART as an
    # instance, while dateutil does not when it does not match the rule.
    event.add("dtstart", first.replace(tzinfo=STOCKHOLM))
    event.add("rrule", vRecur.from_ical(rule.rfc_value()))


def _description(step: WheelStep, timing: str, lang: Lang) -> str:
    sv, en = ROLE_LABELS[step.role]
    action = step.action_sv if lang == "sv" else step.action_en
    role_line = f"Ansvarig: {sv}" if lang == "sv" else f"Responsible: {en}"
    return "\n\n".join(part for part in (action, f"{role_line}\n{timing}") if part)


def _window_text(window: YearlyWindow, lang: Lang) -> str:
    opens = _day_text(window.opens, lang)
    deadline = _day_text(window.deadline, lang)
    if lang == "sv":
        later = " året därpå" if window.deadline_next_year else ""
        return f"Öppnar {opens}, sista dag {deadline}{later}."
    later = " the following year" if window.deadline_next_year else ""
    return f"Opens {opens}, due {deadline}{later}."


def _recurrence_text(recurrence: Recurrence, lang: Lang) -> str:
    days = recurrence.deadline_days
    if lang == "sv":
        if days == 0:
            return "Sista dag: samma dag."
        return f"Sista dag: {days} {'dag' if days == 1 else 'dagar'} efter tillfället."
    if days == 0:
        return "Due: the same day."
    return f"Due: {days} {'day' if days == 1 else 'days'} after each occurrence."


def _month_day(value: str, year: int, field: str) -> date:
    try:
        month, day = parse_month_day(value)
    except ValueError as exc:
        raise InvalidArgument(str(exc), field=field) from exc
    return date(year, month, day)


def _day_text(value: str, lang: Lang) -> str:
    month, day = (int(part) for part in value.split("-"))
    name = _MONTHS[lang][month - 1]
    return f"{day} {name}"
