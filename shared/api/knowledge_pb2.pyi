from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KnowledgeReportRequest(_message.Message):
    __slots__ = ("tenant", "unit", "work_group", "year")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    work_group: str
    year: int
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ..., work_group: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class Fraction(_message.Message):
    __slots__ = ("numerator", "denominator")
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    numerator: int
    denominator: int
    def __init__(self, numerator: _Optional[int] = ..., denominator: _Optional[int] = ...) -> None: ...

class OccurrenceFigures(_message.Message):
    __slots__ = ("due", "on_time", "late", "overdue", "missed", "open")
    DUE_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    MISSED_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    due: int
    on_time: int
    late: int
    overdue: int
    missed: int
    open: int
    def __init__(self, due: _Optional[int] = ..., on_time: _Optional[int] = ..., late: _Optional[int] = ..., overdue: _Optional[int] = ..., missed: _Optional[int] = ..., open: _Optional[int] = ...) -> None: ...

class PartFigures(_message.Message):
    __slots__ = ("part", "name_sv", "name_en", "coverage", "cases", "changed_practice", "open_plans")
    PART_FIELD_NUMBER: _ClassVar[int]
    NAME_SV_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    CHANGED_PRACTICE_FIELD_NUMBER: _ClassVar[int]
    OPEN_PLANS_FIELD_NUMBER: _ClassVar[int]
    part: str
    name_sv: str
    name_en: str
    coverage: Fraction
    cases: int
    changed_practice: Fraction
    open_plans: int
    def __init__(self, part: _Optional[str] = ..., name_sv: _Optional[str] = ..., name_en: _Optional[str] = ..., coverage: _Optional[_Union[Fraction, _Mapping]] = ..., cases: _Optional[int] = ..., changed_practice: _Optional[_Union[Fraction, _Mapping]] = ..., open_plans: _Optional[int] = ...) -> None: ...

class PeriodFigures(_message.Message):
    __slots__ = ("period", "sessions", "occurrences", "parts")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    period: str
    sessions: int
    occurrences: OccurrenceFigures
    parts: _containers.RepeatedCompositeFieldContainer[PartFigures]
    def __init__(self, period: _Optional[str] = ..., sessions: _Optional[int] = ..., occurrences: _Optional[_Union[OccurrenceFigures, _Mapping]] = ..., parts: _Optional[_Iterable[_Union[PartFigures, _Mapping]]] = ...) -> None: ...

class ScopeFigures(_message.Message):
    __slots__ = ("unit", "work_group", "year", "months")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    unit: str
    work_group: str
    year: PeriodFigures
    months: _containers.RepeatedCompositeFieldContainer[PeriodFigures]
    def __init__(self, unit: _Optional[str] = ..., work_group: _Optional[str] = ..., year: _Optional[_Union[PeriodFigures, _Mapping]] = ..., months: _Optional[_Iterable[_Union[PeriodFigures, _Mapping]]] = ...) -> None: ...

class OpenPlan(_message.Message):
    __slots__ = ("unit", "work_group", "member_id", "display_name", "part", "plan", "since")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    unit: str
    work_group: str
    member_id: str
    display_name: str
    part: str
    plan: str
    since: str
    def __init__(self, unit: _Optional[str] = ..., work_group: _Optional[str] = ..., member_id: _Optional[str] = ..., display_name: _Optional[str] = ..., part: _Optional[str] = ..., plan: _Optional[str] = ..., since: _Optional[str] = ...) -> None: ...

class MentorCandidate(_message.Message):
    __slots__ = ("unit", "work_group", "part", "member_id", "display_name")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    unit: str
    work_group: str
    part: str
    member_id: str
    display_name: str
    def __init__(self, unit: _Optional[str] = ..., work_group: _Optional[str] = ..., part: _Optional[str] = ..., member_id: _Optional[str] = ..., display_name: _Optional[str] = ...) -> None: ...

class KnowledgeReport(_message.Message):
    __slots__ = ("tenant", "unit", "work_group", "year", "year_starts", "year_ends", "total", "work_groups", "open_plans", "mentor_candidates_visible", "mentor_candidates")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    YEAR_STARTS_FIELD_NUMBER: _ClassVar[int]
    YEAR_ENDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUPS_FIELD_NUMBER: _ClassVar[int]
    OPEN_PLANS_FIELD_NUMBER: _ClassVar[int]
    MENTOR_CANDIDATES_VISIBLE_FIELD_NUMBER: _ClassVar[int]
    MENTOR_CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    work_group: str
    year: int
    year_starts: str
    year_ends: str
    total: ScopeFigures
    work_groups: _containers.RepeatedCompositeFieldContainer[ScopeFigures]
    open_plans: _containers.RepeatedCompositeFieldContainer[OpenPlan]
    mentor_candidates_visible: bool
    mentor_candidates: _containers.RepeatedCompositeFieldContainer[MentorCandidate]
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ..., work_group: _Optional[str] = ..., year: _Optional[int] = ..., year_starts: _Optional[str] = ..., year_ends: _Optional[str] = ..., total: _Optional[_Union[ScopeFigures, _Mapping]] = ..., work_groups: _Optional[_Iterable[_Union[ScopeFigures, _Mapping]]] = ..., open_plans: _Optional[_Iterable[_Union[OpenPlan, _Mapping]]] = ..., mentor_candidates_visible: _Optional[bool] = ..., mentor_candidates: _Optional[_Iterable[_Union[MentorCandidate, _Mapping]]] = ...) -> None: ...
