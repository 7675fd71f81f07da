"""The work group aggregate, pure: members over time, relevant parts at a date,
and what a session may document."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.sessions.domain.checks import NOT_FOR_CLIENTS
from services.sessions.domain.work_group import WorkGroup
from shared.errors import FailedPrecondition, InvalidArgument, NotFound
from shared.events.sessions import (
    GroupAnswer,
    GroupQuestion,
    InDepthKnowledge,
    OccurrenceRef,
    PartCases,
    PartUptake,
    PracticeChange,
    SessionContent,
    SessionCorrected,
    SessionRecorded,
)
from shared.eventstore import NewEvent
from shared.support_parts import base_catalogue

NOW = datetime(2025, 12, 1, tzinfo=UTC)
TODAY = date(2025, 12, 1)
PARTS = {part.code: part for part in base_catalogue()}


def apply_all(group: WorkGroup, events: list[NewEvent]) -> list[NewEvent]:
    for new in events:
        group.apply(new.payload)
    return events


def formed() -> WorkGroup:
    group = WorkGroup("1480", "barngruppen")
    apply_all(
        group,
        group.decide_form(unit="ifo-barn", name="Barngruppen", forums=["apt"], by="u", now=NOW),
    )
    for member in ("m1", "m2", "m3"):
        apply_all(
            group,
            group.decide_join(
                member_id=member, display_name=member.upper(), joined_on=date(2025, 4, 1), now=NOW
            ),
        )
    apply_all(
        group,
        group.decide_choose_parts(
            [PARTS["flyttningsforbud"], PARTS["utreseforbud"]],
            valid_from=date(2025, 4, 1),
            by="u",
            now=NOW,
        ),
    )
    apply_all(
        group,
        group.decide_set_questions(
            [GroupQuestion(question_id="samtal", text_sv="Hur för vi samtalen?")], by="u", now=NOW
        ),
    )
    return group


def session(**changes: Any) -> SessionContent:
    base = SessionContent(
        held_on=date(2025, 9, 2),
        forum="apt",
        occurrence=OccurrenceRef(
            wheel_id="wheel-1", step_id="apt", occurrence_date=date(2025, 9, 2)
        ),
        participants=("m1", "m2"),
        taken_part=(
            PartUptake(member_id="m1", part="flyttningsforbud", taken_part=True),
            PartUptake(member_id="m2", part="flyttningsforbud", taken_part=False, plan=" Läser "),
        ),
        cases=(PartCases(part="utreseforbud", cases=2),),
        practice=(PracticeChange(part="utreseforbud", changed=True, description="Ny rutin"),),
        answers=(GroupAnswer(question_id="samtal", question="", answer="Bättre"),),
        in_depth=(InDepthKnowledge(member_id="m1", parts=("utreseforbud",)),),
    )
    return base.model_copy(update=changes)


def test_members_are_counted_on_the_day_they_are_in_the_group() -> None:
    group = formed()
    apply_all(group, group.decide_leave(member_id="m3", left_on=date(2025, 10, 1), now=NOW))
    apply_all(
        group,
        group.decide_join(member_id="m3", display_name="M3", joined_on=date(2025, 11, 1), now=NOW),
    )
    on = [[m.member_id for m in group.members_on(date(2025, d, 1))] for d in (3, 4, 10, 11)]
    assert on == [[], ["m1", "m2", "m3"], ["m1", "m2"], ["m1", "m2", "m3"]]
    assert [m.member_id for m in group.members_on(date(2025, 9, 30))] == ["m1", "m2", "m3"]


def test_the_relevant_parts_are_the_choice_valid_on_the_day() -> None:
    group = formed()
    apply_all(
        group,
        group.decide_choose_parts(
            [PARTS["omedelbart"]], valid_from=date(2025, 11, 1), by="u", now=NOW
        ),
    )
    assert [p.code for p in group.relevant_parts_on(date(2025, 10, 31))] == [
        "flyttningsforbud",
        "utreseforbud",
    ]
    assert [p.code for p in group.relevant_parts_on(date(2025, 11, 1))] == ["omedelbart"]
    assert group.relevant_parts_on(date(2025, 3, 31)) == ()


def test_a_session_is_recorded_trimmed_and_with_the_group_s_question_filled_in() -> None:
    group = formed()
    [new] = apply_all(group, group.decide_record("s1", session(), by="u", today=TODAY, now=NOW))
    recorded = new.payload
    assert isinstance(recorded, SessionRecorded)
    assert recorded.unit == "ifo-barn" and recorded.work_group_id == "barngruppen"
    assert recorded.content.taken_part[1].plan == "Läser"
    assert recorded.content.answers[0].question == "Hur för vi samtalen?"
    with pytest.raises(FailedPrecondition):
        group.decide_record("s1", session(), by="u", today=TODAY, now=NOW)


def test_a_correction_replaces_the_content_and_keeps_the_history() -> None:
    group = formed()
    apply_all(group, group.decide_record("s1", session(), by="u", today=TODAY, now=NOW))
    fewer = session(cases=(PartCases(part="utreseforbud", cases=1),))
    [new] = apply_all(
        group,
        group.decide_correct("s1", fewer, reason="Fel antal", by="c", today=TODAY, now=NOW),
    )
    assert isinstance(new.payload, SessionCorrected)
    history = group.sessions["s1"].history
    assert [content.cases[0].cases for content, _, _ in history] == [2, 1]
    assert [(by, reason) for _, by, reason in history] == [("u", ""), ("c", "Fel antal")]
    with pytest.raises(FailedPrecondition):
        group.decide_correct("s1", fewer, reason="", by="c", today=TODAY, now=NOW)
    with pytest.raises(NotFound):
        group.decide_correct("s9", fewer, reason="", by="c", today=TODAY, now=NOW)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"participants": ()}, "session.participants"),
        ({"participants": ("m1", "m9")}, "session.participants[1]"),
        ({"participants": ("m1", "m1")}, "session.participants[1]"),
        ({"held_on": date(2025, 3, 31)}, "session.participants[0]"),
        ({"held_on": date(2025, 12, 2)}, "session.held_on"),
        (
            {"taken_part": (PartUptake(member_id="m3", part="utreseforbud", taken_part=True),)},
            "session.taken_part[0].member_id",
        ),
        (
            {"taken_part": (PartUptake(member_id="m1", part="omedelbart", taken_part=True),)},
            "session.taken_part[0].part",
        ),
        (
            {
                "taken_part": (
                    PartUptake(member_id="m1", part="utreseforbud", taken_part=True),
                    PartUptake(member_id="m1", part="utreseforbud", taken_part=False),
                )
            },
            "session.taken_part[1]",
        ),
        ({"cases": (PartCases(part="miljo", cases=1),)}, "session.cases[0].part"),
        (
            {
                "cases": (
                    PartCases(part="utreseforbud", cases=1),
                    PartCases(part="utreseforbud", cases=2),
                )
            },
            "session.cases[1].part",
        ),
        (
            {"answers": (GroupAnswer(question_id="okand", question="", answer="x"),)},
            "session.answers[0].question_id",
        ),
        (
            {"in_depth": (InDepthKnowledge(member_id="m3", parts=("utreseforbud",)),)},
            "session.in_depth[0].member_id",
        ),
        (
            {"in_depth": (InDepthKnowledge(member_id="m1", parts=("miljo",)),)},
            "session.in_depth[0].parts[0]",
        ),
        (
            {"occurrence": OccurrenceRef(wheel_id="", step_id="apt", occurrence_date=TODAY)},
            "session.occurrence.wheel_id",
        ),
    ],
)
def test_a_session_that_does_not_fit_the_group_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    group = formed()
    with pytest.raises(InvalidArgument) as refused:
        group.decide_record("s1", session(**changes), by="u", today=TODAY, now=NOW)
    assert refused.value.field == field
    assert group.sessions == {}


# 19121212-1212 (also as 1212121212) and the coordination number 19121272-1219.
IDENTITY_NUMBERS = ("Klienten 19121212-1212", "1212121212", "samordning 191212721219")


@pytest.mark.parametrize("text", IDENTITY_NUMBERS)
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            lambda t: {
                "taken_part": (
                    PartUptake(member_id="m1", part="utreseforbud", taken_part=False, plan=t),
                )
            },
            "session.taken_part[0].plan",
        ),
        (
            lambda t: {
                "practice": (PracticeChange(part="utreseforbud", changed=True, description=t),)
            },
            "session.practice[0].description",
        ),
        (
            lambda t: {"answers": (GroupAnswer(question_id="samtal", question="", answer=t),)},
            "session.answers[0].answer",
        ),
        (lambda t: {"notes": t}, "session.notes"),
    ],
)
def test_an_identity_number_in_any_free_text_is_refused(
    text: str, changes: Any, field: str
) -> None:
    group = formed()
    with pytest.raises(InvalidArgument) as refused:
        group.decide_record("s1", session(**changes(text)), by="u", today=TODAY, now=NOW)
    assert (refused.value.field, refused.value.reason) == (field, NOT_FOR_CLIENTS)


def test_an_identity_number_as_a_member_or_in_a_display_name_is_refused() -> None:
    group = formed()
    with pytest.raises(InvalidArgument) as refused:
        group.decide_join(
            member_id="191212121212", display_name="X", joined_on=date(2025, 4, 1), now=NOW
        )
    assert refused.value.field == "member_id"
    with pytest.raises(InvalidArgument) as refused:
        group.decide_join(
            member_id="m9", display_name="Anna 121212-1212", joined_on=date(2025, 4, 1), now=NOW
        )
    assert refused.value.field == "display_name"


def test_a_number_with_a_wrong_check_digit_is_ordinary_text() -> None:
    group = formed()
    plan = "Läser 19121212-1213 i diariet"
    changes = {
        "taken_part": (
            PartUptake(member_id="m1", part="utreseforbud", taken_part=False, plan=plan),
        )
    }
    [new] = group.decide_record("s1", session(**changes), by="u", today=TODAY, now=NOW)
    assert isinstance(new.payload, SessionRecorded)
    assert new.payload.content.taken_part[0].plan == plan


def test_membership_changes_are_checked() -> None:
    group = formed()
    with pytest.raises(FailedPrecondition):
        group.decide_join(member_id="m1", display_name="M1", joined_on=date(2025, 5, 1), now=NOW)
    with pytest.raises(InvalidArgument) as refused:
        group.decide_leave(member_id="m1", left_on=date(2025, 4, 1), now=NOW)
    assert refused.value.field == "left_on"
    with pytest.raises(NotFound):
        group.decide_leave(member_id="m9", left_on=date(2025, 5, 1), now=NOW)
    apply_all(group, group.decide_leave(member_id="m1", left_on=date(2025, 6, 1), now=NOW))
    with pytest.raises(InvalidArgument) as refused:
        group.decide_join(member_id="m1", display_name="M1", joined_on=date(2025, 5, 1), now=NOW)
    assert refused.value.field == "joined_on"
