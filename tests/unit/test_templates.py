"""The built-in wheel templates match the seeds (000: three questions; 003: LOKE)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from services.scheduler.domain.schedule import occurrences, validate_steps
from services.scheduler.domain.templates import (
    QUESTIONS,
    TEMPLATES,
    get_template,
)
from shared.errors import InvalidArgument
from shared.events.scheduler import Recurrence, YearlyWindow
from shared.roles import Role


def test_the_two_templates_are_known() -> None:
    assert sorted(TEMPLATES) == ["loke-rapporteringshjul", "tre-enkla-fragor"]
    loke = get_template("loke-rapporteringshjul")
    assert (loke.name_sv, loke.name_en) == ("LOKE rapporteringshjul", "LOKE reporting wheel")
    knowledge = get_template("tre-enkla-fragor")
    assert (knowledge.name_sv, knowledge.name_en) == (
        "Tre enkla frågor i ett årshjul",
        "Three simple questions in an annual wheel",
    )


def test_loke_has_the_eight_roles_of_seed_003_in_order() -> None:
    steps = get_template("loke-rapporteringshjul").steps(date(2026, 5, 1))

    assert [s.role for s in steps] == [
        Role.UNIT_MANAGER,
        Role.FOLLOW_UP,
        Role.DEVELOPMENT_LEADER,
        Role.FOLLOW_UP,
        Role.DEVELOPMENT_LEADER,
        Role.UNIT_MANAGER,
        Role.IFO_CHIEF,
        Role.FOLLOW_UP,
    ]


def test_loke_windows_follow_seed_003() -> None:
    steps = get_template("loke-rapporteringshjul").steps(date(2026, 5, 1))

    assert [s.schedule for s in steps] == [
        YearlyWindow(opens="05-01", deadline="05-15"),
        YearlyWindow(opens="05-16", deadline="08-31"),
        YearlyWindow(opens="09-01", deadline="10-31"),
        YearlyWindow(opens="10-01", deadline="10-31"),
        YearlyWindow(opens="10-01", deadline="11-30"),
        YearlyWindow(opens="11-01", deadline="12-31"),
        YearlyWindow(opens="12-01", deadline="12-31"),
        YearlyWindow(opens="01-01", deadline="04-30"),
    ]


def test_loke_step_ids_are_stable_slugs() -> None:
    steps = get_template("loke-rapporteringshjul").steps(date(2026, 5, 1))

    assert [s.step_id for s in steps] == [
        "data-inlamnad",
        "sammanstallning-enhet",
        "aterkoppling-verksamheter",
        "aggregering-ledning",
        "aterkoppling-ledningsgrupp",
        "kommentarer-ifo-chef",
        "presentation-politiker",
        "fordjupade-uppfoljningar",
    ]


def test_loke_first_step_is_due_on_15_may() -> None:
    steps = get_template("loke-rapporteringshjul").steps(date(2026, 5, 1))

    assert steps[0].title_sv == "Data inmatad och insänd till uppföljningsfunktionen"
    assert "senast 15/5" in steps[0].action_sv
    assert "by 15 May" in steps[0].action_en
    assert "FL/Pol" in steps[6].action_sv
    assert "styrgruppen för LOKE" in steps[7].action_sv


@pytest.mark.parametrize("template_id", ["loke-rapporteringshjul", "tre-enkla-fragor"])
def test_templates_pass_validation(template_id: str) -> None:
    template = get_template(template_id)
    steps = template.steps(date(2026, 8, 1))

    validate_steps(steps)
    assert all(s.title_en and s.title_sv and s.action_sv and s.action_en for s in steps)


def test_tre_enkla_fragor_has_planning_day_apt_and_appraisal_talks() -> None:
    steps = get_template("tre-enkla-fragor").steps(date(2026, 8, 1))

    assert [(s.step_id, s.role) for s in steps] == [
        ("planeringsdag", Role.UNIT_MANAGER),
        ("apt", Role.UNIT_STAFF),
        ("medarbetarsamtal", Role.UNIT_MANAGER),
    ]
    assert steps[0].schedule == YearlyWindow(opens="08-15", deadline="09-15")
    assert steps[1].schedule == Recurrence(
        rrule="FREQ=MONTHLY;BYDAY=1TU;BYMONTH=1,2,3,4,5,6,8,9,10,11,12",
        starts_on=date(2026, 8, 1),
        at=time(9, 0),
        deadline_days=14,
    )
    assert steps[2].schedule == YearlyWindow(opens="10-01", deadline="11-30")


def test_apt_starts_on_the_given_date_and_skips_july() -> None:
    apt = get_template("tre-enkla-fragor").steps(date(2026, 5, 15))[1]

    found = occurrences(
        apt.schedule, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    )

    assert [o.occurrence_date for o in found] == [
        date(2026, 6, 2),
        date(2026, 8, 4),
        date(2026, 9, 1),
    ]


def test_the_three_questions_are_the_seeds() -> None:
    assert len(QUESTIONS) == 3
    assert QUESTIONS[0][0] == (
        "Har alla i arbetsgruppen tagit del av de stöd som Socialstyrelsen tagit fram som stöd "
        "för tillämpningen av LVU och som är relevanta för vår verksamhet? Om inte, hur ser "
        "vi till att det görs?"
    )
    assert QUESTIONS[1][0].endswith("(till exempel flyttningsförbud eller utreseförbud)")
    assert "Socialstyrelsens stöd" in QUESTIONS[1][0]
    assert QUESTIONS[2][0].endswith("Diskutera och utbyt erfarenheter!")
    assert QUESTIONS[2][1] == (
        "If so, did we do anything differently from before? What? Discuss and share."
    )


def test_the_questions_are_in_the_template_description() -> None:
    template = get_template("tre-enkla-fragor")

    for number, (sv, en) in enumerate(QUESTIONS, start=1):
        assert f"{number}. {sv}" in template.description_sv
        assert f"{number}. {en}" in template.description_en


def test_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(InvalidArgument) as caught:
        get_template("okand")

    assert caught.value.field == "template"
    assert caught.value.reason == (
        "unknown template 'okand'; known templates: loke-rapporteringshjul, tre-enkla-fragor"
    )
