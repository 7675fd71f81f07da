from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class YearlyWindow(_message.Message):
    __slots__ = ("opens", "deadline", "deadline_next_year")
    OPENS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_NEXT_YEAR_FIELD_NUMBER: _ClassVar[int]
    opens: str
    deadline: str
    deadline_next_year: bool
    def __init__(self, opens: _Optional[str] = ..., deadline: _Optional[str] = ..., deadline_next_year: _Optional[bool] = ...) -> None: ...

class Recurrence(_message.Message):
    __slots__ = ("rrule", "starts_on", "at", "deadline_days")
    RRULE_FIELD_NUMBER: _ClassVar[int]
    STARTS_ON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_DAYS_FIELD_NUMBER: _ClassVar[int]
    rrule: str
    starts_on: str
    at: str
    deadline_days: int
    def __init__(self, rrule: _Optional[str] = ..., starts_on: _Optional[str] = ..., at: _Optional[str] = ..., deadline_days: _Optional[int] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("step_id", "title_sv", "title_en", "role", "action_sv", "action_en", "yearly", "recurrence")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_SV_FIELD_NUMBER: _ClassVar[int]
    TITLE_EN_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ACTION_SV_FIELD_NUMBER: _ClassVar[int]
    ACTION_EN_FIELD_NUMBER: _ClassVar[int]
    YEARLY_FIELD_NUMBER: _ClassVar[int]
    RECURRENCE_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    title_sv: str
    title_en: str
    role: str
    action_sv: str
    action_en: str
    yearly: YearlyWindow
    recurrence: Recurrence
    def __init__(self, step_id: _Optional[str] = ..., title_sv: _Optional[str] = ..., title_en: _Optional[str] = ..., role: _Optional[str] = ..., action_sv: _Optional[str] = ..., action_en: _Optional[str] = ..., yearly: _Optional[_Union[YearlyWindow, _Mapping]] = ..., recurrence: _Optional[_Union[Recurrence, _Mapping]] = ...) -> None: ...

class CreateWheelRequest(_message.Message):
    __slots__ = ("tenant", "unit", "work_group", "template", "name_sv", "name_en", "steps", "starts_on")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    NAME_SV_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STARTS_ON_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    work_group: str
    template: str
    name_sv: str
    name_en: str
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    starts_on: str
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ..., work_group: _Optional[str] = ..., template: _Optional[str] = ..., name_sv: _Optional[str] = ..., name_en: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., starts_on: _Optional[str] = ...) -> None: ...

