"""Events of the sessions service: knowledge follow-up in work groups (seed 000).

A work group (arbetsgrupp) belongs to a unit of a municipality; staff join
and leave it over time, so "everyone in the group" means the members on a
given date. The group chooses which parts of the national support for
applying the LVU are relevant to it, and at each session (in an existing
forum such as APT) it answers the three simple questions:

1. per participant and part: has she taken part of it, and if not, the plan;
2. per part: cases linked to it since the last session;
3. per part: did we do anything differently, and what.

A session may also record, per person, the parts she knows in depth (a
mentor or teacher candidate) and the answers to the group's own questions.
A later `SessionCorrected` replaces a session's content; nothing is rewritten.

Every event of a work group, its sessions included, is on the work group's
stream (`work-group-<tenant>-<id>`), so one partition keeps them in order.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.catalogue import EventPayload, event

#: The forums a work group meets in (seed 000: "befintliga strukturer som
#: ärendehandledning, medarbetarsamtal, APT och planerings- eller utbildningsdagar").
Forum = Literal[
    "apt",
    "arendehandledning",
    "medarbetarsamtal",
    "planeringsdag",
    "utbildningsdag",
    "annat",
]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChosenPart(_Value):
    """A part of the support as it stood in the catalogue when it was chosen."""

    code: str
    name_sv: str
    name_en: str
    version: int = Field(ge=1)


class GroupQuestion(_Value):
    """A question of the group's own, asked beside the three built-in ones."""

    question_id: str
    text_sv: str
    text_en: str = ""


class OccurrenceRef(_Value):
    """The wheel occurrence (scheduler) a session answers."""

    wheel_id: str
    step_id: str
    occurrence_date: date


class PartUptake(_Value):
    """Question 1 for one participant and part; `plan` says how it will happen if not."""

    member_id: str
    part: str
    taken_part: bool
    plan: str = ""


class PartCases(_Value):
    """Question 2: cases linked to the part since the last session."""

    part: str
    cases: int = Field(ge=0)


class PracticeChange(_Value):
    """Question 3: did the group do anything differently in the part's cases, and what."""

    part: str
    changed: bool
    description: str = ""


class GroupAnswer(_Value):
    """The answer to one of the group's own questions (the question as it was asked)."""

    question_id: str
    question: str
    answer: str


class InDepthKnowledge(_Value):
    """Parts a person knows in depth: a mentor or teacher candidate (unit manager only)."""

    member_id: str
    parts: tuple[str, ...]


class SessionContent(_Value):
    """What a session documents; a correction replaces it whole."""

    held_on: date
    forum: Forum
    occurrence: OccurrenceRef | None = None
    participants: tuple[str, ...]
    taken_part: tuple[PartUptake, ...] = ()
    cases: tuple[PartCases, ...] = ()
    practice: tuple[PracticeChange, ...] = ()
    answers: tuple[GroupAnswer, ...] = ()
    in_depth: tuple[InDepthKnowledge, ...] = ()
    notes: str = ""


@event
class SupportPartAdded(EventPayload):
    """A municipality adds a part of its own to the regional catalogue."""

    event_type = "sessions.SupportPartAdded.v1"
    tenant: str
    code: str
    name_sv: str
    name_en: str
    part_version: int = Field(ge=1)
    added_by: str


@event
class WorkGroupFormed(EventPayload):
    event_type = "sessions.WorkGroupFormed.v1"
    work_group_id: str
    tenant: str
    unit: str
    name: str
    forums: tuple[Forum, ...]
    formed_by: str


@event
class MemberJoined(EventPayload):
    """A staff member, by internal id and display name, is in the group from `joined_on`."""

    event_type = "sessions.MemberJoined.v1"
    work_group_id: str
    member_id: str
    display_name: str
    joined_on: date


@event
class MemberLeft(EventPayload):
    """The member is no longer in the group from `left_on` (that day included)."""

    event_type = "sessions.MemberLeft.v1"
    work_group_id: str
    member_id: str
    left_on: date


@event
class RelevantPartsChosen(EventPayload):
    """The parts relevant to the group from `valid_from` until the next choice."""

    event_type = "sessions.RelevantPartsChosen.v1"
    work_group_id: str
    parts: tuple[ChosenPart, ...]
    valid_from: date
    chosen_by: str


@event
class GroupQuestionsSet(EventPayload):
    """The group's own questions from now on (replacing the earlier set)."""

    event_type = "sessions.GroupQuestionsSet.v1"
    work_group_id: str
    questions: tuple[GroupQuestion, ...]
    set_by: str


@event
class SessionRecorded(EventPayload):
    event_type = "sessions.SessionRecorded.v1"
    session_id: str
    work_group_id: str
    unit: str
    content: SessionContent
    recorded_by: str


@event
class SessionCorrected(EventPayload):
    """Replaces the content of an earlier session; the earlier events stay as they were."""

    event_type = "sessions.SessionCorrected.v1"
    session_id: str
    work_group_id: str
    unit: str
    content: SessionContent
    reason: str = ""
    corrected_by: str
