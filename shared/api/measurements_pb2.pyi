from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListScalesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScaleItem(_message.Message):
    __slots__ = ("item_id", "text_sv", "text_en", "min", "max", "allowed")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_SV_FIELD_NUMBER: _ClassVar[int]
    TEXT_EN_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    text_sv: str
    text_en: str
    min: int
    max: int
    allowed: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, item_id: _Optional[str] = ..., text_sv: _Optional[str] = ..., text_en: _Optional[str] = ..., min: _Optional[int] = ..., max: _Optional[int] = ..., allowed: _Optional[_Iterable[int]] = ...) -> None: ...

class Zone(_message.Message):
    __slots__ = ("min", "max", "label_sv", "label_en")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    LABEL_SV_FIELD_NUMBER: _ClassVar[int]
    LABEL_EN_FIELD_NUMBER: _ClassVar[int]
    min: int
    max: int
    label_sv: str
    label_en: str
    def __init__(self, min: _Optional[int] = ..., max: _Optional[int] = ..., label_sv: _Optional[str] = ..., label_en: _Optional[str] = ...) -> None: ...

class Scale(_message.Message):
    __slots__ = ("scale_id", "version", "kind", "name_sv", "name_en", "description_sv", "description_en", "items", "min", "max", "direction", "clinical_threshold", "norm_sd", "reliability", "minimal_important_change", "zones", "source", "psychometrics_source", "unverified")
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_SV_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_SV_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_EN_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CLINICAL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    NORM_SD_FIELD_NUMBER: _ClassVar[int]
    RELIABILITY_FIELD_NUMBER: _ClassVar[int]
    MINIMAL_IMPORTANT_CHANGE_FIELD_NUMBER: _ClassVar[int]
    ZONES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PSYCHOMETRICS_SOURCE_FIELD_NUMBER: _ClassVar[int]
    UNVERIFIED_FIELD_NUMBER: _ClassVar[int]
    scale_id: str
    version: int
    kind: str
    name_sv: str
    name_en: str
    description_sv: str
    description_en: str
    items: _containers.RepeatedCompositeFieldContainer[ScaleItem]
    min: int
    max: int
    direction: str
    clinical_threshold: int
    norm_sd: float
    reliability: float
    minimal_important_change: float
    zones: _containers.RepeatedCompositeFieldContainer[Zone]
    source: str
    psychometrics_source: str
    unverified: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, scale_id: _Optional[str] = ..., version: _Optional[int] = ..., kind: _Optional[str] = ..., name_sv: _Optional[str] = ..., name_en: _Optional[str] = ..., description_sv: _Optional[str] = ..., description_en: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ScaleItem, _Mapping]]] = ..., min: _Optional[int] = ..., max: _Optional[int] = ..., direction: _Optional[str] = ..., clinical_threshold: _Optional[int] = ..., norm_sd: _Optional[float] = ..., reliability: _Optional[float] = ..., minimal_important_change: _Optional[float] = ..., zones: _Optional[_Iterable[_Union[Zone, _Mapping]]] = ..., source: _Optional[str] = ..., psychometrics_source: _Optional[str] = ..., unverified: _Optional[_Iterable[str]] = ...) -> None: ...

class ListScalesReply(_message.Message):
    __slots__ = ("scales",)
    SCALES_FIELD_NUMBER: _ClassVar[int]
    scales: _containers.RepeatedCompositeFieldContainer[Scale]
    def __init__(self, scales: _Optional[_Iterable[_Union[Scale, _Mapping]]] = ...) -> None: ...

class OpenFollowUpRequest(_message.Message):
    __slots__ = ("tenant", "unit", "client", "client_group", "main_problems", "gender", "age_band", "opened_on")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_GROUP_FIELD_NUMBER: _ClassVar[int]
    MAIN_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    AGE_BAND_FIELD_NUMBER: _ClassVar[int]
    OPENED_ON_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    client: str
    client_group: str
    main_problems: _containers.RepeatedScalarFieldContainer[str]
    gender: str
    age_band: str
    opened_on: str
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ..., client: _Optional[str] = ..., client_group: _Optional[str] = ..., main_problems: _Optional[_Iterable[str]] = ..., gender: _Optional[str] = ..., age_band: _Optional[str] = ..., opened_on: _Optional[str] = ...) -> None: ...