class ChangeStepsRequest(_message.Message):
    __slots__ = ("wheel_id", "steps", "expected_version")
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    expected_version: int
    def __init__(self, wheel_id: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class WheelCommand(_message.Message):
    __slots__ = ("wheel_id", "expected_version")
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    expected_version: int
    def __init__(self, wheel_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class CompleteOccurrenceRequest(_message.Message):
    __slots__ = ("wheel_id", "step_id", "occurrence_date", "note", "expected_version")
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_DATE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    step_id: str
    occurrence_date: str
    note: str
    expected_version: int
    def __init__(self, wheel_id: _Optional[str] = ..., step_id: _Optional[str] = ..., occurrence_date: _Optional[str] = ..., note: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class WheelReply(_message.Message):
    __slots__ = ("wheel_id", "version", "event_ids")
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    version: int
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, wheel_id: _Optional[str] = ..., version: _Optional[int] = ..., event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetWheelRequest(_message.Message):
    __slots__ = ("wheel_id",)
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    def __init__(self, wheel_id: _Optional[str] = ...) -> None: ...

class Occurrence(_message.Message):
    __slots__ = ("step_id", "occurrence_date", "opens_at", "deadline_at", "state", "completed_at", "title_sv", "title_en", "role")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_DATE_FIELD_NUMBER: _ClassVar[int]
    OPENS_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    TITLE_SV_FIELD_NUMBER: _ClassVar[int]
    TITLE_EN_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    occurrence_date: str
    opens_at: str
    deadline_at: str
    state: str
    completed_at: str
    title_sv: str
    title_en: str
    role: str
    def __init__(self, step_id: _Optional[str] = ..., occurrence_date: _Optional[str] = ..., opens_at: _Optional[str] = ..., deadline_at: _Optional[str] = ..., state: _Optional[str] = ..., completed_at: _Optional[str] = ..., title_sv: _Optional[str] = ..., title_en: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class Wheel(_message.Message):
    __slots__ = ("wheel_id", "version", "tenant", "unit", "work_group", "name_sv", "name_en", "template", "status", "steps", "occurrences")
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WORK_GROUP_FIELD_NUMBER: _ClassVar[int]
    NAME_SV_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    version: int
    tenant: str
    unit: str
    work_group: str
    name_sv: str
    name_en: str
    template: str
    status: str
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    occurrences: _containers.RepeatedCompositeFieldContainer[Occurrence]
    def __init__(self, wheel_id: _Optional[str] = ..., version: _Optional[int] = ..., tenant: _Optional[str] = ..., unit: _Optional[str] = ..., work_group: _Optional[str] = ..., name_sv: _Optional[str] = ..., name_en: _Optional[str] = ..., template: _Optional[str] = ..., status: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., occurrences: _Optional[_Iterable[_Union[Occurrence, _Mapping]]] = ...) -> None: ...

class ListWheelsRequest(_message.Message):
    __slots__ = ("tenant", "unit")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...

class ListWheelsReply(_message.Message):
    __slots__ = ("wheels",)
    WHEELS_FIELD_NUMBER: _ClassVar[int]
    wheels: _containers.RepeatedCompositeFieldContainer[Wheel]
    def __init__(self, wheels: _Optional[_Iterable[_Union[Wheel, _Mapping]]] = ...) -> None: ...

class ListUpcomingRequest(_message.Message):
    __slots__ = ("tenant", "unit", "days")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    unit: str
    days: int
    def __init__(self, tenant: _Optional[str] = ..., unit: _Optional[str] = ..., days: _Optional[int] = ...) -> None: ...

class UpcomingOccurrence(_message.Message):
    __slots__ = ("wheel_id", "wheel_name_sv", "wheel_name_en", "occurrence")
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    WHEEL_NAME_SV_FIELD_NUMBER: _ClassVar[int]
    WHEEL_NAME_EN_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    wheel_name_sv: str
    wheel_name_en: str
    occurrence: Occurrence
    def __init__(self, wheel_id: _Optional[str] = ..., wheel_name_sv: _Optional[str] = ..., wheel_name_en: _Optional[str] = ..., occurrence: _Optional[_Union[Occurrence, _Mapping]] = ...) -> None: ...

class ListUpcomingReply(_message.Message):
    __slots__ = ("occurrences",)
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    occurrences: _containers.RepeatedCompositeFieldContainer[UpcomingOccurrence]
    def __init__(self, occurrences: _Optional[_Iterable[_Union[UpcomingOccurrence, _Mapping]]] = ...) -> None: ...

class ExportCalendarRequest(_message.Message):
    __slots__ = ("wheel_id", "lang")
    WHEEL_ID_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    wheel_id: str
    lang: str
    def __init__(self, wheel_id: _Optional[str] = ..., lang: _Optional[str] = ...) -> None: ...

class CalendarFile(_message.Message):
    __slots__ = ("filename", "content")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    filename: str
    content: bytes
    def __init__(self, filename: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class ListTemplatesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Template(_message.Message):
    __slots__ = ("template_id", "name_sv", "name_en", "description_sv", "description_en", "steps")
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_SV_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_SV_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_EN_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    name_sv: str
    name_en: str
    description_sv: str
    description_en: str
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    def __init__(self, template_id: _Optional[str] = ..., name_sv: _Optional[str] = ..., name_en: _Optional[str] = ..., description_sv: _Optional[str] = ..., description_en: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ...) -> None: ...

class ListTemplatesReply(_message.Message):
    __slots__ = ("templates",)
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    templates: _containers.RepeatedCompositeFieldContainer[Template]
    def __init__(self, templates: _Optional[_Iterable[_Union[Template, _Mapping]]] = ...) -> None: ...

class GetClockRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AdvanceClockRequest(_message.Message):
    __slots__ = ("to",)
    TO_FIELD_NUMBER: _ClassVar[int]
    to: str
    def __init__(self, to: _Optional[str] = ...) -> None: ...

class ClockReply(_message.Message):
    __slots__ = ("now", "mode", "events_emitted")
    NOW_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_EMITTED_FIELD_NUMBER: _ClassVar[int]
    now: str
    mode: str
    events_emitted: int
    def __init__(self, now: _Optional[str] = ..., mode: _Optional[str] = ..., events_emitted: _Optional[int] = ...) -> None: ...
