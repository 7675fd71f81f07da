"""The work group (arbetsgrupp) aggregate: its members over time, its relevant
parts of the support, its own questions, and its sessions.

State changes only by `apply`; the `decide_*` methods check a command against
the state and return new events, doing no I/O. Sessions live on the group's
stream: whether a participant is a member, and which parts were relevant,
depends on the group's history at the session's date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from services.sessions.domain import checks
from shared.errors import FailedPrecondition, InvalidArgument, NotFound
from shared.events.catalogue import EventPayload
from shared.events.sessions import (
    ChosenPart,
    Forum,
    GroupAnswer,
    GroupQuestion,
    GroupQuestionsSet,
    InDepthKnowledge,
    MemberJoined,
    MemberLeft,
    PartCases,
    PartUptake,
    PracticeChange,
    RelevantPartsChosen,
    SessionContent,
    SessionCorrected,
    SessionRecorded,
    WorkGroupFormed,
)
from shared.eventstore import NewEvent
from shared.support_parts import SupportPart

MAX_CASES = 10_000
MAX_QUESTION = 500


def work_group_stream(tenant: str, work_group_id: str) -> str:
    return f"work-group-{tenant}-{work_group_id}"


@dataclass
class Membership:
    member_id: str
    display_name: str
    #: (joined_on, left_on), oldest first; left_on is the first day no longer a member.
    periods: list[tuple[date, date | None]] = field(default_factory=list)

    def member_on(self, day: date) -> bool:
        return any(joined <= day and (left is None or day < left) for joined, left in self.periods)

    @property
    def is_current(self) -> bool:
        return bool(self.periods) and self.periods[-1][1] is None


@dataclass
class RecordedSession:
    session_id: str
    #: (content, by whom, reason): the recording first, then each correction.
    history: list[tuple[SessionContent, str, str]] = field(default_factory=list)

    @property
    def content(self) -> SessionContent:
        return self.history[-1][0]


@dataclass
class WorkGroup:
    tenant: str
    work_group_id: str
    version: int = 0
    unit: str = ""
    name: str = ""
    forums: tuple[Forum, ...] = ()
    members: dict[str, Membership] = field(default_factory=dict)
    #: (valid_from, parts), in the order chosen.
    part_choices: list[tuple[date, tuple[ChosenPart, ...]]] = field(default_factory=list)
    questions: dict[str, GroupQuestion] = field(default_factory=dict)
    sessions: dict[str, RecordedSession] = field(default_factory=dict)

    @property
    def stream_id(self) -> str:
        return work_group_stream(self.tenant, self.work_group_id)

    @property
    def exists(self) -> bool:
        return self.version > 0

    def members_on(self, day: date) -> list[Membership]:
        return [m for m in self.members.values() if m.member_on(day)]

    def relevant_parts_on(self, day: date) -> tuple[ChosenPart, ...]:
        """The latest choice valid on `day` (of two valid from the same day, the later)."""
        valid = [
            (valid_from, order, parts)
            for order, (valid_from, parts) in enumerate(self.part_choices)
            if valid_from <= day
        ]
        return max(valid)[2] if valid else ()

    def apply(self, payload: EventPayload) -> None:
        self.version += 1
        match payload:
            case WorkGroupFormed():
                self.unit, self.name, self.forums = payload.unit, payload.name, payload.forums
            case MemberJoined():
                member = self.members.setdefault(
                    payload.member_id, Membership(payload.member_id, payload.display_name)
                )
                member.display_name = payload.display_name
                member.periods.append((payload.joined_on, None))
            case MemberLeft():
                member = self.members[payload.member_id]
                member.periods[-1] = (member.periods[-1][0], payload.left_on)
            case RelevantPartsChosen():
                self.part_choices.append((payload.valid_from, payload.parts))
            case GroupQuestionsSet():
                self.questions = {q.question_id: q for q in payload.questions}
            case SessionRecorded():
                recorded = RecordedSession(payload.session_id)
                recorded.history.append((payload.content, payload.recorded_by, ""))
                self.sessions[payload.session_id] = recorded
            case SessionCorrected():
                self.sessions[payload.session_id].history.append(
                    (payload.content, payload.corrected_by, payload.reason)
                )
            case _:
                raise TypeError(f"a work group does not apply {type(payload).__name__}")

    # --- the group ----------------------------------------------------------------

    def decide_form(
        self, *, unit: str, name: str, forums: Sequence[Forum], by: str, now: datetime
    ) -> list[NewEvent]:
        if self.exists:
            raise FailedPrecondition(
                f"work group {self.work_group_id!r} already exists", field="work_group_id"
            )
        checks.identifier(self.work_group_id, "work_group_id")
        checks.identifier(unit, "unit")
        if not forums:
            raise InvalidArgument("name at least one forum the group meets in", field="forums")
        if len(set(forums)) != len(forums):
            raise InvalidArgument("a forum is named twice", field="forums")
        formed = WorkGroupFormed(
            work_group_id=self.work_group_id,
            tenant=self.tenant,
            unit=unit,
            name=checks.name(name, "name"),
            forums=tuple(forums),
            formed_by=by,
        )
        return [NewEvent(formed, occurred_at=now)]

    def decide_join(
        self, *, member_id: str, display_name: str, joined_on: date, now: datetime
    ) -> list[NewEvent]:
        self._require_exists()
        checks.identifier(member_id, "member_id")
        display_name = checks.name(display_name, "display_name")
        member = self.members.get(member_id)
        if member is not None and member.is_current:
            raise FailedPrecondition(
                f"{member_id!r} is already a member (since {member.periods[-1][0]})",
                field="member_id",
            )
        if member is not None:
            left_on = member.periods[-1][1]
            assert left_on is not None
            if joined_on < left_on:
                raise InvalidArgument(
                    f"{member_id!r} left on {left_on}; a new membership starts on or after it",
                    field="joined_on",
                )
        joined = MemberJoined(
            work_group_id=self.work_group_id,
            member_id=member_id,
            display_name=display_name,
            joined_on=joined_on,
        )
        return [NewEvent(joined, occurred_at=now)]

    def decide_leave(self, *, member_id: str, left_on: date, now: datetime) -> list[NewEvent]:
        self._require_exists()
        member = self.members.get(member_id)
        if member is None or not member.is_current:
            raise NotFound(f"{member_id!r} is not a member of the group", field="member_id")
        joined_on = member.periods[-1][0]
        if left_on <= joined_on:
            raise InvalidArgument(
                f"must be after the day {member_id!r} joined ({joined_on})", field="left_on"
            )
        left = MemberLeft(work_group_id=self.work_group_id, member_id=member_id, left_on=left_on)
        return [NewEvent(left, occurred_at=now)]

    def decide_choose_parts(
        self, parts: Sequence[SupportPart], *, valid_from: date, by: str, now: datetime
    ) -> list[NewEvent]:
        self._require_exists()
        if not parts:
            raise InvalidArgument("choose at least one part of the support", field="parts")
        codes = [part.code for part in parts]
        for index, code in enumerate(codes):
            if code in codes[:index]:
                raise InvalidArgument(f"{code!r} is chosen twice", field=f"parts[{index}]")
        chosen = RelevantPartsChosen(
            work_group_id=self.work_group_id,
            parts=tuple(part.chosen() for part in parts),
            valid_from=valid_from,
            chosen_by=by,
        )
        return [NewEvent(chosen, occurred_at=now)]

    def decide_set_questions(
        self, questions: Sequence[GroupQuestion], *, by: str, now: datetime
    ) -> list[NewEvent]:
        self._require_exists()
        checked: list[GroupQuestion] = []
        for index, question in enumerate(questions):
            where = f"questions[{index}]"
            checks.identifier(question.question_id, f"{where}.question_id")
            if any(q.question_id == question.question_id for q in checked):
                raise InvalidArgument("the id is used twice", field=f"{where}.question_id")
            text_sv = checks.free_text(question.text_sv, f"{where}.text_sv", limit=MAX_QUESTION)
            if not text_sv:
                raise InvalidArgument("must not be empty", field=f"{where}.text_sv")
            text_en = checks.free_text(question.text_en, f"{where}.text_en", limit=MAX_QUESTION)
            checked.append(
                GroupQuestion(question_id=question.question_id, text_sv=text_sv, text_en=text_en)
            )
        set_ = GroupQuestionsSet(
            work_group_id=self.work_group_id, questions=tuple(checked), set_by=by
        )
        return [NewEvent(set_, occurred_at=now)]

    # --- sessions -------------------------------------------------------------------

    def decide_record(
        self, session_id: str, content: SessionContent, *, by: str, today: date, now: datetime
    ) -> list[NewEvent]:
        self._require_exists()
        checks.identifier(session_id, "session_id")
        if session_id in self.sessions:
            raise FailedPrecondition(
                f"session {session_id!r} is already recorded; correct it instead",
                field="session_id",
            )
        recorded = SessionRecorded(
            session_id=session_id,
            work_group_id=self.work_group_id,
            unit=self.unit,
            content=self._checked(content, today),
            recorded_by=by,
        )
        return [NewEvent(recorded, occurred_at=now)]

    def decide_correct(
        self,
        session_id: str,
        content: SessionContent,
        *,
        reason: str,
        by: str,
        today: date,
        now: datetime,
    ) -> list[NewEvent]:
        self._require_exists()
        session = self.sessions.get(session_id)
        if session is None:
            raise NotFound(f"no session {session_id!r} in the group", field="session_id")
        reason = checks.free_text(reason, "reason", limit=MAX_QUESTION)
        checked = self._checked(content, today)
        if checked == session.content:
            raise FailedPrecondition(
                "the correction changes nothing in the session", field="session"
            )
        corrected = SessionCorrected(
            session_id=session_id,
            work_group_id=self.work_group_id,
            unit=self.unit,
            content=checked,
            reason=reason,
            corrected_by=by,
        )
        return [NewEvent(corrected, occurred_at=now)]

    def _checked(self, content: SessionContent, today: date) -> SessionContent:
        """The content, checked against the group on its date, with free text
        trimmed and the group's own questions filled in."""
        day = content.held_on
        if day > today:
            raise InvalidArgument(f"{day} is in the future", field="session.held_on")
        occurrence = content.occurrence
        if occurrence is not None:
            checks.identifier(occurrence.wheel_id, "session.occurrence.wheel_id")
            checks.identifier(occurrence.step_id, "session.occurrence.step_id")
        participants = self._participants(content.participants, day)
        relevant = {part.code for part in self.relevant_parts_on(day)}

        def part(code: str, where: str) -> str:
            if code not in relevant:
                listed = ", ".join(sorted(relevant)) or "none chosen yet"
                raise InvalidArgument(
                    f"{code!r} is not one of the group's relevant parts on {day} ({listed})",
                    field=where,
                )
            return code

        def participant(member_id: str, where: str) -> str:
            checks.identifier(member_id, where)
            if member_id not in participants:
                raise InvalidArgument(
                    f"{member_id!r} is not among the session's participants", field=where
                )
            return member_id

        taken: list[PartUptake] = []
        for i, uptake in enumerate(content.taken_part):
            where = f"session.taken_part[{i}]"
            key = (
                participant(uptake.member_id, f"{where}.member_id"),
                part(uptake.part, f"{where}.part"),
            )
            if any((t.member_id, t.part) == key for t in taken):
                raise InvalidArgument("the member and part are answered twice", field=where)
            plan = checks.free_text(uptake.plan, f"{where}.plan")
            taken.append(uptake.model_copy(update={"plan": plan}))

        cases: list[PartCases] = []
        for i, counted in enumerate(content.cases):
            where = f"session.cases[{i}]"
            part(counted.part, f"{where}.part")
            if any(c.part == counted.part for c in cases):
                raise InvalidArgument("the part is counted twice", field=f"{where}.part")
            if counted.cases > MAX_CASES:
                raise InvalidArgument(f"at most {MAX_CASES}", field=f"{where}.cases")
            cases.append(counted)

        practice: list[PracticeChange] = []
        for i, change in enumerate(content.practice):
            where = f"session.practice[{i}]"
            part(change.part, f"{where}.part")
            if any(p.part == change.part for p in practice):
                raise InvalidArgument("the part is answered twice", field=f"{where}.part")
            description = checks.free_text(change.description, f"{where}.description")
            practice.append(change.model_copy(update={"description": description}))

        answers: list[GroupAnswer] = []
        for i, answer in enumerate(content.answers):
            where = f"session.answers[{i}]"
            question = self.questions.get(answer.question_id)
            if question is None:
                raise InvalidArgument(
                    f"the group has no question {answer.question_id!r}",
                    field=f"{where}.question_id",
                )
            if any(a.question_id == answer.question_id for a in answers):
                raise InvalidArgument("the question is answered twice", field=where)
            answers.append(
                GroupAnswer(
                    question_id=answer.question_id,
                    question=question.text_sv,
                    answer=checks.free_text(answer.answer, f"{where}.answer"),
                )
            )

        in_depth: list[InDepthKnowledge] = []
        for i, known in enumerate(content.in_depth):
            where = f"session.in_depth[{i}]"
            participant(known.member_id, f"{where}.member_id")
            if any(k.member_id == known.member_id for k in in_depth):
                raise InvalidArgument("the member is named twice", field=f"{where}.member_id")
            for j, code in enumerate(known.parts):
                part(code, f"{where}.parts[{j}]")
                if code in known.parts[:j]:
                    raise InvalidArgument("the part is named twice", field=f"{where}.parts[{j}]")
            in_depth.append(known)

        return SessionContent(
            held_on=day,
            forum=content.forum,
            occurrence=occurrence,
            participants=content.participants,
            taken_part=tuple(taken),
            cases=tuple(cases),
            practice=tuple(practice),
            answers=tuple(answers),
            in_depth=tuple(in_depth),
            notes=checks.free_text(content.notes, "session.notes"),
        )

    def _participants(self, participants: Sequence[str], day: date) -> set[str]:
        if not participants:
            raise InvalidArgument("a session needs its participants", field="session.participants")
        seen: set[str] = set()
        for i, member_id in enumerate(participants):
            where = f"session.participants[{i}]"
            checks.identifier(member_id, where)
            if member_id in seen:
                raise InvalidArgument(f"{member_id!r} is named twice", field=where)
            member = self.members.get(member_id)
            if member is None or not member.member_on(day):
                raise InvalidArgument(
                    f"{member_id!r} is not a member of the group on {day}", field=where
                )
            seen.add(member_id)
        return seen

    def _require_exists(self) -> None:
        if not self.exists:
            raise NotFound(f"no work group {self.work_group_id!r}", field="work_group_id")