class FollowUpReply(_message.Message):
    __slots__ = ("follow_up_id", "version", "event_ids")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    version: int
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, follow_up_id: _Optional[str] = ..., version: _Optional[int] = ..., event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SetGoalRequest(_message.Message):
    __slots__ = ("follow_up_id", "goal_id", "title", "scale_id", "scale_version", "set_on", "expected_version")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    GOAL_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SET_ON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    goal_id: str
    title: str
    scale_id: str
    scale_version: int
    set_on: str
    expected_version: int
    def __init__(self, follow_up_id: _Optional[str] = ..., goal_id: _Optional[str] = ..., title: _Optional[str] = ..., scale_id: _Optional[str] = ..., scale_version: _Optional[int] = ..., set_on: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class StartInterventionRequest(_message.Message):
    __slots__ = ("follow_up_id", "intervention_id", "intervention_type", "started_on", "goal_ids", "expected_version")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVENTION_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVENTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    STARTED_ON_FIELD_NUMBER: _ClassVar[int]
    GOAL_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    intervention_id: str
    intervention_type: str
    started_on: str
    goal_ids: _containers.RepeatedScalarFieldContainer[str]
    expected_version: int
    def __init__(self, follow_up_id: _Optional[str] = ..., intervention_id: _Optional[str] = ..., intervention_type: _Optional[str] = ..., started_on: _Optional[str] = ..., goal_ids: _Optional[_Iterable[str]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class EndInterventionRequest(_message.Message):
    __slots__ = ("follow_up_id", "intervention_id", "ended_on", "outcome", "expected_version")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVENTION_ID_FIELD_NUMBER: _ClassVar[int]
    ENDED_ON_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    intervention_id: str
    ended_on: str
    outcome: str
    expected_version: int
    def __init__(self, follow_up_id: _Optional[str] = ..., intervention_id: _Optional[str] = ..., ended_on: _Optional[str] = ..., outcome: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class Rating(_message.Message):
    __slots__ = ("scale_id", "scale_version", "occasion", "phase", "week", "goal_id", "value", "items", "rated_on")
    class ItemsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    OCCASION_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    WEEK_FIELD_NUMBER: _ClassVar[int]
    GOAL_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    RATED_ON_FIELD_NUMBER: _ClassVar[int]
    scale_id: str
    scale_version: int
    occasion: str
    phase: str
    week: int
    goal_id: str
    value: int
    items: _containers.ScalarMap[str, int]
    rated_on: str
    def __init__(self, scale_id: _Optional[str] = ..., scale_version: _Optional[int] = ..., occasion: _Optional[str] = ..., phase: _Optional[str] = ..., week: _Optional[int] = ..., goal_id: _Optional[str] = ..., value: _Optional[int] = ..., items: _Optional[_Mapping[str, int]] = ..., rated_on: _Optional[str] = ...) -> None: ...

class SubmitRatingRequest(_message.Message):
    __slots__ = ("follow_up_id", "rating", "expected_version")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    rating: Rating
    expected_version: int
    def __init__(self, follow_up_id: _Optional[str] = ..., rating: _Optional[_Union[Rating, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class AssessGoalRequest(_message.Message):
    __slots__ = ("follow_up_id", "goal_id", "outcome", "assessed_on", "expected_version")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    GOAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ASSESSED_ON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    goal_id: str
    outcome: str
    assessed_on: str
    expected_version: int
    def __init__(self, follow_up_id: _Optional[str] = ..., goal_id: _Optional[str] = ..., outcome: _Optional[str] = ..., assessed_on: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class AnswerSurveyRequest(_message.Message):
    __slots__ = ("follow_up_id", "scale_id", "scale_version", "answers", "answered_on", "expected_version")
    class AnswersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_ON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    scale_id: str
    scale_version: int
    answers: _containers.ScalarMap[str, int]
    answered_on: str
    expected_version: int
    def __init__(self, follow_up_id: _Optional[str] = ..., scale_id: _Optional[str] = ..., scale_version: _Optional[int] = ..., answers: _Optional[_Mapping[str, int]] = ..., answered_on: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class CloseFollowUpRequest(_message.Message):
    __slots__ = ("follow_up_id", "closed_on", "reason", "expected_version")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSED_ON_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    closed_on: str
    reason: str
    expected_version: int
    def __init__(self, follow_up_id: _Optional[str] = ..., closed_on: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class GetFollowUpRequest(_message.Message):
    __slots__ = ("follow_up_id",)
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    def __init__(self, follow_up_id: _Optional[str] = ...) -> None: ...

class Goal(_message.Message):
    __slots__ = ("goal_id", "title", "scale_id", "scale_version", "set_on", "outcome", "assessed_on")
    GOAL_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SET_ON_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ASSESSED_ON_FIELD_NUMBER: _ClassVar[int]
    goal_id: str
    title: str
    scale_id: str
    scale_version: int
    set_on: str
    outcome: str
    assessed_on: str
    def __init__(self, goal_id: _Optional[str] = ..., title: _Optional[str] = ..., scale_id: _Optional[str] = ..., scale_version: _Optional[int] = ..., set_on: _Optional[str] = ..., outcome: _Optional[str] = ..., assessed_on: _Optional[str] = ...) -> None: ...

class Intervention(_message.Message):
    __slots__ = ("intervention_id", "intervention_type", "started_on", "goal_ids", "ended_on", "outcome")
    INTERVENTION_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVENTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    STARTED_ON_FIELD_NUMBER: _ClassVar[int]
    GOAL_IDS_FIELD_NUMBER: _ClassVar[int]
    ENDED_ON_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    intervention_id: str
    intervention_type: str
    started_on: str
    goal_ids: _containers.RepeatedScalarFieldContainer[str]
    ended_on: str
    outcome: str
    def __init__(self, intervention_id: _Optional[str] = ..., intervention_type: _Optional[str] = ..., started_on: _Optional[str] = ..., goal_ids: _Optional[_Iterable[str]] = ..., ended_on: _Optional[str] = ..., outcome: _Optional[str] = ...) -> None: ...

class RatingRecord(_message.Message):
    __slots__ = ("rating_id", "scale_id", "scale_version", "occasion", "phase", "week", "goal_id", "value", "items", "rated_on", "zone_sv", "zone_en")
    class ItemsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    RATING_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    OCCASION_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    WEEK_FIELD_NUMBER: _ClassVar[int]
    GOAL_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    RATED_ON_FIELD_NUMBER: _ClassVar[int]
    ZONE_SV_FIELD_NUMBER: _ClassVar[int]
    ZONE_EN_FIELD_NUMBER: _ClassVar[int]
    rating_id: str
    scale_id: str
    scale_version: int
    occasion: str
    phase: str
    week: int
    goal_id: str
    value: int
    items: _containers.ScalarMap[str, int]
    rated_on: str
    zone_sv: str
    zone_en: str
    def __init__(self, rating_id: _Optional[str] = ..., scale_id: _Optional[str] = ..., scale_version: _Optional[int] = ..., occasion: _Optional[str] = ..., phase: _Optional[str] = ..., week: _Optional[int] = ..., goal_id: _Optional[str] = ..., value: _Optional[int] = ..., items: _Optional[_Mapping[str, int]] = ..., rated_on: _Optional[str] = ..., zone_sv: _Optional[str] = ..., zone_en: _Optional[str] = ...) -> None: ...

class SurveyRecord(_message.Message):
    __slots__ = ("survey_id", "scale_id", "scale_version", "answers", "answered_on")
    class AnswersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SURVEY_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_ON_FIELD_NUMBER: _ClassVar[int]
    survey_id: str
    scale_id: str
    scale_version: int
    answers: _containers.ScalarMap[str, int]
    answered_on: str
    def __init__(self, survey_id: _Optional[str] = ..., scale_id: _Optional[str] = ..., scale_version: _Optional[int] = ..., answers: _Optional[_Mapping[str, int]] = ..., answered_on: _Optional[str] = ...) -> None: ...

class ScaleChange(_message.Message):
    __slots__ = ("scale_id", "scale_version", "intake", "exit", "rci", "change_class")
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    INTAKE_FIELD_NUMBER: _ClassVar[int]
    EXIT_FIELD_NUMBER: _ClassVar[int]
    RCI_FIELD_NUMBER: _ClassVar[int]
    CHANGE_CLASS_FIELD_NUMBER: _ClassVar[int]
    scale_id: str
    scale_version: int
    intake: int
    exit: int
    rci: float
    change_class: str
    def __init__(self, scale_id: _Optional[str] = ..., scale_version: _Optional[int] = ..., intake: _Optional[int] = ..., exit: _Optional[int] = ..., rci: _Optional[float] = ..., change_class: _Optional[str] = ...) -> None: ...

class FollowUp(_message.Message):
    __slots__ = ("follow_up_id", "version", "tenant", "unit", "client", "client_group", "main_problems", "gender", "age_band", "opened_on", "closed_on", "status", "goals", "interventions", "ratings", "surveys", "changes")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_GROUP_FIELD_NUMBER: _ClassVar[int]
    MAIN_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    AGE_BAND_FIELD_NUMBER: _ClassVar[int]
    OPENED_ON_FIELD_NUMBER: _ClassVar[int]
    CLOSED_ON_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GOALS_FIELD_NUMBER: _ClassVar[int]
    INTERVENTIONS_FIELD_NUMBER: _ClassVar[int]
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    SURVEYS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    version: int
    tenant: str
    unit: str
    client: str
    client_group: str
    main_problems: _containers.RepeatedScalarFieldContainer[str]
    gender: str
    age_band: str
    opened_on: str
    closed_on: str
    status: str
    goals: _containers.RepeatedCompositeFieldContainer[Goal]
    interventions: _containers.RepeatedCompositeFieldContainer[Intervention]
    ratings: _containers.RepeatedCompositeFieldContainer[RatingRecord]
    surveys: _containers.RepeatedCompositeFieldContainer[SurveyRecord]
    changes: _containers.RepeatedCompositeFieldContainer[ScaleChange]
    def __init__(self, follow_up_id: _Optional[str] = ..., version: _Optional[int] = ..., tenant: _Optional[str] = ..., unit: _Optional[str] = ..., client: _Optional[str] = ..., client_group: _Optional[str] = ..., main_problems: _Optional[_Iterable[str]] = ..., gender: _Optional[str] = ..., age_band: _Optional[str] = ..., opened_on: _Optional[str] = ..., closed_on: _Optional[str] = ..., status: _Optional[str] = ..., goals: _Optional[_Iterable[_Union[Goal, _Mapping]]] = ..., interventions: _Optional[_Iterable[_Union[Intervention, _Mapping]]] = ..., ratings: _Optional[_Iterable[_Union[RatingRecord, _Mapping]]] = ..., surveys: _Optional[_Iterable[_Union[SurveyRecord, _Mapping]]] = ..., changes: _Optional[_Iterable[_Union[ScaleChange, _Mapping]]] = ...) -> None: ...

class ListFollowUpsRequest(_message.Message):
    __slots__ = ("tenant", "unit", "status", "limit")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    status: str
    limit: int
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ..., status: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class FollowUpSummary(_message.Message):
    __slots__ = ("follow_up_id", "unit", "client", "client_group", "opened_on", "closed_on", "status")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_GROUP_FIELD_NUMBER: _ClassVar[int]
    OPENED_ON_FIELD_NUMBER: _ClassVar[int]
    CLOSED_ON_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    unit: str
    client: str
    client_group: str
    opened_on: str
    closed_on: str
    status: str
    def __init__(self, follow_up_id: _Optional[str] = ..., unit: _Optional[str] = ..., client: _Optional[str] = ..., client_group: _Optional[str] = ..., opened_on: _Optional[str] = ..., closed_on: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ListFollowUpsReply(_message.Message):
    __slots__ = ("follow_ups", "total")
    FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    follow_ups: _containers.RepeatedCompositeFieldContainer[FollowUpSummary]
    total: int
    def __init__(self, follow_ups: _Optional[_Iterable[_Union[FollowUpSummary, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class GetSeriesRequest(_message.Message):
    __slots__ = ("follow_up_id", "goal_id")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    GOAL_ID_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    goal_id: str
    def __init__(self, follow_up_id: _Optional[str] = ..., goal_id: _Optional[str] = ...) -> None: ...

class SeriesPoint(_message.Message):
    __slots__ = ("week", "phase", "value", "rated_on")
    WEEK_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    RATED_ON_FIELD_NUMBER: _ClassVar[int]
    week: int
    phase: str
    value: int
    rated_on: str
    def __init__(self, week: _Optional[int] = ..., phase: _Optional[str] = ..., value: _Optional[int] = ..., rated_on: _Optional[str] = ...) -> None: ...

class PhaseSummary(_message.Message):
    __slots__ = ("phase", "n", "mean", "slope", "first_week", "last_week")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    SLOPE_FIELD_NUMBER: _ClassVar[int]
    FIRST_WEEK_FIELD_NUMBER: _ClassVar[int]
    LAST_WEEK_FIELD_NUMBER: _ClassVar[int]
    phase: str
    n: int
    mean: float
    slope: float
    first_week: int
    last_week: int
    def __init__(self, phase: _Optional[str] = ..., n: _Optional[int] = ..., mean: _Optional[float] = ..., slope: _Optional[float] = ..., first_week: _Optional[int] = ..., last_week: _Optional[int] = ...) -> None: ...

class PhaseComparison(_message.Message):
    __slots__ = ("baseline", "treatment", "pnd", "nap")
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    TREATMENT_FIELD_NUMBER: _ClassVar[int]
    PND_FIELD_NUMBER: _ClassVar[int]
    NAP_FIELD_NUMBER: _ClassVar[int]
    baseline: str
    treatment: str
    pnd: float
    nap: float
    def __init__(self, baseline: _Optional[str] = ..., treatment: _Optional[str] = ..., pnd: _Optional[float] = ..., nap: _Optional[float] = ...) -> None: ...

class Series(_message.Message):
    __slots__ = ("follow_up_id", "goal_id", "goal_title", "scale_id", "scale_version", "scale_name_sv", "scale_name_en", "direction", "points", "phases", "comparisons")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    GOAL_ID_FIELD_NUMBER: _ClassVar[int]
    GOAL_TITLE_FIELD_NUMBER: _ClassVar[int]
    SCALE_ID_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SCALE_NAME_SV_FIELD_NUMBER: _ClassVar[int]
    SCALE_NAME_EN_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    COMPARISONS_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    goal_id: str
    goal_title: str
    scale_id: str
    scale_version: int
    scale_name_sv: str
    scale_name_en: str
    direction: str
    points: _containers.RepeatedCompositeFieldContainer[SeriesPoint]
    phases: _containers.RepeatedCompositeFieldContainer[PhaseSummary]
    comparisons: _containers.RepeatedCompositeFieldContainer[PhaseComparison]
    def __init__(self, follow_up_id: _Optional[str] = ..., goal_id: _Optional[str] = ..., goal_title: _Optional[str] = ..., scale_id: _Optional[str] = ..., scale_version: _Optional[int] = ..., scale_name_sv: _Optional[str] = ..., scale_name_en: _Optional[str] = ..., direction: _Optional[str] = ..., points: _Optional[_Iterable[_Union[SeriesPoint, _Mapping]]] = ..., phases: _Optional[_Iterable[_Union[PhaseSummary, _Mapping]]] = ..., comparisons: _Optional[_Iterable[_Union[PhaseComparison, _Mapping]]] = ...) -> None: ...

class ImportRow(_message.Message):
    __slots__ = ("line", "fields")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LINE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    line: int
    fields: _containers.ScalarMap[str, str]
    def __init__(self, line: _Optional[int] = ..., fields: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ImportRequest(_message.Message):
    __slots__ = ("rows", "validate_only")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[ImportRow]
    validate_only: bool
    def __init__(self, rows: _Optional[_Iterable[_Union[ImportRow, _Mapping]]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class RowResult(_message.Message):
    __slots__ = ("line", "status", "follow_up_id", "field", "reason", "events")
    LINE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    line: int
    status: str
    follow_up_id: str
    field: str
    reason: str
    events: int
    def __init__(self, line: _Optional[int] = ..., status: _Optional[str] = ..., follow_up_id: _Optional[str] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ..., events: _Optional[int] = ...) -> None: ...

class ImportReply(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RowResult]
    def __init__(self, results: _Optional[_Iterable[_Union[RowResult, _Mapping]]] = ...) -> None: ...
