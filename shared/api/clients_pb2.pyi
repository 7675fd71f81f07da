from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClientReportRequest(_message.Message):
    __slots__ = ("tenant", "unit", "year")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    year: int
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class Count(_message.Message):
    __slots__ = ("key", "n")
    KEY_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    key: str
    n: int
    def __init__(self, key: _Optional[str] = ..., n: _Optional[int] = ...) -> None: ...

class Moments(_message.Message):
    __slots__ = ("n", "sum", "sum_of_squares", "mean", "sd")
    N_FIELD_NUMBER: _ClassVar[int]
    SUM_FIELD_NUMBER: _ClassVar[int]
    SUM_OF_SQUARES_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    SD_FIELD_NUMBER: _ClassVar[int]
    n: int
    sum: int
    sum_of_squares: int
    mean: float
    sd: float
    def __init__(self, n: _Optional[int] = ..., sum: _Optional[int] = ..., sum_of_squares: _Optional[int] = ..., mean: _Optional[float] = ..., sd: _Optional[float] = ...) -> None: ...

class Level(_message.Message):
    __slots__ = ("scale_id", "occasion", "moments")
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCASION_FIELD_NUMBER: _ClassVar[int]
    MOMENTS_FIELD_NUMBER: _ClassVar[int]
    scale_id: str
    occasion: str
    moments: Moments
    def __init__(self, scale_id: _Optional[str] = ..., occasion: _Optional[str] = ..., moments: _Optional[_Union[Moments, _Mapping]] = ...) -> None: ...

class ChangeClasses(_message.Message):
    __slots__ = ("scale_id", "recovered", "improved", "unchanged", "deteriorated", "total")
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    RECOVERED_FIELD_NUMBER: _ClassVar[int]
    IMPROVED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    DETERIORATED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    scale_id: str
    recovered: int
    improved: int
    unchanged: int
    deteriorated: int
    total: int
    def __init__(self, scale_id: _Optional[str] = ..., recovered: _Optional[int] = ..., improved: _Optional[int] = ..., unchanged: _Optional[int] = ..., deteriorated: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class GoalOutcomes(_message.Message):
    __slots__ = ("achieved", "partly_achieved", "not_achieved", "assessed", "share_achieved")
    ACHIEVED_FIELD_NUMBER: _ClassVar[int]
    PARTLY_ACHIEVED_FIELD_NUMBER: _ClassVar[int]
    NOT_ACHIEVED_FIELD_NUMBER: _ClassVar[int]
    ASSESSED_FIELD_NUMBER: _ClassVar[int]
    SHARE_ACHIEVED_FIELD_NUMBER: _ClassVar[int]
    achieved: int
    partly_achieved: int
    not_achieved: int
    assessed: int
    share_achieved: float
    def __init__(self, achieved: _Optional[int] = ..., partly_achieved: _Optional[int] = ..., not_achieved: _Optional[int] = ..., assessed: _Optional[int] = ..., share_achieved: _Optional[float] = ...) -> None: ...

class InterventionOutcomes(_message.Message):
    __slots__ = ("completed", "ended_early", "ended", "share_completed")
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    ENDED_EARLY_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    SHARE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    completed: int
    ended_early: int
    ended: int
    share_completed: float
    def __init__(self, completed: _Optional[int] = ..., ended_early: _Optional[int] = ..., ended: _Optional[int] = ..., share_completed: _Optional[float] = ...) -> None: ...

class Satisfaction(_message.Message):
    __slots__ = ("scale_id", "item_id", "moments")
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    MOMENTS_FIELD_NUMBER: _ClassVar[int]
    scale_id: str
    item_id: str
    moments: Moments
    def __init__(self, scale_id: _Optional[str] = ..., item_id: _Optional[str] = ..., moments: _Optional[_Union[Moments, _Mapping]] = ...) -> None: ...

class Section(_message.Message):
    __slots__ = ("dimension", "category", "follow_ups_opened", "follow_ups_closed", "main_problems", "levels", "changes", "goals", "goal_outcomes", "interventions", "intervention_outcomes", "satisfaction")
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UPS_OPENED_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UPS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    MAIN_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    GOALS_FIELD_NUMBER: _ClassVar[int]
    GOAL_OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    INTERVENTIONS_FIELD_NUMBER: _ClassVar[int]
    INTERVENTION_OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_FIELD_NUMBER: _ClassVar[int]
    dimension: str
    category: str
    follow_ups_opened: int
    follow_ups_closed: int
    main_problems: _containers.RepeatedCompositeFieldContainer[Count]
    levels: _containers.RepeatedCompositeFieldContainer[Level]
    changes: _containers.RepeatedCompositeFieldContainer[ChangeClasses]
    goals: _containers.RepeatedCompositeFieldContainer[Count]
    goal_outcomes: GoalOutcomes
    interventions: _containers.RepeatedCompositeFieldContainer[Count]
    intervention_outcomes: InterventionOutcomes
    satisfaction: _containers.RepeatedCompositeFieldContainer[Satisfaction]
    def __init__(self, dimension: _Optional[str] = ..., category: _Optional[str] = ..., follow_ups_opened: _Optional[int] = ..., follow_ups_closed: _Optional[int] = ..., main_problems: _Optional[_Iterable[_Union[Count, _Mapping]]] = ..., levels: _Optional[_Iterable[_Union[Level, _Mapping]]] = ..., changes: _Optional[_Iterable[_Union[ChangeClasses, _Mapping]]] = ..., goals: _Optional[_Iterable[_Union[Count, _Mapping]]] = ..., goal_outcomes: _Optional[_Union[GoalOutcomes, _Mapping]] = ..., interventions: _Optional[_Iterable[_Union[Count, _Mapping]]] = ..., intervention_outcomes: _Optional[_Union[InterventionOutcomes, _Mapping]] = ..., satisfaction: _Optional[_Iterable[_Union[Satisfaction, _Mapping]]] = ...) -> None: ...

class ClientReport(_message.Message):
    __slots__ = ("tenant", "unit", "year", "year_starts", "year_ends", "events", "total", "by_client_group", "by_gender", "by_age_band", "notes_sv", "notes_en")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    YEAR_STARTS_FIELD_NUMBER: _ClassVar[int]
    YEAR_ENDS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    BY_CLIENT_GROUP_FIELD_NUMBER: _ClassVar[int]
    BY_GENDER_FIELD_NUMBER: _ClassVar[int]
    BY_AGE_BAND_FIELD_NUMBER: _ClassVar[int]
    NOTES_SV_FIELD_NUMBER: _ClassVar[int]
    NOTES_EN_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    year: int
    year_starts: str
    year_ends: str
    events: int
    total: Section
    by_client_group: _containers.RepeatedCompositeFieldContainer[Section]
    by_gender: _containers.RepeatedCompositeFieldContainer[Section]
    by_age_band: _containers.RepeatedCompositeFieldContainer[Section]
    notes_sv: _containers.RepeatedScalarFieldContainer[str]
    notes_en: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ..., year: _Optional[int] = ..., year_starts: _Optional[str] = ..., year_ends: _Optional[str] = ..., events: _Optional[int] = ..., total: _Optional[_Union[Section, _Mapping]] = ..., by_client_group: _Optional[_Iterable[_Union[Section, _Mapping]]] = ..., by_gender: _Optional[_Iterable[_Union[Section, _Mapping]]] = ..., by_age_band: _Optional[_Iterable[_Union[Section, _Mapping]]] = ..., notes_sv: _Optional[_Iterable[str]] = ..., notes_en: _Optional[_Iterable[str]] = ...) -> None: ...
