from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SupportPart(_message.Message):
    __slots__ = ("code", "name_sv", "name_en", "version", "origin", "lvu")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_SV_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    LVU_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_sv: str
    name_en: str
    version: int
    origin: str
    lvu: str
    def __init__(self, code: _Optional[str] = ..., name_sv: _Optional[str] = ..., name_en: _Optional[str] = ..., version: _Optional[int] = ..., origin: _Optional[str] = ..., lvu: _Optional[str] = ...) -> None: ...

class ListSupportPartsRequest(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    def __init__(self, tenant: _Optional[str] = ...) -> None: ...

class ListSupportPartsReply(_message.Message):
    __slots__ = ("parts",)
    PARTS_FIELD_NUMBER: _ClassVar[int]
    parts: _containers.RepeatedCompositeFieldContainer[SupportPart]
    def __init__(self, parts: _Optional[_Iterable[_Union[SupportPart, _Mapping]]] = ...) -> None: ...

class AddSupportPartRequest(_message.Message):
    __slots__ = ("tenant", "code", "name_sv", "name_en")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_SV_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    code: str
    name_sv: str
    name_en: str
    def __init__(self, tenant: _Optional[str] = ..., code: _Optional[str] = ..., name_sv: _Optional[str] = ..., name_en: _Optional[str] = ...) -> None: ...

class CommandReply(_message.Message):
    __slots__ = ("stream_id", "version", "event_ids")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    version: int
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, stream_id: _Optional[str] = ..., version: _Optional[int] = ..., event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Question(_message.Message):
    __slots__ = ("number", "text_sv", "text_en")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TEXT_SV_FIELD_NUMBER: _ClassVar[int]
    TEXT_EN_FIELD_NUMBER: _ClassVar[int]
    number: int
    text_sv: str
    text_en: str
    def __init__(self, number: _Optional[int] = ..., text_sv: _Optional[str] = ..., text_en: _Optional[str] = ...) -> None: ...

class Forum(_message.Message):
    __slots__ = ("code", "name_sv", "name_en")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_SV_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_sv: str
    name_en: str
    def __init__(self, code: _Optional[str] = ..., name_sv: _Optional[str] = ..., name_en: _Optional[str] = ...) -> None: ...

class GetQuestionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetQuestionsReply(_message.Message):
    __slots__ = ("questions", "forums")
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    FORUMS_FIELD_NUMBER: _ClassVar[int]
    questions: _containers.RepeatedCompositeFieldContainer[Question]
    forums: _containers.RepeatedCompositeFieldContainer[Forum]
    def __init__(self, questions: _Optional[_Iterable[_Union[Question, _Mapping]]] = ..., forums: _Optional[_Iterable[_Union[Forum, _Mapping]]] = ...) -> None: ...

class FormWorkGroupRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id", "unit", "name", "forums")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORUMS_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    unit: str
    name: str
    forums: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ..., unit: _Optional[str] = ..., name: _Optional[str] = ..., forums: _Optional[_Iterable[str]] = ...) -> None: ...

class JoinWorkGroupRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id", "member_id", "display_name", "joined_on", "expected_version")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    JOINED_ON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    member_id: str
    display_name: str
    joined_on: str
    expected_version: int
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ..., member_id: _Optional[str] = ..., display_name: _Optional[str] = ..., joined_on: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class LeaveWorkGroupRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id", "member_id", "left_on", "expected_version")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LEFT_ON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    member_id: str
    left_on: str
    expected_version: int
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ..., member_id: _Optional[str] = ..., left_on: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ChooseRelevantPartsRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id", "parts", "valid_from", "expected_version")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    parts: _containers.RepeatedScalarFieldContainer[str]
    valid_from: str
    expected_version: int
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ..., parts: _Optional[_Iterable[str]] = ..., valid_from: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class GroupQuestion(_message.Message):
    __slots__ = ("question_id", "text_sv", "text_en")
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_SV_FIELD_NUMBER: _ClassVar[int]
    TEXT_EN_FIELD_NUMBER: _ClassVar[int]
    question_id: str
    text_sv: str
    text_en: str
    def __init__(self, question_id: _Optional[str] = ..., text_sv: _Optional[str] = ..., text_en: _Optional[str] = ...) -> None: ...

class SetGroupQuestionsRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id", "questions", "expected_version")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    questions: _containers.RepeatedCompositeFieldContainer[GroupQuestion]
    expected_version: int
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ..., questions: _Optional[_Iterable[_Union[GroupQuestion, _Mapping]]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class OccurrenceRef(_message.Message):
    __slots__ = ("wheel_id", "step_id", "occurrence_date")
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_DATE_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    step_id: str
    occurrence_date: str
    def __init__(self, wheel_id: _Optional[str] = ..., step_id: _Optional[str] = ..., occurrence_date: _Optional[str] = ...) -> None: ...

class PartUptake(_message.Message):
    __slots__ = ("member_id", "part", "taken_part", "plan")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    TAKEN_PART_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    part: str
    taken_part: bool
    plan: str
    def __init__(self, member_id: _Optional[str] = ..., part: _Optional[str] = ..., taken_part: _Optional[bool] = ..., plan: _Optional[str] = ...) -> None: ...

class PartCases(_message.Message):
    __slots__ = ("part", "cases")
    PART_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    part: str
    cases: int
    def __init__(self, part: _Optional[str] = ..., cases: _Optional[int] = ...) -> None: ...

class PracticeChange(_message.Message):
    __slots__ = ("part", "changed", "description")
    PART_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    part: str
    changed: bool
    description: str
    def __init__(self, part: _Optional[str] = ..., changed: _Optional[bool] = ..., description: _Optional[str] = ...) -> None: ...

class GroupAnswer(_message.Message):
    __slots__ = ("question_id", "question", "answer")
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    question_id: str
    question: str
    answer: str
    def __init__(self, question_id: _Optional[str] = ..., question: _Optional[str] = ..., answer: _Optional[str] = ...) -> None: ...

class InDepthKnowledge(_message.Message):
    __slots__ = ("member_id", "parts")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    parts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, member_id: _Optional[str] = ..., parts: _Optional[_Iterable[str]] = ...) -> None: ...

class SessionContent(_message.Message):
    __slots__ = ("held_on", "forum", "occurrence", "participants", "taken_part", "cases", "practice", "answers", "in_depth", "notes")
    HELD_ON_FIELD_NUMBER: _ClassVar[int]
    FORUM_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    TAKEN_PART_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    PRACTICE_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    IN_DEPTH_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    held_on: str
    forum: str
    occurrence: OccurrenceRef
    participants: _containers.RepeatedScalarFieldContainer[str]
    taken_part: _containers.RepeatedCompositeFieldContainer[PartUptake]
    cases: _containers.RepeatedCompositeFieldContainer[PartCases]
    practice: _containers.RepeatedCompositeFieldContainer[PracticeChange]
    answers: _containers.RepeatedCompositeFieldContainer[GroupAnswer]
    in_depth: _containers.RepeatedCompositeFieldContainer[InDepthKnowledge]
    notes: str
    def __init__(self, held_on: _Optional[str] = ..., forum: _Optional[str] = ..., occurrence: _Optional[_Union[OccurrenceRef, _Mapping]] = ..., participants: _Optional[_Iterable[str]] = ..., taken_part: _Optional[_Iterable[_Union[PartUptake, _Mapping]]] = ..., cases: _Optional[_Iterable[_Union[PartCases, _Mapping]]] = ..., practice: _Optional[_Iterable[_Union[PracticeChange, _Mapping]]] = ..., answers: _Optional[_Iterable[_Union[GroupAnswer, _Mapping]]] = ..., in_depth: _Optional[_Iterable[_Union[InDepthKnowledge, _Mapping]]] = ..., notes: _Optional[str] = ...) -> None: ...

class RecordSessionRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id", "session_id", "session", "expected_version")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    session_id: str
    session: SessionContent
    expected_version: int
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ..., session_id: _Optional[str] = ..., session: _Optional[_Union[SessionContent, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class CorrectSessionRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id", "session_id", "session", "reason", "expected_version")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    session_id: str
    session: SessionContent
    reason: str
    expected_version: int
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ..., session_id: _Optional[str] = ..., session: _Optional[_Union[SessionContent, _Mapping]] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class SessionReply(_message.Message):
    __slots__ = ("session_id", "stream_id", "version", "event_ids")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    stream_id: str
    version: int
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, session_id: _Optional[str] = ..., stream_id: _Optional[str] = ..., version: _Optional[int] = ..., event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetWorkGroupRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ...) -> None: ...

class MembershipPeriod(_message.Message):
    __slots__ = ("joined_on", "left_on")
    JOINED_ON_FIELD_NUMBER: _ClassVar[int]
    LEFT_ON_FIELD_NUMBER: _ClassVar[int]
    joined_on: str
    left_on: str
    def __init__(self, joined_on: _Optional[str] = ..., left_on: _Optional[str] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("member_id", "display_name", "periods")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    display_name: str
    periods: _containers.RepeatedCompositeFieldContainer[MembershipPeriod]
    def __init__(self, member_id: _Optional[str] = ..., display_name: _Optional[str] = ..., periods: _Optional[_Iterable[_Union[MembershipPeriod, _Mapping]]] = ...) -> None: ...

class PartChoice(_message.Message):
    __slots__ = ("valid_from", "parts")
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    valid_from: str
    parts: _containers.RepeatedCompositeFieldContainer[SupportPart]
    def __init__(self, valid_from: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[SupportPart, _Mapping]]] = ...) -> None: ...

class WorkGroup(_message.Message):
    __slots__ = ("tenant", "work_group_id", "unit", "name", "forums", "version", "members", "part_choices", "questions", "sessions")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORUMS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    PART_CHOICES_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    unit: str
    name: str
    forums: _containers.RepeatedScalarFieldContainer[str]
    version: int
    members: _containers.RepeatedCompositeFieldContainer[Member]
    part_choices: _containers.RepeatedCompositeFieldContainer[PartChoice]
    questions: _containers.RepeatedCompositeFieldContainer[GroupQuestion]
    sessions: int
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ..., unit: _Optional[str] = ..., name: _Optional[str] = ..., forums: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ..., part_choices: _Optional[_Iterable[_Union[PartChoice, _Mapping]]] = ..., questions: _Optional[_Iterable[_Union[GroupQuestion, _Mapping]]] = ..., sessions: _Optional[int] = ...) -> None: ...

class ListWorkGroupsRequest(_message.Message):
    __slots__ = ("tenant", "unit")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...

class ListWorkGroupsReply(_message.Message):
    __slots__ = ("work_groups",)
    WORK_GROUPS_FIELD_NUMBER: _ClassVar[int]
    work_groups: _containers.RepeatedCompositeFieldContainer[WorkGroup]
    def __init__(self, work_groups: _Optional[_Iterable[_Union[WorkGroup, _Mapping]]] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("tenant", "work_group_id")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    work_group_id: str
    def __init__(self, tenant: _Optional[str] = ..., work_group_id: _Optional[str] = ...) -> None: ...

class SessionVersion(_message.Message):
    __slots__ = ("content", "by", "reason")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    content: SessionContent
    by: str
    reason: str
    def __init__(self, content: _Optional[_Union[SessionContent, _Mapping]] = ..., by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "content", "history")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    content: SessionContent
    history: _containers.RepeatedCompositeFieldContainer[SessionVersion]
    def __init__(self, session_id: _Optional[str] = ..., content: _Optional[_Union[SessionContent, _Mapping]] = ..., history: _Optional[_Iterable[_Union[SessionVersion, _Mapping]]] = ...) -> None: ...

class ListSessionsReply(_message.Message):
    __slots__ = ("sessions", "mentor_candidates_visible")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    MENTOR_CANDIDATES_VISIBLE_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    mentor_candidates_visible: bool
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ..., mentor_candidates_visible: _Optional[bool] = ...) -> None: ...
