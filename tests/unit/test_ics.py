"""The iCalendar export, read back with icalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from services.scheduler.domain.ics import wheel_to_ics
from services.scheduler.domain.schedule import occurrences
from services.scheduler.domain.templates import get_template
from shared.clock import STOCKHOLM
from shared.errors import InvalidArgument
from shared.events.scheduler import Recurrence, WheelStep, YearlyWindow
from shared.roles import Role

GENERATED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def export(steps: tuple[WheelStep, ...], lang: str = "sv", first_year: int = 2026) -> Any:
    data = wheel_to_ics(
        "hjul-1",
        "Enhet Väst – årshjul",
        steps,
        lang,  # type: ignore[arg-type]
        first_year=first_year,
        generated_at=GENERATED_AT,
    )
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    return Calendar.from_ical(data)


def loke() -> tuple[WheelStep, ...]:
    return get_template("loke-rapporteringshjul").steps(date(2026, 5, 1))


def apt_step(rule: str = "FREQ=MONTHLY;BYDAY=1TU;BYMONTH=1,2,3,4,5,6,8,9,10,11,12") -> WheelStep:
    return WheelStep(
        step_id="apt",
        title_sv="APT",
        title_en="Workplace meeting",
        role=Role.UNIT_STAFF,
        action_sv="Ställ frågorna.",
        action_en="Ask the questions.",
        schedule=Recurrence(
            rrule=rule, starts_on=date(2026, 1, 1), at=time(9, 0), deadline_days=14
        ),
    )


def test_loke_round_trip_has_eight_yearly_events_with_stable_uids() -> None:
    calendar = export(loke())
    events = calendar.walk("VEVENT")

    assert len(events) == 8
    assert [str(e["uid"]) for e in events] == [
        "hjul-1-data-inlamnad@arshjul",
        "hjul-1-sammanstallning-enhet@arshjul",
        "hjul-1-aterkoppling-verksamheter@arshjul",
        "hjul-1-aggregering-ledning@arshjul",
        "hjul-1-aterkoppling-ledningsgrupp@arshjul",
        "hjul-1-kommentarer-ifo-chef@arshjul",
        "hjul-1-presentation-politiker@arshjul",
        "hjul-1-fordjupade-uppfoljningar@arshjul",
    ]
    assert all(e["rrule"].to_ical() == b"FREQ=YEARLY" for e in events)
    assert [(e["dtstart"].dt, e["dtend"].dt) for e in events] == [
        (date(2026, 5, 1), date(2026, 5, 16)),
        (date(2026, 5, 16), date(2026, 9, 1)),
        (date(2026, 9, 1), date(2026, 11, 1)),
        (date(2026, 10, 1), date(2026, 11, 1)),
        (date(2026, 10, 1), date(2026, 12, 1)),
        (date(2026, 11, 1), date(2027, 1, 1)),
        (date(2026, 12, 1), date(2027, 1, 1)),
        (date(2026, 1, 1), date(2026, 5, 1)),
    ]
    assert all(e["dtstamp"].dt == GENERATED_AT for e in events)
    assert all(str(e["transp"]) == "TRANSPARENT" for e in events)


def test_summary_and_description_follow_the_language() -> None:
    swedish = export(loke(), "sv").walk("VEVENT")[0]
    english = export(loke(), "en").walk("VEVENT")[0]

    assert str(swedish["summary"]) == "Data inmatad och insänd till uppföljningsfunktionen"
    assert str(english["summary"]) == "Data entered and submitted to the follow-up function"
    assert str(swedish["description"]).endswith(
        "senast 15/5.\n\nAnsvarig: Enhetschef\nÖppnar 1 maj, sista dag 15 maj."
    )
    assert str(english["description"]).endswith(
        "by 15 May.\n\nResponsible: Unit manager\nOpens 1 May, due 15 May."
    )


def test_calendar_names_itself_and_carries_a_stockholm_vtimezone() -> None:
    calendar = export(loke())

    assert str(calendar["x-wr-calname"]) == "Enhet Väst – årshjul"
    assert str(calendar["version"]) == "2.0"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]


@pytest.mark.parametrize(
    "local",
    [
        datetime(2026, 1, 15, 12, 0),
        datetime(2026, 3, 29, 1, 59),  # last minute of winter time
        datetime(2026, 3, 29, 3, 0),  # first minute of summer time
        datetime(2026, 7, 15, 12, 0),
        datetime(2026, 10, 25, 4, 0),  # back on winter time
        datetime(2040, 3, 25, 12, 0),  # last Sunday of March 2040
        datetime(2040, 10, 27, 12, 0),  # the day before the October 2040 switch
        datetime(2040, 10, 28, 12, 0),
    ],
)
def test_vtimezone_agrees_with_the_tz_database(local: datetime) -> None:
    vtimezone = export(loke()).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)

    assert (
        local.replace(tzinfo=vtimezone).utcoffset() == local.replace(tzinfo=STOCKHOLM).utcoffset()
    )


def test_recurrence_starts_at_its_first_occurrence_in_stockholm_time() -> None:
    event = export((apt_step(),)).walk("VEVENT")[0]

    start = event["dtstart"]
    assert start.params["TZID"] == "Europe/Stockholm"
    # starts_on is Thursday 1 January; the first first-Tuesday is 6 January.
    assert start.dt.replace(tzinfo=None) == datetime(2026, 1, 6, 9, 0)
    assert start.dt.utcoffset() == timedelta(hours=1)
    assert event["rrule"].to_ical() == b"FREQ=MONTHLY;BYDAY=1TU;BYMONTH=1,2,3,4,5,6,8,9,10,11,12"
    assert "dtend" not in event
    assert str(event["description"]) == (
        "Ställ frågorna.\n\nAnsvarig: Medarbetare (handläggare, behandlare)\n"
        "Sista dag: 14 dagar efter tillfället."
    )


def test_exported_recurrence_expands_to_the_same_instants() -> None:
    step = apt_step()
    event = export((step,)).walk("VEVENT")[0]
    expanded = rrulestr(event["rrule"].to_ical().decode(), dtstart=event["dtstart"].dt)
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)

    from_ics = [moment.astimezone(UTC) for moment in expanded.between(start, end, inc=True)]

    assert isinstance(step.schedule, Recurrence)
    assert from_ics == [o.opens_at for o in occurrences(step.schedule, start, end)]
    assert len(from_ics) == 11


def test_until_is_exported_in_utc() -> None:
    event = export((apt_step("FREQ=DAILY;UNTIL=20260105"),)).walk("VEVENT")[0]

    # The end of 5 January local (23:59:59+01:00) is 22:59:59Z.
    assert event["rrule"].to_ical() == b"FREQ=DAILY;UNTIL=20260105T225959Z"
    assert event["dtstart"].dt.replace(tzinfo=None) == datetime(2026, 1, 1, 9, 0)


def test_window_across_new_year_ends_in_the_next_year() -> None:
    step = WheelStep(
        step_id="vinter",
        title_sv="Vinter",
        title_en="Winter",
        role=Role.FOLLOW_UP,
        schedule=YearlyWindow(opens="12-15", deadline="01-15", deadline_next_year=True),
    )

    event = export((step,), "en", first_year=2030).walk("VEVENT")[0]

    assert (event["dtstart"].dt, event["dtend"].dt) == (date(2030, 12, 15), date(2031, 1, 16))
    assert str(event["description"]) == (
        "Responsible: Follow-up function\nOpens 15 December, due 15 January the following year."
    )


def test_the_same_wheel_exports_to_the_same_bytes() -> None:
    steps = (*loke(), apt_step())

    first = wheel_to_ics("w", "W", steps, "sv", first_year=2026, generated_at=GENERATED_AT)
    second = wheel_to_ics("w", "W", steps, "sv", first_year=2026, generated_at=GENERATED_AT)

    assert first == second


def test_a_recurrence_that_never_fires_is_refused_with_its_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        export((*loke(), apt_step("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")))

    assert caught.value.field == "steps[8].schedule.rrule"


def test_naive_generated_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        wheel_to_ics("w", "W", loke(), "sv", first_year=2026, generated_at=datetime(2026, 1, 1))
