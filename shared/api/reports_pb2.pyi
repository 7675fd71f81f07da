from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReportRef(_message.Message):
    __slots__ = ("scope", "municipality", "year", "version")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MUNICIPALITY_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    scope: str
    municipality: str
    year: int
    version: int
    def __init__(self, scope: _Optional[str] = ..., municipality: _Optional[str] = ..., year: _Optional[int] = ..., version: _Optional[int] = ...) -> None: ...

class CompileReportRequest(_message.Message):
    __slots__ = ("scope", "municipality", "year")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MUNICIPALITY_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    scope: str
    municipality: str
    year: int
    def __init__(self, scope: _Optional[str] = ..., municipality: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class ReportSummary(_message.Message):
    __slots__ = ("scope", "municipality", "year", "version", "input_count", "inputs_checksum", "figures_checksum", "new_version")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MUNICIPALITY_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    INPUT_COUNT_FIELD_NUMBER: _ClassVar[int]
    INPUTS_CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    FIGURES_CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    NEW_VERSION_FIELD_NUMBER: _ClassVar[int]
    scope: str
    municipality: str
    year: int
    version: int
    input_count: int
    inputs_checksum: str
    figures_checksum: str
    new_version: bool
    def __init__(self, scope: _Optional[str] = ..., municipality: _Optional[str] = ..., year: _Optional[int] = ..., version: _Optional[int] = ..., input_count: _Optional[int] = ..., inputs_checksum: _Optional[str] = ..., figures_checksum: _Optional[str] = ..., new_version: _Optional[bool] = ...) -> None: ...

class GetReportRequest(_message.Message):
    __slots__ = ("report", "format", "lang")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    report: ReportRef
    format: str
    lang: str
    def __init__(self, report: _Optional[_Union[ReportRef, _Mapping]] = ..., format: _Optional[str] = ..., lang: _Optional[str] = ...) -> None: ...

class RenderedReport(_message.Message):
    __slots__ = ("summary", "format", "lang", "media_type", "content", "disclosure_applied")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DISCLOSURE_APPLIED_FIELD_NUMBER: _ClassVar[int]
    summary: ReportSummary
    format: str
    lang: str
    media_type: str
    content: bytes
    disclosure_applied: bool
    def __init__(self, summary: _Optional[_Union[ReportSummary, _Mapping]] = ..., format: _Optional[str] = ..., lang: _Optional[str] = ..., media_type: _Optional[str] = ..., content: _Optional[bytes] = ..., disclosure_applied: _Optional[bool] = ...) -> None: ...

class ListReportVersionsRequest(_message.Message):
    __slots__ = ("scope", "municipality", "year")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MUNICIPALITY_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    scope: str
    municipality: str
    year: int
    def __init__(self, scope: _Optional[str] = ..., municipality: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class ListReportVersionsReply(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ReportSummary]
    def __init__(self, versions: _Optional[_Iterable[_Union[ReportSummary, _Mapping]]] = ...) -> None: ...

class StreamRegionReportsRequest(_message.Message):
    __slots__ = ("region", "year", "format", "lang")
    REGION_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    region: str
    year: int
    format: str
    lang: str
    def __init__(self, region: _Optional[str] = ..., year: _Optional[int] = ..., format: _Optional[str] = ..., lang: _Optional[str] = ...) -> None: ...

class RecordCommentRequest(_message.Message):
    __slots__ = ("unit", "year", "comment", "development_areas")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    DEVELOPMENT_AREAS_FIELD_NUMBER: _ClassVar[int]
    unit: str
    year: int
    comment: str
    development_areas: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, unit: _Optional[str] = ..., year: _Optional[int] = ..., comment: _Optional[str] = ..., development_areas: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordCommentReply(_message.Message):
    __slots__ = ("comment_id",)
    COMMENT_ID_FIELD_NUMBER: _ClassVar[int]
    comment_id: str
    def __init__(self, comment_id: _Optional[str] = ...) -> None: ...
